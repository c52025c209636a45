package gateway

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

func TestAppendFrameHeader(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xFF, 0xFF}},
		{65536, binary.BigEndian.AppendUint64([]byte{0x81, 127}, 65536)},
	} {
		if got := appendFrameHeader(nil, opText, tc.n); string(got) != string(tc.want) {
			t.Errorf("header(%d) = %x, want %x", tc.n, got, tc.want)
		}
	}
}

// TestOutboxFramesEverySize: events whose frames need each header form reach a real
// client (gws parses them) intact and in seq order.
func TestOutboxFramesEverySize(t *testing.T) {
	g := startGateway(t, Options{MaxPayload: 1 << 20})
	c := dial(t, g.url)
	c.Handshake(v3Connect(nil))
	// Text lengths chosen so the frames straddle the 125/126 and 65535/65536 borders.
	sizes := []int{0, 60, 100, 65400, 65500, 70000, 300000}
	for _, n := range sizes {
		text := strings.Repeat("y", n)
		g.s.Broadcast(&protocol.PresenceEvent{Presence: []protocol.PresenceEntry{{Ts: int64(n), Text: &text}}})
	}
	var last int64
	for _, n := range sizes {
		f := c.NextEvent("presence")
		var pe protocol.PresenceEvent
		if err := pe.UnmarshalJSON(f.Payload); err != nil {
			t.Fatal(err)
		}
		if len(pe.Presence) != 1 || pe.Presence[0].Ts != int64(n) || len(*pe.Presence[0].Text) != n {
			t.Fatalf("event for size %d arrived wrong", n)
		}
		if *f.Seq <= last {
			t.Fatalf("seq %d after %d", *f.Seq, last)
		}
		last = *f.Seq
	}
}

// TestOutboxCoalescesWhileBlocked: frames queued while the socket does not drain are
// all delivered, in order, once the client reads again, and the byte count returns to
// zero.
func TestOutboxCoalescesWhileBlocked(t *testing.T) {
	g := startGateway(t, Options{MaxBufferedBytes: 64 << 20})
	raw := dialRawCLI(t, g.url, "reader")
	// Not reading: ~8 MB of events fill the socket buffers and then the outbox.
	const n = 400
	text := strings.Repeat("z", 20000)
	first := int64(-1)
	for i := range n {
		seq := g.s.Broadcast(&protocol.PresenceEvent{Presence: []protocol.PresenceEntry{{Ts: int64(i), Text: &text}}})
		if first < 0 {
			first = seq
		}
	}
	for i := range n {
		var p []byte
		for {
			op, data, err := raw.ReadFrame(20 * time.Second)
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if op == 1 && strings.Contains(string(data), `"event":"presence"`) {
				p = data
				break
			}
		}
		if want := fmt.Sprintf(`"seq":%d`, first+int64(i)); !strings.Contains(string(p), want) {
			t.Fatalf("frame %d: want %s, got %.120s", i, want, p)
		}
	}
	var sc *Conn
	for _, c := range g.s.hub.snapshot() {
		sc = c
	}
	for deadline := time.Now().Add(10 * time.Second); sc.buffered.Load() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("buffered = %d after everything was read", sc.buffered.Load())
		}
	}
}

// TestBroadcastToManySockets: a broadcast past parallelFlushMin receivers (written from
// several goroutines) reaches every client, each in seq order.
func TestBroadcastToManySockets(t *testing.T) {
	g := startGateway(t, Options{})
	n := parallelFlushMin + 88
	clients := make([]*testClient, n)
	for i := range clients {
		clients[i] = dial(t, g.url)
		clients[i].Handshake(v2Connect(map[string]any{"client": map[string]any{"name": "many", "version": "1", "platform": "linux", "mode": "cli"}}))
	}
	const events = 20
	for i := range events {
		g.s.Broadcast(&protocol.TickEvent{Ts: int64(i)})
	}
	for ci, c := range clients {
		var last int64
		for i := range events {
			f := c.NextEvent("tick")
			var te protocol.TickEvent
			if err := te.UnmarshalJSON(f.Payload); err != nil || te.Ts != int64(i) || *f.Seq <= last {
				t.Fatalf("client %d event %d: %s", ci, i, f.Raw)
			}
			last = *f.Seq
		}
	}
}

// TestOutboxMixesSharedAndPrivateFrames: broadcast frames (shared by every queue) and
// frames for one connection (pooled per-connection buffers) queued while the socket
// does not drain come out complete and in the order they were queued.
func TestOutboxMixesSharedAndPrivateFrames(t *testing.T) {
	g := startGateway(t, Options{MaxBufferedBytes: 64 << 20})
	raw := dialRawCLI(t, g.url, "mix")
	var sc *Conn
	for _, c := range g.s.hub.snapshot() {
		sc = c
	}
	text := strings.Repeat("m", 30000)
	const n = 300
	for i := range n {
		if i%3 == 0 {
			sc.SendEvent(&protocol.TickEvent{Ts: int64(i)}) // private
		} else {
			g.s.Broadcast(&protocol.PresenceEvent{Presence: []protocol.PresenceEntry{{Ts: int64(i), Text: &text}}})
		}
	}
	for i := range n {
		var data []byte
		for {
			op, p, err := raw.ReadFrame(20 * time.Second)
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if op == 1 && (strings.Contains(string(p), `"event":"tick"`) || strings.Contains(string(p), `"event":"presence"`)) {
				data = p
				break
			}
		}
		want := fmt.Sprintf(`"ts":%d`, i)
		if i%3 == 0 && !strings.Contains(string(data), `"event":"tick"`) || !strings.Contains(string(data), want) {
			t.Fatalf("frame %d out of order or damaged: %.100s", i, data)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); sc.buffered.Load() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("buffered = %d after everything was read", sc.buffered.Load())
		}
	}
}
