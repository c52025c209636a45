package tgstream

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/clawgate/gateway/server/chunk"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func setup(t *testing.T) (*tgtest.Server, API) {
	t.Helper()
	srv := tgtest.New(t, tgtest.DefaultToken)
	bot, err := telego.NewBot(srv.Token(), telego.WithAPIServer(srv.URL()), telego.WithHTTPClient(&http.Client{}), telego.WithDiscardLogger())
	if err != nil {
		t.Fatal(err)
	}
	srv.AddChat(42)
	return srv, Telego{Bot: bot}
}

func TestPartialEditsOneMessage(t *testing.T) {
	srv, api := setup(t)
	ctx := context.Background()
	c := &clock{t: time.Unix(1000, 0)}
	s := New(api, "42", Options{Mode: ModePartial, Now: c.Now})
	s.Update(ctx, "Hel")                // first text: sent as a message
	s.Update(ctx, "Hello")              // within the interval: held back
	s.Update(ctx, "Hello wor")          // still held (only the newest is kept)
	c.Advance(DefaultEditInterval)      //
	s.Update(ctx, "Hello world")        // interval passed: one edit with the newest text
	s.Update(ctx, "Hello world, again") // held
	c.Advance(DefaultEditInterval)
	s.Flush(ctx) // a ticker would do this when deltas pause
	if err := s.Finish(ctx, "Hello world, again. Done."); err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent()
	if len(sent) != 1 {
		t.Fatalf("partial mode sent %d messages: %+v", len(sent), sent)
	}
	edits := srv.Edits()
	want := []string{"Hello world", "Hello world, again", "Hello world, again. Done."}
	if len(edits) != len(want) {
		t.Fatalf("edits %+v", edits)
	}
	for i, e := range edits {
		if e.Text != want[i] || e.MessageID != sent[0].MessageID {
			t.Fatalf("edit %d: %+v", i, e)
		}
	}
	if srv.Sent()[0].Text != "Hello world, again. Done." {
		t.Fatal("final text not in the message")
	}
}

func TestPartialFinalLongerThanLimit(t *testing.T) {
	srv, api := setup(t)
	ctx := context.Background()
	c := &clock{t: time.Unix(1000, 0)}
	s := New(api, "42", Options{Mode: ModePartial, Now: c.Now, Limit: 100})
	s.Update(ctx, "start")
	c.Advance(time.Hour)
	s.Update(ctx, strings.Repeat("x ", 80)) // 160 > limit: streaming stops, no failing edit
	final := strings.Repeat("word ", 60)
	if err := s.Finish(ctx, final); err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent()
	want := chunk.Split(strings.TrimSpace(final), 100)
	if len(sent) != len(want) || sent[0].Text != want[0] || sent[1].Text != want[1] {
		t.Fatalf("sent %+v want %q", sent, want)
	}
	if srv.Calls("editMessageText") != 1 {
		t.Fatalf("edits: %d", srv.Calls("editMessageText"))
	}
}

// TestBlockModeDraftAndOff: in block mode the shown message grows by draft chunks
// (cut at paragraph breaks once DraftMin is reached), not by every delta, and Finish
// completes it in place; Block sends a block message in any mode; off shows nothing
// before Finish.
func TestBlockModeDraftAndOff(t *testing.T) {
	srv, api := setup(t)
	ctx := context.Background()
	now := time.Unix(0, 0)
	b := New(api, "42", Options{Mode: ModeBlock, DraftMin: 10, DraftMax: 100, Now: func() time.Time { return now }})
	b.Update(ctx, "First para")
	if b.MessageID() != 0 {
		t.Fatal("a chunk under DraftMin was shown")
	}
	b.Update(ctx, "First paragraph.\n\nSecond")
	if b.MessageID() == 0 || srv.Sent()[0].Text != "First paragraph." {
		t.Fatalf("the first chunk was not shown alone: %+v", srv.Sent())
	}
	now = now.Add(2 * time.Second)
	b.Update(ctx, "First paragraph.\n\nSecond paragraph.\n\nThi")
	if err := b.Finish(ctx, "First paragraph.\n\nSecond paragraph.\n\nThird."); err != nil {
		t.Fatal(err)
	}
	if len(srv.Sent()) != 1 {
		t.Fatalf("sent %+v", srv.Sent())
	}
	var shown []string
	for _, e := range srv.Edits() {
		shown = append(shown, e.Text)
	}
	if strings.Join(shown, "|") != "First paragraph.\n\nSecond paragraph.|First paragraph.\n\nSecond paragraph.\n\nThird." {
		t.Fatalf("edits %q", shown)
	}

	off := New(api, "42", Options{Mode: ModeOff})
	off.Update(ctx, "ignored")
	if id, err := off.Block(ctx, "A block."); err != nil || id == 0 {
		t.Fatal(id, err)
	}
	if err := off.Finish(ctx, "Final only."); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range srv.Sent() {
		if m.ChatID == "42" && m.MessageID != b.MessageID() {
			texts = append(texts, m.Text)
		}
	}
	if strings.Join(texts, "|") != "A block.|Final only." {
		t.Fatalf("off: %q", texts)
	}
}

func TestSendErrorStopsStreamButFinishReports(t *testing.T) {
	_, api := setup(t)
	ctx := context.Background()
	s := New(api, "999", Options{Mode: ModePartial}) // unknown chat: 400
	s.Update(ctx, "hi")
	if err := s.Finish(ctx, "hi there"); err == nil {
		t.Fatal("finish to an unknown chat must fail")
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModePartial, "OFF": ModeOff, "block": ModeBlock, "partial": ModePartial, "weird": ModePartial} {
		if got := ParseMode(in); got != want {
			t.Errorf("%q: %s", in, got)
		}
	}
}

func TestTypingLoop(t *testing.T) {
	srv, api := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	loop := Typing(ctx, api, "42", TypingOptions{Interval: 10 * time.Millisecond})
	acts, err := srv.WaitActions(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	loop.Stop()
	loop.Stop() // idempotent
	n := srv.Calls("sendChatAction")
	for _, a := range acts {
		if a.Action != "typing" || a.ChatID != "42" {
			t.Fatalf("action %+v", a)
		}
	}
	// Stop waited for the loop to exit, so no request can follow.
	<-loop.Done()
	if got := srv.Calls("sendChatAction"); got != n {
		t.Fatalf("actions after stop: %d -> %d", n, got)
	}
}

func TestTypingTTL(t *testing.T) {
	srv, api := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	loop := Typing(ctx, api, "42", TypingOptions{Interval: time.Hour, TTL: 50 * time.Millisecond, Action: "record_voice"})
	defer loop.Stop()
	acts, err := srv.WaitActions(ctx, 1)
	if err != nil || acts[0].Action != "record_voice" {
		t.Fatalf("%v %+v", err, acts)
	}
	select {
	case <-loop.Done(): // the TTL ended the loop without Stop
	case <-ctx.Done():
		t.Fatal("typing loop outlived its TTL")
	}
}

// TestStreamReplyTo: SetReplyTo threads the first message the stream sends (the
// preview) or, with all, every one; a reply named after the preview went out leaves
// the preview as it is.
func TestStreamReplyTo(t *testing.T) {
	for _, tc := range []struct {
		name  string
		all   bool
		early bool // named before the first preview
		want  []int64
	}{
		{"first", false, true, []int64{7, 0}},
		{"all", true, true, []int64{7, 7}},
		{"late first", false, false, []int64{0, 0}},
		{"late all", true, false, []int64{0, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, api := setup(t)
			ctx := context.Background()
			c := &clock{t: time.Unix(1000, 0)}
			s := New(api, "42", Options{Mode: ModePartial, Now: c.Now, Limit: 20})
			if tc.early {
				s.SetReplyTo(7, tc.all)
			}
			s.Update(ctx, "hello there")
			if !tc.early {
				s.SetReplyTo(7, tc.all)
			}
			if err := s.Finish(ctx, "hello there, and some more words"); err != nil {
				t.Fatal(err)
			}
			sent := srv.Sent()
			if len(sent) != len(tc.want) {
				t.Fatalf("sent %+v", sent)
			}
			for i, m := range sent {
				if m.ReplyTo != tc.want[i] {
					t.Fatalf("message %d %+v: reply_to %d, want %d", i, m, m.ReplyTo, tc.want[i])
				}
			}
		})
	}
}
