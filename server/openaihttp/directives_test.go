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

// scriptBackend streams its chunks in order and answers their concatenation.
type scriptBackend struct{ chunks []string }

func (b scriptBackend) Run(_ context.Context, _ backend.Request, onDelta func(backend.Delta)) (backend.Result, error) {
	for _, c := range b.chunks {
		if onDelta != nil {
			onDelta(backend.Delta{Text: c})
		}
	}
	return backend.Result{Text: strings.Join(b.chunks, "")}, nil
}

// TestReplyDirectivesHidden: both endpoints, whole and streamed, answer with the reply
// as a person sees it, as the original's: reply tags removed (also while a tag is
// still being streamed), and a silent reply (NO_REPLY) answered as no response.
func TestReplyDirectivesHidden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		chunks []string
		want   string
	}{
		{"current tag", []string{"[[reply_to_current]] Hi", " there"}, "Hi there"},
		{"tag split across chunks", []string{"[[reply_", "to_current]] Hi"}, "Hi"},
		{"explicit tag at the end", []string{"Sure", " [[reply_to:123]]"}, "Sure"},
		{"silent", []string{"NO_", "REPLY"}, noResponse},
		{"silent after tag", []string{"[[reply_to_current]]", " NO_REPLY"}, noResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := directivesServer(t, scriptBackend{tc.chunks})
			post := func(path, body string) *http.Response {
				t.Helper()
				resp, err := (&http.Client{Timeout: 30 * time.Second}).Post(srv.URL+path, "application/json", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { resp.Body.Close() })
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: status %d", path, resp.StatusCode)
				}
				return resp
			}

			var whole struct {
				Choices []struct {
					Message struct{ Content string } `json:"message"`
				} `json:"choices"`
			}
			if err := json.NewDecoder(post(ChatCompletionsPath, `{"messages":[{"role":"user","content":"x"}]}`).Body).Decode(&whole); err != nil || len(whole.Choices) != 1 {
				t.Fatalf("chat: %v %+v", err, whole)
			}
			if got := whole.Choices[0].Message.Content; got != tc.want {
				t.Errorf("chat: %q, want %q", got, tc.want)
			}

			streamed := ""
			for _, data := range sseData(t, post(ChatCompletionsPath, `{"stream":true,"messages":[{"role":"user","content":"x"}]}`)) {
				var c struct {
					Choices []struct {
						Delta struct{ Content string } `json:"delta"`
					} `json:"choices"`
				}
				if err := json.Unmarshal([]byte(data), &c); err != nil || len(c.Choices) != 1 {
					t.Fatalf("chunk %s: %v", data, err)
				}
				streamed += c.Choices[0].Delta.Content
			}
			if streamed != tc.want {
				t.Errorf("chat stream: %q, want %q", streamed, tc.want)
			}

			var res struct {
				Output []struct {
					Content []struct{ Text string } `json:"content"`
				} `json:"output"`
			}
			if err := json.NewDecoder(post(ResponsesPath, `{"model":"m","input":"x"}`).Body).Decode(&res); err != nil || len(res.Output) != 1 || len(res.Output[0].Content) != 1 {
				t.Fatalf("responses: %v %+v", err, res)
			}
			if got := res.Output[0].Content[0].Text; got != tc.want {
				t.Errorf("responses: %q, want %q", got, tc.want)
			}

			deltas, final := "", ""
			for _, data := range sseData(t, post(ResponsesPath, `{"model":"m","input":"x","stream":true}`)) {
				var ev struct {
					Type  string `json:"type"`
					Delta string `json:"delta"`
					Text  string `json:"text"`
				}
				if err := json.Unmarshal([]byte(data), &ev); err != nil {
					t.Fatalf("event %s: %v", data, err)
				}
				switch ev.Type {
				case "response.output_text.delta":
					deltas += ev.Delta
				case "response.output_text.done":
					final = ev.Text
				}
			}
			if deltas != tc.want || final != tc.want {
				t.Errorf("responses stream: deltas %q, done %q, want %q", deltas, final, tc.want)
			}
		})
	}
}

// directivesServer is the endpoints on a runtime whose model is be.
func directivesServer(t *testing.T, be backend.Backend) *httptest.Server {
	t.Helper()
	store, err := sessions.Open(t.Context(), sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	rt, err := agent.New(agent.Options{Backend: be, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	srv := httptest.NewServer(New(Options{Runner: rt, ChatCompletions: true, Responses: true}))
	t.Cleanup(srv.Close)
	return srv
}

// sseData is the data of every event of a finished SSE response, [DONE] excluded.
func sseData(t *testing.T, resp *http.Response) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if ok && data != "[DONE]" {
			out = append(out, data)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
