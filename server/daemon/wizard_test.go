package daemon

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/config"
)

// TestWizardInDaemon: the daemon serves the wizard with its own config group as the
// writer: a short local flow (workspace given, no model, no channels) writes the
// workspace and the run record into the running gateway's config file.
func TestWizardInDaemon(t *testing.T) {
	r := start(t, `{gateway: {mode: "local"}}`)
	c := r.client(t)
	call := func(method string, params map[string]any) map[string]any {
		t.Helper()
		f := c.Call(method, params)
		if !f.OK {
			t.Fatalf("%s: %+v", method, f.Error)
		}
		var m map[string]any
		if err := json.Unmarshal(f.Payload, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	ws := filepath.Join(r.home, "ws")
	res := call("wizard.start", map[string]any{"mode": "local", "workspace": ws})
	sid := res["sessionId"].(string)
	answers := []any{nil, nil, true, "skip", []string{}, true}
	for i, v := range answers {
		st, _ := res["step"].(map[string]any)
		if st == nil {
			t.Fatalf("step %d: %v", i, res)
		}
		a := map[string]any{"stepId": st["id"]}
		if v != nil {
			a["value"] = v
		}
		res = call("wizard.next", map[string]any{"sessionId": sid, "answer": a})
	}
	if res["done"] != true || res["status"] != "done" {
		t.Fatalf("final %v", res)
	}
	f, err := config.Load(filepath.Join(r.home, "clawdbot.json"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Lookup("/agents/defaults/workspace"); v != ws {
		t.Fatalf("workspace = %v\n%s", v, f.Raw)
	}
	if v, _ := f.Lookup("/wizard/lastRunCommand"); v != "onboard" {
		t.Fatalf("wizard record missing:\n%s", f.Raw)
	}
	if v, _ := f.Lookup("/gateway/mode"); v != "local" || !strings.Contains(string(f.Raw), "lastRunAt") {
		t.Fatalf("config:\n%s", f.Raw)
	}
}
