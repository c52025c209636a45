package gateway

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytest"
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
	// Dialling this many clients under -race on a busy machine took longer than the
	// default 30 s tick, whose own tick event then came first; the test's ticks are
	// the only ones it expects.
	g := startGateway(t, Options{TickInterval: time.Hour})
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

// TestBroadcastAllOneWrite: events broadcast together reach a client in order, with
// consecutive seqs and the same frames one Broadcast each would produce, in one socket
// write instead of one per event.
func TestBroadcastAllOneWrite(t *testing.T) {
	g := startGateway(t, Options{})
	c := dial(t, g.url)
	c.Handshake(v3Connect(nil))
	c.NextEvent("health") // the connect's health refresh; nothing else is sent until the tick
	text := func(s string) json.RawMessage {
		return json.RawMessage(`{"content":[{"text":"` + s + `","type":"text"}],"role":"assistant","timestamp":1}`)
	}
	evs := func(run string) []protocol.Event {
		return []protocol.Event{
			&protocol.ChatEvent{RunID: run, SessionKey: "main", Seq: 2, State: protocol.ChatEventStateDelta, Message: text("a")},
			&protocol.TickEvent{Ts: 7},
			&protocol.ChatEvent{RunID: run, SessionKey: "main", Seq: 3, State: protocol.ChatEventStateFinal, Message: text("ab")},
		}
	}
	// next reads the next n events, whatever their names, in arrival order.
	next := func(n int) []*gatewaytest.Frame {
		out := make([]*gatewaytest.Frame, 0, n)
		for range n {
			select {
			case f := <-c.Events:
				out = append(out, f)
			case <-time.After(10 * time.Second):
				t.Fatalf("%d of %d events", len(out), n)
			}
		}
		return out
	}
	sc := g.s.hub.snapshot()[0]
	// idle waits until no writer holds the socket, so the next broadcast finds it idle
	// (a writer that has just written the last frames may still be finishing up).
	idle := func() {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			sc.out.mu.Lock()
			running := sc.out.running
			sc.out.mu.Unlock()
			if !running {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the socket's writer never finished")
			}
		}
	}
	idle()
	w0 := g.s.metrics.writes.Load()
	var oneByOne []int64
	for _, ev := range evs("r") {
		oneByOne = append(oneByOne, g.s.Broadcast(ev))
	}
	sep := next(3)
	idle()
	w1 := g.s.metrics.writes.Load()
	g.s.BroadcastAll(evs("r")...)
	all := next(3)
	w2 := g.s.metrics.writes.Load()
	// One by one, each Broadcast finds the socket idle and writes (3), unless a write
	// is still under way and takes the next frame along; the batch is always one write.
	if w1-w0 < 1 || w1-w0 > 3 || w2-w1 != 1 {
		t.Fatalf("socket writes: %d for three Broadcasts (want 1-3), %d for one BroadcastAll (want 1)", w1-w0, w2-w1)
	}
	for i := range all {
		if sep[i].Event != all[i].Event || string(sep[i].Payload) != string(all[i].Payload) {
			t.Fatalf("event %d: %s %s, one by one %s %s", i, all[i].Event, all[i].Payload, sep[i].Event, sep[i].Payload)
		}
		if *sep[i].Seq != oneByOne[i] || *all[i].Seq != oneByOne[2]+1+int64(i) {
			t.Fatalf("event %d: seq %d (one by one %d, returned %d), want %d", i, *all[i].Seq, *sep[i].Seq, oneByOne[i], oneByOne[2]+1+int64(i))
		}
	}
	// Nothing and one event are plain cases of the same call.
	g.s.BroadcastAll()
	g.s.BroadcastAll(&protocol.TickEvent{Ts: 8})
	if f := next(1)[0]; f.Event != "tick" || *f.Seq != oneByOne[2]+4 {
		t.Fatalf("single event: %s seq %d", f.Event, *f.Seq)
	}
}

// TestBroadcastAllRespectsScopes: in a batch each event goes only where a single
// Broadcast of it would go (an operator without the pairing scope gets no pairing
// event), and the seqs still count every event, as for single broadcasts.
func TestBroadcastAllRespectsScopes(t *testing.T) {
	g := startGateway(t, Options{})
	full := dial(t, g.url)
	full.Handshake(v3Connect(map[string]any{"scopes": []string{"operator.admin"}}))
	read := dial(t, g.url)
	read.Handshake(v3Connect(map[string]any{"scopes": []string{"operator.read"}}))
	g.s.BroadcastAll(&protocol.NodePairResolvedEvent{RequestID: "q", NodeID: "n", Decision: protocol.PairingDecisionApproved, Ts: 1}, &protocol.TickEvent{Ts: 9})
	pair := full.NextEvent("node.pair.resolved")
	tick := full.NextEvent("tick")
	if *tick.Seq != *pair.Seq+1 {
		t.Fatalf("seqs pair %d tick %d", *pair.Seq, *tick.Seq)
	}
	for {
		select {
		case f := <-read.Events:
			if f.Event == "node.pair.resolved" {
				t.Fatalf("pairing event reached a client without the pairing scope: %s", f.Raw)
			}
			if f.Event != "tick" {
				continue
			}
			if *f.Seq != *tick.Seq {
				t.Fatalf("tick seq %d, want %d", *f.Seq, *tick.Seq)
			}
			return
		case <-time.After(10 * time.Second):
			t.Fatal("no tick")
		}
	}
}
