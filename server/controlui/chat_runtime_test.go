package controlui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/sessions"
)

// runtimeBackend answers the browser's chat with the real agent runtime and session
// store, whose model is an OpenAI-compatible streaming server on 127.0.0.1 driven
// chunk by chunk by the test.
type runtimeBackend struct {
	t      *testing.T
	llm    *httptest.Server
	prompt chan string    // the last user message of each upstream request
	chunks chan string    // next SSE chunk; endStream finishes the answer
	gone   chan struct{}  // an upstream request was cancelled (abort)
	events chan chatEvent // chat events the runtime broadcast

	rt         *agent.Runtime
	rtHandlers *agent.Handlers
}

type chatEvent struct {
	runID string
	state protocol.ChatEventState
}

const endStream = "\x00end"

func newRuntimeBackend(t *testing.T, stateDir string, history [][2]string) *runtimeBackend {
	b := &runtimeBackend{t: t, prompt: make(chan string, 4), chunks: make(chan string), gone: make(chan struct{}, 4), events: make(chan chatEvent, 256)}
	b.llm = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Role, Content string }
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		b.prompt <- body.Messages[len(body.Messages)-1].Content
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				b.gone <- struct{}{}
				return
			case c := <-b.chunks:
				if c == endStream {
					fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
					return
				}
				chunk, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": c}}}})
				fmt.Fprintf(w, "data: %s\n\n", chunk)
				w.(http.Flusher).Flush()
			}
		}
	}))
	t.Cleanup(b.llm.Close)
	// An earlier exchange, so the page has history to show.
	store, err := sessions.Open(context.Background(), sessions.Options{Path: filepath.Join(stateDir, "sessions.db")})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range history {
		if _, _, err := store.Append(context.Background(), "agent:main:main", sessions.Message{Role: m[0], Text: m[1], Ts: time.Now().UnixMilli()}); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := llm.NewRegistry(llm.RegistryOptions{Providers: map[string]llm.ProviderConfig{"test": {BaseURL: b.llm.URL + "/v1", API: llm.APIOpenAICompletions}}})
	if err != nil {
		t.Fatal(err)
	}
	model, err := reg.Resolve("test/test-model")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := agent.New(agent.Options{Engine: &agent.Engine{Model: model}, Store: store, Timeout: time.Minute,
		// Every token becomes a delta, so the test can wait for each one on the page.
		ChatDeltaInterval: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rt.Close(ctx)
		_ = store.Close()
	})
	b.rtHandlers = agent.NewHandlers(rt)
	b.rt = rt
	return b
}

func (b *runtimeBackend) register(srv *gateway.Server) error {
	b.rt.SetBroadcast(func(evs ...protocol.Event) {
		for _, ev := range evs {
			if ce, ok := ev.(*protocol.ChatEvent); ok {
				b.events <- chatEvent{ce.RunID, ce.State}
			}
		}
		srv.BroadcastAll(evs...)
	})
	srv.Mux().SetAgent(b.rtHandlers)
	srv.Mux().SetChat(b.rtHandlers)
	srv.Mux().SetSessions(b.rtHandlers)
	return nil
}

func (b *runtimeBackend) nextPrompt(t *testing.T) string {
	t.Helper()
	select {
	case p := <-b.prompt:
		return p
	case <-time.After(waitTimeout):
		t.Fatal("the model server got no request")
		return ""
	}
}

func (b *runtimeBackend) send(t *testing.T, chunk string) {
	t.Helper()
	select {
	case b.chunks <- chunk:
	case <-time.After(waitTimeout):
		t.Fatal("the model request is not waiting for a chunk")
	}
}

func (b *runtimeBackend) reply(t *testing.T, shown func(string)) string {
	if p := b.nextPrompt(t); p != "What is the capital of France?" {
		t.Fatalf("the model got %q", p)
	}
	text := ""
	for _, chunk := range []string{"The capital", " of France", " is Par"} {
		b.send(t, chunk)
		text += chunk
		shown(text)
	}
	b.send(t, "is.")
	b.send(t, endStream)
	b.until(t, protocol.ChatEventStateFinal) // later waits see only later runs' events
	return text + "is."
}

// until consumes the runtime's chat events up to the first one in state and returns
// its run id.
func (b *runtimeBackend) until(t *testing.T, state protocol.ChatEventState) string {
	t.Helper()
	for {
		select {
		case ev := <-b.events:
			if ev.state == state {
				return ev.runID
			}
		case <-time.After(waitTimeout):
			t.Fatalf("no %s chat event", state)
			return ""
		}
	}
}

func (b *runtimeBackend) abortable(t *testing.T, shown func(string)) string {
	b.nextPrompt(t)
	b.send(t, "Let me think")
	shown("Let me think")
	return b.until(t, protocol.ChatEventStateDelta)
}

// aborted waits until the upstream request is cancelled and the runtime reports the
// run aborted, and returns that run's id.
func (b *runtimeBackend) aborted(t *testing.T) string {
	select {
	case <-b.gone:
	case <-time.After(waitTimeout):
		t.Fatal("the model request was not cancelled")
	}
	return b.until(t, protocol.ChatEventStateAborted)
}
