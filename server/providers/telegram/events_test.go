package telegram_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestButtonScopes: a button press in a group under groupPolicy "open" reaches the
// agent as a mentioned message from the presser with the button's data — under
// capabilities.inlineButtons "all" from anyone, under the default "allowlist" only
// from a sender on the group's list, under "dm" not at all. Every press is answered.
func TestButtonScopes(t *testing.T) {
	const group = -1001
	cases := []struct {
		scope     string
		presser   int64
		delivered bool
	}{
		{telegram.ButtonsAll, 7, true},
		{"", 7, false},
		{"", 8, true},
		{telegram.ButtonsDM, 8, false},
	}
	for _, c := range cases {
		t.Run(c.scope+"/"+string(rune('0'+c.presser)), func(t *testing.T) {
			srv := tgtest.New(t, token)
			srv.AddChat(group)
			in := newInbox()
			ac := access.Config{Account: access.Account{GroupPolicy: access.GroupOpen, GroupAllowFrom: []string{"8"},
				Groups: map[string]access.Group{"*": {RequireMention: ptr(true)}}}}
			p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(), Inbound: in, PollTimeout: 5 * time.Second,
				Access: &ac, InlineButtons: c.scope})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Stop(t.Context()) })
			ctx := ctx10(t)
			sent, err := p.Send(ctx, providers.Outbound{To: "-1001", Text: "Ship?", Buttons: [][]providers.Button{{{Text: "Go", CallbackData: "ship:go"}, {Text: " ", CallbackData: "dropped"}}}})
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.Sent()[0].Buttons; len(got) != 1 || len(got[0]) != 1 || got[0][0].CallbackData != "ship:go" {
				t.Fatalf("keyboard %+v, want the one labelled button", got)
			}
			if err := p.Start(ctx); err != nil {
				t.Fatal(err)
			}
			q := srv.PushCallback(group, mustInt(t, sent.MessageID), tgtest.User{ID: c.presser, FirstName: "P"}, "ship:go")
			if err := srv.WaitAnswered(ctx, q); err != nil {
				t.Fatal(err)
			}
			waitDrained(t, srv, srv.Calls("getUpdates")+1)
			got := in.all()
			if c.delivered != (len(got) == 1) {
				t.Fatalf("delivered %+v, want delivered=%v", got, c.delivered)
			}
			if c.delivered && (got[0].Text != "ship:go" || !got[0].Group || !got[0].Mentioned || got[0].ChatID != "-1001") {
				t.Fatalf("press as message %+v", got[0])
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAllowedUpdates: the poller asks for messages, button presses and reactions
// (Telegram's default list has no reactions), and a reaction on the bot's own message
// becomes a session note while one on another message does not (reactionNotifications
// "own", the default).
func TestAllowedUpdates(t *testing.T) {
	srv := tgtest.New(t, token)
	srv.AddChat(42)
	ev := &noteRecorder{}
	p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(), Inbound: newInbox(), PollTimeout: 5 * time.Second,
		AllowFrom: []string{"42"}, Events: ev})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(t.Context()) })
	ctx := ctx10(t)
	sent, err := p.Send(ctx, providers.Outbound{To: "42", Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	id := mustInt(t, sent.MessageID)
	srv.PushReaction(42, id+100, tgtest.User{ID: 42, FirstName: "Ada"}, nil, []string{"🔥"})
	srv.PushReaction(42, id, tgtest.User{ID: 42, FirstName: "Ada"}, nil, []string{"👍", "🎉"})
	waitDrained(t, srv, srv.Calls("getUpdates")+1)
	if got := srv.AllowedUpdates(); !slices.Equal(got, telegram.AllowedUpdates) {
		t.Fatalf("allowed_updates %v, want %v", got, telegram.AllowedUpdates)
	}
	want := []string{"Telegram reaction added: 👍 by Ada on msg " + sent.MessageID, "Telegram reaction added: 🎉 by Ada on msg " + sent.MessageID}
	if got := ev.all(); !slices.Equal(got, want) {
		t.Fatalf("notes %q, want %q", got, want)
	}
}

type noteRecorder struct {
	mu    sync.Mutex
	notes []string
}

func (n *noteRecorder) SessionEvent(_ context.Context, m providers.Message, text string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.notes = append(n.notes, text)
}

func (n *noteRecorder) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.notes...)
}
