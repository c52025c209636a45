package daemon

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// replyModel answers the reply tests' prompts: "quiet" with the silent token,
// "aside" with a sentence that only mentions it, "thread" with [[reply_to_current]]
// and a reply long enough for several chunks, "explicit <id>" with [[reply_to:<id>]].
func replyModel(prompt string) string {
	switch {
	case prompt == "quiet":
		return "NO_REPLY"
	case prompt == "aside":
		return "I will not say NO_REPLY here."
	case prompt == "thread":
		return "[[reply_to_current]] first part of the answer. second part of the answer."
	case strings.HasPrefix(prompt, "explicit "):
		return "[[ reply_to: " + strings.TrimPrefix(prompt, "explicit ") + " ]] pointing back"
	}
	return "re: " + prompt
}

func replyConfig(bot *tgtest.Server, model *recordingModel, telegramExtra string) string {
	return fmt.Sprintf(`{
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"]%s}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, tgtest.DefaultToken, bot.URL(), telegramExtra, model.srv.URL+"/v1")
}

// chatRun collects the chat events of one run until its final (or error) event: the
// texts of its deltas and its final message's text ("" when it carries none).
func chatRun(t *testing.T, c *gatewaytest.Client, runID string) (deltas []string, final string, hasMessage bool) {
	t.Helper()
	for {
		f := c.NextEvent("chat")
		var ev struct {
			RunID   string
			State   string
			Message *struct{ Content []struct{ Text string } }
		}
		if err := json.Unmarshal(f.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.RunID != runID {
			continue
		}
		text := ""
		if ev.Message != nil && len(ev.Message.Content) > 0 {
			text = ev.Message.Content[0].Text
		}
		switch ev.State {
		case "delta":
			deltas = append(deltas, text)
		case "final":
			return deltas, text, ev.Message != nil
		default:
			t.Fatalf("run %s ended %s: %s", runID, ev.State, f.Payload)
		}
	}
}

var messageIDLine = regexp.MustCompile(`\n\[message_id: (\d+)\]$`)

// inboundID is the message id the model was told for its n-th call (1-based).
func inboundID(t *testing.T, model *recordingModel, n int) int64 {
	t.Helper()
	raw := model.rawCalls()[n-1]
	m := messageIDLine.FindStringSubmatch(raw)
	if m == nil {
		t.Fatalf("prompt %q carries no [message_id: …] line", raw)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// TestSilentReplyTelegram: a reply that is only NO_REPLY is sent nowhere — not as a
// message, not as a streamed preview — and stays in the transcript; a sentence that
// merely mentions NO_REPLY is delivered. chat.send with deliver drops it too, and
// its chat final carries no message (as the original's).
func TestSilentReplyTelegram(t *testing.T) {
	model := newRecordingModel(t, replyModel)
	bot := tgtest.New(t, tgtest.DefaultToken)
	r := start(t, replyConfig(bot, model, `, streamMode: "partial"`))
	bot.PushUpdate(42, 42, "quiet")
	waitFor(t, "the silent turn", func() bool { return len(model.calls()) == 1 })
	bot.PushUpdate(42, 42, "aside")
	waitFor(t, "the spoken reply", func() bool {
		s := sentTo(bot, "42")
		return len(s) > 0 && s[len(s)-1].Text == "I will not say NO_REPLY here."
	})
	if s := sentTo(bot, "42"); len(s) != 1 {
		t.Fatalf("sent %+v: only the spoken reply may appear", s)
	}
	for _, e := range bot.Edits() {
		if !strings.HasPrefix("I will not say NO_REPLY here.", e.Text) {
			t.Fatalf("edit %+v: the silent reply was previewed", e)
		}
	}

	c := r.client(t)
	var hist struct {
		Messages []struct {
			Role    string
			Content []struct{ Text string }
		}
	}
	waitFor(t, "both replies in the transcript", func() bool {
		c.MustOK("chat.history", map[string]any{"sessionKey": "agent:main:telegram:42"}, &hist)
		var got []string
		for _, m := range hist.Messages {
			if m.Role == "assistant" {
				got = append(got, m.Content[0].Text)
			}
		}
		return strings.Join(got, "|") == "NO_REPLY|I will not say NO_REPLY here."
	})

	// chat.send delivering through the session's route: silent again.
	c.MustOK("chat.send", map[string]any{"sessionKey": "agent:main:telegram:42", "message": "quiet", "deliver": true, "idempotencyKey": "silent-send"}, nil)
	deltas, final, has := chatRun(t, c, "silent-send")
	if has || final != "" || len(deltas) != 0 {
		t.Fatalf("silent chat run: deltas %q, final %q (message %v)", deltas, final, has)
	}
	c.MustOK("chat.send", map[string]any{"sessionKey": "agent:main:telegram:42", "message": "after", "deliver": true, "idempotencyKey": "loud-send"}, nil)
	waitFor(t, "the delivered chat reply", func() bool {
		s := sentTo(bot, "42")
		return s[len(s)-1].Text == "re: after"
	})
	if s := sentTo(bot, "42"); len(s) != 2 {
		t.Fatalf("sent %+v: the silent chat.send reply went out", s)
	}
}

// TestReplyTagsTelegram: [[reply_to_current]] threads the reply under the inbound
// message — its first chunk under replyToMode "first" (also the default), every chunk
// under "all", none under "off" — and the tag never shows: not in Telegram, not in
// the chat events. [[reply_to:<id>]] names the message itself.
func TestReplyTagsTelegram(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		want        func(i int) bool // chunk i is threaded
	}{
		{"default", ``, func(i int) bool { return i == 0 }},
		{"first", `, replyToMode: "first"`, func(i int) bool { return i == 0 }},
		{"all", `, replyToMode: "all"`, func(int) bool { return true }},
		{"off", `, replyToMode: "off"`, func(int) bool { return false }},
		{"account all", `, accounts: {default: {replyToMode: "all"}}`, func(int) bool { return true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model := newRecordingModel(t, replyModel)
			bot := tgtest.New(t, tgtest.DefaultToken)
			r := start(t, replyConfig(bot, model, `, streamMode: "off", textChunkLimit: 40`+tc.extra))
			c := r.client(t)
			bot.PushUpdate(42, 42, "thread")
			waitFor(t, "the threaded reply", func() bool { return len(sentTo(bot, "42")) >= 2 })
			id := inboundID(t, model, 1)
			sent := sentTo(bot, "42")
			var texts []string
			for i, s := range sent {
				texts = append(texts, s.Text)
				if want := tc.want(i); (s.ReplyTo == id) != want || (s.ReplyTo != 0 && s.ReplyTo != id) {
					t.Fatalf("chunk %d %+v: reply_to %d, want threaded=%v under %d", i, s, s.ReplyTo, want, id)
				}
			}
			if got := strings.Join(texts, " "); got != "first part of the answer. second part of the answer." {
				t.Fatalf("sent %q", got)
			}
			if tc.name != "first" {
				return
			}
			// An explicit id.
			bot.PushUpdate(42, 42, fmt.Sprintf("explicit %d", id))
			waitFor(t, "the explicit reply", func() bool { return len(sentTo(bot, "42")) == len(sent)+1 })
			if s := sentTo(bot, "42")[len(sent)]; s.Text != "pointing back" || s.ReplyTo != id {
				t.Fatalf("explicit reply %+v, want under %d", s, id)
			}
			// The chat events never carry the tag.
			c.MustOK("chat.send", map[string]any{"sessionKey": "agent:main:telegram:42", "message": "thread", "idempotencyKey": "tag-chat"}, nil)
			deltas, final, _ := chatRun(t, c, "tag-chat")
			for _, d := range append(deltas, final) {
				if strings.Contains(d, "[[") || strings.Contains(d, "reply_to") {
					t.Fatalf("chat event text %q carries the tag", d)
				}
			}
			if final != "first part of the answer. second part of the answer." {
				t.Fatalf("chat final %q", final)
			}
		})
	}
}

// TestReplyTagStreamedPreview: under streamMode partial the preview is the message
// threaded (replyToMode first), and the tag being written never shows in it.
func TestReplyTagStreamedPreview(t *testing.T) {
	model := newRecordingModel(t, replyModel)
	bot := tgtest.New(t, tgtest.DefaultToken)
	start(t, replyConfig(bot, model, `, streamMode: "partial"`))
	bot.PushUpdate(42, 42, "thread")
	want := "first part of the answer. second part of the answer."
	waitFor(t, "the streamed reply", func() bool {
		s := sentTo(bot, "42")
		return len(s) == 1 && s[0].Text == want
	})
	id := inboundID(t, model, 1)
	if s := sentTo(bot, "42")[0]; s.ReplyTo != id {
		t.Fatalf("preview %+v, want it threaded under %d", s, id)
	}
	for _, e := range bot.Edits() {
		if strings.Contains(e.Text, "[[") || strings.Contains(e.Text, "reply_to") {
			t.Fatalf("edit %+v shows the tag", e)
		}
	}
}

// TestSilentHeartbeat: a heartbeat answered with NO_REPLY is an empty beat — nothing
// reaches the chat — while the next reminder is delivered as usual.
func TestSilentHeartbeat(t *testing.T) {
	model := newScriptedModel(t)
	bot := tgtest.New(t, tgtest.DefaultToken)
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	r := startClock(t, scheduleConfig(t, model, bot, ""), clk)
	c := r.client(t)
	bot.PushUpdate(42, 42, "hello")
	waitSent(t, bot, 1)

	c.MustOK("wake", map[string]any{"mode": "now", "text": "Tidy up silently"}, nil)
	hb := eventPayload[protocol.HeartbeatEvent](t, c, "heartbeat")
	if hb.Status != protocol.HeartbeatEventStatusOkEmpty {
		t.Fatalf("silent beat: heartbeat %+v", hb)
	}
	c.MustOK("wake", map[string]any{"mode": "now", "text": "Call mom at 5"}, nil)
	hb = eventPayload[protocol.HeartbeatEvent](t, c, "heartbeat")
	if hb.Status != protocol.HeartbeatEventStatusSent {
		t.Fatalf("reminder beat: heartbeat %+v", hb)
	}
	sent := waitSent(t, bot, 2)
	if len(sent) != 2 || !strings.Contains(sent[1].Text, "Call mom at 5") {
		t.Fatalf("sent %+v: the silent beat must not appear", sent)
	}
}
