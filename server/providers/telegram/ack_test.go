package telegram_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

func newAcking(t *testing.T, srv *tgtest.Server, ac access.Config, ack telegram.AckConfig, in providers.Inbound) *telegram.Provider {
	t.Helper()
	p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(), Inbound: in, PollTimeout: 5 * time.Second,
		Access: &ac, Ack: ack, StreamMode: "off"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(t.Context()) })
	return p
}

// Each scope acks the admitted messages it names, and only those; the reaction is set
// before the message reaches the agent.
func TestAckReactionScopes(t *testing.T) {
	no := false
	open := access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}, GroupPolicy: access.GroupOpen}
	chatty := open // group -200 answers every message
	chatty.Groups = map[string]access.Group{"*": {}, "-200": {RequireMention: &no}}
	mention := "@" + tgtest.BotUsername + " hi"
	tests := []struct {
		name    string
		scope   string
		emoji   string
		chat    int64
		text    string
		wantAck bool
	}{
		{"default scope skips DMs", "", "👀", 42, "hi", false},
		{"default scope acks a group mention", "", "👀", -100, mention, true},
		{"group-mentions skips a mention in a group that answers everything", providers.AckGroupMentions, "👀", -200, mention, false},
		{"direct acks DMs", providers.AckDirect, "👍", 42, "hi", true},
		{"direct skips groups", providers.AckDirect, "👀", -100, mention, false},
		{"group-all acks unmentioned group messages", providers.AckGroupAll, "👀", -200, "hi all", true},
		{"group-all skips DMs", providers.AckGroupAll, "👀", 42, "hi", false},
		{"all acks DMs", providers.AckAll, "👀", 42, "hi", true},
		{"off", providers.AckOff, "👀", -100, mention, false},
		{"empty emoji disables", providers.AckAll, "", 42, "hi", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tgtest.New(t, token)
			in := newInbox()
			p := newAcking(t, srv, access.Config{Account: chatty}, telegram.AckConfig{Emoji: tt.emoji, Scope: tt.scope}, in)
			ctx := ctx10(t)
			if _, err := p.Probe(ctx); err != nil { // learn the bot's username for mentions
				t.Fatal(err)
			}
			if err := p.Start(ctx); err != nil {
				t.Fatal(err)
			}
			srv.PushMessage(tt.chat, tgtest.User{ID: 42, FirstName: "Ann"}, tt.text)
			var mid int64
			select {
			case m := <-in.ch:
				mid = msgID(t, m)
			case <-ctx.Done():
				t.Fatal("message not delivered")
			}
			// The ack is sent before delivery: what is recorded now is all there is.
			got := srv.Reactions()
			if !tt.wantAck {
				if len(got) != 0 {
					t.Fatalf("unexpected reactions %+v", got)
				}
				return
			}
			want := tgtest.Reaction{ChatID: strconv.FormatInt(tt.chat, 10), MessageID: mid, Emoji: tt.emoji}
			if len(got) != 1 || got[0] != want {
				t.Fatalf("reactions %+v, want %+v", got, want)
			}
		})
	}
}

// An unapproved sender under dmPolicy pairing gets a pairing code and no ack.
func TestAckNotForUnapprovedSender(t *testing.T) {
	srv := tgtest.New(t, token)
	in := newInbox()
	p := newAcking(t, srv, access.Config{}, telegram.AckConfig{Emoji: "👀", Scope: providers.AckAll}, in)
	ctx := ctx10(t)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv.PushUpdate(42, 42, "hello")
	waitDrained(t, srv, 2)
	if r := srv.Reactions(); len(r) != 0 || len(in.all()) != 0 {
		t.Fatalf("reactions %+v delivered %+v", r, in.all())
	}
}

// With removeAckAfterReply the reaction is cleared once the reply is delivered, and
// only for messages acknowledged before the reply started; without it, it stays.
func TestAckRemovedAfterReply(t *testing.T) {
	for _, remove := range []bool{true, false} {
		srv := tgtest.New(t, token)
		in := newInbox()
		ac := access.Config{Account: access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}}}
		p := newAcking(t, srv, ac, telegram.AckConfig{Emoji: "👀", Scope: providers.AckDirect, RemoveAfterReply: remove}, in)
		ctx := ctx10(t)
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		srv.PushUpdate(42, 42, "question")
		mid := msgID(t, <-in.ch)
		rs := p.OpenReply(ctx, providers.Outbound{To: "42"})
		// A message acknowledged while the reply is under way is not answered by it.
		srv.PushUpdate(42, 42, "another")
		later := msgID(t, <-in.ch)
		if _, err := rs.Finish(ctx, "answer"); err != nil {
			t.Fatal(err)
		}
		want := []tgtest.Reaction{{ChatID: "42", MessageID: mid, Emoji: "👀"}, {ChatID: "42", MessageID: later, Emoji: "👀"}}
		if remove {
			want = append(want, tgtest.Reaction{ChatID: "42", MessageID: mid})
		}
		got := srv.Reactions()
		if len(got) != len(want) {
			t.Fatalf("remove=%v: reactions %+v, want %+v", remove, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("remove=%v: reaction %d = %+v, want %+v", remove, i, got[i], want[i])
			}
		}
		if s := srv.Sent(); len(s) != 1 || s[0].Text != "answer" {
			t.Fatalf("sent %+v", s)
		}
	}
}

func msgID(t *testing.T, m providers.Message) int64 {
	t.Helper()
	n, err := strconv.ParseInt(m.MessageID, 10, 64)
	if err != nil {
		t.Fatalf("message id %q: %v", m.MessageID, err)
	}
	return n
}

// A message refused by the media stage (a file above mediaMaxMb) never reaches the
// agent, so it gets the size notice and no ack; a small one is acked.
func TestAckNotForRefusedMedia(t *testing.T) {
	srv := tgtest.New(t, token)
	ms, err := media.New(media.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	in := newInbox()
	ac := access.Config{Account: access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}}}
	p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(), Inbound: in, PollTimeout: 5 * time.Second,
		Access: &ac, MediaStore: ms, MediaMaxMB: 1, Ack: telegram.AckConfig{Emoji: "👀", Scope: providers.AckDirect}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(t.Context()) })
	ctx := ctx10(t)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	user := tgtest.User{ID: 42, FirstName: "Ann"}
	srv.PushDocument(42, user, "", "big.pdf", "application/pdf", []byte("%PDF-1.4 x"), 5<<20)
	if _, err := srv.WaitSent(ctx, 1); err != nil { // the size notice
		t.Fatal(err)
	}
	if r := srv.Reactions(); len(r) != 0 || len(in.all()) != 0 {
		t.Fatalf("refused file: reactions %+v, delivered %d", r, len(in.all()))
	}
	srv.PushUpdate(42, 42, "and this?")
	m := <-in.ch
	if r := srv.Reactions(); len(r) != 1 || r[0].MessageID != msgID(t, m) {
		t.Fatalf("reactions %+v", r)
	}
}

// SetAck (a config reload) applies to the next message; an ack sent under
// removeAckAfterReply is still removed after its reply when a reload turned the
// setting off in between, and the new emoji is used from then on.
func TestSetAckAppliesToNextMessage(t *testing.T) {
	srv := tgtest.New(t, token)
	in := newInbox()
	ac := access.Config{Account: access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}}}
	p := newAcking(t, srv, ac, telegram.AckConfig{Emoji: "👀", Scope: providers.AckDirect, RemoveAfterReply: true}, in)
	ctx := ctx10(t)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv.PushUpdate(42, 42, "first")
	first := msgID(t, <-in.ch)
	p.SetAck(telegram.AckConfig{Emoji: "🔥", Scope: providers.AckDirect})
	if _, err := p.OpenReply(ctx, providers.Outbound{To: "42"}).Finish(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	srv.PushUpdate(42, 42, "second")
	second := msgID(t, <-in.ch)
	if _, err := p.OpenReply(ctx, providers.Outbound{To: "42"}).Finish(ctx, "two"); err != nil {
		t.Fatal(err)
	}
	p.SetAck(telegram.AckConfig{Emoji: "🔥", Scope: providers.AckOff})
	srv.PushUpdate(42, 42, "third")
	<-in.ch
	want := []tgtest.Reaction{{ChatID: "42", MessageID: first, Emoji: "👀"}, {ChatID: "42", MessageID: first}, {ChatID: "42", MessageID: second, Emoji: "🔥"}}
	got := srv.Reactions()
	if len(got) != len(want) {
		t.Fatalf("reactions %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("reaction %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
