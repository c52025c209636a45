package voicewake_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/voicewake"
)

func start(t *testing.T, stateDir string) string {
	t.Helper()
	s, err := gateway.New(gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(s)
	return gatewaytest.Start(t, s).URL
}

// TestVoicewakeWire: get gives the defaults with no file; set normalises, writes the
// reference's file shape and tells every client (v2 and v3) with voicewake.changed;
// a restarted gateway reads the words back.
func TestVoicewakeWire(t *testing.T) {
	dir := t.TempDir()
	url := start(t, dir)
	op := gatewaytest.Dial(t, url)
	op.Handshake(gatewaytest.V3Connect(nil))
	v2 := gatewaytest.Dial(t, url)
	v2.Handshake(gatewaytest.V2Connect(nil))

	var got protocol.VoicewakeGetResult
	op.MustOK("voicewake.get", map[string]any{}, &got)
	if !slices.Equal(got.Triggers, []string{"clawd", "claude", "computer"}) {
		t.Fatalf("defaults = %v", got.Triggers)
	}

	long := strings.Repeat("é", 70)
	in := []string{"  hey clawd ", "", "   ", long}
	for i := range 40 {
		in = append(in, "w"+string(rune('a'+i%26)))
	}
	var set protocol.VoicewakeSetResult
	op.MustOK("voicewake.set", map[string]any{"triggers": in}, &set)
	if len(set.Triggers) != voicewake.MaxTriggers || set.Triggers[0] != "hey clawd" || set.Triggers[1] != strings.Repeat("é", 64) {
		t.Fatalf("set = %d words %q", len(set.Triggers), set.Triggers[:2])
	}
	for _, c := range []*gatewaytest.Client{op, v2} {
		var ev protocol.VoicewakeChangedEvent
		if err := json.Unmarshal(c.NextEvent("voicewake.changed").Payload, &ev); err != nil || !slices.Equal(ev.Triggers, set.Triggers) {
			t.Fatalf("voicewake.changed = %+v (%v)", ev, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "settings", "voicewake.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Triggers    []string `json:"triggers"`
		UpdatedAtMs int64    `json:"updatedAtMs"`
	}
	if err := json.Unmarshal(b, &file); err != nil || !slices.Equal(file.Triggers, set.Triggers) || file.UpdatedAtMs <= 0 {
		t.Fatalf("file = %s (%v)", b, err)
	}

	// Nothing usable → the defaults; bad params change nothing.
	op.MustOK("voicewake.set", map[string]any{"triggers": []string{" ", ""}}, &set)
	if !slices.Equal(set.Triggers, voicewake.DefaultTriggers()) {
		t.Fatalf("blank set = %v", set.Triggers)
	}
	for _, bad := range []any{map[string]any{}, map[string]any{"triggers": "clawd"}, map[string]any{"triggers": []any{1}}} {
		if f := op.Call("voicewake.set", bad); f.OK || f.Error.Code != "INVALID_REQUEST" {
			t.Fatalf("voicewake.set %v = %s", bad, f.Raw)
		}
	}
	op.MustOK("voicewake.set", map[string]any{"triggers": []string{"computer"}}, &set)

	// A second gateway on the same state dir (a restart) reads the stored words.
	c := gatewaytest.Dial(t, start(t, dir))
	c.Handshake(gatewaytest.V2Connect(nil))
	c.MustOK("voicewake.get", nil, &got)
	if !slices.Equal(got.Triggers, []string{"computer"}) {
		t.Fatalf("after restart = %v", got.Triggers)
	}
}

// TestLoadBadFile: an unreadable file falls back to the defaults, a file with
// non-string words keeps the strings.
func TestLoadBadFile(t *testing.T) {
	dir := t.TempDir()
	p := voicewake.Path(dir)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ body, want string }{
		{"{nope", "clawd,claude,computer"},
		{`{"triggers":[1," x ",null],"updatedAtMs":5}`, "x"},
		{`{"triggers":[]}`, "clawd,claude,computer"},
	} {
		if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(voicewake.Load(dir).Triggers, ","); got != tc.want {
			t.Errorf("Load(%s) = %s, want %s", tc.body, got, tc.want)
		}
	}
}
