package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramPreserveFilenamesEndToEnd: with media.preserveFilenames a document
// received over Telegram is stored under <state>/media/inbound as
// <sanitised original name>---<uuid>.pdf, and the note the model gets names that
// file; without it the stored name is random.
func TestTelegramPreserveFilenamesEndToEnd(t *testing.T) {
	pdf := []byte("%PDF-1.4\nquarterly numbers")
	preserved := regexp.MustCompile(`^Quarterly_Report_Q3_final---[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.pdf$`)
	random := regexp.MustCompile(`^[0-9a-f]{32}\.pdf$`)
	for _, preserve := range []bool{true, false} {
		t.Run(fmt.Sprint(preserve), func(t *testing.T) {
			home := t.TempDir()
			ws := filepath.Join(home, "ws")
			if err := os.MkdirAll(ws, 0o700); err != nil {
				t.Fatal(err)
			}
			model := newFakeModel(t, "openai-completions", func(int, []byte) fakeStep { return fakeStep{text: "got the file"} })
			bot := tgtest.New(t, tgtest.DefaultToken)
			startHome(t, home, mediaConfig(ws, model, fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, streamMode: "off", dmPolicy: "open", allowFrom: ["*"]}},
  media: {preserveFilenames: %v},
  `, tgtest.DefaultToken, bot.URL(), preserve)), nil)
			bot.PushDocument(42, tgtest.User{ID: 42, FirstName: "Ann"}, "see attached", "Quarterly Report: Q3 <final>.pdf", "application/pdf", pdf, 0)
			waitFor(t, "the reply", func() bool { return len(sentTo(bot, "42")) == 1 })
			ents, err := os.ReadDir(filepath.Join(home, "state", "media", "inbound"))
			if err != nil || len(ents) != 1 {
				t.Fatalf("stored files: %v (%v)", ents, err)
			}
			name := ents[0].Name()
			want := random
			if preserve {
				want = preserved
			}
			if !want.MatchString(name) {
				t.Fatalf("stored as %q, want %s", name, want)
			}
			if body := string(model.requests()[0]); !strings.Contains(body, name) {
				t.Fatalf("the model's note does not name %s: %.600s", name, body)
			}
		})
	}
}
