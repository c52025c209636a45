// Package model reads the schema/ directory (manifest plus JSON Schema files in the
// project's dialect) into one intermediate model that every consumer reads: the
// emitters (Go, Swift, bundle) in the way sqlc feeds several target languages from one
// catalogue, and tools/schemacheck (lint and breaking-change detection).
//
// The reader is strict and complete: anything outside the dialect described in
// schema/README.md is a Problem located by file and JSON Pointer, every problem is
// reported (not just the first), and an emitter never meets a construct it cannot
// compile. Read returns the model built so far together with the problems, for tools
// that look at imperfect schemas (lint, breaking); Load insists on none.
package model

import (
	"encoding/json"
	"slices"
	"sort"
)

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

	// Where the node is: its file and a JSON Pointer into it. For a nullable
	// anyOf the node is the first branch (Pointer ends in /anyOf/0).
	File    string
	Pointer string
	// Broken is set when the node could not be built (an unresolvable $ref, a value
	// that is not a schema); it says why. Load never returns a model with one.
	Broken string
	// Open is set for additionalProperties: true (outside the dialect: a map of any
	// value that says so with {}); kept so breaking-change reports can name it.
	Open bool

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

// Loc is the node's location, "file#pointer".
func (s *Schema) Loc() string { return s.File + "#" + s.Pointer }

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
	Name        string // Go/Swift type name ("" when the def's title is unusable)
	File        string // schema file, relative to schema/
	Key         string // $defs key, "" for inline types and the config root
	Description string
	Schema      *Schema
	Examples    []json.RawMessage
	Raw         map[string]any // the JSON of the def, for bundling
	Inline      bool
	// Into is set for a protocol-2 params def that decodes into another type.
	Into   *Named
	Rename map[string]string // v2 wire name → canonical wire name
}

// Ref returns the def's pointer "file#/$defs/key" ("file" for the config root).
func (n *Named) Ref() string {
	if n.Key == "" {
		return n.File
	}
	return n.File + "#/$defs/" + n.Key
}

// Pointer is the def's JSON Pointer inside its file ("" for the config root).
func (n *Named) Pointer() string {
	if n.Key == "" {
		return ""
	}
	return "/$defs/" + escape(n.Key)
}

// IsStruct reports whether the named type is a Go struct.
func (n *Named) IsStruct() bool { return n.Schema.Kind == KindObject }

// Roles a v3 connection may have (manifest "roles").
const (
	RoleOperator = "operator"
	RoleNode     = "node"
)

// Method is a manifest method with its resolved schemas.
type Method struct {
	Name           string
	GoName         string // PascalCase wire name
	Group          string
	Protocols      []int
	Scope          string
	Roles          []string // v3 roles that may call it (defaults applied)
	Bridge         bool     // a protocol-2 bridge node may call it with req
	Advertise      bool
	IdempotencyKey bool
	File           string
	Params         *Named
	Result         *Named
	ParamsV2       *Named // nil when protocol 2 shares Params
}

// NullableResult reports whether the result may be null (the result def is anyOf
// [schema, {"type": "null"}]): a handler's nil result is then answered as payload null,
// and the client call returns nil for it, as the original's "none yet" answers.
func (me *Method) NullableResult() bool {
	return me.Result != nil && me.Result.Schema != nil && me.Result.Schema.Nullable
}

// ParamsFor returns the params def protocol version p decodes.
func (me *Method) ParamsFor(p int) *Named {
	if p == 2 && me.ParamsV2 != nil {
		return me.ParamsV2
	}
	return me.Params
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

// Model is everything the emitters and checkers need.
type Model struct {
	Dir         string
	MinProtocol int
	MaxProtocol int
	Methods     []*Method
	Events      []*Event
	// BridgePending lists methods of the original that a bridge node may call but
	// that no schema here defines yet (manifest "bridgePending").
	BridgePending []string
	Types         []*Named            // every named type with a name, sorted by name
	Defs          map[string]*Named   // by Ref()
	Files         map[string][]byte   // raw file contents by relative path
	FileRoots     map[string]*FileDoc // parsed files
	// Unreadable lists the files that are not well-formed JSON, with the reason.
	Unreadable map[string]error
	// Manifest is manifest.json as written (nil when missing or malformed).
	Manifest *Manifest
	Frames   []*Named // RequestFrame, ResponseFrame, EventFrame, Frame (when all exist)
	Config   *Named   // root of config/clawdbot.json, if present
	// ErrorCode is defs.json's ErrorCode enum (the wire error codes), if present.
	ErrorCode *Named
	byName    map[string]*Named
}

// FileDoc is a parsed schema file.
type FileDoc struct {
	Path        string
	ID          string
	Title       string
	Description string
	Raw         map[string]any
}

// Lookup returns a named type by name.
func (m *Model) Lookup(name string) *Named { return m.byName[name] }

// Load reads dir (the schema/ directory) into a Model. Any problem is an error (a
// Problems value listing them).
func Load(dir string) (*Model, error) {
	files, err := ReadDir(dir)
	if err != nil {
		return nil, err
	}
	m, problems := Read(files)
	if len(problems) > 0 {
		return nil, problems
	}
	m.Dir = dir
	return m, nil
}

// Resolve follows refs to the underlying schema body.
func Resolve(s *Schema) *Schema {
	for i := 0; s.Kind == KindRef && s.Ref != nil && s.Ref.Schema != nil && i < maxRefChain; i++ {
		s = s.Ref.Schema
	}
	return s
}

// maxRefChain bounds alias chains (a longer one is a cycle).
const maxRefChain = 32

// DiscriminatorValue returns the const value of prop in the object type n.
func DiscriminatorValue(n *Named, prop string) string {
	for _, p := range Resolve(n.Schema).Props {
		if p.JSON == prop && p.Schema.Const != nil {
			return *p.Schema.Const
		}
	}
	return ""
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
		// Two enums with the same values decode alike (the canonical type checks them).
		return slices.Equal(a.Enum, b.Enum) || a.Named == b.Named
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
