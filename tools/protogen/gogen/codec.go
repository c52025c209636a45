package gogen

import (
	"math"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/clawgate/gateway/tools/protogen/model"
)

var (
	dID = jen.Id("d")
	bID = jen.Id("b")
)

// retErr emits `if err != nil { return wire.At(p, err) }` (or with extra return values).
func retErr(p jen.Code, pre ...jen.Code) jen.Code {
	vals := append(append([]jen.Code{}, pre...), wireQ("At").Call(p, jen.Err()))
	return jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(vals...))
}

func fail(p jen.Code, format string, args ...jen.Code) jen.Code {
	call := append([]jen.Code{p, jen.Lit(format)}, args...)
	return jen.Return(wireQ("Errorf").Call(call...))
}

// checks emits the constraint checks of a scalar schema on local x.
func (e *emitter) checks(g *jen.Group, s *model.Schema, x jen.Code, p jen.Code) {
	switch s.Kind {
	case model.KindString:
		if s.Const != nil {
			g.If(jen.Add(x).Op("!=").Lit(*s.Const)).Block(fail(p, "must be equal to constant %q", jen.Lit(*s.Const)))
		}
		if s.MinLength != nil && *s.MinLength > 0 {
			n := *s.MinLength
			cond := jen.Add(x).Op("==").Lit("")
			if n > 1 {
				cond = jen.Len(x).Op("<").Lit(n).Op("||").Qual("unicode/utf8", "RuneCountInString").Call(x).Op("<").Lit(n)
			}
			g.If(cond).Block(fail(p, "must NOT have fewer than %d characters", jen.Lit(n)))
		}
		if s.MaxLength != nil {
			n := *s.MaxLength
			g.If(jen.Len(x).Op(">").Lit(n).Op("&&").Qual("unicode/utf8", "RuneCountInString").Call(x).Op(">").Lit(n)).
				Block(fail(p, "must NOT have more than %d characters", jen.Lit(n)))
		}
		if s.Pattern != "" {
			g.If(jen.Op("!").Id(e.patternVar(s.Pattern)).Dot("MatchString").Call(x)).
				Block(fail(p, "must match pattern %q", jen.Lit(s.Pattern)))
		}
	case model.KindInt, model.KindNumber:
		bound := func(v float64) jen.Code {
			if s.Kind == model.KindInt {
				if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
					return jen.Lit(int64(v))
				}
				return nil
			}
			return jen.Lit(v)
		}
		lhs := func(v float64) jen.Code {
			if s.Kind == model.KindInt && bound(v) == nil {
				return jen.Float64().Call(x)
			}
			return x
		}
		lit := func(v float64) jen.Code {
			if b := bound(v); b != nil {
				return b
			}
			return jen.Lit(v)
		}
		if s.Minimum != nil {
			v := *s.Minimum
			g.If(jen.Add(lhs(v)).Op("<").Add(lit(v))).Block(fail(p, "must be >= "+fmtNum(v)))
		}
		if s.Maximum != nil {
			v := *s.Maximum
			g.If(jen.Add(lhs(v)).Op(">").Add(lit(v))).Block(fail(p, "must be <= "+fmtNum(v)))
		}
	}
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// decodeValue emits statements that decode one value of schema s into dst (an
// addressable expression of the base Go type) with path expression p.
func (e *emitter) decodeValue(g *jen.Group, s *model.Schema, dst jen.Code, p jen.Code) {
	if name := typeName(s); name != "" {
		t := target(s)
		body := shape(t)
		if body.Kind == model.KindUnion {
			x := e.local("u")
			g.List(jen.Id(x), jen.Err()).Op(":=").Id("decode"+name).Call(dID, p)
			g.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
			g.Add(dst).Op("=").Id(x)
			return
		}
		g.If(jen.Err().Op(":=").Add(dst).Dot("DecodeJSON").Call(dID, p), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
		return
	}
	s = target(s)
	x := e.local("x")
	switch s.Kind {
	case model.KindString, model.KindInt, model.KindNumber, model.KindBool:
		if s.Kind == model.KindString && s.Const != nil {
			// Compare in place: no string is allocated for a discriminator.
			g.BlockFunc(func(g *jen.Group) {
				g.List(jen.Id(x), jen.Err()).Op(":=").Add(dID).Dot("StringBytes").Call()
				g.Add(retErr(p))
				g.If(jen.String().Call(jen.Id(x)).Op("!=").Lit(*s.Const)).Block(fail(p, "must be equal to constant %q", jen.Lit(*s.Const)))
			})
			return
		}
		fn := map[model.Kind]string{model.KindString: "String", model.KindInt: "Int", model.KindNumber: "Float", model.KindBool: "Bool"}[s.Kind]
		g.BlockFunc(func(g *jen.Group) {
			g.List(jen.Id(x), jen.Err()).Op(":=").Add(dID).Dot(fn).Call()
			g.Add(retErr(p))
			e.checks(g, s, jen.Id(x), p)
			if s.Const == nil {
				g.Add(dst).Op("=").Id(x)
			}
		})
	case model.KindAny:
		g.BlockFunc(func(g *jen.Group) {
			g.List(jen.Id(x), jen.Err()).Op(":=").Add(dID).Dot("Raw").Call()
			g.Add(retErr(p))
			// Copy unless the caller owns the input: transports reuse their buffers.
			g.If(jen.Add(dID).Dot("BorrowRaw")).Block(jen.Add(dst).Op("=").Id(x)).
				Else().Block(jen.Add(dst).Op("=").Append(jen.Qual(jsonPkg, "RawMessage").Call(jen.Nil()), jen.Id(x).Op("...")))
		})
	case model.KindArray:
		g.BlockFunc(func(g *jen.Group) {
			i := e.local("i")
			g.If(jen.Err().Op(":=").Add(dID).Dot("BeginArray").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(wireQ("At").Call(p, jen.Err())))
			g.Id(x).Op(":=").Make(e.baseType(s), jen.Lit(0))
			g.For(jen.Id(i).Op(":=").Lit(0), jen.Empty(), jen.Id(i).Op("++")).BlockFunc(func(g *jen.Group) {
				g.List(jen.Id("more"), jen.Err()).Op(":=").Add(dID).Dot("NextElem").Call()
				g.Add(retErr(p))
				g.If(jen.Op("!").Id("more")).Block(jen.Break())
				if s.MaxItems != nil {
					g.If(jen.Id(i).Op(">=").Lit(*s.MaxItems)).Block(fail(p, "must NOT have more than %d items", jen.Lit(*s.MaxItems)))
				}
				ip := e.local("ip")
				g.Id(ip).Op(":=").Add(wireQ("Path")).Values(jen.Dict{jen.Id("Parent"): p, jen.Id("Index"): jen.Id(i), jen.Id("IsIndex"): jen.True()})
				el := e.local("el")
				g.Var().Id(el).Add(e.slotType(s.Items))
				e.decodeSlot(g, s.Items, jen.Id(el), jen.Op("&").Id(ip), pointerSlot(s.Items, false))
				g.Id(x).Op("=").Append(jen.Id(x), jen.Id(el))
			})
			if s.MinItems != nil && *s.MinItems > 0 {
				g.If(jen.Len(jen.Id(x)).Op("<").Lit(*s.MinItems)).Block(fail(p, "must NOT have fewer than %d items", jen.Lit(*s.MinItems)))
			}
			g.Add(dst).Op("=").Id(x)
		})
	case model.KindMap:
		g.BlockFunc(func(g *jen.Group) {
			g.If(jen.Err().Op(":=").Add(dID).Dot("BeginObject").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(wireQ("At").Call(p, jen.Err())))
			g.Id(x).Op(":=").Add(e.baseType(s)).Values()
			g.For().BlockFunc(func(g *jen.Group) {
				g.List(jen.Id("key"), jen.Id("more"), jen.Err()).Op(":=").Add(dID).Dot("NextKey").Call()
				g.Add(retErr(p))
				g.If(jen.Op("!").Id("more")).Block(jen.Break())
				k := e.local("k")
				g.Id(k).Op(":=").String().Call(jen.Id("key"))
				g.If(jen.List(jen.Id("_"), jen.Id("dup")).Op(":=").Id(x).Index(jen.Id(k)), jen.Id("dup")).Block(fail(p, "duplicate property %q", jen.Id(k)))
				kp := e.local("kp")
				g.Id(kp).Op(":=").Add(wireQ("Path")).Values(jen.Dict{jen.Id("Parent"): p, jen.Id("Key"): jen.Id(k)})
				el := e.local("el")
				g.Var().Id(el).Add(e.slotType(s.Values))
				e.decodeSlot(g, s.Values, jen.Id(el), jen.Op("&").Id(kp), pointerSlot(s.Values, false))
				g.Id(x).Index(jen.Id(k)).Op("=").Id(el)
			})
			g.Add(dst).Op("=").Id(x)
		})
	case model.KindNull:
		g.If(jen.Err().Op(":=").Add(dID).Dot("Null").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(wireQ("At").Call(p, jen.Err())))
	default:
		panic("decodeValue: unexpected kind")
	}
}

// decodeSlot decodes into a slot that may be a pointer (ptr) and may accept null.
func (e *emitter) decodeSlot(g *jen.Group, s *model.Schema, dst jen.Code, p jen.Code, ptr bool) {
	inner := func(g *jen.Group) {
		if !ptr {
			e.decodeValue(g, s, dst, p)
			return
		}
		v := e.local("v")
		g.Var().Id(v).Add(e.baseType(s))
		e.decodeValue(g, s, jen.Id(v), p)
		g.Add(dst).Op("=").Op("&").Id(v)
	}
	if isNullable(s) && shape(s).Kind != model.KindAny {
		g.If(jen.Add(dID).Dot("Peek").Call().Op("==").Add(wireQ("KindNull"))).Block(
			jen.If(jen.Err().Op(":=").Add(dID).Dot("Null").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(wireQ("At").Call(p, jen.Err()))),
		).Else().BlockFunc(inner)
		return
	}
	inner(g)
}

// structDecoder emits the body of an object decoder: wire properties props, each
// stored into the field returned by field (Go name and whether it is a pointer).
func (e *emitter) structDecoder(g *jen.Group, props []*model.Prop, field func(*model.Prop) (string, bool)) {
	p := jen.Id("p")
	g.If(jen.Err().Op(":=").Add(dID).Dot("BeginObject").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(wireQ("At").Call(p, jen.Err())))
	if len(props) > 0 {
		g.Var().Id("seen").Index(jen.Lit(len(props))).Bool()
	}
	g.For().BlockFunc(func(g *jen.Group) {
		g.List(jen.Id("key"), jen.Id("more"), jen.Err()).Op(":=").Add(dID).Dot("NextKey").Call()
		g.Add(retErr(p))
		g.If(jen.Op("!").Id("more")).Block(jen.Break())
		g.Switch(jen.String().Call(jen.Id("key"))).BlockFunc(func(g *jen.Group) {
			for i, pr := range props {
				g.Case(jen.Lit(pr.JSON)).BlockFunc(func(g *jen.Group) {
					g.If(jen.Id("seen").Index(jen.Lit(i))).Block(fail(p, "duplicate property %q", jen.Lit(pr.JSON)))
					g.Id("seen").Index(jen.Lit(i)).Op("=").True()
					g.Id("pp").Op(":=").Add(wireQ("Path")).Values(jen.Dict{jen.Id("Parent"): p, jen.Id("Key"): jen.Lit(pr.JSON)})
					if pr.Schema.Const != nil {
						e.decodeValue(g, pr.Schema, jen.Id("_"), jen.Op("&").Id("pp"))
						return
					}
					name, ptr := field(pr)
					e.decodeSlot(g, pr.Schema, jen.Id("v").Dot(name), jen.Op("&").Id("pp"), ptr)
				})
			}
			g.Default().Block(fail(p, "must NOT have additional properties (%q)", jen.String().Call(jen.Id("key"))))
		})
	})
	for i, pr := range props {
		if pr.Required {
			g.If(jen.Op("!").Id("seen").Index(jen.Lit(i))).Block(fail(p, "must have required property '%s'", jen.Lit(pr.JSON)))
		}
	}
	g.Return(jen.Nil())
}

// encodeValue appends src (an expression of the base Go type of s) to b.
func (e *emitter) encodeValue(g *jen.Group, s *model.Schema, src jen.Code) {
	if name := typeName(s); name != "" {
		if shape(s).Kind == model.KindUnion {
			g.If(jen.Add(src).Op("==").Nil()).Block(jen.Add(bID).Op("=").Append(bID, jen.Lit("null").Op("..."))).
				Else().Block(jen.Add(bID).Op("=").Add(src).Dot("AppendJSON").Call(bID))
			return
		}
		g.Add(bID).Op("=").Add(src).Dot("AppendJSON").Call(bID)
		return
	}
	s = target(s)
	switch s.Kind {
	case model.KindString:
		g.Add(bID).Op("=").Add(wireQ("AppendString")).Call(bID, src)
	case model.KindInt:
		g.Add(bID).Op("=").Add(wireQ("AppendInt")).Call(bID, src)
	case model.KindNumber:
		g.Add(bID).Op("=").Add(wireQ("AppendFloat")).Call(bID, src)
	case model.KindBool:
		g.Add(bID).Op("=").Add(wireQ("AppendBool")).Call(bID, src)
	case model.KindAny:
		g.If(jen.Len(src).Op("==").Lit(0)).Block(jen.Add(bID).Op("=").Append(bID, jen.Lit("null").Op("..."))).
			Else().Block(jen.Add(bID).Op("=").Append(bID, jen.Add(src).Op("...")))
	case model.KindArray:
		g.Add(bID).Op("=").Append(bID, jen.LitRune('['))
		i, x := e.local("i"), e.local("x")
		g.For(jen.List(jen.Id(i), jen.Id(x)).Op(":=").Range().Add(src)).BlockFunc(func(g *jen.Group) {
			g.If(jen.Id(i).Op(">").Lit(0)).Block(jen.Add(bID).Op("=").Append(bID, jen.LitRune(',')))
			e.encodeSlot(g, s.Items, jen.Id(x), pointerSlot(s.Items, false))
		})
		g.Add(bID).Op("=").Append(bID, jen.LitRune(']'))
	case model.KindMap:
		g.Add(bID).Op("=").Append(bID, jen.LitRune('{'))
		i, k := e.local("i"), e.local("k")
		// Sorted keys: deterministic output.
		g.For(jen.List(jen.Id(i), jen.Id(k)).Op(":=").Range().Qual("slices", "Sorted").Call(jen.Qual("maps", "Keys").Call(src))).BlockFunc(func(g *jen.Group) {
			g.If(jen.Id(i).Op(">").Lit(0)).Block(jen.Add(bID).Op("=").Append(bID, jen.LitRune(',')))
			g.Add(bID).Op("=").Add(wireQ("AppendString")).Call(bID, jen.Id(k))
			g.Add(bID).Op("=").Append(bID, jen.LitRune(':'))
			x := e.local("x")
			g.Id(x).Op(":=").Add(src).Index(jen.Id(k))
			e.encodeSlot(g, s.Values, jen.Id(x), pointerSlot(s.Values, false))
		})
		g.Add(bID).Op("=").Append(bID, jen.LitRune('}'))
	default:
		panic("encodeValue: unexpected kind")
	}
}

func (e *emitter) encodeSlot(g *jen.Group, s *model.Schema, src jen.Code, ptr bool) {
	if !ptr {
		e.encodeValue(g, s, src)
		return
	}
	g.If(jen.Add(src).Op("==").Nil()).Block(jen.Add(bID).Op("=").Append(bID, jen.Lit("null").Op("..."))).
		Else().BlockFunc(func(g *jen.Group) {
		if typeName(s) != "" && shape(s).Kind != model.KindUnion {
			e.encodeValue(g, s, src) // pointer receivers take the pointer as is
			return
		}
		e.encodeValue(g, s, jen.Parens(jen.Op("*").Add(src)))
	})
}

// structEncoder emits an object encoder over props, reading fields via field; key
// renames the wire key (for protocol-2 encodings).
func (e *emitter) structEncoder(g *jen.Group, props []*model.Prop, field func(*model.Prop) (string, bool, bool), key func(*model.Prop) string) {
	// Every member is written as `,"key":value`; the first comma becomes the brace.
	g.Id("start").Op(":=").Len(bID)
	for _, pr := range props {
		lit := "," + strconv.Quote(key(pr)) + ":"
		if pr.Schema.Const != nil {
			g.Add(bID).Op("=").Append(bID, jen.Lit(lit+strconv.Quote(*pr.Schema.Const)).Op("..."))
			continue
		}
		name, ptr, required := field(pr)
		src := jen.Id("v").Dot(name)
		writeKey := jen.Add(bID).Op("=").Append(bID, jen.Lit(lit).Op("..."))
		switch {
		case ptr && required: // required nullable: null when unset
			g.Add(writeKey)
			e.encodeSlot(g, pr.Schema, src, true)
		case ptr || (!required && nilable(pr.Schema)):
			g.If(jen.Add(src).Op("!=").Nil()).BlockFunc(func(g *jen.Group) {
				g.Add(writeKey)
				e.encodeSlot(g, pr.Schema, src, ptr)
			})
		case nilable(pr.Schema) && shape(pr.Schema).Kind == model.KindArray && !isNullable(pr.Schema):
			g.Add(writeKey)
			g.If(jen.Add(src).Op("==").Nil()).Block(jen.Add(bID).Op("=").Append(bID, jen.Lit("[]").Op("..."))).
				Else().BlockFunc(func(g *jen.Group) { e.encodeValue(g, pr.Schema, src) })
		case nilable(pr.Schema) && shape(pr.Schema).Kind == model.KindMap && !isNullable(pr.Schema):
			g.Add(writeKey)
			g.If(jen.Add(src).Op("==").Nil()).Block(jen.Add(bID).Op("=").Append(bID, jen.Lit("{}").Op("..."))).
				Else().BlockFunc(func(g *jen.Group) { e.encodeValue(g, pr.Schema, src) })
		case nilable(pr.Schema) && shape(pr.Schema).Kind == model.KindArray:
			g.Add(writeKey)
			g.If(jen.Add(src).Op("==").Nil()).Block(jen.Add(bID).Op("=").Append(bID, jen.Lit("null").Op("..."))).
				Else().BlockFunc(func(g *jen.Group) { e.encodeValue(g, pr.Schema, src) })
		default:
			g.Add(writeKey)
			e.encodeValue(g, pr.Schema, src)
		}
	}
	g.If(jen.Len(bID).Op("==").Id("start")).Block(jen.Return(jen.Append(bID, jen.Lit("{}").Op("..."))))
	g.Add(bID).Index(jen.Id("start")).Op("=").LitRune('{')
	g.Return(jen.Append(bID, jen.LitRune('}')))
}

func (e *emitter) canonField(p *model.Prop) (string, bool) {
	return p.Go, pointerSlot(p.Schema, !p.Required)
}

func (e *emitter) structMethods(n *model.Named) {
	s := n.Schema
	recv := jen.Id("v").Op("*").Id(n.Name)
	dp := []jen.Code{jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("p").Op("*").Add(wireQ("Path"))}
	e.cf.Comment("DecodeJSON reads one " + n.Name + " from d, checking every constraint of its schema; p is the JSON path of the value, for errors.")
	e.cf.Func().Params(recv).Id("DecodeJSON").Params(dp...).Error().BlockFunc(func(g *jen.Group) {
		e.structDecoder(g, s.Props, e.canonField)
	})
	e.cf.Comment("AppendJSON appends the JSON encoding of v to b.")
	e.cf.Func().Params(recv).Id("AppendJSON").Params(jen.Id("b").Index().Byte()).Index().Byte().BlockFunc(func(g *jen.Group) {
		e.structEncoder(g, encodeOrder(s), func(p *model.Prop) (string, bool, bool) {
			name, ptr := e.canonField(p)
			return name, ptr, p.Required
		}, func(p *model.Prop) string { return p.JSON })
	})
	e.commonMethods(n)
	// Protocol-2 variants that decode into this type.
	for _, v2 := range e.m.Types {
		if v2.Into != n {
			continue
		}
		canon := map[string]*model.Prop{}
		for _, p := range s.Props {
			canon[p.JSON] = p
		}
		cp := func(p *model.Prop) *model.Prop {
			name := p.JSON
			if r, ok := v2.Rename[name]; ok {
				name = r
			}
			return canon[name]
		}
		e.cf.Comment("decode" + v2.Name + " reads the protocol-2 form (" + v2.Ref() + ") into a " + n.Name + ".")
		e.cf.Func().Id("decode" + v2.Name).Params(append(dp, jen.Id("v").Op("*").Id(n.Name))...).Error().BlockFunc(func(g *jen.Group) {
			e.structDecoder(g, v2.Schema.Props, func(p *model.Prop) (string, bool) { return e.canonField(cp(p)) })
		})
		e.cf.Comment("AppendJSONV2 appends the protocol-2 form (" + v2.Ref() + ") of v to b; fields protocol 2 lacks are left out.")
		e.cf.Func().Params(recv).Id("AppendJSONV2").Params(jen.Id("b").Index().Byte()).Index().Byte().BlockFunc(func(g *jen.Group) {
			e.structEncoder(g, encodeOrder(v2.Schema), func(p *model.Prop) (string, bool, bool) {
				name, ptr := e.canonField(cp(p))
				return name, ptr, cp(p).Required
			}, func(p *model.Prop) string { return p.JSON })
		})
	}
}

// commonMethods emits UnmarshalJSON/MarshalJSON on top of DecodeJSON/AppendJSON.
func (e *emitter) commonMethods(n *model.Named) {
	e.cf.Comment("UnmarshalJSON decodes and validates data; like encoding/json, null is a no-op.")
	e.cf.Func().Params(jen.Id("v").Op("*").Id(n.Name)).Id("UnmarshalJSON").Params(jen.Id("data").Index().Byte()).Error().Block(
		jen.If(jen.String().Call(jen.Id("data")).Op("==").Lit("null")).Block(jen.Return(jen.Nil())),
		jen.Var().Id("zero").Id(n.Name),
		jen.Op("*").Id("v").Op("=").Id("zero"),
		jen.Return(rpcQ("DecodeAll").Call(jen.Id("data"), jen.Id("v").Dot("DecodeJSON"))),
	)
	e.cf.Comment("MarshalJSON encodes v with AppendJSON.")
	e.cf.Func().Params(jen.Id("v").Id(n.Name)).Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Parens(jen.Op("&").Id("v")).Dot("AppendJSON").Call(jen.Nil()), jen.Nil()),
	)
}

func (e *emitter) enumMethods(n *model.Named) {
	s := n.Schema
	e.tf.Comment("Valid reports whether v is one of the schema's values.")
	e.tf.Func().Params(jen.Id("v").Id(n.Name)).Id("Valid").Params().Bool().Block(
		jen.Switch(jen.Id("v")).BlockFunc(func(g *jen.Group) {
			var names []string
			for _, val := range s.Enum {
				names = append(names, enumConst(n.Name, val))
			}
			trueCases(g, names, func(s string) jen.Code { return jen.Id(s) })
		}),
		jen.Return(jen.False()),
	)
	e.cf.Comment("DecodeJSON reads one " + n.Name + " from d and checks it is a known value.")
	e.cf.Func().Params(jen.Id("v").Op("*").Id(n.Name)).Id("DecodeJSON").Params(jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("p").Op("*").Add(wireQ("Path"))).Error().Block(
		jen.List(jen.Id("x"), jen.Err()).Op(":=").Id("d").Dot("StringBytes").Call(),
		retErr(jen.Id("p")),
		// Switching on the bytes assigns the constant: no allocation.
		jen.Switch(jen.String().Call(jen.Id("x"))).BlockFunc(func(g *jen.Group) {
			for _, val := range s.Enum {
				g.Case(jen.Lit(val)).Block(jen.Op("*").Id("v").Op("=").Id(enumConst(n.Name, val)))
			}
			g.Default().Block(fail(jen.Id("p"), "must be equal to one of the allowed values"))
		}),
		jen.Return(jen.Nil()),
	)
	e.cf.Comment("AppendJSON appends v as a JSON string.")
	e.cf.Func().Params(jen.Id("v").Op("*").Id(n.Name)).Id("AppendJSON").Params(jen.Id("b").Index().Byte()).Index().Byte().Block(
		jen.Return(wireQ("AppendString").Call(jen.Id("b"), jen.String().Call(jen.Op("*").Id("v")))),
	)
	e.commonMethods(n)
}

func (e *emitter) containerMethods(n *model.Named) {
	s := n.Schema
	e.cf.Comment("DecodeJSON reads one " + n.Name + " from d, checking every constraint of its schema.")
	e.cf.Func().Params(jen.Id("v").Op("*").Id(n.Name)).Id("DecodeJSON").Params(jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("p").Op("*").Add(wireQ("Path"))).Error().BlockFunc(func(g *jen.Group) {
		body := &model.Schema{Kind: s.Kind, Items: s.Items, Values: s.Values, MinItems: s.MinItems, MaxItems: s.MaxItems}
		g.Var().Id("x").Add(e.baseType(body))
		e.decodeValue(g, body, jen.Id("x"), jen.Id("p"))
		g.Op("*").Id("v").Op("=").Id("x")
		g.Return(jen.Nil())
	})
	e.cf.Comment("AppendJSON appends the JSON encoding of v to b.")
	e.cf.Func().Params(jen.Id("v").Op("*").Id(n.Name)).Id("AppendJSON").Params(jen.Id("b").Index().Byte()).Index().Byte().BlockFunc(func(g *jen.Group) {
		body := &model.Schema{Kind: s.Kind, Items: s.Items, Values: s.Values}
		if s.Kind == model.KindArray {
			g.If(jen.Op("*").Id("v").Op("==").Nil()).Block(jen.Return(jen.Append(bID, jen.Lit("[]").Op("..."))))
		}
		e.encodeValue(g, body, jen.Parens(jen.Op("*").Id("v")))
		g.Return(bID)
	})
	e.commonMethods(n)
}

func (e *emitter) unionMethods(n *model.Named) {
	s := n.Schema
	for _, v := range s.Variants {
		e.tf.Func().Params(jen.Op("*").Id(v.Name)).Id("is" + n.Name).Params().Block()
	}
	e.cf.Comment("decode" + n.Name + " reads one " + n.Name + ", choosing the member by its " + s.Discriminator + " property.")
	e.cf.Func().Id("decode"+n.Name).Params(jen.Id("d").Op("*").Add(wireQ("Decoder")), jen.Id("p").Op("*").Add(wireQ("Path"))).Params(jen.Id(n.Name), jen.Error()).BlockFunc(func(g *jen.Group) {
		g.If(jen.Id("d").Dot("Peek").Call().Op("!=").Add(wireQ("KindObject"))).Block(
			jen.List(jen.Id("_"), jen.Err()).Op(":=").Id("d").Dot("Raw").Call(),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), wireQ("At").Call(jen.Id("p"), jen.Err()))),
			jen.Return(jen.Nil(), wireQ("Errorf").Call(jen.Id("p"), jen.Lit("must be object"))),
		)
		g.List(jen.Id("raw"), jen.Err()).Op(":=").Id("d").Dot("Raw").Call()
		g.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), wireQ("At").Call(jen.Id("p"), jen.Err())))
		g.List(jen.Id("tag"), jen.Id("found")).Op(":=").Add(rpcQ("SniffString")).Call(jen.Id("raw"), jen.Lit(s.Discriminator))
		g.If(jen.Op("!").Id("found")).Block(jen.Return(jen.Nil(), wireQ("Errorf").Call(jen.Id("p"), jen.Lit("must have required property '"+s.Discriminator+"'"))))
		g.Id("sub").Op(":=").Add(wireQ("NewDecoder")).Call(jen.Id("raw"))
		g.Switch(jen.Id("tag")).BlockFunc(func(g *jen.Group) {
			for _, v := range s.Variants {
				g.Case(jen.Lit(model.DiscriminatorValue(v, s.Discriminator))).Block(
					jen.Id("x").Op(":=").New(jen.Id(v.Name)),
					jen.If(jen.Err().Op(":=").Id("x").Dot("DecodeJSON").Call(jen.Id("sub"), jen.Id("p")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
					jen.Return(jen.Id("x"), jen.Nil()),
				)
			}
		})
		g.Return(jen.Nil(), wireQ("Errorf").Call(jen.Id("p"), jen.Lit(s.Discriminator+" must be equal to one of the allowed values")))
	})
	e.cf.Comment("Decode" + n.Name + " decodes and validates one " + n.Name + " document.")
	e.cf.Func().Id("Decode"+n.Name).Params(jen.Id("data").Index().Byte()).Params(jen.Id(n.Name), jen.Error()).Block(
		jen.Id("d").Op(":=").Add(wireQ("NewDecoder")).Call(jen.Id("data")),
		jen.List(jen.Id("v"), jen.Err()).Op(":=").Id("decode"+n.Name).Call(jen.Id("d"), jen.Nil()),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.If(jen.Err().Op(":=").Id("d").Dot("End").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), wireQ("At").Call(jen.Nil(), jen.Err()))),
		jen.Return(jen.Id("v"), jen.Nil()),
	)
}
