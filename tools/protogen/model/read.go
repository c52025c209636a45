package model

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The dialect (schema/README.md). Every rule below is checked by the reader; nothing
// else reads the schemas.
var (
	// dialect lists every keyword a schema may use.
	dialect = map[string]bool{
		"$schema": true, "$id": true, "$defs": true,
		"title": true, "description": true, "examples": true, "default": true, "deprecated": true,
		"type": true, "properties": true, "required": true, "additionalProperties": true,
		"items": true, "minItems": true, "maxItems": true,
		"minLength": true, "maxLength": true, "pattern": true, "enum": true, "const": true,
		"minimum": true, "maximum": true,
		"$ref": true, "anyOf": true, "oneOf": true,
	}
	rootOnly   = map[string]bool{"$schema": true, "$id": true, "$defs": true}
	annotation = map[string]bool{"title": true, "description": true, "examples": true, "default": true, "deprecated": true}
	// appliesTo names the types a type-specific keyword may be used with.
	appliesTo = map[string][]string{
		"properties": {"object"}, "required": {"object"}, "additionalProperties": {"object"},
		"items": {"array"}, "minItems": {"array"}, "maxItems": {"array"},
		"minLength": {"string"}, "maxLength": {"string"}, "pattern": {"string"},
		"enum": {"string"}, "const": {"string"},
		"minimum": {"integer", "number"}, "maximum": {"integer", "number"},
	}
	typeNames   = map[string]bool{"string": true, "integer": true, "number": true, "boolean": true, "object": true, "array": true, "null": true}
	scalarTypes = map[string]bool{"string": true, "integer": true, "number": true, "boolean": true}
	// rootKeys may appear at the root of a file that keeps its schemas in $defs.
	rootKeys = map[string]bool{"$schema": true, "$id": true, "title": true, "description": true, "$defs": true}
	// exampleDefs must carry examples in method and event files.
	exampleDefs = map[string]bool{"params": true, "paramsV2": true, "result": true, "payload": true}
)

// reader builds a Model from Files and collects every problem on the way.
type reader struct {
	m        *Model
	docs     map[string]any
	paths    []string // every .json path, sorted
	problems Problems
	titles   map[string]string // def title → where it was first seen
	unions   []*Schema         // oneOf nodes, checked once every body is built
}

func (r *reader) add(file, ptr, format string, args ...any) {
	r.problems = append(r.problems, Problem{file, ptr, fmt.Sprintf(format, args...)})
}

// Read builds the model of a schema directory and returns it with every problem
// found, sorted by file. The model is complete only when there are no problems; with
// problems it holds what could be built (nodes that could not are marked Broken).
func Read(files Files) (*Model, Problems) {
	r := &reader{
		m: &Model{
			Defs:       map[string]*Named{},
			Files:      map[string][]byte{},
			FileRoots:  map[string]*FileDoc{},
			Unreadable: map[string]error{},
			byName:     map[string]*Named{},
		},
		docs:   map[string]any{},
		titles: map[string]string{},
	}
	for p, data := range files {
		if !strings.HasSuffix(p, ".json") {
			continue
		}
		r.paths = append(r.paths, p)
		r.m.Files[p] = data
		v, err := parseJSON(data)
		if err != nil {
			r.m.Unreadable[p] = err
			continue
		}
		r.docs[p] = v
	}
	sort.Strings(r.paths)

	// Register every def (and the config root) first, so refs resolve in any order.
	for _, p := range r.paths {
		if IsMeta(p) {
			continue
		}
		r.file(p)
	}
	// Then build the bodies.
	for _, n := range r.namedInOrder() {
		root := n.Key == "" && IsConfig(n.File)
		var s *Schema
		if root {
			// The config file is the original's shape, exported from its zod schema
			// (tools/configschema): it is checked against the config dialect, not
			// modelled as wire types (protogen makes its Go types separately).
			s = r.configRoot(n.File, n.Raw)
		} else {
			s = r.node(n.File, n.Pointer(), n.Raw, n.Name, root)
		}
		s.Named = n
		n.Schema = s
		if n.Description == "" {
			n.Description = s.Description
		}
	}
	r.aliasCycles()
	for _, u := range r.unions {
		r.union(u)
	}
	r.manifest()
	r.uiHints()

	m := r.m
	for _, key := range []string{"frames/req.json#/$defs/RequestFrame", "frames/res.json#/$defs/ResponseFrame", "frames/event.json#/$defs/EventFrame", "frames/frame.json#/$defs/Frame"} {
		if n := m.Defs[key]; n != nil {
			m.Frames = append(m.Frames, n)
		}
	}
	if len(m.Frames) != 4 {
		m.Frames = nil
	}
	m.ErrorCode = m.Defs["defs.json#/$defs/ErrorCode"]
	m.Types = make([]*Named, 0, len(m.byName))
	for _, n := range m.byName {
		m.Types = append(m.Types, n)
	}
	sort.Slice(m.Types, func(i, j int) bool { return m.Types[i].Name < m.Types[j].Name })
	for p, err := range m.Unreadable {
		r.add(p, "", "%v", err)
	}
	sort.SliceStable(r.problems, func(i, j int) bool { return r.problems[i].File < r.problems[j].File })
	return m, r.problems
}

func (r *reader) namedInOrder() []*Named {
	out := make([]*Named, 0, len(r.m.Defs))
	for _, n := range r.m.Defs {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref() < out[j].Ref() })
	return out
}

// file checks a file's root and registers its defs.
func (r *reader) file(p string) {
	if _, bad := r.m.Unreadable[p]; bad {
		return // reported once, at the end
	}
	root, ok := r.docs[p].(map[string]any)
	if !ok {
		r.add(p, "", "the file must hold a JSON object")
		return
	}
	r.m.FileRoots[p] = &FileDoc{Path: p, ID: str(root["$id"]), Title: str(root["title"]), Description: str(root["description"]), Raw: root}
	if v, ok := root["$schema"]; !ok {
		r.add(p, "/$schema", "missing")
	} else if v != SchemaURI {
		r.add(p, "/$schema", "must be %q", SchemaURI)
	}
	if v, ok := root["$id"]; !ok {
		r.add(p, "/$id", "missing")
	} else if want := IDBase + p; v != want {
		r.add(p, "/$id", "must be %q", want)
	}
	if IsConfig(p) {
		// The config file is one schema at the root; the root is its def.
		n := r.def(p, "", root)
		if p == ConfigFile {
			r.m.Config = n
		}
	} else {
		for _, k := range []string{"title", "description"} {
			v, ok := root[k]
			if !ok {
				r.add(p, "/"+k, "missing")
			} else if s, ok := v.(string); !ok || s == "" {
				r.add(p, "/"+k, "must be a non-empty string")
			}
		}
		for _, k := range sortedKeys(root) {
			if !rootKeys[k] {
				r.add(p, "/"+escape(k), "keyword %q is not allowed at the file root (put schemas under $defs)", k)
			}
		}
	}
	dv, ok := root["$defs"]
	if !ok {
		if !IsConfig(p) {
			r.add(p, "/$defs", "missing")
		}
		return
	}
	defs, ok := dv.(map[string]any)
	if !ok {
		r.add(p, "/$defs", "must be an object")
		return
	}
	for _, k := range sortedKeys(defs) {
		ptr := "/$defs/" + escape(k)
		raw, ok := defs[k].(map[string]any)
		if !ok {
			r.add(p, ptr, "a schema must be a JSON object")
			continue
		}
		n := r.def(p, k, raw)
		// Examples on params/result/payload and on frames: the differential test
		// mutates them.
		if strings.HasPrefix(p, "frames/") || (strings.HasPrefix(p, "methods/") || strings.HasPrefix(p, "events/")) && exampleDefs[k] {
			r.examples(p, ptr, n.Raw)
		}
	}
}

// def registers one def (key "" is the config root): its title is its type name,
// unique across every file, and it needs a description.
func (r *reader) def(file, key string, raw map[string]any) *Named {
	n := &Named{File: file, Key: key, Description: str(raw["description"]), Raw: raw}
	ptr := n.Pointer()
	title, ok := raw["title"].(string)
	switch {
	case raw["title"] == nil:
		r.add(file, ptr+"/title", "missing (every $defs entry needs a title: its type name)")
	case !ok || !isTypeName(title):
		r.add(file, ptr+"/title", "%s is not a PascalCase type name (^[A-Z][A-Za-z0-9]*$)", jsonText(raw["title"]))
	default:
		if first, dup := r.titles[title]; dup {
			r.add(file, ptr+"/title", "title %q is already used by %s", title, first)
		} else {
			r.titles[title] = file + "#" + ptr
			n.Name = title
			r.m.byName[title] = n
		}
	}
	if _, ok := raw["description"]; !ok {
		r.add(file, ptr+"/description", "missing")
	}
	if ex, ok := raw["examples"].([]any); ok {
		for _, e := range ex {
			b, _ := json.Marshal(e)
			n.Examples = append(n.Examples, b)
		}
	}
	r.m.Defs[n.Ref()] = n
	return n
}

func (r *reader) examples(file, ptr string, m map[string]any) {
	ex, ok := m["examples"].([]any)
	if !ok || len(ex) == 0 {
		r.add(file, ptr+"/examples", "missing: needs a non-empty examples array")
	}
}

// nameInline gives inline objects and enums a generated name so emitters can declare
// them as types.
func (r *reader) nameInline(s *Schema, name string) {
	if name == "" || s.Named != nil || s.Broken != "" || !(s.Kind == KindObject || (s.Kind == KindString && len(s.Enum) > 0)) {
		return
	}
	n := &Named{Name: name, File: s.File, Description: s.Description, Schema: s, Inline: true}
	s.Named = n
	if o, dup := r.m.byName[name]; dup {
		r.add(s.File, s.Pointer, "the inline type gets the name %s, which %s already has; move it to a $defs entry with a title of its own", name, o.Ref())
		return
	}
	r.m.byName[name] = n
}

// parseType returns the non-null type of a type keyword and whether it is nullable,
// or a message when it is outside the dialect.
func parseType(v any) (base string, nullable bool, msg string) {
	switch t := v.(type) {
	case string:
		if !typeNames[t] {
			return "", false, fmt.Sprintf("unknown type %q", t)
		}
		return t, false, ""
	case []any:
		if len(t) == 2 {
			a, _ := t[0].(string)
			b, _ := t[1].(string)
			if scalarTypes[a] && b == "null" {
				return a, true, ""
			}
		}
	}
	return "", false, `type must be a type name or [scalar, "null"] (string, integer, number or boolean)`
}

// node checks one schema and everything below it and builds its Schema. name is the
// type name an inline object or enum gets; root is true for the root of the config
// file, where $schema, $id and $defs may appear. It never returns nil.
func (r *reader) node(file, ptr string, v any, name string, root bool) *Schema {
	s := &Schema{File: file, Pointer: ptr}
	m, ok := v.(map[string]any)
	if !ok {
		r.add(file, ptr, "a schema must be a JSON object")
		s.Broken = "not a schema"
		return s
	}
	keys := sortedKeys(m)
	for _, k := range keys {
		switch {
		case rootOnly[k]:
			if !root {
				r.add(file, ptr+"/"+escape(k), "%q is only allowed at the file root", k)
			}
		case !dialect[k]:
			r.add(file, ptr+"/"+escape(k), "keyword %q is not in the dialect", k)
		}
	}
	if t, ok := m["title"]; ok {
		if s, ok := t.(string); !ok || s == "" {
			r.add(file, ptr+"/title", "must be a non-empty string")
		}
	}
	if t, ok := m["description"]; ok {
		if s, ok := t.(string); !ok || s == "" {
			r.add(file, ptr+"/description", "must be a non-empty string")
		}
	}
	s.Description = str(m["description"])
	if ex, ok := m["examples"]; ok {
		if _, ok := ex.([]any); !ok {
			r.add(file, ptr+"/examples", "must be an array")
		}
	}
	if d, ok := m["deprecated"]; ok {
		if _, ok := d.(bool); !ok {
			r.add(file, ptr+"/deprecated", "must be a boolean")
		}
	}

	// $ref, anyOf and oneOf stand alone (with annotations).
	var comb []string
	for _, k := range []string{"$ref", "anyOf", "oneOf"} {
		if _, ok := m[k]; ok {
			comb = append(comb, k)
		}
	}
	if len(comb) > 0 {
		if len(comb) > 1 {
			r.add(file, ptr, "use only one of %s", strings.Join(comb, ", "))
		}
		for _, k := range keys {
			if dialect[k] && !annotation[k] && !rootOnly[k] && !contains(comb, k) {
				r.add(file, ptr+"/"+escape(k), "%q cannot be combined with %q (only annotations may accompany it)", k, comb[0])
			}
		}
		switch comb[0] {
		case "$ref":
			r.ref(s, m["$ref"])
		case "anyOf":
			return r.anyOf(s, m["anyOf"], name)
		case "oneOf":
			r.oneOf(s, m["oneOf"])
		}
		return s
	}

	base, hasType := "", false
	if t, ok := m["type"]; ok {
		hasType = true
		b, nullable, msg := parseType(t)
		switch {
		case msg != "":
			r.add(file, ptr+"/type", "%s", msg)
		case b == "null":
			r.add(file, ptr+"/type", `type "null" is only allowed as {"type": "null"}, the second branch of anyOf`)
		default:
			base = b
			s.Nullable = nullable
		}
	}
	for _, k := range keys {
		want, ok := appliesTo[k]
		if !ok || base != "" && contains(want, base) {
			continue
		}
		if !hasType {
			r.add(file, ptr+"/"+k, "%q needs \"type\": %q", k, strings.Join(want, `" or "`))
		} else if base != "" {
			r.add(file, ptr+"/"+k, "%q does not apply to type %q", k, base)
		}
	}
	if base == "" && !hasType {
		// Without a type the constraints above were reported; guess the shape they
		// describe so the rest is still checked.
		switch {
		case m["properties"] != nil || m["additionalProperties"] != nil || m["required"] != nil:
			base = "object"
		case m["items"] != nil:
			base = "array"
		case m["enum"] != nil || m["const"] != nil || m["pattern"] != nil:
			base = "string"
		}
	}

	switch base {
	case "object":
		r.object(s, m, name)
	case "array":
		s.Kind = KindArray
		if items, ok := m["items"]; ok {
			if _, ok := items.(map[string]any); ok {
				s.Items = r.node(file, ptr+"/items", items, name+"Item", false)
				r.nameInline(s.Items, name+"Item")
			} else {
				r.add(file, ptr+"/items", "must be a schema (tuples are not in the dialect)")
			}
		} else {
			r.add(file, ptr+"/items", "missing (every array states its items)")
		}
		if s.Items == nil {
			s.Items = &Schema{File: file, Pointer: ptr + "/items", Broken: "no items schema"}
		}
	case "string":
		s.Kind = KindString
	case "integer":
		s.Kind = KindInt
	case "number":
		s.Kind = KindNumber
	case "boolean":
		s.Kind = KindBool
	case "":
		if hasType {
			s.Broken = "unusable type"
		} else {
			s.Kind = KindAny
		}
	}

	// Bounds.
	for _, k := range []string{"minLength", "maxLength", "minItems", "maxItems"} {
		v, ok := m[k]
		if !ok {
			continue
		}
		f, ok := num(v)
		if !ok || f < 0 || f != float64(int64(f)) {
			r.add(file, ptr+"/"+k, "must be a non-negative integer")
			continue
		}
		n := int(f)
		switch k {
		case "minLength":
			s.MinLength = &n
		case "maxLength":
			s.MaxLength = &n
		case "minItems":
			s.MinItems = &n
		case "maxItems":
			s.MaxItems = &n
		}
	}
	for _, k := range []string{"minimum", "maximum"} {
		v, ok := m[k]
		if !ok {
			continue
		}
		f, ok := num(v)
		if !ok {
			r.add(file, ptr+"/"+k, "must be a number")
			continue
		}
		if k == "minimum" {
			s.Minimum = &f
		} else {
			s.Maximum = &f
		}
	}
	for _, pair := range [][2]string{{"minimum", "maximum"}, {"minLength", "maxLength"}, {"minItems", "maxItems"}} {
		lo, ok1 := num(m[pair[0]])
		hi, ok2 := num(m[pair[1]])
		if ok1 && ok2 && lo > hi {
			r.add(file, ptr+"/"+pair[0], "%s %v is greater than %s %v", pair[0], m[pair[0]], pair[1], m[pair[1]])
		}
	}

	// Strings.
	if ev, ok := m["enum"]; ok {
		arr, ok := ev.([]any)
		if !ok || len(arr) == 0 {
			r.add(file, ptr+"/enum", "must be a non-empty array of strings")
		}
		seen := map[string]bool{}
		for i, e := range arr {
			v, ok := e.(string)
			switch {
			case !ok:
				r.add(file, ptr+"/enum/"+strconv.Itoa(i), "enum values must be strings, got %s", jsonText(e))
			case v == "":
				r.add(file, ptr+"/enum/"+strconv.Itoa(i), "enum values must be non-empty")
			case seen[v]:
				r.add(file, ptr+"/enum/"+strconv.Itoa(i), "enum value %q is listed twice", v)
			default:
				s.Enum = append(s.Enum, v)
			}
			seen[v] = true
		}
	}
	if cv, ok := m["const"]; ok {
		if c, ok := cv.(string); ok {
			s.Const = &c
		} else {
			r.add(file, ptr+"/const", "const must be a string, got %s", jsonText(cv))
		}
	}
	if pv, ok := m["pattern"]; ok {
		p, ok := pv.(string)
		if !ok {
			r.add(file, ptr+"/pattern", "must be a string")
		} else if _, err := regexp.Compile(p); err != nil {
			r.add(file, ptr+"/pattern", "does not compile: %v", err)
		} else if bad := nonPortable(p); bad != "" {
			r.add(file, ptr+"/pattern", "%s is RE2-only syntax; use a pattern that means the same in ECMA-262", bad)
		} else {
			s.Pattern = p
		}
	}
	return s
}

// object reads an object: a closed struct (additionalProperties: false) or a map
// (additionalProperties: a schema, and no properties).
func (r *reader) object(s *Schema, m map[string]any, name string) {
	file, ptr := s.File, s.Pointer
	s.Kind = KindObject
	props, hasProps := m["properties"]
	ap, hasAP := m["additionalProperties"]
	switch {
	case !hasAP:
		r.add(file, ptr, "object must state additionalProperties (false for a struct, a schema for a map)")
	case hasProps && ap != false:
		r.add(file, ptr+"/additionalProperties", "an object with properties must have additionalProperties: false")
	case ap == false:
	case ap == true:
		r.add(file, ptr+"/additionalProperties", `additionalProperties: true is outside the dialect: use {} for a map of any value`)
		s.Kind, s.Open = KindMap, true
		s.Values = &Schema{Kind: KindAny, File: file, Pointer: ptr + "/additionalProperties"}
	default:
		if _, ok := ap.(map[string]any); !ok {
			r.add(file, ptr+"/additionalProperties", "must be false or a schema")
			break
		}
		s.Kind = KindMap
		s.Values = r.node(file, ptr+"/additionalProperties", ap, name+"Value", false)
		r.nameInline(s.Values, name+"Value")
	}
	var propMap map[string]any
	if hasProps {
		pm, ok := props.(map[string]any)
		if !ok {
			r.add(file, ptr+"/properties", "must be an object")
		} else {
			propMap = pm
		}
	}
	required := map[string]bool{}
	if rv, ok := m["required"]; ok {
		arr, ok := rv.([]any)
		if !ok {
			r.add(file, ptr+"/required", "must be an array of property names")
		}
		for i, e := range arr {
			pn, ok := e.(string)
			switch {
			case !ok:
				r.add(file, ptr+"/required/"+strconv.Itoa(i), "must be a string")
			case required[pn]:
				r.add(file, ptr+"/required/"+strconv.Itoa(i), "%q is listed twice", pn)
			case propMap[pn] == nil:
				r.add(file, ptr+"/required/"+strconv.Itoa(i), "%q is not a declared property", pn)
			}
			required[pn] = true
		}
	}
	if s.Kind != KindObject {
		return
	}
	for i, k := range sortedKeys(propMap) {
		pptr := ptr + "/properties/" + escape(k)
		child := name + GoName(k)
		if name == "" {
			child = ""
		}
		ps := r.node(file, pptr, propMap[k], child, false)
		if ps.Const != nil && !required[k] {
			r.add(file, pptr+"/const", "property %q carries a const (a discriminator) and must be required", k)
		}
		r.nameInline(ps, child)
		s.Props = append(s.Props, &Prop{JSON: k, Go: GoName(k), Required: required[k], Schema: ps, Index: i})
	}
}

// nonPortable finds RE2 constructs that ECMA-262 reads differently.
func nonPortable(re string) string {
	for i := 0; i < len(re); i++ {
		switch {
		case re[i] == '\\' && i+1 < len(re):
			switch re[i+1] {
			case 'A', 'z', 'Q', 'E', 'C':
				return `\` + string(re[i+1])
			}
			i++
		case strings.HasPrefix(re[i:], "(?") && !strings.HasPrefix(re[i:], "(?:"):
			return "(?…)"
		case strings.HasPrefix(re[i:], "[[:"):
			return "[[:class:]]"
		}
	}
	return ""
}

// resolve follows one $ref written in file to the def it names. On failure it returns
// the reason (also the message of the problem).
func (r *reader) resolve(file string, v any) (*Named, string) {
	ref, ok := v.(string)
	if !ok {
		return nil, "$ref must be a string"
	}
	target, tptr, err := refTarget(file, ref)
	if err != nil {
		return nil, err.Error()
	}
	doc, ok := r.docs[target]
	if !ok {
		if _, bad := r.m.Unreadable[target]; bad {
			return nil, fmt.Sprintf("$ref %q: %s is not well-formed JSON", ref, target)
		}
		return nil, fmt.Sprintf("$ref %q: file %s does not exist", ref, target)
	}
	node, ok := lookup(doc, tptr)
	if !ok {
		return nil, fmt.Sprintf("$ref %q: %s has nothing at %s", ref, target, showPtr(tptr))
	}
	if !SchemaPointer(target, tptr) {
		return nil, fmt.Sprintf("$ref %q does not point to a schema (a $defs entry or one of its subschemas)", ref)
	}
	if _, ok := node.(map[string]any); !ok {
		return nil, fmt.Sprintf("$ref %q does not point to a schema object", ref)
	}
	key := target
	if tptr != "" {
		key = target + "#" + tptr
	}
	n := r.m.Defs[key]
	if n == nil {
		return nil, fmt.Sprintf("$ref %q points inside a definition: refer to a $defs entry (or to the config file's root), which gives the type its name", ref)
	}
	return n, ""
}

func (r *reader) ref(s *Schema, v any) {
	s.Kind = KindRef
	n, why := r.resolve(s.File, v)
	if why != "" {
		r.add(s.File, s.Pointer+"/$ref", "%s", why)
		s.Broken = why
		return
	}
	s.Ref = n
}

// anyOf reads the one anyOf of the dialect, [schema, {"type": "null"}]: a nullable
// schema. The first branch is the node; it is marked nullable.
func (r *reader) anyOf(s *Schema, v any, name string) *Schema {
	file, ptr := s.File, s.Pointer+"/anyOf"
	arr, ok := v.([]any)
	if !ok || len(arr) != 2 {
		r.add(file, ptr, `anyOf must be [schema, {"type": "null"}]`)
		s.Broken = "bad anyOf"
		return s
	}
	inner := r.node(file, ptr+"/0", arr[0], name, false)
	second, ok := arr[1].(map[string]any)
	okNull := ok && second["type"] == "null"
	for k := range second {
		if k != "type" && !annotation[k] {
			okNull = false
		}
	}
	if !okNull {
		r.add(file, ptr+"/1", `the second branch of anyOf must be {"type": "null"}`)
	}
	inner.Nullable = true
	if inner.Description == "" {
		inner.Description = s.Description
	}
	return inner
}

func (r *reader) oneOf(s *Schema, v any) {
	file, ptr := s.File, s.Pointer+"/oneOf"
	s.Kind = KindUnion
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		r.add(file, ptr, "oneOf must list at least two $refs")
	}
	for i, e := range arr {
		p := ptr + "/" + strconv.Itoa(i)
		m, ok := e.(map[string]any)
		if !ok || len(m) != 1 || m["$ref"] == nil {
			r.add(file, p, `oneOf members must be {"$ref": …} and nothing else`)
			continue
		}
		n, why := r.resolve(file, m["$ref"])
		if why != "" {
			r.add(file, p+"/$ref", "%s", why)
			continue
		}
		s.Variants = append(s.Variants, n)
	}
	if len(s.Variants) == 0 {
		s.Broken = "a oneOf without usable members"
		return
	}
	if len(s.Variants) == len(arr) {
		r.unions = append(r.unions, s)
	}
}

// union checks that the members of a oneOf are objects sharing a required const
// property, the discriminator, with distinct values.
func (r *reader) union(s *Schema) {
	file, ptr := s.File, s.Pointer+"/oneOf"
	var common []string
	for i, v := range s.Variants {
		vs := Resolve(v.Schema)
		var here []string
		if vs.Kind == KindObject {
			for _, p := range vs.Props {
				if p.Schema.Const != nil && p.Required {
					here = append(here, p.JSON)
				}
			}
		}
		if i == 0 {
			common = here
		} else {
			common = intersect(common, here)
		}
	}
	if len(common) == 0 {
		r.add(file, ptr, "oneOf members must be objects that share a required const property (the discriminator)")
		return
	}
	s.Discriminator = common[0]
	seen := map[string]string{}
	for _, v := range s.Variants {
		c := DiscriminatorValue(v, s.Discriminator)
		if first, dup := seen[c]; dup {
			r.add(file, ptr, "discriminator %q has the value %q in both %s and %s", s.Discriminator, c, first, Resolve(v.Schema).Loc())
		}
		seen[c] = Resolve(v.Schema).Loc()
	}
}

// aliasCycles breaks chains of alias defs that never reach a body.
func (r *reader) aliasCycles() {
	for _, n := range r.namedInOrder() {
		s := n.Schema
		for i := 0; s.Kind == KindRef && s.Ref != nil; i++ {
			if i == maxRefChain {
				r.add(n.File, n.Pointer(), "$ref chain too long (a cycle of aliases)")
				n.Schema.Broken, n.Schema.Ref = "alias cycle", nil
				break
			}
			s = s.Ref.Schema
		}
	}
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
