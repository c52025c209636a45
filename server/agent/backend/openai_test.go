package backend

import (
	"bytes"
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
)

const waitLimit = 5 * time.Second

// newUpstream starts an OpenAI-compatible server on 127.0.0.1 for one test.
func newUpstream(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	testDone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Consume the body first so the server watches the connection and
		// cancels r.Context() when the client goes away.
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-testDone:
				cancel()
			case <-ctx.Done():
			}
		}()
		h(w, r.WithContext(ctx))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(testDone) }) // runs first: unblocks handlers
	return srv
}

func newTestOpenAI(t *testing.T, url string, mod func(*OpenAIOptions)) *OpenAI {
	t.Helper()
	opts := OpenAIOptions{BaseURL: url + "/v1", Model: "test-model", APIKey: "sk-secret"}
	if mod != nil {
		mod(&opts)
	}
	o, err := NewOpenAI(opts)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func chunkJSON(content string, finish string) string {
	m := map[string]any{"index": 0, "delta": map[string]any{"content": content}}
	if finish != "" {
		m["finish_reason"] = finish
	} else {
		m["finish_reason"] = nil
	}
	b, _ := json.Marshal(map[string]any{"object": "chat.completion.chunk", "choices": []any{m}})
	return string(b)
}

func sseWrite(w http.ResponseWriter, s string) {
	io.WriteString(w, s)
	w.(http.Flusher).Flush()
}

func ssePrologue(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
}

// TestOpenAIStreamsBeforeCompletion proves deltas arrive while the response is
// still open: the server blocks after the first chunk until the test has seen it.
func TestOpenAIStreamsBeforeCompletion(t *testing.T) {
	release := make(chan struct{})
	type captured struct {
		auth, path string
		body       map[string]any
	}
	gotReq := make(chan captured, 1)
	srv := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		gotReq <- captured{auth: r.Header.Get("Authorization"), path: r.URL.Path, body: body}
		ssePrologue(w)
		sseWrite(w, "data: "+chunkJSON("Hel", "")+"\n\n")
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		sseWrite(w, "data: "+chunkJSON("lo", "")+"\n\n")
		sseWrite(w, "data: "+chunkJSON("", "stop")+"\n\n")
		sseWrite(w, `data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}`+"\n\n")
		sseWrite(w, "data: [DONE]\n\n")
	})
	o := newTestOpenAI(t, srv.URL, nil)

	deltas := make(chan string, 10)
	type out struct {
		res Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := o.Run(context.Background(), Request{Messages: []Message{
			{Role: "system", Content: "be brief"}, {Role: "user", Content: "hi"},
		}}, func(d Delta) { deltas <- d.Text })
		done <- out{res, err}
	}()

	select {
	case d := <-deltas:
		if d != "Hel" {
			t.Fatalf("first delta = %q, want %q", d, "Hel")
		}
	case <-time.After(waitLimit):
		t.Fatal("first delta not received while the server was holding the stream")
	}
	select {
	case <-done:
		t.Fatal("Run returned before the server released the rest of the stream")
	default:
	}
	close(release)

	var o2 out
	select {
	case o2 = <-done:
	case <-time.After(waitLimit):
		t.Fatal("Run did not return")
	}
	if o2.err != nil {
		t.Fatalf("Run: %v", o2.err)
	}
	if d := <-deltas; d != "lo" {
		t.Fatalf("second delta = %q", d)
	}
	if o2.res.Text != "Hello" || o2.res.FinishReason != "stop" {
		t.Fatalf("result = %+v", o2.res)
	}
	if u := o2.res.Usage; u == nil || *u != (Usage{PromptTokens: 7, CompletionTokens: 2, TotalTokens: 9}) {
		t.Fatalf("usage = %+v", o2.res.Usage)
	}

	req := <-gotReq
	if req.path != "/v1/chat/completions" {
		t.Errorf("path = %q", req.path)
	}
	if req.auth != "Bearer sk-secret" {
		t.Errorf("Authorization = %q", req.auth)
	}
	if req.body["model"] != "test-model" || req.body["stream"] != true {
		t.Errorf("body = %v", req.body)
	}
	if so, _ := req.body["stream_options"].(map[string]any); so["include_usage"] != true {
		t.Errorf("stream_options = %v", req.body["stream_options"])
	}
	msgs, _ := req.body["messages"].([]any)
	if len(msgs) != 2 || fmt.Sprint(msgs[1]) != "map[content:hi role:user]" {
		t.Errorf("messages = %v", req.body["messages"])
	}
}

func TestOpenAIModelOverride(t *testing.T) {
	gotModel := make(chan any, 1)
	srv := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		gotModel <- body["model"]
		ssePrologue(w)
		sseWrite(w, "data: "+chunkJSON("x", "stop")+"\n\ndata: [DONE]\n\n")
	})
	o := newTestOpenAI(t, srv.URL, func(o *OpenAIOptions) { o.APIKey = "" })
	if _, err := o.Run(context.Background(), Request{Model: "other", Messages: []Message{{Role: "user", Content: "q"}}}, nil); err != nil {
		t.Fatal(err)
	}
	if m := <-gotModel; m != "other" {
		t.Fatalf("model = %v", m)
	}
}

// TestOpenAIStreamFormats feeds raw SSE bodies and checks the parsed result.
func TestOpenAIStreamFormats(t *testing.T) {
	usage := `data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`
	tests := []struct {
		name      string
		body      string
		wantText  string
		wantFin   string
		wantUsage bool
		wantErr   string
		wantAPI   *APIError
	}{
		{
			name:     "lf with done",
			body:     "data: " + chunkJSON("a", "") + "\n\ndata: " + chunkJSON("b", "length") + "\n\ndata: [DONE]\n\n",
			wantText: "ab", wantFin: "length",
		},
		{
			name: "crlf, comments, other fields",
			body: ": keep-alive\r\n\r\nevent: message\r\nid: 1\r\ndata: " + chunkJSON("x", "") + "\r\n\r\n:ping\r\n" +
				"data:" + chunkJSON("y", "stop") + "\r\n\r\n" + usage + "\r\n\r\ndata: [DONE]\r\n\r\n",
			wantText: "xy", wantFin: "stop", wantUsage: true,
		},
		{
			name:     "bare cr line endings",
			body:     "data: " + chunkJSON("c", "stop") + "\r\rdata: [DONE]\r\r",
			wantText: "c", wantFin: "stop",
		},
		{
			name:     "multi-line data joined with newline",
			body:     "data: {\"choices\":[{\"index\":0,\n" + "data: \"delta\":{\"content\":\"m\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
			wantText: "m", wantFin: "stop",
		},
		{
			name:     "no done but finish reason",
			body:     "data: " + chunkJSON("z", "stop") + "\n\n",
			wantText: "z", wantFin: "stop",
		},
		{
			name:     "other choice indexes ignored",
			body:     `data: {"choices":[{"index":1,"delta":{"content":"no"}},{"index":0,"delta":{"content":"yes"},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n",
			wantText: "yes", wantFin: "stop",
		},
		{
			name:    "ended early",
			body:    "data: " + chunkJSON("part", "") + "\n\n",
			wantErr: "stream ended early",
		},
		{
			name:    "unterminated event at eof is dropped",
			body:    "data: " + chunkJSON("part", "stop"),
			wantErr: "stream ended early",
		},
		{
			name:    "error object in stream",
			body:    "data: " + chunkJSON("a", "") + "\n\n" + `data: {"error":{"message":"model overloaded"}}` + "\n\n",
			wantAPI: &APIError{Status: 200, Message: "model overloaded"},
		},
		{
			name:    "bad json",
			body:    "data: {nope\n\n",
			wantErr: "decode chunk",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				ssePrologue(w)
				sseWrite(w, tc.body)
			})
			o := newTestOpenAI(t, srv.URL, nil)
			var deltas []string
			res, err := o.Run(context.Background(), Request{Messages: []Message{{Role: "user", Content: "q"}}},
				func(d Delta) { deltas = append(deltas, d.Text) })
			switch {
			case tc.wantAPI != nil:
				var ae *APIError
				if !errors.As(err, &ae) || *ae != *tc.wantAPI {
					t.Fatalf("err = %v, want %v", err, tc.wantAPI)
				}
				return
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("Run: %v", err)
			}
			if res.Text != tc.wantText || res.FinishReason != tc.wantFin {
				t.Fatalf("result = %+v", res)
			}
			if strings.Join(deltas, "") != tc.wantText {
				t.Fatalf("deltas = %q", deltas)
			}
			if (res.Usage != nil) != tc.wantUsage {
				t.Fatalf("usage = %+v", res.Usage)
			}
			if tc.wantUsage && *res.Usage != (Usage{1, 2, 3}) {
				t.Fatalf("usage = %+v", *res.Usage)
			}
		})
	}
}

func TestOpenAIStatusErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		want   APIError
	}{
		{"401 openai json", 401, "application/json", `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}`,
			APIError{401, "Incorrect API key provided"}},
		{"500 plain text", 500, "text/plain", "internal boom\n", APIError{500, "internal boom"}},
		{"404 ollama string error", 404, "application/json", `{"error":"model \"x\" not found"}`, APIError{404, `model "x" not found`}},
		{"503 empty body", 503, "text/plain", "", APIError{503, "Service Unavailable"}},
		{"400 huge body is bounded", 400, "text/plain", strings.Repeat("e", 1<<20), APIError{400, strings.Repeat("e", maxErrorBodyBytes)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			o := newTestOpenAI(t, srv.URL, nil)
			_, err := o.Run(context.Background(), Request{Messages: []Message{{Role: "user", Content: "q"}}}, nil)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if *ae != tc.want {
				t.Fatalf("APIError = {%d %.60q}, want {%d %.60q}", ae.Status, ae.Message, tc.want.Status, tc.want.Message)
			}
			if strings.Contains(err.Error(), "sk-secret") {
				t.Fatal("error leaks the API key")
			}
		})
	}
}

// TestOpenAICancelMidStream cancels after the first delta and checks that Run
// returns promptly and that the upstream handler sees its request end.
func TestOpenAICancelMidStream(t *testing.T) {
	serverSawEnd := make(chan struct{})
	testDone := make(chan struct{})
	defer close(testDone)
	srv := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		ssePrologue(w)
		sseWrite(w, "data: "+chunkJSON("first", "")+"\n\n")
		select {
		case <-r.Context().Done():
			close(serverSawEnd)
		case <-testDone:
		}
	})
	o := newTestOpenAI(t, srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := o.Run(ctx, Request{Messages: []Message{{Role: "user", Content: "q"}}}, func(Delta) { cancel() })
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after cancellation")
	}
	select {
	case <-serverSawEnd:
	case <-time.After(waitLimit):
		t.Fatal("upstream handler never saw its request context end")
	}
}

func TestOpenAILimits(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*OpenAIOptions)
		req     Request
		handler func(w http.ResponseWriter, r *http.Request)
		check   func(t *testing.T, err error)
	}{
		{
			name: "idle timeout mid-stream",
			mod:  func(o *OpenAIOptions) { o.IdleTimeout = 100 * time.Millisecond },
			handler: func(w http.ResponseWriter, r *http.Request) {
				ssePrologue(w)
				sseWrite(w, "data: "+chunkJSON("a", "")+"\n\n")
				<-r.Context().Done()
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "upstream idle for 100ms") {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "idle timeout before headers",
			mod:  func(o *OpenAIOptions) { o.IdleTimeout = 100 * time.Millisecond },
			handler: func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "upstream idle for") {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "request timeout",
			req:  Request{Timeout: 100 * time.Millisecond},
			handler: func(w http.ResponseWriter, r *http.Request) {
				ssePrologue(w)
				<-r.Context().Done()
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want DeadlineExceeded", err)
				}
			},
		},
		{
			name: "oversize response",
			mod:  func(o *OpenAIOptions) { o.MaxResponseBytes = 4096 },
			handler: func(w http.ResponseWriter, r *http.Request) {
				ssePrologue(w)
				for i := 0; i < 1000 && r.Context().Err() == nil; i++ {
					sseWrite(w, "data: "+chunkJSON(strings.Repeat("x", 50), "")+"\n\n")
				}
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "exceeds 4096 bytes") {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "oversize single line",
			mod:  func(o *OpenAIOptions) { o.MaxResponseBytes = 4096 },
			handler: func(w http.ResponseWriter, r *http.Request) {
				ssePrologue(w)
				sseWrite(w, "data: "+strings.Repeat("x", 3000))
				sseWrite(w, strings.Repeat("y", 3000))
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "exceeds 4096 bytes") {
					t.Fatalf("err = %v", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newUpstream(t, tc.handler)
			o := newTestOpenAI(t, srv.URL, tc.mod)
			req := tc.req
			req.Messages = []Message{{Role: "user", Content: "q"}}
			errc := make(chan error, 1)
			go func() {
				_, err := o.Run(context.Background(), req, nil)
				errc <- err
			}()
			select {
			case err := <-errc:
				tc.check(t, err)
			case <-time.After(waitLimit):
				t.Fatal("Run did not return")
			}
		})
	}
}

func TestNewOpenAIRequiresBaseURL(t *testing.T) {
	if _, err := NewOpenAI(OpenAIOptions{}); err == nil {
		t.Fatal("want error for empty BaseURL")
	}
}
