package sessions

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestAgentTranscripts: an agent's kept transcripts with their sizes: the current
// one and one archived by reset; not another agent's, not a deleted session's (also
// after the key is used again).
func TestAgentTranscripts(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_700_000_000_000)
	s := open(t, filepath.Join(t.TempDir(), "s.db"), Options{Now: func() time.Time { now = now.Add(time.Second); return now }})
	mustAppend := func(key, role, text string) {
		t.Helper()
		if _, _, err := s.Append(ctx, key, Message{Role: role, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	mustAppend("agent:main:a", "user", "héllo") // 6 bytes
	mustAppend("agent:main:a", "assistant", "hi")
	old, _ := s.Get(ctx, "agent:main:a")
	if _, err := s.Reset(ctx, "agent:main:a"); err != nil {
		t.Fatal(err)
	}
	mustAppend("agent:main:a", "user", "again")
	mustAppend("agent:ops:x", "user", "ops only")
	mustAppend("agent:main:gone", "user", "deleted words")
	if _, _, err := s.Delete(ctx, "agent:main:gone"); err != nil {
		t.Fatal(err)
	}
	mustAppend("agent:main:gone", "user", "new life")
	cur, _ := s.Get(ctx, "agent:main:a")
	gone, _ := s.Get(ctx, "agent:main:gone")

	list, err := s.AgentTranscripts(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range list {
		got = append(got, tr.ID)
		if tr.ID == old.ID && (tr.Messages != 2 || tr.Bytes != 8) {
			t.Errorf("archived transcript size %+v, want 2 messages / 8 bytes", tr)
		}
	}
	want := []string{old.ID, cur.ID, gone.ID}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("transcripts %v, want %v", got, want)
	}
	ops, _ := s.AgentTranscripts(ctx, "ops")
	if len(ops) != 1 || ops[0].SessionKey != "agent:ops:x" {
		t.Errorf("ops transcripts %+v", ops)
	}
	msgs, err := s.TranscriptMessages(ctx, old.ID)
	if err != nil || len(msgs) != 2 || msgs[0].Text != "héllo" || msgs[1].Role != "assistant" {
		t.Errorf("messages %+v %v", msgs, err)
	}
}
