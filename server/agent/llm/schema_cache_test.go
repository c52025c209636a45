package llm

import (
	"encoding/json"
	"fmt"

	"github.com/openai/openai-go/v3/shared"
	"testing"
)

// TestOpenAISchemaCache: a tool's schema is decoded once while its JSON is unchanged,
// decoded anew when it changes, and bad JSON is an error, not a cached entry.
func TestOpenAISchemaCache(t *testing.T) {
	o := &OpenAI{}
	a := ToolDef{Name: "read", Parameters: []byte(`{"type":"object","properties":{"path":{"type":"string","description":"a <path> & more"}},"required":["path"]}`)}
	s1, err := o.schema(a)
	if err != nil {
		t.Fatal(err)
	}
	// Encoded, the cached form is byte for byte what the decoded schema encodes to.
	var decoded map[string]any
	_ = json.Unmarshal(a.Parameters, &decoded)
	want, _ := shared.FunctionDefinitionParam{Name: "read", Parameters: shared.FunctionParameters(decoded)}.MarshalJSON()
	got, err := shared.FunctionDefinitionParam{Name: "read", Parameters: shared.FunctionParameters(s1)}.MarshalJSON()
	if err != nil || string(got) != string(want) {
		t.Fatalf("cached schema encodes to %s (%v), want %s", got, err, want)
	}
	s2, _ := o.schema(a)
	if fmt.Sprintf("%p", s1) != fmt.Sprintf("%p", s2) {
		t.Fatal("unchanged schema decoded twice")
	}
	b := ToolDef{Name: "read", Parameters: []byte(`{"type":"object"}`)}
	s3, err := o.schema(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s3["properties"]; ok || fmt.Sprintf("%p", s3) == fmt.Sprintf("%p", s1) {
		t.Fatalf("changed schema served from the cache: %v", s3)
	}
	if _, err := o.schema(ToolDef{Name: "bad", Parameters: []byte(`{`)}); err == nil {
		t.Fatal("bad schema accepted")
	}
	if s, err := o.schema(ToolDef{Name: "none"}); err != nil || s != nil {
		t.Fatalf("no parameters: %v, %v", s, err)
	}
}
