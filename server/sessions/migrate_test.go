package sessions

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// A database written before messages had a body opens, keeps its messages, and takes
// structured messages afterwards; opening it again changes nothing.
func TestMigrateAddsBody(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions.db")
	old := strings.Replace(schema, ",\n  body BLOB\n", "\n", 1)
	if old == schema {
		t.Fatal("test cannot derive the old schema")
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{old,
		`INSERT INTO sessions (key, session_id, created_at, updated_at, message_count) VALUES ('agent:main:main', 't1', 1, 1, 1)`,
		`INSERT INTO transcripts (id, session_key, created_at) VALUES ('t1', 'agent:main:main', 1)`,
		`INSERT INTO messages (transcript_id, role, text, ts, run_id) VALUES ('t1', 'user', 'hello', 5, 'r0')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()

	for round := 0; round < 2; round++ {
		s, err := Open(ctx, Options{Path: path})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if round == 0 {
			if _, _, err := s.Append(ctx, "agent:main:main", Message{Role: "toolResult", Text: "ok", Body: []byte(`{"role":"toolResult"}`)}); err != nil {
				t.Fatal(err)
			}
		}
		h, err := s.History(ctx, "agent:main:main", 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].Text != "hello" || h[0].Body != nil || h[1].Role != "toolResult" || string(h[1].Body) != `{"role":"toolResult"}` {
			t.Fatalf("round %d: history %+v", round, h)
		}
		_ = s.Close()
	}
}

func TestBodyLimit(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "s.db"), MaxBodyBytes: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, _, err = s.Append(ctx, "agent:main:main", Message{Role: "assistant", Text: "x", Body: []byte(`{"role":"assistant","content":[]}`)})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	h, _ := s.History(ctx, "agent:main:main", 10, 0)
	if len(h) != 0 {
		t.Fatalf("refused message stored: %+v", h)
	}
}

// A database written before sessions had their controls opens with them empty, and
// sessions.patch values survive a reopen; compaction keeps the newest messages.
func TestMigrateAddsControlsPatchCompact(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions.db")
	old := strings.Replace(schema, ",\n  model TEXT NOT NULL DEFAULT '',\n  thinking_level TEXT NOT NULL DEFAULT '',\n  verbose_level TEXT NOT NULL DEFAULT '',\n  reasoning_level TEXT NOT NULL DEFAULT '',\n  send_policy TEXT NOT NULL DEFAULT '',\n  elevated_level TEXT NOT NULL DEFAULT ''\n", "\n", 1)
	if old == schema {
		t.Fatal("test cannot derive the old schema")
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{old,
		`INSERT INTO sessions (key, session_id, created_at, updated_at, label) VALUES ('agent:main:main', 't1', 1, 1, 'home')`,
		`INSERT INTO transcripts (id, session_key, created_at) VALUES ('t1', 'agent:main:main', 1)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()

	s, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := s.Get(ctx, "agent:main:main")
	if err != nil || ss.Label != "home" || ss.Model != "" {
		t.Fatalf("after migration: %+v %v", ss, err)
	}
	if _, err := s.Patch(ctx, "agent:main:other", func(ss *Session) error { ss.Label = "home"; return nil }); !errors.Is(err, ErrLabelInUse) {
		t.Fatalf("duplicate label: err = %v", err)
	}
	if _, err := s.Patch(ctx, "agent:main:main", func(ss *Session) error {
		ss.Model, ss.ThinkingLevel, ss.SendPolicy, ss.ElevatedLevel = "openai/gpt-x", "high", "deny", "off"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, _, err := s.Append(ctx, "agent:main:main", Message{Role: "user", Text: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if kept, done, err := s.Compact(ctx, "agent:main:main", 2); err != nil || !done || kept != 2 {
		t.Fatalf("compact: %d %v %v", kept, done, err)
	}
	if kept, done, err := s.Compact(ctx, "agent:main:main", 2); err != nil || done || kept != 2 {
		t.Fatalf("compact again: %d %v %v", kept, done, err)
	}
	_ = s.Close()
	s, err = Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ss, _ = s.Get(ctx, "agent:main:main")
	h, _ := s.History(ctx, "agent:main:main", 10, 0)
	if ss.Model != "openai/gpt-x" || ss.ThinkingLevel != "high" || ss.SendPolicy != "deny" || ss.ElevatedLevel != "off" || ss.Messages != 2 || len(h) != 2 || h[0].Text != "d" || h[1].Text != "e" {
		t.Fatalf("after reopen: %+v history %+v", ss, h)
	}
}
