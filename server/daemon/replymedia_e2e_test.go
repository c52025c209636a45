package daemon

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramReplyMedia runs the gateway against the Telegram test server and a
// scripted model whose replies name files with MEDIA: lines. A picture the agent made
// in its workspace arrives as sendPhoto with the file's bytes and the reply's text as
// caption, and a picture by URL is downloaded and uploaded the same way; a file
// outside the safe folders (workspaces, <state>/media, the temp
// folder) is refused with a warning and only the text goes out; a reply naming more
// than MaxReplyMedia files sends the first MaxReplyMedia.
func TestTelegramReplyMedia(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	tmp := filepath.Join(home, "tmp")
	for _, d := range []string{filepath.Join(ws, "out"), tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// The temp folder is a safe root: point it away from home, where the secret is.
	t.Setenv("TMPDIR", tmp)
	chart := pngBytes(200)
	if err := os.WriteFile(filepath.Join(ws, "out", "chart.png"), chart, 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(home, "secret.txt")
	if err := os.WriteFile(secret, []byte("do not send"), 0o600); err != nil {
		t.Fatal(err)
	}
	many := providers.MaxReplyMedia + 2
	var manyLines []string
	for i := range many {
		name := fmt.Sprintf("note%02d.txt", i)
		if err := os.WriteFile(filepath.Join(ws, name), []byte(fmt.Sprintf("note %d\n", i)), 0o600); err != nil {
			t.Fatal(err)
		}
		manyLines = append(manyLines, "MEDIA: ./"+name)
	}
	// A picture by URL is downloaded and uploaded like a local one.
	remote := pngBytes(77)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(remote) }))
	defer files.Close()
	replies := []string{
		"Here is your chart.\nMEDIA: ./out/chart.png\nMEDIA: " + files.URL + "/remote.png",
		"The key you asked for:\nMEDIA: " + secret,
		"All the notes.\n" + strings.Join(manyLines, "\n"),
		"done",
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		if n < len(replies) {
			return fakeStep{text: replies[n]}
		}
		return fakeStep{text: "more"}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	r := startHome(t, home, mediaConfig(ws, model, fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off", dmPolicy: "open", allowFrom: ["*"]}},
  `, tgtest.DefaultToken, bot.URL())), nil)
	r.waitOutput(t, "agent runtime ready")
	sent := func() []tgtest.Sent { return sentTo(bot, "42") }

	// 1. A file from the workspace: a photo with the bytes and the text as caption,
	// then the picture by URL without one.
	bot.PushUpdate(42, 42, "chart please")
	waitFor(t, "the chart", func() bool { return len(sent()) == 2 })
	s := sent()[0]
	if s.Method != "sendPhoto" || !bytes.Equal(s.File, chart) || s.FileName != "chart.png" || s.Caption != "Here is your chart." {
		t.Fatalf("chart reply: %s file %q (%d bytes) caption %q", s.Method, s.FileName, len(s.File), s.Caption)
	}
	if s = sent()[1]; s.Method != "sendPhoto" || !bytes.Equal(s.File, remote) || s.FileName != "remote.png" || s.Caption != "" {
		t.Fatalf("remote picture: %s file %q (%d bytes) caption %q", s.Method, s.FileName, len(s.File), s.Caption)
	}

	// 2. A file outside the safe folders: refused, logged, the text alone goes out.
	bot.PushUpdate(42, 42, "send me the key")
	waitFor(t, "the refused reply", func() bool { return len(sent()) == 3 })
	s = sent()[2]
	if s.Method != "sendMessage" || s.Text != "The key you asked for:" || s.File != nil {
		t.Fatalf("refused reply: %+v", s)
	}
	r.waitOutput(t, "reply media refused")
	if strings.Contains(r.out.String(), "do not send") {
		t.Fatal("the secret's content reached the output")
	}

	// 3. Too many files: the first MaxReplyMedia go, the first with the caption.
	bot.PushUpdate(42, 42, "all notes")
	waitFor(t, "the first note", func() bool { return len(sent()) > 3 })
	bot.PushUpdate(42, 42, "anything else?")
	// The next reply ("done") comes after every file of this one.
	waitFor(t, "the reply after the notes", func() bool {
		all := sent()
		return len(all) > 3 && all[len(all)-1].Text == "done"
	})
	notes := sent()[3 : len(sent())-1]
	if len(notes) != providers.MaxReplyMedia {
		t.Fatalf("%d files sent for %d named, want %d", len(notes), many, providers.MaxReplyMedia)
	}
	for i, n := range notes {
		want := fmt.Sprintf("note %d\n", i)
		if n.Method != "sendDocument" || string(n.File) != want {
			t.Fatalf("note %d: %s %q", i, n.Method, n.File)
		}
		if (i == 0) != (n.Caption == "All the notes.") {
			t.Fatalf("note %d caption %q", i, n.Caption)
		}
	}
	r.waitOutput(t, "too many media files")
}

// TestTelegramReplyMediaStreamed: under streamMode partial the reply's text streams
// into one message that never shows the MEDIA: line, and the file follows it as a
// photo without a caption (the text is already on screen).
func TestTelegramReplyMediaStreamed(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	chart := pngBytes(50)
	if err := os.WriteFile(filepath.Join(ws, "chart.png"), chart, 0o600); err != nil {
		t.Fatal(err)
	}
	const text = "Here is the chart you asked for, drawn from the numbers in the sheet."
	model := newFakeModel(t, "openai-completions", func(int, []byte) fakeStep {
		return fakeStep{text: text + "\nMEDIA: ./chart.png"}
	})
	bot := tgtest.New(t, tgtest.DefaultToken)
	r := startHome(t, home, mediaConfig(ws, model, fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "partial", dmPolicy: "open", allowFrom: ["*"]}},
  `, tgtest.DefaultToken, bot.URL())), nil)
	r.waitOutput(t, "agent runtime ready")
	bot.PushUpdate(42, 42, "chart please")
	waitFor(t, "the photo", func() bool {
		s := sentTo(bot, "42")
		return len(s) > 0 && s[len(s)-1].Method == "sendPhoto"
	})
	s := sentTo(bot, "42")
	if len(s) != 2 || s[0].Method != "sendMessage" || s[0].Text != text {
		t.Fatalf("sent: %+v", s)
	}
	if !bytes.Equal(s[1].File, chart) || s[1].Caption != "" {
		t.Fatalf("photo: %d bytes, caption %q", len(s[1].File), s[1].Caption)
	}
	for _, e := range bot.Edits() {
		if strings.Contains(e.Text, "MEDIA") {
			t.Fatalf("the preview showed the MEDIA line: %q", e.Text)
		}
	}
}
