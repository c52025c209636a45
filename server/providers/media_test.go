package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/understand"
)

// runnerUnderstander is the stage's Understander over a real understand.Runner, for a
// fixed message context.
type runnerUnderstander struct {
	r   *understand.Runner
	msg understand.Message
}

func (u runnerUnderstander) Media(ctx context.Context, _ Message, files []understand.Attachment) understand.Result {
	return u.r.Media(ctx, u.msg, files)
}

func (u runnerUnderstander) Links(ctx context.Context, _ Message, text string) []string {
	return u.r.Links(ctx, u.msg, text)
}

// audioRunner transcribes with an OpenAI-compatible server at base, sending key.
func audioRunner(base, key string) Understander {
	return runnerUnderstander{r: understand.New(understand.Options{
		Media: &understand.Config{Audio: &understand.CapConfig{Models: []understand.Entry{{Provider: "openai", BaseURL: base}}}},
		Endpoint: func(string) (understand.Endpoint, bool) {
			return understand.Endpoint{APIKey: key}, true
		},
	})}
}

type collect struct {
	mu  sync.Mutex
	got []Message
}

func (c *collect) Inbound(_ context.Context, m Message) {
	c.mu.Lock()
	c.got = append(c.got, m)
	c.mu.Unlock()
}

func opener(b []byte, err error) func(context.Context) (io.ReadCloser, error) {
	return func(context.Context) (io.ReadCloser, error) {
		if err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(b)), nil
	}
}

// TestMediaStage covers the conversions and failures of received media one by one:
// what text the agent gets, whether images are attached, whether the chat is told.
func TestMediaStage(t *testing.T) {
	transcripts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" || strings.Contains(r.Header.Get("Authorization"), "bad") {
			http.Error(w, `{"error":{"message":"boom"}}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"text": "hello there"})
	}))
	defer transcripts.Close()
	ok := audioRunner(transcripts.URL+"/v1", "good")
	bad := audioRunner(transcripts.URL+"/v1", "bad")
	// No models and no key: nothing to transcribe with.
	none := runnerUnderstander{r: understand.New(understand.Options{Endpoint: func(string) (understand.Endpoint, bool) { return understand.Endpoint{}, false }})}
	voice := append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{1}, 50)...)
	pdf := []byte("%PDF-1.4\n%binary\n")
	for _, tc := range []struct {
		name      string
		noStore   bool
		tr        Understander
		text      string
		in        InboundMedia
		wantText  []string // substrings; nil = no delivery
		wantReply bool
		images    int
	}{
		{name: "text document inline", text: "<media:document>", in: InboundMedia{Kind: "document", FileName: "notes.txt", ContentType: "text/plain", Open: opener([]byte("buy milk"), nil)},
			wantText: []string{"[document notes.txt (text/plain", "buy milk"}},
		{name: "binary document note", text: "see attached", in: InboundMedia{Kind: "document", FileName: "a.pdf", Open: opener(pdf, nil)},
			wantText: []string{"see attached\n<media:document> [a.pdf application/pdf, 17 bytes, saved at "}},
		{name: "download failure keeps the message", text: "<media:image>", in: InboundMedia{Kind: "photo", Open: opener(nil, errors.New("network down"))},
			wantText: []string{"<media:image> [download failed]"}},
		{name: "no store: placeholder only", noStore: true, text: "<media:image>", in: InboundMedia{Kind: "photo", Open: opener([]byte("x"), nil)},
			wantText: []string{"<media:image>"}},
		{name: "voice transcribed after group history", tr: ok, text: grouphistory.HistoryMarker + "\nBob: hi\n\n" + grouphistory.CurrentMarker + "\n<media:audio>",
			in: InboundMedia{Kind: "voice", Open: opener(voice, nil)}, wantText: []string{"Bob: hi", grouphistory.CurrentMarker + "\n[Audio]\nTranscript:\nhello there"}},
		{name: "voice without transcription", text: "<media:audio>", in: InboundMedia{Kind: "voice", Open: opener(voice, nil)}, wantText: []string{NoTranscription}},
		{name: "voice with no audio model", tr: none, text: "<media:audio>", in: InboundMedia{Kind: "voice", Open: opener(voice, nil)}, wantText: []string{NoTranscription}},
		{name: "voice with a caption", tr: ok, text: "listen", in: InboundMedia{Kind: "voice", Open: opener(voice, nil)}, wantText: []string{"[Audio]\nUser text:\nlisten\nTranscript:\nhello there"}},
		{name: "transcription failure", tr: bad, text: "<media:audio>", in: InboundMedia{Kind: "voice", Open: opener(voice, nil)}, wantText: []string{TranscriptionFailed}},
		{name: "declared too large", text: "<media:video>", in: InboundMedia{Kind: "video", Size: 3 * media.MB, Open: opener(nil, errors.New("must not download"))}, wantReply: true},
		{name: "too large on the wire", text: "<media:document>", in: InboundMedia{Kind: "document", Size: 10, Open: opener(append(pdf, bytes.Repeat([]byte{0}, 2*media.MB)...), nil)}, wantReply: true},
		{name: "image part", text: "caption", in: InboundMedia{Kind: "photo", Open: opener(append([]byte("\x89PNG\r\n\x1a\n"), 1, 2, 3), nil)}, wantText: []string{"caption"}, images: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := &collect{}
			var replies []string
			s := &MediaStage{Channel: "test", Understand: tc.tr, MaxMB: 1, Next: next,
				Reply: func(_ context.Context, chat, text string) error {
					replies = append(replies, chat+": "+text)
					return nil
				}}
			if !tc.noStore {
				st, err := media.New(media.Options{Dir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				s.Store = st
			}
			in := tc.in
			s.Inbound(t.Context(), Message{ChatID: "c1", Text: tc.text, Media: []*InboundMedia{&in}})
			if tc.wantReply != (len(replies) == 1) || (tc.wantReply && !strings.Contains(replies[0], "c1: ⚠️")) {
				t.Fatalf("replies: %q", replies)
			}
			if tc.wantText == nil {
				if len(next.got) != 0 {
					t.Fatalf("delivered: %+v", next.got)
				}
				return
			}
			if len(next.got) != 1 {
				t.Fatalf("delivered %d", len(next.got))
			}
			m := next.got[0]
			for _, w := range tc.wantText {
				if !strings.Contains(m.Text, w) {
					t.Fatalf("text %q lacks %q", m.Text, w)
				}
			}
			if len(m.Images) != tc.images || m.Media != nil {
				t.Fatalf("images %d, media %v", len(m.Images), m.Media)
			}
		})
	}
}

// TestMediaStageAlbum: a message with several files (an album) goes on once with every
// image and a note per other file; a file over its cap is left out and the chat told
// once; only when every file is refused does nothing go on.
func TestMediaStageAlbum(t *testing.T) {
	img := func(n byte) InboundMedia {
		return InboundMedia{Kind: "photo", Open: opener(append([]byte("\x89PNG\r\n\x1a\n"), n, n, n), nil)}
	}
	big := InboundMedia{Kind: "document", Size: 3 * media.MB, Open: opener(nil, errors.New("must not download"))}
	failing := InboundMedia{Kind: "photo", Open: opener(nil, errors.New("network down"))}
	doc := InboundMedia{Kind: "document", FileName: "n.txt", ContentType: "text/plain", Open: opener([]byte("hello"), nil)}
	for _, tc := range []struct {
		name     string
		text     string
		parts    []InboundMedia
		wantText string // "" = nothing delivered
		images   int
		reply    string
	}{
		{name: "three photos", text: "caption", parts: []InboundMedia{img(1), img(2), img(3)}, wantText: "caption", images: 3},
		{name: "photo and text document", text: "<media:image> (2 files)", parts: []InboundMedia{img(1), doc},
			wantText: "<media:image> (2 files)\n[document n.txt (text/plain, 5 bytes)]\nhello", images: 1},
		{name: "one too large", text: "look", parts: []InboundMedia{img(1), big, img(2)},
			wantText: "look\n<media:document> [too large: not read]", images: 2, reply: AlbumTooLargeReply(1, 3, media.MB)},
		{name: "a download fails", text: "look", parts: []InboundMedia{failing, img(2)},
			wantText: "look\n<media:image> [download failed]", images: 1},
		{name: "all too large", text: "look", parts: []InboundMedia{big, big}, reply: TooLargeReply("document", media.MB)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := media.New(media.Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			next := &collect{}
			var replies []string
			s := &MediaStage{Channel: "test", Store: st, MaxMB: 1, Next: next,
				Reply: func(_ context.Context, chat, text string) error {
					replies = append(replies, text)
					return nil
				}}
			m := Message{ChatID: "c1", Text: tc.text}
			for i := range tc.parts {
				p := tc.parts[i]
				m.Media = append(m.Media, &p)
			}
			s.Inbound(t.Context(), m)
			if (tc.reply == "" && len(replies) != 0) || (tc.reply != "" && (len(replies) != 1 || replies[0] != tc.reply)) {
				t.Fatalf("replies %q, want %q", replies, tc.reply)
			}
			if tc.wantText == "" {
				if len(next.got) != 0 {
					t.Fatalf("delivered %+v", next.got)
				}
				return
			}
			if len(next.got) != 1 {
				t.Fatalf("delivered %d", len(next.got))
			}
			if got := next.got[0]; got.Text != tc.wantText || len(got.Images) != tc.images || got.Media != nil {
				t.Fatalf("text %q images %d media %v", got.Text, len(got.Images), got.Media)
			}
		})
	}
}

// TestMediaStageLinks: link summaries are appended to what the agent reads (after the
// group history's current message too); commands and messages without links are left
// alone.
func TestMediaStageLinks(t *testing.T) {
	dir := t.TempDir()
	sum := filepath.Join(dir, "sum")
	if err := os.WriteFile(sum, []byte("#!/bin/sh\necho \"about $1\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	u := runnerUnderstander{r: understand.New(understand.Options{Links: &understand.LinksConfig{
		Models: []understand.LinkEntry{{Command: sum, Args: []string{"{{LinkUrl}}"}}}}})}
	history := grouphistory.HistoryMarker + "\nBob: https://old.example\n\n" + grouphistory.CurrentMarker + "\n"
	for _, tc := range []struct{ text, want string }{
		{"see https://a.example/x", "see https://a.example/x\n\nabout https://a.example/x"},
		{history + "and https://b.example", history + "and https://b.example\n\nabout https://b.example"},
		{"/status https://a.example/x", "/status https://a.example/x"},
		{"no links here", "no links here"},
	} {
		next := &collect{}
		s := &MediaStage{Channel: "test", Understand: u, Next: next}
		s.Inbound(t.Context(), Message{ChatID: "c1", Text: tc.text})
		if len(next.got) != 1 || next.got[0].Text != tc.want {
			t.Errorf("%q: got %+v, want %q", tc.text, next.got, tc.want)
		}
	}
}

// TestMediaStageUnderstanding: described pictures are not sent as images and the body
// gets the original's sections; in an album only the selected attachments are
// described (mode "all", maxAttachments 2) and the rest go on as before.
func TestMediaStageUnderstanding(t *testing.T) {
	dir := t.TempDir()
	desc := filepath.Join(dir, "describe")
	if err := os.WriteFile(desc, []byte("#!/bin/sh\necho \"a picture of $(wc -c < \"$1\" | tr -d ' ') bytes\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	u := runnerUnderstander{r: understand.New(understand.Options{Media: &understand.Config{
		Image: &understand.CapConfig{Attachments: &understand.AttachmentPolicy{Mode: "all", MaxAttachments: 2}, Models: []understand.Entry{{Command: desc, Args: []string{"{{MediaPath}}"}}}},
		Video: &understand.CapConfig{Models: []understand.Entry{{Command: desc, Args: []string{"{{MediaPath}}"}}}},
	}})}
	img := func(n int) InboundMedia {
		return InboundMedia{Kind: "photo", Open: opener(append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, n)...), nil)}
	}
	for _, tc := range []struct {
		name   string
		text   string
		parts  []InboundMedia
		want   string
		images int
	}{
		{"one photo", "<media:image>", []InboundMedia{img(2)}, "[Image]\nDescription:\na picture of 10 bytes", 0},
		{"album of three", "look", []InboundMedia{img(1), img(2), img(3)},
			"User text:\nlook\n\n[Image 1/2]\nDescription:\na picture of 9 bytes\n\n[Image 2/2]\nDescription:\na picture of 10 bytes", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := media.New(media.Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			next := &collect{}
			s := &MediaStage{Channel: "test", Store: st, Understand: u, MaxMB: 1, Next: next}
			var parts []*InboundMedia
			for i := range tc.parts {
				parts = append(parts, &tc.parts[i])
			}
			s.Inbound(t.Context(), Message{ChatID: "c1", Text: tc.text, Media: parts})
			if len(next.got) != 1 {
				t.Fatalf("delivered %d", len(next.got))
			}
			if m := next.got[0]; m.Text != tc.want || len(m.Images) != tc.images {
				t.Fatalf("text %q images %d\nwant %q images %d", m.Text, len(m.Images), tc.want, tc.images)
			}
		})
	}
}

// TestMediaStageVoiceCommandText: a voice note sent without a caption has its
// transcript as the message's command text (a spoken "/status" runs as typed), while
// the agent's body keeps the "[Audio]" section; with a caption, the caption is what
// commands read (CommandText stays empty).
func TestMediaStageVoiceCommandText(t *testing.T) {
	dir := t.TempDir()
	tr := filepath.Join(dir, "transcribe")
	if err := os.WriteFile(tr, []byte("#!/bin/sh\necho ' /status '\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	u := runnerUnderstander{r: understand.New(understand.Options{Media: &understand.Config{
		Audio: &understand.CapConfig{Models: []understand.Entry{{Command: tr, Args: []string{"{{MediaPath}}"}}}},
	}})}
	voice := append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{1}, 64)...)
	for _, tc := range []struct {
		name, text, wantCmd string
	}{
		{"no caption", "<media:audio>", "/status"},
		{"caption wins", "what did I say", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := media.New(media.Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			next := &collect{}
			s := &MediaStage{Channel: "test", Store: st, Understand: u, Next: next}
			s.Inbound(t.Context(), Message{ChatID: "c1", Text: tc.text, Media: []*InboundMedia{{Kind: "voice", ContentType: "audio/ogg", Open: opener(voice, nil)}}})
			if len(next.got) != 1 {
				t.Fatalf("delivered %d", len(next.got))
			}
			m := next.got[0]
			if m.CommandText != tc.wantCmd {
				t.Fatalf("CommandText %q, want %q", m.CommandText, tc.wantCmd)
			}
			if !strings.Contains(m.Text, "[Audio]") || !strings.Contains(m.Text, "/status") {
				t.Fatalf("agent body %q", m.Text)
			}
		})
	}
}
