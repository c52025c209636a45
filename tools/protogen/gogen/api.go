package gogen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/clawgate/gateway/tools/protogen/model"
)

var ctxParam = jen.Id("ctx").Qual("context", "Context")

func resultType(me *model.Method) jen.Code { return jen.Op("*").Id(me.Result.Name) }

// genHandlers emits one interface per method group, and the Unimplemented handler
// that answers for a group nobody serves.
func genHandlers(m *model.Model, f *jen.File) {
	for _, g := range groups(m) {
		commentf(f, "%s serves the %q methods. C is the server's per-call context (connection, identity). "+
			"Hand an implementation to the Mux with Set%s.", g.iface(), g.Name, g.Go)
		f.Type().Id(g.iface()).Types(jen.Id("C").Any()).InterfaceFunc(func(ig *jen.Group) {
			for _, me := range methodsOf(m, g) {
				ig.Comment(fmt.Sprintf("%s serves %q.", me.GoName, me.Name))
				ig.Id(me.GoName).Params(ctxParam, jen.Id("c").Id("C"), jen.Id("p").Op("*").Id(me.Params.Name)).Params(resultType(me), jen.Error())
			}
		})
	}
	for _, g := range groups(m) {
		un := "Unimplemented" + g.iface()
		commentf(f, "%s answers every %q method with UNAVAILABLE \"<method> is not implemented by this gateway yet\". "+
			"The Mux uses it for a group that was never set; embed it in an implementation that serves only part "+
			"of the group, so the gap is explicit and the answer is honest.", un, g.Name)
		f.Type().Id(un).Types(jen.Id("C").Any()).Struct()
		for _, me := range methodsOf(m, g) {
			f.Commentf("%s answers %q: not implemented.", me.GoName, me.Name)
			f.Func().Params(jen.Id(un).Types(jen.Id("C"))).Id(me.GoName).
				Params(jen.Qual("context", "Context"), jen.Id("C"), jen.Op("*").Id(me.Params.Name)).Params(resultType(me), jen.Error()).Block(
				jen.Return(jen.Nil(), jen.Id("errNotImplemented").Call(jen.Lit(me.Name))),
			)
		}
	}
}

// prologue readies the decoder of Dispatch and DecodeParams: a caller's decoder keeps
// its scratch buffer across calls; else one on the stack.
func prologue(g *jen.Group) {
	g.If(jen.Len(jen.Id("params")).Op("==").Lit(0)).Block(jen.Id("params").Op("=").Add(rpcQ("EmptyParams")))
	g.Var().Id("dec").Add(wireQ("Decoder"))
	g.If(jen.Id("d").Op("==").Nil()).Block(jen.Id("d").Op("=").Op("&").Id("dec"))
	g.Id("d").Dot("Reset").Call(jen.Id("params"))
	g.Id("d").Dot("BorrowRaw").Op("=").True()
}

func decodeFunc(me *model.Method) string { return "decode" + me.GoName + "Params" }

// genDispatch emits one params decoder per method, shared by DecodeParams and the
// Mux, and DecodeParams.
func genDispatch(m *model.Model, f *jen.File) {
	dp := []jen.Code{jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("v").Int()}
	for _, me := range m.Methods {
		fn := decodeFunc(me)
		if me.ParamsV2 != nil && me.ParamsV2.Into == nil {
			// A protocol-2 form with a type of its own (connect): either type.
			commentf(f, "%s decodes and validates the params of %q for protocol v (a *%s for protocol 2, else a *%s).",
				fn, me.Name, me.ParamsV2.Name, me.Params.Name)
			decode := func(typ string) []jen.Code {
				return []jen.Code{
					jen.Id("x").Op(":=").New(jen.Id(typ)),
					jen.Err().Op(":=").Id("x").Dot("DecodeJSON").Call(jen.Id("d"), jen.Nil()),
					jen.If(jen.Err().Op("==").Nil()).Block(jen.Err().Op("=").Id("d").Dot("End").Call()),
					jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Id("errParams").Call(jen.Lit(me.Name), jen.Err()))),
					jen.Return(jen.Id("x"), jen.Nil()),
				}
			}
			f.Func().Id(fn).Params(dp...).Params(jen.Any(), jen.Error()).BlockFunc(func(g *jen.Group) {
				g.If(jen.Id("v").Op("==").Lit(2)).Block(decode(me.ParamsV2.Name)...)
				for _, c := range decode(me.Params.Name) {
					g.Add(c)
				}
			})
			continue
		}
		commentf(f, "%s decodes and validates the params of %q for protocol v.", fn, me.Name)
		f.Func().Id(fn).Params(dp...).Params(jen.Op("*").Id(me.Params.Name), jen.Error()).BlockFunc(func(g *jen.Group) {
			g.Id("x").Op(":=").New(jen.Id(me.Params.Name))
			if me.ParamsV2 != nil {
				g.Var().Err().Error()
				g.If(jen.Id("v").Op("==").Lit(2)).Block(
					jen.Err().Op("=").Id("decode"+me.ParamsV2.Name).Call(jen.Id("d"), jen.Nil(), jen.Id("x")),
				).Else().Block(
					jen.Err().Op("=").Id("x").Dot("DecodeJSON").Call(jen.Id("d"), jen.Nil()),
				)
			} else {
				g.Err().Op(":=").Id("x").Dot("DecodeJSON").Call(jen.Id("d"), jen.Nil())
			}
			g.If(jen.Err().Op("==").Nil()).Block(jen.Err().Op("=").Id("d").Dot("End").Call())
			g.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Id("errParams").Call(jen.Lit(me.Name), jen.Err())))
			g.Return(jen.Id("x"), jen.Nil())
		})
	}
	commentf(f, "DecodeParams decodes and validates the params of method for protocol version v. Absent params "+
		"(nil) mean {}. It returns the params (a pointer to the method's params type) or an *rpc.Error: "+
		"INVALID_REQUEST for an unknown method or params that fail the schema (details.path locates the failure). "+
		"Free-form values in the result alias params: the caller must not reuse that buffer. d, when not nil, is "+
		"reused (its scratch buffer saves allocations across calls).")
	f.Func().Id("DecodeParams").Params(jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("method").String(), jen.Id("v").Int(), jen.Id("params").Index().Byte()).
		Params(jen.Any(), jen.Error()).BlockFunc(func(g *jen.Group) {
		prologue(g)
		g.Switch(jen.Id("method")).BlockFunc(func(g *jen.Group) {
			for _, me := range m.Methods {
				in := jen.Id("methodTable").Index(jen.Lit(methodIndex(m, me))).Dot("In").Call(jen.Id("v"))
				call := jen.Id(decodeFunc(me)).Call(jen.Id("d"), jen.Id("v"))
				if me.ParamsV2 != nil && me.ParamsV2.Into == nil {
					g.Case(jen.Lit(me.Name)).Block(jen.If(in).Block(jen.Return(call)))
					continue
				}
				// Never a typed nil in the interface.
				g.Case(jen.Lit(me.Name)).Block(jen.If(in).Block(
					jen.List(jen.Id("x"), jen.Err()).Op(":=").Add(call),
					jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
					jen.Return(jen.Id("x"), jen.Nil()),
				))
			}
		})
		g.Return(jen.Nil(), jen.Id("errUnknownMethod").Call(jen.Id("method")))
	})
}

func dispatchFunc(me *model.Method) string { return "dispatch" + me.GoName }

// genMux emits the Mux: a handler slot per group with its setter, and Dispatch.
func genMux(m *model.Model, f *jen.File) {
	gs := groups(m)
	commentf(f, "Mux routes every dispatched method to the handler of its group: the one table a server needs. "+
		"Hand each group's implementation to it with its setter (mux.SetSessions(h)) before serving; a group that "+
		"was never set answers with its Unimplemented handler, so the zero value is ready to use and a gap is an "+
		"honest UNAVAILABLE on the wire. The setters are not safe to call while Dispatch runs.")
	f.Type().Id("Mux").Types(jen.Id("C").Any()).StructFunc(func(sg *jen.Group) {
		for _, g := range gs {
			sg.Id(g.field()).Id(g.iface()).Types(jen.Id("C"))
		}
	})
	f.Comment("NewMux returns a Mux in which every group is unimplemented.")
	f.Func().Id("NewMux").Types(jen.Id("C").Any()).Params().Op("*").Id("Mux").Types(jen.Id("C")).Block(
		jen.Return(jen.New(jen.Id("Mux").Types(jen.Id("C")))),
	)
	recv := jen.Id("m").Op("*").Id("Mux").Types(jen.Id("C"))
	for _, g := range gs {
		commentf(f, "Set%s serves the %q methods with h (nil: Unimplemented%s again).", g.Go, g.Name, g.iface())
		f.Func().Params(recv.Clone()).Id("Set" + g.Go).Params(jen.Id("h").Id(g.iface()).Types(jen.Id("C"))).Block(
			jen.Id("m").Dot(g.field()).Op("=").Id("h"),
		)
		commentf(f, "%s returns the handler of the %q methods, or nil when none was set.", g.Go, g.Name)
		f.Func().Params(recv.Clone()).Id(g.Go).Params().Id(g.iface()).Types(jen.Id("C")).Block(
			jen.Return(jen.Id("m").Dot(g.field())),
		)
	}
	commentf(f, "Dispatch validates params for method (protocol version v) and calls the handler of its group. It "+
		"returns the handler's result or error, or an *rpc.Error: INVALID_REQUEST for an unknown method or params "+
		"that fail the schema (details.path), UNAVAILABLE for a group without a handler. d, when not nil, is "+
		"reused. Free-form values handed to the handler alias params: the caller must not reuse that buffer.")
	f.Func().Params(recv.Clone()).Id("Dispatch").
		Params(ctxParam, jen.Id("c").Id("C"), jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("v").Int(), jen.Id("method").String(), jen.Id("params").Index().Byte()).
		Params(rpcQ("Payload"), jen.Error()).BlockFunc(func(g *jen.Group) {
		prologue(g)
		g.Switch(jen.Id("method")).BlockFunc(func(g *jen.Group) {
			for _, me := range dispatched(m) {
				g.Case(jen.Lit(me.Name)).Block(
					jen.If(jen.Id("methodTable").Index(jen.Lit(methodIndex(m, me))).Dot("In").Call(jen.Id("v"))).Block(
						jen.Return(jen.Id("m").Dot(dispatchFunc(me)).Call(jen.Id("ctx"), jen.Id("c"), jen.Id("d"), jen.Id("v"))),
					),
				)
			}
		})
		g.Return(jen.Nil(), jen.Id("errUnknownMethod").Call(jen.Id("method")))
	})
	for _, me := range dispatched(m) {
		g := groupOf(m, me)
		f.Commentf("%s decodes the params of %q and calls the %q group's %s.", dispatchFunc(me), me.Name, g.Name, me.GoName)
		f.Func().Params(recv.Clone()).Id(dispatchFunc(me)).
			Params(ctxParam, jen.Id("c").Id("C"), jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("v").Int()).
			Params(rpcQ("Payload"), jen.Error()).Block(
			jen.List(jen.Id("p"), jen.Err()).Op(":=").Id(decodeFunc(me)).Call(jen.Id("d"), jen.Id("v")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
			jen.Id("h").Op(":=").Id("m").Dot(g.field()),
			jen.If(jen.Id("h").Op("==").Nil()).Block(jen.Id("h").Op("=").Id("Unimplemented"+g.iface()).Types(jen.Id("C")).Values()),
			jen.List(jen.Id("r"), jen.Err()).Op(":=").Id("h").Dot(me.GoName).Call(jen.Id("ctx"), jen.Id("c"), jen.Id("p")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
			jen.If(jen.Id("r").Op("==").Nil()).Block(jen.Return(noResult(me))),
			jen.Return(jen.Id("r"), jen.Nil()),
		)
	}
}

// noResult is what dispatch returns for a handler's nil result: payload null when the
// method's result schema is nullable (the original's "none yet"), else ErrNoResult. The
// nil pointer itself is never returned: as a Payload it would be a non-nil interface.
func noResult(me *model.Method) (jen.Code, jen.Code) {
	if me.NullableResult() {
		return rpcQ("Null"), jen.Nil()
	}
	return jen.Nil(), rpcQ("ErrNoResult")
}

// genClient emits the typed client calls.
func genClient(m *model.Model, f *jen.File) {
	f.Comment("Caller sends one request and decodes its result; clients/go implements it.")
	f.Comment("For a protocol-2 connection it should encode params with AppendJSONV2 when they have it.")
	f.Type().Id("Caller").Interface(
		jen.Id("Call").Params(ctxParam, jen.Id("method").String(), jen.Id("params").Id("Payload"), jen.Id("result").Id("Decodable")).Error(),
	)
	f.Comment("Calls offers one typed method per wire method on top of a Caller.")
	f.Type().Id("Calls").Struct(jen.Id("Caller").Id("Caller"))
	for _, me := range dispatched(m) {
		if me.NullableResult() {
			f.Comment(fmt.Sprintf("%s calls %q. Its result may be null: that is (nil, nil).", me.GoName, me.Name))
			f.Func().Params(jen.Id("c").Id("Calls")).Id(me.GoName).Params(ctxParam, jen.Id("p").Op("*").Id(me.Params.Name)).Params(resultType(me), jen.Error()).Block(
				jen.If(jen.Id("p").Op("==").Nil()).Block(jen.Id("p").Op("=").Op("&").Id(me.Params.Name).Values()),
				jen.Var().Id("r").Add(rpcQ("Nullable")).Types(jen.Id(me.Result.Name), resultType(me)),
				jen.If(jen.Err().Op(":=").Id("c").Dot("Caller").Dot("Call").Call(jen.Id("ctx"), jen.Lit(me.Name), jen.Id("p"), jen.Op("&").Id("r")), jen.Err().Op("!=").Nil()).
					Block(jen.Return(jen.Nil(), jen.Err())),
				jen.Return(jen.Id("r").Dot("V"), jen.Nil()),
			)
			continue
		}
		f.Comment(fmt.Sprintf("%s calls %q.", me.GoName, me.Name))
		f.Func().Params(jen.Id("c").Id("Calls")).Id(me.GoName).Params(ctxParam, jen.Id("p").Op("*").Id(me.Params.Name)).Params(resultType(me), jen.Error()).Block(
			jen.If(jen.Id("p").Op("==").Nil()).Block(jen.Id("p").Op("=").Op("&").Id(me.Params.Name).Values()),
			jen.Id("r").Op(":=").New(jen.Id(me.Result.Name)),
			jen.If(jen.Err().Op(":=").Id("c").Dot("Caller").Dot("Call").Call(jen.Id("ctx"), jen.Lit(me.Name), jen.Id("p"), jen.Id("r")), jen.Err().Op("!=").Nil()).
				Block(jen.Return(jen.Nil(), jen.Err())),
			jen.Return(jen.Id("r"), jen.Nil()),
		)
	}
}

// genValidate emits validation by schema location (tests, the differential check
// against kaptinlin).
func genValidate(m *model.Model, f *jen.File) {
	f.Comment("Validate decodes data against the schema at ref (\"methods/send.json#/$defs/params\") with the")
	f.Comment("generated code. It reports false for an unknown ref.")
	dpath := []jen.Code{jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("p").Op("*").Add(wireQ("Path"))}
	f.Func().Id("Validate").Params(jen.Id("ref").String(), jen.Id("data").Index().Byte()).Params(jen.Error(), jen.Bool()).BlockFunc(func(g *jen.Group) {
		g.Switch(jen.Id("ref")).BlockFunc(func(g *jen.Group) {
			for _, n := range defsInOrder(m) {
				body := func(g *jen.Group) {
					switch {
					case n.Into != nil:
						g.Var().Id("v").Id(n.Into.Name)
						g.Return(rpcQ("DecodeAll").Call(jen.Id("data"), jen.Func().Params(dpath...).Error().Block(
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
						dec := jen.Id("v").Dot("DecodeJSON")
						if n.Schema.Nullable { // a nullable root (a method's "none yet" result)
							dec = rpcQ("OrNull").Call(dec)
						}
						g.Return(rpcQ("DecodeAll").Call(jen.Id("data"), dec), jen.True())
					default:
						e := &emitter{m: m, patterns: map[string]string{}}
						g.Return(rpcQ("DecodeAll").Call(jen.Id("data"), jen.Func().Params(dpath...).Error().BlockFunc(func(g *jen.Group) {
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
	f.Func().Id("SchemaRefs").Params().Index().String().Block(jen.Return(jen.Index().String().CustomFunc(multi, func(g *jen.Group) {
		for _, n := range defsInOrder(m) {
			g.Lit(n.Ref())
		}
	})))
}
