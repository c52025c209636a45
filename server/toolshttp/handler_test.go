package toolshttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/auth"
)

// fakeSets hands out one real tool set: "echo" (returns its args; its schema has an
// action property) and "fail" (an error result).
type fakeSets struct {
	none    bool
	lastKey string
}

func (f *fakeSets) MainSessionKey() string { return "agent:main:main" }

func (f *fakeSets) ToolSet(_ context.Context, _, key, _, _ string) (*tools.Set, func(), error) {
	if f.none {
		return nil, nil, errors.New("no tools here")
	}
	f.lastKey = key
	echo := &tools.Tool{Name: "echo", Parameters: json.RawMessage(`{"type":"object","properties":{"action":{"type":"string"},"x":{}}}`),
		Execute: func(_ context.Context, c tools.Call) (tools.Result, error) {
			return tools.TextResult(string(c.Args), map[string]string{"k": "v"}), nil
		}}
	fail := &tools.Tool{Name: "fail", Parameters: json.RawMessage(`{"type":"object"}`),
		Execute: func(context.Context, tools.Call) (tools.Result, error) {
			r := tools.TextResult("it broke", nil)
			r.IsError = true
			return r, nil
		}}
	wait := &tools.Tool{Name: "wait", Parameters: json.RawMessage(`{"type":"object"}`),
		Execute: func(ctx context.Context, _ tools.Call) (tools.Result, error) {
			<-ctx.Done()
			return tools.Result{}, fmt.Errorf("wait: %w", context.Cause(ctx))
		}}
	set, err := tools.NewSet(echo, fail, wait)
	return set, func() {}, err
}

func TestHandler(t *testing.T) {
	for _, tc := range []struct {
		name, method, token, body string
		none                      bool
		status                    int
		want, wantKey             string
	}{
		{"ok with action merged", "POST", "t1", `{"tool":"echo","action":"go","args":{"x":1}}`, false, 200, `"text":"{\"action\":\"go\",\"x\":1}"`, "agent:main:main"},
		{"action in args wins", "POST", "t1", `{"tool":"echo","action":"go","args":{"action":"mine"}}`, false, 200, `mine`, ""},
		{"args not an object", "POST", "t1", `{"tool":"echo","args":[1]}`, false, 200, `"text":"{}"`, ""},
		{"session canonical", "POST", "t1", `{"tool":"echo","sessionKey":"ops"}`, false, 200, `"details":{"k":"v"}`, "agent:main:ops"},
		{"error result", "POST", "t1", `{"tool":"fail"}`, false, 400, `"message":"it broke","type":"tool_error"`, ""},
		{"unknown", "POST", "t1", `{"tool":"nope"}`, false, 404, `Tool not available: nope`, ""},
		{"no auth", "POST", "", `{"tool":"echo"}`, false, 401, `unauthorized`, ""},
		{"wrong method", "GET", "t1", ``, false, 405, `Method Not Allowed`, ""},
		{"empty body", "POST", "t1", ``, false, 400, `requires body.tool`, ""},
		{"too large", "POST", "t1", `{"tool":"echo","args":{"x":"` + strings.Repeat("a", 300) + `"}}`, false, 413, `payload too large`, ""},
		{"bounded by Timeout", "POST", "t1", `{"tool":"wait"}`, false, 400, `deadline exceeded`, ""},
		{"no runtime tools", "POST", "t1", `{"tool":"echo"}`, true, 503, `no tools here`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sets := &fakeSets{none: tc.none}
			h := New(Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "t1"}, Tools: sets, MaxBodyBytes: 256, Timeout: 50 * time.Millisecond})
			srv := httptest.NewServer(h)
			defer srv.Close()
			req, _ := http.NewRequest(tc.method, srv.URL+Path, strings.NewReader(tc.body))
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
				t.Fatalf("status %d %s; want %d with %s", res.StatusCode, b, tc.status, tc.want)
			}
			if tc.wantKey != "" && sets.lastKey != tc.wantKey {
				t.Fatalf("session %q, want %q", sets.lastKey, tc.wantKey)
			}
		})
	}
}
