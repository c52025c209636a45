package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/presence"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// BenchmarkDispatchHealth measures the server's per-request path without the network:
// decode the frame, validate params, call the handler, encode the res frame.
func BenchmarkDispatchHealth(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.health.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer s.health.Close()
	frame := []byte(`{"type":"req","id":"6c1f6a0e-3b1e-4d8e-9a63-3c2a1f9e6b10","method":"health","params":{}}`)
	c := &Conn{srv: s, proto: 3}
	var d wire.Decoder
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		d.Reset(frame)
		d.BorrowRaw = true
		var req protocol.RequestFrame
		if err := req.DecodeJSON(&d, nil); err != nil {
			b.Fatal(err)
		}
		r, err := s.methods.Dispatch(context.Background(), c, &d, 3, req.Method, req.Params)
		if err != nil {
			b.Fatal(err)
		}
		buf = appendRes(buf[:0], req.ID, r, nil)
	}
}

// BenchmarkEventEncode measures encoding one presence event frame (done once per
// broadcast, whatever the number of receivers) with a 20-row list.
func BenchmarkEventEncode(b *testing.B) {
	st := presence.New(presence.Options{Self: presence.SelfInfo{Host: "gw"}})
	for i := 0; i < 20; i++ {
		h, m := "host", "webchat"
		st.Upsert(presence.Update{Key: string(rune('a' + i)), Host: &h, Mode: &m})
	}
	ev := &protocol.PresenceEvent{Presence: st.List()}
	sv := &protocol.StateVersion{Presence: 3, Health: 2}
	buf := make([]byte, 0, 8192)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendEvent(buf[:0], ev, 42, sv)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkBroadcastPair measures what an agent text delta costs the gateway: an
// agent event and the chat event derived from it, to clients that read every frame
// before the next pair (as a turn's deltas are spaced out by the model), sent as two
// Broadcast calls ("separate") or one BroadcastAll ("batch"). Reports socket writes
// per pair. Run: go test ./server/gateway -run '^$' -bench BroadcastPair -cpu 1
func BenchmarkBroadcastPair(b *testing.B) {
	for _, clients := range []int{1, 16} {
		for _, mode := range []string{"separate", "batch"} {
			b.Run(fmt.Sprintf("clients=%d/%s", clients, mode), func(b *testing.B) {
				s, err := New(Options{Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					b.Fatal(err)
				}
				serveCore(s)
				g := gatewaytest.Start(b, s)
				got := make(chan struct{}, 2*clients)
				for range clients {
					r := gatewaytest.DialRawCLI(b, g.URL, "bench")
					go drainFrames(r.Conn, got)
				}
				agentEv := &protocol.ChatEvent{RunID: "r", SessionKey: "main", Seq: 2, State: protocol.ChatEventStateDelta,
					Message: json.RawMessage(`{"content":[{"text":"ok ","type":"text"}],"role":"assistant","timestamp":1}`)}
				chatEv := &protocol.ChatEvent{RunID: "r", SessionKey: "main", Seq: 2, State: protocol.ChatEventStateDelta,
					Message: json.RawMessage(`{"content":[{"text":"ok ","type":"text"}],"role":"assistant","timestamp":1}`)}
				// Drain what the connects caused (health) before counting.
				s.Broadcast(&protocol.TickEvent{Ts: 1})
				for range clients {
					<-got
				}
				w0 := s.metrics.writes.Load()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if mode == "batch" {
						s.BroadcastAll(agentEv, chatEv)
					} else {
						s.Broadcast(agentEv)
						s.Broadcast(chatEv)
					}
					for range 2 * clients {
						<-got
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(s.metrics.writes.Load()-w0)/float64(b.N), "writes/op")
			})
		}
	}
}

// drainFrames reads server frames from c until it fails, sending on got once per
// tick or chat event frame.
func drainFrames(c net.Conn, got chan<- struct{}) {
	r := bufio.NewReaderSize(c, 64<<10)
	var h [10]byte
	for {
		if _, err := io.ReadFull(r, h[:2]); err != nil {
			return
		}
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(r, h[2:4]); err != nil {
				return
			}
			n = int(binary.BigEndian.Uint16(h[2:4]))
		case 127:
			if _, err := io.ReadFull(r, h[2:10]); err != nil {
				return
			}
			n = int(binary.BigEndian.Uint64(h[2:10]))
		}
		p, err := r.Peek(min(n, 32))
		if err != nil {
			return
		}
		ev := bytes.HasPrefix(p, []byte(`{"type":"event","event":"chat"`)) || bytes.HasPrefix(p, []byte(`{"type":"event","event":"tick"`))
		if _, err := r.Discard(n); err != nil {
			return
		}
		if ev {
			got <- struct{}{}
		}
	}
}
