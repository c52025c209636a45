package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseRef(t *testing.T) {
	cases := []struct {
		in   string
		want Ref
		err  bool
	}{
		{"openai/gpt-5.2", Ref{"openai", "gpt-5.2"}, false},
		{"claude-opus-4-5", Ref{"anthropic", "claude-opus-4-5"}, false},
		{"openrouter/anthropic/claude-sonnet-4", Ref{"openrouter", "anthropic/claude-sonnet-4"}, false},
		{" Z.AI/glm-4.7 ", Ref{"zai", "glm-4.7"}, false},
		{"", Ref{}, true},
		{"ollama/", Ref{}, true},
		{"/model", Ref{}, true},
	}
	for _, c := range cases {
		got, err := ParseRef(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v err=%v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestNewRegistryRejectsBadConfig(t *testing.T) {
	cases := map[string]map[string]ProviderConfig{
		"no base url":   {"local": {}},
		"bad api":       {"local": {BaseURL: "http://x", API: "google-generative-ai"}},
		"model no id":   {"local": {BaseURL: "http://x", Models: []ModelConfig{{}}}},
		"aws auth mode": {"bedrock": {BaseURL: "http://x", Auth: "aws-sdk"}},
	}
	for name, prov := range cases {
		if _, err := NewRegistry(RegistryOptions{Providers: prov}); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}

// fakeProfiles is an auth profile store: profile → key, all of one provider.
type fakeProfiles struct {
	keys     map[string]string
	order    []string
	cooling  map[string]bool
	failures []string
	used     []string
}

func newFakeProfiles(keys map[string]string, order ...string) *fakeProfiles {
	return &fakeProfiles{keys: keys, order: order, cooling: map[string]bool{}}
}

func (f *fakeProfiles) Order(_ context.Context, provider, preferred string) []string {
	var out []string
	for _, id := range f.order {
		if strings.HasPrefix(id, provider+":") {
			out = append(out, id)
		}
	}
	if preferred != "" {
		for i, id := range out {
			if id == preferred {
				out = append(append([]string{id}, out[:i]...), out[i+1:]...)
			}
		}
	}
	return out
}

func (f *fakeProfiles) Credential(_ context.Context, _, id string) (string, bool) {
	k, ok := f.keys[id]
	return k, ok
}

func (f *fakeProfiles) InCooldown(_ context.Context, id string) bool { return f.cooling[id] }

func (f *fakeProfiles) MarkFailure(_ context.Context, id string, reason FailoverReason) {
	f.failures = append(f.failures, id+"="+string(reason))
	f.cooling[id] = true
}

func (f *fakeProfiles) MarkUsed(_ context.Context, _, id string) { f.used = append(f.used, id) }

// Key order as the original: auth profile, then the provider's environment variable,
// then the literal key from models.providers.
func TestRegistryKeyResolutionOrder(t *testing.T) {
	s := newScripted(t,
		sseScript(chunk(map[string]any{"content": "1"}, "stop"), "[DONE]"),
		sseScript(chunk(map[string]any{"content": "2"}, "stop"), "[DONE]"),
		sseScript(chunk(map[string]any{"content": "3"}, "stop"), "[DONE]"),
	)
	env := map[string]string{"OPENAI_API_KEY": "from-env"}
	profiles := newFakeProfiles(map[string]string{"openai:work": "from-profile"}, "openai:work")
	mk := func(prof AuthProfiles, profileID string) *Model {
		r, err := NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{
			"openai": {BaseURL: s.srv.URL + "/v1", APIKey: "from-config", AuthProfile: profileID},
		}, Profiles: prof, Getenv: func(k string) string { return env[k] }})
		if err != nil {
			t.Fatal(err)
		}
		m, err := r.Resolve("openai/gpt-x")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	req := &Request{Messages: []Message{UserText("x", testNow())}}
	for _, m := range []*Model{mk(profiles, "openai:work"), mk(nil, ""), nil} {
		if m == nil {
			delete(env, "OPENAI_API_KEY")
			m = mk(nil, "")
		}
		if _, err := m.Stream(context.Background(), req, nil); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, r := range s.requests() {
		got = append(got, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}
	if strings.Join(got, ",") != "from-profile,from-env,from-config" {
		t.Fatalf("keys used: %v", got)
	}

	// A named profile that does not exist is an auth error, not a silent fallback to env.
	_, err := mk(newFakeProfiles(nil), "missing").Stream(context.Background(), req, nil)
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Reason != ReasonAuth {
		t.Fatalf("missing profile: %v", err)
	}
}

func TestRegistryResolve(t *testing.T) {
	r, err := NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{
		"ollama": {BaseURL: "http://127.0.0.1:11434/v1", Models: []ModelConfig{{ID: "llava", Input: []string{"text", "image"}, MaxTokens: 2048}}},
		"proxy":  {BaseURL: "http://127.0.0.1:9/", API: APIAnthropicMessages},
	}, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Resolve("ollama/llava")
	if err != nil || !m.AcceptsImages() || m.spec.MaxTokens != 2048 || m.API() != APIOpenAICompletions {
		t.Fatalf("llava %+v %v", m, err)
	}
	m, err = r.Resolve("ollama/qwen3:8b")
	if err != nil || m.AcceptsImages() {
		t.Fatalf("unlisted model %+v %v", m, err)
	}
	if m, err = r.Resolve("proxy/claude"); err != nil || m.API() != APIAnthropicMessages {
		t.Fatalf("proxy %v", err)
	}
	if _, err := r.Resolve("nope/x"); err == nil {
		t.Fatal("unknown provider resolved")
	}
	// A built-in provider without any key fails as an auth error (so a chain moves on).
	m, err = r.Resolve("anthropic/claude-opus-4-5")
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Stream(context.Background(), &Request{}, nil)
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Reason != ReasonAuth || !strings.Contains(pe.Message, "no API key") {
		t.Fatalf("builtin without key: %v", err)
	}
}

func TestRegistryCostFromModelPrices(t *testing.T) {
	s := newScripted(t, sseScript(chunk(map[string]any{"content": "x"}, "stop"), usageChunk(1_000_000, 500_000, 0), "[DONE]"))
	r, _ := NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{"p": {BaseURL: s.srv.URL,
		Models: []ModelConfig{{ID: "m", Cost: ModelCost{Input: 3, Output: 15}}}}}})
	m, _ := r.Resolve("p/m")
	resp, err := m.Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.Message.Usage.Cost; c.Input != 3 || c.Output != 7.5 || c.Total != 10.5 {
		t.Fatalf("cost %+v", c)
	}
}

// The primary fails with a provider error; the fallback answers, and the failed attempt is
// recorded with its reason and status.
func TestFallbackOnProviderErrorRecordsReason(t *testing.T) {
	primary := newScripted(t, statusScript(429, `{"error":{"message":"quota"}}`))
	second := newScripted(t, sseScript(chunk(map[string]any{"content": "from second"}, "stop"), "[DONE]"))
	r, _ := NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{
		"a": {BaseURL: primary.srv.URL}, "b": {BaseURL: second.srv.URL},
	}})
	chain, err := r.Chain("a/m1", []string{"b/m2", "a/m1"})
	if err != nil || len(chain.Candidates) != 2 {
		t.Fatalf("chain %v %v", chain, err)
	}
	resp, err := chain.Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Text() != "from second" || resp.Message.Provider != "b" || resp.Message.Model != "m2" {
		t.Fatalf("answer %+v", resp.Message)
	}
	if len(resp.Attempts) != 1 || resp.Attempts[0].Reason != ReasonRateLimit || resp.Attempts[0].Status != 429 || resp.Attempts[0].Provider != "a" {
		t.Fatalf("attempts %+v", resp.Attempts)
	}
}

func TestFallbackAllFail(t *testing.T) {
	a := newScripted(t, statusScript(500, `{"error":{"message":"down"}}`))
	b := newScripted(t, statusScript(401, `{"error":{"message":"bad key"}}`))
	r, _ := NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{"a": {BaseURL: a.srv.URL}, "b": {BaseURL: b.srv.URL}}})
	chain, _ := r.Chain("a/x", []string{"b/y"})
	_, err := chain.Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, nil)
	var fe *FallbackError
	if !errors.As(err, &fe) || len(fe.Attempts) != 2 || fe.Attempts[1].Reason != ReasonAuth {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(err.Error(), "down") || !strings.Contains(err.Error(), "bad key") {
		t.Fatalf("message %q", err)
	}
}

// An abort is not a provider failure: the chain stops and the fallback is never called.
func TestFallbackNotOnAbort(t *testing.T) {
	started := make(chan struct{})
	primary := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, chunk(map[string]any{"content": "..."}, ""))
		close(started)
		<-r.Context().Done()
	})
	second := newScripted(t, sseScript(chunk(map[string]any{"content": "no"}, "stop"), "[DONE]"))
	r, _ := NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{"a": {BaseURL: primary.srv.URL}, "b": {BaseURL: second.srv.URL}}})
	chain, _ := r.Chain("a/x", []string{"b/y"})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := chain.Stream(ctx, &Request{Messages: []Message{UserText("x", testNow())}}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if n := len(second.requests()); n != 0 {
		t.Fatalf("fallback called %d times after abort", n)
	}
}

// A primary that streams some text and then dies: the consumer is told to reset, and
// only the fallback's text remains.
func TestFallbackAfterPartialOutputResets(t *testing.T) {
	primary := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, chunk(map[string]any{"content": "half an ans"}, ""), map[string]any{"error": map[string]any{"message": "connection lost"}})
	})
	second := newScripted(t, sseScript(chunk(map[string]any{"content": "whole answer"}, "stop"), "[DONE]"))
	r, _ := NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{"a": {BaseURL: primary.srv.URL}, "b": {BaseURL: second.srv.URL}}})
	chain, _ := r.Chain("a/x", []string{"b/y"})
	var ev events
	resp, err := chain.Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, ev.on)
	if err != nil {
		t.Fatal(err)
	}
	if ev.kinds(EventReset) != 1 || ev.text() != "whole answer" || resp.Message.Text() != "whole answer" {
		t.Fatalf("events %+v", ev.evs)
	}
}

// A hung provider is cut off by the per-attempt timeout and counted as a timeout.
func TestFallbackAttemptTimeout(t *testing.T) {
	primary := newScripted(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	second := newScripted(t, sseScript(chunk(map[string]any{"content": "ok"}, "stop"), "[DONE]"))
	r, _ := NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{"a": {BaseURL: primary.srv.URL}, "b": {BaseURL: second.srv.URL}}})
	chain, _ := r.Chain("a/x", []string{"b/y"})
	chain.AttemptTimeout = 200 * time.Millisecond
	resp, err := chain.Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Attempts) != 1 || resp.Attempts[0].Reason != ReasonTimeout {
		t.Fatalf("attempts %+v", resp.Attempts)
	}
}

func TestMessageJSONMatchesOriginalShapes(t *testing.T) {
	in := `[{"role":"user","content":"hello","timestamp":1},
{"role":"assistant","content":[{"type":"thinking","thinking":"hm","thinkingSignature":"s"},{"type":"text","text":"ok"},{"type":"toolCall","id":"t1","name":"read","arguments":{"path":"a"}}],"api":"anthropic-messages","provider":"anthropic","model":"claude","usage":{"input":1,"output":2,"cacheRead":0,"cacheWrite":0,"totalTokens":3,"cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":0}},"stopReason":"toolUse","timestamp":2},
{"role":"toolResult","toolCallId":"t1","toolName":"read","content":[{"type":"text","text":"A"},{"type":"image","data":"AAAA","mimeType":"image/png"}],"details":{"x":1},"isError":false,"timestamp":3}]`
	var msgs []Message
	if err := json.Unmarshal([]byte(in), &msgs); err != nil {
		t.Fatal(err)
	}
	if msgs[0].Text() != "hello" || msgs[1].ToolCalls()[0].Name != "read" || msgs[2].Content[1].MimeType != "image/png" {
		t.Fatalf("decoded %+v", msgs)
	}
	out, err := json.Marshal(msgs)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.ReplaceAll(in, "\n", ""), `"content":"hello"`, `"content":[{"type":"text","text":"hello"}]`, 1)
	if string(out) != want {
		t.Fatalf("round trip\n got %s\nwant %s", out, want)
	}
	// A tool result without details omits the key; isError is always present.
	b, _ := json.Marshal(Message{Role: RoleToolResult, ToolCallID: "x", ToolName: "exec", Content: []Part{TextPart("e")}, IsError: true})
	if string(b) != `{"role":"toolResult","toolCallId":"x","toolName":"exec","content":[{"type":"text","text":"e"}],"isError":true,"timestamp":0}` {
		t.Fatalf("tool result %s", b)
	}
	// Broken tool arguments are stored as an empty object.
	b, _ = json.Marshal(Part{Type: PartToolCall, ID: "i", Name: "n", Arguments: json.RawMessage(`{"a":`)})
	if string(b) != `{"type":"toolCall","id":"i","name":"n","arguments":{}}` {
		t.Fatalf("broken args %s", b)
	}
	e := NewTranscriptEntry("a1b2c3d4", "", msgs[0])
	b, _ = json.Marshal(e)
	if !strings.HasPrefix(string(b), `{"type":"message","id":"a1b2c3d4","parentId":null,"timestamp":"1970-01-01T00:00:00.001Z","message":{"role":"user"`) {
		t.Fatalf("entry %s", b)
	}
}

func TestRepairToolPairing(t *testing.T) {
	call := func(id string) Part {
		return Part{Type: PartToolCall, ID: id, Name: "read", Arguments: json.RawMessage(`{}`)}
	}
	res := func(id string) Message {
		return Message{Role: RoleToolResult, ToolCallID: id, ToolName: "read", Content: []Part{TextPart(id)}}
	}
	user := UserText("u", time.Time{})
	in := []Message{
		res("orphan"),
		{Role: RoleAssistant, Content: []Part{call("a"), call("b")}, StopReason: StopToolUse},
		user,     // displaced between call and results
		res("b"), // out of order
		res("a"),
		res("a"), // duplicate
		{Role: RoleAssistant, StopReason: StopError}, // empty failed step
		{Role: RoleAssistant, Content: []Part{call("c")}, StopReason: StopAborted},
	}
	out := RepairToolPairing(in)
	var sig []string
	for _, m := range out {
		switch m.Role {
		case RoleToolResult:
			sig = append(sig, "r:"+m.ToolCallID+":"+m.Content[0].Text)
		case RoleAssistant:
			sig = append(sig, "A")
		default:
			sig = append(sig, "U")
		}
	}
	want := "A,r:a:a,r:b:b,U,A,r:c:" + MissingToolResultText
	if strings.Join(sig, ",") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(sig, ","), want)
	}
	if len(in) != 8 || in[0].ToolCallID != "orphan" {
		t.Fatal("input modified")
	}
}

// TestToolPairingIntact: for every short history over a few calls, results, user
// messages and failed steps, the fast path is taken only when the repair would change
// nothing, and then returns the same messages; it is conservative only about repeated
// call ids (which a provider never sends in one history).
func TestToolPairingIntact(t *testing.T) {
	call := func(id string) Part { return Part{Type: PartToolCall, ID: id, Name: "read"} }
	atoms := []Message{
		UserText("u", time.Time{}),
		{Role: RoleAssistant, Content: []Part{TextPart("t")}, StopReason: StopEnd},
		{Role: RoleAssistant, Content: []Part{call("a")}, StopReason: StopToolUse},
		{Role: RoleAssistant, Content: []Part{call("b"), TextPart("x"), call("c")}, StopReason: StopToolUse},
		{Role: RoleAssistant, Content: []Part{call("a"), call("a")}, StopReason: StopToolUse},
		{Role: RoleAssistant, StopReason: StopError},
		{Role: RoleToolResult, ToolCallID: "a", Content: []Part{TextPart("ra")}},
		{Role: RoleToolResult, ToolCallID: "b", Content: []Part{TextPart("rb")}},
		{Role: RoleToolResult, ToolCallID: "c", Content: []Part{TextPart("rc")}},
	}
	// Every sequence of up to 5 atoms: 9^5 histories.
	var walk func(prefix []Message)
	checked, intact := 0, 0
	walk = func(prefix []Message) {
		full := repairFull(prefix)
		same := reflect.DeepEqual(full, prefix) || (len(full) == 0 && len(prefix) == 0)
		got := toolPairingIntact(prefix)
		if got && !same || !got && same && !repeatsID(prefix) {
			t.Fatalf("intact=%v, repair changes=%v for %+v", got, !same, prefix)
		}
		if got {
			intact++
			if got := RepairToolPairing(prefix); !reflect.DeepEqual(got, full) && len(prefix) > 0 {
				t.Fatalf("fast path %+v, repair %+v", got, full)
			}
		}
		checked++
		if len(prefix) == 5 {
			return
		}
		for _, a := range atoms {
			walk(append(prefix[:len(prefix):len(prefix)], a))
		}
	}
	walk(nil)
	if intact == 0 || intact == checked {
		t.Fatalf("%d of %d intact", intact, checked)
	}
	// An append to what the fast path returns never writes into the caller's array.
	in := make([]Message, 1, 4)
	in[0] = atoms[0]
	out := RepairToolPairing(in)
	_ = append(out, atoms[1])
	if in[:2][1].Role != "" {
		t.Fatal("append wrote into the input")
	}
	// Past maxIntactCalls the repairing path runs (and still changes nothing).
	var long []Message
	for i := range maxIntactCalls + 1 {
		id := fmt.Sprintf("c%d", i)
		long = append(long, Message{Role: RoleAssistant, Content: []Part{call(id)}, StopReason: StopToolUse},
			Message{Role: RoleToolResult, ToolCallID: id})
	}
	if toolPairingIntact(long) || !reflect.DeepEqual(RepairToolPairing(long), long) {
		t.Fatal("long history")
	}
}

func repeatsID(msgs []Message) bool {
	seen := map[string]bool{}
	for _, m := range msgs {
		for _, c := range m.ToolCalls() {
			if seen[c.ID] {
				return true
			}
			seen[c.ID] = true
		}
	}
	return false
}

// repairFull is RepairToolPairing without its fast path.
func repairFull(msgs []Message) []Message {
	// A trailing lone result makes toolPairingIntact false without changing what the
	// repair does with the rest (it drops the result).
	probe := append(msgs[:len(msgs):len(msgs)], Message{Role: RoleToolResult, ToolCallID: "zz-probe"})
	out := RepairToolPairing(probe)
	return out
}

// TestAuthProfileRotation: a profile refused with 429 (or 401, 402) is marked failed
// and the step is retried with the provider's next profile; a profile cooling down is
// skipped; a format error (400) does not rotate; every profile cooling down is a rate
// limit (so a fallback chain moves on); the steps of one run keep to the profile that
// answered, recorded as used once per run.
func TestAuthProfileRotation(t *testing.T) {
	ok := sseScript(chunk(map[string]any{"content": "hi"}, "stop"), "[DONE]")
	for _, tc := range []struct {
		name       string
		scripts    []func(http.ResponseWriter, *http.Request)
		cooling    []string
		wantKeys   string
		wantFail   string
		wantUsed   string
		wantReason FailoverReason
	}{
		{name: "429 rotates", scripts: []func(http.ResponseWriter, *http.Request){statusScript(429, `{"error":{"message":"slow"}}`), ok},
			wantKeys: "k-a,k-b", wantFail: "openai:a=rate_limit", wantUsed: "openai:b"},
		{name: "401 rotates", scripts: []func(http.ResponseWriter, *http.Request){statusScript(401, `{}`), ok},
			wantKeys: "k-a,k-b", wantFail: "openai:a=auth", wantUsed: "openai:b"},
		{name: "402 rotates", scripts: []func(http.ResponseWriter, *http.Request){statusScript(402, `{}`), ok},
			wantKeys: "k-a,k-b", wantFail: "openai:a=billing", wantUsed: "openai:b"},
		{name: "400 does not", scripts: []func(http.ResponseWriter, *http.Request){statusScript(400, `{}`)},
			wantKeys: "k-a", wantReason: ReasonFormat},
		{name: "cooling skipped", scripts: []func(http.ResponseWriter, *http.Request){ok}, cooling: []string{"openai:a"},
			wantKeys: "k-b", wantUsed: "openai:b"},
		{name: "all cooling", cooling: []string{"openai:a", "openai:b"}, wantReason: ReasonRateLimit},
		{name: "all fail", scripts: []func(http.ResponseWriter, *http.Request){statusScript(429, `{}`), statusScript(429, `{}`)},
			wantKeys: "k-a,k-b", wantFail: "openai:a=rate_limit,openai:b=rate_limit", wantReason: ReasonRateLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScripted(t, tc.scripts...)
			prof := newFakeProfiles(map[string]string{"openai:a": "k-a", "openai:b": "k-b"}, "openai:a", "openai:b")
			for _, id := range tc.cooling {
				prof.cooling[id] = true
			}
			r, err := NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{"openai": {BaseURL: s.srv.URL + "/v1"}},
				Profiles: prof, Getenv: func(string) string { return "" }})
			if err != nil {
				t.Fatal(err)
			}
			m, err := r.Resolve("openai/gpt-x")
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Stream(context.Background(), &Request{Messages: []Message{UserText("x", testNow())}}, nil)
			var pe *ProviderError
			switch {
			case tc.wantReason == "" && err != nil:
				t.Fatalf("stream: %v", err)
			case tc.wantReason != "" && (!errors.As(err, &pe) || pe.Reason != tc.wantReason):
				t.Fatalf("error %v, want reason %s", err, tc.wantReason)
			}
			var keys []string
			for _, rq := range s.requests() {
				keys = append(keys, strings.TrimPrefix(rq.Header.Get("Authorization"), "Bearer "))
			}
			if got := strings.Join(keys, ","); got != tc.wantKeys {
				t.Errorf("keys %q, want %q", got, tc.wantKeys)
			}
			if got := strings.Join(prof.failures, ","); got != tc.wantFail {
				t.Errorf("failures %q, want %q", got, tc.wantFail)
			}
			if got := strings.Join(prof.used, ","); got != tc.wantUsed {
				t.Errorf("used %q, want %q", got, tc.wantUsed)
			}
		})
	}

	t.Run("run keeps its profile", func(t *testing.T) {
		s := newScripted(t, ok, ok, ok)
		prof := newFakeProfiles(map[string]string{"openai:a": "k-a", "openai:b": "k-b"}, "openai:a", "openai:b")
		r, _ := NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{"openai": {BaseURL: s.srv.URL + "/v1"}},
			Profiles: prof, Getenv: func(string) string { return "" }})
		m, _ := r.Resolve("openai/gpt-x")
		ctx := WithRunAuth(context.Background(), "main")
		if RunAgentID(ctx) != "main" {
			t.Fatal("agent id lost")
		}
		req := &Request{Messages: []Message{UserText("x", testNow())}}
		for range 2 {
			if _, err := m.Stream(ctx, req, nil); err != nil {
				t.Fatal(err)
			}
		}
		// The store now prefers b (a was used last); the run still keeps to a.
		prof.order = []string{"openai:b", "openai:a"}
		if _, err := m.Stream(ctx, req, nil); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, rq := range s.requests() {
			keys = append(keys, strings.TrimPrefix(rq.Header.Get("Authorization"), "Bearer "))
		}
		if strings.Join(keys, ",") != "k-a,k-a,k-a" || strings.Join(prof.used, ",") != "openai:a" {
			t.Fatalf("keys %v used %v", keys, prof.used)
		}
	})
}

// A model's own api, input and maxTokens override its provider's defaults.
func TestRegistryModelOverrides(t *testing.T) {
	r, err := NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{
		"mixed": {BaseURL: "http://127.0.0.1:9/v1", Models: []ModelConfig{
			{ID: "claude", API: APIAnthropicMessages, Input: []string{"text", "image"}, MaxTokens: 4096},
			{ID: "bad", Compat: OpenAICompat{MaxTokensField: "max_output"}},
		}},
	}, Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "maxTokensField") {
		t.Fatalf("bad maxTokensField accepted: %v", err)
	}
	r, err = NewRegistry(RegistryOptions{Providers: map[string]ProviderConfig{
		"mixed": {BaseURL: "http://127.0.0.1:9/v1", Models: []ModelConfig{{ID: "claude", API: APIAnthropicMessages, Input: []string{"text", "image"}, MaxTokens: 4096}}},
	}, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Resolve("mixed/claude")
	if err != nil || m.API() != APIAnthropicMessages || !m.AcceptsImages() || m.spec.MaxTokens != 4096 {
		t.Fatalf("claude %+v %v", m, err)
	}
	if m, _ := r.Resolve("mixed/other"); m.API() != APIOpenAICompletions || m.AcceptsImages() {
		t.Fatalf("unlisted model %+v", m)
	}
}
