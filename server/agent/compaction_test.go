package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/sessions"
)

// budgetServer is an OpenAI-compatible streaming server on 127.0.0.1 that records every
// request and answers by script:
//   - a request whose system prompt is the summariser's → "SUMMARY-<n> of the early chat"
//   - the first `overflow` other requests → HTTP 400 context_length_exceeded
//   - with toolFirst, the first other request that has no tool result yet → a call of
//     tool "probe"
//   - otherwise → "done", with usage prompt_tokens = the request's characters / 4
type budgetServer struct {
	srv       *httptest.Server
	mu        sync.Mutex
	reqs      []budgetReq
	overflow  int
	toolFirst bool
	summaries int
	reasoning string // streamed as reasoning_content before a plain answer
	// flushWrite, when set, is what a memory flush request (its system prompt carries
	// the flush system prompt) writes with tool "write" to memory/2026-12-06.md before
	// it answers NO_REPLY.
	flushWrite string
}

type budgetReq struct {
	System  string
	Summary bool
	Texts   []string // every message's text, in order (system first)
	Chars   int
}

func (r budgetReq) joined() string { return strings.Join(r.Texts, "\n") }

func newBudgetServer(t *testing.T) *budgetServer {
	s := &budgetServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *budgetServer) requests() []budgetReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]budgetReq(nil), s.reqs...)
}

func (s *budgetServer) serve(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Messages []struct {
			Role       string          `json:"role"`
			Content    json.RawMessage `json:"content"`
			ToolCalls  json.RawMessage `json:"tool_calls"`
			ToolCallID string          `json:"tool_call_id"`
		} `json:"messages"`
	}
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		http.Error(w, "bad json", 400)
		return
	}
	var rec budgetReq
	hasToolResult := false
	for _, m := range body.Messages {
		text := ""
		var str string
		var parts []struct{ Text string }
		if json.Unmarshal(m.Content, &str) == nil {
			text = str
		} else if json.Unmarshal(m.Content, &parts) == nil {
			for _, p := range parts {
				text += p.Text
			}
		}
		text += string(m.ToolCalls)
		if m.Role == "system" {
			rec.System = text
		}
		if m.Role == "tool" {
			hasToolResult = true
		}
		rec.Texts = append(rec.Texts, text)
		rec.Chars += len(text)
	}
	rec.Summary = strings.HasPrefix(rec.System, summarizerSystemPrompt)
	flush := strings.Contains(rec.System, "Pre-compaction memory flush turn")
	s.mu.Lock()
	s.reqs = append(s.reqs, rec)
	overflow := !rec.Summary && s.overflow > 0
	if overflow {
		s.overflow--
	}
	n := 0
	if rec.Summary {
		s.summaries++
		n = s.summaries
	}
	toolCall := !rec.Summary && s.toolFirst && !hasToolResult
	flushCall := flush && s.flushWrite != "" && !hasToolResult
	flushWrite := s.flushWrite
	s.mu.Unlock()
	if overflow {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"error":{"message":"This model's maximum context length is 2000 tokens. However, your messages resulted in 2600 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}`)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		fl.Flush()
	}
	finish := "stop"
	switch {
	case rec.Summary:
		send(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": fmt.Sprintf("SUMMARY-%d of the early chat", n)}}}})
	case flushCall:
		args, _ := json.Marshal(map[string]string{"path": "memory/2026-12-06.md", "content": flushWrite})
		send(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"tool_calls": []any{map[string]any{
			"index": 0, "id": "call_flush", "type": "function", "function": map[string]any{"name": "write", "arguments": string(args)}}}}}}})
		finish = "tool_calls"
	case flush:
		send(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": SilentReplyToken}}}})
	case toolCall:
		send(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"tool_calls": []any{map[string]any{
			"index": 0, "id": "call_1", "type": "function", "function": map[string]any{"name": "probe", "arguments": `{"path":"notes.txt"}`}}}}}}})
		finish = "tool_calls"
	default:
		if s.reasoning != "" {
			send(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"reasoning_content": s.reasoning}}}})
		}
		send(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": "done"}}}})
	}
	send(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{}, "finish_reason": finish}}})
	send(map[string]any{"choices": []any{}, "usage": map[string]int{"prompt_tokens": rec.Chars / CharsPerToken, "completion_tokens": 5, "total_tokens": rec.Chars/CharsPerToken + 5}})
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

// seed stores n alternating user/assistant messages of size chars each, numbered.
func seed(t *testing.T, st *sessions.Store, key string, n, size int) {
	t.Helper()
	for i := range n {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		head := fmt.Sprintf("turn-%02d ", i)
		if _, _, err := st.Append(context.Background(), key, sessions.Message{Role: role, Text: head + strings.Repeat("x", size-len(head))}); err != nil {
			t.Fatal(err)
		}
	}
}

func compactingEnv(t *testing.T, s *budgetServer, window int, tweak func(*Engine)) *env {
	up := newUpstream(t) // unused by these runs; the env wants one
	return newEnv(t, envOpts{up: up, sender: newFakeSender(), tweak: func(o *Options) {
		eng := testEngine(t, s.srv.URL+"/v1")
		eng.Primary = "test/test-model"
		eng.Compaction = CompactionConfig{ContextWindow: func(ref string) int {
			if ref == "test/test-model" {
				return window
			}
			return 0
		}}
		if tweak != nil {
			tweak(eng)
		}
		o.Engine = eng
	}})
}

// TestCompactionBeforeOverflow: a transcript past its budget is summarised once by the
// same provider before the request; the real request carries the summary and the
// recent turns within the budget; the run succeeds; the compaction events reach a
// WebSocket client; chat.history shows the summary; the next run does not compact again.
func TestCompactionBeforeOverflow(t *testing.T) {
	s := newBudgetServer(t)
	const window = 2000
	e := compactingEnv(t, s, window, nil)
	key := "agent:main:main"
	seed(t, e.store, key, 12, 400) // ~1200 tokens; the budget is 2000 - 1000 reserved
	c := e.dial(3)
	ch := c.send("chat.send", map[string]any{"sessionKey": "main", "message": "final question", "idempotencyKey": "cmp-1"})
	if f := next(t, ch, "chat.send"); !f.OK {
		t.Fatalf("chat.send: %s", f.Raw)
	}
	agents, chats := c.runEvents("cmp-1", true)
	if last := chats[len(chats)-1]; last.State != "final" || last.text() != "done" {
		t.Fatalf("run ended %+v", last)
	}
	var phases []string
	for _, a := range agents {
		if a.Stream == "compaction" {
			phases = append(phases, fmt.Sprintf("%v/%v", a.Data["phase"], a.Data["willRetry"]))
		}
	}
	if strings.Join(phases, ",") != "start/<nil>,end/false" {
		t.Fatalf("compaction events %v", phases)
	}
	reqs := s.requests()
	if len(reqs) != 2 || !reqs[0].Summary || reqs[1].Summary {
		t.Fatalf("requests: %d (want one summarisation, then the run's)", len(reqs))
	}
	if !strings.Contains(reqs[0].joined(), "turn-00") {
		t.Fatalf("the summarisation request lacks the oldest turn: %q", reqs[0].joined())
	}
	run := reqs[1].joined()
	if !strings.Contains(run, "SUMMARY-1 of the early chat") || !strings.Contains(run, "turn-11") || !strings.Contains(run, "final question") {
		t.Fatalf("the run's request lacks the summary or the recent turns: %q", run)
	}
	if strings.Contains(run, "turn-00") {
		t.Fatal("the run's request still carries the oldest turn")
	}
	limit := Budget{ContextWindow: window, Reserve: window / 2}.Limit()
	if got := reqs[1].Chars / CharsPerToken; got > limit {
		t.Fatalf("the compacted request is ~%d tokens, over the %d budget", got, limit)
	}

	var hist struct {
		Messages []map[string]any `json:"messages"`
	}
	c.mustOK("chat.history", map[string]any{"sessionKey": "main"}, &hist)
	found := false
	for _, m := range hist.Messages {
		if m["role"] == "compactionSummary" && m["summary"] == "SUMMARY-1 of the early chat" {
			found = true
		}
	}
	if !found {
		t.Fatalf("chat.history has no compactionSummary: %v", hist.Messages)
	}

	// The next run fits: no second summarisation.
	ch = c.send("chat.send", map[string]any{"sessionKey": "main", "message": "and another", "idempotencyKey": "cmp-2"})
	next(t, ch, "chat.send")
	c.runEvents("cmp-2", true)
	reqs = s.requests()
	if len(reqs) != 3 || reqs[2].Summary || !strings.Contains(reqs[2].joined(), "SUMMARY-1") {
		t.Fatalf("second run: %d requests, last summary=%v", len(reqs), reqs[len(reqs)-1].Summary)
	}
}

// TestCompactionOnContextOverflow: a provider's context-overflow error is answered by
// one compaction and one retry; an overflow on the retry fails the run (no loop).
func TestCompactionOnContextOverflow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		overflow int
		status   string
		requests int // run requests (not summarisations)
	}{
		{"retry succeeds", 1, "final", 2},
		{"retry overflows too", 5, "error", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newBudgetServer(t)
			s.overflow = tc.overflow
			e := compactingEnv(t, s, 0, nil) // the default 200k window: the estimate fits
			seed(t, e.store, "agent:main:main", 6, 200)
			c := e.dial(3)
			ch := c.send("chat.send", map[string]any{"sessionKey": "main", "message": "go", "idempotencyKey": "ovf"})
			next(t, ch, "chat.send")
			agents, chats := c.runEvents("ovf", true)
			if last := chats[len(chats)-1]; last.State != tc.status {
				t.Fatalf("run ended %+v", last)
			}
			var phases []string
			for _, a := range agents {
				if a.Stream == "compaction" {
					phases = append(phases, fmt.Sprintf("%v/%v", a.Data["phase"], a.Data["willRetry"]))
				}
			}
			if strings.Join(phases, ",") != "start/<nil>,end/true" {
				t.Fatalf("compaction events %v", phases)
			}
			summaries, runs := 0, 0
			for _, r := range s.requests() {
				if r.Summary {
					summaries++
				} else {
					runs++
				}
			}
			if summaries != 1 || runs != tc.requests {
				t.Fatalf("summarisations %d, run requests %d", summaries, runs)
			}
			last := s.requests()[len(s.requests())-1]
			if !strings.Contains(last.joined(), "SUMMARY-1") || !strings.Contains(last.joined(), "go") || strings.Contains(last.joined(), "turn-00") {
				t.Fatalf("retry request: %q", last.joined())
			}
		})
	}
}

// TestVerboseToolNotesOnSurface: with verboseLevel on, a tool's summary reaches the chat
// surface before the reply; at full its output too; off, only the reply.
func TestVerboseToolNotesOnSurface(t *testing.T) {
	for _, tc := range []struct {
		level string
		want  []string // delivered texts, in order (prefixes)
	}{
		{"", []string{"done"}},
		{"on", []string{"🛠️ probe: notes.txt", "done"}},
		{"full", []string{"🛠️ probe: notes.txt\n```txt\nprobe output", "done"}},
	} {
		t.Run("verbose="+tc.level, func(t *testing.T) {
			s := newBudgetServer(t)
			s.toolFirst = true
			snd := newFakeSender()
			probe := &tools.Tool{Name: "probe", Description: "reads a note", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`),
				Execute: func(ctx context.Context, call tools.Call) (tools.Result, error) {
					return tools.Result{Content: []llm.Part{llm.TextPart("probe output")}}, nil
				}}
			e := newEnv(t, envOpts{sender: snd, tweak: func(o *Options) {
				eng := testEngine(t, s.srv.URL+"/v1")
				eng.Tools = func(ctx context.Context, run RunInfo) (*tools.Set, func(), error) {
					set, err := tools.NewSet(probe)
					return set, nil, err
				}
				o.Engine = eng
			}})
			c := e.dial(3)
			if tc.level != "" {
				c.mustOK("sessions.patch", map[string]any{"key": "main", "verboseLevel": tc.level}, nil)
			}
			ch := c.send("agent", map[string]any{"message": "look", "sessionKey": "main", "deliver": true, "channel": "telegram", "to": "42", "idempotencyKey": "v-" + tc.level})
			next(t, ch, "accepted")
			if f := next(t, ch, "final"); !f.OK {
				t.Fatalf("final: %s", f.Raw)
			}
			var got []string
			snd.mu.Lock()
			for _, m := range snd.sent {
				got = append(got, m.Out.Text)
			}
			snd.mu.Unlock()
			if len(got) != len(tc.want) {
				t.Fatalf("delivered %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Fatalf("delivered %q, want %q", got, tc.want)
				}
			}
		})
	}
}

var llmTime = time.Unix(1_700_000_000, 0)

// TestReasoningOnSurface: reasoningLevel on (or stream) sends the model's reasoning to
// the chat surface as the original's "Reasoning:" block before the reply; off keeps it
// hidden.
func TestReasoningOnSurface(t *testing.T) {
	for _, tc := range []struct {
		level string
		want  []string
	}{
		{"", []string{"done"}},
		{"off", []string{"done"}},
		{"on", []string{"Reasoning:\n_weighing the options_", "done"}},
		{"stream", []string{"Reasoning:\n_weighing the options_", "done"}},
	} {
		t.Run("reasoning="+tc.level, func(t *testing.T) {
			s := newBudgetServer(t)
			s.reasoning = "weighing the options"
			snd := newFakeSender()
			e := newEnv(t, envOpts{sender: snd, tweak: func(o *Options) { o.Engine = testEngine(t, s.srv.URL+"/v1") }})
			c := e.dial(3)
			if tc.level != "" {
				c.mustOK("sessions.patch", map[string]any{"key": "main", "reasoningLevel": tc.level}, nil)
			}
			ch := c.send("agent", map[string]any{"message": "think", "sessionKey": "main", "deliver": true, "channel": "telegram", "to": "42", "idempotencyKey": "r-" + tc.level})
			next(t, ch, "accepted")
			if f := next(t, ch, "final"); !f.OK {
				t.Fatalf("final: %s", f.Raw)
			}
			var got []string
			snd.mu.Lock()
			for _, m := range snd.sent {
				got = append(got, m.Out.Text)
			}
			snd.mu.Unlock()
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("delivered %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCompactCommandSummarises: /compact <instructions> from chat.send summarises the
// older turns through the session's model with the instructions as focus, and the next
// run's request starts from the summary.
func TestCompactCommandSummarises(t *testing.T) {
	s := newBudgetServer(t)
	e := compactingEnv(t, s, 0, nil)
	seed(t, e.store, "agent:main:main", 6, 200)
	c := e.dial(3)
	ch := c.send("chat.send", map[string]any{"sessionKey": "main", "message": "/compact focus on decisions", "idempotencyKey": "cc-1"})
	next(t, ch, "chat.send")
	_, chats := c.runEvents("cc-1", true)
	if last := chats[len(chats)-1]; last.State != "final" || !strings.HasPrefix(last.text(), "⚙️ Compacted (") {
		t.Fatalf("/compact answered %+v", last)
	}
	reqs := s.requests()
	if len(reqs) != 1 || !reqs[0].Summary || !strings.Contains(reqs[0].joined(), "Additional focus:\nfocus on decisions") || strings.Contains(reqs[0].joined(), "turn-05") {
		t.Fatalf("summarisation requests: %+v", reqs)
	}
	ch = c.send("chat.send", map[string]any{"sessionKey": "main", "message": "/status", "idempotencyKey": "cc-st"})
	next(t, ch, "chat.send")
	if _, chats := c.runEvents("cc-st", true); !strings.Contains(chats[len(chats)-1].text(), "🧹 Compactions: 1") {
		t.Fatalf("/status after /compact: %q", chats[len(chats)-1].text())
	}
	ch = c.send("chat.send", map[string]any{"sessionKey": "main", "message": "next", "idempotencyKey": "cc-2"})
	next(t, ch, "chat.send")
	c.runEvents("cc-2", true)
	reqs = s.requests()
	run := reqs[len(reqs)-1].joined()
	if len(reqs) != 2 || !strings.Contains(run, "SUMMARY-1") || strings.Contains(run, "turn-00") || !strings.Contains(run, "turn-04") {
		t.Fatalf("run after /compact: %q", run)
	}
}

// TestCompactionChunksFitTheWindow: a history too long for one summarisation request is
// summarised in chunks, each request within the window, each carrying the summary so far.
func TestCompactionChunksFitTheWindow(t *testing.T) {
	s := newBudgetServer(t)
	const window = 2000
	e := compactingEnv(t, s, window, nil)
	seed(t, e.store, "agent:main:main", 30, 400) // ~3000 tokens
	c := e.dial(3)
	ch := c.send("chat.send", map[string]any{"sessionKey": "main", "message": "go on", "idempotencyKey": "ch-1"})
	next(t, ch, "chat.send")
	if _, chats := c.runEvents("ch-1", true); chats[len(chats)-1].State != "final" {
		t.Fatalf("run ended %+v", chats[len(chats)-1])
	}
	reqs := s.requests()
	var sums []budgetReq
	for _, r := range reqs {
		if r.Summary {
			sums = append(sums, r)
		}
	}
	if len(sums) < 2 || len(reqs) != len(sums)+1 {
		t.Fatalf("%d summarisation requests of %d (want several, then one run request)", len(sums), len(reqs))
	}
	for i, r := range sums {
		// The request plus its reply bound (half the capped reserve) fits the window.
		if got := r.Chars/CharsPerToken + window/4; got > window {
			t.Fatalf("summarisation %d is ~%d tokens with its reply, over the %d window", i, got, window)
		}
		if i > 0 && !strings.Contains(r.joined(), fmt.Sprintf("<previous-summary>\nSUMMARY-%d", i)) {
			t.Fatalf("summarisation %d does not carry summary %d: %q", i, i, r.joined())
		}
	}
	if run := reqs[len(reqs)-1]; !strings.Contains(run.joined(), fmt.Sprintf("SUMMARY-%d", len(sums))) || run.Chars/CharsPerToken > window/2 {
		t.Fatalf("run request: %d chars, %q", run.Chars, run.joined())
	}
}

// TestLongHistoryWithinBudgetIsSentWhole: a model provider's run is bounded by its
// token budget, not by a message count: 120 short messages all reach the model.
func TestLongHistoryWithinBudgetIsSentWhole(t *testing.T) {
	s := newBudgetServer(t)
	e := compactingEnv(t, s, 0, nil)
	seed(t, e.store, "agent:main:main", 120, 30)
	c := e.dial(3)
	ch := c.send("chat.send", map[string]any{"sessionKey": "main", "message": "recap", "idempotencyKey": "long-1"})
	next(t, ch, "chat.send")
	c.runEvents("long-1", true)
	reqs := s.requests()
	if len(reqs) != 1 || reqs[0].Summary {
		t.Fatalf("%d requests", len(reqs))
	}
	if got := len(reqs[0].Texts); got != 1+120+1 || !strings.Contains(reqs[0].joined(), "turn-00 ") {
		t.Fatalf("request has %d messages (want system + 120 + prompt)", got)
	}
}

func TestEstimateAndBudget(t *testing.T) {
	msgs := []llm.Message{
		llm.UserText(strings.Repeat("a", 400), llmTime),
		{Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart(strings.Repeat("b", 40))}, Usage: llm.Usage{Input: 900, Output: 10}},
		llm.UserText(strings.Repeat("c", 80), llmTime),
	}
	// The provider's report (900 in + 10 out) stands for everything up to its message;
	// only the message after it is estimated (80 chars = 20 tokens).
	if got := estimateRequest("sys", nil, msgs); got != 930 {
		t.Fatalf("calibrated estimate %d, want 930", got)
	}
	if got := estimateRequest(strings.Repeat("s", 40), nil, msgs[:1]); got != 110 {
		t.Fatalf("plain estimate %d, want 110", got)
	}
	for _, tc := range []struct {
		cc                  CompactionConfig
		ref                 string
		window, limit, keep int
	}{
		{CompactionConfig{}, "x/y", DefaultContextTokens, DefaultContextTokens - DefaultReserveTokensFloor, DefaultKeepRecentTokens},
		{CompactionConfig{DefaultContextTokens: 64000}, "x/y", 64000, 64000 - DefaultReserveTokensFloor, 16000},
		{CompactionConfig{ContextWindow: func(string) int { return 8000 }}, "x/y", 8000, 4000, 2000},
		{CompactionConfig{ReserveTokens: ReserveWithFloor(new(0))}, "x/y", DefaultContextTokens, DefaultContextTokens - DefaultReserveTokens, DefaultKeepRecentTokens},
	} {
		b := tc.cc.budget(tc.ref)
		if b.ContextWindow != tc.window || b.Limit() != tc.limit || b.KeepRecent != tc.keep {
			t.Fatalf("%+v: budget %+v (limit %d)", tc.cc, b, b.Limit())
		}
	}
}

func TestIsContextOverflow(t *testing.T) {
	for msg, want := range map[string]bool{
		"test/m: status 400: This model's maximum context length is 8192 tokens":      true,
		"anthropic/x: status 400: prompt is too long: 210000 tokens > 200000 maximum": true,
		"status 413: request too large":                                               true,
		"status 500: model exploded":                                                  false,
		"context window too small: minimum is 16000 tokens":                           false,
		"status 429: rate limit exceeded":                                             false,
		"input length and max_tokens exceed context limit: 190000 + 32000 > 200000":   true,
	} {
		if got := isContextOverflow(fmt.Errorf("%s", msg)); got != want {
			t.Errorf("%q: %v, want %v", msg, got, want)
		}
	}
}
