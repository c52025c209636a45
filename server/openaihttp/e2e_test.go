package openaihttp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/daemon"
	"github.com/clawgate/gateway/server/gatewaytest"
)

const testToken = "s3cret-token"

// fakeModel is an OpenAI-compatible streaming chat completions server answering
// "re: <last user message>" in two chunks. With a gate set, it holds the second chunk
// until the test releases it, so a test can see the first chunk arrive on its own.
type fakeModel struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte // every request body, in order
	gate   chan struct{}
	sent   chan struct{} // signalled after the first chunk of a gated answer is flushed
}

func newFakeModel(t *testing.T) *fakeModel {
	t.Helper()
	m := &fakeModel{sent: make(chan struct{}, 1)}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

// hold makes the next answer wait after its first chunk until release is closed.
func (m *fakeModel) hold() (release func()) {
	ch := make(chan struct{})
	m.mu.Lock()
	m.gate = ch
	m.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

// lastBody is the newest request body the model got.
func (m *fakeModel) lastBody() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.bodies) == 0 {
		return nil
	}
	return m.bodies[len(m.bodies)-1]
}

func (m *fakeModel) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.bodies = append(m.bodies, raw)
	m.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(raw))
	var body struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) == 0 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var last string
	if err := json.Unmarshal(body.Messages[len(body.Messages)-1].Content, &last); err != nil {
		var parts []struct{ Text string }
		_ = json.Unmarshal(body.Messages[len(body.Messages)-1].Content, &parts)
		for _, p := range parts {
			last += p.Text
		}
	}
	m.mu.Lock()
	gate := m.gate
	m.gate = nil
	m.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(text string) {
		b, _ := json.Marshal(map[string]any{"id": "x", "object": "chat.completion.chunk", "choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": text}}}})
		fmt.Fprintf(w, "data: %s\n\n", b)
		w.(http.Flusher).Flush()
	}
	chunk("re: ")
	if gate != nil {
		m.sent <- struct{}{}
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	chunk(last)
	fmt.Fprint(w, "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
	fmt.Fprint(w, "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}\n\n")
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// gateway is a daemon.Run on a loopback port.
type gateway struct {
	base string // http://127.0.0.1:<port>
	ws   string
	cfg  func(endpoints string) string // the config file with other endpoints
	path string                        // the config file
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startGateway runs the real gateway with the fake model as its agent's model and
// endpoints as gateway.http.endpoints (JSON5).
func startGateway(t *testing.T, m *fakeModel, endpoints string) *gateway {
	t.Helper()
	return startGatewayModels(t, m, endpoints, "[]")
}

// startGatewayModels is startGateway with the fake provider's model catalog.
func startGatewayModels(t *testing.T, m *fakeModel, endpoints, models string) *gateway {
	t.Helper()
	home := t.TempDir()
	mkcfg := func(endpoints string) string {
		return fmt.Sprintf(`{
  gateway: {mode: "local", auth: {token: %q}, controlUi: {enabled: false}, http: {endpoints: %s}},
  agents: {defaults: {model: {primary: "fake/m"}}},
  models: {providers: {fake: {baseUrl: %q, models: %s}}},
}`, testToken, endpoints, m.srv.URL+"/v1", models)
	}
	if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(mkcfg(endpoints)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("CLAWDBOT_STATE_DIR", filepath.Join(home, "state"))
	t.Setenv("CLAWDBOT_CONFIG_PATH", filepath.Join(home, "clawdbot.json"))
	t.Setenv("CLAWDBOT_BRIDGE_ENABLED", "0")
	t.Setenv("CLAWDBOT_GATEWAY_PORT", "")
	t.Setenv("CLAWDBOT_GATEWAY_TOKEN", "")
	t.Setenv("CLAWDBOT_GATEWAY_PASSWORD", "")
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var runErr error
	go func() {
		defer close(done)
		runErr = daemon.Run(ctx, daemon.Options{Home: home, Flags: config.Flags{Port: port}, Stdout: io.Discard, Restart: make(chan struct{}), Version: "test"})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("gateway did not stop")
		}
	})
	g := &gateway{base: fmt.Sprintf("http://127.0.0.1:%d", port), ws: fmt.Sprintf("ws://127.0.0.1:%d", port), cfg: mkcfg, path: filepath.Join(home, "clawdbot.json")}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case <-done:
			t.Fatalf("gateway stopped: %v", runErr)
		default:
		}
		if resp, err := http.Get(g.base + "/"); err == nil {
			resp.Body.Close()
			return g
		}
		if time.Now().After(deadline) {
			t.Fatal("gateway did not start listening")
		}
	}
}

// post sends a JSON body with the test token (tok "" sends none).
func (g *gateway) post(t *testing.T, path, tok string, body []byte, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, g.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// history is the session's transcript as chat.history answers it over a WebSocket.
func (g *gateway) history(t *testing.T, key string) []string {
	t.Helper()
	c, err := gatewaytest.TryDial(t, g.ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Handshake(gatewaytest.V3Connect(map[string]any{"auth": map[string]any{"token": testToken},
		"client": map[string]any{"id": "cli", "version": "1", "platform": "linux", "mode": "cli"}}))
	var res struct {
		SessionKey string `json:"sessionKey"`
		Messages   []struct {
			Role    string `json:"role"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"messages"`
	}
	c.MustOK("chat.history", map[string]any{"sessionKey": key}, &res)
	var out []string
	for _, m := range res.Messages {
		var text string
		for _, p := range m.Content {
			text += p.Text
		}
		out = append(out, m.Role+": "+text)
	}
	return out
}

func wantHistory(t *testing.T, g *gateway, key string, want ...string) {
	t.Helper()
	got := g.history(t, key)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history of %s:\n%s\nwant:\n%s", key, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// sseReader reads "data:" payloads (and event names) of a server-sent event stream.
type sseReader struct{ r *bufio.Reader }

func (s *sseReader) next(t *testing.T) (event, data string) {
	t.Helper()
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && data != "":
			return event, data
		}
	}
}

type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Delta struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
}

// rest reads content chunks up to the one with a finish reason: the text they carry
// and that reason.
func (s *sseReader) rest(t *testing.T) (text, finish string) {
	t.Helper()
	for {
		c := s.chunk(t)
		text += c.Choices[0].Delta.Content
		if f := c.Choices[0].FinishReason; f != nil {
			return text, *f
		}
	}
}

func (s *sseReader) chunk(t *testing.T) chunk {
	t.Helper()
	_, data := s.next(t)
	var c chunk
	if err := json.Unmarshal([]byte(data), &c); err != nil || c.Object != "chat.completion.chunk" || len(c.Choices) != 1 {
		t.Fatalf("chunk %s: %v", data, err)
	}
	return c
}

func waitSent(t *testing.T, m *fakeModel) {
	t.Helper()
	select {
	case <-m.sent:
	case <-time.After(30 * time.Second):
		t.Fatal("the model never sent its first chunk")
	}
}

const enabled = `{chatCompletions: {enabled: true}, responses: {enabled: true, maxBodyBytes: 4096}}`

// TestChatCompletions runs the chat completions endpoint of a real gateway against
// the fake model, with a plain HTTP client and with the openai-go SDK.
func TestChatCompletions(t *testing.T) {
	m := newFakeModel(t)
	g := startGateway(t, m, enabled)

	t.Run("stream arrives chunk by chunk and lands in the session", func(t *testing.T) {
		release := m.hold()
		defer release()
		body := `{"model":"clawdbot","stream":true,"user":"Alice","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there"}]}`
		resp := g.post(t, "/v1/chat/completions", testToken, []byte(body), nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("status %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
		s := &sseReader{bufio.NewReader(resp.Body)}
		first := s.chunk(t)
		if first.Choices[0].Delta.Role != "assistant" || !strings.HasPrefix(first.ID, "chatcmpl_") || first.Model != "clawdbot" {
			t.Fatalf("first chunk %+v", first)
		}
		// The model holds the rest of its answer until this chunk has arrived here.
		if c := s.chunk(t); c.Choices[0].Delta.Content != "re: " || c.ID != first.ID {
			t.Fatalf("first content chunk %+v", c)
		}
		waitSent(t, m)
		release()
		rest, finish := s.rest(t)
		if rest != "hello there" || finish != "stop" {
			t.Fatalf("rest %q finish %q", rest, finish)
		}
		if _, data := s.next(t); data != "[DONE]" {
			t.Fatalf("after the finish chunk: %s", data)
		}
		wantHistory(t, g, "agent:main:openai-user:alice", "user: hello there", "assistant: re: hello there")
	})

	// The command line a user tries first: curl -N prints the chunks as they come.
	t.Run("curl streams the answer", func(t *testing.T) {
		curl, err := exec.LookPath("curl")
		if err != nil {
			t.Skip("curl not installed")
		}
		release := m.hold()
		defer release()
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, curl, "-sS", "-N", "--fail-with-body", "--noproxy", "*",
			"-H", "Authorization: Bearer "+testToken, "-H", "Content-Type: application/json",
			"-d", `{"model":"clawdbot","stream":true,"user":"curl","messages":[{"role":"user","content":"from curl"}]}`,
			g.base+"/v1/chat/completions")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		s := &sseReader{bufio.NewReader(out)}
		if c := s.chunk(t); c.Choices[0].Delta.Role != "assistant" {
			t.Fatalf("first chunk %+v", c)
		}
		// curl prints the first words while the model still holds the rest.
		if c := s.chunk(t); c.Choices[0].Delta.Content != "re: " {
			t.Fatalf("first content chunk %+v", c)
		}
		waitSent(t, m)
		release()
		rest, finish := s.rest(t)
		if _, data := s.next(t); rest != "from curl" || finish != "stop" || data != "[DONE]" {
			t.Fatalf("rest %q finish %q, then %q", rest, finish, data)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("curl: %v: %s", err, stderr.String())
		}
	})

	t.Run("non-stream answer", func(t *testing.T) {
		resp := g.post(t, "/v1/chat/completions", testToken, []byte(`{"messages":[{"role":"user","content":[{"type":"text","text":"ping"}]}]}`),
			map[string]string{"X-Clawdbot-Session-Key": "agent:main:http-test"})
		var out struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Model   string `json:"model"`
			Choices []struct {
				Message struct {
					Role    string `json:"role"`
					Content string `json:"content"`
				} `json:"message"`
				FinishReason string `json:"finish_reason"`
			} `json:"choices"`
			Usage struct {
				TotalTokens int `json:"total_tokens"`
			} `json:"usage"`
		}
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if out.Object != "chat.completion" || out.Model != "clawdbot" || len(out.Choices) != 1 || out.Choices[0].Message.Content != "re: ping" ||
			out.Choices[0].Message.Role != "assistant" || out.Choices[0].FinishReason != "stop" || out.Usage.TotalTokens != 10 {
			t.Fatalf("answer %+v", out)
		}
		wantHistory(t, g, "agent:main:http-test", "user: ping", "assistant: re: ping")
	})

	// Through the real model loop: the streamed deltas are the reply without its tag,
	// the transcript keeps the raw reply.
	t.Run("stream hides reply tags", func(t *testing.T) {
		body := `{"stream":true,"user":"tagged","messages":[{"role":"user","content":"hi [[reply_to_current]]"}]}`
		resp := g.post(t, "/v1/chat/completions", testToken, []byte(body), nil)
		s := &sseReader{bufio.NewReader(resp.Body)}
		if c := s.chunk(t); c.Choices[0].Delta.Role != "assistant" {
			t.Fatalf("first chunk %+v", c)
		}
		if text, finish := s.rest(t); text != "re: hi" || finish != "stop" {
			t.Fatalf("streamed %q finish %q", text, finish)
		}
		wantHistory(t, g, "agent:main:openai-user:tagged", "user: hi [[reply_to_current]]", "assistant: re: hi [[reply_to_current]]")
	})

	t.Run("earlier messages are quoted into the turn", func(t *testing.T) {
		body := `{"user":"quoter","messages":[{"role":"user","content":"one"},{"role":"assistant","content":"two"},{"role":"user","content":"three"}]}`
		resp := g.post(t, "/v1/chat/completions", testToken, []byte(body), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		prompt := "[Chat messages since your last reply - for context]\nUser: one\nAssistant: two\n\n[Current message - respond to this]\nUser: three"
		wantHistory(t, g, "agent:main:openai-user:quoter", "user: "+prompt, "assistant: re: "+prompt)
	})

	t.Run("openai-go SDK", func(t *testing.T) {
		client := openai.NewClient(option.WithBaseURL(g.base+"/v1/"), option.WithAPIKey(testToken), option.WithMaxRetries(0))
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		res, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "clawdbot", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("from sdk")},
		})
		if err != nil || len(res.Choices) != 1 || res.Choices[0].Message.Content != "re: from sdk" {
			t.Fatalf("SDK non-stream: %+v %v", res, err)
		}

		release := m.hold()
		defer release()
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model: "clawdbot", User: openai.String("sdk"), Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("streamed")},
		})
		var acc openai.ChatCompletionAccumulator
		var deltas []string
		for stream.Next() {
			c := stream.Current()
			acc.AddChunk(c)
			if len(c.Choices) == 1 && c.Choices[0].Delta.Content != "" {
				deltas = append(deltas, c.Choices[0].Delta.Content)
				if len(deltas) == 1 {
					waitSent(t, m)
					release()
				}
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if strings.Join(deltas, "|") != "re: |streamed" || acc.Choices[0].Message.Content != "re: streamed" || acc.Choices[0].FinishReason != "stop" {
			t.Fatalf("SDK stream: deltas %q, accumulated %+v", deltas, acc.Choices)
		}
		wantHistory(t, g, "agent:main:openai-user:sdk", "user: streamed", "assistant: re: streamed")

		bad := openai.NewClient(option.WithBaseURL(g.base+"/v1/"), option.WithAPIKey("wrong"), option.WithMaxRetries(0))
		_, err = bad.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "clawdbot", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
			t.Fatalf("SDK with a wrong key: %v", err)
		}
	})

	for _, tc := range []struct {
		name, tok, body string
		status          int
		errType, msg    string
	}{
		{"no token", "", `{"messages":[{"role":"user","content":"x"}]}`, 401, "unauthorized", "Unauthorized"},
		{"wrong token", "nope", `{"messages":[{"role":"user","content":"x"}]}`, 401, "unauthorized", "Unauthorized"},
		{"bad JSON", testToken, `{"messages":[`, 400, "invalid_request_error", "invalid JSON"},
		{"no user message", testToken, `{"messages":[{"role":"system","content":"x"}]}`, 400, "invalid_request_error", "Missing user message in `messages`."},
		{"over the cap", testToken, `{"messages":[{"role":"user","content":"` + strings.Repeat("a", 1<<20) + `"}]}`, 413, "request_too_large", "payload too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := g.post(t, "/v1/chat/completions", tc.tok, []byte(tc.body), nil)
			var e struct {
				Error struct{ Message, Type string } `json:"error"`
			}
			if resp.StatusCode != tc.status || json.NewDecoder(resp.Body).Decode(&e) != nil || e.Error.Type != tc.errType || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("status %d, error %+v; want %d %s %q", resp.StatusCode, e.Error, tc.status, tc.errType, tc.msg)
			}
		})
	}

	t.Run("GET is not allowed", func(t *testing.T) {
		resp, err := http.Get(g.base + "/v1/chat/completions")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
			t.Fatalf("status %d allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}

// TestResponses runs /v1/responses (OpenResponses) on a real gateway.
func TestResponses(t *testing.T) {
	m := newFakeModel(t)
	g := startGateway(t, m, enabled)

	t.Run("non-stream", func(t *testing.T) {
		resp := g.post(t, "/v1/responses", testToken, []byte(`{"model":"clawdbot","input":"hi","instructions":"be nice","user":"rita"}`), nil)
		var out struct {
			ID     string `json:"id"`
			Object string `json:"object"`
			Status string `json:"status"`
			Output []struct {
				Type, Role, Status string
				Content            []struct{ Type, Text string }
			} `json:"output"`
			Usage struct {
				TotalTokens int `json:"total_tokens"`
			} `json:"usage"`
		}
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if !strings.HasPrefix(out.ID, "resp_") || out.Object != "response" || out.Status != "completed" || len(out.Output) != 1 ||
			out.Output[0].Type != "message" || out.Output[0].Role != "assistant" || out.Output[0].Content[0].Text != "re: hi" || out.Usage.TotalTokens != 10 {
			t.Fatalf("answer %+v", out)
		}
		wantHistory(t, g, "agent:main:openresponses-user:rita", "user: hi", "assistant: re: hi")
	})

	t.Run("stream events", func(t *testing.T) {
		release := m.hold()
		defer release()
		input := `[{"type":"message","role":"developer","content":"terse"},{"type":"message","role":"user","content":[{"type":"input_text","text":"go"}]}]`
		resp := g.post(t, "/v1/responses", testToken, []byte(`{"model":"clawdbot","stream":true,"input":`+input+`}`), map[string]string{"X-Clawdbot-Session-Key": "resp-stream"})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		s := &sseReader{bufio.NewReader(resp.Body)}
		var names []string
		var text string
		for {
			name, data := s.next(t)
			if data == "[DONE]" {
				break
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(data), &ev); err != nil || ev["type"] != name {
				t.Fatalf("event %s: %s", name, data)
			}
			names = append(names, name)
			if name == "response.output_text.delta" {
				text += ev["delta"].(string)
				if text == "re: " {
					waitSent(t, m)
					release()
				}
			}
			if name == "response.completed" {
				r := ev["response"].(map[string]any)
				if r["status"] != "completed" || r["output"].([]any)[0].(map[string]any)["content"].([]any)[0].(map[string]any)["text"] != "re: go" {
					t.Fatalf("completed: %s", data)
				}
			}
		}
		want := "response.created response.in_progress response.output_item.added response.content_part.added response.output_text.delta response.output_text.delta response.output_text.done response.content_part.done response.output_item.done response.completed"
		if strings.Join(names, " ") != want || text != "re: go" {
			t.Fatalf("events %v text %q", names, text)
		}
		wantHistory(t, g, "agent:main:resp-stream", "user: go", "assistant: re: go")
	})

	t.Run("openai-go SDK stream", func(t *testing.T) {
		client := openai.NewClient(option.WithBaseURL(g.base+"/v1/"), option.WithAPIKey(testToken), option.WithMaxRetries(0))
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		stream := client.Responses.NewStreaming(ctx, responses.ResponseNewParams{
			Model: "clawdbot", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("sdk says")},
		})
		var text, final string
		for stream.Next() {
			ev := stream.Current()
			switch ev.Type {
			case "response.output_text.delta":
				text += ev.Delta
			case "response.completed":
				final = ev.Response.OutputText()
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if text != "re: sdk says" || final != "re: sdk says" {
			t.Fatalf("deltas %q final %q", text, final)
		}

		// Whole, with the SDK's easy input messages (no item type) and instructions.
		res, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "clawdbot", Instructions: openai.String("short"), User: openai.String("sdk-user"),
			Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
				responses.ResponseInputItemParamOfMessage("first", responses.EasyInputMessageRoleUser),
				responses.ResponseInputItemParamOfMessage("answer", responses.EasyInputMessageRoleAssistant),
				responses.ResponseInputItemParamOfMessage("second", responses.EasyInputMessageRoleUser),
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		prompt := "[Chat messages since your last reply - for context]\nUser: first\nAssistant: answer\n\n[Current message - respond to this]\nUser: second"
		if res.Status != "completed" || res.OutputText() != "re: "+prompt {
			t.Fatalf("SDK whole: %s %q", res.Status, res.OutputText())
		}
		wantHistory(t, g, "agent:main:openresponses-user:sdk-user", "user: "+prompt, "assistant: re: "+prompt)
	})

	for _, tc := range []struct {
		name, body string
		status     int
		msg        string
	}{
		{"unknown field", `{"model":"m","input":"x","bogus":1}`, 400, "bogus"},
		{"no model", `{"input":"x"}`, 400, "model"},
		{"image without a source", `{"model":"m","input":[{"type":"message","role":"user","content":[{"type":"input_image"}]}]}`, 400, "input_image part: missing source"},
		{"client tools", `{"model":"m","input":"x","tools":[{"type":"function","function":{"name":"f"}}]}`, 400, "tools"},
		{"over maxBodyBytes", `{"model":"m","input":"` + strings.Repeat("b", 5000) + `"}`, 413, "payload too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := g.post(t, "/v1/responses", testToken, []byte(tc.body), nil)
			var e struct {
				Error struct{ Message, Type string } `json:"error"`
			}
			if resp.StatusCode != tc.status || json.NewDecoder(resp.Body).Decode(&e) != nil || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("status %d, error %+v; want %d %q", resp.StatusCode, e.Error, tc.status, tc.msg)
			}
		})
	}
}

// TestDisabledByDefault: without gateway.http.endpoints the paths are not served;
// enabling one in the config file restarts the gateway with it served.
func TestDisabledByDefault(t *testing.T) {
	m := newFakeModel(t)
	g := startGateway(t, m, `{}`)
	body := []byte(`{"model":"m","input":"x","messages":[{"role":"user","content":"x"}]}`)
	for _, p := range []string{"/v1/chat/completions", "/v1/responses"} {
		if resp := g.post(t, p, testToken, body, nil); resp.StatusCode != 404 {
			t.Fatalf("%s: status %d, want 404", p, resp.StatusCode)
		}
	}
	if err := os.WriteFile(g.path, []byte(g.cfg(`{chatCompletions: {enabled: true}}`)), 0o600); err != nil {
		t.Fatal(err)
	}
	// The change restarts the gateway in process; poll until the new server answers.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodPost, g.base+"/v1/chat/completions", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("chat completions not served after enabling them (last: %v)", err)
		}
	}
	if resp := g.post(t, "/v1/responses", testToken, body, nil); resp.StatusCode != 404 {
		t.Fatalf("responses: status %d, want 404", resp.StatusCode)
	}
}
