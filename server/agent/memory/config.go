// Package memory is the agent's memory index: the Markdown memory files of an agent's
// workspace (MEMORY.md, memory.md and memory/**/*.md) chunked by lines, stored in one
// SQLite file per agent with an FTS5 table for keyword search and float32 embeddings for
// vector search, kept in sync with the files, and searched by the hybrid of the two that
// the memory_search tool answers with.
//
// Why vector search is plain Go: the original loads the sqlite-vec extension when it can
// and falls back to cosine similarity in JavaScript; a pure-Go SQLite cannot load
// extensions, and a memory index is small (hundreds of chunks), so a scan in Go is both
// the only option and fast enough.
package memory

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"time"
)

// The original's defaults (src/agents/memory-search.ts).
const (
	DefaultOpenAIModel         = "text-embedding-3-small"
	DefaultChunkTokens         = 400
	DefaultChunkOverlap        = 80
	DefaultWatchDebounce       = 1500 * time.Millisecond
	DefaultMaxResults          = 6
	DefaultMinScore            = 0.35
	DefaultVectorWeight        = 0.7
	DefaultTextWeight          = 0.3
	DefaultCandidateMultiplier = 4
	// DefaultSessionDeltaBytes and DefaultSessionDeltaMessages are how much a session
	// transcript must grow before it is indexed again (sync.sessions.*).
	DefaultSessionDeltaBytes    = 100_000
	DefaultSessionDeltaMessages = 50
	// MaxCandidateMultiplier and MaxCandidates bound the rows each half of a hybrid
	// query reads, as the original clamps them.
	MaxCandidateMultiplier = 20
	MaxCandidates          = 200
)

// Provider names (agents.defaults.memorySearch.provider / fallback).
const (
	ProviderAuto   = "auto"
	ProviderOpenAI = "openai"
	ProviderGemini = "gemini"
	ProviderLocal  = "local"
	ProviderNone   = "none"
)

// Config is agents.defaults.memorySearch or agents.list[].memorySearch as written in the
// config file: every field optional, so an agent's entry overrides the defaults field by
// field. It decodes from the generated config types through JSON (FromJSON).
type Config struct {
	Enabled      *bool    `json:"enabled,omitempty"`
	Sources      []string `json:"sources,omitempty"`
	Experimental *struct {
		SessionMemory *bool `json:"sessionMemory,omitempty"`
	} `json:"experimental,omitempty"`
	Provider *string `json:"provider,omitempty"`
	Remote   *struct {
		BaseURL *string           `json:"baseUrl,omitempty"`
		APIKey  *string           `json:"apiKey,omitempty"`
		Headers map[string]string `json:"headers,omitempty"`
	} `json:"remote,omitempty"`
	Fallback *string `json:"fallback,omitempty"`
	Model    *string `json:"model,omitempty"`
	Store    *struct {
		Path *string `json:"path,omitempty"`
	} `json:"store,omitempty"`
	Chunking *struct {
		Tokens  *int `json:"tokens,omitempty"`
		Overlap *int `json:"overlap,omitempty"`
	} `json:"chunking,omitempty"`
	Sync *struct {
		OnSessionStart  *bool `json:"onSessionStart,omitempty"`
		OnSearch        *bool `json:"onSearch,omitempty"`
		Watch           *bool `json:"watch,omitempty"`
		WatchDebounceMs *int  `json:"watchDebounceMs,omitempty"`
		IntervalMinutes *int  `json:"intervalMinutes,omitempty"`
		Sessions        *struct {
			DeltaBytes    *int64 `json:"deltaBytes,omitempty"`
			DeltaMessages *int64 `json:"deltaMessages,omitempty"`
		} `json:"sessions,omitempty"`
	} `json:"sync,omitempty"`
	Query *struct {
		MaxResults *int     `json:"maxResults,omitempty"`
		MinScore   *float64 `json:"minScore,omitempty"`
		Hybrid     *struct {
			Enabled             *bool    `json:"enabled,omitempty"`
			VectorWeight        *float64 `json:"vectorWeight,omitempty"`
			TextWeight          *float64 `json:"textWeight,omitempty"`
			CandidateMultiplier *int     `json:"candidateMultiplier,omitempty"`
		} `json:"hybrid,omitempty"`
	} `json:"query,omitempty"`
	Cache *struct {
		Enabled    *bool `json:"enabled,omitempty"`
		MaxEntries *int  `json:"maxEntries,omitempty"`
	} `json:"cache,omitempty"`
}

// FromJSON converts a generated config value (the defaults' or an agent's memorySearch
// type, which have the same JSON shape) to a Config; nil gives nil.
func FromJSON(v any) *Config {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil
	}
	var c Config
	if json.Unmarshal(b, &c) != nil {
		return nil
	}
	return &c
}

// Settings is the resolved configuration of one agent's memory index.
type Settings struct {
	AgentID string
	// Sources are what the index holds and searches: SourceMemory and, with
	// experimental.sessionMemory, SourceSessions.
	Sources []string
	// SessionMemory is experimental.sessionMemory.
	SessionMemory bool
	// SessionDeltaBytes and SessionDeltaMessages (sync.sessions): a transcript is
	// indexed again once it grew by either; 0 = on any growth.
	SessionDeltaBytes, SessionDeltaMessages int64
	Provider                                string // auto, openai, gemini, local
	Fallback                                string // openai, gemini, local, none
	Model                                   string
	Remote                                  Remote
	// StorePath is the SQLite file.
	StorePath string

	ChunkTokens, ChunkOverlap int

	SyncOnSessionStart bool
	SyncOnSearch       bool
	Watch              bool
	WatchDebounce      time.Duration
	// SyncInterval re-indexes periodically; 0 = never.
	SyncInterval time.Duration

	MaxResults          int
	MinScore            float64
	HybridEnabled       bool
	VectorWeight        float64
	TextWeight          float64
	CandidateMultiplier int

	CacheEnabled bool
	// CacheMaxEntries bounds the embedding cache; 0 = unbounded, as the original.
	CacheMaxEntries int
}

// Remote is memorySearch.remote: the OpenAI-compatible endpoint.
type Remote struct {
	BaseURL string
	APIKey  string
	Headers map[string]string
}

func pick[T any](vals ...*T) (T, bool) {
	for _, v := range vals {
		if v != nil {
			return *v, true
		}
	}
	var z T
	return z, false
}

// or returns v when it was set, else the default it is then called with:
// or(pick(a, b))(def).
func or[T any](v T, ok bool) func(T) T {
	return func(def T) T {
		if ok {
			return v
		}
		return def
	}
}

func clampF(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }

// Resolve merges an agent's memorySearch over the defaults, field by field, with the
// original's defaults for what neither sets. ok is false when memory search is disabled
// (enabled is true unless set false). stateDir is where the default store lives
// (<stateDir>/memory/<agentId>.sqlite); home expands a leading ~ in store.path.
func Resolve(defaults, agent *Config, agentID, stateDir, home string) (s Settings, ok bool) {
	if defaults == nil {
		defaults = &Config{}
	}
	if agent == nil {
		agent = &Config{}
	}
	if en, set := pick(agent.Enabled, defaults.Enabled); set && !en {
		return Settings{}, false
	}
	s.AgentID = agentID
	var aexp, dexp *bool
	if agent.Experimental != nil {
		aexp = agent.Experimental.SessionMemory
	}
	if defaults.Experimental != nil {
		dexp = defaults.Experimental.SessionMemory
	}
	s.SessionMemory = or(pick(aexp, dexp))(false)
	srcs := agent.Sources
	if srcs == nil {
		srcs = defaults.Sources
	}
	s.Sources = normalizeSources(srcs, s.SessionMemory)
	s.Provider = or(pick(agent.Provider, defaults.Provider))(ProviderAuto)
	s.Fallback = or(pick(agent.Fallback, defaults.Fallback))(ProviderNone)
	modelDefault := ""
	switch s.Provider {
	case ProviderOpenAI:
		modelDefault = DefaultOpenAIModel
	case ProviderGemini:
		modelDefault = "gemini-embedding-001"
	}
	s.Model = or(pick(agent.Model, defaults.Model))(modelDefault)

	var ar, dr Config
	if agent.Remote != nil {
		ar.Remote = agent.Remote
	}
	if defaults.Remote != nil {
		dr.Remote = defaults.Remote
	}
	if ar.Remote != nil || dr.Remote != nil {
		get := func(f func(c *Config) *string) string {
			for _, c := range []*Config{&ar, &dr} {
				if c.Remote != nil {
					if v := f(c); v != nil {
						return *v
					}
				}
			}
			return ""
		}
		s.Remote.BaseURL = get(func(c *Config) *string { return c.Remote.BaseURL })
		s.Remote.APIKey = get(func(c *Config) *string { return c.Remote.APIKey })
		if ar.Remote != nil && ar.Remote.Headers != nil {
			s.Remote.Headers = ar.Remote.Headers
		} else if dr.Remote != nil {
			s.Remote.Headers = dr.Remote.Headers
		}
	}

	var storePath string
	if agent.Store != nil && agent.Store.Path != nil {
		storePath = *agent.Store.Path
	} else if defaults.Store != nil && defaults.Store.Path != nil {
		storePath = *defaults.Store.Path
	}
	s.StorePath = resolveStorePath(storePath, agentID, stateDir, home)

	type chunking = struct {
		Tokens  *int `json:"tokens,omitempty"`
		Overlap *int `json:"overlap,omitempty"`
	}
	ac, dc := agent.Chunking, defaults.Chunking
	if ac == nil {
		ac = &chunking{}
	}
	if dc == nil {
		dc = &chunking{}
	}
	s.ChunkTokens = max(1, or(pick(ac.Tokens, dc.Tokens))(DefaultChunkTokens))
	s.ChunkOverlap = int(clampF(float64(or(pick(ac.Overlap, dc.Overlap))(DefaultChunkOverlap)), 0, float64(max(0, s.ChunkTokens-1))))

	type syncT = struct {
		OnSessionStart  *bool `json:"onSessionStart,omitempty"`
		OnSearch        *bool `json:"onSearch,omitempty"`
		Watch           *bool `json:"watch,omitempty"`
		WatchDebounceMs *int  `json:"watchDebounceMs,omitempty"`
		IntervalMinutes *int  `json:"intervalMinutes,omitempty"`
		Sessions        *struct {
			DeltaBytes    *int64 `json:"deltaBytes,omitempty"`
			DeltaMessages *int64 `json:"deltaMessages,omitempty"`
		} `json:"sessions,omitempty"`
	}
	as, ds := agent.Sync, defaults.Sync
	if as == nil {
		as = &syncT{}
	}
	if ds == nil {
		ds = &syncT{}
	}
	s.SyncOnSessionStart = or(pick(as.OnSessionStart, ds.OnSessionStart))(true)
	s.SyncOnSearch = or(pick(as.OnSearch, ds.OnSearch))(true)
	s.Watch = or(pick(as.Watch, ds.Watch))(true)
	if ms, set := pick(as.WatchDebounceMs, ds.WatchDebounceMs); set {
		s.WatchDebounce = time.Duration(max(0, ms)) * time.Millisecond
	} else {
		s.WatchDebounce = DefaultWatchDebounce
	}
	var adb, ddb, adm, ddm *int64
	if as.Sessions != nil {
		adb, adm = as.Sessions.DeltaBytes, as.Sessions.DeltaMessages
	}
	if ds.Sessions != nil {
		ddb, ddm = ds.Sessions.DeltaBytes, ds.Sessions.DeltaMessages
	}
	s.SessionDeltaBytes = max(0, or(pick(adb, ddb))(DefaultSessionDeltaBytes))
	s.SessionDeltaMessages = max(0, or(pick(adm, ddm))(DefaultSessionDeltaMessages))
	s.SyncInterval = time.Duration(max(0, or(pick(as.IntervalMinutes, ds.IntervalMinutes))(0))) * time.Minute

	var aq, dq Config
	aq.Query, dq.Query = agent.Query, defaults.Query
	qi := func(f func(c *Config) *int) *int {
		for _, c := range []*Config{&aq, &dq} {
			if c.Query != nil {
				if v := f(c); v != nil {
					return v
				}
			}
		}
		return nil
	}
	qf := func(f func(c *Config) *float64) *float64 {
		for _, c := range []*Config{&aq, &dq} {
			if c.Query != nil {
				if v := f(c); v != nil {
					return v
				}
			}
		}
		return nil
	}
	hb := func(f func(c *Config) *bool) *bool {
		for _, c := range []*Config{&aq, &dq} {
			if c.Query != nil && c.Query.Hybrid != nil {
				if v := f(c); v != nil {
					return v
				}
			}
		}
		return nil
	}
	s.MaxResults = max(1, or(pick(qi(func(c *Config) *int { return c.Query.MaxResults })))(DefaultMaxResults))
	s.MinScore = clampF(or(pick(qf(func(c *Config) *float64 { return c.Query.MinScore })))(DefaultMinScore), 0, 1)
	s.HybridEnabled = or(pick(hb(func(c *Config) *bool { return c.Query.Hybrid.Enabled })))(true)
	hf := func(f func(c *Config) *float64) *float64 {
		return qf(func(c *Config) *float64 {
			if c.Query.Hybrid == nil {
				return nil
			}
			return f(c)
		})
	}
	vw := clampF(or(pick(hf(func(c *Config) *float64 { return c.Query.Hybrid.VectorWeight })))(DefaultVectorWeight), 0, 1)
	tw := clampF(or(pick(hf(func(c *Config) *float64 { return c.Query.Hybrid.TextWeight })))(DefaultTextWeight), 0, 1)
	if sum := vw + tw; sum > 0 {
		s.VectorWeight, s.TextWeight = vw/sum, tw/sum
	} else {
		s.VectorWeight, s.TextWeight = DefaultVectorWeight, DefaultTextWeight
	}
	cm := qi(func(c *Config) *int {
		if c.Query.Hybrid == nil {
			return nil
		}
		return c.Query.Hybrid.CandidateMultiplier
	})
	s.CandidateMultiplier = max(1, min(MaxCandidateMultiplier, or(pick(cm))(DefaultCandidateMultiplier)))

	var acache, dcache Config
	acache.Cache, dcache.Cache = agent.Cache, defaults.Cache
	s.CacheEnabled = true
	for _, c := range []*Config{&acache, &dcache} {
		if c.Cache != nil && c.Cache.Enabled != nil {
			s.CacheEnabled = *c.Cache.Enabled
			break
		}
	}
	for _, c := range []*Config{&acache, &dcache} {
		if c.Cache != nil && c.Cache.MaxEntries != nil {
			s.CacheMaxEntries = max(1, *c.Cache.MaxEntries)
			break
		}
	}
	return s, true
}

// normalizeSources keeps the known sources once each, in order: "sessions" only with
// experimental.sessionMemory; an empty result (or list) is ["memory"], as the original.
func normalizeSources(in []string, sessionMemory bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, src := range in {
		if seen[src] || !(src == SourceMemory || (src == SourceSessions && sessionMemory)) {
			continue
		}
		seen[src] = true
		out = append(out, src)
	}
	if len(out) == 0 {
		out = []string{SourceMemory}
	}
	return out
}

// HasSource reports whether the index holds and searches src.
func (s Settings) HasSource(src string) bool {
	for _, v := range s.Sources {
		if v == src {
			return true
		}
	}
	return false
}

// resolveStorePath is store.path with {agentId} substituted and ~ expanded, or
// <stateDir>/memory/<agentId>.sqlite.
func resolveStorePath(raw, agentID, stateDir, home string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return filepath.Join(stateDir, "memory", agentID+".sqlite")
	}
	raw = strings.ReplaceAll(raw, "{agentId}", agentID)
	if raw == "~" {
		return home
	}
	if strings.HasPrefix(raw, "~/") {
		return filepath.Join(home, raw[2:])
	}
	p, err := filepath.Abs(raw)
	if err != nil {
		return raw
	}
	return p
}
