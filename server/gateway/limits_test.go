package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// TestFrameSizeAtTheLimit: a frame of exactly MaxPayload bytes is read and answered;
// one byte more closes the connection with 1009 (message too big).
func TestFrameSizeAtTheLimit(t *testing.T) {
	const limit = 64 * 1024
	g := startGateway(t, Options{MaxPayload: limit})
	frameOf := func(size int) []byte {
		head := `{"type":"req","id":"big","method":"status","params":{"pad":"`
		tail := `"}}`
		return []byte(head + strings.Repeat("x", size-len(head)-len(tail)) + tail)
	}
	connected := func() *rawConn {
		r := dialRaw(t, g.url)
		b, _ := json.Marshal(map[string]any{"type": "req", "id": "c", "method": "connect", "params": v2Connect(nil)})
		r.WriteFrame(1, b)
		for {
			op, p, err := r.ReadFrame(10 * time.Second)
			if err != nil || op == 8 {
				t.Fatalf("handshake: %v %q", err, p)
			}
			if strings.Contains(string(p), `"id":"c"`) {
				return r
			}
		}
	}
	t.Run(fmt.Sprint("exactly ", limit, " bytes is answered"), func(t *testing.T) {
		r := connected()
		f := frameOf(limit)
		if len(f) != limit {
			t.Fatalf("frame is %d bytes", len(f))
		}
		r.WriteFrame(1, f)
		for {
			op, p, err := r.ReadFrame(10 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if op == 8 {
				t.Fatalf("closed at the limit: %q", p)
			}
			if strings.Contains(string(p), `"id":"big"`) {
				// Answered (the pad makes the params invalid, which is beside the point).
				if !strings.Contains(string(p), `"type":"res"`) {
					t.Fatalf("answer: %.200s", p)
				}
				return
			}
		}
	})
	t.Run("one byte over closes 1009", func(t *testing.T) {
		r := connected()
		r.WriteFrame(1, frameOf(limit+1))
		if code, _ := r.ReadUntilClose(); code != 1009 {
			t.Fatalf("close code %d, want 1009", code)
		}
	})
}

// blocking is an agent group whose runs wait for release, counting how many run at once.
type blocking struct {
	protocol.UnimplementedAgentHandler[*Conn]
	release chan struct{}
	started chan struct{}
	mu      sync.Mutex
	running int
	max     int
}

func (b *blocking) Agent(ctx context.Context, c *Conn, p *protocol.AgentParams) (*protocol.AgentResult, error) {
	b.mu.Lock()
	b.running++
	b.max = max(b.max, b.running)
	b.mu.Unlock()
	b.started <- struct{}{}
	<-b.release
	b.mu.Lock()
	b.running--
	b.mu.Unlock()
	return &protocol.AgentResult{RunID: p.IdempotencyKey, Status: protocol.AgentResultStatusOk}, nil
}

// TestInflightAtTheLimit: a connection runs at most MaxInflight requests at once; the
// next ones wait (the connection stops reading) and run as slots free up — none is
// dropped.
func TestInflightAtTheLimit(t *testing.T) {
	const limit, total = 3, 6
	b := &blocking{release: make(chan struct{}), started: make(chan struct{}, total)}
	g := startGateway(t, Options{MaxInflight: limit}, func(s *Server) {
		s.Mux().SetAgent(b)
	})
	c := dial(t, g.url)
	c.Handshake(v3Connect(nil))
	var answers []chan *frame
	for i := range total {
		_, ch := c.Request("agent", map[string]any{"message": "x", "idempotencyKey": fmt.Sprint("k", i)})
		answers = append(answers, ch)
	}
	for range limit {
		select {
		case <-b.started:
		case <-time.After(10 * time.Second):
			t.Fatal("requests did not start")
		}
	}
	// Free the slots one by one; every request runs and is answered.
	for i := range total {
		b.release <- struct{}{}
		if i+limit < total {
			select {
			case <-b.started:
			case <-time.After(10 * time.Second):
				t.Fatalf("request %d did not start after a slot freed", i+limit)
			}
		}
	}
	for i, ch := range answers {
		select {
		case f := <-ch:
			if !f.OK {
				t.Fatalf("request %d: %s", i, f.Raw)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("request %d not answered", i)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.max != limit {
		t.Fatalf("at most %d ran at once, want exactly %d", b.max, limit)
	}
}
