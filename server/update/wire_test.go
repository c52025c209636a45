package update_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// TestUpdateRunWire: update.run answers in the reference's shape that nothing ran —
// skipped, the running version before and after, no steps, restart null, sentinel
// path null — echoes sessionKey/note into the sentinel payload and says how to
// update; it is admin-only and protocol 3 only, as in the reference.
func TestUpdateRunWire(t *testing.T) {
	s, err := gateway.New(gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "2026.1.24-go", Commit: "abc1234"})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(s)
	url := gatewaytest.Start(t, s).URL
	admin := gatewaytest.Dial(t, url)
	admin.Handshake(gatewaytest.V3Connect(nil))

	f := admin.Call("update.run", map[string]any{"sessionKey": " agent:main:main ", "note": "go", "restartDelayMs": 0})
	if !f.OK {
		t.Fatalf("update.run: %s", f.Raw)
	}
	var r struct {
		Ok     bool `json:"ok"`
		Result struct {
			Status, Mode, Reason string
			Before, After        struct{ Sha, Version *string }
			Steps                []any
		} `json:"result"`
		Restart  *json.RawMessage `json:"restart"`
		Sentinel struct {
			Path    *string `json:"path"`
			Payload struct {
				Kind, Status, SessionKey string
				Message                  *string
			} `json:"payload"`
		} `json:"sentinel"`
		Instructions string `json:"instructions"`
	}
	if err := json.Unmarshal(f.Payload, &r); err != nil {
		t.Fatal(err)
	}
	if !r.Ok || r.Result.Status != "skipped" || r.Result.Mode != "unknown" || len(r.Result.Steps) != 0 ||
		*r.Result.Before.Version != "2026.1.24-go" || *r.Result.After.Sha != "abc1234" || r.Restart != nil || r.Sentinel.Path != nil ||
		r.Sentinel.Payload.Kind != "update" || r.Sentinel.Payload.SessionKey != "agent:main:main" || *r.Sentinel.Payload.Message != "go" ||
		!strings.Contains(r.Instructions, "binary") || !strings.Contains(string(f.Payload), `"restart":null`) {
		t.Fatalf("update.run = %s", f.Payload)
	}

	reader := gatewaytest.Dial(t, url)
	reader.Handshake(gatewaytest.V3Connect(map[string]any{"scopes": []string{"operator.read", "operator.write"}}))
	if f := reader.Call("update.run", map[string]any{}); f.OK || f.Error.Message != "missing scope: operator.admin" {
		t.Fatalf("update.run without admin: %s", f.Raw)
	}
	v2 := gatewaytest.Dial(t, url)
	v2.Handshake(gatewaytest.V2Connect(nil))
	if f := v2.Call("update.run", map[string]any{}); f.OK || f.Error.Code != "INVALID_REQUEST" {
		t.Fatalf("update.run over protocol 2: %s", f.Raw)
	}
	if f := admin.Call("update.run", map[string]any{"timeoutMs": 0}); f.OK || f.Error.Code != "INVALID_REQUEST" {
		t.Fatalf("update.run timeoutMs 0: %s", f.Raw)
	}
}
