package main

import (
	"encoding/json"
	"testing"
)

// TestPruneMixedTypes: a kept node whose type lists several non-null types (a
// record of string-or-number lists, as tools.elevated.allowFrom) becomes a free-form
// value, so the generated type takes either; a nullable single type stays typed.
func TestPruneMixedTypes(t *testing.T) {
	raw := []byte(`{"type":"object","properties":{
  "allowFrom":{"type":"object","x-implemented":true,"additionalProperties":{"type":"array","items":{"type":["string","number"]}}},
  "name":{"type":["string","null"],"x-implemented":true}}}`)
	out, err := pruneImplemented(raw)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Properties struct {
			AllowFrom struct {
				AdditionalProperties struct {
					Items map[string]any `json:"items"`
				} `json:"additionalProperties"`
			} `json:"allowFrom"`
			Name map[string]any `json:"name"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if items := got.Properties.AllowFrom.AdditionalProperties.Items; len(items) != 0 {
		t.Fatalf("mixed-type items kept a type: %v", items)
	}
	if got.Properties.Name["type"] == nil {
		t.Fatalf("nullable string lost its type: %v", got.Properties.Name)
	}
}
