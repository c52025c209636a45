package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTypingModeEndToEnd: through daemon.Run with the Telegram test server (streamMode
// partial) and a model held at each request, a DM reply types from the start of the
// run by default; session.typingMode "never" sends no chat action during the whole
// run while the preview still streams; "message" sends the first one only once the
// reply's text streams. The mode is reloaded live.
func TestTypingModeEndToEnd(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "in.txt"), []byte("notes"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	arrived, release := make(chan int), make(chan struct{})
	// Each run: text and a tool call, then the final answer; every request waits for
	// the test, so it can look at the chat between the steps.
	model := newFakeModel(t, "openai-completions", func(n int, _ []byte) fakeStep {
		select {
		case arrived <- n:
		case <-ctx.Done():
			return fakeStep{status: 500}
		}
		select {
		case <-release:
		case <-ctx.Done():
			return fakeStep{status: 500}
		}
		if n%2 == 0 {
			return fakeStep{text: "Let me look. ", calls: []fakeCall{{fmt.Sprintf("c%d", n), "read", `{"path":"in.txt"}`}}}
		}
		return fakeStep{text: fmt.Sprintf("Done %d.", n)}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := func(session string) string {
		return agentConfigWith(ws, model, nil, fmt.Sprintf(`%s
  channels: {telegram: {botToken: %q, apiBaseUrl: %q, dmPolicy: "allowlist", allowFrom: ["42"], streamMode: "partial"}},`,
			session, tgtest.DefaultToken, bot.URL()))
	}
	r := startHome(t, home, cfg(""), nil)
	typed := func() int {
		n := 0
		for _, a := range bot.Actions() {
			if a.ChatID == "42" && a.Action == "typing" {
				n++
			}
		}
		return n
	}
	step := func(what string) {
		t.Helper()
		select {
		case <-arrived:
		case <-ctx.Done():
			t.Fatalf("%s: the model was not called", what)
		}
	}
	for i, tc := range []struct {
		session string
		// typed at the first model request (before any text) and at the second
		// (after the first step's text streamed)
		beforeText, afterText bool
	}{
		{"", true, true},
		{`session: {typingMode: "never"},`, false, false},
		{`session: {typingMode: "message"},`, false, true},
	} {
		if i > 0 {
			if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(cfg(tc.session)), 0o600); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the reload", func() bool { return strings.Count(r.out.String(), "config reloaded (hot)") >= i })
		}
		base, sentBase := typed(), len(sentTo(bot, "42"))
		bot.PushUpdate(42, 42, fmt.Sprintf("question %d", i))
		step(tc.session + " first step")
		// The reply stream is open (it opens before the model is called) and an
		// instant indicator is sent before the run goes on.
		if got := typed() > base; got != tc.beforeText {
			t.Fatalf("%q: typed before any text = %v, want %v", tc.session, got, tc.beforeText)
		}
		release <- struct{}{}
		step(tc.session + " second step")
		// The first step's text was streamed: the preview shows it in every mode.
		waitFor(t, "the streamed preview", func() bool {
			s := sentTo(bot, "42")
			return len(s) > sentBase && strings.HasPrefix("Let me look.", s[len(s)-1].Text)
		})
		if got := typed() > base; got != tc.afterText {
			t.Fatalf("%q: typed after the text = %v, want %v", tc.session, got, tc.afterText)
		}
		release <- struct{}{}
		final := fmt.Sprintf("Done %d.", 2*i+1)
		waitFor(t, "the reply", func() bool {
			for _, s := range sentTo(bot, "42") {
				if strings.Contains(s.Text, final) {
					return true
				}
			}
			for _, e := range bot.Edits() {
				if strings.Contains(e.Text, final) {
					return true
				}
			}
			return false
		})
		if !tc.afterText && typed() != base {
			t.Fatalf("%q: %d chat actions during the run", tc.session, typed()-base)
		}
	}
}

// TestTypingConfig: session.typingMode wins over agents.defaults.typingMode, and
// agents.defaults.typingIntervalSeconds over session's, as in the original.
func TestTypingConfig(t *testing.T) {
	for _, tc := range []struct {
		raw      string
		mode     string
		interval time.Duration
	}{
		{`{}`, "", 0},
		{`{session: {typingMode: "never", typingIntervalSeconds: 3}}`, "never", 3 * time.Second},
		{`{agents: {defaults: {typingMode: "message", typingIntervalSeconds: 9}}}`, "message", 9 * time.Second},
		{`{session: {typingMode: "thinking", typingIntervalSeconds: 3}, agents: {defaults: {typingMode: "message", typingIntervalSeconds: 9}}}`,
			"thinking", 9 * time.Second},
	} {
		f, err := config.ParseWith("", []byte(tc.raw), config.MapEnv(nil))
		if err != nil {
			t.Fatalf("%s: %v", tc.raw, err)
		}
		cur := &atomic.Pointer[config.File]{}
		cur.Store(f)
		mode, iv := typingConfig(cur)()
		if mode != tc.mode || iv != tc.interval {
			t.Errorf("%s: %q %v, want %q %v", tc.raw, mode, iv, tc.mode, tc.interval)
		}
	}
}
