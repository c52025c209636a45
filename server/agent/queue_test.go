package agent

import (
	"context"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/providers"
)

// TestQueueModes: channel messages that arrive while their session is busy are, by
// messages.queue.mode, answered together by one turn when it is free (collect, the
// default), each by its own turn (followup), or they abort the busy turn (interrupt).
func TestQueueModes(t *testing.T) {
	msg := func(id, text string) providers.Message {
		return providers.Message{Channel: providers.Telegram, From: "42", ChatID: "42", MessageID: id, Text: text}
	}
	start := func(t *testing.T, mode string) (*env, *fakeSender) {
		snd := newFakeSender()
		e := newEnv(t, envOpts{sender: snd, tweak: func(o *Options) {
			if mode != "" {
				o.QueueMode = func(ch string) string {
					if ch != providers.Telegram {
						t.Errorf("queue mode asked for channel %q", ch)
					}
					return mode
				}
			}
		}})
		return e, snd
	}
	inbound := func(t *testing.T, e *env, m providers.Message) {
		t.Helper()
		if _, err := e.rt.HandleInbound(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	outcome := func(t *testing.T, e *env, id string) Outcome {
		t.Helper()
		out, ok := e.rt.Wait(context.Background(), "telegram::42:"+id, wait)
		if !ok {
			t.Fatalf("run %s did not finish", id)
		}
		return out
	}

	t.Run("collect (default)", func(t *testing.T) {
		e, snd := start(t, "")
		inbound(t, e, msg("1", "gate:g1 first"))
		recv(t, e.up.started, "first request")
		inbound(t, e, msg("2", "second"))
		inbound(t, e, msg("3", "third"))
		e.up.release("g1")
		if got := recv(t, snd.ch, "first reply"); got.Out.Text != "Hello world" {
			t.Fatalf("first reply %q", got.Out.Text)
		}
		if got := recv(t, snd.ch, "collected reply"); got.Out.Text != "echo: third" {
			t.Fatalf("collected reply %q", got.Out.Text)
		}
		o2, o3 := outcome(t, e, "2"), outcome(t, e, "3")
		if o2.Status != StatusOK || o3.Status != StatusOK || o2.Text != "echo: third" {
			t.Fatalf("collected runs: %+v %+v", o2, o3)
		}
		if n := e.up.requests.Load(); n != 2 || snd.count() != 2 {
			t.Fatalf("%d model requests, %d sends; want 2 and 2", n, snd.count())
		}
		msgs := e.up.lastBody().Messages
		if len(msgs) < 4 {
			t.Fatalf("request %+v", msgs)
		}
		last2 := msgs[len(msgs)-2:]
		if last2[0].Role != "user" || !strings.Contains(last2[0].Content, "second") || last2[1].Role != "user" || !strings.Contains(last2[1].Content, "third") {
			t.Fatalf("the collected turn's request ends with %+v", last2)
		}
		// Nothing more runs afterwards.
		inbound(t, e, msg("4", "fourth"))
		recv(t, snd.ch, "next reply")
		if n := e.up.requests.Load(); n != 3 {
			t.Fatalf("%d model requests, want 3", n)
		}
	})

	t.Run("followup", func(t *testing.T) {
		e, snd := start(t, QueueFollowup)
		inbound(t, e, msg("1", "gate:g1 first"))
		recv(t, e.up.started, "first request")
		inbound(t, e, msg("2", "second"))
		inbound(t, e, msg("3", "third"))
		e.up.release("g1")
		for _, want := range []string{"Hello world", "echo: second", "echo: third"} {
			if got := recv(t, snd.ch, want); got.Out.Text != want {
				t.Fatalf("reply %q, want %q", got.Out.Text, want)
			}
		}
		if n := e.up.requests.Load(); n != 3 {
			t.Fatalf("%d model requests, want 3", n)
		}
	})

	t.Run("interrupt", func(t *testing.T) {
		e, snd := start(t, QueueInterrupt)
		inbound(t, e, msg("1", "gate:g1 first"))
		recv(t, e.up.started, "first request")
		inbound(t, e, msg("2", "second"))
		if got := recv(t, e.up.cancelled, "the busy request cancelled"); !strings.Contains(got, "first") {
			t.Fatalf("cancelled %q", got)
		}
		if got := recv(t, snd.ch, "reply to the new message"); got.Out.Text != "echo: second" {
			t.Fatalf("reply %q", got.Out.Text)
		}
		if o := outcome(t, e, "1"); o.Status != StatusAborted {
			t.Fatalf("interrupted run: %+v", o)
		}
		if snd.count() != 1 {
			t.Fatalf("%d sends, want 1", snd.count())
		}
	})
}
