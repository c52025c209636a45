package config

import (
	"encoding/json"
	"fmt"
	"strings"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

// UIHint is how an editor renders one config key (config.schema uiHints).
type UIHint struct {
	Label        string          `json:"label,omitempty"`
	Help         string          `json:"help,omitempty"`
	Group        string          `json:"group,omitempty"`
	Order        *int64          `json:"order,omitempty"`
	Advanced     bool            `json:"advanced,omitempty"`
	Sensitive    bool            `json:"sensitive,omitempty"`
	Placeholder  string          `json:"placeholder,omitempty"`
	ItemTemplate json.RawMessage `json:"itemTemplate,omitempty"`
}

// maxHintDepth bounds the schema walk of UIHints (the config schema nests about 12
// deep; anything deeper is not a form field anyone edits).
const maxHintDepth = 24

// UIHints builds the config form's hints by dotted path ("*" = any map key or array
// item) from the schema and its hints file (schema/config/uihints.json, embedded in
// gen/go/config):
//   - every group (top-level key) gets its label as label and group, and its order;
//   - the file's field hints are laid over that;
//   - a key without help takes its schema description;
//   - every key the redaction treats as a secret (IsSensitiveKey on any segment of
//     its path) is sensitive, so the form masks exactly what config.get redacts.
//
// Nothing here is a list in Go: a new secret key or description in the schema shows
// up in the hints without a code change.
func UIHints() (map[string]UIHint, error) {
	var file struct {
		Groups map[string]UIHint `json:"groups"`
		Fields map[string]UIHint `json:"fields"`
	}
	if err := json.Unmarshal(genconfig.UIHintsJSON, &file); err != nil {
		return nil, fmt.Errorf("config: ui hints: %w", err)
	}
	var schema map[string]any
	if err := json.Unmarshal(genconfig.SchemaJSON, &schema); err != nil {
		return nil, fmt.Errorf("config: schema: %w", err)
	}
	hints := map[string]UIHint{}
	for k, g := range file.Groups {
		g.Group = g.Label
		hints[k] = g
	}
	for k, f := range file.Fields {
		h := hints[k]
		mergeHint(&h, f)
		hints[k] = h
	}
	walkSchema(schema, nil, 0, func(path []string, node map[string]any) {
		key := strings.Join(path, ".")
		desc, _ := node["description"].(string)
		sensitive := underSensitive(path)
		h, ok := hints[key]
		if !ok && desc == "" && !sensitive {
			return
		}
		if h.Help == "" {
			h.Help = desc
		}
		h.Sensitive = h.Sensitive || sensitive
		hints[key] = h
	})
	return hints, nil
}

func mergeHint(dst *UIHint, src UIHint) {
	if src.Label != "" {
		dst.Label = src.Label
	}
	if src.Help != "" {
		dst.Help = src.Help
	}
	if src.Group != "" {
		dst.Group = src.Group
	}
	if src.Order != nil {
		dst.Order = src.Order
	}
	dst.Advanced = dst.Advanced || src.Advanced
	if src.Placeholder != "" {
		dst.Placeholder = src.Placeholder
	}
	if src.ItemTemplate != nil {
		dst.ItemTemplate = src.ItemTemplate
	}
}

// walkSchema calls f for every keyed node below the root: properties by name, map
// values and array items as "*", through anyOf/oneOf/allOf branches.
func walkSchema(node map[string]any, path []string, depth int, f func([]string, map[string]any)) {
	if depth > maxHintDepth {
		return
	}
	if len(path) > 0 {
		f(path, node)
	}
	child := func(seg string, v any) {
		if m, ok := v.(map[string]any); ok {
			walkSchema(m, append(append([]string{}, path...), seg), depth+1, f)
		}
	}
	if props, ok := node["properties"].(map[string]any); ok {
		for k, v := range props {
			child(k, v)
		}
	}
	child("*", node["additionalProperties"])
	child("*", node["items"])
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if bs, ok := node[k].([]any); ok {
			for _, b := range bs {
				if m, ok := b.(map[string]any); ok {
					// A branch describes the same key: walk it without adding a segment,
					// but do not report the branch node itself.
					walkBranch(m, path, depth+1, f)
				}
			}
		}
	}
}

func walkBranch(node map[string]any, path []string, depth int, f func([]string, map[string]any)) {
	if depth > maxHintDepth {
		return
	}
	if props, ok := node["properties"].(map[string]any); ok {
		for k, v := range props {
			if m, ok := v.(map[string]any); ok {
				walkSchema(m, append(append([]string{}, path...), k), depth+1, f)
			}
		}
	}
	for _, k := range []string{"additionalProperties", "items"} {
		if m, ok := node[k].(map[string]any); ok {
			walkSchema(m, append(append([]string{}, path...), "*"), depth+1, f)
		}
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if bs, ok := node[k].([]any); ok {
			for _, b := range bs {
				if m, ok := b.(map[string]any); ok {
					walkBranch(m, path, depth+1, f)
				}
			}
		}
	}
}
