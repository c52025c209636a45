package memory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/memory/memtest"
)

// testSettings are the defaults with background syncs off, so tests decide when the
// index syncs.
func testSettings(t *testing.T) Settings {
	s, ok := Resolve(nil, nil, "main", t.TempDir(), "")
	if !ok {
		t.Fatal("memory search disabled by default")
	}
	s.SyncOnSessionStart, s.Watch = false, false
	return s
}

func writeFile(t *testing.T, ws, rel, content string) {
	t.Helper()
	p := filepath.Join(ws, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func openIndex(t *testing.T, ws string, s Settings, fake *memtest.Server) *Index {
	t.Helper()
	o := Options{Settings: s, Workspace: ws}
	if fake != nil {
		s.Provider = ProviderOpenAI
		s.Remote = Remote{BaseURL: fake.BaseURL(), APIKey: "sk-test"}
		e, from, reason := NewEmbedder(s, ProviderEnv{})
		if e == nil {
			t.Fatalf("embedder: %s %s", from, reason)
		}
		o.Embedder = e
	}
	x, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Close() })
	return x
}

func TestChunkMarkdown(t *testing.T) {
	line := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name            string
		content         string
		tokens, overlap int
		want            [][2]int // start, end lines
	}{
		{"one chunk", "a\nb\nc", 400, 80, [][2]int{{1, 3}}},
		// tokens 10 = 40 chars; each line is 19+1 chars, so two lines a chunk.
		{"no overlap", strings.Join([]string{line(19), line(19), line(19), line(19), line(19)}, "\n"), 10, 0, [][2]int{{1, 2}, {3, 4}, {5, 5}}},
		// overlap 5 = 20 chars: the last line of a chunk starts the next.
		{"overlap", strings.Join([]string{line(19), line(19), line(19), line(19)}, "\n"), 10, 5, [][2]int{{1, 2}, {2, 3}, {3, 4}}},
		// a line longer than a chunk is cut, each piece keeping its line number.
		{"long line", line(100), 10, 0, [][2]int{{1, 1}, {1, 1}, {1, 1}}},
		// whitespace-only chunks are dropped.
		{"blank", "\n\n   \n", 400, 80, nil},
		// the minimum chunk is 32 chars whatever tokens says.
		{"minimum size", strings.Join([]string{line(15), line(15), line(15)}, "\n"), 1, 0, [][2]int{{1, 2}, {3, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][2]int
			for _, c := range chunkMarkdown(tt.content, tt.tokens, tt.overlap) {
				got = append(got, [2]int{c.StartLine, c.EndLine})
				if c.Hash != hashText(c.Text) {
					t.Errorf("chunk hash %s is not the text's", c.Hash)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("chunks %v, want %v", got, tt.want)
			}
		})
	}
}

func TestResolveSettings(t *testing.T) {
	f := false
	tokens, mult := 100, 50
	vw, tw := 0.2, 0.6
	path := "~/mem/{agentId}.db"
	defaults := &Config{}
	defaults.Chunking = &struct {
		Tokens  *int `json:"tokens,omitempty"`
		Overlap *int `json:"overlap,omitempty"`
	}{Tokens: &tokens}
	agent := FromJSON(map[string]any{"query": map[string]any{"hybrid": map[string]any{"vectorWeight": vw, "textWeight": tw, "candidateMultiplier": mult}},
		"store": map[string]any{"path": path}, "chunking": map[string]any{"overlap": 500}})
	s, ok := Resolve(defaults, agent, "ops", "/state", "/home/u")
	if !ok {
		t.Fatal("disabled")
	}
	if s.ChunkTokens != 100 || s.ChunkOverlap != 99 {
		t.Errorf("chunking %d/%d, want 100/99 (overlap clamped below tokens)", s.ChunkTokens, s.ChunkOverlap)
	}
	if math.Abs(s.VectorWeight-0.25) > 1e-9 || math.Abs(s.TextWeight-0.75) > 1e-9 {
		t.Errorf("weights %v/%v, want normalised 0.25/0.75", s.VectorWeight, s.TextWeight)
	}
	if s.CandidateMultiplier != MaxCandidateMultiplier {
		t.Errorf("candidateMultiplier %d, want clamped to %d", s.CandidateMultiplier, MaxCandidateMultiplier)
	}
	if s.StorePath != "/home/u/mem/ops.db" {
		t.Errorf("store path %q", s.StorePath)
	}
	d, _ := Resolve(nil, nil, "main", "/state", "/home/u")
	if d.StorePath != "/state/memory/main.sqlite" || d.Provider != ProviderAuto || d.MaxResults != 6 || d.MinScore != 0.35 ||
		!d.HybridEnabled || d.CandidateMultiplier != 4 || !d.CacheEnabled || !d.Watch || !d.SyncOnSearch || !d.SyncOnSessionStart ||
		d.WatchDebounce != 1500*time.Millisecond || d.ChunkTokens != 400 || d.ChunkOverlap != 80 {
		t.Errorf("defaults %+v", d)
	}
	if _, ok := Resolve(&Config{Enabled: &f}, nil, "main", "/state", ""); ok {
		t.Error("enabled: false in the defaults still enabled")
	}
	tr := true
	if _, ok := Resolve(&Config{Enabled: &f}, &Config{Enabled: &tr}, "main", "/state", ""); !ok {
		t.Error("an agent's enabled: true does not override the defaults' false")
	}
}

// TestHybridRanking: "automobile" shares no word with the note about the car, only a
// meaning; keyword search alone finds only the note that spells the word, the hybrid
// puts the car note first.
func TestHybridRanking(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, "MEMORY.md", "Car: blue sedan\n")
	writeFile(t, ws, "memory/2026-01-02.md", "Read an essay on the history of the automobile industry in Detroit during the early twentieth century with many footnotes and maps\n")
	fake := memtest.New(t)

	s := testSettings(t)
	s.MinScore = 0
	x := openIndex(t, ws, s, fake)
	res, err := x.Search(context.Background(), "automobile", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Path != "MEMORY.md" || res[1].Path != "memory/2026-01-02.md" {
		t.Fatalf("hybrid results %+v, want MEMORY.md first", res)
	}
	// The file's final newline starts an empty line 2, which the chunk ends with (as the
	// original counts lines).
	if res[0].StartLine != 1 || res[0].EndLine != 2 || res[0].Source != "memory" || res[0].Snippet != "Car: blue sedan\n" {
		t.Errorf("first result %+v", res[0])
	}

	// The same files, keyword only.
	s2 := testSettings(t)
	s2.MinScore = 0
	kw := openIndex(t, ws, s2, nil)
	res, err = kw.Search(context.Background(), "automobile", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Path != "memory/2026-01-02.md" {
		t.Fatalf("keyword results %+v, want only the essay", res)
	}
	if st := kw.Status(); st.Provider != ProviderNone {
		t.Errorf("keyword-only status %+v", st)
	}

	// Vector only (hybrid off): the essay's weak similarity is under minScore 0.35.
	s3 := testSettings(t)
	s3.HybridEnabled = false
	vo := openIndex(t, ws, s3, fake)
	res, err = vo.Search(context.Background(), "automobile", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Path != "MEMORY.md" {
		t.Fatalf("vector-only results %+v", res)
	}
	one := 1
	if res, _ := x.Search(context.Background(), "automobile", SearchOptions{MaxResults: &one}); len(res) != 1 {
		t.Errorf("maxResults 1 gave %d results", len(res))
	}
}

func countRows(t *testing.T, x *Index, q string, args ...any) int {
	t.Helper()
	var n int
	if err := x.db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSyncCacheChangesDeletes: a second sync of unchanged files embeds nothing; a
// changed file re-embeds only its new chunks; a deleted file leaves the index; a file
// over MaxFileBytes is not indexed.
func TestSyncCacheChangesDeletes(t *testing.T) {
	ctx := context.Background()
	ws := t.TempDir()
	para := func(i int) string {
		return fmt.Sprintf("Paragraph %d about topic%d with enough words to fill its chunk nicely.", i, i)
	}
	var lines []string
	for i := range 6 {
		lines = append(lines, para(i))
	}
	writeFile(t, ws, "memory/notes.md", strings.Join(lines, "\n"))
	writeFile(t, ws, "MEMORY.md", "Dog: a puppy named Rex\n")
	writeFile(t, ws, "memory/sub/deep.md", "Deep note about canine training\n")
	writeFile(t, ws, "memory/ignored.txt", "not markdown\n")
	fake := memtest.New(t)
	s := testSettings(t)
	s.ChunkTokens, s.ChunkOverlap = 20, 0 // 80 chars: one paragraph a chunk
	x := openIndex(t, ws, s, fake)

	st, err := x.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := fake.Inputs()
	if st.Files != 3 || st.Indexed != 3 || len(first) != 8 || st.Embedded != 8 {
		t.Fatalf("first sync %+v, embedded %d texts, want 3 files, 8 chunks", st, len(first))
	}
	if got := fake.Auth(); got[0] != "Bearer sk-test" {
		t.Errorf("Authorization %q", got[0])
	}
	if n := countRows(t, x, `SELECT COUNT(*) FROM chunks WHERE path = 'memory/notes.md'`); n != 6 {
		t.Errorf("notes chunks %d, want 6", n)
	}

	if st, err = x.Sync(ctx); err != nil || st.Indexed != 0 || len(fake.Inputs()) != 0 {
		t.Fatalf("second sync %+v %v: unchanged files re-indexed", st, err)
	}

	// Change one paragraph: only that chunk is embedded again.
	lines[3] = "Paragraph three was rewritten to talk about a birthday party instead now."
	writeFile(t, ws, "memory/notes.md", strings.Join(lines, "\n"))
	if st, err = x.Sync(ctx); err != nil || st.Indexed != 1 {
		t.Fatalf("sync after change %+v %v", st, err)
	}
	if in := fake.Inputs(); len(in) != 1 || in[0] != lines[3] {
		t.Fatalf("re-embedded %q, want only the changed paragraph", in)
	}
	zero := 0.0
	res, err := x.Search(ctx, "anniversary", SearchOptions{MinScore: &zero})
	if err != nil || len(res) == 0 || res[0].Path != "memory/notes.md" || res[0].StartLine != 4 {
		t.Fatalf("search after change %+v %v", res, err)
	}

	// Delete a file: its chunks leave both tables.
	if err := os.Remove(filepath.Join(ws, "memory/sub/deep.md")); err != nil {
		t.Fatal(err)
	}
	if st, err = x.Sync(ctx); err != nil || st.Removed != 1 {
		t.Fatalf("sync after delete %+v %v", st, err)
	}
	for _, q := range []string{`SELECT COUNT(*) FROM chunks WHERE path = ?`, `SELECT COUNT(*) FROM chunks_fts WHERE path = ?`, `SELECT COUNT(*) FROM files WHERE path = ?`} {
		if n := countRows(t, x, q, "memory/sub/deep.md"); n != 0 {
			t.Errorf("%s: %d rows left", q, n)
		}
	}
	res, _ = x.Search(ctx, "training", SearchOptions{})
	for _, r := range res {
		if r.Path == "memory/sub/deep.md" {
			t.Errorf("deleted file still found: %+v", r)
		}
	}

	// A file over MaxFileBytes is skipped.
	writeFile(t, ws, "memory/huge.md", strings.Repeat("big ", MaxFileBytes/4+1))
	if st, err = x.Sync(ctx); err != nil || st.Skipped != 1 {
		t.Fatalf("sync with huge file %+v %v", st, err)
	}
	if n := countRows(t, x, `SELECT COUNT(*) FROM files WHERE path = 'memory/huge.md'`); n != 0 {
		t.Error("file over MaxFileBytes indexed")
	}
}

// TestCacheAcrossReopen: the embedding cache lives in the SQLite file, so an index
// rebuilt from scratch (another chunking) embeds only chunks it has not seen, and
// cache.maxEntries bounds it.
func TestCacheAcrossReopen(t *testing.T) {
	ctx := context.Background()
	ws := t.TempDir()
	writeFile(t, ws, "MEMORY.md", "alpha\n\nbeta\n\ngamma\n")
	fake := memtest.New(t)
	s := testSettings(t)
	s.ChunkTokens, s.ChunkOverlap = 1, 0 // 32 chars: everything one chunk
	x := openIndex(t, ws, s, fake)
	if _, err := x.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Inputs()); n != 1 {
		t.Fatalf("embedded %d", n)
	}
	_ = x.Close()
	// Same file, same chunks, new process: nothing to embed.
	y := openIndex(t, ws, s, fake)
	if _, err := y.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Inputs()); n != 0 {
		t.Fatalf("reopened index embedded %d texts", n)
	}
	_ = y.Close()

	s.CacheMaxEntries = 2
	s.ChunkTokens = 2 // a full reindex with new chunks
	var distinct strings.Builder
	for i := range 6 {
		fmt.Fprintf(&distinct, "line %d one two three four five\n", i)
	}
	writeFile(t, ws, "MEMORY.md", distinct.String())
	z := openIndex(t, ws, s, fake)
	if _, err := z.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := z.CacheEntries(ctx); n != 2 {
		t.Errorf("cache entries %d, want cache.maxEntries 2", n)
	}
}

func TestNoProviderFallsBackToKeywords(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, "MEMORY.md", "The wifi password is on the fridge\n")
	s := testSettings(t)
	e, from, reason := NewEmbedder(s, ProviderEnv{Getenv: func(string) string { return "" }})
	if e != nil || from != ProviderAuto || !strings.Contains(reason, "No embeddings provider available") {
		t.Fatalf("auto without a key: %v %q %q", e, from, reason)
	}
	x, err := Open(context.Background(), Options{Settings: s, Workspace: ws, FallbackFrom: from, FallbackReason: reason})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	res, err := x.Search(context.Background(), "wifi password", SearchOptions{})
	if err != nil || len(res) != 1 || res[0].Score != 1 {
		t.Fatalf("keyword search %+v %v", res, err)
	}
	st := x.Status()
	if st.Provider != ProviderNone || st.Fallback == nil || st.Fallback.From != ProviderAuto {
		t.Fatalf("status %+v", st)
	}
}

func TestNewEmbedder(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name               string
		provider, fallback string
		remoteKey          string
		env                ProviderEnv
		wantID, wantFrom   string
		wantReason         string
	}{
		{name: "openai remote key", provider: "openai", remoteKey: "k", wantID: "openai"},
		{name: "openai provider key", provider: "openai", env: ProviderEnv{OpenAIAPIKey: "k"}, wantID: "openai"},
		{name: "openai env key", provider: "openai", env: ProviderEnv{Getenv: env(map[string]string{"OPENAI_API_KEY": "k"})}, wantID: "openai"},
		{name: "openai no key", provider: "openai", wantFrom: "openai", wantReason: "no API key"},
		{name: "auto with key", provider: "auto", remoteKey: "k", wantID: "openai"},
		{name: "local unavailable", provider: "local", wantFrom: "local", wantReason: "node-llama-cpp"},
		{name: "local falls back to openai", provider: "local", fallback: "openai", remoteKey: "k", wantID: "openai", wantFrom: "local", wantReason: "not available"},
		{name: "local, fallback fails too", provider: "local", fallback: "openai", wantFrom: "local", wantReason: "Fallback to openai failed"},
		{name: "gemini unavailable", provider: "gemini", wantFrom: "gemini", wantReason: "gemini"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Settings{Provider: tt.provider, Fallback: tt.fallback, Remote: Remote{APIKey: tt.remoteKey}}
			if tt.fallback == "" {
				s.Fallback = ProviderNone
			}
			e, from, reason := NewEmbedder(s, tt.env)
			id := ""
			if e != nil {
				id = e.ID()
				if e.Model() != DefaultOpenAIModel {
					t.Errorf("model %q", e.Model())
				}
			}
			if id != tt.wantID || from != tt.wantFrom || !strings.Contains(reason, tt.wantReason) {
				t.Fatalf("got %q from %q reason %q", id, from, reason)
			}
		})
	}
}

func TestEmbedTimeout(t *testing.T) {
	fake := memtest.New(t)
	fake.Block = make(chan struct{})
	defer close(fake.Block)
	s := testSettings(t)
	s.Provider, s.Remote = ProviderOpenAI, Remote{BaseURL: fake.BaseURL(), APIKey: "k"}
	e, _, reason := NewEmbedder(s, ProviderEnv{QueryTimeout: 50 * time.Millisecond, BatchTimeout: 50 * time.Millisecond})
	if e == nil {
		t.Fatal(reason)
	}
	start := time.Now()
	_, err := e.Embed(context.Background(), []string{"q"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestLimits(t *testing.T) {
	ws := t.TempDir()
	// Every line fills a minimum-size chunk: MaxChunksPerFile+10 chunks.
	var b strings.Builder
	for i := range MaxChunksPerFile + 10 {
		fmt.Fprintf(&b, "line %06d %s\n", i, strings.Repeat("z", 20))
	}
	writeFile(t, ws, "memory/long.md", b.String())
	writeFile(t, ws, "memory/wide.md", strings.Repeat("w", 3000)+" needle\n")
	s := testSettings(t)
	s.ChunkTokens, s.ChunkOverlap = 1, 0
	x := openIndex(t, ws, s, nil)
	if _, err := x.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, x, `SELECT COUNT(*) FROM chunks WHERE path = 'memory/long.md'`); n != MaxChunksPerFile {
		t.Errorf("chunks %d, want MaxChunksPerFile %d", n, MaxChunksPerFile)
	}
	// A chunk longer than the snippet limit comes back cut.
	s2 := testSettings(t)
	y := openIndex(t, ws, s2, nil)
	res, err := y.Search(context.Background(), "needle", SearchOptions{})
	if err != nil || len(res) == 0 {
		t.Fatalf("%+v %v", res, err)
	}
	for _, r := range res {
		if n := len([]rune(r.Snippet)); n != SnippetMaxChars || r.Path != "memory/wide.md" {
			t.Errorf("%s: snippet %d chars, want %d", r.Path, n, SnippetMaxChars)
		}
	}
}

func TestReadFile(t *testing.T) {
	ws := t.TempDir()
	outside := t.TempDir()
	writeFile(t, ws, "MEMORY.md", "one\ntwo\nthree\nfour\n")
	writeFile(t, ws, "memory/a.md", "alpha\n")
	writeFile(t, ws, "notes.md", "not memory\n")
	writeFile(t, outside, "secret.md", "secret\n")
	if err := os.Symlink(filepath.Join(outside, "secret.md"), filepath.Join(ws, "memory", "link.md")); err != nil {
		t.Fatal(err)
	}
	x := openIndex(t, ws, testSettings(t), nil)
	ok := []struct {
		path        string
		from, lines int
		want        string
	}{
		{"MEMORY.md", 0, 0, "one\ntwo\nthree\nfour\n"},
		{"MEMORY.md", 2, 2, "two\nthree"},
		{"./MEMORY.md", 4, 0, "four\n"},
		{"memory/a.md", 0, 0, "alpha\n"},
		{"MEMORY.md", 99, 1, ""},
	}
	for _, tt := range ok {
		r, err := x.ReadFile(tt.path, tt.from, tt.lines)
		if err != nil || r.Text != tt.want {
			t.Errorf("ReadFile(%q, %d, %d) = %q, %v; want %q", tt.path, tt.from, tt.lines, r.Text, err, tt.want)
		}
	}
	for _, p := range []string{"../secret.md", "memory/../../secret.md", "memory/../notes.md", "/etc/passwd", filepath.Join(outside, "secret.md"),
		"notes.md", "memory/link.md", "memory", "", "memory/a.txt"} {
		if r, err := x.ReadFile(p, 0, 0); err == nil {
			t.Errorf("ReadFile(%q) read %q, want refused", p, r.Text)
		}
	}
}

// TestWatchAndInterval: with sync.watch a new file is indexed after the debounce
// without a search asking; with sync.intervalMinutes (here a short interval) too.
func TestWatchAndInterval(t *testing.T) {
	for _, mode := range []string{"watch", "interval"} {
		t.Run(mode, func(t *testing.T) {
			ws := t.TempDir()
			if err := os.MkdirAll(filepath.Join(ws, "memory"), 0o700); err != nil {
				t.Fatal(err)
			}
			s := testSettings(t)
			s.SyncOnSearch = false
			if mode == "watch" {
				s.Watch, s.WatchDebounce = true, 10*time.Millisecond
			} else {
				s.SyncInterval = 20 * time.Millisecond
			}
			x := openIndex(t, ws, s, nil)
			writeFile(t, ws, "memory/new/today.md", "Bought a kayak\n")
			deadline := time.After(20 * time.Second)
			for {
				res, err := x.Search(context.Background(), "kayak", SearchOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(res) == 1 && res[0].Path == "memory/new/today.md" {
					return
				}
				select {
				case <-x.synced:
				case <-deadline:
					t.Fatal("new file never indexed")
				}
			}
		})
	}
}

// TestEmbedderRequest: remote.headers and model reach the endpoint; "openai/" is
// dropped from the model as the original does; models.providers.openai's headers apply
// under remote.headers.
func TestEmbedderRequest(t *testing.T) {
	fake := memtest.New(t)
	s := Settings{Provider: ProviderOpenAI, Fallback: ProviderNone, Model: "openai/custom-embed",
		Remote: Remote{BaseURL: fake.BaseURL() + "/", APIKey: "rk", Headers: map[string]string{"X-Team": "mem", "X-Both": "remote"}}}
	e, _, reason := NewEmbedder(s, ProviderEnv{OpenAIHeaders: map[string]string{"X-Provider": "p", "X-Both": "provider"}})
	if e == nil {
		t.Fatal(reason)
	}
	if _, err := e.Embed(context.Background(), []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	models, headers := fake.Requests()
	if len(models) != 1 || models[0] != "custom-embed" {
		t.Fatalf("models %v", models)
	}
	h := headers[0]
	if h.Get("X-Team") != "mem" || h.Get("X-Provider") != "p" || h.Get("X-Both") != "remote" || h.Get("Authorization") != "Bearer rk" {
		t.Fatalf("headers %v", h)
	}
}

// TestSessionStartSync: with sync.onSearch off, a session's first search syncs in the
// background (sync.onSessionStart); without it the index stays empty.
func TestSessionStartSync(t *testing.T) {
	for _, onStart := range []bool{true, false} {
		t.Run(fmt.Sprint(onStart), func(t *testing.T) {
			ws := t.TempDir()
			writeFile(t, ws, "MEMORY.md", "Allergic to peanuts\n")
			s := testSettings(t)
			s.SyncOnSearch, s.SyncOnSessionStart = false, onStart
			x := openIndex(t, ws, s, nil)
			res, err := x.Search(context.Background(), "peanuts", SearchOptions{SessionKey: "agent:main:main"})
			if err != nil {
				t.Fatal(err)
			}
			if !onStart {
				if len(res) != 0 || countRows(t, x, `SELECT COUNT(*) FROM files`) != 0 {
					t.Fatalf("indexed without onSessionStart: %+v", res)
				}
				return
			}
			select {
			case <-x.synced:
			case <-time.After(20 * time.Second):
				t.Fatal("no session-start sync")
			}
			if res, _ = x.Search(context.Background(), "peanuts", SearchOptions{SessionKey: "agent:main:main"}); len(res) != 1 {
				t.Fatalf("after the session-start sync: %+v", res)
			}
		})
	}
}

// TestCacheDisabled: with cache.enabled false nothing is cached, so a rebuilt index
// embeds every chunk again.
func TestCacheDisabled(t *testing.T) {
	ctx := context.Background()
	ws := t.TempDir()
	writeFile(t, ws, "MEMORY.md", "one\n")
	fake := memtest.New(t)
	s := testSettings(t)
	s.CacheEnabled = false
	x := openIndex(t, ws, s, fake)
	if _, err := x.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := x.CacheEntries(ctx); n != 0 {
		t.Errorf("cache entries %d with the cache off", n)
	}
	_ = x.Close()
	s.ChunkOverlap = 1 // other chunking: a full rebuild
	y := openIndex(t, ws, s, fake)
	if _, err := y.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if in := fake.Inputs(); len(in) != 2 {
		t.Fatalf("embedded %d texts over two builds, want 2 (no cache)", len(in))
	}
}

// gateEmbedder answers query embeddings at once and holds document batches until
// release is closed (started is closed when the first batch arrives).
type gateEmbedder struct {
	query            string
	started, release chan struct{}
	once             sync.Once
}

func (g *gateEmbedder) ID() string    { return "gate" }
func (g *gateEmbedder) Model() string { return "m" }
func (g *gateEmbedder) Key() string   { return "gate/m" }
func (g *gateEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) != 1 || texts[0] != g.query {
		g.once.Do(func() { close(g.started) })
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = []float32{1, 0, 0}
	}
	return out, nil
}

// TestSearchWaitsForRunningSync: a search that comes while the session-start sync is
// still indexing waits for it and finds what it indexed, instead of reading the
// half-built index (the sync cleared the dirty mark when it began, so the search
// used to skip its own sync and answer nothing).
func TestSearchWaitsForRunningSync(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, "MEMORY.md", "Allergic to peanuts\n")
	s := testSettings(t)
	s.SyncOnSearch, s.SyncOnSessionStart = true, true
	emb := &gateEmbedder{query: "peanuts", started: make(chan struct{}), release: make(chan struct{})}
	x, err := Open(context.Background(), Options{Settings: s, Workspace: ws, Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Close() })
	x.WarmSession("agent:main:main")
	select {
	case <-emb.started:
	case <-time.After(20 * time.Second):
		t.Fatal("the session-start sync did not start")
	}
	done := make(chan []Result, 1)
	go func() {
		res, err := x.Search(context.Background(), "peanuts", SearchOptions{SessionKey: "agent:main:main"})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	select {
	case res := <-done:
		t.Fatalf("the search answered while the sync was indexing: %+v", res)
	case <-time.After(200 * time.Millisecond):
	}
	close(emb.release)
	select {
	case res := <-done:
		if len(res) != 1 {
			t.Fatalf("after the sync: %+v", res)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the search never answered")
	}
}
