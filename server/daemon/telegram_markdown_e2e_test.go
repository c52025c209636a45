package daemon

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// startTelegramMarkdown starts the gateway with a bot for user 42 whose model answers
// reply, with extra keys merged into channels.telegram.
func startTelegramMarkdown(t *testing.T, reply func(string) string, extra string) *tgtest.Server {
	t.Helper()
	model := newRecordingModel(t, reply)
	bot := tgtest.New(t, tgtest.DefaultToken)
	start(t, fmt.Sprintf(`{
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, allowFrom: ["42"], %s}},
  models: {providers: {local: {baseUrl: %q, apiKey: "k", models: []}}},
  agents: {defaults: {model: {primary: "local/m"}}},
}`, tgtest.DefaultToken, bot.URL(), extra, model.srv.URL+"/v1"))
	return bot
}

const mdReply = "**bold** and `a<b`\n\n```go\nif x < y && z {\n}\n```"

const mdReplyHTML = "<b>bold</b> and <code>a&lt;b</code>\n\n<pre><code class=\"language-go\">if x &lt; y &amp;&amp; z {\n}</code></pre>"

// TestTelegramReplyHTML: a reply's Markdown (bold, inline code, a fenced block) goes
// out as Telegram HTML with parse_mode HTML (before, it went as raw Markdown text).
func TestTelegramReplyHTML(t *testing.T) {
	bot := startTelegramMarkdown(t, func(string) string { return mdReply }, `streamMode: "off"`)
	bot.PushUpdate(42, 42, "format")
	waitFor(t, "the reply", func() bool { return len(sentTo(bot, "42")) == 1 })
	got := sentTo(bot, "42")[0]
	if got.Text != mdReplyHTML || got.ParseMode != "HTML" {
		t.Fatalf("sent %q (parse_mode %q), want %q as HTML", got.Text, got.ParseMode, mdReplyHTML)
	}
}

// TestTelegramReplyPlainFallback: when Telegram refuses the HTML (400 "can't parse
// entities"), the same reply arrives as plain text, its markers dropped.
func TestTelegramReplyPlainFallback(t *testing.T) {
	bot := startTelegramMarkdown(t, func(string) string { return mdReply }, `streamMode: "off"`)
	bot.FailNext("sendMessage", 400, "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 9", 0, 1)
	bot.PushUpdate(42, 42, "format")
	waitFor(t, "the reply", func() bool { return len(sentTo(bot, "42")) == 1 })
	got := sentTo(bot, "42")[0]
	want := "bold and a<b\n\nif x < y && z {\n}"
	if got.Text != want || got.ParseMode != "" {
		t.Fatalf("sent %q (parse_mode %q), want %q as plain text", got.Text, got.ParseMode, want)
	}
	if n := bot.Calls("sendMessage"); n != 2 {
		t.Fatalf("sendMessage called %d times, want 2 (HTML refused, then plain)", n)
	}
}

// TestTelegramStreamedPreviewHTML: under streamMode partial the preview and its edits
// are HTML too, and the final message is the rendered reply.
func TestTelegramStreamedPreviewHTML(t *testing.T) {
	bot := startTelegramMarkdown(t, func(string) string { return mdReply }, `streamMode: "partial"`)
	bot.PushUpdate(42, 42, "format")
	waitFor(t, "the final reply", func() bool {
		s := sentTo(bot, "42")
		return len(s) == 1 && s[0].Text == mdReplyHTML
	})
	if s := sentTo(bot, "42")[0]; s.ParseMode != "HTML" {
		t.Fatalf("final message parse_mode %q", s.ParseMode)
	}
	if len(bot.Edits()) == 0 {
		t.Fatal("no streamed edits")
	}
	for _, e := range bot.Edits() {
		if e.ParseMode != "HTML" {
			t.Fatalf("edit without parse_mode HTML: %+v", e)
		}
	}
}

// TestTelegramMarkdownTables: channels.telegram.markdown.tables decides how a table
// of a reply shows: code (the default) as a preformatted block, bullets as a bold
// label and "• header: value" lines, an account's setting over the channel's.
func TestTelegramMarkdownTables(t *testing.T) {
	table := "| Name | Age |\n|---|---|\n| Ann | 30 |"
	tests := []struct{ name, extra, want string }{
		{"default code", `streamMode: "off"`, "<pre><code>| Name | Age |\n| ---- | --- |\n| Ann  | 30  |</code></pre>"},
		{"bullets", `streamMode: "off", markdown: {tables: "bullets"}`, "<b>Ann</b>\n• Age: 30"},
		{"account bullets over channel off", fmt.Sprintf(`streamMode: "off", markdown: {tables: "off"}, accounts: {default: {botToken: %q, markdown: {tables: "bullets"}}}`, tgtest.DefaultToken), "<b>Ann</b>\n• Age: 30"},
		{"off", `streamMode: "off", markdown: {tables: "off"}`, "| Name | Age |\n|---|---|\n| Ann | 30 |"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot := startTelegramMarkdown(t, func(string) string { return table }, tt.extra)
			bot.PushUpdate(42, 42, "table")
			waitFor(t, "the reply", func() bool { return len(sentTo(bot, "42")) == 1 })
			if got := sentTo(bot, "42")[0]; got.Text != tt.want {
				t.Fatalf("sent %q, want %q", got.Text, tt.want)
			}
		})
	}
}

// Guard against a regression of the renderer's escaping reaching Telegram: tgtest
// refuses bare '<' in HTML, so a reply with one must still arrive (escaped).
func TestTelegramReplyEscapes(t *testing.T) {
	bot := startTelegramMarkdown(t, func(string) string { return "if a<b && c>d then <stop>" }, `streamMode: "off"`)
	bot.PushUpdate(42, 42, "x")
	waitFor(t, "the reply", func() bool { return len(sentTo(bot, "42")) == 1 })
	if got := sentTo(bot, "42")[0].Text; got != "if a&lt;b &amp;&amp; c&gt;d then &lt;stop&gt;" || strings.Contains(got, "<stop>") {
		t.Fatalf("sent %q", got)
	}
}
