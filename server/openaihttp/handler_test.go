package openaihttp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

func TestChatPrompt(t *testing.T) {
	for _, tc := range []struct {
		name, messages, message, system string
	}{
		{"single user", `[{"role":"user","content":"hi"}]`, "hi", ""},
		{"system and developer", `[{"role":"system","content":"a"},{"role":"developer","content":"b"},{"role":"user","content":"hi"}]`, "hi", "a\n\nb"},
		{"parts", `[{"role":"user","content":[{"type":"text","text":"x"},{"type":"image_url","image_url":{}},{"type":"input_text","text":"y"}]}]`, "x\ny", ""},
		{"history", `[{"role":"user","content":"one"},{"role":"assistant","content":"two"},{"role":"user","content":"three"}]`,
			historyMarker + "\nUser: one\nAssistant: two\n\n" + currentMarker + "\nUser: three", ""},
		{"tool is current", `[{"role":"user","content":"q"},{"role":"function","name":"calc","content":"42"}]`,
			historyMarker + "\nUser: q\n\n" + currentMarker + "\nTool:calc: 42", ""},
		// No user message after the assistant's: the last user message is the turn and
		// nothing before it is quoted (the original's choice).
		{"assistant last", `[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]`, "q", ""},
		{"no user", `[{"role":"system","content":"s"},{"role":"robot","content":"x"},{"role":"user","content":"  "}]`, "", "s"},
		{"not an array", `"x"`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var msgs []json.RawMessage
			_ = json.Unmarshal([]byte(tc.messages), &msgs)
			p := chatPrompt(msgs)
			if p.message != tc.message || p.system != tc.system {
				t.Fatalf("got %q / %q, want %q / %q", p.message, p.system, tc.message, tc.system)
			}
		})
	}
}

func TestParseResponsesRequest(t *testing.T) {
	for _, tc := range []struct {
		name, body, message, system, err string
	}{
		{"string input", `{"model":"m","input":"hi"}`, "hi", "", ""},
		{"instructions first", `{"model":"m","input":[{"type":"message","role":"system","content":"s"},{"type":"message","role":"user","content":"u"}],"instructions":"i"}`, "u", "i\n\ns", ""},
		{"function output is current", `{"model":"m","input":[{"type":"message","role":"user","content":"q"},{"type":"function_call","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"r"}]}`,
			historyMarker + "\nUser: q\n\n" + currentMarker + "\nTool:c1: r", "", ""},
		{"easy input message", `{"model":"m","input":[{"role":"user","content":"hey"}]}`, "hey", "", ""},
		{"ignored fields", `{"model":"m","input":"x","temperature":0.2,"metadata":{"a":"b"},"tool_choice":"auto"}`, "x", "", ""},
		{"tools off", `{"model":"m","input":"x","tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none"}`, "x", "", ""},
		{"unknown key", `{"model":"m","input":"x","zzz":1,"aaa":2}`, "", "", "unrecognized key(s) in object: aaa, zzz"},
		{"no input", `{"model":"m"}`, "", "", "input: Required"},
		{"bad role", `{"model":"m","input":[{"type":"message","role":"bot","content":"x"}]}`, "", "", "input.0.role"},
		{"bad type", `{"model":"m","input":[{"type":"nope"}]}`, "", "", "input.0.type"},
		{"file part without a source type", `{"model":"m","input":[{"type":"message","role":"user","content":[{"type":"input_file","source":{}}]}]}`, "", "", "input_file part: source.type: Invalid discriminator value"},
		{"required without tools", `{"model":"m","input":"x","tool_choice":"required"}`, "", "", "tool_choice=required"},
		{"only system", `{"model":"m","input":[{"type":"message","role":"system","content":"s"}]}`, "", "", "Missing user message in `input`."},
		{"not an object", `[1]`, "", "", "JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p, err := parseResponsesRequest(json.RawMessage(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || p.message != tc.message || p.system != tc.system {
				t.Fatalf("got %q / %q %v, want %q / %q", p.message, p.system, err, tc.message, tc.system)
			}
		})
	}
}

func TestAgentAndSessionKey(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f-]{36}$`)
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		model  string
		user   string
		prefix string
		want   string // "<uuid>" stands for a fresh id
	}{
		{"default", nil, "gpt-4", "", "openai", "agent:main:openai:<uuid>"},
		{"user", nil, "", " Bob ", "openai", "agent:main:openai-user:bob"},
		{"model ref", nil, "clawdbot:Ops", "u", "openai", "agent:ops:openai-user:u"},
		{"model slash", nil, "clawdbot/ops", "u", "openresponses", "agent:ops:openresponses-user:u"},
		{"agent model", nil, "agent:beta", "u", "openai", "agent:beta:openai-user:u"},
		{"header wins", map[string]string{HeaderAgentID: "Work Bot!", HeaderAgent: "x"}, "agent:beta", "u", "openai", "agent:work-bot:openai-user:u"},
		{"short header", map[string]string{HeaderAgent: "x"}, "", "u", "openai", "agent:x:openai-user:u"},
		{"session header", map[string]string{HeaderSessionKey: "custom"}, "agent:beta", "u", "openai", "agent:main:custom"},
		{"full session header", map[string]string{HeaderSessionKey: "agent:ops:thread"}, "", "", "openai", "agent:ops:thread"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			for k, v := range tc.hdr {
				r.Header.Set(k, v)
			}
			got, err := sessionKey(r, agentID(r, tc.model), tc.user, tc.prefix)
			if err != nil {
				t.Fatal(err)
			}
			if prefix, ok := strings.CutSuffix(tc.want, "<uuid>"); ok {
				if rest, ok := strings.CutPrefix(got, prefix); !ok || !uuid.MatchString(rest) {
					t.Fatalf("got %q, want %s", got, tc.want)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer": "", "": "", "BEARER x y": "x y"} {
		if got := auth.BearerToken(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// refusingRunner refuses every run with err.
type refusingRunner struct{ err error }

func (f refusingRunner) Start(context.Context, agent.Request) (*agent.Run, bool, error) {
	return nil, false, f.err
}

// TestHandlerRefusals: the answers that come before any turn runs.
func TestHandlerRefusals(t *testing.T) {
	busy := &rpc.Error{Code: string(protocol.ErrorCodeUnavailable), Message: "session busy", RetryAfterMs: 1500}
	invalid := &rpc.Error{Code: string(protocol.ErrorCodeInvalidRequest), Message: "message too large"}
	good := `{"messages":[{"role":"user","content":"x"}]}`
	for _, tc := range []struct {
		name    string
		o       Options
		path    string
		auth    string
		body    string
		status  int
		errType string
		retry   string
	}{
		{"token mode without token", Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "t"}, ChatCompletions: true}, ChatCompletionsPath, "", good, 401, "unauthorized", ""},
		{"password mode takes the bearer", Options{Secrets: auth.Secrets{Mode: auth.ModePassword, Password: "pw"}, ChatCompletions: true, Runner: refusingRunner{busy}}, ChatCompletionsPath, "Bearer pw", good, 503, "unavailable", "2"},
		{"password mismatch", Options{Secrets: auth.Secrets{Mode: auth.ModePassword, Password: "pw"}, ChatCompletions: true}, ChatCompletionsPath, "Bearer pX", good, 401, "unauthorized", ""},
		{"chat cap", Options{ChatCompletions: true, ChatMaxBodyBytes: 16}, ChatCompletionsPath, "", good, 413, "request_too_large", ""},
		{"responses cap", Options{Responses: true, ResponsesMaxBodyBytes: 16}, ResponsesPath, "", `{"model":"m","input":"xxxxxxxx"}`, 413, "request_too_large", ""},
		{"no runtime", Options{ChatCompletions: true}, ChatCompletionsPath, "", good, 503, "unavailable", ""},
		{"runtime refuses the message", Options{Responses: true, Runner: refusingRunner{invalid}}, ResponsesPath, "", `{"model":"m","input":"x"}`, 400, "invalid_request_error", ""},
		{"empty body", Options{ChatCompletions: true}, ChatCompletionsPath, "", ``, 400, "invalid_request_error", ""},
		{"not JSON", Options{Responses: true}, ResponsesPath, "", `nope`, 400, "invalid_request_error", ""},
		{"duplicate key", Options{ChatCompletions: true}, ChatCompletionsPath, "", `{"messages":[{"role":"user","content":"a","content":"b"}]}`, 400, "invalid_request_error", ""},
		{"lone surrogate", Options{ChatCompletions: true}, ChatCompletionsPath, "", `{"messages":[{"role":"user","content":"\ud800"}]}`, 400, "invalid_request_error", ""},
		{"trailing garbage", Options{ChatCompletions: true}, ChatCompletionsPath, "", `{} {}`, 400, "invalid_request_error", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := New(tc.o)
			r := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body))
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := httptest.NewRecorder()
			if !h.Claims(r) {
				t.Fatal("not claimed")
			}
			h.ServeHTTP(w, r)
			var e apiError
			if w.Code != tc.status || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error.Type != tc.errType || w.Header().Get("Retry-After") != tc.retry {
				t.Fatalf("%d %s (Retry-After %q), want %d %s", w.Code, w.Body, w.Header().Get("Retry-After"), tc.status, tc.errType)
			}
		})
	}
	off := New(Options{})
	for _, p := range []string{ChatCompletionsPath, ResponsesPath, "/v1/models"} {
		if off.Claims(httptest.NewRequest(http.MethodPost, p, nil)) {
			t.Errorf("disabled handler claims %s", p)
		}
	}
}
