package tools

import (
	"context"
	"errors"
	"math"
	"strings"

	"github.com/clawgate/gateway/server/agent/memory"
)

// MemoryOptions configure memory_search and memory_get for one run.
type MemoryOptions struct {
	// Index opens (or returns the shared) memory index of the run's agent. An error
	// makes the calls answer in the original's "disabled" shape with the error.
	Index func(ctx context.Context) (*memory.Index, error)
	// SessionKey is the run's session (sync.onSessionStart syncs once per session).
	SessionKey string
}

// MemorySearchResult is memory_search's answer: the hits with the provider that
// embedded them, or disabled with the reason.
type MemorySearchResult struct {
	Results  []memory.Result  `json:"results"`
	Provider string           `json:"provider,omitempty"`
	Model    string           `json:"model,omitempty"`
	Fallback *memory.Fallback `json:"fallback,omitempty"`
	// Mode is "hybrid", "vector" or "keyword" (no embeddings provider): how the results
	// were found.
	Mode     string `json:"mode,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
	Error    string `json:"error,omitempty"`
}

// MemoryGetResult is memory_get's answer.
type MemoryGetResult struct {
	Path     string `json:"path"`
	Text     string `json:"text"`
	Disabled bool   `json:"disabled,omitempty"`
	Error    string `json:"error,omitempty"`
}

// MemoryTools returns memory_search and memory_get. The caller offers them only when
// the agent's memorySearch is enabled.
func MemoryTools(o MemoryOptions) ([]*Tool, error) {
	if o.Index == nil {
		return nil, errors.New("tools: memory tools need an index")
	}
	search, err := withSchema(&Tool{Name: "memory_search", Label: "Memory Search",
		Description: "Mandatory recall step: semantically search MEMORY.md + memory/*.md before answering questions about prior work, decisions, dates, people, preferences, or todos; returns the top snippets with path and line range.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				Query      string   `json:"query"`
				MaxResults *float64 `json:"maxResults"`
				MinScore   *float64 `json:"minScore"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			if strings.TrimSpace(a.Query) == "" {
				return Result{}, errors.New("query required")
			}
			var so memory.SearchOptions
			so.SessionKey = o.SessionKey
			if a.MaxResults != nil && !math.IsNaN(*a.MaxResults) {
				n := int(*a.MaxResults)
				so.MaxResults = &n
			}
			if a.MinScore != nil && !math.IsNaN(*a.MinScore) {
				so.MinScore = a.MinScore
			}
			idx, err := o.Index(ctx)
			if err != nil {
				return JSONResult(MemorySearchResult{Results: []memory.Result{}, Disabled: true, Error: err.Error()}), nil
			}
			res, err := idx.Search(ctx, a.Query, so)
			if err != nil {
				return JSONResult(MemorySearchResult{Results: []memory.Result{}, Disabled: true, Error: err.Error()}), nil
			}
			st := idx.Status()
			return JSONResult(MemorySearchResult{Results: res, Provider: st.Provider, Model: st.Model, Fallback: st.Fallback, Mode: st.Mode}), nil
		}})
	if err != nil {
		return nil, err
	}
	get, err := withSchema(&Tool{Name: "memory_get", Label: "Memory Get",
		Description: "Read MEMORY.md or a memory/*.md file, whole or from line `from` for `lines` lines; call it after memory_search to fetch just the lines you need and keep the context small.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				Path  string   `json:"path"`
				From  *float64 `json:"from"`
				Lines *float64 `json:"lines"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			if strings.TrimSpace(a.Path) == "" {
				return Result{}, errors.New("path required")
			}
			idx, err := o.Index(ctx)
			if err != nil {
				return JSONResult(MemoryGetResult{Path: a.Path, Disabled: true, Error: err.Error()}), nil
			}
			toInt := func(p *float64) int {
				if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
					return 0
				}
				return int(*p)
			}
			r, err := idx.ReadFile(a.Path, toInt(a.From), toInt(a.Lines))
			if err != nil {
				return JSONResult(MemoryGetResult{Path: a.Path, Disabled: true, Error: err.Error()}), nil
			}
			return JSONResult(MemoryGetResult{Path: r.Path, Text: r.Text}), nil
		}})
	if err != nil {
		return nil, err
	}
	return []*Tool{search, get}, nil
}
