package telegram_test

import (
	"testing"
	"time"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestReplyTypingModes: Outbound.Typing never sends no chat action; deferred sends
// none until StartTyping, then repeats it at Outbound.TypingInterval; a finished
// stream starts no indicator again. An instant stream to another chat, opened at the
// same time, is the control: it has typed several times before the others are checked.
func TestReplyTypingModes(t *testing.T) {
	srv := tgtest.New(t, token)
	for _, c := range []int64{41, 42, 43} {
		srv.AddChat(c)
	}
	p := newProvider(t, srv, token, []string{"*"}, newInbox())
	ctx := ctx10(t)
	count := func(chat string) int {
		n := 0
		for _, a := range srv.Actions() {
			if a.ChatID == chat && a.Action == "typing" {
				n++
			}
		}
		return n
	}
	// waitCount waits for chat to reach n actions (the default 4 s interval would
	// time the test out).
	waitCount := func(chat string, n int) {
		t.Helper()
		for {
			if count(chat) >= n {
				return
			}
			if _, err := srv.WaitActions(ctx, len(srv.Actions())+1); err != nil {
				t.Fatalf("chat %s: %d actions, want %d: %v", chat, count(chat), n, err)
			}
		}
	}
	iv := 5 * time.Millisecond
	never := p.OpenReply(ctx, providers.Outbound{To: "41", Typing: providers.TypingNever, TypingInterval: iv})
	deferred := p.OpenReply(ctx, providers.Outbound{To: "42", Typing: providers.TypingDeferred, TypingInterval: iv})
	instant := p.OpenReply(ctx, providers.Outbound{To: "43", Typing: providers.TypingInstant, TypingInterval: iv})
	waitCount("43", 3)
	if n, m := count("41"), count("42"); n != 0 || m != 0 {
		t.Fatalf("before StartTyping: never %d, deferred %d actions", n, m)
	}
	providers.StreamTyping(never)
	providers.StreamTyping(deferred)
	waitCount("42", 3)
	base := count("43")
	waitCount("43", base+3)
	if n := count("41"); n != 0 {
		t.Fatalf("never stream sent %d actions", n)
	}
	for _, rs := range []providers.ReplyStream{never, deferred} {
		if _, err := rs.Finish(ctx, "answer"); err != nil {
			t.Fatal(err)
		}
	}
	after := count("42")
	providers.StreamTyping(deferred) // finished: no new indicator
	base = count("43")
	waitCount("43", base+3)
	instant.Abort()
	if n := count("42"); n != after {
		t.Fatalf("finished stream typed again: %d actions, had %d", n, after)
	}
	if s := srv.Sent(); len(s) != 2 {
		t.Fatalf("sent %+v", s)
	}
}

// TestMessageMentioned: Message.Mentioned says whether a group message addressed the
// bot (it picks the reply's default typing mode); a group answering every message
// delivers the others with it false, and direct messages never set it.
func TestMessageMentioned(t *testing.T) {
	srv := tgtest.New(t, token)
	in := newInbox()
	noMention := false
	ac := access.Config{Account: access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}, GroupPolicy: access.GroupOpen,
		Groups: map[string]access.Group{"-300": {RequireMention: &noMention}}}}
	p := newGuarded(t, srv, ac, nil, nil, in)
	ctx := ctx10(t)
	if _, err := p.Probe(ctx); err != nil { // learn the bot's username
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		chat      int64
		text      string
		mentioned bool
	}{
		{-300, "anyone for lunch?", false},
		{-300, "@" + tgtest.BotUsername + " what do you think?", true},
		{7, "@" + tgtest.BotUsername + " hi", false},
	} {
		srv.PushMessage(tc.chat, tgtest.User{ID: 7, FirstName: "Bo"}, tc.text)
		select {
		case m := <-in.ch:
			if m.Mentioned != tc.mentioned {
				t.Errorf("%d %q: Mentioned %v, want %v", tc.chat, tc.text, m.Mentioned, tc.mentioned)
			}
		case <-ctx.Done():
			t.Fatalf("%q not delivered", tc.text)
		}
	}
}
