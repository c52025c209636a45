package telegram_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/pairing"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

const debounceWindow = 1500 * time.Millisecond

var bo = tgtest.User{ID: 6, FirstName: "Bo"}

// delivered checks that exactly n messages have reached the agent.
func delivered(t *testing.T, r *albumRig, n int, what string) {
	t.Helper()
	if got := r.in.all(); len(got) != n {
		t.Fatalf("%s: %d messages reached the agent, want %d", what, len(got), n)
	}
}

// TestDebounceCombinesTexts: three quick texts from one sender reach the agent as one
// message once the window after the last has passed, joined with newlines, with the
// last one's id; another sender's text in between is its own message.
func TestDebounceCombinesTexts(t *testing.T) {
	r := newAlbumRig(t, telegram.Config{Debounce: debounceWindow})
	r.srv.PushMessage(42, ann, "hey")
	r.srv.PushMessage(42, ann, "quick question")
	r.srv.PushMessage(6, bo, "hello from Bo")
	r.handled(t)
	r.clk.Advance(time.Second)
	r.srv.PushMessage(42, ann, "what's the weather?")
	r.handled(t)
	r.clk.Advance(500 * time.Millisecond) // Bo's window ends; Ann's restarted with her last text
	if m := recvMsg(t, r.in); m.Text != "hello from Bo" || m.From != "6" {
		t.Fatalf("Bo: %q from %s", m.Text, m.From)
	}
	r.timers(t, 1)
	delivered(t, r, 1, "inside Ann's window")
	r.clk.Advance(time.Second)
	m := recvMsg(t, r.in)
	if m.Text != "hey\nquick question\nwhat's the weather?" || m.From != "42" || m.ChatID != "42" {
		t.Fatalf("combined: %q from %s in %s", m.Text, m.From, m.ChatID)
	}
	if m.MessageID != "4" { // messages 1, 2 (Ann), 3 (Bo), 4 (Ann)
		t.Fatalf("message id %s, want the last text's (4)", m.MessageID)
	}
	if n := len(r.in.all()); n != 2 {
		t.Fatalf("%d messages reached the agent, want 2", n)
	}
}

// TestDebounceOff: without a window (the default) every text goes on alone at once;
// SetDebounce (a config reload) turns it on for the next texts.
func TestDebounceOff(t *testing.T) {
	r := newAlbumRig(t, telegram.Config{})
	for _, s := range []string{"one", "two", "three"} {
		r.srv.PushMessage(42, ann, s)
	}
	for _, want := range []string{"one", "two", "three"} {
		if m := recvMsg(t, r.in); m.Text != want {
			t.Fatalf("got %q, want %q", m.Text, want)
		}
	}
	r.p.SetDebounce(debounceWindow)
	r.srv.PushMessage(42, ann, "four")
	r.srv.PushMessage(42, ann, "five")
	r.handled(t)
	delivered(t, r, 3, "after SetDebounce")
	r.clk.Advance(debounceWindow)
	if m := recvMsg(t, r.in); m.Text != "four\nfive" {
		t.Fatalf("after SetDebounce: %q", m.Text)
	}
}

// TestDebounceCommandsAndMediaBypass: a control command and a photo are not held:
// each sends the sender's held texts on first, then goes on alone at once. An unknown
// /word is text like any other.
func TestDebounceCommandsAndMediaBypass(t *testing.T) {
	r := newAlbumRig(t, telegram.Config{Debounce: debounceWindow})
	r.srv.PushMessage(42, ann, "first")
	r.srv.PushMessage(42, ann, "/notacommand here")
	r.srv.PushMessage(42, ann, "/status")
	r.srv.PushPhoto(42, ann, "look", png(1), png(2))
	for _, want := range []string{"first\n/notacommand here", "/status", "look"} {
		if m := recvMsg(t, r.in); m.Text != want {
			t.Fatalf("got %q, want %q", m.Text, want)
		}
	}
	r.handled(t)
	r.timers(t, 0) // the held burst's window timer is stopped (by its goroutine)
	delivered(t, r, 3, "after the bypasses")
}

// TestDebounceLimits: a burst that reaches DebounceMaxParts goes on at once; a burst
// beyond DebounceMaxPending sends the oldest on at once; Stop delivers what is held.
// Nothing is dropped.
func TestDebounceLimits(t *testing.T) {
	t.Run("parts", func(t *testing.T) {
		r := newAlbumRig(t, telegram.Config{Debounce: debounceWindow, DebounceMaxParts: 2})
		for _, s := range []string{"a", "b", "c"} {
			r.srv.PushMessage(42, ann, s)
		}
		if m := recvMsg(t, r.in); m.Text != "a\nb" {
			t.Fatalf("full burst: %q", m.Text)
		}
		r.handled(t)
		delivered(t, r, 1, "c inside its window")
		r.clk.Advance(debounceWindow)
		if m := recvMsg(t, r.in); m.Text != "c" {
			t.Fatalf("rest: %q", m.Text)
		}
	})
	t.Run("pending and stop", func(t *testing.T) {
		r := newAlbumRig(t, telegram.Config{Debounce: debounceWindow, DebounceMaxPending: 1})
		r.srv.PushMessage(42, ann, "from Ann")
		r.srv.PushMessage(6, bo, "from Bo")
		if m := recvMsg(t, r.in); m.Text != "from Ann" {
			t.Fatalf("evicted: %q", m.Text)
		}
		r.handled(t)
		delivered(t, r, 1, "Bo inside his window")
		if err := r.p.Stop(ctx10(t)); err != nil {
			t.Fatal(err)
		}
		if got := r.in.all(); len(got) != 2 || got[1].Text != "from Bo" {
			t.Fatalf("after Stop: %+v", got)
		}
	})
}

// TestDebounceAccess: the combined message is judged once by the access rules, as the
// original gates after its debouncer: an unknown sender's burst gets one pairing
// reply; in a group that needs a mention, a mention in any text of the burst admits
// the whole burst, and another sender's text without one is not delivered.
func TestDebounceAccess(t *testing.T) {
	t.Run("pairing", func(t *testing.T) {
		st, err := pairing.New(pairing.Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		r := newAlbumRig(t, telegram.Config{Access: &access.Config{}, Pairing: st, Debounce: debounceWindow})
		r.srv.PushMessage(42, ann, "hi")
		r.srv.PushMessage(42, ann, "anyone there?")
		r.handled(t)
		r.clk.Advance(debounceWindow)
		sent, err := r.srv.WaitSent(ctx10(t), 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.p.Stop(ctx10(t)); err != nil {
			t.Fatal(err)
		}
		if len(r.srv.Sent()) != 1 || !strings.Contains(sent[0].Text, "Pairing code: ") || len(r.in.all()) != 0 {
			t.Fatalf("replies %+v, delivered %d", r.srv.Sent(), len(r.in.all()))
		}
	})
	t.Run("mention", func(t *testing.T) {
		ac := access.Config{Account: access.Account{GroupPolicy: access.GroupOpen}}
		r := newAlbumRig(t, telegram.Config{Access: &ac, Debounce: debounceWindow})
		r.srv.PushMessage(-100, ann, "so about the trip")
		r.srv.PushMessage(-100, ann, "@"+tgtest.BotUsername+" what do you think?")
		r.srv.PushMessage(-100, bo, "unrelated chatter")
		r.handled(t)
		r.clk.Advance(debounceWindow)
		m := recvMsg(t, r.in)
		if !m.Group || m.Text != "so about the trip\n@"+tgtest.BotUsername+" what do you think?" {
			t.Fatalf("mentioned burst: %q", m.Text)
		}
		if err := r.p.Stop(ctx10(t)); err != nil {
			t.Fatal(err)
		}
		if n := len(r.in.all()); n != 1 {
			t.Fatalf("%d delivered, want only the mentioned burst", n)
		}
	})
}

// TestDebounceBeforeAlbum: an album from the sender sends their held texts on first
// (the original's albums bypass its debouncer, so there the texts came after).
func TestDebounceBeforeAlbum(t *testing.T) {
	r := newAlbumRig(t, telegram.Config{Debounce: debounceWindow})
	r.srv.PushMessage(42, ann, "here are the photos")
	r.srv.PushAlbum(42, ann, "g", tgtest.AlbumPart{Data: png(1)}, tgtest.AlbumPart{Data: png(2)})
	r.handled(t)
	delivered(t, r, 0, "inside the windows")
	r.clk.Advance(telegram.DefaultAlbumWindow)
	if m := recvMsg(t, r.in); m.Text != "here are the photos" || len(m.Images) != 0 {
		t.Fatalf("first: %q, %d images", m.Text, len(m.Images))
	}
	if m := recvMsg(t, r.in); len(m.Images) != 2 {
		t.Fatalf("album: %q, %d images", m.Text, len(m.Images))
	}
}
