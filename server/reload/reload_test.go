package reload

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		path string
		kind Kind
		comp string
	}{
		{"gateway.remote.url", None, ""},
		{"gateway.reload.mode", None, ""},
		{"gateway.port", Restart, ""},
		{"gateway", Restart, ""},
		{"hooks.gmail.account", Hot, "gmail-watcher"},
		{"hooks.token", Hot, "hooks"},
		{"hooksx", Restart, ""},
		{"telegram.botToken", Hot, "telegram"},
		{"agent.heartbeat.every", Hot, "heartbeat"},
		{"agent.timeoutSeconds", None, ""},
		{"whatsapp.allowFrom", None, ""},
		{"canvasHost.port", Restart, ""},
		{"somethingNew", Restart, ""},
		// The current shape.
		{"channels.telegram.botToken", Hot, "telegram"},
		{"channels.whatsapp.allowFrom", None, ""},
		{"agents.defaults.heartbeat.every", Hot, "heartbeat"},
		{"agents.defaults.model.primary", None, ""},
		{"meta.lastTouchedAt", None, ""},
		{"plugins.entries", Restart, ""},
	} {
		k, c := Classify(tc.path)
		if k != tc.kind || c != tc.comp {
			t.Errorf("Classify(%s) = %v %q, want %v %q", tc.path, k, c, tc.kind, tc.comp)
		}
	}
}

func TestDiff(t *testing.T) {
	old := map[string]any{"gateway": map[string]any{"port": 1, "auth": map[string]any{"token": "a"}}, "whatsapp": map[string]any{"allowFrom": []string{"+1"}}}
	new := map[string]any{"gateway": map[string]any{"port": 2, "auth": map[string]any{"token": "a"}}, "whatsapp": map[string]any{"allowFrom": []string{"+1", "+2"}}, "telegram": map[string]any{"botToken": "x"}}
	got := Diff(old, new)
	want := []string{"gateway.port", "telegram", "whatsapp.allowFrom"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Diff = %v, want %v", got, want)
	}
	if d := Diff(old, old); len(d) != 0 {
		t.Fatalf("no change: %v", d)
	}
}

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		changed []string
		restart bool
		hot     []string
		ignored []string
	}{
		{"hybrid", []string{"agent.timeoutSeconds"}, false, nil, nil},
		{"hybrid", []string{"telegram.botToken"}, false, []string{"telegram"}, nil},
		{"hybrid", []string{"telegram.botToken", "gateway.port"}, true, nil, nil},
		{"", []string{"gateway.tickIntervalMs"}, true, nil, nil},
		{"hot", []string{"telegram.botToken", "gateway.port"}, false, []string{"telegram"}, []string{"gateway.port"}},
		{"restart", []string{"agent.timeoutSeconds"}, true, nil, nil},
		{"off", []string{"gateway.port", "telegram.x"}, false, nil, nil},
	} {
		p := Decide(tc.mode, tc.changed)
		if p.Restart != tc.restart || !reflect.DeepEqual(p.Hot, tc.hot) || !reflect.DeepEqual(p.Ignored, tc.ignored) {
			t.Errorf("Decide(%q, %v) = %+v", tc.mode, tc.changed, p)
		}
	}
}

// TestWatchRenameOnSave: an editor that writes a temp file and renames it over the
// config is seen, once, after the debounce.
// TestApplied: the channels in a plan's hot list give way to those whose accounts the
// reload restarted; other components keep their place.
func TestApplied(t *testing.T) {
	for _, tc := range []struct {
		name           string
		hot, restarted []string
		want           []string
	}{
		{"nothing", nil, nil, nil},
		{"whatsapp restarted, rules said nothing", nil, []string{"whatsapp"}, []string{"whatsapp"}},
		{"telegram predicted, nothing restarted", []string{"telegram"}, nil, nil},
		{"others kept, channels sorted once", []string{"cron", "telegram", "hooks"}, []string{"whatsapp", "telegram", "whatsapp"},
			[]string{"cron", "hooks", "telegram", "whatsapp"}},
	} {
		if got := Applied(tc.hot, tc.restarted); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Applied(%v, %v) = %v, want %v", tc.name, tc.hot, tc.restarted, got, tc.want)
		}
	}
}

func TestWatchRenameOnSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "clawdbot.json")
	if err := os.WriteFile(path, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Watch(ctx, path, 10*time.Millisecond, 50*time.Millisecond, func() { calls.Add(1) })
	time.Sleep(50 * time.Millisecond)
	tmp := filepath.Join(dir, ".clawdbot.json.swp")
	if err := os.WriteFile(tmp, []byte(`{"a":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if calls.Load() != 1 {
		t.Fatalf("onChange calls = %d, want 1", calls.Load())
	}
	time.Sleep(200 * time.Millisecond)
	if calls.Load() != 1 {
		t.Fatalf("onChange called again without a change: %d", calls.Load())
	}
}
