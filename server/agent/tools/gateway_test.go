package tools

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeGateway records the calls of the gateway tool and answers config.get with a
// fixed hash.
type fakeGateway struct {
	calls    []string         // method names, in order
	params   []map[string]any // their params
	restarts []GatewayRestart
	err      error
}

func (f *fakeGateway) Call(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error) {
	var p map[string]any
	if err := json.Unmarshal(params, &p); err != nil {
		return nil, err
	}
	f.calls, f.params = append(f.calls, method), append(f.params, p)
	if f.err != nil {
		return nil, f.err
	}
	if method == "config.get" {
		return json.RawMessage(`{"hash":"h-now","exists":true}`), nil
	}
	return json.RawMessage(`{"method":"` + method + `"}`), nil
}

func (f *fakeGateway) Restart(ctx context.Context, r GatewayRestart) error {
	f.restarts = append(f.restarts, r)
	return f.err
}

func TestGatewayTool(t *testing.T) {
	for _, tc := range []struct {
		name        string
		restartOn   bool
		args        string
		wantErr     string
		wantCalls   []string
		wantParams  map[string]any // of the last call
		wantResult  map[string]any // the result's JSON, when checked
		wantRestart *GatewayRestart
	}{
		{name: "restart refused without commands.restart", args: `{"action":"restart"}`,
			wantErr: "Gateway restart is disabled. Set commands.restart=true to enable."},
		{name: "restart default delay, run's session", restartOn: true, args: `{"action":"restart"}`,
			wantRestart: &GatewayRestart{Delay: 2 * time.Second, SessionKey: "agent:main:main"},
			wantResult:  map[string]any{"ok": true, "signal": "SIGUSR1", "delayMs": float64(2000), "mode": "emit"}},
		{name: "restart delay clamped, reason trimmed and bounded, note wins", restartOn: true,
			args:        `{"action":"restart","delayMs":999999.7,"reason":"  ` + strings.Repeat("r", 250) + `","note":" back soon ","sessionKey":"agent:main:telegram:dm:42"}`,
			wantRestart: &GatewayRestart{Delay: 60 * time.Second, Reason: strings.Repeat("r", 200), SessionKey: "agent:main:telegram:dm:42", Note: "back soon"},
			wantResult:  map[string]any{"ok": true, "signal": "SIGUSR1", "delayMs": float64(60000), "mode": "emit", "reason": strings.Repeat("r", 200)}},
		{name: "restart negative delay is 0; reason is the note", restartOn: true, args: `{"action":"restart","delayMs":-5,"reason":"why"}`,
			wantRestart: &GatewayRestart{Delay: 0, Reason: "why", SessionKey: "agent:main:main", Note: "why"}},
		{name: "config.get", args: `{"action":"config.get","gatewayUrl":"ws://x","timeoutMs":5}`, wantCalls: []string{"config.get"},
			wantResult: map[string]any{"ok": true, "result": map[string]any{"hash": "h-now", "exists": true}}},
		{name: "config.schema", args: `{"action":"config.schema"}`, wantCalls: []string{"config.schema"},
			wantResult: map[string]any{"ok": true, "result": map[string]any{"method": "config.schema"}}},
		{name: "config.patch fetches baseHash", args: `{"action":"config.patch","raw":"{a:1}","note":"n"}`,
			wantCalls: []string{"config.get", "config.patch"}, wantParams: map[string]any{"raw": "{a:1}", "baseHash": "h-now"},
			wantResult: map[string]any{"ok": true, "result": map[string]any{"method": "config.patch"}}},
		{name: "config.patch with baseHash", args: `{"action":"config.patch","raw":"{a:1}","baseHash":"h0"}`,
			wantCalls: []string{"config.patch"}, wantParams: map[string]any{"raw": "{a:1}", "baseHash": "h0"}},
		{name: "config.patch needs raw", args: `{"action":"config.patch"}`, wantErr: "raw required"},
		{name: "config.apply passes the notice", args: `{"action":"config.apply","raw":"{}","restartDelayMs":1500.9,"note":" hi "}`,
			wantCalls:  []string{"config.get", "config.apply"},
			wantParams: map[string]any{"raw": "{}", "baseHash": "h-now", "sessionKey": "agent:main:main", "note": "hi", "restartDelayMs": float64(1500)}},
		{name: "update.run", args: `{"action":"update.run","timeoutMs":0,"sessionKey":"s2"}`, wantCalls: []string{"update.run"},
			wantParams: map[string]any{"sessionKey": "s2", "timeoutMs": float64(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw := &fakeGateway{}
			tl, err := GatewayTool(GatewayOptions{Backend: gw, RestartEnabled: tc.restartOn, SessionKey: "agent:main:main"})
			if err != nil {
				t.Fatal(err)
			}
			if err := tl.Validate(json.RawMessage(tc.args)); err != nil {
				t.Fatal(err)
			}
			res, err := tl.Execute(context.Background(), Call{Args: json.RawMessage(tc.args)})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if len(gw.calls)+len(gw.restarts) != 0 {
					t.Fatalf("calls %v restarts %v after an error", gw.calls, gw.restarts)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantCalls != nil && !reflect.DeepEqual(gw.calls, tc.wantCalls) {
				t.Errorf("calls %v, want %v", gw.calls, tc.wantCalls)
			}
			if tc.wantParams != nil && !reflect.DeepEqual(gw.params[len(gw.params)-1], tc.wantParams) {
				t.Errorf("params %v, want %v", gw.params[len(gw.params)-1], tc.wantParams)
			}
			if tc.wantRestart != nil && (len(gw.restarts) != 1 || gw.restarts[0] != *tc.wantRestart) {
				t.Errorf("restarts %+v, want %+v", gw.restarts, *tc.wantRestart)
			}
			if tc.wantResult != nil {
				var got map[string]any
				if err := json.Unmarshal([]byte(res.Content[0].Text), &got); err != nil {
					t.Fatal(err)
				}
				delete(got, "pid")
				if !reflect.DeepEqual(got, tc.wantResult) {
					t.Errorf("result %v, want %v", got, tc.wantResult)
				}
			}
		})
	}
}

func TestGatewayToolErrors(t *testing.T) {
	if _, err := GatewayTool(GatewayOptions{}); err == nil {
		t.Fatal("no backend accepted")
	}
	gw := &fakeGateway{err: errors.New("config changed since last load; re-run config.get and retry")}
	tl, err := GatewayTool(GatewayOptions{Backend: gw})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tl.Execute(context.Background(), Call{Args: json.RawMessage(`{"action":"config.patch","raw":"{}","baseHash":"x"}`)})
	if err == nil || !strings.Contains(err.Error(), "config changed since last load") {
		t.Fatalf("err = %v", err)
	}
	if err := tl.Validate(json.RawMessage(`{"action":"reboot"}`)); err == nil {
		t.Fatal("an unknown action passed the schema")
	}
	_, err = tl.Execute(context.Background(), Call{Args: json.RawMessage(`{"action":"reboot"}`)})
	if err == nil || err.Error() != "Unknown action: reboot" {
		t.Fatalf("err = %v", err)
	}
}
