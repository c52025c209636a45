package memory

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/agent/memory/memtest"
)

// fakeTranscripts is an in-memory session store.
type fakeTranscripts struct {
	mu    sync.Mutex
	order []string
	msgs  map[string][]TranscriptMessage
	reads int
}

func (f *fakeTranscripts) add(id string, m ...TranscriptMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.msgs == nil {
		f.msgs = map[string][]TranscriptMessage{}
	}
	if _, ok := f.msgs[id]; !ok {
		f.order = append(f.order, id)
	}
	f.msgs[id] = append(f.msgs[id], m...)
}

func (f *fakeTranscripts) drop(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.msgs, id)
	for i, v := range f.order {
		if v == id {
			f.order = append(f.order[:i], f.order[i+1:]...)
			break
		}
	}
}

func (f *fakeTranscripts) List(context.Context) ([]Transcript, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Transcript
	for _, id := range f.order {
		t := Transcript{ID: id}
		for _, m := range f.msgs[id] {
			t.Messages++
			t.Bytes += int64(len(m.Text) + len(m.Body))
		}
		out = append(out, t)
	}
	return out, nil
}

func (f *fakeTranscripts) Messages(_ context.Context, id string) ([]TranscriptMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	m, ok := f.msgs[id]
	if !ok {
		return nil, errors.New("no such transcript")
	}
	return append([]TranscriptMessage(nil), m...), nil
}

func user(s string) TranscriptMessage      { return TranscriptMessage{Role: "user", Text: s} }
func assistant(s string) TranscriptMessage { return TranscriptMessage{Role: "assistant", Text: s} }

func openSessionIndex(t *testing.T, s Settings, tr Transcripts, fake *memtest.Server) *Index {
	t.Helper()
	ws := t.TempDir()
	writeFile(t, ws, "MEMORY.md", "Favourite colour: teal\n")
	o := Options{Settings: s, Workspace: ws, Transcripts: tr}
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

// TestResolveSessionSources: sources default to ["memory"]; "sessions" counts only
// with experimental.sessionMemory (agent over defaults); an empty or all-dropped list
// is ["memory"]; sync.sessions thresholds default to 100000 bytes / 50 messages.
func TestResolveSessionSources(t *testing.T) {
	cases := []struct {
		name            string
		defaults, agent map[string]any
		want            []string
		bytes, msgs     int64
	}{
		{"default", nil, nil, []string{"memory"}, DefaultSessionDeltaBytes, DefaultSessionDeltaMessages},
		{"sessions without the flag", map[string]any{"sources": []string{"memory", "sessions"}}, nil, []string{"memory"}, 100000, 50},
		{"only sessions without the flag", map[string]any{"sources": []string{"sessions"}}, nil, []string{"memory"}, 100000, 50},
		{"flag on", map[string]any{"sources": []string{"memory", "sessions"}, "experimental": map[string]any{"sessionMemory": true}}, nil, []string{"memory", "sessions"}, 100000, 50},
		{"agent flag over defaults", map[string]any{"sources": []string{"sessions"}, "experimental": map[string]any{"sessionMemory": true}},
			map[string]any{"experimental": map[string]any{"sessionMemory": false}}, []string{"memory"}, 100000, 50},
		{"agent sources and thresholds", map[string]any{"experimental": map[string]any{"sessionMemory": true}, "sync": map[string]any{"sessions": map[string]any{"deltaBytes": 10}}},
			map[string]any{"sources": []string{"sessions", "sessions"}, "sync": map[string]any{"sessions": map[string]any{"deltaMessages": 0}}}, []string{"sessions"}, 10, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d, a *Config
			if c.defaults != nil {
				d = FromJSON(c.defaults)
			}
			if c.agent != nil {
				a = FromJSON(c.agent)
			}
			s, ok := Resolve(d, a, "main", "/state", "")
			if !ok {
				t.Fatal("disabled")
			}
			if strings.Join(s.Sources, ",") != strings.Join(c.want, ",") {
				t.Errorf("sources %v, want %v", s.Sources, c.want)
			}
			if s.SessionDeltaBytes != c.bytes || s.SessionDeltaMessages != c.msgs {
				t.Errorf("deltas %d/%d, want %d/%d", s.SessionDeltaBytes, s.SessionDeltaMessages, c.bytes, c.msgs)
			}
		})
	}
}

// TestSessionContent: user and assistant text only, one line each with the original's
// labels, whitespace collapsed, only "text" parts of a structured body.
func TestSessionContent(t *testing.T) {
	got := sessionContent([]TranscriptMessage{
		user("hello\n\n  there   friend"),
		{Role: "toolResult", Text: "secret tool output"},
		{Role: "system", Text: "System note: x"},
		{Role: "assistant", Text: "ignored plain", Body: []byte(`{"role":"assistant","content":[{"type":"thinking","thinking":"hmm"},{"type":"text","text":"part one"},{"type":"toolCall","name":"x"},{"type":"text","text":" part\ntwo "}]}`)},
		{Role: "user", Body: []byte(`{"role":"user","content":"from body"}`)},
		assistant("   "),
	})
	want := "User: hello there friend\nAssistant: part one part two\nUser: from body"
	if got != want {
		t.Fatalf("content\n%q\nwant\n%q", got, want)
	}
}

// TestSessionSearchAndSources: with "sessions" in the sources a fact said in a
// session is found (source "sessions", path sessions/<id>.jsonl, lines of the
// transcript's messages) and memory_get refuses that path, as the original; with
// sessions off the same store is not indexed and its chunks (left from before) are
// not returned.
func TestSessionSearchAndSources(t *testing.T) {
	fake := memtest.New(t)
	tr := &fakeTranscripts{}
	tr.add("s1", user("hi"), assistant("hello"), user("my automobile is a green sedan"), assistant("noted"))
	s := testSettings(t)
	s.StorePath = t.TempDir() + "/idx.sqlite"
	s.Sources, s.SessionMemory = []string{SourceMemory, SourceSessions}, true
	x := openSessionIndex(t, s, tr, fake)
	res, err := x.Search(context.Background(), "green sedan", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 || res[0].Source != SourceSessions || res[0].Path != "sessions/s1.jsonl" || !strings.Contains(res[0].Snippet, "User: my automobile is a green sedan") {
		t.Fatalf("results %+v", res)
	}
	if res[0].StartLine != 1 || res[0].EndLine != 4 {
		t.Errorf("lines %d-%d, want 1-4", res[0].StartLine, res[0].EndLine)
	}
	if _, err := x.ReadFile(res[0].Path, 0, 0); !errors.Is(err, ErrNotMemoryPath) {
		t.Errorf("memory_get of a session path: %v", err)
	}
	if res, _ := x.Search(context.Background(), "teal", SearchOptions{}); len(res) == 0 || res[0].Source != SourceMemory {
		t.Errorf("memory files not searched alongside: %+v", res)
	}
	_ = x.Close()

	off := s
	off.Sources, off.SessionMemory = []string{SourceMemory}, false
	y := openSessionIndex(t, off, tr, fake)
	res, err = y.Search(context.Background(), "green sedan", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Source == SourceSessions {
			t.Fatalf("session chunk with sessions off: %+v", res)
		}
	}
	if n := countRows(t, y, `SELECT COUNT(*) FROM chunks WHERE source = 'sessions'`); n == 0 {
		t.Fatal("test setup: the session chunks should still be stored, only filtered")
	}
}

// TestSessionDeltas: after the first (full) index, a transcript is indexed again
// only once it grew by deltaMessages or deltaBytes; a transcript the store no longer
// keeps leaves the index.
func TestSessionDeltas(t *testing.T) {
	cases := []struct {
		name        string
		bytes, msgs int64
		// grow is added after the first index; due says whether that re-indexes.
		grow []TranscriptMessage
		due  bool
	}{
		{"below both", 1000, 3, []TranscriptMessage{user("zebra one"), assistant("ok")}, false},
		{"messages reached", 1000, 2, []TranscriptMessage{user("zebra one"), assistant("ok")}, true},
		{"bytes reached", 20, 100, []TranscriptMessage{user("zebra one is long enough"), assistant("ok")}, true},
		{"zero means any growth", 0, 100, []TranscriptMessage{user("zebra")}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := &fakeTranscripts{}
			tr.add("a", user("first words"))
			tr.add("b", user("other words"))
			s := testSettings(t)
			s.Sources, s.SessionMemory = []string{SourceMemory, SourceSessions}, true
			s.SessionDeltaBytes, s.SessionDeltaMessages = c.bytes, c.msgs
			x := openSessionIndex(t, s, tr, nil)
			ctx := context.Background()
			if res, _ := x.Search(ctx, "first", SearchOptions{}); len(res) != 1 || res[0].Path != "sessions/a.jsonl" {
				t.Fatalf("first index: %+v", res)
			}
			tr.add("a", c.grow...)
			tr.drop("b")
			res, err := x.Search(ctx, "zebra", SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if found := len(res) == 1; found != c.due {
				t.Fatalf("after growing: found %v, want %v (%+v)", found, c.due, res)
			}
			if n := countRows(t, x, `SELECT COUNT(*) FROM files WHERE path = 'sessions/b.jsonl'`); n != 0 {
				t.Errorf("dropped transcript still indexed")
			}
			if !c.due {
				// More growth adds up to the threshold.
				tr.add("a", user("more"))
				if res, _ := x.Search(ctx, "zebra", SearchOptions{}); len(res) != 1 {
					t.Fatalf("accumulated growth not indexed: %+v", res)
				}
			}
			// Unchanged: nothing is read again.
			tr.mu.Lock()
			before := tr.reads
			tr.mu.Unlock()
			_, _ = x.Search(ctx, "zebra", SearchOptions{})
			tr.mu.Lock()
			defer tr.mu.Unlock()
			if tr.reads != before {
				t.Errorf("unchanged transcript read again (%d reads)", tr.reads-before)
			}
		})
	}
}

// TestSessionShrinkCountsAsGrowth: a transcript that got shorter (compaction) counts
// its whole size as growth, so the rewritten text is indexed once that reaches the
// thresholds.
func TestSessionShrinkCountsAsGrowth(t *testing.T) {
	tr := &fakeTranscripts{}
	tr.add("a", user("one"), assistant("two"), user("three"), assistant("four"))
	s := testSettings(t)
	s.Sources, s.SessionMemory = []string{SourceMemory, SourceSessions}, true
	s.SessionDeltaBytes, s.SessionDeltaMessages = 1_000_000, 2
	x := openSessionIndex(t, s, tr, nil)
	ctx := context.Background()
	if res, _ := x.Search(ctx, "three", SearchOptions{}); len(res) != 1 {
		t.Fatalf("first index: %+v", res)
	}
	tr.drop("a")
	tr.add("a", user("summary mentions yak"), assistant("ok"))
	if res, _ := x.Search(ctx, "yak", SearchOptions{}); len(res) != 1 {
		t.Fatalf("compacted transcript not indexed again: %+v", res)
	}
}
