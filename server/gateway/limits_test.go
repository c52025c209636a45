package gateway

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
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
		r.writeFrame(1, b)
		for {
			op, p, err := r.readFrame(10 * time.Second)
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
		r.writeFrame(1, f)
		for {
			op, p, err := r.readFrame(10 * time.Second)
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
		r.writeFrame(1, frameOf(limit+1))
		if code, _ := r.readUntilClose(); code != 1009 {
			t.Fatalf("close code %d, want 1009", code)
		}
	})
}
