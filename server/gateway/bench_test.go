package gateway

import (
	"context"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
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
