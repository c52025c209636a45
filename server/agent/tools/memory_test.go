package tools

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/agent/memory"
	"github.com/clawgate/gateway/server/agent/memory/memtest"
)

func memoryToolsFor(t *testing.T, ws string, withEmbedder bool) map[string]*Tool {
	t.Helper()
	s, _ := memory.Resolve(nil, nil, "main", t.TempDir(), "")
	s.Watch, s.SyncOnSessionStart = false, false
	o := memory.Options{Settings: s, Workspace: ws}
	if withEmbedder {
		fake := memtest.New(t)
		s.Provider, s.Remote = memory.ProviderOpenAI, memory.Remote{BaseURL: fake.BaseURL(), APIKey: "k"}
		o.Embedder, _, _ = memory.NewEmbedder(s, memory.ProviderEnv{})
	} else {
		o.FallbackFrom, o.FallbackReason = "auto", "No embeddings provider available"
	}
	idx, err := memory.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idx.Close() })
	list, err := MemoryTools(MemoryOptions{Index: func(context.Context) (*memory.Index, error) { return idx, nil }})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*Tool{}
	for _, tl := range list {
		out[tl.Name] = tl
	}
	return out
}

func runTool(t *testing.T, tl *Tool, args string, dst any) {
	t.Helper()
	if err := tl.Validate(json.RawMessage(args)); err != nil {
		t.Fatal(err)
	}
	res, err := tl.Execute(context.Background(), Call{Args: json.RawMessage(args)})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(res.Content[0].Text), dst); err != nil {
		t.Fatalf("%v: %s", err, res.Content[0].Text)
	}
}

func TestMemoryTools(t *testing.T) {
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "memory"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "MEMORY.md"), []byte("# Prefs\nLikes green tea\nDog: puppy named Rex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"hybrid", "keyword"} {
		t.Run(mode, func(t *testing.T) {
			tl := memoryToolsFor(t, ws, mode == "hybrid")
			var got map[string]any
			runTool(t, tl["memory_search"], `{"query":"green tea","maxResults":3,"minScore":0}`, &got)
			res, _ := got["results"].([]any)
			if len(res) != 1 || got["mode"] != mode {
				t.Fatalf("memory_search %v", got)
			}
			hit := res[0].(map[string]any)
			for _, k := range []string{"path", "startLine", "endLine", "score", "snippet", "source"} {
				if _, ok := hit[k]; !ok {
					t.Errorf("result lacks %q: %v", k, hit)
				}
			}
			if mode == "keyword" {
				fb, _ := got["fallback"].(map[string]any)
				if got["provider"] != "none" || fb == nil || !strings.Contains(fb["reason"].(string), "No embeddings provider") {
					t.Errorf("keyword-only answer does not say why: %v", got)
				}
			} else if got["provider"] != "openai" || got["model"] != memory.DefaultOpenAIModel {
				t.Errorf("provider/model %v", got)
			}
			var g MemoryGetResult
			runTool(t, tl["memory_get"], `{"path":"MEMORY.md","from":2,"lines":1}`, &g)
			if g.Text != "Likes green tea" || g.Disabled {
				t.Errorf("memory_get %+v", g)
			}
			runTool(t, tl["memory_get"], `{"path":"memory/../../etc/passwd"}`, &g)
			if !g.Disabled || g.Text != "" || g.Error == "" {
				t.Errorf("memory_get escape %+v", g)
			}
		})
	}
}

func TestMemoryToolsIndexError(t *testing.T) {
	list, err := MemoryTools(MemoryOptions{Index: func(context.Context) (*memory.Index, error) { return nil, errors.New("store unavailable") }})
	if err != nil {
		t.Fatal(err)
	}
	var s MemorySearchResult
	runTool(t, list[0], `{"query":"x"}`, &s)
	if !s.Disabled || s.Error != "store unavailable" || s.Results == nil {
		t.Errorf("search %+v", s)
	}
	var g MemoryGetResult
	runTool(t, list[1], `{"path":"MEMORY.md"}`, &g)
	if !g.Disabled || g.Error != "store unavailable" || g.Path != "MEMORY.md" {
		t.Errorf("get %+v", g)
	}
	if err := list[0].Validate(json.RawMessage(`{}`)); err == nil {
		t.Error("memory_search without query validated")
	}
}
