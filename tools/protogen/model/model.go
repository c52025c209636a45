// Package model loads the schema/ directory (manifest plus JSON Schema files in the
// project's dialect) into one intermediate model that every emitter (Go, Swift, bundle)
// reads, in the way sqlc feeds several target languages from one catalogue.
//
// The loader is strict: anything outside the dialect described in schema/README.md is an
// error, so an emitter never meets a construct it cannot compile.
package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// IDBase prefixes every schema file's $id.
const IDBase = "https://schema.clawgate.dev/"

// Kind is the shape of a schema node after resolving the dialect.
type Kind int

// Kinds of schema nodes.
const (
	KindAny    Kind = iota // free-form JSON value
	KindString             // string, possibly with enum/const/pattern/lengths
	KindInt                // integer (int64)
	KindNumber             // number (float64)
	KindBool               // boolean
	KindObject             // closed object with properties: a struct
	KindMap                // object with free keys: map[string]Values
	KindArray              // array of Items
	KindRef                // reference to a named type
	KindUnion              // oneOf of named object types discriminated by a const property
	KindNull               // only null (used transiently)
)

// Schema is one node of the model.
type Schema struct {
	Kind        Kind
	Nullable    bool
	Description string

	// Strings.
	MinLength, MaxLength *int
	Pattern              string
	Enum                 []string
	Const                *string

	// Numbers.
	Minimum, Maximum *float64

	// Arrays.
	Items              *Schema
	MinItems, MaxItems *int

	// Objects and maps.
	Props  []*Prop
	Values *Schema

	// References and unions.
	Ref           *Named
	Variants      []*Named
	Discriminator string

	// Named is set when this node is the body of a named type (a $def or an inline
	// object/enum that the emitters give a name).
	Named *Named
}

// Prop is one property of an object.
type Prop struct {
	JSON     string // wire name
	Go       string // Go field name
	Required bool
	Schema   *Schema
	Index    int // position in the object, used by emitters for bitsets
}

// Named is a type with a name: every $defs entry and every inline object or enum.
type Named struct {
	Name        string // Go/Swift type name
	File        string // schema file, relative to schema/, "" for inline types
	Key         string // $defs key, "" for inline types and file roots
	Description string
	Schema      *Schema
	Examples    []json.RawMessage
	Raw         map[string]any // the JSON of the def, for bundling
	Inline      bool
	// Into is set for a protocol-2 params def that decodes into another type.
	Into   *Named
	Rename map[string]string // v2 wire name → canonical wire name
}

// Ref returns the def's pointer "file#/$defs/key" ("file" for a file root).
func (n *Named) Ref() string {
	if n.Key == "" {
		return n.File
	}
	return n.File + "#/$defs/" + n.Key
}

// IsStruct reports whether the named type is a Go struct.
func (n *Named) IsStruct() bool { return n.Schema.Kind == KindObject }

// Method is a manifest method with its resolved schemas.
type Method struct {
	Name           string
	GoName         string // PascalCase wire name
	Group          string
	Protocols      []int
	Scope          string
	Advertise      bool
	IdempotencyKey bool
	File           string
	Params         *Named
	Result         *Named
	ParamsV2       *Named // nil when protocol 2 shares Params
}

// Droppable describes whether an event may be skipped for a slow consumer.
type Droppable struct {
	Always   bool
	Property string   // when non-empty: droppable iff payload[Property] in Values
	Values   []string // see Property
}

// Event is a manifest event with its payload.
type Event struct {
	Name      string
	GoName    string
	Protocols []int
	Droppable Droppable
	Scope     string
	Targeted  bool
	File      string
	Payload   *Named
}

// Model is everything the emitters need.
type Model struct {
	Dir         string
	MinProtocol int
	MaxProtocol int
	Methods     []*Method
	Events      []*Event
	Types       []*Named            // every named type, sorted by name
	Defs        map[string]*Named   // by Ref()
	Files       map[string][]byte   // raw file contents by relative path
	FileRoots   map[string]*FileDoc // parsed files
	Frames      []*Named            // RequestFrame, ResponseFrame, EventFrame, Frame
	Config      *Named              // root of config/clawdbot.json, if present
	byName      map[string]*Named
}

// FileDoc is a parsed schema file.
type FileDoc struct {
	Path        string
	ID          string
	Title       string
	Description string
	Raw         map[string]any
}

type manifest struct {
	Protocol struct{ Min, Max int } `json:"protocol"`
	Methods  []struct {
		Name           string `json:"name"`
		Schema         string `json:"schema"`
		Group          string `json:"group"`
		Protocols      []int  `json:"protocols"`
		Scope          string `json:"scope"`
		Advertise      bool   `json:"advertise"`
		IdempotencyKey bool   `json:"idempotencyKey"`
		V2             *struct {
			Params string            `json:"params"`
			Rename map[string]string `json:"rename"`
		} `json:"v2"`
	} `json:"methods"`
	Events []struct {
		Name      string          `json:"name"`
		Schema    string          `json:"schema"`
		Protocols []int           `json:"protocols"`
		Droppable json.RawMessage `json:"droppable"`
		Scope     string          `json:"scope"`
		Targeted  bool            `json:"targeted"`
	} `json:"events"`
}

// ConfigFile is the config schema's path under schema/.
const ConfigFile = "config/clawdbot.json"

// Load reads dir (the schema/ directory) into a Model.
func Load(dir string) (*Model, error) {
	m := &Model{
		Dir:       dir,
		Defs:      map[string]*Named{},
		Files:     map[string][]byte{},
		FileRoots: map[string]*FileDoc{},
		byName:    map[string]*Named{},
	}
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var man manifest
	if err := json.Unmarshal(mb, &man); err != nil {
		return nil, fmt.Errorf("parse manifest: %w", err)
	}
	m.MinProtocol, m.MaxProtocol = man.Protocol.Min, man.Protocol.Max

	// Read every schema file first so refs can be resolved in any order.
	err = filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "manifest.json" || rel == "manifest.schema.json" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return m.addFile(rel, b)
	})
	if err != nil {
		return nil, err
	}
	// Register every $def (and the config root) as a named type before building bodies.
	for _, rel := range m.fileList() {
		fd := m.FileRoots[rel]
		if rel == ConfigFile {
			n := &Named{Name: str(fd.Raw["title"]), File: rel, Description: fd.Description, Raw: fd.Raw}
			if err := m.register(n); err != nil {
				return nil, err
			}
			m.Config = n
			continue
		}
		defs, _ := fd.Raw["$defs"].(map[string]any)
		for _, key := range sortedKeys(defs) {
			raw, ok := defs[key].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s#/$defs/%s: not an object", rel, key)
			}
			n := &Named{Name: str(raw["title"]), File: rel, Key: key, Description: str(raw["description"]), Raw: raw}
			if n.Name == "" {
				return nil, fmt.Errorf("%s: $def has no title", n.Ref())
			}
			if ex, ok := raw["examples"].([]any); ok {
				for _, e := range ex {
					b, _ := json.Marshal(e)
					n.Examples = append(n.Examples, b)
				}
			}
			if err := m.register(n); err != nil {
				return nil, err
			}
		}
	}
	// Build bodies.
	for _, n := range m.namedInOrder() {
		s, err := m.build(n.File, n.Raw, n.Name, n.Ref())
		if err != nil {
			return nil, err
		}
		s.Named = n
		n.Schema = s
	}
	if err := m.resolveUnions(); err != nil {
		return nil, err
	}
	if err := m.loadManifest(&man); err != nil {
		return nil, err
	}
	for _, key := range []string{"frames/req.json#/$defs/RequestFrame", "frames/res.json#/$defs/ResponseFrame", "frames/event.json#/$defs/EventFrame", "frames/frame.json#/$defs/Frame"} {
		n := m.Defs[key]
		if n == nil {
			return nil, fmt.Errorf("missing frame def %s", key)
		}
		m.Frames = append(m.Frames, n)
	}
	m.Types = make([]*Named, 0, len(m.byName))
	for _, n := range m.byName {
		m.Types = append(m.Types, n)
	}
	sort.Slice(m.Types, func(i, j int) bool { return m.Types[i].Name < m.Types[j].Name })
	return m, nil
}

func (m *Model) addFile(rel string, b []byte) error {
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	m.Files[rel] = b
	m.FileRoots[rel] = &FileDoc{Path: rel, ID: str(raw["$id"]), Title: str(raw["title"]), Description: str(raw["description"]), Raw: raw}
	return nil
}

func (m *Model) fileList() []string {
	out := make([]string, 0, len(m.FileRoots))
	for k := range m.FileRoots {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (m *Model) namedInOrder() []*Named {
	out := make([]*Named, 0, len(m.Defs))
	for _, n := range m.Defs {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref() < out[j].Ref() })
	return out
}

func (m *Model) register(n *Named) error {
	if !isTypeName(n.Name) {
		return fmt.Errorf("%s: title %q is not a PascalCase type name", n.Ref(), n.Name)
	}
	if o, dup := m.byName[n.Name]; dup {
		return fmt.Errorf("%s: type name %s already used by %s", n.Ref(), n.Name, o.Ref())
	}
	m.byName[n.Name] = n
	if !n.Inline {
		m.Defs[n.Ref()] = n
	}
	return nil
}

// Lookup returns a named type by name.
func (m *Model) Lookup(name string) *Named { return m.byName[name] }

var allowedKeys = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "title": true, "description": true, "examples": true,
	"default": true, "deprecated": true, "type": true, "properties": true, "required": true,
	"additionalProperties": true, "items": true, "minItems": true, "maxItems": true, "minLength": true,
	"maxLength": true, "pattern": true, "enum": true, "const": true, "minimum": true, "maximum": true,
	"$ref": true, "anyOf": true, "oneOf": true,
}

// build turns a raw schema object into a Schema. name is the type name to use if this
// node must be named (objects, enums); at is the location for errors.
func (m *Model) build(file string, raw map[string]any, name, at string) (*Schema, error) {
	for k := range raw {
		if !allowedKeys[k] {
			return nil, fmt.Errorf("%s: keyword %q is outside the dialect", at, k)
		}
	}
	s := &Schema{Description: str(raw["description"])}
	if ref, ok := raw["$ref"].(string); ok {
		target, err := m.resolveRef(file, ref)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		s.Kind, s.Ref = KindRef, target
		return s, nil
	}
	if anyOf, ok := raw["anyOf"].([]any); ok {
		// Only [X, {type:null}].
		if len(anyOf) != 2 {
			return nil, fmt.Errorf("%s: anyOf must be [schema, {\"type\":\"null\"}]", at)
		}
		a, _ := anyOf[0].(map[string]any)
		b, _ := anyOf[1].(map[string]any)
		if a == nil || b == nil || str(b["type"]) != "null" || len(b) > 2 {
			return nil, fmt.Errorf("%s: anyOf must be [schema, {\"type\":\"null\"}]", at)
		}
		inner, err := m.build(file, a, name, at+"/anyOf/0")
		if err != nil {
			return nil, err
		}
		inner.Nullable = true
		if inner.Description == "" {
			inner.Description = s.Description
		}
		return inner, nil
	}
	if one, ok := raw["oneOf"].([]any); ok {
		s.Kind = KindUnion
		for i, v := range one {
			vm, _ := v.(map[string]any)
			ref, _ := vm["$ref"].(string)
			if ref == "" || len(vm) != 1 {
				return nil, fmt.Errorf("%s/oneOf/%d: a union member must be a bare $ref", at, i)
			}
			t, err := m.resolveRef(file, ref)
			if err != nil {
				return nil, fmt.Errorf("%s/oneOf/%d: %w", at, i, err)
			}
			s.Variants = append(s.Variants, t)
		}
		return s, nil
	}
	typ := raw["type"]
	var types []string
	switch t := typ.(type) {
	case nil:
		if _, ok := raw["const"]; ok {
			types = []string{"string"}
		} else if _, ok := raw["enum"]; ok {
			types = []string{"string"}
		} else if _, ok := raw["properties"]; ok {
			types = []string{"object"}
		}
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, str(x))
		}
	default:
		return nil, fmt.Errorf("%s: bad type", at)
	}
	if len(types) == 2 && types[1] == "null" && types[0] != "null" {
		s.Nullable = true
		types = types[:1]
	}
	if len(types) > 1 {
		return nil, fmt.Errorf("%s: type must be one type or [type, \"null\"]", at)
	}
	if len(types) == 0 {
		s.Kind = KindAny
		for _, k := range []string{"properties", "items", "minLength", "minimum", "enum", "pattern"} {
			if _, ok := raw[k]; ok {
				return nil, fmt.Errorf("%s: %s without type", at, k)
			}
		}
		return s, nil
	}
	var err error
	switch types[0] {
	case "string":
		s.Kind = KindString
		if s.MinLength, err = intKey(raw, "minLength", at); err != nil {
			return nil, err
		}
		if s.MaxLength, err = intKey(raw, "maxLength", at); err != nil {
			return nil, err
		}
		if p, ok := raw["pattern"].(string); ok {
			if _, err := regexp.Compile(p); err != nil {
				return nil, fmt.Errorf("%s: pattern: %w", at, err)
			}
			s.Pattern = p
		}
		if c, ok := raw["const"]; ok {
			cs, ok := c.(string)
			if !ok {
				return nil, fmt.Errorf("%s: const must be a string", at)
			}
			s.Const = &cs
		}
		if e, ok := raw["enum"].([]any); ok {
			for _, v := range e {
				vs, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("%s: enum values must be strings", at)
				}
				if slices.Contains(s.Enum, vs) {
					return nil, fmt.Errorf("%s: duplicate enum value %q", at, vs)
				}
				s.Enum = append(s.Enum, vs)
			}
			if len(s.Enum) == 0 {
				return nil, fmt.Errorf("%s: empty enum", at)
			}
		}
	case "integer", "number":
		s.Kind = KindInt
		if types[0] == "number" {
			s.Kind = KindNumber
		}
		if s.Minimum, err = numKey(raw, "minimum", at); err != nil {
			return nil, err
		}
		if s.Maximum, err = numKey(raw, "maximum", at); err != nil {
			return nil, err
		}
	case "boolean":
		s.Kind = KindBool
	case "null":
		s.Kind = KindNull
	case "array":
		s.Kind = KindArray
		items, ok := raw["items"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: array without items schema", at)
		}
		if s.MinItems, err = intKey(raw, "minItems", at); err != nil {
			return nil, err
		}
		if s.MaxItems, err = intKey(raw, "maxItems", at); err != nil {
			return nil, err
		}
		if s.Items, err = m.build(file, items, name+"Item", at+"/items"); err != nil {
			return nil, err
		}
		if err := m.nameInline(file, s.Items, name+"Item", at+"/items"); err != nil {
			return nil, err
		}
	case "object":
		ap, hasAP := raw["additionalProperties"]
		props, hasProps := raw["properties"].(map[string]any)
		switch {
		case !hasAP:
			return nil, fmt.Errorf("%s: object must state additionalProperties", at)
		case ap == false:
			s.Kind = KindObject
		case ap == true:
			return nil, fmt.Errorf("%s: additionalProperties:true is outside the dialect; use {} for a map of any", at)
		default:
			apm, ok := ap.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: bad additionalProperties", at)
			}
			if hasProps && len(props) > 0 {
				return nil, fmt.Errorf("%s: an object with properties must be closed (additionalProperties:false)", at)
			}
			s.Kind = KindMap
			if s.Values, err = m.build(file, apm, name+"Value", at+"/additionalProperties"); err != nil {
				return nil, err
			}
			if err := m.nameInline(file, s.Values, name+"Value", at+"/additionalProperties"); err != nil {
				return nil, err
			}
			return s, nil
		}
		required := map[string]bool{}
		if rq, ok := raw["required"].([]any); ok {
			for _, r := range rq {
				rs := str(r)
				if _, ok := props[rs]; !ok {
					return nil, fmt.Errorf("%s: required property %q is not declared", at, rs)
				}
				if required[rs] {
					return nil, fmt.Errorf("%s: %q is required twice", at, rs)
				}
				required[rs] = true
			}
		}
		for i, key := range sortedKeys(props) {
			pm, ok := props[key].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s/properties/%s: not a schema object", at, key)
			}
			pat := at + "/properties/" + key
			child := name + GoName(key)
			ps, err := m.build(file, pm, child, pat)
			if err != nil {
				return nil, err
			}
			if ps.Const != nil && !required[key] {
				return nil, fmt.Errorf("%s: a const property must be required", pat)
			}
			if err := m.nameInline(file, ps, child, pat); err != nil {
				return nil, err
			}
			s.Props = append(s.Props, &Prop{JSON: key, Go: GoName(key), Required: required[key], Schema: ps, Index: i})
		}
		// Keep wire order as declared would need an ordered parse; sorted order is
		// deterministic and what the bundle uses too.
	default:
		return nil, fmt.Errorf("%s: unknown type %q", at, types[0])
	}
	return s, nil
}

// nameInline gives inline objects and enums a generated name so emitters can declare
// them as types.
func (m *Model) nameInline(file string, s *Schema, name, at string) error {
	if s.Named != nil || !(s.Kind == KindObject || (s.Kind == KindString && len(s.Enum) > 0)) {
		return nil
	}
	n := &Named{Name: name, File: file, Description: s.Description, Schema: s, Inline: true}
	s.Named = n
	return m.register(n)
}

func (m *Model) resolveRef(file, ref string) (*Named, error) {
	target := ref
	frag := ""
	if i := strings.IndexByte(ref, '#'); i >= 0 {
		target, frag = ref[:i], ref[i+1:]
	}
	tfile := file
	if target != "" {
		if strings.HasPrefix(target, IDBase) {
			tfile = strings.TrimPrefix(target, IDBase)
		} else {
			tfile = path.Clean(path.Join(path.Dir(file), target))
		}
	}
	if _, ok := m.FileRoots[tfile]; !ok {
		return nil, fmt.Errorf("$ref %q: no file %s", ref, tfile)
	}
	key := tfile
	if frag != "" {
		if !strings.HasPrefix(frag, "/$defs/") || strings.Count(frag, "/") != 2 {
			return nil, fmt.Errorf("$ref %q: only refs to #/$defs/<name> are supported", ref)
		}
		key = tfile + "#" + frag
	}
	n := m.Defs[key]
	if n == nil {
		return nil, fmt.Errorf("$ref %q: no such definition", ref)
	}
	return n, nil
}

// Resolve follows refs to the underlying schema body.
func Resolve(s *Schema) *Schema {
	for s.Kind == KindRef {
		s = s.Ref.Schema
	}
	return s
}

func (m *Model) resolveUnions() error {
	for _, n := range m.namedInOrder() {
		s := n.Schema
		if s.Kind != KindUnion {
			continue
		}
		// The discriminator is the const property every variant shares.
		var common []string
		for i, v := range s.Variants {
			vs := Resolve(v.Schema)
			if vs.Kind != KindObject {
				return fmt.Errorf("%s: union member %s is not an object", n.Ref(), v.Name)
			}
			var consts []string
			for _, p := range vs.Props {
				if p.Schema.Const != nil {
					consts = append(consts, p.JSON)
				}
			}
			if i == 0 {
				common = consts
			} else {
				common = slices.DeleteFunc(common, func(c string) bool { return !slices.Contains(consts, c) })
			}
		}
		if len(common) != 1 {
			return fmt.Errorf("%s: union members must share exactly one const discriminator, found %v", n.Ref(), common)
		}
		s.Discriminator = common[0]
		seen := map[string]bool{}
		for _, v := range s.Variants {
			c := DiscriminatorValue(v, s.Discriminator)
			if seen[c] {
				return fmt.Errorf("%s: two members with %s=%q", n.Ref(), s.Discriminator, c)
			}
			seen[c] = true
		}
	}
	return nil
}

// DiscriminatorValue returns the const value of prop in the object type n.
func DiscriminatorValue(n *Named, prop string) string {
	for _, p := range Resolve(n.Schema).Props {
		if p.JSON == prop && p.Schema.Const != nil {
			return *p.Schema.Const
		}
	}
	return ""
}

func (m *Model) loadManifest(man *manifest) error {
	seen := map[string]bool{}
	for _, mm := range man.Methods {
		if seen["m:"+mm.Name] {
			return fmt.Errorf("manifest: method %s listed twice", mm.Name)
		}
		seen["m:"+mm.Name] = true
		me := &Method{Name: mm.Name, GoName: GoMethodName(mm.Name), Group: mm.Group, Protocols: mm.Protocols,
			Scope: mm.Scope, Advertise: mm.Advertise, IdempotencyKey: mm.IdempotencyKey, File: mm.Schema}
		me.Params = m.Defs[mm.Schema+"#/$defs/params"]
		me.Result = m.Defs[mm.Schema+"#/$defs/result"]
		if me.Params == nil || me.Result == nil {
			return fmt.Errorf("manifest: method %s: %s needs $defs.params and $defs.result", mm.Name, mm.Schema)
		}
		if me.Params.Schema.Kind != KindObject {
			return fmt.Errorf("manifest: method %s: params must be a closed object", mm.Name)
		}
		if mm.V2 != nil {
			v2 := m.Defs[mm.Schema+"#/$defs/"+mm.V2.Params]
			if v2 == nil {
				return fmt.Errorf("manifest: method %s: no $defs.%s", mm.Name, mm.V2.Params)
			}
			me.ParamsV2 = v2
			if into, err := fitsInto(v2, me.Params, mm.V2.Rename); err == nil {
				v2.Into, v2.Rename = into, mm.V2.Rename
			} else if len(mm.V2.Rename) > 0 {
				return fmt.Errorf("manifest: method %s: v2 params cannot decode into %s: %w", mm.Name, me.Params.Name, err)
			}
		}
		m.Methods = append(m.Methods, me)
	}
	for _, ee := range man.Events {
		if seen["e:"+ee.Name] {
			return fmt.Errorf("manifest: event %s listed twice", ee.Name)
		}
		seen["e:"+ee.Name] = true
		ev := &Event{Name: ee.Name, GoName: GoMethodName(ee.Name), Protocols: ee.Protocols, Scope: ee.Scope, Targeted: ee.Targeted, File: ee.Schema}
		ev.Payload = m.Defs[ee.Schema+"#/$defs/payload"]
		if ev.Payload == nil {
			return fmt.Errorf("manifest: event %s: %s needs $defs.payload", ee.Name, ee.Schema)
		}
		var b bool
		if err := json.Unmarshal(ee.Droppable, &b); err == nil {
			ev.Droppable.Always = b
		} else {
			var d struct {
				Property string   `json:"property"`
				Values   []string `json:"values"`
			}
			if err := json.Unmarshal(ee.Droppable, &d); err != nil {
				return fmt.Errorf("manifest: event %s: bad droppable: %w", ee.Name, err)
			}
			ev.Droppable.Property, ev.Droppable.Values = d.Property, d.Values
		}
		m.Events = append(m.Events, ev)
	}
	return nil
}

// fitsInto checks that every property of v2 (after renaming) exists in canon with the
// same schema, so a v2 document can decode into the canonical Go type.
func fitsInto(v2, canon *Named, rename map[string]string) (*Named, error) {
	cs := canon.Schema
	for _, p := range v2.Schema.Props {
		name := p.JSON
		if r, ok := rename[name]; ok {
			name = r
		}
		var cp *Prop
		for _, q := range cs.Props {
			if q.JSON == name {
				cp = q
			}
		}
		if cp == nil {
			return nil, fmt.Errorf("property %s has no counterpart %s", p.JSON, name)
		}
		if !SameShape(p.Schema, cp.Schema) {
			return nil, fmt.Errorf("property %s differs from %s", p.JSON, name)
		}
		if p.Required && !cp.Required {
			// A v2-required property may be optional canonically: the Go field is a
			// pointer then, which still holds the value.
			continue
		}
	}
	return canon, nil
}

// SameShape reports whether two schemas produce the same Go type.
func SameShape(a, b *Schema) bool {
	if a.Kind != b.Kind || a.Nullable != b.Nullable {
		return false
	}
	switch a.Kind {
	case KindRef:
		return a.Ref == b.Ref
	case KindArray:
		return SameShape(a.Items, b.Items)
	case KindMap:
		return SameShape(a.Values, b.Values)
	case KindObject:
		return a.Named == b.Named
	case KindString:
		return len(a.Enum) == 0 && len(b.Enum) == 0 || a.Named == b.Named
	}
	return true
}

// GoName turns a wire property name into an exported Go identifier with initialisms.
func GoName(s string) string {
	parts := splitWords(s)
	var b strings.Builder
	for _, p := range parts {
		up := strings.ToUpper(p)
		if initialisms[up] {
			b.WriteString(up)
			continue
		}
		r := []rune(p)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	out := b.String()
	if out == "" || !unicode.IsLetter([]rune(out)[0]) {
		out = "X" + out
	}
	return out
}

// GoMethodName turns a wire method/event name into PascalCase without separators
// (node.pair.request → NodePairRequest), keeping the words' own capitalisation.
func GoMethodName(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

var initialisms = map[string]bool{"ID": true, "URL": true, "JSON": true, "IP": true, "JID": true, "HTTP": true, "UI": true, "API": true, "QR": true, "TTL": true, "UTF8": true}

// splitWords splits camelCase, snake_case, kebab-case and dotted names.
func splitWords(s string) []string {
	var words []string
	var cur []rune
	rs := []rune(s)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = nil
		}
	}
	for i, r := range rs {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ' || r == '$':
			flush()
		case unicode.IsUpper(r):
			// Start a new word unless inside an acronym run (JSON in paramsJSON).
			if len(cur) > 0 && (!unicode.IsUpper(cur[len(cur)-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
				flush()
			}
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}

func isTypeName(s string) bool {
	if s == "" || !unicode.IsUpper([]rune(s)[0]) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func intKey(raw map[string]any, k, at string) (*int, error) {
	v, ok := raw[k]
	if !ok {
		return nil, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("%s: %s must be a number", at, k)
	}
	i, err := n.Int64()
	if err != nil || i < 0 {
		return nil, fmt.Errorf("%s: %s must be a non-negative integer", at, k)
	}
	x := int(i)
	return &x, nil
}

func numKey(raw map[string]any, k, at string) (*float64, error) {
	v, ok := raw[k]
	if !ok {
		return nil, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("%s: %s must be a number", at, k)
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%s: %s: %v", at, k, err)
	}
	return &f, nil
}
