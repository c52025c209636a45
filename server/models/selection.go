package models

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/llm"
)

// ErrNotAllowed is the error of a model outside the agents.defaults.models allowlist.
var ErrNotAllowed = errors.New("model not allowed")

// NotAllowedError names the refused model; its message is the original's
// ("model not allowed: provider/model").
type NotAllowedError struct{ Key string }

func (e *NotAllowedError) Error() string { return "model not allowed: " + e.Key }

// Is makes errors.Is(err, ErrNotAllowed) true.
func (e *NotAllowedError) Is(target error) bool { return target == ErrNotAllowed }

// Selection resolves the model a person names (sessions.patch model, /model, an
// agent's configured model) as the original does: agents.defaults.models maps
// "provider/model" keys to an optional alias, so a name without a slash is first an
// alias (case-insensitive), else a model id of the default provider; and when that map
// has keys it is the allowlist, with the default model always allowed.
//
// A Selection is immutable: build one per configuration (a reload builds a new one).
type Selection struct {
	defaultProvider string
	defaultKey      string
	aliases         map[string]aliasTarget // lower-cased alias → target
	allowed         map[string]bool        // nil: any model
}

type aliasTarget struct{ alias, key string }

// NewSelection reads agents.defaults.models of cfg; defaultRef is the default model
// ("provider/model", or an alias of that map), whose provider is also the provider of
// a bare model id.
func NewSelection(cfg *genconfig.ClawdbotConfig, defaultRef string) *Selection {
	s := &Selection{aliases: map[string]aliasTarget{}}
	var entries genconfig.ConfigAgentsDefaultsModels
	if cfg != nil && cfg.Agents != nil && cfg.Agents.Defaults != nil {
		entries = cfg.Agents.Defaults.Models
	}
	// The aliases first resolve the default (agents.defaults.model.primary may be an
	// alias); keys without a provider take the default's provider, so parse the default
	// as a full ref when it has a slash, else against llm.DefaultProvider.
	provider := llm.DefaultProvider
	if p, _, ok := strings.Cut(strings.TrimSpace(defaultRef), "/"); ok && strings.TrimSpace(p) != "" {
		provider = llm.NormalizeProvider(p)
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the last duplicate alias wins, deterministically
	build := func(provider string) {
		s.aliases = map[string]aliasTarget{}
		for _, k := range keys {
			ref, ok := parseRef(k, provider)
			if !ok {
				continue
			}
			if a := entries[k].Alias; a != nil && strings.TrimSpace(*a) != "" {
				alias := strings.TrimSpace(*a)
				s.aliases[strings.ToLower(alias)] = aliasTarget{alias: alias, key: ref.String()}
			}
		}
	}
	build(provider)
	if def, _, ok := s.resolve(defaultRef, provider); ok {
		s.defaultKey = def.String()
		if def.Provider != provider { // an alias naming another provider's model
			provider = def.Provider
			build(provider)
		}
	}
	s.defaultProvider = provider
	for _, k := range keys {
		if ref, ok := parseRef(k, provider); ok {
			if s.allowed == nil {
				s.allowed = map[string]bool{}
			}
			s.allowed[ref.String()] = true
		}
	}
	if s.allowed != nil && s.defaultKey != "" {
		s.allowed[s.defaultKey] = true
	}
	return s
}

// Default is the canonical default model ("" when none was given).
func (s *Selection) Default() string { return s.defaultKey }

// Resolve returns the canonical "provider/model" of raw and the alias it was named by
// ("" when it was not an alias). It does not consult the allowlist.
func (s *Selection) Resolve(raw string) (key, alias string, err error) {
	ref, alias, ok := s.resolve(raw, s.defaultProvider)
	if !ok {
		if strings.TrimSpace(raw) == "" {
			return "", "", errors.New("invalid model: empty")
		}
		return "", "", fmt.Errorf("invalid model: %s", strings.TrimSpace(raw))
	}
	return ref.String(), alias, nil
}

// Allowed reports whether the canonical key may be used: always without an allowlist.
func (s *Selection) Allowed(key string) bool {
	return s.allowed == nil || s.allowed[key]
}

// AllowList is the allowlist's canonical keys, sorted; nil when any model is allowed.
func (s *Selection) AllowList() []string {
	if s.allowed == nil {
		return nil
	}
	out := make([]string, 0, len(s.allowed))
	for k := range s.allowed {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ResolveAllowed is Resolve, then the allowlist: a model outside it is a
// *NotAllowedError.
func (s *Selection) ResolveAllowed(raw string) (string, error) {
	key, _, err := s.Resolve(raw)
	if err != nil {
		return "", err
	}
	if !s.Allowed(key) {
		return "", &NotAllowedError{Key: key}
	}
	return key, nil
}

func (s *Selection) resolve(raw, provider string) (llm.Ref, string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return llm.Ref{}, "", false
	}
	if !strings.Contains(raw, "/") {
		if t, ok := s.aliases[strings.ToLower(raw)]; ok {
			ref, ok := parseRef(t.key, provider)
			return ref, t.alias, ok
		}
	}
	ref, ok := parseRef(raw, provider)
	return ref, "", ok
}

// parseRef is the original's parseModelRef: "provider/model" split at the first
// slash with the provider normalised, a bare id belonging to provider, and the
// Anthropic short names expanded.
func parseRef(raw, provider string) (llm.Ref, bool) {
	raw = strings.TrimSpace(raw)
	p, m, ok := strings.Cut(raw, "/")
	if !ok {
		p, m = provider, raw
	}
	p, m = llm.NormalizeProvider(p), strings.TrimSpace(m)
	if p == "" || m == "" {
		return llm.Ref{}, false
	}
	if p == "anthropic" {
		switch strings.ToLower(m) {
		case "opus-4.5":
			m = "claude-opus-4-5"
		case "sonnet-4.5":
			m = "claude-sonnet-4-5"
		}
	}
	return llm.Ref{Provider: p, Model: m}, true
}

// AliasLines lists the aliases of agents.defaults.models as the system prompt's
// "Model Aliases" section shows them: "- <alias>: <provider/model>", sorted by alias.
func (s *Selection) AliasLines() []string {
	if s == nil {
		return nil
	}
	targets := make([]aliasTarget, 0, len(s.aliases))
	for _, t := range s.aliases {
		targets = append(targets, t)
	}
	sort.Slice(targets, func(i, j int) bool {
		a, b := strings.ToLower(targets[i].alias), strings.ToLower(targets[j].alias)
		if a != b {
			return a < b
		}
		return targets[i].alias < targets[j].alias
	})
	lines := make([]string, 0, len(targets))
	for _, t := range targets {
		lines = append(lines, "- "+t.alias+": "+t.key)
	}
	return lines
}

// Alias returns the canonical "provider/model" an alias names (case-insensitive);
// ok is false when name is not an alias of agents.defaults.models.
func (s *Selection) Alias(name string) (key string, ok bool) {
	name = strings.TrimSpace(name)
	if strings.Contains(name, "/") {
		return "", false
	}
	t, ok := s.aliases[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	ref, ok := parseRef(t.key, s.defaultProvider)
	return ref.String(), ok
}
