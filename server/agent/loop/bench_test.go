package loop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/tools"
)

// timedModel wraps a model and records when each step entered and left it, so the
// loop's own time (everything between model steps: tool calls, events, transcript
// writes) can be separated from the model's.
type timedModel struct {
	inner llm.Streamer
	mu    sync.Mutex
	marks []time.Time // enter, leave, enter, leave, …
}

func (m *timedModel) Stream(ctx context.Context, req *llm.Request, on func(llm.Event)) (*llm.Response, error) {
	m.mu.Lock()
	m.marks = append(m.marks, time.Now())
	m.mu.Unlock()
	resp, err := m.inner.Stream(ctx, req, on)
	m.mu.Lock()
	m.marks = append(m.marks, time.Now())
	m.mu.Unlock()
	return resp, err
}

// instantModel answers every odd step with one tool call and every even step with text,
// without any latency: the benchmark measures the loop, not a model.
type instantModel struct{}

func (instantModel) Stream(ctx context.Context, req *llm.Request, on func(llm.Event)) (*llm.Response, error) {
	last := req.Messages[len(req.Messages)-1]
	if last.Role == llm.RoleUser {
		on(llm.Event{Kind: llm.EventText, Delta: "Checking."})
		return &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, StopReason: llm.StopToolUse, Content: []llm.Part{
			llm.TextPart("Checking."), {Type: llm.PartToolCall, ID: "c1", Name: "echo", Arguments: json.RawMessage(`{"text":"ping"}`)}}}}, nil
	}
	on(llm.Event{Kind: llm.EventText, Delta: "Done: "})
	on(llm.Event{Kind: llm.EventText, Delta: "pong."})
	return &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, StopReason: llm.StopEnd, Content: []llm.Part{llm.TextPart("Done: pong.")}}}, nil
}

// jsonSink encodes every event the way the gateway will (JSON onto the wire).
type jsonSink struct{}

func (jsonSink) Emit(ev Event) { _ = json.NewEncoder(io.Discard).Encode(ev.Data) }

// jsonTranscript encodes every message as a transcript line would be.
type jsonTranscript struct{}

func (jsonTranscript) Append(ctx context.Context, m llm.Message) error {
	return json.NewEncoder(io.Discard).Encode(llm.NewTranscriptEntry("a1b2c3d4", "00000000", m))
}

func echoTool() *tools.Tool {
	return &tools.Tool{Name: "echo", Description: "echo", Parameters: json.RawMessage(`{"type":"object","properties":{"text":{"type":"string"}}}`),
		Execute: func(ctx context.Context, c tools.Call) (tools.Result, error) {
			return tools.TextResult("pong", map[string]any{"ok": true}), nil
		}}
}

// loopbackModel is an OpenAI-compatible server on 127.0.0.1 answering instantly with the
// same two-step script, reached through the real SDK client.
func loopbackModel(b *testing.B) llm.Streamer {
	toolStep := []byte(
		`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Checking."},"finish_reason":null}]}` + "\n\n" +
			`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"echo","arguments":"{\"text\":\"ping\"}"}}]},"finish_reason":"tool_calls"}]}` + "\n\n" +
			"data: [DONE]\n\n")
	textStep := []byte(
		`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Done: "},"finish_reason":null}]}` + "\n\n" +
			`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"pong."},"finish_reason":"stop"}]}` + "\n\n" +
			"data: [DONE]\n\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		// The script only depends on whether a tool result is in the request.
		if json.Valid(body) && !containsTool(body) {
			_, _ = w.Write(toolStep)
			return
		}
		_, _ = w.Write(textStep)
	}))
	b.Cleanup(srv.Close)
	reg, err := llm.NewRegistry(llm.RegistryOptions{Providers: map[string]llm.ProviderConfig{"local": {BaseURL: srv.URL + "/v1"}},
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}})
	if err != nil {
		b.Fatal(err)
	}
	m, err := reg.Resolve("local/bench")
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func containsTool(body []byte) bool {
	var req struct {
		Messages []struct {
			Role string `json:"role"`
		} `json:"messages"`
	}
	_ = json.Unmarshal(body, &req)
	for _, m := range req.Messages {
		if m.Role == "tool" {
			return true
		}
	}
	return false
}

// BenchmarkTurn runs whole agent turns (prompt → tool call → tool → final answer) and
// reports the loop's own overhead per model step (the time between model steps, which
// includes the tool round trip, event encoding and transcript encoding, with the
// model's own time excluded), its p50/p99, and turns per second. The procs=1 variants
// pin the run to one core.
func BenchmarkTurn(b *testing.B) {
	for _, backend := range []string{"inprocess", "loopback-openai"} {
		for _, procs := range []int{0, 1} {
			name := fmt.Sprintf("model=%s/procs=%d", backend, procs)
			if procs == 0 {
				name = fmt.Sprintf("model=%s/procs=all", backend)
			}
			b.Run(name, func(b *testing.B) {
				if procs > 0 {
					prev := runtime.GOMAXPROCS(procs)
					defer runtime.GOMAXPROCS(prev)
				}
				var inner llm.Streamer = instantModel{}
				if backend == "loopback-openai" {
					inner = loopbackModel(b)
				}
				tm := &timedModel{inner: inner}
				set, _ := tools.NewSet(echoTool())
				r, err := New(Options{Model: tm, Tools: set, Events: jsonSink{}})
				if err != nil {
					b.Fatal(err)
				}
				history := []llm.Message{llm.UserText("earlier", time.Unix(0, 0))}
				overheads := make([]time.Duration, 0, 3*b.N)
				var modelTime time.Duration
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					tm.marks = tm.marks[:0]
					p := llm.UserText("ping", time.Unix(0, 0))
					runStart := time.Now()
					res, err := r.Run(context.Background(), Input{RunID: "bench", History: history, Prompt: &p, Transcript: jsonTranscript{}})
					runEnd := time.Now()
					if err != nil || res.Text != "Done: pong." {
						b.Fatalf("%v %q", err, res.Text)
					}
					// Loop time before the first step, between steps, and after the last.
					m := tm.marks
					overheads = append(overheads, m[0].Sub(runStart))
					for k := 1; k+1 < len(m); k += 2 {
						overheads = append(overheads, m[k+1].Sub(m[k]))
					}
					overheads = append(overheads, runEnd.Sub(m[len(m)-1]))
					for k := 0; k+1 < len(m); k += 2 {
						modelTime += m[k+1].Sub(m[k])
					}
				}
				elapsed := time.Since(start)
				b.StopTimer()
				slices.Sort(overheads)
				pct := func(p float64) float64 {
					return float64(overheads[int(float64(len(overheads)-1)*p)].Nanoseconds()) / 1e3
				}
				steps := float64(2 * b.N)
				var total time.Duration
				for _, o := range overheads {
					total += o
				}
				b.ReportMetric(float64(total.Nanoseconds())/steps/1e3, "loop-µs/step")
				b.ReportMetric(pct(0.50), "overhead-p50-µs")
				b.ReportMetric(pct(0.99), "overhead-p99-µs")
				b.ReportMetric(float64(modelTime.Nanoseconds())/steps/1e3, "model-µs/step")
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "turns/s")
			})
		}
	}
}
