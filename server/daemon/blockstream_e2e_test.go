package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// blockConfig is a gateway with the fake model and the Telegram test server;
// defaults go into agents.defaults, telegram into channels.telegram, extra at the
// top level.
func blockConfig(ws string, m *fakeModel, bot *tgtest.Server, defaults, telegram, extra string) string {
	return fmt.Sprintf(`{
  agents: {defaults: {workspace: %q, model: {primary: "fake/m1"}, %s}, %s},
  models: {providers: {fake: {baseUrl: %q, api: %q, apiKey: "k1", models: [{id: "m1", name: "m1"}]}}},
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, dmPolicy: "open", allowFrom: ["*"], %s}},
}`, ws, defaults, extra, m.baseURL(), m.api, tgtest.DefaultToken, bot.URL(), telegram)
}

func blockHome(t *testing.T) (home, ws string) {
	home = t.TempDir()
	ws = filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	return home, ws
}

func texts(s []tgtest.Sent) []string {
	var out []string
	for _, m := range s {
		out = append(out, m.Text)
	}
	return out
}

// Three paragraphs of 40 characters each.
var (
	para1 = "First paragraph, forty characters long.."
	para2 = "Second paragraph, forty characters long."
	para3 = "Third paragraph, forty characters long.."
	paras = para1 + "\n\n" + para2 + "\n\n" + para3
)

// TestTelegramBlockStreaming runs the gateway against the Telegram test server and
// the streaming model server: with block streaming on for Telegram
// (channels.telegram.blockStreaming) a reply of three paragraphs goes out as three
// messages cut at the paragraph breaks (coalescing stops at the channel's
// blockStreamingCoalesce.maxChars), with messages.responsePrefix on each, and is not
// sent again at the end; reply tags are removed and thread the first block; a silent
// reply sends nothing.
func TestTelegramBlockStreaming(t *testing.T) {
	home, ws := blockHome(t)
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		switch n {
		case 1:
			return fakeStep{text: "[[reply_to_current]] " + para1 + "\n\n" + para2}
		case 2:
			return fakeStep{text: "NO_REPLY"}
		}
		return fakeStep{text: paras}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	// newline: blocks end at line breaks only (below maxChars), so the reply tag
	// before the first paragraph does not move its break.
	cfg := blockConfig(ws, model, bot,
		`blockStreamingChunk: {minChars: 41, maxChars: 200, breakPreference: "newline"}`,
		`blockStreaming: true, blockStreamingCoalesce: {minChars: 20, maxChars: 60}`,
		`}, messages: {responsePrefix: "[bot]"`)
	// The fake clock holds the coalescer's idle flush: only sizes decide here.
	clk := clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC))
	r := startHome(t, home, cfg, clk)
	r.waitOutput(t, "agent runtime ready")

	bot.PushUpdate(42, 42, "tell me three things")
	want := []string{"[bot] " + para1, "[bot] " + para2, "[bot] " + para3}
	waitFor(t, "three blocks", func() bool { return len(sentTo(bot, "42")) >= 3 })
	if got := texts(sentTo(bot, "42")); !slices.Equal(got, want) {
		t.Fatalf("blocks %q, want %q", got, want)
	}

	// The next reply's messages follow: nothing of the first was sent again.
	bot.PushUpdate(42, 42, "thread it")
	waitFor(t, "the tagged reply", func() bool { return len(sentTo(bot, "42")) >= 5 })
	sent := sentTo(bot, "42")
	if got := texts(sent[3:]); !slices.Equal(got, []string{"[bot] " + para1, "[bot] " + para2}) {
		t.Fatalf("tagged reply %q (all: %q)", got, texts(sent))
	}
	if sent[3].ReplyTo == 0 || sent[4].ReplyTo != 0 {
		t.Fatalf("threading: first block under %d, second under %d (replyToMode first)", sent[3].ReplyTo, sent[4].ReplyTo)
	}

	// A silent reply in another chat sends nothing there. Runs execute one at a time
	// (agents.defaults.maxConcurrent 1): once the silent run has called the model,
	// the next reply comes after it has ended.
	bot.PushUpdate(43, 43, "quiet please")
	waitFor(t, "the silent run's model call", func() bool { return len(model.requests()) == 3 })
	bot.PushUpdate(42, 42, "again")
	waitFor(t, "the reply after the silent one", func() bool { return len(sentTo(bot, "42")) >= 8 })
	if got := texts(sentTo(bot, "42")); len(got) != 8 || !slices.Equal(got[5:], want) {
		t.Fatalf("after a silent reply: %q", got)
	}
	if got := texts(sentTo(bot, "43")); len(got) != 0 {
		t.Fatalf("silent reply sent %q", got)
	}
}

// TestTelegramBlockStreamingCoalesce: blocks shorter than the coalescing size are
// merged (joined at the paragraph break) into one message instead of one each; the
// idle flush sends a merged text once it reached blockStreamingCoalesce.minChars
// (agents.defaults, no channel override).
func TestTelegramBlockStreamingCoalesce(t *testing.T) {
	home, ws := blockHome(t)
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		return fakeStep{text: "One.\n\nTwo.\n\nThree."}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := blockConfig(ws, model, bot,
		`blockStreamingDefault: "on", blockStreamingChunk: {minChars: 1, maxChars: 100}, blockStreamingCoalesce: {minChars: 500, idleMs: 1000}`,
		`streamMode: "off"`, ``)
	clk := clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC))
	r := startHome(t, home, cfg, clk)
	r.waitOutput(t, "agent runtime ready")

	bot.PushUpdate(42, 42, "count")
	waitFor(t, "the merged reply", func() bool { return len(sentTo(bot, "42")) >= 1 })
	if got := texts(sentTo(bot, "42")); !slices.Equal(got, []string{"One.\n\nTwo.\n\nThree."}) {
		t.Fatalf("got %q, want one merged message", got)
	}
}

// TestTelegramBlockStreamingOff: block streaming is off unless configured (the
// original's default), and channels.telegram.blockStreaming false wins over
// agents.defaults.blockStreamingDefault "on": the three paragraphs go as one message.
func TestTelegramBlockStreamingOff(t *testing.T) {
	for _, tc := range []struct{ name, defaults, telegram string }{
		{"unset", `blockStreamingChunk: {minChars: 41, maxChars: 200}`, `streamMode: "off"`},
		{"channel off", `blockStreamingDefault: "on", blockStreamingChunk: {minChars: 41, maxChars: 200}`, `blockStreaming: false, streamMode: "off"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home, ws := blockHome(t)
			model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: paras} })
			bot := tgtest.New(t, tgtest.DefaultToken)
			r := startHome(t, home, blockConfig(ws, model, bot, tc.defaults, tc.telegram, ``), nil)
			r.waitOutput(t, "agent runtime ready")
			bot.PushUpdate(42, 42, "tell me three things")
			waitFor(t, "the first reply", func() bool { return len(sentTo(bot, "42")) >= 1 })
			bot.PushUpdate(42, 42, "and again")
			waitFor(t, "two replies", func() bool { return len(sentTo(bot, "42")) >= 2 })
			if got := texts(sentTo(bot, "42")); !slices.Equal(got, []string{paras, paras}) {
				t.Fatalf("got %q, want each reply whole", got)
			}
		})
	}
}

// TestTelegramHumanDelay: with humanDelay (agents.list's custom range over the
// defaults' "off"), the first block goes at once and each later one only after the
// delay has passed on the fake clock.
func TestTelegramHumanDelay(t *testing.T) {
	home, ws := blockHome(t)
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: paras} })
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := blockConfig(ws, model, bot,
		`humanDelay: {mode: "off", minMs: 100}, blockStreamingChunk: {minChars: 41, maxChars: 200}, heartbeat: {every: "0m"}`,
		`blockStreaming: true, blockStreamingCoalesce: {minChars: 20, maxChars: 60, idleMs: 0}`,
		`list: [{id: "main", default: true, humanDelay: {mode: "custom", minMs: 1500, maxMs: 1500}}]`)
	clk := clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC))
	r := startHome(t, home, cfg, clk)
	r.waitOutput(t, "agent runtime ready")

	r.waitOutput(t, "heartbeat off") // no timer of its own on the fake clock
	base := clk.Pending()
	bot.PushUpdate(42, 42, "tell me three things")
	waitFor(t, "the first block", func() bool { return len(sentTo(bot, "42")) >= 1 })
	for i := 2; i <= 3; i++ {
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		ok := clk.WaitPending(ctx, base+1)
		cancel()
		if !ok {
			t.Fatalf("block %d: no delay timer (pending %d, base %d, sent %q)", i, clk.Pending(), base, texts(sentTo(bot, "42")))
		}
		if n := len(sentTo(bot, "42")); n != i-1 {
			t.Fatalf("block %d sent before its delay (%d sent)", i, n)
		}
		clk.Advance(1499 * time.Millisecond)
		if n := len(sentTo(bot, "42")); n != i-1 {
			t.Fatalf("block %d sent before 1500 ms (%d sent)", i, n)
		}
		clk.Advance(time.Millisecond)
		waitFor(t, fmt.Sprintf("block %d", i), func() bool { return len(sentTo(bot, "42")) >= i })
	}
	if got := texts(sentTo(bot, "42")); !slices.Equal(got, []string{para1, para2, para3}) {
		t.Fatalf("blocks %q", got)
	}
}

// TestTelegramBlockStreamingToolStep: under blockStreamingBreak "message_end", the
// text the model writes before a tool call goes out as a block when that message
// ends (before the tool runs), and the answer after the tool as the next block; the
// transcript's final answer is not sent a third time.
func TestTelegramBlockStreamingToolStep(t *testing.T) {
	home, ws := blockHome(t)
	if err := os.WriteFile(filepath.Join(ws, "f.txt"), []byte("forty-two"), 0o600); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n == 0 {
			return fakeStep{text: "Let me look that up.", calls: []fakeCall{{"c1", "read", `{"path":"f.txt"}`}}}
		}
		return fakeStep{text: "The file says forty-two."}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := blockConfig(ws, model, bot,
		`blockStreamingBreak: "message_end", blockStreamingChunk: {minChars: 10, maxChars: 200}`,
		`blockStreaming: true, blockStreamingCoalesce: {maxChars: 30}`, ``)
	r := startHome(t, home, cfg, clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC)))
	r.waitOutput(t, "agent runtime ready")
	bot.PushUpdate(42, 42, "what is in f.txt?")
	waitFor(t, "two blocks", func() bool { return len(sentTo(bot, "42")) >= 2 })
	bot.PushUpdate(42, 42, "thanks")
	waitFor(t, "the next reply", func() bool { return len(sentTo(bot, "42")) >= 3 })
	if got := texts(sentTo(bot, "42")); !slices.Equal(got[:2], []string{"Let me look that up.", "The file says forty-two."}) || len(got) != 3 {
		t.Fatalf("sent %q", got)
	}
}

// TestTelegramDraftChunk: under streamMode "block" the shown reply grows by
// channels.telegram.draftChunk chunks: with the default minimum (200) a 124-character
// reply shows nothing before it is complete (one message, no edit); with minChars 41
// its first paragraph is shown first and then completed in place (one edit), also
// when it is the account's draftChunk over the channel's. Block streaming stays off:
// one message either way.
func TestTelegramDraftChunk(t *testing.T) {
	for _, tc := range []struct {
		name, telegram string
		edits          int
	}{
		{"default", `streamMode: "block"`, 0},
		{"minChars 41", `streamMode: "block", draftChunk: {minChars: 41, maxChars: 200}`, 1},
		{"account's", `streamMode: "block", draftChunk: {minChars: 500}, accounts: {default: {draftChunk: {minChars: 41, maxChars: 200}}}`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home, ws := blockHome(t)
			model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: paras} })
			bot := tgtest.New(t, tgtest.DefaultToken)
			r := startHome(t, home, blockConfig(ws, model, bot, ``, tc.telegram, ``), nil)
			r.waitOutput(t, "agent runtime ready")
			bot.PushUpdate(42, 42, "tell me three things")
			waitFor(t, "the reply", func() bool { s := sentTo(bot, "42"); return len(s) == 1 && s[0].Text == paras })
			// The run has ended once the typing loop stops; the edits are all in.
			waitFor(t, "the final edit", func() bool { return len(bot.Edits()) >= tc.edits })
			if got := len(bot.Edits()); got != tc.edits || len(sentTo(bot, "42")) != 1 {
				t.Fatalf("edits %d (want %d), messages %d", got, tc.edits, len(sentTo(bot, "42")))
			}
		})
	}
}
