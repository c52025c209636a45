package sessions

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func open(t *testing.T, path string, o Options) *Store {
	t.Helper()
	o.Path = path
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"main", "agent:main:main", ""},
		{"  main ", "agent:main:main", ""},
		{"agent:main:main", "agent:main:main", ""},
		{"agent:ops:x", "agent:ops:x", ""},
		{"global", "global", ""},
		{"unknown", "unknown", ""},
		{"hook:1", "agent:main:hook:1", ""},
		{"", "", "empty"},
		{"   ", "", "empty"},
		{"agent:main", "", "agent:<agentId>:<rest>"},
		{"agent::x", "", "agent:<agentId>:<rest>"},
		{strings.Repeat("k", MaxKeyLength+1), "", "longer"},
	} {
		got, err := Canonical(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Canonical(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if MainKey("") != "agent:main:main" || MainKey("home") != "agent:main:home" {
		t.Error("MainKey")
	}
	if SenderKey("telegram", "42", "42", false) != "agent:main:telegram:42" || SenderKey("telegram", "42", "-100", true) != "agent:main:telegram:group:-100" {
		t.Error("SenderKey")
	}
}

func TestTranscriptDurableAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions.db")
	s := open(t, path, Options{})
	k := MainKey("main")
	if _, _, err := s.Append(ctx, k, Message{Role: "user", Text: "hello", RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Append(ctx, k, Message{Role: "assistant", Text: "hi!", RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Get(ctx, k)
	_ = s.Close()

	s2 := open(t, path, Options{})
	h, err := s2.History(ctx, k, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Text != "hello" || h[1].Role != "assistant" || h[1].Text != "hi!" {
		t.Fatalf("history after reopen: %+v", h)
	}
	after, err := s2.Get(ctx, k)
	if err != nil || after.ID != before.ID || after.Messages != 2 {
		t.Fatalf("session after reopen: %+v %v (before %+v)", after, err, before)
	}
	// upTo limits to the transcript as of a message.
	if h, _ := s2.History(ctx, k, 10, h[0].Seq); len(h) != 1 {
		t.Fatalf("upTo: %+v", h)
	}
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{MaxMessages: 3, MaxMessageBytes: 16, MaxArchived: 2})
	k := MainKey("main")
	// At the limit: accepted; one over: refused, nothing stored.
	if _, _, err := s.Append(ctx, k, Message{Role: "user", Text: strings.Repeat("x", 16)}); err != nil {
		t.Fatalf("message at the limit refused: %v", err)
	}
	if _, _, err := s.Append(ctx, k, Message{Role: "user", Text: strings.Repeat("x", 17)}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	if ss, _ := s.Get(ctx, k); ss.Messages != 1 {
		t.Fatalf("refused message changed the session: %+v", ss)
	}
	for i := range 4 {
		if _, _, err := s.Append(ctx, k, Message{Role: "user", Text: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := s.History(ctx, k, 100, 0)
	if len(h) != 3 || h[0].Text != "b" || h[2].Text != "d" {
		t.Fatalf("trimmed history: %+v", h)
	}
	if got := s.Truncate(strings.Repeat("é", 20)); len(got) > 16 || !strings.HasSuffix(got, "[truncated]") && len(got) > 0 {
		t.Fatalf("Truncate: %q", got)
	}
	// The archive keeps at most MaxArchived transcripts.
	for range 4 {
		if _, err := s.Reset(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM transcripts WHERE archived_at IS NOT NULL`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("archived transcripts = %d, %v; want 2", n, err)
	}
	if err := s.db.QueryRow(`SELECT count(*) FROM messages`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("messages of trimmed archives kept: %d %v", n, err)
	}
}

func TestResetDeleteList(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_767_225_600_000)
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{Now: func() time.Time { return now }})
	a, b := MainKey("main"), SenderKey("telegram", "42", "42", false)
	if _, err := s.SetRoute(ctx, b, Route{Channel: "telegram", To: "42"}, "Alice"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if _, _, err := s.Append(ctx, a, Message{Role: "user", Text: "one"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx, ListOptions{})
	if err != nil || len(list) != 2 || list[0].Key != a || list[1].Key != b || list[1].LastTo != "42" || list[1].DisplayName != "Alice" {
		t.Fatalf("list: %+v %v", list, err)
	}
	if l, _ := s.List(ctx, ListOptions{Search: "ALICE"}); len(l) != 1 || l[0].Key != b {
		t.Fatalf("search: %+v", l)
	}
	if l, _ := s.List(ctx, ListOptions{Limit: 1}); len(l) != 1 {
		t.Fatalf("limit: %+v", l)
	}
	old, _ := s.Get(ctx, a)
	r, err := s.Reset(ctx, a)
	if err != nil || r.ID == old.ID || r.Messages != 0 {
		t.Fatalf("reset: %+v %v", r, err)
	}
	if h, _ := s.History(ctx, a, 10, 0); len(h) != 0 {
		t.Fatalf("history after reset: %+v", h)
	}
	deleted, archived, err := s.Delete(ctx, b)
	if err != nil || !deleted || len(archived) != 1 {
		t.Fatalf("delete: %v %v %v", deleted, archived, err)
	}
	if _, err := s.Get(ctx, b); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted session still there: %v", err)
	}
	if deleted, _, _ := s.Delete(ctx, b); deleted {
		t.Fatal("second delete reported deleted")
	}
	if n, _ := s.Count(ctx); n != 1 {
		t.Fatalf("count %d", n)
	}
}

// TestFinishRunRestoresDurability: FinishRun and AppendStep commit with synchronous=NORMAL on its
// connection; every pooled connection must be back at FULL afterwards, and the counters
// must be stored.
func TestFinishRunRestoresDurability(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{})
	key := "agent:main:x"
	if _, _, err := s.Append(ctx, key, Message{Role: "user", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, _, err := s.AppendStep(ctx, key, Message{Role: "toolResult", Text: "r", Body: []byte(`{"role":"toolResult"}`)}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishRun(ctx, key, RunStats{InputTokens: 3, OutputTokens: 4, TotalTokens: 7, Aborted: true, Sync: i == 1}); err != nil {
			t.Fatal(err)
		}
	}
	ss, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if ss.InputTokens != 3 || ss.OutputTokens != 4 || ss.TotalTokens != 7 || !ss.AbortedLastRun || ss.Messages != 4 {
		t.Fatalf("stats or steps not stored: %+v", ss)
	}
	if h, err := s.History(ctx, key, 10, 0); err != nil || len(h) != 4 || h[3].Role != "toolResult" || string(h[3].Body) != `{"role":"toolResult"}` {
		t.Fatalf("history after AppendStep: %+v, %v", h, err)
	}
	// Hold every connection the pool may still hand out (MaxOpenConns 4, one owned by
	// the writer, which sets the level per batch: TestGroupCommit) and check each.
	for i := 0; i < 3; i++ {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var level int
		if err := c.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&level); err != nil {
			t.Fatal(err)
		}
		if level != 2 {
			t.Fatalf("connection %d: synchronous = %d, want 2 (FULL)", i, level)
		}
	}
}

// TestCachedStatementsAcrossConnections: the statement cache is keyed by query text
// and works on every pooled connection, inside and outside transactions.
func TestCachedStatementsAcrossConnections(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{})
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			key := "agent:main:k" + string(rune('a'+g))
			for i := 0; i < 20; i++ {
				if _, _, err := s.Append(ctx, key, Message{Role: "user", Text: "m"}); err != nil {
					errs <- err
					return
				}
				if _, err := s.History(ctx, key, 5, 0); err != nil {
					errs <- err
					return
				}
			}
			ss, err := s.Get(ctx, key)
			if err == nil && ss.Messages != 20 {
				err = errors.New(key + ": wrong message count")
			}
			errs <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s.smu.Lock()
	n := len(s.stmts)
	s.smu.Unlock()
	if n == 0 || n > 20 {
		t.Fatalf("%d cached statements, want a small constant set", n)
	}
}

// TestLatestAndCountRole: the newest message of a role and the count, in the current
// transcript only.
func TestLatestAndCountRole(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := "agent:main:main"
	if _, ok, err := st.Latest(ctx, key, "compaction"); err != nil || ok {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	for _, m := range []Message{{Role: "user", Text: "a"}, {Role: "compaction", Text: "s1"}, {Role: "assistant", Text: "b"}, {Role: "compaction", Text: "s2"}, {Role: "user", Text: "c"}} {
		if _, _, err := st.Append(ctx, key, m); err != nil {
			t.Fatal(err)
		}
	}
	if m, ok, err := st.Latest(ctx, key, "compaction"); err != nil || !ok || m.Text != "s2" {
		t.Fatalf("latest: %+v ok=%v err=%v", m, ok, err)
	}
	if n, err := st.CountRole(ctx, key, "compaction"); err != nil || n != 2 {
		t.Fatalf("count %d err %v", n, err)
	}
	if _, err := st.Reset(ctx, key); err != nil {
		t.Fatal(err)
	}
	if n, err := st.CountRole(ctx, key, "compaction"); err != nil || n != 0 {
		t.Fatalf("count after reset %d err %v", n, err)
	}
	if _, ok, _ := st.Latest(ctx, key, "compaction"); ok {
		t.Fatal("latest after reset found the old transcript's entry")
	}
}

// TestAppendFinalRecordsStats: the final reply and the run's stats are one durable
// commit, and both are there after a reopen.
func TestAppendFinalRecordsStats(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path, Options{})
	key := "agent:main:x"
	if _, _, err := s.Append(ctx, key, Message{Role: "user", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	before := s.WriterStats()
	m, ss, err := s.AppendFinal(ctx, key, Message{Role: "assistant", Text: "hello"}, RunStats{InputTokens: 3, OutputTokens: 4, TotalTokens: 7})
	if err != nil {
		t.Fatal(err)
	}
	after := s.WriterStats()
	if after.Commits-before.Commits != 1 || after.Syncs-before.Syncs != 1 {
		t.Fatalf("AppendFinal: %d commits, %d syncs; want 1 and 1", after.Commits-before.Commits, after.Syncs-before.Syncs)
	}
	if m.Seq == 0 || ss.Messages != 2 || ss.TotalTokens != 7 {
		t.Fatalf("returned %+v / %+v", m, ss)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, Options{})
	got, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if got.InputTokens != 3 || got.OutputTokens != 4 || got.TotalTokens != 7 || got.AbortedLastRun || got.Messages != 2 {
		t.Fatalf("after reopen: %+v", got)
	}
	if h, err := s.History(ctx, key, 10, 0); err != nil || len(h) != 2 || h[1].Text != "hello" {
		t.Fatalf("history after reopen: %+v, %v", h, err)
	}
}

// TestLatestCompactionUsesIndex: the latest-compaction lookup every run makes is one
// index lookup (messages_compaction), not a walk over the transcript, and finds the
// newest entry of the current transcript.
func TestLatestCompactionUsesIndex(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{})
	for _, q := range latestCompactionQuery { // by transcript id and by key
		var plan strings.Builder
		rows, err := s.db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, "k")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(detail + "\n")
		}
		rows.Close()
		if !strings.Contains(plan.String(), "messages_compaction") {
			t.Fatalf("plan does not use messages_compaction:\n%s", plan.String())
		}
	}
	key := "agent:main:c"
	for i, role := range []string{"user", "compaction", "assistant", "compaction", "user"} {
		if _, _, err := s.Append(ctx, key, Message{Role: role, Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	m, ok, err := s.Latest(ctx, key, "compaction")
	if err != nil || !ok || m.Text != "3" {
		t.Fatalf("Latest = %+v %v %v", m, ok, err)
	}
	if _, err := s.Reset(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Latest(ctx, key, "compaction"); err != nil || ok {
		t.Fatalf("after reset: %v %v", ok, err)
	}
}

// BenchmarkLatestCompaction: the lookup on a transcript of DefaultMaxMessages
// messages with no compaction entry (the common case, and the worst for a scan).
func BenchmarkLatestCompaction(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: filepath.Join(b.TempDir(), "s.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	key := "agent:main:long"
	for i := 0; i < DefaultMaxMessages; i++ {
		if _, _, err := s.AppendStep(ctx, key, Message{Role: "user", Text: "message text"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok, err := s.Latest(ctx, key, "compaction"); err != nil || ok {
			b.Fatal(ok, err)
		}
	}
}

// TestAppendStepQueued: queued steps commit in the order they were queued, before a
// write queued after them, and each answer comes once its step has committed; a step
// over the store's bounds is answered at once with the error and stores nothing.
func TestAppendStepQueued(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{MaxMessageBytes: 64})
	key := "agent:main:q"
	var answers []<-chan error
	for i := range 5 {
		answers = append(answers, s.AppendStepQueued(ctx, key, Message{Role: "toolResult", Text: fmt.Sprint("step ", i)}))
	}
	// A synced write queued after them: once it returns, they have committed before it.
	if _, _, err := s.Append(ctx, key, Message{Role: "assistant", Text: "final"}); err != nil {
		t.Fatal(err)
	}
	for i, ch := range answers {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		default:
			t.Fatalf("step %d not answered although a later write committed", i)
		}
	}
	h, err := s.History(ctx, key, 10, 0)
	if err != nil || len(h) != 6 {
		t.Fatalf("history: %d messages, %v", len(h), err)
	}
	for i := range 5 {
		if h[i].Text != fmt.Sprint("step ", i) {
			t.Fatalf("message %d is %q: order lost", i, h[i].Text)
		}
	}
	if h[5].Text != "final" {
		t.Fatalf("last message %q", h[5].Text)
	}
	// Over the bound: answered at once, nothing stored.
	select {
	case err := <-s.AppendStepQueued(ctx, key, Message{Role: "toolResult", Text: strings.Repeat("x", 65)}):
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("oversized step: %v", err)
		}
	default:
		t.Fatal("oversized step not answered at once")
	}
	if ss, err := s.Get(ctx, key); err != nil || ss.Messages != 6 {
		t.Fatalf("after the refused step: %+v, %v", ss, err)
	}
	// After Close: answered with ErrClosed.
	_ = s.Close()
	if err := <-s.AppendStepQueued(ctx, key, Message{Role: "toolResult", Text: "late"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}
