package agent

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

// TestQueueSummaryLine: a dropped message's line in the overflow block has its
// whitespace collapsed and is elided to 160 characters.
func TestQueueSummaryLine(t *testing.T) {
	long := strings.Repeat("a", 158) + "  bcdef"
	tests := []struct{ in, want string }{
		{"hello", "hello"},
		{"  two\n\nlines\tand   tabs ", "two lines and tabs"},
		{strings.Repeat("x", 160), strings.Repeat("x", 160)},
		{strings.Repeat("x", 161), strings.Repeat("x", 159) + "…"},
		{strings.Repeat("é", 200), strings.Repeat("é", 159) + "…"},
		// The cut falls after a space: it is trimmed before the ellipsis.
		{long, strings.Repeat("a", 158) + "…"},
	}
	for _, tt := range tests {
		if got := queueSummaryLine(tt.in); got != tt.want {
			t.Errorf("queueSummaryLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestQueueOverflowBlock: the note a turn gets after drop summarize.
func TestQueueOverflowBlock(t *testing.T) {
	tests := []struct {
		n     int
		lines []string
		want  string
	}{
		{1, []string{"second"}, "[Queue overflow] Dropped 1 message due to cap.\nSummary:\n- second"},
		{3, []string{"a", "b"}, "[Queue overflow] Dropped 3 messages due to cap.\nSummary:\n- a\n- b"},
		{2, nil, "[Queue overflow] Dropped 2 messages due to cap."},
	}
	for _, tt := range tests {
		if got := queueOverflowBlock(tt.n, tt.lines); got != tt.want {
			t.Errorf("queueOverflowBlock(%d, %q) = %q, want %q", tt.n, tt.lines, got, tt.want)
		}
	}
}

// TestDropForCap: making room for one more queued message under each policy drops the
// oldest queued ones (never a run that is not a queued channel message), and summarize
// records their lines, bounded by the cap.
func TestDropForCap(t *testing.T) {
	run := func(id string, queued bool) *Run {
		return &Run{ID: id, queued: queued, req: Request{Message: "text of " + id}}
	}
	ids := func(rs []*Run) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	tests := []struct {
		name        string
		waiting     []*Run
		prior       []string // summary lines already pending
		s           QueueSettings
		wantDropped []string
		wantKept    []string
		wantLines   []string
		wantCount   int
	}{
		{"under the cap", []*Run{run("a", true)}, nil, QueueSettings{Cap: 2, Drop: QueueDropOld}, nil, []string{"a"}, nil, 0},
		{"old at the cap", []*Run{run("a", true), run("b", true)}, nil, QueueSettings{Cap: 2, Drop: QueueDropOld}, []string{"a"}, []string{"b"}, nil, 0},
		{"skips runs that are not queued messages", []*Run{run("chat", false), run("a", true), run("b", true)}, nil, QueueSettings{Cap: 2, Drop: QueueDropOld}, []string{"a"}, []string{"chat", "b"}, nil, 0},
		{"cap lowered by a reload", []*Run{run("a", true), run("b", true), run("c", true)}, nil, QueueSettings{Cap: 1, Drop: QueueDropOld}, []string{"a", "b", "c"}, nil, nil, 0},
		{"new never drops what waits", []*Run{run("a", true), run("b", true)}, nil, QueueSettings{Cap: 2, Drop: QueueDropNew}, nil, []string{"a", "b"}, nil, 0},
		{"summarize", []*Run{run("a", true), run("b", true)}, nil, QueueSettings{Cap: 2, Drop: QueueDropSummarize}, []string{"a"}, []string{"b"}, []string{"text of a"}, 1},
		{"summarize keeps cap lines", []*Run{run("a", true), run("b", true)}, []string{"p1", "p2"}, QueueSettings{Cap: 2, Drop: QueueDropSummarize}, []string{"a"}, []string{"b"}, []string{"p2", "text of a"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &lane{waiting: slices.Clone(tt.waiting), summaryLines: slices.Clone(tt.prior), droppedCount: len(tt.prior)}
			dropped := (&Runtime{}).dropForCapLocked(l, tt.s)
			if got := ids(dropped); !slices.Equal(got, tt.wantDropped) {
				t.Errorf("dropped %v, want %v", got, tt.wantDropped)
			}
			if got := ids(l.waiting); !slices.Equal(got, tt.wantKept) {
				t.Errorf("kept %v, want %v", got, tt.wantKept)
			}
			if !slices.Equal(l.summaryLines, tt.wantLines) || l.droppedCount != tt.wantCount {
				t.Errorf("summary %q (%d dropped), want %q (%d)", l.summaryLines, l.droppedCount, tt.wantLines, tt.wantCount)
			}
			r := &Run{}
			l.takeOverflowLocked(r)
			if (r.overflow != "") != (tt.wantCount > 0) || l.droppedCount != 0 || l.summaryLines != nil {
				t.Errorf("overflow handed on: %q; lane left with %d, %q", r.overflow, l.droppedCount, l.summaryLines)
			}
		})
	}
}

// queueEnv is a runtime whose channel messages queue under s, with the fake clock.
func queueEnv(t *testing.T, mode string, s QueueSettings) (*env, *fakeSender, *clock.Fake) {
	snd, clk := newFakeSender(), clock.NewFake(time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC))
	e := newEnv(t, envOpts{sender: snd, tweak: func(o *Options) {
		o.QueueMode = func(string) string { return mode }
		o.QueueSettings = func(ch string) QueueSettings {
			if ch != providers.Telegram {
				t.Errorf("queue settings asked for channel %q", ch)
			}
			return s
		}
		o.Clock = clk
	}})
	return e, snd, clk
}

func tgMsg(id, text string) providers.Message {
	return providers.Message{Channel: providers.Telegram, From: "42", ChatID: "42", MessageID: id, Text: text}
}

func mustInbound(t *testing.T, e *env, m providers.Message) {
	t.Helper()
	if _, err := e.rt.HandleInbound(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func tgOutcome(t *testing.T, e *env, id string) Outcome {
	t.Helper()
	out, ok := e.rt.Wait(context.Background(), "telegram::42:"+id, wait)
	if !ok {
		t.Fatalf("run %s did not finish", id)
	}
	return out
}

// TestQueueDebounce: a message that queued behind a busy turn does not start when the
// session is free but debounceMs after the last message queued there, so a burst that
// goes on arriving is answered together.
func TestQueueDebounce(t *testing.T) {
	e, snd, clk := queueEnv(t, QueueCollect, QueueSettings{Debounce: time.Second, Cap: 20, Drop: QueueDropSummarize})
	mustInbound(t, e, tgMsg("1", "gate:g1 first"))
	recv(t, e.up.started, "first request")
	mustInbound(t, e, tgMsg("2", "second"))
	e.up.release("g1")
	if got := recv(t, snd.ch, "first reply"); got.Out.Text != "Hello world" {
		t.Fatalf("first reply %q", got.Out.Text)
	}
	// The session is free, but the queued message waits out the window.
	recv(t, clk.Armed(), "debounce timer")
	if n := e.up.requests.Load(); n != 1 || clk.Pending() != 1 || e.rt.Lookup("telegram::42:2").Finished() {
		t.Fatalf("%d model requests, %d timers before the window passed; want 1 and 1 with run 2 waiting", n, clk.Pending())
	}
	// Another message inside the window moves it: at 1 s the first timer fires, the
	// pump finds the new window open until 1.4 s and waits again.
	clk.Advance(400 * time.Millisecond)
	mustInbound(t, e, tgMsg("3", "third"))
	clk.Advance(600 * time.Millisecond)
	recv(t, clk.Armed(), "debounce timer for the moved window")
	if n := e.up.requests.Load(); n != 1 || clk.Pending() != 1 {
		t.Fatalf("%d model requests, %d timers inside the moved window; want 1 and 1", n, clk.Pending())
	}
	clk.Advance(399 * time.Millisecond)
	if n := e.up.requests.Load(); n != 1 || clk.Pending() != 1 {
		t.Fatalf("%d model requests, %d timers 1 ms before the window closes; want 1 and 1", n, clk.Pending())
	}
	clk.Advance(time.Millisecond)
	if got := recv(t, snd.ch, "collected reply"); got.Out.Text != "echo: third" {
		t.Fatalf("collected reply %q", got.Out.Text)
	}
	if o2 := tgOutcome(t, e, "2"); o2.Status != StatusOK || o2.Text != "echo: third" {
		t.Fatalf("run 2: %+v", o2)
	}
	var users []string
	for _, m := range e.up.lastBody().Messages {
		if m.Role == "user" {
			users = append(users, m.Content)
		}
	}
	if n := e.up.requests.Load(); n != 2 || !slices.Equal(users, []string{"gate:g1 first", "second", "third"}) {
		t.Fatalf("%d requests; the burst's request has the user messages %q", n, users)
	}
	// A message to a free session starts at once, without a timer.
	mustInbound(t, e, tgMsg("4", "fourth"))
	if got := recv(t, snd.ch, "reply to a message on a free session"); got.Out.Text != "echo: fourth" {
		t.Fatalf("reply %q", got.Out.Text)
	}
	if len(clk.Armed()) != 0 || clk.Pending() != 0 {
		t.Fatal("a debounce timer for a message that did not queue")
	}
}

// TestQueueCapDrop: with cap 2 and two messages already waiting, a third waiting one
// makes the policy act: old ends the oldest waiting message unanswered (its text stays
// in the transcript, so later turns see it), new refuses the newcomer before it is
// stored, summarize does what old does and the next turn's prompt starts with the
// overflow note listing what was dropped.
func TestQueueCapDrop(t *testing.T) {
	const note = "[Queue overflow] Dropped 1 message due to cap.\nSummary:\n- second"
	tests := []struct {
		drop        string
		wantReplies []string
		dropped     string // the run ended unanswered ("" none)
	}{
		{QueueDropOld, []string{"Hello world", "echo: third", "echo: fourth"}, "2"},
		{QueueDropNew, []string{"Hello world", "echo: second", "echo: third"}, ""},
		{QueueDropSummarize, []string{"Hello world", "echo: " + note + "\n\nthird", "echo: fourth"}, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.drop, func(t *testing.T) {
			e, snd, _ := queueEnv(t, QueueFollowup, QueueSettings{Debounce: 0, Cap: 2, Drop: tt.drop})
			mustInbound(t, e, tgMsg("1", "gate:g1 first"))
			recv(t, e.up.started, "first request")
			mustInbound(t, e, tgMsg("2", "second"))
			mustInbound(t, e, tgMsg("3", "third"))
			_, err := e.rt.HandleInbound(context.Background(), tgMsg("4", "fourth"))
			var re *rpc.Error
			if tt.drop == QueueDropNew {
				if !errors.As(err, &re) || re.Code != string(protocol.ErrorCodeUnavailable) || !strings.Contains(re.Message, "messages.queue.cap 2") {
					t.Fatalf("fourth message over the cap: %v", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tt.dropped != "" {
				// Ended at once, before the busy turn is done.
				o := tgOutcome(t, e, tt.dropped)
				if o.Status != StatusAborted || !strings.Contains(o.Err, "messages.queue.cap") || o.StartedAt != 0 {
					t.Fatalf("dropped run: %+v", o)
				}
			}
			e.up.release("g1")
			for _, want := range tt.wantReplies {
				if got := recv(t, snd.ch, want); got.Out.Text != want {
					t.Fatalf("reply %q, want %q", got.Out.Text, want)
				}
			}
			if n := e.up.requests.Load(); n != 3 {
				t.Fatalf("%d model requests, want 3", n)
			}
			if tt.drop == QueueDropNew {
				if r := e.rt.Lookup("telegram::42:4"); r != nil {
					t.Fatal("the refused message has a run")
				}
			}
			// What the model saw: every stored message in the history, the overflow note
			// in exactly one request, on the prompt of the turn after the drop.
			bodies := e.up.allBodies()
			last := bodies[len(bodies)-1].Messages
			var users []string
			for _, m := range last {
				if m.Role == "user" {
					users = append(users, m.Content)
				}
			}
			wantUsers := []string{"gate:g1 first", "second", "third", "fourth"}
			if tt.drop == QueueDropNew {
				wantUsers = []string{"gate:g1 first", "second", "third"}
			}
			if !slices.Equal(users, wantUsers) {
				t.Fatalf("the last request's user messages %q, want %q", users, wantUsers)
			}
			notes := 0
			for _, b := range bodies {
				for _, m := range b.Messages {
					if m.Role == "user" && strings.Contains(m.Content, "[Queue overflow]") {
						notes++
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tt.drop == QueueDropSummarize]; notes != want {
				t.Fatalf("overflow note in %d request messages, want %d", notes, want)
			}
			// The transcript has the messages as they came, never the note (the fake model's
			// echo of it is its reply).
			hist, err := e.store.History(context.Background(), e.rt.InboundKey(tgMsg("1", "")), 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range hist {
				if m.Role == "user" && (strings.Contains(m.Text, "[Queue overflow]") || (tt.drop == QueueDropNew && m.Text == "fourth")) {
					t.Fatalf("transcript entry %q", m.Text)
				}
			}
		})
	}
}

// TestQueueCapOnlyChannelMessages: chat.send-style runs are not dropped by the cap and
// keep the per-session bound; channel messages past it are governed by the cap.
func TestQueueCapOnlyChannelMessages(t *testing.T) {
	e, snd, _ := queueEnv(t, QueueFollowup, QueueSettings{Debounce: 0, Cap: 1, Drop: QueueDropOld})
	mustInbound(t, e, tgMsg("1", "gate:g1 first"))
	recv(t, e.up.started, "first request")
	key := e.rt.InboundKey(tgMsg("1", ""))
	if _, _, err := e.rt.Start(context.Background(), Request{RunID: "chat-1", SessionKey: key, Message: "from the web", Source: "chat"}); err != nil {
		t.Fatal(err)
	}
	mustInbound(t, e, tgMsg("2", "second"))
	mustInbound(t, e, tgMsg("3", "third")) // drops 2, not the chat run
	if o := tgOutcome(t, e, "2"); o.Status != StatusAborted {
		t.Fatalf("run 2: %+v", o)
	}
	e.up.release("g1")
	if o, ok := e.rt.Wait(context.Background(), "chat-1", wait); !ok || o.Status != StatusOK || o.Text != "echo: from the web" {
		t.Fatalf("chat run: %+v", o)
	}
	for _, want := range []string{"Hello world", "echo: third"} {
		if got := recv(t, snd.ch, want); got.Out.Text != want {
			t.Fatalf("reply %q, want %q", got.Out.Text, want)
		}
	}
}

// TestQueueDebounceClose: a message held by the debounce when the runtime closes ends
// (shutting down) before Close returns, instead of starting after it.
func TestQueueDebounceClose(t *testing.T) {
	e, snd, clk := queueEnv(t, QueueCollect, QueueSettings{Debounce: time.Minute, Cap: 20, Drop: QueueDropSummarize})
	mustInbound(t, e, tgMsg("1", "gate:g1 first"))
	recv(t, e.up.started, "first request")
	mustInbound(t, e, tgMsg("2", "second"))
	e.up.release("g1")
	recv(t, snd.ch, "first reply")
	recv(t, clk.Armed(), "debounce timer")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.rt.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r := e.rt.Lookup("telegram::42:2")
	if r == nil || !r.Finished() {
		t.Fatal("the debounced run did not end with Close")
	}
	if o := r.Outcome(); o.Status != StatusError || o.Err != errShutdown.Error() {
		t.Fatalf("debounced run after Close: %+v", o)
	}
	if n := e.up.requests.Load(); n != 1 {
		t.Fatalf("%d model requests, want 1", n)
	}
}
