package openaihttp

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agent/backend"
	"github.com/clawgate/gateway/server/sessions"
)

// stallingBackend streams "partial" and then waits for its context: a model that
// never finishes.
type stallingBackend struct{}

func (stallingBackend) Run(ctx context.Context, _ backend.Request, onDelta func(backend.Delta)) (backend.Result, error) {
	if onDelta != nil {
		onDelta(backend.Delta{Text: "partial"})
	}
	<-ctx.Done()
	return backend.Result{}, ctx.Err()
}

// TestRunTimeout: a turn past RunTimeout ends the request with the runtime's timeout
// error (500 whole, an error chunk streamed) instead of holding the caller.
func TestRunTimeout(t *testing.T) {
	store, err := sessions.Open(t.Context(), sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	rt, err := agent.New(agent.Options{Backend: stallingBackend{}, Store: store, MaxConcurrent: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	srv := httptest.NewServer(New(Options{Runner: rt, ChatCompletions: true, Responses: true, RunTimeout: 200 * time.Millisecond}))
	t.Cleanup(srv.Close)
	post := func(path, body string) *http.Response {
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	resp := post(ChatCompletionsPath, `{"messages":[{"role":"user","content":"x"}]}`)
	var e apiError
	if resp.StatusCode != 500 || json.NewDecoder(resp.Body).Decode(&e) != nil || !strings.Contains(e.Error.Message, "timed out") {
		t.Fatalf("non-stream: %d %+v", resp.StatusCode, e)
	}

	resp = post(ChatCompletionsPath, `{"stream":true,"messages":[{"role":"user","content":"x"}]}`)
	var contents []string
	sc := bufio.NewScanner(resp.Body)
	done := false
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			done = true
			break
		}
		var c struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatal(err)
		}
		if s := c.Choices[0].Delta.Content; s != "" {
			contents = append(contents, s)
		}
	}
	if !done || len(contents) != 2 || contents[0] != "partial" || !strings.HasPrefix(contents[1], "Error: agent run timed out") {
		t.Fatalf("stream: done %v contents %q", done, contents)
	}

	resp = post(ResponsesPath, `{"model":"m","input":"x","stream":true}`)
	body := new(strings.Builder)
	_, _ = bufio.NewReader(resp.Body).WriteTo(body)
	if !strings.Contains(body.String(), "event: response.failed") || !strings.Contains(body.String(), `"status":"failed"`) || !strings.HasSuffix(body.String(), "data: [DONE]\n\n") {
		t.Fatalf("responses stream:\n%s", body)
	}
}

// echoBackend answers "ok" at once.
type echoBackend struct{}

func (echoBackend) Run(context.Context, backend.Request, func(backend.Delta)) (backend.Result, error) {
	return backend.Result{Text: "ok"}, nil
}

// TestEphemeralSessionsBounded: requests without user or session each get a one-off
// session; beyond MaxEphemeralSessions the oldest are deleted, named ones stay.
func TestEphemeralSessionsBounded(t *testing.T) {
	store, err := sessions.Open(t.Context(), sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	rt, err := agent.New(agent.Options{Backend: echoBackend{}, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	fixed := time.Unix(1767225600, 0)
	srv := httptest.NewServer(New(Options{Runner: rt, ChatCompletions: true, MaxEphemeralSessions: 2, Now: func() time.Time { return fixed }}))
	t.Cleanup(srv.Close)
	for i, body := range []string{`{}`, `{}`, `{"user":"u"}`, `{}`, `{}`} {
		body = strings.TrimSuffix(body, "}")
		if body != "{" {
			body += ","
		}
		body += `"messages":[{"role":"user","content":"x"}]}`
		resp, err := http.Post(srv.URL+ChatCompletionsPath, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Created int64 `json:"created"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || out.Created != fixed.Unix() {
			t.Fatalf("request %d: %d %v created %d", i, resp.StatusCode, err, out.Created)
		}
	}
	oneOff, _ := store.OldestBeyond(t.Context(), "agent:main:openai:", 0)
	named, _ := store.OldestBeyond(t.Context(), "agent:main:openai-user:", 0)
	// Pruning runs as a request's turn starts, so the newest request's session may
	// still be the one over the bound: at most Max+1 remain.
	if len(oneOff) < 2 || len(oneOff) > 3 || len(named) != 1 {
		t.Fatalf("one-off sessions %v, named %v", oneOff, named)
	}
}

// slowBackend answers "late" after delay (real time: the test is about a server
// timeout).
type slowBackend struct{ delay time.Duration }

func (b slowBackend) Run(ctx context.Context, _ backend.Request, onDelta func(backend.Delta)) (backend.Result, error) {
	select {
	case <-time.After(b.delay):
	case <-ctx.Done():
		return backend.Result{}, ctx.Err()
	}
	return backend.Result{Text: "late"}, nil
}

// TestTurnOutlivesServerTimeouts: a turn longer than the port's write timeout (and
// read timeout) is still answered, whole and streamed: the handler moves the write
// deadline per write instead.
func TestTurnOutlivesServerTimeouts(t *testing.T) {
	store, err := sessions.Open(t.Context(), sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	rt, err := agent.New(agent.Options{Backend: slowBackend{delay: 800 * time.Millisecond}, Store: store, MaxConcurrent: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	srv := httptest.NewUnstartedServer(New(Options{Runner: rt, ChatCompletions: true}))
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 150*time.Millisecond, 150*time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	for _, stream := range []string{"false", "true"} {
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Post(srv.URL+ChatCompletionsPath, "application/json",
			strings.NewReader(`{"stream":`+stream+`,"messages":[{"role":"user","content":"x"}]}`))
		if err != nil {
			t.Fatalf("stream %s: %v", stream, err)
		}
		body := new(strings.Builder)
		_, err = bufio.NewReader(resp.Body).WriteTo(body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || !strings.Contains(body.String(), `"late"`) {
			t.Fatalf("stream %s: %d %v\n%s", stream, resp.StatusCode, err, body)
		}
	}
}
