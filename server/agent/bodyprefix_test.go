package agent

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/sessions"
)

// TestInboundBodyPrefix: a WhatsApp message's messagePrefix (BodyPrefix) is in what
// the model reads, before the message's own text (after a group's unanswered
// history); a chat command carrying one still runs as a command.
func TestInboundBodyPrefix(t *testing.T) {
	clk := &manualClock{t: time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)}
	store, err := sessions.Open(context.Background(), sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.db"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	be := &recorder{}
	snd := newFakeSender()
	rt, err := New(Options{Backend: be, Store: store, Now: clk.Now, Sender: snd})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	ctx := context.Background()

	r, err := rt.HandleInbound(ctx, providers.Message{Channel: providers.WhatsApp, From: "+1555", ChatID: "1555@s.whatsapp.net", MessageID: "a", Text: "hello", BodyPrefix: "[bot]"})
	if err != nil {
		t.Fatal(err)
	}
	<-r.Done()
	if got, want := be.last(), []string{"user:[bot] hello"}; !slices.Equal(got, want) {
		t.Fatalf("model saw %q, want %q", got, want)
	}

	hist := grouphistory.Context("WhatsApp", "group:g", []grouphistory.Entry{{Sender: "Ann", Body: "earlier", Time: clk.Now()}}, "hi all")
	r, err = rt.HandleInbound(ctx, providers.Message{Channel: providers.WhatsApp, From: "+1555", ChatID: "g@g.us", Group: true, MessageID: "b", Text: hist, BodyPrefix: "[bot]"})
	if err != nil {
		t.Fatal(err)
	}
	<-r.Done()
	got := be.last()
	want := hist[:len(hist)-len("hi all")] + "[bot] hi all"
	if got[0] != "user:"+want {
		t.Fatalf("group: model saw %q, want %q", got[0], want)
	}

	runs := len(be.seen)
	if r, err := rt.HandleInbound(ctx, providers.Message{Channel: providers.WhatsApp, From: "+1555", ChatID: "1555@s.whatsapp.net", MessageID: "c", Text: "/status", BodyPrefix: "[bot]"}); err != nil || r != nil {
		t.Fatalf("command: run %v, err %v", r, err)
	}
	if len(be.seen) != runs {
		t.Fatal("a command with a prefix reached the model")
	}
}
