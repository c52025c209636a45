package gogen

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/clawgate/gateway/tools/protogen/model"
)

// Generate returns the generated files of gen/go/protocol, by file name.
func Generate(m *model.Model) (map[string][]byte, error) {
	out := map[string][]byte{}
	var err error
	if out["types_gen.go"], err = genTypes(m); err != nil {
		return nil, fmt.Errorf("types: %w", err)
	}
	if out["api_gen.go"], err = genAPI(m); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	return out, nil
}

func newFile() *jen.File {
	f := jen.NewFile("protocol")
	f.HeaderComment(Header)
	f.ImportName(WirePkg, "wire")
	return f
}

func render(f *jen.File) ([]byte, error) {
	var sb strings.Builder
	if err := f.Render(&sb); err != nil {
		return nil, err
	}
	return []byte(sb.String()), nil
}

func genTypes(m *model.Model) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	e := &emitter{m: m, f: newFile(), patterns: map[string]string{}}
	e.f.PackageComment("Package protocol holds the gateway protocol's Go types, validating decoders, encoders,\ndispatch table, handler interfaces and typed client calls, generated from schema/.")
	for _, n := range protocolTypes(m) {
		e.declare(n)
	}
	// Helpers shared by the generated decoders.
	e.f.Comment("errAt attaches the JSON path p to a scanner error.")
	e.f.Func().Id("errAt").Params(jen.Id("p").Op("*").Add(wireQ("Path")), jen.Err().Error()).Error().Block(
		jen.Return(wireQ("At").Call(jen.Id("p"), jen.Err())),
	)
	e.f.Comment("decodeAll decodes a whole document with fn and rejects trailing data.")
	e.f.Func().Id("decodeAll").Params(jen.Id("data").Index().Byte(), jen.Id("fn").Func().Params(jen.Op("*").Add(wireQ("Decoder")), jen.Op("*").Add(wireQ("Path"))).Error()).Error().Block(
		jen.Id("d").Op(":=").Add(wireQ("NewDecoder")).Call(jen.Id("data")),
		jen.If(jen.Err().Op(":=").Id("fn").Call(jen.Id("d"), jen.Nil()), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
		jen.If(jen.Err().Op(":=").Id("d").Dot("End").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("errAt").Call(jen.Nil(), jen.Err()))),
		jen.Return(jen.Nil()),
	)
	e.f.Comment("sniffString returns the string value of a top-level key of the JSON object raw.")
	e.f.Func().Id("sniffString").Params(jen.Id("raw").Index().Byte(), jen.Id("key").String()).Params(jen.String(), jen.Bool()).Block(
		jen.Id("d").Op(":=").Add(wireQ("NewDecoder")).Call(jen.Id("raw")),
		jen.If(jen.Id("d").Dot("BeginObject").Call().Op("!=").Nil()).Block(jen.Return(jen.Lit(""), jen.False())),
		jen.For().Block(
			jen.List(jen.Id("k"), jen.Id("more"), jen.Err()).Op(":=").Id("d").Dot("NextKey").Call(),
			jen.If(jen.Err().Op("!=").Nil().Op("||").Op("!").Id("more")).Block(jen.Return(jen.Lit(""), jen.False())),
			jen.If(jen.String().Call(jen.Id("k")).Op("==").Id("key")).Block(
				jen.List(jen.Id("v"), jen.Err()).Op(":=").Id("d").Dot("String").Call(),
				jen.Return(jen.Id("v"), jen.Err().Op("==").Nil()),
			),
			jen.If(jen.Id("d").Dot("Skip").Call().Op("!=").Nil()).Block(jen.Return(jen.Lit(""), jen.False())),
		),
	)
	pats := make([]string, 0, len(e.patterns))
	for p := range e.patterns {
		pats = append(pats, p)
	}
	sort.Slice(pats, func(i, j int) bool { return e.patterns[pats[i]] < e.patterns[pats[j]] })
	for _, p := range pats {
		e.f.Comment("Compiled once; regexp.Regexp is safe for concurrent use.")
		e.f.Var().Id(e.patterns[p]).Op("=").Qual("regexp", "MustCompile").Call(jen.Lit(p))
	}
	return render(e.f)
}

var scopeConst = map[string]string{
	"none": "ScopeNone", "read": "ScopeRead", "write": "ScopeWrite", "admin": "ScopeAdmin",
	"pairing": "ScopePairing", "approvals": "ScopeApprovals", "node": "ScopeNode", "": "ScopeNone",
}

func protoMask(ps []int) int {
	m := 0
	for _, p := range ps {
		m |= 1 << p
	}
	return m
}

func groupName(g string) string { return model.GoMethodName(g) + "Handler" }

func dispatched(m *model.Model) []*model.Method {
	var out []*model.Method
	for _, me := range m.Methods {
		if me.Group != "handshake" {
			out = append(out, me)
		}
	}
	return out
}

func groups(m *model.Model) []string {
	var gs []string
	for _, me := range dispatched(m) {
		if !slices.Contains(gs, me.Group) {
			gs = append(gs, me.Group)
		}
	}
	sort.Strings(gs)
	return gs
}

func resultType(me *model.Method) jen.Code { return jen.Op("*").Id(me.Result.Name) }

func genAPI(m *model.Model) ([]byte, error) {
	for _, me := range dispatched(m) {
		if me.ParamsV2 != nil && me.ParamsV2.Into == nil {
			return nil, fmt.Errorf("method %s: protocol-2 params must decode into %s (only the handshake may differ in type)", me.Name, me.Params.Name)
		}
	}
	f := newFile()
	ctx := jen.Id("ctx").Qual("context", "Context")

	f.Comment("Protocol versions this schema set describes.")
	f.Const().Defs(
		jen.Id("MinProtocol").Op("=").Lit(m.MinProtocol),
		jen.Id("MaxProtocol").Op("=").Lit(m.MaxProtocol),
	)

	// Scopes and tables.
	f.Comment("Scope is the v3 authorization a method needs (operator.admin passes every scope).")
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
	f.Comment("MethodInfo describes one wire method, from schema/manifest.json.")
	f.Type().Id("MethodInfo").Struct(
		jen.Id("Name").String(),
		jen.Id("Group").String(),
		jen.Id("protocols").Uint32(),
		jen.Id("Scope").Id("Scope"),
		jen.Id("Advertise").Bool().Comment("listed in hello-ok.features.methods"),
		jen.Id("IdempotencyKey").Bool().Comment("params carry a required idempotencyKey"),
	)
	f.Comment("In reports whether the method exists in protocol version v.")
	f.Func().Params(jen.Id("mi").Op("*").Id("MethodInfo")).Id("In").Params(jen.Id("v").Int()).Bool().Block(
		jen.Return(jen.Id("v").Op(">=").Lit(0).Op("&&").Id("v").Op("<").Lit(32).Op("&&").Id("mi").Dot("protocols").Op("&").Parens(jen.Lit(1).Op("<<").Id("v")).Op("!=").Lit(0)),
	)
	f.Var().Id("methodTable").Op("=").Index(jen.Op("...")).Id("MethodInfo").ValuesFunc(func(g *jen.Group) {
		for _, me := range m.Methods {
			g.Values(jen.Dict{
				jen.Id("Name"): jen.Lit(me.Name), jen.Id("Group"): jen.Lit(me.Group),
				jen.Id("protocols"): jen.Lit(protoMask(me.Protocols)), jen.Id("Scope"): jen.Id(scopeConst[me.Scope]),
				jen.Id("Advertise"): jen.Lit(me.Advertise), jen.Id("IdempotencyKey"): jen.Lit(me.IdempotencyKey),
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

	// Events.
	f.Comment("EventInfo describes one event, from schema/manifest.json.")
	f.Type().Id("EventInfo").Struct(
		jen.Id("Name").String(),
		jen.Id("protocols").Uint32(),
		jen.Id("Scope").Id("Scope").Comment("v3: only operators with this scope (or admin) receive it"),
		jen.Id("Targeted").Bool().Comment("sent to one connection, without seq"),
	)
	f.Comment("In reports whether the event exists in protocol version v.")
	f.Func().Params(jen.Id("ei").Op("*").Id("EventInfo")).Id("In").Params(jen.Id("v").Int()).Bool().Block(
		jen.Return(jen.Id("v").Op(">=").Lit(0).Op("&&").Id("v").Op("<").Lit(32).Op("&&").Id("ei").Dot("protocols").Op("&").Parens(jen.Lit(1).Op("<<").Id("v")).Op("!=").Lit(0)),
	)
	f.Var().Id("eventTable").Op("=").Index(jen.Op("...")).Id("EventInfo").ValuesFunc(func(g *jen.Group) {
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
			return nil, fmt.Errorf("events %s and %s share payload type %s", other, ev.Name, pt.Name)
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
				return nil, fmt.Errorf("event %s: droppable property %s must be a required property", ev.Name, ev.Droppable.Property)
			}
			f.Comment("Droppable reports whether a slow consumer may miss this event: only when " + ev.Droppable.Property + " is one of " + strings.Join(ev.Droppable.Values, ", ") + ".")
			f.Func().Params(jen.Id("v").Op("*").Id(pt.Name)).Id("Droppable").Params().Bool().Block(
				jen.Switch(jen.String().Call(jen.Id("v").Dot(field.Go))).Block(
					jen.Case(jen.ListFunc(func(g *jen.Group) {
						for _, val := range ev.Droppable.Values {
							g.Lit(val)
						}
					})).Block(jen.Return(jen.True())),
				),
				jen.Return(jen.False()),
			)
		default:
			f.Comment(fmt.Sprintf("Droppable reports whether a slow consumer may miss this event (%v).", ev.Droppable.Always))
			f.Func().Params(jen.Op("*").Id(pt.Name)).Id("Droppable").Params().Bool().Block(jen.Return(jen.Lit(ev.Droppable.Always)))
		}
	}

	// Handler interfaces, one per group, and the union.
	f.Comment("Payload is anything that encodes itself as JSON without reflection.")
	f.Type().Id("Payload").Interface(jen.Id("AppendJSON").Params(jen.Index().Byte()).Index().Byte())
	f.Comment("Decodable is anything that decodes and validates itself from a wire.Decoder.")
	f.Type().Id("Decodable").Interface(jen.Id("DecodeJSON").Params(jen.Op("*").Add(wireQ("Decoder")), jen.Op("*").Add(wireQ("Path"))).Error())
	for _, g := range groups(m) {
		f.Commentf("%s serves the %q methods. C is the server's per-call context (connection, identity).", groupName(g), g)
		f.Type().Id(groupName(g)).Types(jen.Id("C").Any()).InterfaceFunc(func(ig *jen.Group) {
			for _, me := range dispatched(m) {
				if me.Group != g {
					continue
				}
				ig.Comment(fmt.Sprintf("%s serves %q.", me.GoName, me.Name))
				ig.Id(me.GoName).Params(ctx, jen.Id("c").Id("C"), jen.Id("p").Op("*").Id(me.Params.Name)).Params(resultType(me), jen.Error())
			}
		})
	}
	for _, g := range groups(m) {
		un := "Unimplemented" + groupName(g)
		f.Commentf("%s answers every %q method with ErrNotImplemented. A server embeds it only for a\ngroup it does not serve yet, so the gap is explicit and the answer is honest.", un, g)
		f.Type().Id(un).Types(jen.Id("C").Any()).Struct()
		for _, me := range dispatched(m) {
			if me.Group != g {
				continue
			}
			f.Func().Params(jen.Id(un).Types(jen.Id("C"))).Id(me.GoName).Params(jen.Qual("context", "Context"), jen.Id("C"), jen.Op("*").Id(me.Params.Name)).Params(resultType(me), jen.Error()).Block(
				jen.Return(jen.Nil(), jen.Op("&").Id("ErrNotImplemented").Values(jen.Lit(me.Name))),
			)
		}
	}
	f.Comment("ErrNotImplemented is returned by the Unimplemented handlers.")
	f.Type().Id("ErrNotImplemented").Struct(jen.Id("Method").String())
	f.Func().Params(jen.Id("e").Op("*").Id("ErrNotImplemented")).Id("Error").Params().String().Block(jen.Return(jen.Id("e").Dot("Method").Op("+").Lit(" is not implemented by this gateway yet")))
	f.Comment("Handler serves every dispatched method; the compiler lists what a server still lacks.")
	f.Type().Id("Handler").Types(jen.Id("C").Any()).InterfaceFunc(func(ig *jen.Group) {
		for _, g := range groups(m) {
			ig.Id(groupName(g)).Types(jen.Id("C"))
		}
	})

	// Errors of dispatch.
	f.Comment("ErrUnknownMethod is returned by Dispatch for a method that does not exist in the connection's protocol.")
	f.Type().Id("ErrUnknownMethod").Struct(jen.Id("Method").String())
	f.Func().Params(jen.Id("e").Op("*").Id("ErrUnknownMethod")).Id("Error").Params().String().Block(jen.Return(jen.Lit("unknown method: ").Op("+").Id("e").Dot("Method")))
	f.Comment("ParamsError is returned by Dispatch when params fail the method's schema.")
	f.Type().Id("ParamsError").Struct(jen.Id("Method").String(), jen.Id("Err").Op("*").Add(wireQ("ValidationError")))
	f.Func().Params(jen.Id("e").Op("*").Id("ParamsError")).Id("Error").Params().String().Block(
		jen.Return(jen.Lit("invalid ").Op("+").Id("e").Dot("Method").Op("+").Lit(" params: ").Op("+").Id("e").Dot("Err").Dot("Error").Call()),
	)
	f.Func().Params(jen.Id("e").Op("*").Id("ParamsError")).Id("Unwrap").Params().Error().Block(jen.Return(jen.Id("e").Dot("Err")))
	f.Comment("ErrNoResult is returned by Dispatch when a handler returned neither a result nor an error.")
	f.Var().Id("ErrNoResult").Op("=").Qual("errors", "New").Call(jen.Lit("handler returned no result"))
	f.Func().Id("paramsErr").Params(jen.Id("method").String(), jen.Err().Error()).Error().Block(
		jen.Var().Id("ve").Op("*").Add(wireQ("ValidationError")),
		jen.If(jen.Qual("errors", "As").Call(jen.Err(), jen.Op("&").Id("ve"))).Block(jen.Return(jen.Op("&").Id("ParamsError").Values(jen.Id("method"), jen.Id("ve")))),
		jen.Return(jen.Op("&").Id("ParamsError").Values(jen.Id("method"), jen.Op("&").Add(wireQ("ValidationError")).Values(jen.Dict{jen.Id("Msg"): jen.Err().Dot("Error").Call()}))),
	)
	f.Comment("emptyParams stands in for absent params, which mean {}.")
	f.Var().Id("emptyParams").Op("=").Index().Byte().Call(jen.Lit("{}"))

	// DecodeParams and Dispatch.
	f.Comment("DecodeParams decodes and validates the params of method for protocol version v. Absent params (nil) mean {}.\nFree-form values in the result alias params: the caller must not reuse that buffer.\nd, when not nil, is reused (its scratch buffer saves allocations across calls).")
	f.Func().Id("DecodeParams").Params(jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("method").String(), jen.Id("v").Int(), jen.Id("params").Index().Byte()).Params(jen.Any(), jen.Error()).BlockFunc(func(g *jen.Group) {
		g.If(jen.Len(jen.Id("params")).Op("==").Lit(0)).Block(jen.Id("params").Op("=").Id("emptyParams"))
		// A caller's decoder keeps its scratch buffer across calls; else one on the stack.
		g.Var().Id("dec").Add(wireQ("Decoder"))
		g.If(jen.Id("d").Op("==").Nil()).Block(jen.Id("d").Op("=").Op("&").Id("dec"))
		g.Id("d").Dot("Reset").Call(jen.Id("params"))
		g.Id("d").Dot("BorrowRaw").Op("=").True()
		g.Switch(jen.Id("method")).BlockFunc(func(g *jen.Group) {
			for _, me := range m.Methods {
				g.Case(jen.Lit(me.Name)).BlockFunc(func(g *jen.Group) {
					g.If(jen.Op("!").Id("methodTable").Index(jen.Lit(slices.Index(m.Methods, me))).Dot("In").Call(jen.Id("v"))).Block(jen.Break())
					decodeParams(g, me, func(x jen.Code) jen.Code { return jen.Return(x, jen.Nil()) }, func(err jen.Code) jen.Code {
						return jen.Return(jen.Nil(), jen.Id("paramsErr").Call(jen.Id("method"), err))
					})
				})
			}
		})
		g.Return(jen.Nil(), jen.Op("&").Id("ErrUnknownMethod").Values(jen.Id("method")))
	})
	f.Comment("Dispatch validates params for method (protocol version v) and calls the matching handler.\nIt returns *ErrUnknownMethod, *ParamsError, or the handler's result or error. Free-form\nvalues handed to the handler alias params: the caller must not reuse that buffer.")
	f.Func().Id("Dispatch").Types(jen.Id("C").Any()).Params(ctx, jen.Id("h").Id("Handler").Types(jen.Id("C")), jen.Id("c").Id("C"), jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("v").Int(), jen.Id("method").String(), jen.Id("params").Index().Byte()).Params(jen.Id("Payload"), jen.Error()).BlockFunc(func(g *jen.Group) {
		g.If(jen.Len(jen.Id("params")).Op("==").Lit(0)).Block(jen.Id("params").Op("=").Id("emptyParams"))
		// A caller's decoder keeps its scratch buffer across calls; else one on the stack.
		g.Var().Id("dec").Add(wireQ("Decoder"))
		g.If(jen.Id("d").Op("==").Nil()).Block(jen.Id("d").Op("=").Op("&").Id("dec"))
		g.Id("d").Dot("Reset").Call(jen.Id("params"))
		g.Id("d").Dot("BorrowRaw").Op("=").True()
		g.Switch(jen.Id("method")).BlockFunc(func(g *jen.Group) {
			for _, me := range dispatched(m) {
				g.Case(jen.Lit(me.Name)).BlockFunc(func(g *jen.Group) {
					g.If(jen.Op("!").Id("methodTable").Index(jen.Lit(slices.Index(m.Methods, me))).Dot("In").Call(jen.Id("v"))).Block(jen.Break())
					decodeParams(g, me, func(x jen.Code) jen.Code {
						return jen.Block(
							jen.List(jen.Id("r"), jen.Err()).Op(":=").Id("h").Dot(me.GoName).Call(jen.Id("ctx"), jen.Id("c"), x),
							jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
							jen.If(jen.Id("r").Op("==").Nil()).Block(jen.Return(jen.Nil(), jen.Id("ErrNoResult"))),
							jen.Return(jen.Id("r"), jen.Nil()),
						)
					}, func(err jen.Code) jen.Code {
						return jen.Return(jen.Nil(), jen.Id("paramsErr").Call(jen.Id("method"), err))
					})
				})
			}
		})
		g.Return(jen.Nil(), jen.Op("&").Id("ErrUnknownMethod").Values(jen.Id("method")))
	})

	// Typed client calls.
	f.Comment("Caller sends one request and decodes its result; clients/go implements it.\nFor a protocol-2 connection it should encode params with AppendJSONV2 when they have it.")
	f.Type().Id("Caller").Interface(
		jen.Id("Call").Params(ctx, jen.Id("method").String(), jen.Id("params").Id("Payload"), jen.Id("result").Id("Decodable")).Error(),
	)
	f.Comment("Calls offers one typed method per wire method on top of a Caller.")
	f.Type().Id("Calls").Struct(jen.Id("Caller").Id("Caller"))
	for _, me := range dispatched(m) {
		f.Comment(fmt.Sprintf("%s calls %q.", me.GoName, me.Name))
		f.Func().Params(jen.Id("c").Id("Calls")).Id(me.GoName).Params(ctx, jen.Id("p").Op("*").Id(me.Params.Name)).Params(resultType(me), jen.Error()).Block(
			jen.If(jen.Id("p").Op("==").Nil()).Block(jen.Id("p").Op("=").Op("&").Id(me.Params.Name).Values()),
			jen.Id("r").Op(":=").New(jen.Id(me.Result.Name)),
			jen.If(jen.Err().Op(":=").Id("c").Dot("Caller").Dot("Call").Call(jen.Id("ctx"), jen.Lit(me.Name), jen.Id("p"), jen.Id("r")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
			jen.Return(jen.Id("r"), jen.Nil()),
		)
	}

	// Validation by schema location (tests, differential checks against kaptinlin).
	f.Comment("Validate decodes data against the schema at ref (\"methods/send.json#/$defs/params\") with the\ngenerated code. It reports false for an unknown ref.")
	f.Func().Id("Validate").Params(jen.Id("ref").String(), jen.Id("data").Index().Byte()).Params(jen.Error(), jen.Bool()).BlockFunc(func(g *jen.Group) {
		g.Switch(jen.Id("ref")).BlockFunc(func(g *jen.Group) {
			for _, n := range defsInOrder(m) {
				body := func(g *jen.Group) {
					switch {
					case n.Into != nil:
						g.Var().Id("v").Id(n.Into.Name)
						g.Return(jen.Id("decodeAll").Call(jen.Id("data"), jen.Func().Params(jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("p").Op("*").Add(wireQ("Path"))).Error().Block(
							jen.Return(jen.Id("decode"+n.Name).Call(jen.Id("d"), jen.Id("p"), jen.Op("&").Id("v"))),
						)), jen.True())
					case n.Schema.Kind == model.KindUnion:
						g.List(jen.Id("_"), jen.Err()).Op(":=").Id("Decode" + n.Name).Call(jen.Id("data"))
						g.Return(jen.Err(), jen.True())
					case typeName(n.Schema) != "" || (n.Schema.Named != nil && !isScalar(n.Schema)):
						name := typeName(n.Schema)
						if name == "" {
							name = n.Name
						}
						g.Var().Id("v").Id(name)
						g.Return(jen.Id("decodeAll").Call(jen.Id("data"), jen.Id("v").Dot("DecodeJSON")), jen.True())
					default:
						e := &emitter{m: m, patterns: map[string]string{}}
						g.Return(jen.Id("decodeAll").Call(jen.Id("data"), jen.Func().Params(jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("p").Op("*").Add(wireQ("Path"))).Error().BlockFunc(func(g *jen.Group) {
							g.Var().Id("v").Add(e.baseType(n.Schema))
							e.decodeValue(g, n.Schema, jen.Id("v"), jen.Id("p"))
							g.Id("_").Op("=").Id("v")
							g.Return(jen.Nil())
						})), jen.True())
						if len(e.patterns) > 0 {
							panic("scalar def with pattern: " + n.Ref())
						}
					}
				}
				g.Case(jen.Lit(n.Ref())).BlockFunc(body)
			}
		})
		g.Return(jen.Nil(), jen.False())
	})
	f.Comment("SchemaRefs lists every ref Validate knows.")
	f.Func().Id("SchemaRefs").Params().Index().String().Block(jen.Return(jen.Index().String().ValuesFunc(func(g *jen.Group) {
		for _, n := range defsInOrder(m) {
			g.Lit(n.Ref())
		}
	})))
	return render(f)
}

// decodeParams emits the decoding of a method's params according to version v.
func decodeParams(g *jen.Group, me *model.Method, ok func(jen.Code) jen.Code, bad func(jen.Code) jen.Code) {
	g.Id("x").Op(":=").New(jen.Id(me.Params.Name))
	call := jen.Id("x").Dot("DecodeJSON").Call(jen.Id("d"), jen.Nil())
	if me.ParamsV2 != nil && me.ParamsV2.Into != nil {
		call = jen.Id("decode"+me.ParamsV2.Name).Call(jen.Id("d"), jen.Nil(), jen.Id("x"))
		g.Var().Err().Error()
		g.If(jen.Id("v").Op("==").Lit(2)).Block(jen.Err().Op("=").Add(call)).Else().Block(jen.Err().Op("=").Id("x").Dot("DecodeJSON").Call(jen.Id("d"), jen.Nil()))
	} else if me.ParamsV2 != nil {
		// A protocol-2 form with a type of its own (connect).
		g.If(jen.Id("v").Op("==").Lit(2)).Block(
			jen.Id("x2").Op(":=").New(jen.Id(me.ParamsV2.Name)),
			jen.Err().Op(":=").Id("x2").Dot("DecodeJSON").Call(jen.Id("d"), jen.Nil()),
			jen.If(jen.Err().Op("==").Nil()).Block(jen.Err().Op("=").Id("d").Dot("End").Call()),
			jen.If(jen.Err().Op("!=").Nil()).Block(bad(jen.Err())),
			ok(jen.Id("x2")),
		)
		g.Err().Op(":=").Add(call)
	} else {
		g.Err().Op(":=").Add(call)
	}
	g.If(jen.Err().Op("==").Nil()).Block(jen.Err().Op("=").Id("d").Dot("End").Call())
	g.If(jen.Err().Op("!=").Nil()).Block(bad(jen.Err()))
	g.Add(ok(jen.Id("x")))
}

func defsInOrder(m *model.Model) []*model.Named {
	var out []*model.Named
	for _, n := range m.Types {
		if n.Inline || n.File == model.ConfigFile {
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref() < out[j].Ref() })
	return out
}
