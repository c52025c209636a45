package llm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// scripted is a model server on 127.0.0.1 that answers each request with the next
// script; it records every request.
type scripted struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	scripts []func(w http.ResponseWriter, r *http.Request)
	reqs    []recorded
}

type recorded struct {
	Path   string
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func newScripted(t *testing.T, scripts ...func(w http.ResponseWriter, r *http.Request)) *scripted {
	t.Helper()
	s := &scripted{t: t, scripts: scripts}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Raw: raw})
		var script func(http.ResponseWriter, *http.Request)
		if len(s.scripts) > 0 {
			script, s.scripts = s.scripts[0], s.scripts[1:]
		}
		s.mu.Unlock()
		if script == nil {
			http.Error(w, `{"error":{"message":"no script left"}}`, http.StatusInternalServerError)
			return
		}
		script(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scripted) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// sse writes server-sent events; each item is a data payload (string or value). An item
// of type sseEvent sets the event name too.
type sseEvent struct {
	Name string
	Data any
}

func writeSSE(w http.ResponseWriter, items ...any) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	for _, it := range items {
		name := ""
		data := it
		if ev, ok := it.(sseEvent); ok {
			name, data = ev.Name, ev.Data
		}
		var payload string
		switch d := data.(type) {
		case string:
			payload = d
		default:
			b, _ := json.Marshal(d)
			payload = string(b)
		}
		if name != "" {
			fmt.Fprintf(w, "event: %s\n", name)
		}
		fmt.Fprintf(w, "data: %s\n\n", payload)
		if fl != nil {
			fl.Flush()
		}
	}
}

func sseScript(items ...any) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { writeSSE(w, items...) }
}

func statusScript(code int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

// chunk builds an OpenAI chat.completion.chunk.
func chunk(delta map[string]any, finish string) map[string]any {
	choice := map[string]any{"index": 0, "delta": delta, "finish_reason": nil}
	if finish != "" {
		choice["finish_reason"] = finish
	}
	return map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []any{choice}}
}

func usageChunk(prompt, completion, cached int) map[string]any {
	return map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []any{},
		"usage": map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
			"prompt_tokens_details": map[string]any{"cached_tokens": cached}}}
}

func toolDelta(index int, id, name, args string) map[string]any {
	tc := map[string]any{"index": index, "function": map[string]any{"arguments": args}}
	if id != "" {
		tc["id"] = id
		tc["type"] = "function"
		tc["function"].(map[string]any)["name"] = name
	}
	return map[string]any{"tool_calls": []any{tc}}
}

// events collects streamed events.
type events struct {
	mu  sync.Mutex
	evs []Event
}

func (e *events) on(ev Event) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
}

func (e *events) text() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := ""
	for _, ev := range e.evs {
		switch ev.Kind {
		case EventText:
			s += ev.Delta
		case EventReset:
			s = ""
		}
	}
	return s
}

func (e *events) kinds(k EventKind) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.evs {
		if ev.Kind == k {
			n++
		}
	}
	return n
}
