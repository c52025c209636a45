package loop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/redact"
)

// scriptModel answers step i with script[i]; it records every request's messages.
type scriptModel struct {
	mu     sync.Mutex
	script []func(ctx context.Context, req *llm.Request, on func(llm.Event)) (*llm.Response, error)
	reqs   [][]llm.Message
}

func (s *scriptModel) Stream(ctx context.Context, req *llm.Request, on func(llm.Event)) (*llm.Response, error) {
	s.mu.Lock()
	i := len(s.reqs)
	s.reqs = append(s.reqs, append([]llm.Message(nil), req.Messages...))
	var f func(context.Context, *llm.Request, func(llm.Event)) (*llm.Response, error)
	if i < len(s.script) {
		f = s.script[i]
	} else if len(s.script) > 0 {
		f = s.script[len(s.script)-1]
	}
	s.mu.Unlock()
	if f == nil {
		return nil, errors.New("no script")
	}
	return f(ctx, req, on)
}

func call(id, name, args string) llm.Part {
	return llm.Part{Type: llm.PartToolCall, ID: id, Name: name, Arguments: json.RawMessage(args)}
}

// reply streams text and returns an assistant message with it and calls.
func reply(text string, calls ...llm.Part) func(context.Context, *llm.Request, func(llm.Event)) (*llm.Response, error) {
	return func(ctx context.Context, req *llm.Request, on func(llm.Event)) (*llm.Response, error) {
		var content []llm.Part
		if text != "" {
			for _, w := range strings.SplitAfter(text, " ") {
				on(llm.Event{Kind: llm.EventText, Delta: w})
			}
			content = append(content, llm.TextPart(text))
		}
		content = append(content, calls...)
		stop := llm.StopEnd
		if len(calls) > 0 {
			stop = llm.StopToolUse
		}
		return &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, Content: content, StopReason: stop, Provider: "fake", Model: "m",
			Usage: llm.Usage{Input: 10, Output: 5, TotalTokens: 15}, Timestamp: 1}}, nil
	}
}

type sink struct {
	mu  sync.Mutex
	evs []Event
}

func (s *sink) Emit(ev Event) {
	s.mu.Lock()
	s.evs = append(s.evs, ev)
	s.mu.Unlock()
}

func (s *sink) json() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.evs {
		b, _ := json.Marshal(e.Data)
		out = append(out, e.Stream+" "+string(b))
	}
	return out
}

type memTranscript struct {
	mu   sync.Mutex
	msgs []llm.Message
	fail error
}

func (m *memTranscript) Append(ctx context.Context, msg llm.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.msgs = append(m.msgs, msg)
	return nil
}

func (m *memTranscript) roles() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var r []string
	for _, x := range m.msgs {
		s := string(x.Role)
		if x.Role == llm.RoleToolResult {
			s += ":" + x.ToolCallID
		}
		r = append(r, s)
	}
	return strings.Join(r, ",")
}

func fnTool(name string, timeout time.Duration, fn func(ctx context.Context, c tools.Call) (tools.Result, error)) *tools.Tool {
	return &tools.Tool{Name: name, Description: name, Parameters: json.RawMessage(`{"type":"object"}`), Timeout: timeout, Execute: fn}
}

func newRunner(t *testing.T, m llm.Streamer, ev EventSink, o Options, ts ...*tools.Tool) *Runner {
	t.Helper()
	set, err := tools.NewSet(ts...)
	if err != nil {
		t.Fatal(err)
	}
	o.Model, o.Tools, o.Events = m, set, ev
	o.Now = func() time.Time { return time.UnixMilli(42) }
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func prompt(s string) *llm.Message { m := llm.UserText(s, time.UnixMilli(1)); return &m }

func TestToolRoundTripEventsAndTranscript(t *testing.T) {
	echo := fnTool("echo", 0, func(ctx context.Context, c tools.Call) (tools.Result, error) {
		var a struct{ Text string }
		_ = json.Unmarshal(c.Args, &a)
		c.Update(tools.TextResult("working", nil))
		return tools.TextResult("echo: "+a.Text, map[string]any{"n": 1}), nil
	})
	m := &scriptModel{script: []func(context.Context, *llm.Request, func(llm.Event)) (*llm.Response, error){
		reply("Let me check.", call("c1", "echo", `{"text":"hi"}`)),
		reply("It said hi."),
	}}
	ev := &sink{}
	tr := &memTranscript{}
	r := newRunner(t, m, ev, Options{}, echo)
	res, err := r.Run(context.Background(), Input{RunID: "run1", System: "sys", Prompt: prompt("say hi"), Transcript: tr})
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "It said hi." || res.Steps != 2 || res.Usage.TotalTokens != 30 || res.StopReason != llm.StopEnd {
		t.Fatalf("result %+v", res)
	}
	if tr.roles() != "user,assistant,toolResult:c1,assistant" || len(res.Messages) != 4 {
		t.Fatalf("transcript %s", tr.roles())
	}
	tm := res.Messages[2]
	if tm.ToolName != "echo" || tm.Content[0].Text != "echo: hi" || string(tm.Details) != `{"n":1}` || tm.Timestamp != 42 {
		t.Fatalf("tool message %+v", tm)
	}
	// The second request carries the call and its result.
	if second := m.reqs[1]; len(second) != 3 || second[2].Role != llm.RoleToolResult {
		t.Fatalf("second request %+v", second)
	}
	want := []string{
		`assistant {"text":"Let ","delta":"Let "}`,
		`assistant {"text":"Let me ","delta":"me "}`,
		`assistant {"text":"Let me check.","delta":"check."}`,
		`tool {"phase":"start","name":"echo","toolCallId":"c1","args":{"text":"hi"}}`,
		`tool {"phase":"update","name":"echo","toolCallId":"c1","partialResult":{"content":[{"type":"text","text":"working"}]}}`,
		`tool {"phase":"result","name":"echo","toolCallId":"c1","isError":false,"result":{"content":[{"type":"text","text":"echo: hi"}],"details":{"n":1}}}`,
		`assistant {"text":"It ","delta":"It "}`,
		`assistant {"text":"It said ","delta":"said "}`,
		`assistant {"text":"It said hi.","delta":"hi."}`,
	}
	if got := ev.json(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range ev.evs {
		if e.RunID != "run1" {
			t.Fatal("run id missing")
		}
	}
}

// Two calls of one step run at the same time (each waits for the other to start), and
// their results are stored in call order although the second finishes first.
func TestParallelToolCalls(t *testing.T) {
	var started sync.WaitGroup
	started.Add(2)
	bReported := make(chan struct{})
	slowFast := fnTool("work", 0, func(ctx context.Context, c tools.Call) (tools.Result, error) {
		started.Done()
		started.Wait() // deadlocks unless both run concurrently
		if c.ID == "a" {
			select {
			case <-bReported:
			case <-ctx.Done():
			}
			return tools.TextResult("A", nil), nil
		}
		return tools.TextResult("B", nil), nil
	})
	m := &scriptModel{script: []func(context.Context, *llm.Request, func(llm.Event)) (*llm.Response, error){
		reply("", call("a", "work", `{}`), call("b", "work", `{}`)), reply("done"),
	}}
	ev := &hookSink{onResult: func(id string) {
		if id == "b" {
			close(bReported)
		}
	}}
	tr := &memTranscript{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := newRunner(t, m, ev, Options{}, slowFast).Run(ctx, Input{RunID: "r", Prompt: prompt("go"), Transcript: tr})
	if err != nil {
		t.Fatal(err)
	}
	if tr.roles() != "user,assistant,toolResult:a,toolResult:b,assistant" || res.Messages[2].Content[0].Text != "A" {
		t.Fatalf("transcript %s", tr.roles())
	}
	// Result events come as calls finish: b before a.
	var order []string
	for _, e := range ev.evs {
		if d, ok := e.Data.(ToolResultData); ok {
			order = append(order, d.ToolCallID)
		}
	}
	if strings.Join(order, ",") != "b,a" {
		t.Fatalf("result order %v", order)
	}
}

type hookSink struct {
	sink
	onResult func(id string)
}

func (h *hookSink) Emit(ev Event) {
	h.sink.Emit(ev)
	if d, ok := ev.Data.(ToolResultData); ok {
		h.onResult(d.ToolCallID)
	}
}

func TestToolFailuresBecomeErrorResults(t *testing.T) {
	schemaTool, err := tools.ExecTool(tools.ExecOptions{Processes: tools.NewProcesses(tools.ProcessOptions{}), Workspace: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	boom := fnTool("boom", 0, func(ctx context.Context, c tools.Call) (tools.Result, error) {
		return tools.Result{}, errors.New("disk on fire")
	})
	panics := fnTool("panics", 0, func(ctx context.Context, c tools.Call) (tools.Result, error) { panic("oops") })
	slow := fnTool("slow", 50*time.Millisecond, func(ctx context.Context, c tools.Call) (tools.Result, error) {
		<-ctx.Done()
		return tools.Result{}, ctx.Err()
	})
	big := fnTool("big", 0, func(ctx context.Context, c tools.Call) (tools.Result, error) {
		return tools.TextResult(strings.Repeat("x", 9000), nil), nil
	})
	m := &scriptModel{script: []func(context.Context, *llm.Request, func(llm.Event)) (*llm.Response, error){
		reply("", call("1", "nope", `{}`), call("2", "boom", `{}`), call("3", "exec", `{"command":5}`), call("4", "boom", `{"a":`),
			call("5", "slow", `{}`), call("6", "big", `{}`), call("7", "panics", `{}`)),
		reply("ok"),
	}}
	ev := &sink{}
	res, err := newRunner(t, m, ev, Options{MaxToolResultChars: 8500}, schemaTool, boom, slow, big, panics).Run(context.Background(), Input{RunID: "r", Prompt: prompt("x")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"1": "Tool nope not found",
		"2": "disk on fire",
		"3": `Validation failed for tool "exec"`,
		"4": `Invalid JSON arguments for tool "boom"`,
		"5": "tool slow timed out after 50ms",
		"7": "tool panics failed: internal error",
	}
	for _, m := range res.Messages {
		if m.Role != llm.RoleToolResult {
			continue
		}
		if w, ok := want[m.ToolCallID]; ok {
			if !m.IsError || !strings.Contains(m.Content[0].Text, w) {
				t.Errorf("%s: %+v", m.ToolCallID, m)
			}
		}
		if m.ToolCallID == "6" {
			if m.IsError || !strings.HasSuffix(m.Content[0].Text, "…(truncated: 500 more characters)") {
				t.Errorf("cap: %q", m.Content[0].Text[len(m.Content[0].Text)-60:])
			}
		}
	}
	for _, e := range ev.evs {
		if d, ok := e.Data.(ToolResultData); ok && d.ToolCallID == "6" {
			if txt := d.Result.Content[0].Text; !strings.HasSuffix(txt, "…(truncated)…") || len([]rune(txt)) != EventTextMaxChars+len([]rune("\n…(truncated)…")) {
				t.Errorf("event cap: %d", len(txt))
			}
		}
	}
}

func TestStepLimit(t *testing.T) {
	loopTool := fnTool("again", 0, func(ctx context.Context, c tools.Call) (tools.Result, error) {
		return tools.TextResult("more", nil), nil
	})
	n := 0
	m := &scriptModel{script: []func(context.Context, *llm.Request, func(llm.Event)) (*llm.Response, error){
		func(ctx context.Context, req *llm.Request, on func(llm.Event)) (*llm.Response, error) {
			n++
			return reply("", call(fmt.Sprint("c", n), "again", `{}`))(ctx, req, on)
		},
	}}
	tr := &memTranscript{}
	res, err := newRunner(t, m, nil, Options{MaxSteps: 3}, loopTool).Run(context.Background(), Input{Prompt: prompt("x"), Transcript: tr})
	if !errors.Is(err, ErrStepLimit) || res.Steps != 3 {
		t.Fatalf("err %v steps %d", err, res.Steps)
	}
	if tr.roles() != "user,assistant,toolResult:c1,assistant,toolResult:c2,assistant,toolResult:c3" {
		t.Fatalf("transcript %s", tr.roles())
	}
}

// Abort while a tool runs: the tool's context ends, its call is answered as aborted in
// the transcript, and the run ends with the cancellation.
func TestAbortDuringTool(t *testing.T) {
	running := make(chan struct{})
	toolSawCancel := make(chan struct{})
	block := fnTool("block", 0, func(ctx context.Context, c tools.Call) (tools.Result, error) {
		close(running)
		<-ctx.Done()
		close(toolSawCancel)
		return tools.Result{}, ctx.Err()
	})
	m := &scriptModel{script: []func(context.Context, *llm.Request, func(llm.Event)) (*llm.Response, error){
		reply("", call("c1", "block", `{}`)), reply("never"),
	}}
	tr := &memTranscript{}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-running; cancel() }()
	res, err := newRunner(t, m, nil, Options{}, block).Run(ctx, Input{Prompt: prompt("x"), Transcript: tr})
	if !errors.Is(err, context.Canceled) || res.StopReason != llm.StopAborted {
		t.Fatalf("err %v stop %s", err, res.StopReason)
	}
	<-toolSawCancel
	if tr.roles() != "user,assistant,toolResult:c1" || tr.msgs[2].Content[0].Text != AbortedToolText || !tr.msgs[2].IsError {
		t.Fatalf("transcript %s %+v", tr.roles(), tr.msgs)
	}
	if len(m.reqs) != 1 {
		t.Fatal("model called after abort")
	}
}

// Abort while the model streams: the partial text is kept as an aborted step.
func TestAbortDuringModelStep(t *testing.T) {
	m := &scriptModel{script: []func(context.Context, *llm.Request, func(llm.Event)) (*llm.Response, error){
		func(ctx context.Context, req *llm.Request, on func(llm.Event)) (*llm.Response, error) {
			on(llm.Event{Kind: llm.EventText, Delta: "half"})
			<-ctx.Done()
			return nil, ctx.Err()
		},
	}}
	tr := &memTranscript{}
	ev := &sink{}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			ev.mu.Lock()
			n := len(ev.evs)
			ev.mu.Unlock()
			if n > 0 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	res, err := newRunner(t, m, ev, Options{}).Run(ctx, Input{Prompt: prompt("x"), Transcript: tr})
	if !errors.Is(err, context.Canceled) || res.StopReason != llm.StopAborted {
		t.Fatalf("err %v", err)
	}
	last := tr.msgs[len(tr.msgs)-1]
	if last.Role != llm.RoleAssistant || last.StopReason != llm.StopAborted || last.Text() != "half" {
		t.Fatalf("last %+v", last)
	}
}

func TestModelErrorIsStored(t *testing.T) {
	m := &scriptModel{script: []func(context.Context, *llm.Request, func(llm.Event)) (*llm.Response, error){
		func(ctx context.Context, req *llm.Request, on func(llm.Event)) (*llm.Response, error) {
			return nil, &llm.FallbackError{Attempts: []llm.Attempt{{Provider: "a", Model: "x", Error: "down", Reason: llm.ReasonUnknown}}, Last: errors.New("down")}
		},
	}}
	tr := &memTranscript{}
	res, err := newRunner(t, m, nil, Options{}).Run(context.Background(), Input{Prompt: prompt("x"), Transcript: tr})
	var fe *llm.FallbackError
	if !errors.As(err, &fe) || res.StopReason != llm.StopError || len(res.Attempts) != 1 {
		t.Fatalf("err %v res %+v", err, res)
	}
	if last := tr.msgs[len(tr.msgs)-1]; last.StopReason != llm.StopError || !strings.Contains(last.ErrorMessage, "down") {
		t.Fatalf("stored %+v", last)
	}
	// A transcript that cannot be written stops the run.
	tr2 := &memTranscript{fail: errors.New("disk full")}
	if _, err := newRunner(t, m, nil, Options{}).Run(context.Background(), Input{Prompt: prompt("x"), Transcript: tr2}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("transcript failure: %v", err)
	}
}

func TestMeta(t *testing.T) {
	cases := []struct{ name, args, want string }{
		{"exec", `{"command":"ls -la\nrm x","pty":true}`, "ls -la · pty"},
		{"read", `{"path":"notes.txt"}`, "notes.txt"},
		{"nodes", `{"action":"camera_snap","node":"phone"}`, "camera snap · phone"},
		{"message", `{"action":"send","target":"42"}`, "send · 42"},
		{"apply_patch", `{"input":"..."}`, ""},
		{"custom", `{"url":"https://x"}`, "https://x"},
	}
	for _, c := range cases {
		if got := meta(c.name, json.RawMessage(c.args)); got != c.want {
			t.Errorf("%s: %q want %q", c.name, got, c.want)
		}
	}
}

// TestToolSummaryRedacted: with Options.Redact (logging.redactSensitive), a secret in a
// call's arguments is masked in the tool summary of the result event and in the log
// line of the call; the tool itself still gets the real arguments.
func TestToolSummaryRedacted(t *testing.T) {
	const secret = "sk-live0123456789abcdefXYZ"
	var got string
	exec := fnTool("exec", 0, func(ctx context.Context, c tools.Call) (tools.Result, error) {
		got = string(c.Args)
		return tools.TextResult("ok", nil), nil
	})
	m := &scriptModel{script: []func(context.Context, *llm.Request, func(llm.Event)) (*llm.Response, error){
		reply("", call("c1", "exec", `{"command":"curl -H 'Authorization: Bearer `+secret+`' https://api.test"}`)),
		reply("done"),
	}}
	for _, masked := range []bool{false, true} {
		ev := &sink{}
		var logs strings.Builder
		var mu sync.Mutex
		o := Options{Logger: slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return logs.Write(p)
		}), &slog.HandlerOptions{Level: slog.LevelDebug}))}
		if masked {
			rd, _ := redact.New(redact.ModeTools, nil) // the reference's default patterns
			o.Redact = rd.Text
		}
		m.reqs = nil
		r := newRunner(t, m, ev, o, exec)
		if _, err := r.Run(context.Background(), Input{RunID: "r", Prompt: prompt("go")}); err != nil {
			t.Fatal(err)
		}
		var meta string
		for _, e := range ev.evs {
			if d, ok := e.Data.(ToolResultData); ok && d.Phase == "result" {
				meta = d.Meta
			}
		}
		mu.Lock()
		logged := logs.String()
		mu.Unlock()
		if !strings.Contains(got, secret) {
			t.Fatalf("the tool did not get the real arguments: %s", got)
		}
		if leaked := strings.Contains(meta, secret) || strings.Contains(logged, secret); leaked == masked {
			t.Fatalf("redact %v: meta %q log %q", masked, meta, logged)
		}
		if masked && (!strings.Contains(meta, "sk-liv…fXYZ") || !strings.Contains(logged, "sk-liv…fXYZ")) {
			t.Fatalf("masked summary missing: meta %q log %q", meta, logged)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
