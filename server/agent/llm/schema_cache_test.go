package llm

import (
	"fmt"
	"testing"
)

// TestOpenAISchemaCache: a tool's schema is decoded once while its JSON is unchanged,
// decoded anew when it changes, and bad JSON is an error, not a cached entry.
func TestOpenAISchemaCache(t *testing.T) {
	o := &OpenAI{}
	a := ToolDef{Name: "read", Parameters: []byte(`{"type":"object","properties":{"path":{"type":"string"}}}`)}
	s1, err := o.schema(a)
	if err != nil {
		t.Fatal(err)
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
