package models

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestSelectionResolve(t *testing.T) {
	const withMap = `{"agents":{"defaults":{"models":{
		"openai/gpt-5.2":{"alias":"GPT"},
		"anthropic/claude-opus-4-5":{"alias":" opus "},
		"local/qwen3":{"params":{"temperature":0.2}},
		"mini":{"alias":"small"}}}}}`
	tests := []struct {
		name, config, def, raw string
		key, alias, err        string // err: substring of the error, "" none
		notAllowed             bool
	}{
		{name: "alias to its full ref", config: withMap, def: "local/qwen3", raw: "gpt", key: "openai/gpt-5.2", alias: "GPT"},
		{name: "alias case-insensitive, trimmed", config: withMap, def: "local/qwen3", raw: "  OPUS ", key: "anthropic/claude-opus-4-5", alias: "opus"},
		{name: "full ref in the map", config: withMap, def: "local/qwen3", raw: "openai/gpt-5.2", key: "openai/gpt-5.2"},
		{name: "bare id is the default's provider", config: withMap, def: "local/qwen3", raw: "qwen3", key: "local/qwen3"},
		{name: "key without provider takes the default's", config: withMap, def: "local/qwen3", raw: "small", key: "local/mini", alias: "small"},
		{name: "default always allowed", config: `{"agents":{"defaults":{"models":{"openai/gpt-5.2":{}}}}}`, def: "local/qwen3", raw: "local/qwen3", key: "local/qwen3"},
		{name: "outside the allowlist", config: withMap, def: "local/qwen3", raw: "openai/gpt-4o", key: "openai/gpt-4o", err: "model not allowed: openai/gpt-4o", notAllowed: true},
		{name: "bare id outside the allowlist", config: withMap, def: "local/qwen3", raw: "llama", key: "local/llama", err: "model not allowed: local/llama", notAllowed: true},
		{name: "slash disables alias lookup", config: withMap, def: "local/qwen3", raw: "x/gpt", key: "x/gpt", err: "model not allowed: x/gpt", notAllowed: true},
		{name: "provider normalised", config: `{}`, def: "openai/gpt-4o", raw: " Z.AI / glm-4.7 ", key: "zai/glm-4.7"},
		{name: "anthropic short names", config: `{}`, def: "anthropic/claude-opus-4-5", raw: "sonnet-4.5", key: "anthropic/claude-sonnet-4-5"},
		{name: "no map: any model", config: `{}`, def: "openai/gpt-4o", raw: "groq/llama-3", key: "groq/llama-3"},
		{name: "map of only params entries is still the allowlist", config: `{"agents":{"defaults":{"models":{"openai/gpt-4o":{"params":{}}}}}}`, def: "openai/gpt-4o", raw: "openai/o3", key: "openai/o3", err: "model not allowed", notAllowed: true},
		{name: "default named by alias", config: withMap, def: "gpt", raw: "gpt-5.2", key: "openai/gpt-5.2"},
		{name: "empty", config: withMap, def: "local/qwen3", raw: "  ", err: "invalid model: empty"},
		{name: "provider without model", config: withMap, def: "local/qwen3", raw: "openai/", err: "invalid model: openai/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSelection(cfg(t, tt.config), tt.def)
			key, alias, rerr := s.Resolve(tt.raw)
			if rerr == nil && (key != tt.key || alias != tt.alias) {
				t.Errorf("Resolve(%q) = %q, %q; want %q, %q", tt.raw, key, alias, tt.key, tt.alias)
			}
			got, err := s.ResolveAllowed(tt.raw)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("ResolveAllowed(%q): %v", tt.raw, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("ResolveAllowed(%q) = %q, %v; want error containing %q", tt.raw, got, err, tt.err)
			case tt.err == "" && got != tt.key:
				t.Errorf("ResolveAllowed(%q) = %q, want %q", tt.raw, got, tt.key)
			}
			if errors.Is(err, ErrNotAllowed) != tt.notAllowed {
				t.Errorf("errors.Is(%v, ErrNotAllowed) = %v, want %v", err, !tt.notAllowed, tt.notAllowed)
			}
		})
	}
}

func TestSelectionAllowListAndAlias(t *testing.T) {
	s := NewSelection(cfg(t, `{"agents":{"defaults":{"models":{"openai/gpt-5.2":{"alias":"gpt"},"Anthropic/opus-4.5":{}}}}}`), "local/qwen3")
	if got, want := s.AllowList(), []string{"anthropic/claude-opus-4-5", "local/qwen3", "openai/gpt-5.2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AllowList = %v, want %v", got, want)
	}
	if k, ok := s.Alias("GPT"); !ok || k != "openai/gpt-5.2" {
		t.Errorf("Alias(GPT) = %q, %v", k, ok)
	}
	if k, ok := s.Alias("openai/gpt"); ok {
		t.Errorf("Alias(openai/gpt) = %q, want none", k)
	}
	if got := NewSelection(cfg(t, `{}`), "local/qwen3").AllowList(); got != nil {
		t.Errorf("AllowList without a map = %v, want nil (any)", got)
	}
	if d := s.Default(); d != "local/qwen3" {
		t.Errorf("Default = %q", d)
	}
	// The prompt's alias lines: sorted by alias, case-insensitively, entries without
	// an alias left out.
	s = NewSelection(cfg(t, `{"agents":{"defaults":{"models":{"openai/gpt-5.2":{"alias":"gpt"},"local/qwen3":{"alias":"Fast"},"Anthropic/opus-4.5":{}}}}}`), "local/qwen3")
	if got, want := s.AliasLines(), []string{"- Fast: local/qwen3", "- gpt: openai/gpt-5.2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AliasLines = %q, want %q", got, want)
	}
	if got := (*Selection)(nil).AliasLines(); got != nil {
		t.Errorf("nil selection: %q", got)
	}
}
