package agent

import (
	"context"
	"github.com/clawgate/gateway/server/sessionreset"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawgate/gateway/server/stateimport"
)

// An original (clawdbot 2026.1.24) state dir, carried over by stateimport.Run, is
// served over the wire: sessions.list shows the old sessions with their labels and
// times, chat.history the old conversation, and the next turn sends it upstream.
func TestImportedOriginalStateOverTheWire(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "stateimport", "testdata", "original")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := stateimport.Run(context.Background(), stateimport.RunOptions{StateDir: dir})
	if err != nil || rep.Sessions.Imported != 4 {
		t.Fatalf("import: %+v %v", rep, err)
	}

	up := newUpstream(t)
	// The fixture was last used in January: the default daily reset would start it
	// over at the next message (as the original would). This test is about the import,
	// so the sessions here only go stale after years of idling.
	keep := resetConfig(t, `{"session":{"reset":{"mode":"idle","idleMinutes":100000000}}}`)
	e := newEnv(t, envOpts{dir: dir, up: up, tweak: func(o *Options) { o.Reset = func() *sessionreset.Config { return keep } }})
	c := e.dial(3)
	var list struct {
		Count    int
		Sessions []struct {
			Key, SessionID, Label, DisplayName, Kind, LastChannel string
			UpdatedAt                                             int64
		}
	}
	c.mustOK("sessions.list", map[string]any{}, &list)
	if list.Count != 4 {
		t.Fatalf("sessions.list: %+v", list)
	}
	m := list.Sessions[0]
	if m.Key != "agent:main:main" || m.SessionID != "0b6b3c1e-6a8f-4f0e-9d1a-2f1c4e5a7b90" || m.Label != "daily" ||
		m.UpdatedAt != 1767225600000 || m.LastChannel != "whatsapp" || m.DisplayName != "Alice" {
		t.Errorf("main session row: %+v", m)
	}
	if g := list.Sessions[1]; g.Key != "agent:main:telegram:group:-1001234567890" || g.Kind != "group" {
		t.Errorf("group session row: %+v", g)
	}

	var h struct {
		SessionID string
		Messages  []struct {
			Role      string
			Content   []struct{ Type, Text string }
			Timestamp int64
		}
	}
	c.mustOK("chat.history", map[string]any{"sessionKey": "main"}, &h)
	if h.SessionID != "0b6b3c1e-6a8f-4f0e-9d1a-2f1c4e5a7b90" || len(h.Messages) != 5 ||
		h.Messages[0].Role != "user" || h.Messages[0].Timestamp != 1767222001000 ||
		h.Messages[2].Content[0].Text != "You have Documents and Downloads." || h.Messages[4].Role != "assistant" {
		t.Fatalf("chat.history: %+v", h)
	}

	// The conversation goes on from the imported transcript.
	var st struct{ RunID, Status string }
	c.mustOK("chat.send", map[string]any{"sessionKey": "main", "message": "what did I send?", "idempotencyKey": "imp-1"}, &st)
	c.runEvents("imp-1", true)
	body := up.lastBody()
	if n := len(body.Messages); n != 7 || body.Messages[1].Content != "[WhatsApp +15551234567 2025-12-31T23:00Z] What's in my home dir?" ||
		body.Messages[5].Content != "Nice photo." || body.Messages[6].Content != "what did I send?" {
		t.Fatalf("context sent upstream: %+v", body.Messages)
	}
}
