// Package tools holds the agent's tools — read, write, edit and apply_patch confined to
// the agent's workspace, exec and process, web_fetch and web_search, message, the sessions tools, nodes,
// canvas and the memory tools (memory_search, memory_get) — with their parameter schemas, and the tool policy (tools.profile, allow,
// deny, groups, per-agent and per-provider overrides) that decides which of them a run
// may offer.
//
// Why tools are plain values with narrow dependencies: each tool talks to the rest of the
// gateway through a small interface it declares (Sender, Sessions, NodeInvoker, the exec
// approvals gate), so the tool loop and its tests need no gateway, and wiring a tool in
// is one constructor call with the gateway's implementation of that interface.
package tools

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kaptinlin/jsonschema"

	"github.com/clawgate/gateway/server/agent/llm"
)

// Tool is one tool the model can call.
type Tool struct {
	Name        string
	Label       string
	Description string
	// Parameters is the JSON Schema of the arguments (an object schema).
	Parameters json.RawMessage
	// Timeout overrides the loop's default timeout for this tool (0 = default).
	Timeout time.Duration
	// Execute runs one call. An error becomes an error result whose text is the error's
	// message. ctx ends on abort and at the tool's timeout.
	Execute func(ctx context.Context, call Call) (Result, error)

	validate func(args json.RawMessage) error
}

// Call is one invocation.
type Call struct {
	ID   string
	Args json.RawMessage
	// OnUpdate receives partial results (exec output as it arrives); may be nil.
	OnUpdate func(Result)
}

// Update reports a partial result when the caller wants them.
func (c Call) Update(r Result) {
	if c.OnUpdate != nil {
		c.OnUpdate(r)
	}
}

// Result is a tool's answer: content for the model, structured details for clients and
// the transcript, and whether it failed.
type Result struct {
	Content []llm.Part
	Details any
	IsError bool
}

// Def returns the tool as offered to the model.
func (t *Tool) Def() llm.ToolDef {
	return llm.ToolDef{Name: t.Name, Description: t.Description, Parameters: t.Parameters}
}

// Validate checks args against the tool's schema.
func (t *Tool) Validate(args json.RawMessage) error {
	if t.validate == nil {
		return nil
	}
	return t.validate(args)
}

// TextResult is a result with one text part.
func TextResult(text string, details any) Result {
	return Result{Content: []llm.Part{llm.TextPart(text)}, Details: details}
}

// JSONResult renders payload as indented JSON text, with payload as the details — the
// original's jsonResult.
func JSONResult(payload any) Result {
	b, err := json.MarshalIndent(payload, "", "  ")
	if err != nil {
		b = []byte(fmt.Sprintf("%v", payload))
	}
	return Result{Content: []llm.Part{llm.TextPart(string(b))}, Details: payload}
}

//go:embed schemas/*.json
var schemaFS embed.FS

// schemaSet holds the compiled schemas of the built-in tools. It is built once and never
// changes afterwards (constant data, like a package-level regexp).
type schemaSet struct {
	raw      map[string]json.RawMessage
	compiled map[string]*jsonschema.Schema
}

var builtinSchemas = sync.OnceValues(func() (*schemaSet, error) {
	s := &schemaSet{raw: map[string]json.RawMessage{}, compiled: map[string]*jsonschema.Schema{}}
	ents, err := schemaFS.ReadDir("schemas")
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	for _, scheme := range []string{"http", "https"} {
		c.RegisterLoader(scheme, func(url string) (io.ReadCloser, error) {
			return nil, fmt.Errorf("tools: schema fetch disabled: %s", url)
		})
	}
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".json")
		b, err := schemaFS.ReadFile("schemas/" + e.Name())
		if err != nil {
			return nil, err
		}
		var probe map[string]any
		if err := json.Unmarshal(b, &probe); err != nil {
			return nil, fmt.Errorf("tools: schema %s: %w", name, err)
		}
		compact, _ := json.Marshal(probe)
		sch, err := c.Compile(b)
		if err != nil {
			return nil, fmt.Errorf("tools: compile schema %s: %w", name, err)
		}
		// Warm up lazily compiled parts before the schema is shared.
		_ = sch.ValidateJSON([]byte(`{}`))
		s.raw[name] = compact
		s.compiled[name] = sch
	}
	return s, nil
})

// Schema returns the parameter schema of the built-in tool name.
func Schema(name string) (json.RawMessage, error) {
	s, err := builtinSchemas()
	if err != nil {
		return nil, err
	}
	b, ok := s.raw[name]
	if !ok {
		return nil, fmt.Errorf("tools: no schema for %q", name)
	}
	return b, nil
}

// withSchema fills Parameters and the validator of a built-in tool from its schema file.
func withSchema(t *Tool) (*Tool, error) {
	s, err := builtinSchemas()
	if err != nil {
		return nil, err
	}
	raw, ok := s.raw[t.Name]
	if !ok {
		return nil, fmt.Errorf("tools: no schema for %q", t.Name)
	}
	sch := s.compiled[t.Name]
	t.Parameters = raw
	name := t.Name
	t.validate = func(args json.RawMessage) error {
		res := sch.ValidateJSON(args)
		if res.IsValid() {
			return nil
		}
		errs := res.DetailedErrors()
		keys := make([]string, 0, len(errs))
		for k := range errs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		fmt.Fprintf(&b, "Validation failed for tool %q:", name)
		for _, k := range keys {
			p := k
			if p == "" {
				p = "(root)"
			}
			fmt.Fprintf(&b, "\n  - %s: %s", p, errs[k])
		}
		return errors.New(b.String())
	}
	return t, nil
}

// args decodes the call's arguments into dst.
func decodeArgs(raw json.RawMessage, dst any) error {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("invalid arguments: %w", err)
	}
	return nil
}

// Set is the tools of one run, in a stable order, looked up by name. A set is built
// for every run, so it is kept small: a run offers a few dozen tools at most, and a
// linear scan of their normalized names finds one as fast as a map would, without
// building the map twice per run (NewSet and Filter) as it used to.
type Set struct {
	list []*Tool
	keys []string // NormalizeName of each tool's name, parallel to list
	// defs is list's definitions, built on first use (Defs is asked once by the
	// engine and once by the loop of every run).
	defsOnce sync.Once
	defs     []llm.ToolDef
}

// NewSet returns a set; a duplicate name is an error.
func NewSet(tools ...*Tool) (*Set, error) {
	s := &Set{list: make([]*Tool, 0, len(tools)), keys: make([]string, 0, len(tools))}
	for _, t := range tools {
		if t == nil {
			continue
		}
		n := NormalizeName(t.Name)
		if slices.Contains(s.keys, n) {
			return nil, fmt.Errorf("tools: duplicate tool %q", t.Name)
		}
		s.keys = append(s.keys, n)
		s.list = append(s.list, t)
	}
	return s, nil
}

// Get returns the tool name refers to (aliases such as "bash" included).
func (s *Set) Get(name string) (*Tool, bool) {
	if s == nil {
		return nil, false
	}
	if i := slices.Index(s.keys, NormalizeName(name)); i >= 0 {
		return s.list[i], true
	}
	return nil, false
}

// Tools returns the tools in order.
func (s *Set) Tools() []*Tool {
	if s == nil {
		return nil
	}
	return s.list
}

// Names returns the tool names in order.
func (s *Set) Names() []string {
	out := make([]string, len(s.Tools()))
	for i, t := range s.Tools() {
		out[i] = t.Name
	}
	return out
}

// Defs returns the definitions offered to the model. The slice is shared by every
// caller and must not be modified.
func (s *Set) Defs() []llm.ToolDef {
	if s == nil {
		return []llm.ToolDef{}
	}
	s.defsOnce.Do(func() {
		s.defs = make([]llm.ToolDef, len(s.list))
		for i, t := range s.list {
			s.defs[i] = t.Def()
		}
	})
	return s.defs
}

// Filter returns the tools allowed by every policy (see Allowed).
func (s *Set) Filter(policies ...*Policy) *Set {
	n := len(s.Tools())
	out := &Set{list: make([]*Tool, 0, n), keys: make([]string, 0, n)}
	for i, t := range s.Tools() {
		if AllowedByAll(t.Name, policies...) {
			out.keys = append(out.keys, s.keys[i])
			out.list = append(out.list, t)
		}
	}
	return out
}
