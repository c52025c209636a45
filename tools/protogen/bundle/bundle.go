// Package bundle writes every protocol schema into one self-contained JSON Schema
// document (gen/schema/protocol.schema.json) for tools in other languages: each named
// definition under $defs by its type name, cross-file references rewritten to
// "#/$defs/<Name>", plus the manifest so a reader knows the methods and events.
package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/clawgate/gateway/tools/protogen/model"
)

// Generate returns the bundled schema document.
func Generate(m *model.Model) ([]byte, error) {
	defs := map[string]any{}
	for _, n := range m.Types {
		if n.Inline || n.File == model.ConfigFile {
			continue
		}
		raw, err := rewrite(m, n.File, n.Raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Ref(), err)
		}
		defs[n.Name] = raw
	}
	methods := make([]any, 0, len(m.Methods))
	for _, me := range m.Methods {
		e := map[string]any{"name": me.Name, "protocols": me.Protocols, "scope": me.Scope, "advertise": me.Advertise,
			"params": "#/$defs/" + me.Params.Name, "result": "#/$defs/" + me.Result.Name}
		if me.ParamsV2 != nil {
			e["paramsV2"] = "#/$defs/" + me.ParamsV2.Name
		}
		methods = append(methods, e)
	}
	events := make([]any, 0, len(m.Events))
	for _, ev := range m.Events {
		e := map[string]any{"name": ev.Name, "protocols": ev.Protocols, "payload": "#/$defs/" + ev.Payload.Name, "targeted": ev.Targeted}
		if ev.Droppable.Property != "" {
			e["droppable"] = map[string]any{"property": ev.Droppable.Property, "values": ev.Droppable.Values}
		} else {
			e["droppable"] = ev.Droppable.Always
		}
		events = append(events, e)
	}
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         model.IDBase + "protocol.schema.json",
		"title":       "Clawdbot Gateway protocol",
		"description": fmt.Sprintf("Every frame, method and event of the gateway protocol (versions %d to %d), bundled from schema/ by tools/protogen. The document itself validates one frame.", m.MinProtocol, m.MaxProtocol),
		"$ref":        "#/$defs/Frame",
		"$defs":       defs,
		"x-protocol":  map[string]any{"min": m.MinProtocol, "max": m.MaxProtocol, "methods": methods, "events": events},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// rewrite deep-copies v, turning every $ref into a reference to the bundled $defs.
func rewrite(m *model.Model, file string, v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "$ref" {
				ref, _ := t[k].(string)
				name, err := resolve(m, file, ref)
				if err != nil {
					return nil, err
				}
				out[k] = "#/$defs/" + name
				continue
			}
			if k == "$schema" || k == "$id" {
				continue
			}
			c, err := rewrite(m, file, t[k])
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i := range t {
			c, err := rewrite(m, file, t[i])
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return v, nil
}

func resolve(m *model.Model, file, ref string) (string, error) {
	target, frag, _ := strings.Cut(ref, "#")
	tfile := file
	if target != "" {
		tfile = path.Clean(path.Join(path.Dir(file), target))
	}
	n := m.Defs[tfile+"#"+frag]
	if n == nil {
		return "", fmt.Errorf("unresolved $ref %q", ref)
	}
	return n.Name, nil
}
