package telegram_test

import (
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

func newGuarded(t *testing.T, srv *tgtest.Server, ac access.Config, st *pairing.Store, h *grouphistory.Buffer, in providers.Inbound) *telegram.Provider {
	t.Helper()
	p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(), Inbound: in, PollTimeout: 5 * time.Second,
		Access: &ac, Pairing: st, History: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(t.Context()) })
	return p
}

// waitDrained waits until the provider confirmed every pushed update (its offset
// moved past them), so "nothing reached the agent" is checked after handling.
func waitDrained(t *testing.T, srv *tgtest.Server, polls int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Pending() > 0 || srv.Calls("getUpdates") < polls {
		if time.Now().After(deadline) {
			t.Fatalf("updates not consumed: pending %d", srv.Pending())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// An unknown sender with no allowFrom gets one pairing code and nothing reaches the
// agent; after approval the next message does.
func TestUnknownSenderGetsPairingCode(t *testing.T) {
	srv := tgtest.New(t, token)
	st, err := pairing.New(pairing.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	in := newInbox()
	p := newGuarded(t, srv, access.Config{}, st, nil, in)
	ctx := ctx10(t)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv.PushUpdate(42, 42, "hello bot")
	sent, err := srv.WaitSent(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	reqs, _ := st.List("telegram")
	if len(reqs) != 1 || reqs[0].ID != "42" {
		t.Fatalf("requests %+v", reqs)
	}
	code := reqs[0].Code
	want := providers.PairingReply("telegram", "Your Telegram user id: 42", code)
	if sent[0].ChatID != "42" || sent[0].Text != want || !strings.Contains(want, "Pairing code: "+code) {
		t.Fatalf("reply %+v", sent[0])
	}
	// A second message before approval: no second code, still nothing to the agent.
	srv.PushUpdate(42, 42, "hello again")
	polls := srv.Calls("getUpdates")
	waitDrained(t, srv, polls+1)
	if n := len(srv.Sent()); n != 1 {
		t.Fatalf("%d replies, want the single pairing code", n)
	}
	if got := in.all(); len(got) != 0 {
		t.Fatalf("unapproved text reached the agent: %+v", got)
	}
	if _, err := st.Approve("telegram", code); err != nil {
		t.Fatal(err)
	}
	srv.PushUpdate(42, 42, "now?")
	select {
	case m := <-in.ch:
		if m.Text != "now?" || m.From != "42" {
			t.Fatalf("delivered %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("approved sender's message did not reach the agent")
	}
}

func TestAllowlistDropsSilently(t *testing.T) {
	srv := tgtest.New(t, token)
	st, _ := pairing.New(pairing.Options{Dir: t.TempDir()})
	in := newInbox()
	p := newGuarded(t, srv, access.Config{Account: access.Account{DMPolicy: access.DMAllowlist, AllowFrom: []string{"@Ann"}}}, st, nil, in)
	ctx := ctx10(t)
	p.Start(ctx)
	srv.PushMessage(7, tgtest.User{ID: 7, Username: "bob"}, "hi")
	srv.PushMessage(8, tgtest.User{ID: 8, Username: "ann"}, "hi from ann")
	select {
	case m := <-in.ch:
		if m.From != "8" {
			t.Fatalf("delivered %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("allowed sender not delivered")
	}
	if len(srv.Sent()) != 0 || len(in.all()) != 1 {
		t.Fatalf("sent %+v delivered %+v", srv.Sent(), in.all())
	}
	if reqs, _ := st.List("telegram"); len(reqs) != 0 {
		t.Fatalf("allowlist policy created requests: %+v", reqs)
	}
}

// In a group, messages without a mention are kept as history and handed over with
// the next message that mentions the bot.
func TestGroupMentionWithHistory(t *testing.T) {
	srv := tgtest.New(t, token)
	in := newInbox()
	h := grouphistory.New(10, 0)
	ac := access.Config{Account: access.Account{GroupPolicy: access.GroupOpen}}
	p := newGuarded(t, srv, ac, nil, h, in)
	ctx := ctx10(t)
	if _, err := p.Probe(ctx); err != nil { // learn the bot's username
		t.Fatal(err)
	}
	p.Start(ctx)
	key := "telegram\x00" + providers.DefaultAccountID + "\x00-100"
	srv.PushMessage(-100, tgtest.User{ID: 5, FirstName: "Ann"}, "anyone for lunch?")
	for h.Len(key) != 1 { // the unmentioned message is kept under the group's key
		select {
		case <-ctx.Done():
			t.Fatalf("history entries %d, want 1", h.Len(key))
		case <-time.After(5 * time.Millisecond):
		}
	}
	srv.PushMessage(-100, tgtest.User{ID: 6, FirstName: "Bo"}, "@"+tgtest.BotUsername+" what do you think?")
	select {
	case m := <-in.ch:
		if !m.Group || !strings.HasPrefix(m.Text, grouphistory.HistoryMarker) ||
			!strings.Contains(m.Text, "Ann (5): anyone for lunch?") ||
			!strings.HasSuffix(m.Text, grouphistory.CurrentMarker+"\n@"+tgtest.BotUsername+" what do you think?") {
			t.Fatalf("delivered:\n%s", m.Text)
		}
	case <-ctx.Done():
		t.Fatal("mention not delivered")
	}
	// The history was handed over with the mention: none is left for the group (the
	// key names the normalised default account, as the provider forms it).
	if len(in.all()) != 1 || h.Len(key) != 0 {
		t.Fatalf("delivered %d, history left %d", len(in.all()), h.Len(key))
	}
}

func TestInvalidAccessRejected(t *testing.T) {
	srv := tgtest.New(t, token)
	_, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(),
		Access: &access.Config{Account: access.Account{DMPolicy: access.DMOpen}}})
	if err == nil || !strings.Contains(err.Error(), `"*"`) {
		t.Fatalf("open without * accepted: %v", err)
	}
}

// TestGroupMentionByName: in a group that requires a mention, naming the bot by its
// agent's mention pattern counts as a mention, unless the message @mentions someone
// else (then only an @mention of the bot would).
func TestGroupMentionByName(t *testing.T) {
	srv := tgtest.New(t, token)
	in := newInbox()
	res, bad := access.CompileMentionPatterns(access.DeriveMentionPatterns("Clawd Bot", "🦞"))
	if len(bad) != 0 {
		t.Fatal(bad)
	}
	var asked atomic.Int32
	p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(), Inbound: in, PollTimeout: 5 * time.Second,
		Access: &access.Config{Account: access.Account{GroupPolicy: access.GroupOpen}},
		MentionPatterns: func(m providers.Message) []*regexp.Regexp {
			asked.Add(1)
			if m.ChatID != "-100" {
				t.Errorf("patterns asked for chat %q", m.ChatID)
			}
			return res
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(t.Context()) })
	ctx := ctx10(t)
	if _, err := p.Probe(ctx); err != nil {
		t.Fatal(err)
	}
	p.Start(ctx)
	ann := tgtest.User{ID: 5, FirstName: "Ann"}
	srv.PushMessage(-100, ann, "lunch anyone?")                          // no mention: kept as history only
	srv.PushMessage(-100, ann, "clawdbotanic is not a word")             // the name inside a word: no
	srv.PushMessageWith(-100, ann, "@bob ask clawd bot", map[string]any{ // someone else @mentioned
		"entities": []map[string]any{{"type": "mention", "offset": 0, "length": 4}}})
	srv.PushMessage(-100, ann, "hey CLAWD\u200b  BOT, what's the time?") // the name, any case, zero-width space
	srv.PushMessage(-100, ann, "🦞 are you there")                        // the emoji
	var got []string
	for len(got) < 2 {
		select {
		case m := <-in.ch:
			got = append(got, m.Text)
		case <-ctx.Done():
			t.Fatalf("delivered %q", got)
		}
	}
	waitDrained(t, srv, 1)
	if all := in.all(); len(all) != 2 || !strings.HasSuffix(got[0], "hey CLAWD\u200b  BOT, what's the time?") || !strings.HasSuffix(got[1], "🦞 are you there") {
		t.Fatalf("delivered %q", got)
	}
	if asked.Load() == 0 {
		t.Fatal("the patterns were never asked for")
	}
}

// TestCommandAuthorisation: Telegram's command rules against the test Bot API
// server. A sender approved through pairing may run commands in their DM (Telegram
// has no owner rule, unlike WhatsApp); in an open group no allow list covers, nobody's
// "/new" is a command — it arrives marked CommandsDenied, and the agent ignores it —
// while a sender on groupAllowFrom may.
func TestCommandAuthorisation(t *testing.T) {
	srv := tgtest.New(t, token)
	st, _ := pairing.New(pairing.Options{Dir: t.TempDir()})
	code, _, err := st.Upsert("telegram", "9", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Approve("telegram", code); err != nil {
		t.Fatal(err)
	}
	in := newInbox()
	noMention := false
	ac := access.Config{Account: access.Account{AllowFrom: []string{"42"}, GroupPolicy: access.GroupOpen, GroupAllowFrom: []string{},
		Groups: map[string]access.Group{"-100": {RequireMention: &noMention}, "-200": {RequireMention: &noMention, AllowFrom: []string{"5"}}}}}
	p := newGuarded(t, srv, ac, st, nil, in)
	ctx := ctx10(t)
	p.Start(ctx)
	for _, tc := range []struct {
		name string
		chat int64
		from tgtest.User
		deny bool
	}{
		{"paired sender's DM", 9, tgtest.User{ID: 9, FirstName: "Pat"}, false},
		{"allowFrom sender's DM", 42, tgtest.User{ID: 42, FirstName: "Ann"}, false},
		{"open group, no list", -100, tgtest.User{ID: 5, FirstName: "Bo"}, true},
		{"group with its own allowFrom", -200, tgtest.User{ID: 5, FirstName: "Bo"}, false},
	} {
		srv.PushMessage(tc.chat, tc.from, "/new")
		select {
		case m := <-in.ch:
			if m.Text != "/new" || m.CommandsDenied != tc.deny {
				t.Errorf("%s: delivered %q CommandsDenied %v, want %v", tc.name, m.Text, m.CommandsDenied, tc.deny)
			}
		case <-ctx.Done():
			t.Fatalf("%s: not delivered", tc.name)
		}
	}
	// No list at all (and no pairing approvals): an open group's members talk to the
	// agent but run no commands.
	if err := p.SetAccess(access.Config{Account: access.Account{GroupPolicy: access.GroupOpen,
		Groups: map[string]access.Group{"-300": {RequireMention: &noMention}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RemoveAllowFrom("telegram", "9"); err != nil {
		t.Fatal(err)
	}
	srv.PushMessage(-300, tgtest.User{ID: 5, FirstName: "Bo"}, "/status")
	select {
	case m := <-in.ch:
		if !m.CommandsDenied {
			t.Error("open group without allow lists: a member's command allowed")
		}
	case <-ctx.Done():
		t.Fatal("group message not delivered")
	}
}
