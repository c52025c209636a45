package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// dbGet reads the session row from the file, past the cache.
func dbGet(t *testing.T, s *Store, key string) (Session, bool) {
	t.Helper()
	ss, err := scanSession(s.db.QueryRowContext(context.Background(), `SELECT `+sessionCols+` FROM sessions WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return ss, true
}

// checkCoherent compares what the store answers for key (through the cache) with the
// file: the session row, and the transcript read by the cached transcript id.
func checkCoherent(t *testing.T, s *Store, key string) {
	t.Helper()
	ctx := context.Background()
	want, exists := dbGet(t, s, key)
	got, err := s.Get(ctx, key)
	switch {
	case !exists && !errors.Is(err, ErrNotFound):
		t.Fatalf("%s: Get = %+v, %v; the file has no such session", key, got, err)
	case exists && (err != nil || got != want):
		t.Fatalf("%s: Get = %+v, %v\nfile: %+v", key, got, err, want)
	}
	h, err := s.History(ctx, key, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if exists {
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE transcript_id = ?`, want.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if int64(len(h)) != n {
		t.Fatalf("%s: History has %d messages, the file's current transcript %d", key, len(h), n)
	}
	var seq int64 // the file's latest compaction entry (0: none)
	if exists {
		err := s.db.QueryRowContext(ctx, `SELECT seq FROM messages WHERE transcript_id = ? AND role = 'compaction' ORDER BY seq DESC LIMIT 1`, want.ID).Scan(&seq)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
	}
	m, ok, err := s.Latest(ctx, key, "compaction")
	if err != nil || ok != (seq != 0) || m.Seq != seq {
		t.Fatalf("%s: Latest compaction = %d %v %v; the file's: %d", key, m.Seq, ok, err, seq)
	}
}

// TestSessionCacheCoherent runs every write path on a cached session and checks that
// what the store answers afterwards is what the file holds.
func TestSessionCacheCoherent(t *testing.T) {
	ctx := context.Background()
	const key = "agent:main:c"
	for _, tc := range []struct {
		name string
		f    func(s *Store) error
	}{
		{"ensure", func(s *Store) error { _, err := s.Ensure(ctx, key); return err }},
		{"route", func(s *Store) error {
			_, err := s.SetRoute(ctx, key, Route{Channel: "telegram", To: "42", AccountID: "a"}, "Ann")
			return err
		}},
		{"label", func(s *Store) error { return s.SetLabel(ctx, key, "work") }},
		{"append", func(s *Store) error { _, _, err := s.Append(ctx, key, Message{Role: "user", Text: "hi"}); return err }},
		{"step", func(s *Store) error {
			_, _, err := s.AppendStep(ctx, key, Message{Role: "toolResult", Text: "r"})
			return err
		}},
		{"final", func(s *Store) error {
			_, _, err := s.AppendFinal(ctx, key, Message{Role: "assistant", Text: "ok"}, RunStats{InputTokens: 5, OutputTokens: 2, TotalTokens: 7})
			return err
		}},
		{"finish", func(s *Store) error { return s.FinishRun(ctx, key, RunStats{InputTokens: 9, Aborted: true}) }},
		{"finish synced", func(s *Store) error { return s.FinishRun(ctx, key, RunStats{TotalTokens: 3, Sync: true}) }},
		{"finish unknown key", func(s *Store) error { return s.FinishRun(ctx, "agent:main:none", RunStats{InputTokens: 1}) }},
		{"trim", func(s *Store) error {
			for range 4 { // MaxMessages is 3 here
				if _, _, err := s.Append(ctx, key, Message{Role: "user", Text: "x"}); err != nil {
					return err
				}
			}
			return nil
		}},
		{"compaction", func(s *Store) error {
			_, _, err := s.Append(ctx, key, Message{Role: "compaction", Text: "summary"})
			return err
		}},
		{"compaction in a new session", func(s *Store) error {
			for _, k := range []string{"agent:main:fresh", key} {
				if _, _, err := s.Append(ctx, k, Message{Role: "compaction", Text: "summary"}); err != nil {
					return err
				}
			}
			return nil
		}},
		{"reset", func(s *Store) error { _, err := s.Reset(ctx, key); return err }},
		{"compaction then reset", func(s *Store) error {
			if _, _, err := s.Append(ctx, key, Message{Role: "compaction", Text: "summary"}); err != nil {
				return err
			}
			_, err := s.Reset(ctx, key)
			return err
		}},
		{"delete", func(s *Store) error { _, _, err := s.Delete(ctx, key); return err }},
		{"patch", func(s *Store) error {
			// DisplayName is not stored by Patch: the cache must not keep it either.
			_, err := s.Patch(ctx, key, func(ss *Session) error { ss.Model, ss.DisplayName = "openai/gpt", "not stored"; return nil })
			return err
		}},
		{"compact", func(s *Store) error { _, _, err := s.Compact(ctx, key, 1); return err }},
		{"import over deleted", func(s *Store) error {
			if _, _, err := s.Delete(ctx, key); err != nil {
				return err
			}
			_, err := s.Import(ctx, Imported{Session: Session{Key: key, ID: "imported-1", UpdatedAt: 1}, Messages: []Message{{Role: "user", Text: "old"}}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{MaxMessages: 3})
			// Cached before the write: a session with a route, a label and messages.
			if _, err := s.SetRoute(ctx, key, Route{Channel: "whatsapp", To: "+1"}, "Bob"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Append(ctx, key, Message{Role: "user", Text: "first"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, key); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "agent:main:none"); !errors.Is(err, ErrNotFound) {
				t.Fatal(err)
			}
			if err := tc.f(s); err != nil {
				t.Fatal(err)
			}
			checkCoherent(t, s, key)
			checkCoherent(t, s, "agent:main:none")
			checkCoherent(t, s, "agent:main:fresh")
		})
	}
}

// TestSessionCacheFailedWrites: a write that fails, alone or in a batch with good
// writes (run again with savepoints), leaves no trace in the cache.
func TestSessionCacheFailedWrites(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{})
	if err := s.SetLabel(ctx, "agent:main:a", "taken"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Append(ctx, "agent:main:b", Message{Role: "user", Text: "1"}); err != nil {
		t.Fatal(err)
	}
	// Alone: Patch edits the cached row, then fails.
	if _, err := s.Patch(ctx, "agent:main:b", func(ss *Session) error { ss.Label = "taken"; ss.Model = "x/y"; return nil }); !errors.Is(err, ErrLabelInUse) {
		t.Fatalf("patch: %v", err)
	}
	checkCoherent(t, s, "agent:main:b")

	// In a batch: good appends around a failing write that first appended itself.
	release := blockWriter(t, s)
	before := s.WriterStats()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	submit := func(i int, f func() error) {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f() }()
		waitQueued(t, s, i+1)
	}
	submit(0, func() error { _, _, err := s.Append(ctx, "agent:main:b", Message{Role: "user", Text: "2"}); return err })
	submit(1, func() error {
		return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if _, _, err := s.appendTx(ctx, tx, "agent:main:b", Message{Role: "user", Text: "rolled back"}, nil); err != nil {
				return err
			}
			if _, _, err := s.appendTx(ctx, tx, "agent:main:new", Message{Role: "user", Text: "rolled back"}, nil); err != nil {
				return err
			}
			return errors.New("refused")
		})
	})
	submit(2, func() error { _, _, err := s.Append(ctx, "agent:main:b", Message{Role: "user", Text: "3"}); return err })
	release()
	wg.Wait()
	if errs[0] != nil || errs[2] != nil || errs[1] == nil {
		t.Fatalf("errs %v", errs)
	}
	if st := s.WriterStats(); st.Retries-before.Retries != 1 || st.Commits-before.Commits != 2 {
		t.Fatalf("want one batch run twice and committed once (after the blocker): %+v → %+v", before, st)
	}
	ss, err := s.Get(ctx, "agent:main:b")
	if err != nil || ss.Messages != 3 {
		t.Fatalf("b: %+v %v", ss, err)
	}
	checkCoherent(t, s, "agent:main:b")
	checkCoherent(t, s, "agent:main:new")
}

// TestSessionCacheBound: the cache keeps at most SessionCache rows, and answers stay
// right for the rows it dropped; a negative SessionCache turns it off.
func TestSessionCacheBound(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		limit, want int
	}{{3, 3}, {-1, 0}} {
		t.Run(fmt.Sprint(tc.limit), func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{SessionCache: tc.limit})
			for i := range 10 {
				key := fmt.Sprintf("agent:main:k%d", i)
				if _, _, err := s.Append(ctx, key, Message{Role: "user", Text: "x"}); err != nil {
					t.Fatal(err)
				}
				if n := s.cache.len(); n > tc.want {
					t.Fatalf("%d cached rows, limit %d", n, tc.limit)
				}
			}
			if n := s.cache.len(); n != tc.want {
				t.Fatalf("%d cached rows, want %d", n, tc.want)
			}
			for i := range 10 {
				checkCoherent(t, s, fmt.Sprintf("agent:main:k%d", i))
			}
		})
	}
}

// TestSessionCacheStaleFill: a reader's fill after a miss is refused when a batch was
// published while it read (its row may be older than the published one).
func TestSessionCacheStaleFill(t *testing.T) {
	c := newSessionCache(10)
	gen := c.snapshot()
	c.txSet("k", Session{Key: "k", Messages: 2})
	c.publish(false)
	c.fill("k", cacheEntry{ss: Session{Key: "k", Messages: 1}, ok: true}, gen) // read before the publish
	if e, ok := c.get("k"); !ok || e.ss.Messages != 2 {
		t.Fatalf("stale fill replaced the published row: %+v %v", e, ok)
	}
	c.fill("other", cacheEntry{}, c.snapshot())
	if e, ok := c.get("other"); !ok || e.ok {
		t.Fatalf("fill with a current snapshot: %+v %v", e, ok)
	}
	// A commit that failed drops what the batch touched.
	c.txSet("k", Session{Key: "k", Messages: 3})
	c.publish(true)
	if _, ok := c.get("k"); ok {
		t.Fatal("row of a failed commit kept")
	}
}

// TestTranscriptIDs: new transcript ids are version 7 UUIDs that sort by creation
// time (the point of them), and distinct within one millisecond.
func TestTranscriptIDs(t *testing.T) {
	a, b, c := transcriptID(1000), transcriptID(1000), transcriptID(1001)
	for _, id := range []string{a, b, c} {
		if len(id) != 36 || id[14] != '7' || !strings.ContainsRune("89ab", rune(id[19])) || strings.Count(id, "-") != 4 {
			t.Fatalf("not a version 7 UUID: %s", id)
		}
	}
	if a == b || !(a < c && b < c) {
		t.Fatalf("ids %s %s %s: want distinct, ordered by time", a, b, c)
	}
}

// TestSessionCacheConcurrent: readers missing and filling while writers append, reset
// and delete the same few sessions; once the writes are done, every answer is the file's.
func TestSessionCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{SessionCache: 4}) // small: misses and evictions
	keys := []string{"agent:main:a", "agent:main:b", "agent:main:c", "agent:main:d", "agent:main:e", "agent:main:f"}
	stop := make(chan struct{})
	var readers, writers sync.WaitGroup
	for r := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := r; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Get(ctx, keys[i%len(keys)]); err != nil && !errors.Is(err, ErrNotFound) {
					t.Error(err)
					return
				}
			}
		}()
	}
	for w := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range 60 {
				key := keys[(w+i)%len(keys)]
				var err error
				switch i % 6 {
				case 3:
					_, err = s.Reset(ctx, key)
				case 5:
					_, _, err = s.Delete(ctx, key)
				default:
					_, _, err = s.Append(ctx, key, Message{Role: "user", Text: "x"})
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	for _, k := range keys {
		checkCoherent(t, s, k)
	}
}
