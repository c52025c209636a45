package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/clawgate/gateway/tools/protogen/model"
)

// pruneImplemented returns the config schema cut down to the keys marked
// x-implemented (and the objects that lead to them), for the Go types. The full
// schema is the original's, with unions and records go-jsonschema cannot turn into
// useful structs; the gateway validates against the full schema and decodes into
// these types only what it acts on. Inside kept nodes, a union that is not an enum
// becomes a free-form value (the code reads it with a type switch).
func pruneImplemented(raw []byte) ([]byte, error) {
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		return nil, err
	}
	pruned, keep := prune(root)
	if !keep {
		return nil, fmt.Errorf("no key is marked %s", model.XImplemented)
	}
	out := pruned.(map[string]any)
	for _, k := range []string{"$schema", "$id", "title", "description"} {
		out[k] = root[k]
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// prune returns node without the parts that carry no x-implemented key, and
// whether anything is left.
func prune(v any) (any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return v, false
	}
	if m[model.XImplemented] == true {
		return simplify(m), true
	}
	out := map[string]any{}
	keep := false
	if props, ok := m["properties"].(map[string]any); ok {
		kept := map[string]any{}
		for k, p := range props {
			if pv, ok := prune(p); ok {
				kept[k] = pv
			}
		}
		if len(kept) > 0 {
			out["properties"] = kept
			keep = true
		}
	}
	for _, k := range []string{"items", "additionalProperties"} {
		if sub, ok := m[k].(map[string]any); ok {
			if pv, ok := prune(sub); ok {
				out[k] = pv
				keep = true
			}
		}
	}
	if !keep {
		return nil, false
	}
	out["type"] = m["type"]
	if _, ok := out["additionalProperties"]; !ok {
		out["additionalProperties"] = false
	}
	if d, ok := m["description"]; ok {
		out["description"] = d
	}
	return out, true
}

// simplify keeps a marked node as it is, except that unions become free-form values
// (recursively) and custom keywords are dropped.
func simplify(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t["anyOf"]; ok || isMixedType(t["type"]) {
			out := map[string]any{}
			if d, ok := t["description"]; ok {
				out["description"] = d
			}
			return out
		}
		out := map[string]any{}
		for k, e := range t {
			switch k {
			case model.XImplemented, model.XExtension, "propertyNames":
			case "properties":
				props := map[string]any{}
				for pk, pv := range e.(map[string]any) {
					props[pk] = simplify(pv)
				}
				out[k] = props
			default:
				out[k] = simplify(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = simplify(e)
		}
		return out
	}
	return v
}

// isMixedType reports a "type" list of several non-null types (["string", "number"]):
// go-jsonschema picks one of them for a record's array items, which would refuse the
// others when the config is decoded, so such a node becomes a free-form value too.
func isMixedType(v any) bool {
	list, ok := v.([]any)
	if !ok {
		return false
	}
	n := 0
	for _, e := range list {
		if e != "null" {
			n++
		}
	}
	return n > 1
}
