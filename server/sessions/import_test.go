package sessions

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestImport(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{MaxMessages: 3, MaxMessageBytes: 16})
	msgs := []Message{
		{Role: "user", Text: "one", Ts: 1000},
		{Role: "assistant", Text: "two", Ts: 2000},
		{Role: "user", Text: "three \xff", Ts: 3000},
		{Role: "assistant", Text: strings.Repeat("x", 40)}, // no Ts: the session's UpdatedAt
	}
	im := Imported{Session: Session{Key: "agent:main:main", ID: "sid-1", UpdatedAt: 5000, Label: "old", LastChannel: "telegram"}, Messages: msgs}
	res, err := s.Import(ctx, im)
	if err != nil || !res.Imported || res.Dropped != 1 || res.Truncated != 1 {
		t.Fatalf("Import: %+v %v", res, err)
	}
	ss, err := s.Get(ctx, "agent:main:main")
	if err != nil || ss.ID != "sid-1" || ss.UpdatedAt != 5000 || ss.CreatedAt != 2000 || ss.Label != "old" ||
		ss.LastChannel != "telegram" || ss.ChatType != "direct" || ss.Messages != 3 {
		t.Fatalf("session %+v %v", ss, err)
	}
	h, _ := s.History(ctx, "agent:main:main", 10, 0)
	if len(h) != 3 || h[0].Text != "two" || h[1].Text != "three \uFFFD" || h[2].Ts != 5000 || len(h[2].Text) > 16 {
		t.Fatalf("history %+v", h)
	}

	for _, tc := range []struct {
		name     string
		im       Imported
		existing string
		err      string
	}{
		{"same key", Imported{Session: Session{Key: "agent:main:main", ID: "sid-2", UpdatedAt: 1}}, "key", ""},
		{"same transcript id", Imported{Session: Session{Key: "agent:main:other", ID: "sid-1", UpdatedAt: 1}}, "transcript", ""},
		{"bare key", Imported{Session: Session{Key: "main", ID: "sid-3"}}, "", "not canonical"},
		{"no id", Imported{Session: Session{Key: "agent:main:x"}}, "", "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.Import(ctx, tc.im)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || res.Imported || res.Existing != tc.existing {
				t.Fatalf("%+v %v, want existing %q", res, err, tc.existing)
			}
		})
	}
	// An archived transcript id counts too: a reset session is not imported again.
	if _, err := s.Reset(ctx, "agent:main:main"); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Import(ctx, Imported{Session: Session{Key: "agent:main:again", ID: "sid-1", UpdatedAt: 1}}); err != nil || res.Existing != "transcript" {
		t.Fatalf("archived id: %+v %v", res, err)
	}
	if n, _ := s.Count(ctx); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
}
