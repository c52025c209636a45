package live

import (
	"errors"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
)

type eventFake struct {
	*fakeConn
	events []protocol.Event
}

func (e *eventFake) SendEvent(ev protocol.Event) error { e.events = append(e.events, ev); return nil }

func TestEventsAndDisconnect(t *testing.T) {
	r := New(Options{})
	defer r.Close()
	var got []string
	r.SetEventHandler(func(id, event string, p *string) { got = append(got, id+" "+event) })
	var gone []string
	r.SetDisconnectHandler(func(id string) { gone = append(gone, id) })

	ec := &eventFake{fakeConn: newFake()}
	h1, err := r.Register(mac("m", TransportWS), ec)
	if err != nil {
		t.Fatal(err)
	}
	bh, err := r.Register(mac("b", TransportBridge), newFake())
	if err != nil {
		t.Fatal(err)
	}
	r.Event(h1, "chat.subscribe", nil)
	ev := &protocol.ChatEvent{RunID: "r"}
	if err := r.SendEvent("m", ev); err != nil || len(ec.events) != 1 {
		t.Fatalf("SendEvent: %v %v", err, ec.events)
	}
	if err := r.SendEvent("b", ev); !errors.Is(err, ErrNoEvents) {
		t.Fatalf("transport without events: %v", err)
	}
	if err := r.SendEvent("nobody", ev); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("unknown node: %v", err)
	}

	// A replaced connection is not a disconnect, and its events are ignored.
	h2, err := r.Register(mac("m", TransportWS), &eventFake{fakeConn: newFake()})
	if err != nil {
		t.Fatal(err)
	}
	r.Event(h1, "stale", nil)
	r.Unregister(h1)
	if len(gone) != 0 || len(got) != 1 || got[0] != "m chat.subscribe" {
		t.Fatalf("events %v, gone %v", got, gone)
	}
	r.Unregister(h2)
	r.Unregister(bh)
	if len(gone) != 2 || gone[0] != "m" || gone[1] != "b" {
		t.Fatalf("gone %v", gone)
	}
}
