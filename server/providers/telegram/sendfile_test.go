package telegram_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// Local files (a reply's MEDIA: files) are uploaded with the method their sniffed type
// calls for, whatever the file is named, with the text as caption when it fits.
func TestSendLocalFileByType(t *testing.T) {
	srv := tgtest.New(t, token)
	srv.AddChat(777)
	p := newProvider(t, srv, token, nil, nil)
	ctx := ctx10(t)
	dir := t.TempDir()
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
	gif := append([]byte("GIF89a"), bytes.Repeat([]byte{0}, 64)...)
	mp3 := append([]byte("ID3\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 64)...)
	mp4 := append([]byte("\x00\x00\x00\x18ftypmp42"), bytes.Repeat([]byte{0}, 64)...)
	pdf := []byte("%PDF-1.4\n%fake\n")
	cases := []struct {
		name, file string
		data       []byte
		method     string
	}{
		{"png named .bin", "chart.bin", png, "sendPhoto"},
		{"gif", "loop.gif", gif, "sendAnimation"},
		{"mp3", "song.mp3", mp3, "sendAudio"},
		{"mp4", "clip.mp4", mp4, "sendVideo"},
		{"pdf named .png", "report.png", pdf, "sendDocument"},
	}
	for i, c := range cases {
		fp := filepath.Join(dir, c.file)
		if err := os.WriteFile(fp, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Send(ctx, providers.Outbound{To: "777", Text: c.name, MediaPath: fp}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := srv.Sent()
		if len(got) != i+1 {
			t.Fatalf("%s: %d sends", c.name, len(got))
		}
		s := got[i]
		if s.Method != c.method || !bytes.Equal(s.File, c.data) || s.FileName != c.file || s.Caption != c.name {
			t.Errorf("%s: sent %s file %q (%d bytes) caption %q; want %s with the file's bytes", c.name, s.Method, s.FileName, len(s.File), s.Caption, c.method)
		}
	}
	// A text too long for a caption follows the file as its own message.
	long := strings.Repeat("y", telegram.MaxCaptionChars+1)
	if _, err := p.Send(ctx, providers.Outbound{To: "777", Text: long, MediaPath: filepath.Join(dir, "chart.bin")}); err != nil {
		t.Fatal(err)
	}
	got := srv.Sent()[len(cases):]
	if len(got) != 2 || got[0].Method != "sendPhoto" || got[0].Caption != "" || got[1].Method != "sendMessage" || got[1].Text != long {
		t.Fatalf("long caption: %+v", got)
	}
}
