package gogen

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/clawgate/gateway/tools/protogen/model"
)

type emitter struct {
	m        *model.Model
	out      *output
	tf, cf   *jen.File         // the types and codec files of the type being declared
	patterns map[string]string // pattern → var name
	tmp      int               // last local variable number of the type being declared
}

func (e *emitter) local(prefix string) string {
	e.tmp++
	return fmt.Sprintf("%s%d", prefix, e.tmp)
}

// protocolTypes returns the named types that belong to the protocol package.
func protocolTypes(m *model.Model) []*model.Named {
	var out []*model.Named
	for _, n := range m.Types {
		if n.File == model.ConfigFile {
			continue
		}
		out = append(out, n)
	}
	return out
}

// isScalar reports whether a named def is a plain scalar (inlined where referenced).
func isScalar(s *model.Schema) bool {
	switch s.Kind {
	case model.KindString:
		return len(s.Enum) == 0
	case model.KindInt, model.KindNumber, model.KindBool, model.KindAny:
		return true
	}
	return false
}

// target follows refs to aliases and scalar defs. It returns the schema that decides the
// Go shape, and the named type to use (nil for anonymous shapes).
func target(s *model.Schema) *model.Schema {
	for s.Kind == model.KindRef {
		t := s.Ref.Schema
		if t.Kind == model.KindRef || isScalar(t) {
			s = t
			continue
		}
		return s
	}
	return s
}

// typeName returns the Go type name a schema is declared under, or "".
func typeName(s *model.Schema) string {
	s = target(s)
	if s.Kind == model.KindRef {
		return s.Ref.Name
	}
	if s.Named != nil && !isScalar(s) {
		return s.Named.Name
	}
	return ""
}

// shape is the resolved body (following every ref).
func shape(s *model.Schema) *model.Schema { return model.Resolve(s) }

// nilable reports whether the Go type has a natural nil (so optional needs no pointer).
func nilable(s *model.Schema) bool {
	switch shape(s).Kind {
	case model.KindAny, model.KindArray, model.KindMap, model.KindUnion:
		return true
	}
	return false
}

// baseType is the Go type of a value of schema s, without optional/nullable pointer.
func (e *emitter) baseType(s *model.Schema) jen.Code {
	if name := typeName(s); name != "" {
		return jen.Id(name)
	}
	s = target(s)
	switch s.Kind {
	case model.KindString:
		return jen.String()
	case model.KindInt:
		return jen.Int64()
	case model.KindNumber:
		return jen.Float64()
	case model.KindBool:
		return jen.Bool()
	case model.KindAny:
		return jen.Qual(jsonPkg, "RawMessage")
	case model.KindArray:
		return jen.Index().Add(e.slotType(s.Items))
	case model.KindMap:
		return jen.Map(jen.String()).Add(e.slotType(s.Values))
	}
	panic(fmt.Sprintf("baseType: unexpected kind %d", s.Kind))
}

// pointerSlot reports whether a slot (field or element) holding s needs a pointer.
func pointerSlot(s *model.Schema, optional bool) bool {
	return (optional || s.Nullable || target(s).Nullable) && !nilable(s)
}

// slotType is the type of an array element or map value.
func (e *emitter) slotType(s *model.Schema) jen.Code {
	if pointerSlot(s, false) {
		return jen.Op("*").Add(e.baseType(s))
	}
	return e.baseType(s)
}

func (e *emitter) fieldType(p *model.Prop) jen.Code {
	if pointerSlot(p.Schema, !p.Required) {
		return jen.Op("*").Add(e.baseType(p.Schema))
	}
	return e.baseType(p.Schema)
}

func isNullable(s *model.Schema) bool { return s.Nullable || target(s).Nullable }

// fields returns the non-const properties: const discriminators are implied by the type.
func fields(s *model.Schema) []*model.Prop {
	var out []*model.Prop
	for _, p := range s.Props {
		if p.Schema.Const == nil {
			out = append(out, p)
		}
	}
	return out
}

// encodeOrder puts const discriminators first, then the rest in name order.
func encodeOrder(s *model.Schema) []*model.Prop {
	out := append([]*model.Prop(nil), s.Props...)
	sort.SliceStable(out, func(i, j int) bool {
		ci, cj := out[i].Schema.Const != nil, out[j].Schema.Const != nil
		return ci && !cj
	})
	return out
}

// declare emits a named type: its declaration (and getters) into the types file of
// its schema file, its decoder and encoder into the codec file.
func (e *emitter) declare(n *model.Named) {
	s := n.Schema
	if n.Into != nil {
		return // decoded into its canonical type; no type of its own
	}
	stem := fileStem(n.File)
	// Locals are numbered per type, so a new schema renames nothing in other files.
	e.tmp = 0
	e.tf, e.cf = e.out.file(stem+"_types_gen.go"), e.out.file(stem+"_codec_gen.go")
	doc := n.Name + ": " + n.Description
	if n.Description == "" {
		doc = n.Name + " is generated from " + n.Ref() + "."
	}
	switch {
	case s.Kind == model.KindRef:
		commentf(e.tf, "%s", doc)
		e.tf.Type().Id(n.Name).Op("=").Id(typeName(s))
	case s.Kind == model.KindString && len(s.Enum) > 0:
		commentf(e.tf, "%s", doc)
		e.tf.Type().Id(n.Name).String()
		e.tf.Const().DefsFunc(func(g *jen.Group) {
			for _, v := range s.Enum {
				g.Id(enumConst(n.Name, v)).Id(n.Name).Op("=").Lit(v)
			}
		})
		e.enumMethods(n)
	case isScalar(s):
		commentf(e.tf, "%s", doc)
		e.tf.Type().Id(n.Name).Op("=").Add(e.baseType(s))
	case s.Kind == model.KindObject:
		commentf(e.tf, "%s", doc)
		e.tf.Type().Id(n.Name).StructFunc(func(g *jen.Group) {
			for _, p := range fields(s) {
				groupComment(g, p.Schema.Description)
				g.Id(p.Go).Add(e.fieldType(p))
			}
		})
		e.getters(n)
		e.structMethods(n)
	case s.Kind == model.KindArray || s.Kind == model.KindMap:
		commentf(e.tf, "%s", doc)
		e.tf.Type().Id(n.Name).Add(e.baseType(&model.Schema{Kind: s.Kind, Items: s.Items, Values: s.Values}))
		e.containerMethods(n)
	case s.Kind == model.KindUnion:
		commentf(e.tf, "%s", doc)
		e.tf.Type().Id(n.Name).Interface(
			jen.Id("is"+n.Name).Params(),
			jen.Id("AppendJSON").Params(jen.Index().Byte()).Index().Byte(),
		)
		e.unionMethods(n)
	default:
		panic(fmt.Sprintf("declare %s: unexpected kind %d", n.Name, s.Kind))
	}
}

// getters emits a nil-safe getter for every pointer field (optional or nullable), in
// the manner of protobuf: GetX returns the value or its zero value, so hand code reads
// p.GetAccountID() instead of checking pointers, and chains through absent parents
// (p.GetAuth().GetToken()).
func (e *emitter) getters(n *model.Named) {
	for _, p := range fields(n.Schema) {
		if !pointerSlot(p.Schema, !p.Required) {
			continue
		}
		name := "Get" + p.Go
		for _, q := range fields(n.Schema) {
			if q.Go == name {
				panic(fmt.Sprintf("%s: getter %s collides with a field", n.Name, name))
			}
		}
		recv := jen.Id("v").Op("*").Id(n.Name)
		field := jen.Id("v").Dot(p.Go)
		if t := typeName(p.Schema); t != "" && shape(p.Schema).Kind == model.KindObject {
			// A struct: the pointer itself, so calls chain.
			e.tf.Commentf("%s returns %s (nil when unset or v is nil).", name, p.Go)
			e.tf.Func().Params(recv).Id(name).Params().Op("*").Id(t).Block(
				jen.If(jen.Id("v").Op("==").Nil()).Block(jen.Return(jen.Nil())),
				jen.Return(field),
			)
			continue
		}
		e.tf.Commentf("%s returns %s, or its zero value when unset or v is nil.", name, p.Go)
		var zero jen.Code
		switch shape(p.Schema).Kind {
		case model.KindString:
			zero = jen.Lit("")
		case model.KindInt, model.KindNumber:
			zero = jen.Lit(0)
		case model.KindBool:
			zero = jen.False()
		default:
			zero = jen.Nil()
		}
		e.tf.Func().Params(recv).Id(name).Params().Add(e.baseType(p.Schema)).Block(
			jen.If(jen.Id("v").Op("==").Nil().Op("||").Add(field).Op("==").Nil()).Block(jen.Return(zero)),
			jen.Return(jen.Op("*").Add(field)),
		)
	}
}

// enumConst names an enum value's constant: the type name and the value in Go case
// (SCREAMING_SNAKE values such as INVALID_REQUEST read InvalidRequest).
func enumConst(typ, v string) string {
	if screaming.MatchString(v) {
		v = strings.ToLower(v)
	}
	return typ + model.GoName(v)
}

var screaming = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

func (e *emitter) patternVar(p string) string {
	if v, ok := e.patterns[p]; ok {
		return v
	}
	v := "pattern" + strconv.Itoa(len(e.patterns))
	e.patterns[p] = v
	return v
}

// emitPatterns declares the compiled patterns, in the order they were first used.
func (e *emitter) emitPatterns() {
	pats := make([]string, 0, len(e.patterns))
	for p := range e.patterns {
		pats = append(pats, p)
	}
	sort.Slice(pats, func(i, j int) bool {
		a, _ := strconv.Atoi(e.patterns[pats[i]][len("pattern"):])
		b, _ := strconv.Atoi(e.patterns[pats[j]][len("pattern"):])
		return a < b
	})
	f := e.out.file("patterns_gen.go")
	for _, p := range pats {
		f.Comment("Compiled once; regexp.Regexp is safe for concurrent use.")
		f.Var().Id(e.patterns[p]).Op("=").Qual("regexp", "MustCompile").Call(jen.Lit(p))
	}
}
