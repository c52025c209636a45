package gogen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/clawgate/gateway/tools/protogen/model"
)

var scopeConst = map[string]string{
	"none": "ScopeNone", "read": "ScopeRead", "write": "ScopeWrite", "admin": "ScopeAdmin",
	"pairing": "ScopePairing", "approvals": "ScopeApprovals", "node": "ScopeNode", "": "ScopeNone",
}

// roleBits are the bits of MethodInfo.roles.
var roleBits = []struct{ name, bit string }{{model.RoleOperator, "roleOperator"}, {model.RoleNode, "roleNode"}}

func protoMask(ps []int) int {
	m := 0
	for _, p := range ps {
		m |= 1 << p
	}
	return m
}

// genManifest emits the tables of schema/manifest.json: what the server needs to know
// about a method or event besides its types.
func genManifest(m *model.Model, f *jen.File) {
	f.Comment("Protocol versions this schema set describes.")
	f.Const().Defs(
		jen.Id("MinProtocol").Op("=").Lit(m.MinProtocol),
		jen.Id("MaxProtocol").Op("=").Lit(m.MaxProtocol),
	)
	f.Comment("Scope is the v3 authorization an operator needs for a method (operator.admin passes every scope).")
	f.Type().Id("Scope").String()
	f.Const().Defs(
		jen.Id("ScopeNone").Id("Scope").Op("=").Lit(""),
		jen.Id("ScopeRead").Id("Scope").Op("=").Lit("operator.read"),
		jen.Id("ScopeWrite").Id("Scope").Op("=").Lit("operator.write"),
		jen.Id("ScopeAdmin").Id("Scope").Op("=").Lit("operator.admin"),
		jen.Id("ScopePairing").Id("Scope").Op("=").Lit("operator.pairing"),
		jen.Id("ScopeApprovals").Id("Scope").Op("=").Lit("operator.approvals"),
		jen.Comment("ScopeNode marks methods only role node may call."),
		jen.Id("ScopeNode").Id("Scope").Op("=").Lit("node"),
	)
	f.Comment("Roles of a v3 connection (connect params role).")
	f.Const().Defs(
		jen.Id("RoleOperator").Op("=").Lit(model.RoleOperator),
		jen.Id("RoleNode").Op("=").Lit(model.RoleNode),
	)
	f.Const().Defs(
		jen.Id("roleOperator").Uint8().Op("=").Lit(1).Op("<<").Iota(),
		jen.Id("roleNode"),
	)
	f.Comment("MethodInfo describes one wire method, from schema/manifest.json.")
	f.Type().Id("MethodInfo").Struct(
		jen.Id("Name").String(),
		jen.Id("Group").String(),
		jen.Id("protocols").Uint32(),
		jen.Id("roles").Uint8(),
		jen.Comment("Scope is what an operator needs; other roles are not scoped."),
		jen.Id("Scope").Id("Scope"),
		jen.Comment("Advertise: listed in hello-ok.features.methods."),
		jen.Id("Advertise").Bool(),
		jen.Comment("IdempotencyKey: params carry a required idempotencyKey the gateway dedupes on."),
		jen.Id("IdempotencyKey").Bool(),
		jen.Comment("Bridge: a protocol-2 bridge node may call it with req."),
		jen.Id("Bridge").Bool(),
	)
	f.Comment("In reports whether the method exists in protocol version v.")
	f.Func().Params(jen.Id("mi").Op("*").Id("MethodInfo")).Id("In").Params(jen.Id("v").Int()).Bool().Block(
		jen.Return(jen.Id("v").Op(">=").Lit(0).Op("&&").Id("v").Op("<").Lit(32).Op("&&").Id("mi").Dot("protocols").Op("&").Parens(jen.Lit(1).Op("<<").Id("v")).Op("!=").Lit(0)),
	)
	f.Comment("AllowsRole reports whether a v3 connection of role may call the method (manifest \"roles\").")
	f.Func().Params(jen.Id("mi").Op("*").Id("MethodInfo")).Id("AllowsRole").Params(jen.Id("role").String()).Bool().Block(
		jen.Switch(jen.Id("role")).BlockFunc(func(g *jen.Group) {
			for _, r := range roleBits {
				g.Case(jen.Lit(r.name)).Block(jen.Return(jen.Id("mi").Dot("roles").Op("&").Id(r.bit).Op("!=").Lit(0)))
			}
		}),
		jen.Return(jen.False()),
	)
	f.Var().Id("methodTable").Op("=").Index(jen.Op("...")).Id("MethodInfo").CustomFunc(multi, func(g *jen.Group) {
		for _, me := range m.Methods {
			var roles jen.Code
			for _, r := range roleBits {
				if slices.Contains(me.Roles, r.name) {
					if roles == nil {
						roles = jen.Id(r.bit)
					} else {
						roles = jen.Add(roles).Op("|").Id(r.bit)
					}
				}
			}
			g.Values(jen.Dict{
				jen.Id("Name"): jen.Lit(me.Name), jen.Id("Group"): jen.Lit(me.Group),
				jen.Id("protocols"): jen.Lit(protoMask(me.Protocols)), jen.Id("roles"): roles,
				jen.Id("Scope"): jen.Id(scopeConst[me.Scope]), jen.Id("Advertise"): jen.Lit(me.Advertise),
				jen.Id("IdempotencyKey"): jen.Lit(me.IdempotencyKey), jen.Id("Bridge"): jen.Lit(me.Bridge),
			})
		}
	})
	f.Comment("LookupMethod returns the method's description, or nil for an unknown name.")
	f.Func().Id("LookupMethod").Params(jen.Id("name").String()).Op("*").Id("MethodInfo").Block(
		jen.Switch(jen.Id("name")).BlockFunc(func(g *jen.Group) {
			for i, me := range m.Methods {
				g.Case(jen.Lit(me.Name)).Block(jen.Return(jen.Op("&").Id("methodTable").Index(jen.Lit(i))))
			}
		}),
		jen.Return(jen.Nil()),
	)
	f.Comment("Methods returns every method description, in manifest order.")
	f.Func().Id("Methods").Params().Index().Id("MethodInfo").Block(jen.Return(jen.Qual("slices", "Clone").Call(jen.Id("methodTable").Index(jen.Empty(), jen.Empty()))))
	f.Comment("AdvertisedMethods lists the method names hello-ok advertises to a client of protocol v.")
	f.Func().Id("AdvertisedMethods").Params(jen.Id("v").Int()).Index().String().Block(
		jen.Var().Id("out").Index().String(),
		jen.For(jen.Id("i").Op(":=").Range().Id("methodTable")).Block(
			jen.If(jen.Id("mi").Op(":=").Op("&").Id("methodTable").Index(jen.Id("i")), jen.Id("mi").Dot("Advertise").Op("&&").Id("mi").Dot("In").Call(jen.Id("v"))).Block(
				jen.Id("out").Op("=").Append(jen.Id("out"), jen.Id("mi").Dot("Name")),
			),
		),
		jen.Return(jen.Id("out")),
	)
	commentf(f, "BridgeAllowed reports whether a protocol-2 bridge node may call method with req: a method whose "+
		"manifest entry says \"bridge\": true, or one the original allows that no schema here defines yet "+
		"(manifest \"bridgePending\"%s).", pendingNote(m))
	f.Func().Id("BridgeAllowed").Params(jen.Id("method").String()).Bool().BlockFunc(func(g *jen.Group) {
		g.If(jen.Id("mi").Op(":=").Id("LookupMethod").Call(jen.Id("method")), jen.Id("mi").Op("!=").Nil()).Block(jen.Return(jen.Id("mi").Dot("Bridge")))
		if len(m.BridgePending) > 0 {
			g.Switch(jen.Id("method")).BlockFunc(func(g *jen.Group) {
				trueCases(g, m.BridgePending, func(s string) jen.Code { return jen.Lit(s) })
			})
		}
		g.Return(jen.False())
	})

	// Events.
	f.Comment("EventInfo describes one event, from schema/manifest.json.")
	f.Type().Id("EventInfo").Struct(
		jen.Id("Name").String(),
		jen.Id("protocols").Uint32(),
		jen.Comment("Scope: v3, only operators with this scope (or admin) receive it."),
		jen.Id("Scope").Id("Scope"),
		jen.Comment("Targeted: sent to one connection, without seq."),
		jen.Id("Targeted").Bool(),
	)
	f.Comment("In reports whether the event exists in protocol version v.")
	f.Func().Params(jen.Id("ei").Op("*").Id("EventInfo")).Id("In").Params(jen.Id("v").Int()).Bool().Block(
		jen.Return(jen.Id("v").Op(">=").Lit(0).Op("&&").Id("v").Op("<").Lit(32).Op("&&").Id("ei").Dot("protocols").Op("&").Parens(jen.Lit(1).Op("<<").Id("v")).Op("!=").Lit(0)),
	)
	f.Var().Id("eventTable").Op("=").Index(jen.Op("...")).Id("EventInfo").CustomFunc(multi, func(g *jen.Group) {
		for _, ev := range m.Events {
			g.Values(jen.Dict{
				jen.Id("Name"): jen.Lit(ev.Name), jen.Id("protocols"): jen.Lit(protoMask(ev.Protocols)),
				jen.Id("Scope"): jen.Id(scopeConst[ev.Scope]), jen.Id("Targeted"): jen.Lit(ev.Targeted),
			})
		}
	})
	f.Comment("LookupEvent returns the event's description, or nil for an unknown name.")
	f.Func().Id("LookupEvent").Params(jen.Id("name").String()).Op("*").Id("EventInfo").Block(
		jen.Switch(jen.Id("name")).BlockFunc(func(g *jen.Group) {
			for i, ev := range m.Events {
				g.Case(jen.Lit(ev.Name)).Block(jen.Return(jen.Op("&").Id("eventTable").Index(jen.Lit(i))))
			}
		}),
		jen.Return(jen.Nil()),
	)
	f.Comment("EventNames lists the events hello-ok advertises to a client of protocol v.")
	f.Func().Id("EventNames").Params(jen.Id("v").Int()).Index().String().Block(
		jen.Var().Id("out").Index().String(),
		jen.For(jen.Id("i").Op(":=").Range().Id("eventTable")).Block(
			jen.If(jen.Id("eventTable").Index(jen.Id("i")).Dot("In").Call(jen.Id("v"))).Block(
				jen.Id("out").Op("=").Append(jen.Id("out"), jen.Id("eventTable").Index(jen.Id("i")).Dot("Name")),
			),
		),
		jen.Return(jen.Id("out")),
	)
}

func pendingNote(m *model.Model) string {
	if len(m.BridgePending) == 0 {
		return ""
	}
	return ": " + strings.Join(m.BridgePending, ", ")
}

// genEvents emits the Event interface and, per payload type, its wire name and
// whether a slow consumer may miss it.
func genEvents(m *model.Model, f *jen.File) error {
	f.Comment("Event is an event payload: it knows its wire name and whether a slow consumer may miss it.")
	f.Type().Id("Event").Interface(
		jen.Id("EventName").Params().String(),
		jen.Id("Droppable").Params().Bool(),
		jen.Id("AppendJSON").Params(jen.Index().Byte()).Index().Byte(),
	)
	seenPayload := map[string]string{}
	for _, ev := range m.Events {
		pt := ev.Payload
		for pt.Schema.Kind == model.KindRef {
			pt = pt.Schema.Ref
		}
		if other, dup := seenPayload[pt.Name]; dup {
			return fmt.Errorf("events %s and %s share payload type %s", other, ev.Name, pt.Name)
		}
		seenPayload[pt.Name] = ev.Name
		f.Comment("EventName returns " + fmt.Sprintf("%q", ev.Name) + ".")
		f.Func().Params(jen.Op("*").Id(pt.Name)).Id("EventName").Params().String().Block(jen.Return(jen.Lit(ev.Name)))
		switch {
		case ev.Droppable.Property != "":
			var field *model.Prop
			for _, p := range model.Resolve(pt.Schema).Props {
				if p.JSON == ev.Droppable.Property {
					field = p
				}
			}
			if field == nil || !field.Required {
				return fmt.Errorf("event %s: droppable property %s must be a required property", ev.Name, ev.Droppable.Property)
			}
			commentf(f, "Droppable reports whether a slow consumer may miss this event: only when %s is one of %s.",
				ev.Droppable.Property, strings.Join(ev.Droppable.Values, ", "))
			f.Func().Params(jen.Id("v").Op("*").Id(pt.Name)).Id("Droppable").Params().Bool().Block(
				jen.Switch(jen.String().Call(jen.Id("v").Dot(field.Go))).BlockFunc(func(g *jen.Group) {
					trueCases(g, ev.Droppable.Values, func(s string) jen.Code { return jen.Lit(s) })
				}),
				jen.Return(jen.False()),
			)
		default:
			f.Comment(fmt.Sprintf("Droppable reports whether a slow consumer may miss this event (%v).", ev.Droppable.Always))
			f.Func().Params(jen.Op("*").Id(pt.Name)).Id("Droppable").Params().Bool().Block(jen.Return(jen.Lit(ev.Droppable.Always)))
		}
	}
	return nil
}
