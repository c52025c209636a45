package config

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
)

// TestImplementedMarksMatchExporterInput: the x-implemented marks in
// schema/config/clawdbot.json and the exporter's input (tools/configschema/implemented.json)
// list the same keys. A mark added only to the schema would be lost the next time the
// schema is re-exported from the original, and the key would silently turn into
// "accepted but not implemented".
func TestImplementedMarksMatchExporterInput(t *testing.T) {
	var in struct {
		Implemented map[string]json.RawMessage `json:"implemented"`
	}
	readJSON(t, "../../tools/configschema/implemented.json", &in)
	var schema map[string]any
	readJSON(t, "../../schema/config/clawdbot.json", &schema)

	marks := map[string]bool{}
	var walk func(n any, path []string)
	walk = func(n any, path []string) {
		m, ok := n.(map[string]any)
		if !ok {
			return
		}
		if v, _ := m["x-implemented"].(bool); v {
			marks[strings.Join(path, ".")] = true
		}
		if props, ok := m["properties"].(map[string]any); ok {
			for k, v := range props {
				walk(v, append(append([]string(nil), path...), k))
			}
		}
		for _, key := range []string{"additionalProperties", "items"} {
			if sub, ok := m[key].(map[string]any); ok {
				walk(sub, append(append([]string(nil), path...), "*"))
			}
		}
		for _, key := range []string{"anyOf", "oneOf", "allOf"} {
			if list, ok := m[key].([]any); ok {
				for _, sub := range list {
					walk(sub, path)
				}
			}
		}
	}
	walk(schema, nil)

	var onlySchema, onlyInput []string
	for k := range marks {
		if _, ok := in.Implemented[k]; !ok {
			onlySchema = append(onlySchema, k)
		}
	}
	for k := range in.Implemented {
		if !marks[k] {
			onlyInput = append(onlyInput, k)
		}
	}
	sort.Strings(onlySchema)
	sort.Strings(onlyInput)
	if len(onlySchema) > 0 {
		t.Errorf("x-implemented in the schema but missing from tools/configschema/implemented.json: %v", onlySchema)
	}
	if len(onlyInput) > 0 {
		t.Errorf("listed in tools/configschema/implemented.json but not marked in the schema: %v", onlyInput)
	}
	if len(marks) < 50 {
		t.Fatalf("only %d marks found: the walk is broken", len(marks))
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
