package daemon

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramAlbumOneRun runs the gateway against the Telegram test server and a
// vision model server, with a fake clock for the album window: three photos sent as
// an album, the caption on the second, make one model call carrying the caption and
// the three images, and one reply. The next message is answered on its own.
func TestTelegramAlbumOneRun(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: fmt.Sprintf("answer %d", n+1)} })
	bot := tgtest.New(t, tgtest.DefaultToken)
	cfg := strings.Replace(mediaConfig(ws, model, fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off", dmPolicy: "open", allowFrom: ["*"]}},
  `, tgtest.DefaultToken, bot.URL())), `primary: "fake/m1"`, `primary: "fake/v1"`, 1)
	clk := clock.NewFake(time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC))
	r := startHome(t, home, cfg, clk)
	r.waitOutput(t, "agent runtime ready")
	replies := func() []tgtest.Sent { return sentTo(bot, "42") }

	photos := [][]byte{pngBytes(100), append(pngBytes(100), 1), append(pngBytes(100), 2)}
	bot.PushAlbum(42, tgtest.User{ID: 42, FirstName: "Ann"}, "13579",
		tgtest.AlbumPart{Data: photos[0]}, tgtest.AlbumPart{Data: photos[1], Caption: "which is the sharpest?"}, tgtest.AlbumPart{Data: photos[2]})
	// The server counts an update pending until a later getUpdates confirms it, which
	// the gateway sends only after handling the batch.
	waitFor(t, "the album parts to be handled", func() bool { return bot.Pending() == 0 })
	if n := len(model.requests()); n != 0 {
		t.Fatalf("%d model calls inside the album window", n)
	}
	clk.Advance(telegram.DefaultAlbumWindow)
	waitFor(t, "the album's reply", func() bool { return len(replies()) == 1 })
	reqs := model.requests()
	if len(reqs) != 1 {
		t.Fatalf("model calls: %d, want 1", len(reqs))
	}
	body := string(reqs[0])
	if !strings.Contains(body, "which is the sharpest?") || strings.Count(body, `"type":"image_url"`) != 3 {
		t.Fatalf("album request: %.600s", body)
	}
	for i, p := range photos {
		if !strings.Contains(body, base64.StdEncoding.EncodeToString(p)) {
			t.Fatalf("photo %d missing from the request", i+1)
		}
	}
	if got := replies()[0].Text; got != "answer 1" {
		t.Fatalf("reply %q", got)
	}

	// The next message gets the second call and the second reply: no run was left
	// queued by the album.
	bot.PushUpdate(42, 42, "thanks")
	waitFor(t, "the text's reply", func() bool { return len(replies()) == 2 })
	if n := len(model.requests()); n != 2 || !bytes.Contains(model.requests()[1], []byte("thanks")) {
		t.Fatalf("model calls after the text: %d", n)
	}
	if got := replies()[1].Text; got != "answer 2" {
		t.Fatalf("second reply %q", got)
	}
}
