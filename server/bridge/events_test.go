package bridge

import (
	"errors"
	"fmt"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// TestBridgeEvents: gateway → node events reach a bridge node as event frames with
// the payload as payloadJSON, in order; when the node's socket stalls, at most
// MaxQueuedEvents wait and the rest are refused at once (SendEvent never blocks).
func TestBridgeEvents(t *testing.T) {
	e := startEnv(t, func(o *Options) { o.MaxQueuedEvents = 4 })
	n := e.dial()
	e.pair(n)

	if err := e.reg.SendEvent("ios-1", &protocol.VoicewakeChangedEvent{Triggers: []string{"hey"}}); err != nil {
		t.Fatal(err)
	}
	f := n.expect(TypeEvent)
	if f.Event != "voicewake.changed" || f.PayloadJSON == nil || *f.PayloadJSON != `{"triggers":["hey"]}` {
		t.Fatalf("event frame %+v", f)
	}

	// Stall the socket: hold the connection's write lock.
	e.srv.mu.Lock()
	var c *conn
	for x := range e.srv.conns {
		c = x
	}
	e.srv.mu.Unlock()
	c.wmu.Lock()
	sent := 0
	for i := 0; ; i++ {
		err := e.reg.SendEvent("ios-1", &protocol.VoicewakeChangedEvent{Triggers: []string{fmt.Sprint(i)}})
		if errors.Is(err, ErrEventQueueFull) {
			break
		}
		if err != nil || i > 10 {
			t.Fatalf("send %d: %v", i, err)
		}
		sent++
	}
	if sent < 4 || sent > 5 { // the queue, plus the one the writer holds
		t.Fatalf("%d events accepted with a queue of 4", sent)
	}
	c.wmu.Unlock()
	for i := range sent {
		f := n.expect(TypeEvent)
		if want := fmt.Sprintf(`{"triggers":["%d"]}`, i); *f.PayloadJSON != want {
			t.Fatalf("event %d = %s, want %s", i, *f.PayloadJSON, want)
		}
	}
}
