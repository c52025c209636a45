package llm

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/openai/openai-go/v3/packages/ssestream"
)

type sseResult struct {
	events []ssestream.Event
	err    string
}

func decodeAll(d ssestream.Decoder) sseResult {
	var r sseResult
	for d.Next() {
		e := d.Event()
		r.events = append(r.events, ssestream.Event{Type: e.Type, Data: append([]byte(nil), e.Data...)})
	}
	if err := d.Err(); err != nil {
		r.err = err.Error()
	}
	_ = d.Close()
	return r
}

func sseResponse(body io.Reader) *http.Response {
	return &http.Response{Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: io.NopCloser(body)}
}

// TestSSEDecoderMatchesSDK: the pooled decoder yields the events and errors the SDK's
// text/event-stream decoder yields, for the shapes event streams come in.
func TestSSEDecoderMatchesSDK(t *testing.T) {
	long := strings.Repeat("x", 3*sseScanBufferSize+17)
	cases := map[string]string{
		"empty":           "",
		"one event":       "data: {\"a\":1}\n\n",
		"done":            "data: {\"a\":1}\n\ndata: [DONE]\n\n",
		"crlf":            "data: one\r\n\r\ndata: two\r\n\r\n",
		"named":           "event: thread.run\ndata: {}\n\nevent: ping\n\n",
		"multi-line data": "data: a\ndata: b\ndata:c\n\n",
		"comments":        ": keep-alive\n\n: x\ndata: y\n\n",
		"no final blank":  "data: unterminated\n",
		"unknown fields":  "id: 7\nretry: 10\ndata: z\n\n",
		"no space":        "data:tight\n\n",
		"blank lines":     "\n\n\ndata: q\n\n\n\n",
		"long line":       "data: " + long + "\n\ndata: after\n\n",
		"colon in value":  "data: a: b\n\n",
	}
	var pool ssePool
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			for round := range 3 { // reused buffers decode the same
				want := decodeAll(ssestream.NewDecoder(sseResponse(strings.NewReader(body))))
				got := decodeAll(pool.newDecoder(sseResponse(strings.NewReader(body))))
				if !equalSSE(got, want) {
					t.Fatalf("round %d: got %+v, SDK %+v", round, got, want)
				}
			}
		})
	}
	t.Run("read error", func(t *testing.T) {
		body := func() io.Reader {
			return io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(errors.New("connection reset")))
		}
		want := decodeAll(ssestream.NewDecoder(sseResponse(body())))
		got := decodeAll(pool.newDecoder(sseResponse(body())))
		if !equalSSE(got, want) || want.err == "" {
			t.Fatalf("got %+v, SDK %+v", got, want)
		}
	})
	if d := pool.newDecoder(nil); d != nil {
		t.Fatal("decoder without a response")
	}
}

func equalSSE(a, b sseResult) bool {
	if a.err != b.err || len(a.events) != len(b.events) {
		return false
	}
	for i := range a.events {
		if a.events[i].Type != b.events[i].Type || string(a.events[i].Data) != string(b.events[i].Data) {
			return false
		}
	}
	return true
}

// TestSSEDecoderClosed: after Close the buffer is back in the pool and the decoder
// reads nothing more.
func TestSSEDecoderClosed(t *testing.T) {
	var pool ssePool
	d := pool.newDecoder(sseResponse(strings.NewReader("data: a\n\ndata: b\n\n")))
	if !d.Next() || string(d.Event().Data) != "a\n" {
		t.Fatal("first event")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if d.Next() {
		t.Fatal("event after close")
	}
	if err := d.Err(); err != nil {
		t.Fatalf("err after close: %v", err)
	}
	if err := d.Close(); err != nil { // a second close gives nothing back twice
		t.Fatal(err)
	}
}
