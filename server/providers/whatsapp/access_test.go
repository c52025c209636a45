package whatsapp

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/chunk"
	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers"
)

// TestInboundGuard: with access settings, inbound whatsmeow events pass the guard: an
// unknown DM sender gets one pairing code (sent through the client) and nothing reaches
// the agent; once the code is approved in the store the sender's next message does; in
// a group only a mention of the linked account (phone JID or LID) or a reply to it is
// delivered, with the unanswered messages before it as context; the self-chat always
// passes.
func TestInboundGuard(t *testing.T) {
	in := &inbox{}
	st, err := pairing.New(pairing.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ac := access.Config{}
	p, fs := linkedProvider(t, Config{Inbound: in, Access: &ac, Pairing: st, History: grouphistory.New(0, 0)})
	c := fs.last()
	c.mu.Lock()
	c.lid = types.NewJID("987654321", types.HiddenUserServer)
	c.mu.Unlock()
	n := 0
	dm := func(from, text string) *events.Message {
		n++
		jid := types.NewJID(from, types.DefaultUserServer)
		e := &events.Message{Message: &waE2E.Message{Conversation: proto.String(text)}}
		e.Info.Sender, e.Info.Chat, e.Info.ID = jid, jid, "ID"+strings.Repeat("x", n)
		e.Info.IsFromMe = from == "15550000000"
		return e
	}
	group := types.NewJID("120363000000000001", types.GroupServer)
	grp := func(from, text string, mentioned []string, quoted string) *events.Message {
		n++
		ci := &waE2E.ContextInfo{MentionedJID: mentioned}
		if quoted != "" {
			ci.Participant = proto.String(quoted)
		}
		e := &events.Message{Message: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String(text), ContextInfo: ci}}}
		e.Info.Sender, e.Info.Chat, e.Info.IsGroup, e.Info.ID = types.NewJID(from, types.DefaultUserServer), group, true, "G"+strings.Repeat("x", n)
		e.Info.PushName = "Bob"
		return e
	}
	delivered := func() []string {
		in.mu.Lock()
		defer in.mu.Unlock()
		var out []string
		for _, m := range in.got {
			out = append(out, m.Text)
		}
		return out
	}

	c.emit(dm("15551112222", "hi"))
	c.emit(dm("15551112222", "hi again"))
	sent := c.sentMsgs()
	if len(sent) != 1 || len(delivered()) != 0 {
		t.Fatalf("unknown sender: sent %d, delivered %q", len(sent), delivered())
	}
	txt := sent[0].msg.GetConversation()
	code := regexp.MustCompile(`Pairing code: ([A-Z0-9]{8})`).FindStringSubmatch(txt)
	if code == nil || !strings.Contains(txt, "Your WhatsApp phone number: +15551112222") || sent[0].to.User != "15551112222" {
		t.Fatalf("pairing reply to %s: %q", sent[0].to, txt)
	}
	if _, err := st.Approve("whatsapp", code[1]); err != nil {
		t.Fatal(err)
	}
	c.emit(dm("15551112222", "approved now"))
	c.emit(dm("15550000000", "note to self"))
	if got := delivered(); len(got) != 2 || got[0] != "approved now" || got[1] != "note to self" {
		t.Fatalf("after approval: %q", got)
	}

	// Groups: groupPolicy allowlist (default) with allowFrom from the config.
	if err := p.SetAccess(access.Config{Account: access.Account{GroupAllowFrom: []string{"+15553334444"}}}); err != nil {
		t.Fatal(err)
	}
	c.emit(grp("15553334444", "lunch?", nil, ""))
	c.emit(grp("15559990000", "not allowed @bot", []string{"15550000000@s.whatsapp.net"}, ""))
	if got := delivered(); len(got) != 2 {
		t.Fatalf("group without mention delivered: %q", got[2:])
	}
	c.emit(grp("15553334444", "@bot where?", []string{"15550000000@s.whatsapp.net"}, ""))
	got := delivered()
	if len(got) != 3 || !strings.Contains(got[2], "lunch?") || !strings.Contains(got[2], "@bot where?") {
		t.Fatalf("mention: %q", got[2:])
	}
	c.emit(grp("15553334444", "by lid", []string{"987654321@lid"}, ""))
	c.emit(grp("15553334444", "a reply", nil, "15550000000@s.whatsapp.net"))
	if got := delivered(); len(got) != 5 {
		t.Fatalf("LID mention / reply to the bot: %q", got[3:])
	}
	if sent := c.sentMsgs(); len(sent) != 1 {
		t.Fatalf("group messages caused sends: %d", len(sent))
	}
}

// TestSendSplitsAtChunkLimit: a long text goes out as several messages of at most
// textChunkLimit UTF-16 units, in order.
func TestSendSplitsAtChunkLimit(t *testing.T) {
	p, fs := linkedProvider(t, Config{ChunkLimit: 50})
	text := strings.Repeat("Some words to fill a line. ", 10)
	if _, err := p.Send(ctx10(t), providers.Outbound{To: "+15551112222", Text: text}); err != nil {
		t.Fatal(err)
	}
	sent := fs.last().sentMsgs()
	want := chunk.Split(strings.TrimSpace(text), 50)
	if len(sent) != len(want) || len(want) < 4 {
		t.Fatalf("sent %d messages, want %d", len(sent), len(want))
	}
	for i, s := range sent {
		if s.msg.GetConversation() != want[i] || chunk.Units(want[i]) > 50 {
			t.Fatalf("message %d: %q", i, s.msg.GetConversation())
		}
	}
}

// TestReplyStreamTyping: while a run goes the chat shows "composing" (repeated), the
// reply is sent whole by Finish and nothing follows it; Abort clears the indicator.
func TestReplyStreamTyping(t *testing.T) {
	p, fs := linkedProvider(t, Config{TypingInterval: time.Millisecond})
	c := fs.last()
	rs := p.OpenReply(ctx10(t), providers.Outbound{To: "+15551112222"})
	if rs == nil {
		t.Fatal("no reply stream while connected")
	}
	waitFor(t, "repeated composing", func() bool { return len(c.presences()) >= 2 })
	rs.Update(ctx10(t), "partial text") // WhatsApp cannot edit: nothing is sent
	if len(c.sentMsgs()) != 0 {
		t.Fatal("an update was sent")
	}
	sent, err := rs.Finish(ctx10(t), "the reply")
	if err != nil || sent.MessageID == "" {
		t.Fatalf("finish: %+v %v", sent, err)
	}
	after := len(c.presences())
	if msgs := c.sentMsgs(); len(msgs) != 1 || msgs[0].msg.GetConversation() != "the reply" {
		t.Fatalf("sent %+v", msgs)
	}
	for _, pr := range c.presences() {
		if pr != "15551112222@s.whatsapp.net composing" {
			t.Fatalf("presence %q", pr)
		}
	}
	rs2 := p.OpenReply(ctx10(t), providers.Outbound{To: "+15551112222"})
	waitFor(t, "composing", func() bool { return len(c.presences()) > after })
	rs2.Abort()
	pr := c.presences()
	if pr[len(pr)-1] != "15551112222@s.whatsapp.net paused" {
		t.Fatalf("after abort: %q", pr[len(pr)-1])
	}
	if p.OpenReply(ctx10(t), providers.Outbound{To: "not a number"}) != nil {
		t.Fatal("stream for an invalid recipient")
	}
}

// TestInboundCommandOwners: when allowFrom names its owners, only they may run chat
// commands (the original's enforceOwnerForCommands for WhatsApp): a sender approved
// through pairing, or admitted to a group by groupAllowFrom, talks to the agent but
// their "/status" and "/new" arrive marked CommandsDenied (the agent ignores them); a
// group member on no list runs nothing; "*" in allowFrom makes every admitted sender
// an owner; commands.useAccessGroups false lets admitted group members run commands.
func TestInboundCommandOwners(t *testing.T) {
	const owner, paired, member, other = "15551112222", "15553334444", "15555556666", "15557778888"
	in := &inbox{}
	st, err := pairing.New(pairing.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	code, _, err := st.Upsert("whatsapp", "+"+paired, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Approve("whatsapp", code); err != nil {
		t.Fatal(err)
	}
	noMention := false
	groups := map[string]access.Group{"*": {RequireMention: &noMention}}
	ac := access.Config{Account: access.Account{AllowFrom: []string{"+" + owner}, GroupPolicy: access.GroupOpen, Groups: groups}}
	p, fs := linkedProvider(t, Config{Inbound: in, Access: &ac, Pairing: st})
	c := fs.last()
	n := 0
	group := types.NewJID("120363000000000002", types.GroupServer)
	emit := func(from, text string, inGroup bool) providers.Message {
		t.Helper()
		n++
		jid := types.NewJID(from, types.DefaultUserServer)
		e := &events.Message{Message: &waE2E.Message{Conversation: proto.String(text)}}
		e.Info.Sender, e.Info.Chat, e.Info.ID = jid, jid, types.MessageID("CMD"+strings.Repeat("x", n))
		if inGroup {
			e.Info.Chat, e.Info.IsGroup = group, true
		}
		in.mu.Lock()
		before := len(in.got)
		in.mu.Unlock()
		c.emit(e)
		in.mu.Lock()
		defer in.mu.Unlock()
		if len(in.got) != before+1 {
			t.Fatalf("%s %q: not delivered", from, text)
		}
		return in.got[before]
	}
	for _, tc := range []struct {
		name        string
		from, text  string
		group, deny bool
	}{
		{"owner's direct command", owner, "/status", false, false},
		{"paired sender's direct command", paired, "/new", false, true},
		{"owner in an open group", owner, "/status", true, false},
		{"member of an open group on no list", member, "/new", true, true},
	} {
		if m := emit(tc.from, tc.text, tc.group); m.CommandsDenied != tc.deny || m.Text != tc.text {
			t.Errorf("%s: delivered %q with CommandsDenied %v, want %v", tc.name, m.Text, m.CommandsDenied, tc.deny)
		}
	}
	// groupAllowFrom admits a member to commands in groups, but the owner rule holds.
	if err := p.SetAccess(access.Config{Account: access.Account{AllowFrom: []string{"+" + owner}, GroupAllowFrom: []string{"+" + member, "+" + owner}, Groups: groups}}); err != nil {
		t.Fatal(err)
	}
	if m := emit(member, "/think high", true); !m.CommandsDenied {
		t.Error("a groupAllowFrom member who is not an owner may run commands")
	}
	// "*": every admitted sender is an owner.
	if err := p.SetAccess(access.Config{Account: access.Account{DMPolicy: access.DMOpen, AllowFrom: []string{"*"}}}); err != nil {
		t.Fatal(err)
	}
	if m := emit(other, "/status", false); m.CommandsDenied {
		t.Error(`allowFrom "*": a sender's command denied`)
	}
	// commands.useAccessGroups false: an open group's members (no allow list) may, when
	// allowFrom names no owners.
	if err := p.SetAccess(access.Config{Account: access.Account{GroupPolicy: access.GroupOpen, Groups: groups}, CommandsBypassAccess: true}); err != nil {
		t.Fatal(err)
	}
	if m := emit(member, "/status", true); m.CommandsDenied {
		t.Error("useAccessGroups false: an open group member's command denied")
	}
	if sent := c.sentMsgs(); len(sent) != 0 {
		t.Fatalf("the provider answered by itself: %d messages", len(sent))
	}
}

// TestReplyStreamTypingModes: Outbound.Typing never shows no indicator at all (and
// Abort sends no "paused" for it); deferred shows none until StartTyping, then
// repeats it at Outbound.TypingInterval; a stream that ended starts no indicator.
// An instant stream to another chat, opened at the same time, is the control: it has
// typed several times before the others are checked.
func TestReplyStreamTypingModes(t *testing.T) {
	p, fs := linkedProvider(t, Config{})
	c := fs.last()
	ctx := ctx10(t)
	count := func(jid string) int {
		n := 0
		for _, pr := range c.presences() {
			if strings.HasPrefix(pr, jid+" ") {
				n++
			}
		}
		return n
	}
	const (
		never    = "15550000001@s.whatsapp.net"
		deferred = "15550000002@s.whatsapp.net"
		instant  = "15550000003@s.whatsapp.net"
	)
	iv := time.Millisecond // the provider's default (6 s) would time the test out
	rsNever := p.OpenReply(ctx, providers.Outbound{To: "+15550000001", Typing: providers.TypingNever, TypingInterval: iv})
	rsDeferred := p.OpenReply(ctx, providers.Outbound{To: "+15550000002", Typing: providers.TypingDeferred, TypingInterval: iv})
	rsInstant := p.OpenReply(ctx, providers.Outbound{To: "+15550000003", TypingInterval: iv})
	waitFor(t, "instant composing repeated", func() bool { return count(instant) >= 3 })
	if n, m := count(never), count(deferred); n != 0 || m != 0 {
		t.Fatalf("before StartTyping: never %d, deferred %d presences", n, m)
	}
	providers.StreamTyping(rsNever)
	providers.StreamTyping(rsDeferred)
	waitFor(t, "deferred composing repeated", func() bool { return count(deferred) >= 3 })
	rsNever.Abort() // nothing was shown: no "paused" either
	base := count(instant)
	waitFor(t, "instant composing", func() bool { return count(instant) >= base+3 })
	if n := count(never); n != 0 {
		t.Fatalf("never stream sent %d presences: %q", n, c.presences())
	}
	if _, err := rsDeferred.Finish(ctx, "done"); err != nil {
		t.Fatal(err)
	}
	rsInstant.Abort()
	after := count(deferred)
	providers.StreamTyping(rsDeferred) // ended: no new indicator
	rs4 := p.OpenReply(ctx, providers.Outbound{To: "+15550000003", TypingInterval: iv})
	base = count(instant)
	waitFor(t, "control composing", func() bool { return count(instant) >= base+3 })
	rs4.Abort()
	if n := count(deferred); n != after {
		t.Fatalf("finished stream typed again: %d presences, had %d", n, after)
	}
}
