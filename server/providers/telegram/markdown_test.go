package telegram_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestSendMarkdown: Send renders Markdown as Telegram HTML in texts and captions,
// falls back to plain text when Telegram cannot parse it, and sends into a forum
// topic named "<chat>:topic:<thread>" (General, thread 1, without the thread id).
func TestSendMarkdown(t *testing.T) {
	srv := tgtest.New(t, token)
	srv.AddChat(777)
	srv.AddChat(-100)
	p := newProvider(t, srv, token, nil, nil)
	ctx := ctx10(t)
	fp := filepath.Join(t.TempDir(), "chart.png")
	if err := os.WriteFile(fp, append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...), 0o600); err != nil {
		t.Fatal(err)
	}
	parseErr := "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 3"
	tests := []struct {
		name       string
		out        providers.Outbound
		fail       string // method to refuse once with a parse error
		method     string
		text, mode string // text or caption as sent, and parse_mode
		chat       string
		thread     int64
	}{
		{"text", providers.Outbound{To: "777", Text: "**hi** & <bye>"}, "", "sendMessage", "<b>hi</b> &amp; &lt;bye&gt;", "HTML", "777", 0},
		{"text fallback", providers.Outbound{To: "777", Text: "**hi** & <bye>"}, "sendMessage", "sendMessage", "hi & <bye>", "", "777", 0},
		{"caption", providers.Outbound{To: "777", Text: "_chart_ `v2`", MediaPath: fp}, "", "sendPhoto", "<i>chart</i> <code>v2</code>", "HTML", "777", 0},
		{"caption fallback", providers.Outbound{To: "777", Text: "_chart_ `v2`", MediaPath: fp}, "sendPhoto", "sendPhoto", "chart v2", "", "777", 0},
		{"topic", providers.Outbound{To: "-100:topic:7", Text: "in topic"}, "", "sendMessage", "in topic", "HTML", "-100", 7},
		{"topic with prefix", providers.Outbound{To: "telegram:group:-100:topic:7", Text: "again"}, "", "sendMessage", "again", "HTML", "-100", 7},
		{"general topic", providers.Outbound{To: "-100:topic:1", Text: "general"}, "", "sendMessage", "general", "HTML", "-100", 0},
		{"topic photo", providers.Outbound{To: "-100:topic:7", Text: "pic", MediaPath: fp}, "", "sendPhoto", "pic", "HTML", "-100", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fail != "" {
				srv.FailNext(tt.fail, 400, parseErr, 0, 1)
			}
			n := len(srv.Sent())
			if _, err := p.Send(ctx, tt.out); err != nil {
				t.Fatal(err)
			}
			got := srv.Sent()[n:]
			if len(got) != 1 {
				t.Fatalf("%d sends: %+v", len(got), got)
			}
			s := got[0]
			text := s.Text
			if s.Method != "sendMessage" {
				text = s.Caption
			}
			if s.Method != tt.method || text != tt.text || s.ParseMode != tt.mode || s.ChatID != tt.chat || s.ThreadID != tt.thread {
				t.Fatalf("sent %s %q (parse_mode %q) to %s thread %d; want %s %q (%q) to %s thread %d",
					s.Method, text, s.ParseMode, s.ChatID, s.ThreadID, tt.method, tt.text, tt.mode, tt.chat, tt.thread)
			}
		})
	}
}

// TestSendTables: Config.Tables rewrites a sent table before it is rendered (bullets
// here; code when unset).
func TestSendTables(t *testing.T) {
	table := "| Name | Age |\n|---|---|\n| Ann | 30 |"
	for _, tt := range []struct{ mode, want string }{
		{"bullets", "<b>Ann</b>\n• Age: 30"},
		{"", "<pre><code>| Name | Age |\n| ---- | --- |\n| Ann  | 30  |</code></pre>"},
	} {
		srv := tgtest.New(t, token)
		srv.AddChat(777)
		p, err := telegram.New(telegram.Config{Token: token, APIBaseURL: srv.URL(), Tables: tt.mode})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Send(ctx10(t), providers.Outbound{To: "777", Text: table}); err != nil {
			t.Fatal(err)
		}
		if got := srv.Sent(); len(got) != 1 || got[0].Text != tt.want {
			t.Errorf("tables %q: sent %+v, want %q", tt.mode, got, tt.want)
		}
	}
}
