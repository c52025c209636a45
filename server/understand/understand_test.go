package understand

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestScopeAllowed(t *testing.T) {
	scope := &Scope{Default: "allow", Rules: []ScopeRule{
		{Action: "deny", Match: &ScopeMatch{Channel: "Telegram", ChatType: "group"}},
		{Action: "allow", Match: &ScopeMatch{KeyPrefix: "agent:main:whatsapp:dm:"}},
		{Action: "deny", Match: &ScopeMatch{ChatType: "dm"}},
	}}
	for _, tc := range []struct {
		scope              *Scope
		channel, chat, key string
		want               bool
	}{
		{nil, "telegram", "group", "", true},
		{scope, "telegram", "group", "agent:main:telegram:group:1", false},
		{scope, "whatsapp", "group", "agent:main:whatsapp:group:1", true},
		{scope, "whatsapp", "direct", "Agent:Main:WhatsApp:DM:+1", true}, // prefix is case-insensitive
		{scope, "telegram", "direct", "agent:main:main", false},          // "dm" is direct
		{&Scope{Default: "deny"}, "telegram", "direct", "", false},
		{&Scope{Rules: []ScopeRule{{Action: "deny"}}}, "x", "", "", false}, // no match: every message
	} {
		if got := tc.scope.Allowed(tc.channel, tc.chat, tc.key); got != tc.want {
			t.Errorf("%v %s/%s/%s = %v", tc.scope, tc.channel, tc.chat, tc.key, got)
		}
	}
}

func TestSelect(t *testing.T) {
	atts := []Attachment{
		{Index: 0, Path: "/m/a.jpg"},
		{Index: 1, Path: "/m/voice", MIME: "audio/ogg"},
		{Index: 2, URL: "https://x/b.png?x=1"},
		{Index: 3, Path: "/m/c.webp"},
		{Index: 4, Path: "/m/d.mp4"},
	}
	idx := func(as []Attachment) string {
		var s []string
		for _, a := range as {
			s = append(s, fmt.Sprint(a.Index))
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		c    Capability
		p    *AttachmentPolicy
		want string
	}{
		{Image, nil, "0"},
		{Image, &AttachmentPolicy{Mode: "all"}, "0"}, // maxAttachments defaults to 1
		{Image, &AttachmentPolicy{Mode: "all", MaxAttachments: 5}, "0,2,3"},
		{Image, &AttachmentPolicy{Mode: "all", MaxAttachments: 2, Prefer: "last"}, "3,2"},
		{Image, &AttachmentPolicy{Mode: "all", MaxAttachments: 5, Prefer: "url"}, "2,0,3"},
		{Image, &AttachmentPolicy{Mode: "first", MaxAttachments: 5, Prefer: "path"}, "0"},
		{Audio, nil, "1"},
		{Video, nil, "4"},
	} {
		if got := idx(Select(tc.c, append([]Attachment(nil), atts...), tc.p)); got != tc.want {
			t.Errorf("%s %+v = %s, want %s", tc.c, tc.p, got, tc.want)
		}
	}
}

func TestFormatBody(t *testing.T) {
	img := Output{Kind: ImageDescription, Text: "a cat"}
	aud := Output{Kind: AudioTranscription, Text: "hello"}
	for _, tc := range []struct {
		body string
		outs []Output
		want string
	}{
		{"<media:image>", []Output{img}, "[Image]\nDescription:\na cat"},
		{"<media:image> (2 images)", []Output{img}, "[Image]\nDescription:\na cat"},
		{"what is it?", []Output{img}, "[Image]\nUser text:\nwhat is it?\nDescription:\na cat"},
		{"<media:audio> pls", []Output{aud}, "[Audio]\nUser text:\npls\nTranscript:\nhello"},
		{"look", []Output{img, img, aud}, "User text:\nlook\n\n[Image 1/2]\nDescription:\na cat\n\n[Image 2/2]\nDescription:\na cat\n\n[Audio]\nTranscript:\nhello"},
		{"keep", []Output{{Kind: VideoDescription, Text: "  "}}, "keep"},
		{"", []Output{{Kind: VideoDescription, Text: "a clip"}}, "[Video]\nDescription:\na clip"},
	} {
		if got := FormatBody(tc.body, tc.outs); got != tc.want {
			t.Errorf("FormatBody(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
	if got := Transcript([]Output{aud, img, {Kind: AudioTranscription, Text: "bye"}}); got != "Audio 1:\nhello\n\nAudio 2:\nbye" {
		t.Errorf("Transcript = %q", got)
	}
	if got := FormatLinks("hi", []string{" sum1 ", "", "sum2"}); got != "hi\n\nsum1\nsum2" {
		t.Errorf("FormatLinks = %q", got)
	}
	if got := FormatLinks("  ", []string{"s"}); got != "s" {
		t.Errorf("FormatLinks empty body = %q", got)
	}
}

func TestPromptAndLimits(t *testing.T) {
	if p := Prompt(Image, "", 500); p != "Describe the image. Respond in at most 500 characters." {
		t.Error(p)
	}
	if p := Prompt(Audio, "", 100); p != "Transcribe the audio." {
		t.Error(p)
	}
	if p := Prompt(Video, " What happens? ", 0); p != "What happens?" {
		t.Error(p)
	}
	l := resolveLimits(Audio, &CapConfig{}, Entry{})
	if l.maxChars != 0 || l.maxBytes != 20<<20 {
		t.Errorf("audio defaults %+v", l)
	}
	l = resolveLimits(Image, &CapConfig{MaxChars: 50, MaxBytes: 9}, Entry{MaxChars: 20})
	if l.maxChars != 20 || l.maxBytes != 9 || !strings.HasSuffix(l.prompt, "at most 20 characters.") {
		t.Errorf("entry over section %+v", l)
	}
	if trimOutput("  héllo wörld  ", 7) != "héllo w" {
		t.Error(trimOutput("  héllo wörld  ", 7))
	}
	if timeoutOf(DefaultTimeout[Video], 0, 0) != 120*time.Second || timeoutOf(time.Minute, 0, 3) != 3*time.Second {
		t.Error("timeouts")
	}
}

func TestExtractLinks(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		max  int
		want string
	}{
		{"see https://a.example/x and http://b.example/y?q=1", 0, "https://a.example/x http://b.example/y?q=1"},
		{"[doc](https://md.example/z) but https://bare.example", 0, "https://bare.example"},
		{"https://a.example https://a.example https://c.example", 0, "https://a.example https://c.example"},
		{"http://127.0.0.1:8080/admin ftp://x.example", 0, ""},
		{"1 https://a.example/1 https://a.example/2 https://a.example/3 https://a.example/4", 0, "https://a.example/1 https://a.example/2 https://a.example/3"},
		{"https://a.example/1 https://a.example/2", 1, "https://a.example/1"},
	} {
		if got := strings.Join(ExtractLinks(tc.msg, tc.max), " "); got != tc.want {
			t.Errorf("ExtractLinks(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}
}

// script writes an executable shell script into dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeAPI is an OpenAI-compatible server on 127.0.0.1 that records requests.
type fakeAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []string // "path model prompt-or-language"
	body [][]byte
}

func newFakeAPI(t *testing.T, fail bool) *fakeAPI {
	f := &fakeAPI{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail {
			http.Error(w, `{"error":{"message":"overloaded"}}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/audio/transcriptions":
			_ = r.ParseMultipartForm(1 << 20)
			f.mu.Lock()
			f.reqs = append(f.reqs, r.URL.Path+" "+r.FormValue("model")+" "+r.FormValue("prompt"))
			f.mu.Unlock()
			_ = json.NewEncoder(w).Encode(map[string]string{"text": " the transcript "})
		case "/v1/chat/completions":
			b, _ := io.ReadAll(r.Body)
			var req struct {
				Model string `json:"model"`
			}
			_ = json.Unmarshal(b, &req)
			f.mu.Lock()
			f.reqs = append(f.reqs, r.URL.Path+" "+req.Model)
			f.body = append(f.body, b)
			f.mu.Unlock()
			fmt.Fprint(w, `{"choices":[{"message":{"role":"assistant","content":"A red bicycle leaning on a wall, photographed at dusk."}}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reqs...)
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMedia runs whole capabilities against fake servers and scripts: provider
// requests, fallback through the list, CLI templates and output handling, limits,
// the vision skip and the shared model list.
func TestMedia(t *testing.T) {
	dir := t.TempDir()
	good := newFakeAPI(t, false)
	down := newFakeAPI(t, true)
	png := writeFile(t, dir, "photo.png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...))
	ogg := writeFile(t, dir, "voice.ogg", append([]byte("OggS"), make([]byte, 64)...))
	mp4 := writeFile(t, dir, "clip.mp4", make([]byte, 32))
	atts := []Attachment{{Index: 0, Path: png, MIME: "image/png"}, {Index: 1, Path: ogg, MIME: "audio/ogg"}, {Index: 2, Path: mp4, MIME: "video/mp4"}}
	echoArgs := script(t, dir, "echo-args", `printf '%s|' "$@"`)
	fails := script(t, dir, "fails", `echo broken >&2; exit 3`)
	slow := script(t, dir, "slow", `sleep 10`)
	chatty := script(t, dir, "chatty", `head -c 6000000 /dev/zero | tr '\0' 'x'`)
	empty := script(t, dir, "empty", `true`)
	whisper := script(t, dir, "whisper", `out=""; while [ $# -gt 0 ]; do [ "$1" = "--output_dir" ] && out="$2"; last="$1"; shift; done; b=$(basename "$last"); echo "from the txt file" > "$out/${b%.*}.txt"; echo "stdout noise"`)
	gemini := script(t, dir, "gemini", `echo 'Loaded'; echo '{"response": " gemini says hi "}'`)
	ep := func(id string) (Endpoint, bool) {
		switch id {
		case "good":
			return Endpoint{BaseURL: good.srv.URL + "/v1", APIKey: "k"}, true
		case "down":
			return Endpoint{BaseURL: down.srv.URL + "/v1", APIKey: "k"}, true
		case "openai": // known, but no key: not used automatically
			return Endpoint{BaseURL: good.srv.URL + "/v1"}, true
		}
		return Endpoint{}, false
	}
	on, off := true, false
	type want struct {
		outputs  string // "kind@index=text;…"
		outcomes string // "image:…,audio:…,video:…"
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		msg  Message
		want want
	}{
		{name: "nothing configured, no keys", cfg: Config{}, want: want{"", "image:skipped,audio:skipped,video:skipped"}},
		{name: "provider image and audio", cfg: Config{
			Image: &CapConfig{Models: []Entry{{Provider: "good", Model: "vision-1"}}},
			Audio: &CapConfig{Models: []Entry{{Provider: "good"}}},
		}, want: want{"image.description@0=A red bicycle leaning on a wall, photographed at dusk.;audio.transcription@1=the transcript", "image:success,audio:success,video:skipped"}},
		{name: "image maxChars trims", cfg: Config{Image: &CapConfig{MaxChars: 5, Models: []Entry{{Provider: "good", Model: "vision-1"}}}},
			want: want{"image.description@0=A red", "image:success,audio:skipped,video:skipped"}},
		{name: "model sees images", cfg: Config{Image: &CapConfig{Models: []Entry{{Provider: "good", Model: "vision-1"}}}}, msg: Message{ModelSeesImages: true},
			want: want{"", "image:skipped,audio:skipped,video:skipped"}},
		{name: "disabled and scope", cfg: Config{
			Image: &CapConfig{Enabled: &off, Models: []Entry{{Provider: "good", Model: "vision-1"}}},
			Audio: &CapConfig{Enabled: &on, Scope: &Scope{Rules: []ScopeRule{{Action: "deny", Match: &ScopeMatch{ChatType: "group"}}}}, Models: []Entry{{Provider: "good"}}},
		}, msg: Message{ChatType: "group"}, want: want{"", "image:disabled,audio:scope-deny,video:skipped"}},
		{name: "fallback: provider down, failing cli, empty cli, then cli", cfg: Config{
			Video: &CapConfig{Models: []Entry{{Provider: "down"}, {Command: fails}, {Type: "cli", Command: empty}, {Command: echoArgs, Args: []string{"{{MediaPath}}", "{{Prompt}}", "{{MaxChars}}", "{{From}}", "{{Nope}}", "{{ From }}"}}}},
		}, msg: Message{Vars: map[string]string{"From": "ann"}},
			want: want{"video.description@2=" + mp4 + "|Describe the video. Respond in at most 500 characters.|500|ann||ann|", "image:skipped,audio:skipped,video:success"}},
		{name: "maxBytes skips to the next entry", cfg: Config{Audio: &CapConfig{Models: []Entry{{Provider: "good", MaxBytes: 10}, {Command: echoArgs, Args: []string{"small enough"}}}}},
			want: want{"audio.transcription@1=small enough|", "image:skipped,audio:success,video:skipped"}},
		{name: "timeout and output cap fail", cfg: Config{Audio: &CapConfig{Models: []Entry{{Command: slow, TimeoutSeconds: 1}, {Command: chatty}}}},
			want: want{"", "image:skipped,audio:skipped,video:skipped"}},
		{name: "whisper's txt file, gemini's json", cfg: Config{
			Audio: &CapConfig{Models: []Entry{{Command: whisper, Args: []string{"--output_format", "txt", "--output_dir", "{{OutputDir}}", "{{MediaPath}}"}}}},
			Image: &CapConfig{Models: []Entry{{Command: gemini}}},
		}, want: want{"image.description@0=gemini says hi;audio.transcription@1=from the txt file", "image:success,audio:success,video:skipped"}},
		{name: "shared models by capabilities and provider", cfg: Config{
			Models: []Entry{{Provider: "good", Model: "no-capabilities"}, {Command: echoArgs, Args: []string{"shared"}, Capabilities: []Capability{Video}}, {Provider: "OpenAI", Model: "vision-1"}},
			Audio:  &CapConfig{Models: []Entry{{Command: echoArgs, Args: []string{"own"}}}},
		}, want: want{"image.description@0=A red bicycle leaning on a wall, photographed at dusk.;audio.transcription@1=own|;video.description@2=shared|", "image:success,audio:success,video:success"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			r := New(Options{Media: &cfg, Endpoint: ep, TempDir: t.TempDir()})
			res := r.Media(context.Background(), tc.msg, atts)
			var outs, decs []string
			for _, o := range res.Outputs {
				outs = append(outs, fmt.Sprintf("%s@%d=%s", o.Kind, o.Attachment, o.Text))
			}
			for _, d := range res.Decisions {
				decs = append(decs, fmt.Sprintf("%s:%s", d.Capability, d.Outcome))
			}
			if got := strings.Join(outs, ";"); got != tc.want.outputs {
				t.Errorf("outputs %q\nwant    %q", got, tc.want.outputs)
			}
			if got := strings.Join(decs, ","); got != tc.want.outcomes {
				t.Errorf("decisions %q, want %q (%+v)", got, tc.want.outcomes, res.Decisions)
			}
		})
	}
	// The image request: the prompt with the length limit and the picture as a data URL.
	var req struct {
		Model     string `json:"model"`
		MaxTokens int    `json:"max_tokens"`
		Messages  []struct {
			Content []map[string]any `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(good.body[0], &req); err != nil {
		t.Fatal(err)
	}
	c := req.Messages[0].Content
	if req.Model != "vision-1" || req.MaxTokens != ImageMaxTokens || c[0]["text"] != "Describe the image. Respond in at most 500 characters." ||
		!strings.HasPrefix(c[1]["image_url"].(map[string]any)["url"].(string), "data:image/png;base64,iVBORw0KGgo") {
		t.Fatalf("image request %s", good.body[0])
	}
	found := false
	for _, r := range good.requests() {
		found = found || r == "/v1/audio/transcriptions gpt-4o-mini-transcribe Transcribe the audio."
	}
	for _, r := range good.requests() {
		if strings.Contains(r, "no-capabilities") {
			t.Fatalf("a shared entry of a provider without known capabilities was used: %q", r)
		}
	}
	if !found {
		t.Fatalf("no audio request with the default model and prompt: %q", good.requests())
	}
}

func TestRunCommandLimits(t *testing.T) {
	dir := t.TempDir()
	chatty := script(t, dir, "chatty", `head -c 6000000 /dev/zero | tr '\0' 'x'`)
	if _, err := runCommand(context.Background(), []string{chatty}, 10*time.Second, ""); !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("over the cap: %v", err)
	}
	slow := script(t, dir, "slow", `sleep 10`)
	t0 := time.Now()
	if _, err := runCommand(context.Background(), []string{slow}, time.Second, ""); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("timeout: %v", err)
	}
	if d := time.Since(t0); d > 8*time.Second {
		t.Fatalf("timeout took %s", d)
	}
	// No shell: metacharacters in arguments are data.
	echo := script(t, dir, "echo1", `printf '%s' "$1"`)
	out, err := runCommand(context.Background(), []string{echo, "$(id); rm -rf /"}, 5*time.Second, "")
	if err != nil || out != "$(id); rm -rf /" {
		t.Fatalf("%q %v", out, err)
	}
}

// TestLinks: each link is summarised by the first entry that answers; scope and
// enabled gate it.
func TestLinks(t *testing.T) {
	dir := t.TempDir()
	fails := script(t, dir, "fails", `exit 1`)
	slow := script(t, dir, "slow", `sleep 10`)
	sum := script(t, dir, "sum", `echo "Summary of $1 for $2"`)
	off := false
	for _, tc := range []struct {
		name string
		cfg  *LinksConfig
		msg  Message
		want string
	}{
		{"off when absent", nil, Message{}, ""},
		{"disabled", &LinksConfig{Enabled: &off, Models: []LinkEntry{{Command: sum}}}, Message{}, ""},
		{"fallback", &LinksConfig{Models: []LinkEntry{{Command: fails}, {Type: "cli", Command: sum, Args: []string{"{{LinkUrl}}", "{{From}}"}}}}, Message{Vars: map[string]string{"From": "ann"}},
			"Summary of https://a.example/1 for ann|Summary of https://b.example for ann"},
		{"maxLinks", &LinksConfig{MaxLinks: 1, Models: []LinkEntry{{Command: sum, Args: []string{"{{LinkUrl}}"}}}}, Message{}, "Summary of https://a.example/1 for"},
		{"section timeout, then the next entry", &LinksConfig{TimeoutSeconds: 1, MaxLinks: 1, Models: []LinkEntry{{Command: slow}, {Command: sum, Args: []string{"{{LinkUrl}}"}}}}, Message{}, "Summary of https://a.example/1 for"},
		{"scope deny", &LinksConfig{Scope: &Scope{Default: "deny"}, Models: []LinkEntry{{Command: sum}}}, Message{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Options{Links: tc.cfg})
			got := strings.Join(r.Links(context.Background(), tc.msg, "read https://a.example/1 and https://b.example"), "|")
			if got != tc.want {
				t.Fatalf("%q, want %q", got, tc.want)
			}
		})
	}
}

// TestConcurrency: tools.media.concurrency bounds how many capabilities talk to
// models at once. The server holds each request until a second one is in flight (or
// a short bound passes): with limit 1 none ever overlaps, with the default 2 the
// image and audio requests do.
func TestConcurrency(t *testing.T) {
	dir := t.TempDir()
	png := writeFile(t, dir, "p.png", append([]byte("\x89PNG\r\n\x1a\n"), 1, 2, 3))
	ogg := writeFile(t, dir, "v.ogg", []byte("OggS\x00\x02abc"))
	for _, tc := range []struct {
		limit   int
		maxSeen int
	}{{1, 1}, {0, 2}} {
		var (
			mu             sync.Mutex
			inflight, seen int
		)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inflight++
			seen = max(seen, inflight)
			mu.Unlock()
			// Wait for the other capability's request, within a bound.
			deadline := time.After(300 * time.Millisecond)
			if tc.maxSeen > 1 {
				deadline = time.After(10 * time.Second)
			}
		wait:
			for {
				mu.Lock()
				n := seen
				mu.Unlock()
				if n >= 2 {
					break
				}
				select {
				case <-deadline:
					break wait
				case <-time.After(5 * time.Millisecond):
				}
			}
			w.Header().Set("Content-Type", "application/json")
			if strings.HasSuffix(r.URL.Path, "/audio/transcriptions") {
				fmt.Fprint(w, `{"text":"hi"}`)
			} else {
				fmt.Fprint(w, `{"choices":[{"message":{"content":"pic"}}]}`)
			}
			mu.Lock()
			inflight--
			mu.Unlock()
		}))
		ep := func(string) (Endpoint, bool) { return Endpoint{BaseURL: srv.URL + "/v1", APIKey: "k"}, true }
		r := New(Options{Endpoint: ep, Media: &Config{Concurrency: tc.limit,
			Image: &CapConfig{Models: []Entry{{Provider: "x", Model: "m"}}},
			Audio: &CapConfig{Models: []Entry{{Provider: "x"}}},
		}})
		res := r.Media(context.Background(), Message{}, []Attachment{{Index: 0, Path: png, MIME: "image/png"}, {Index: 1, Path: ogg, MIME: "audio/ogg"}})
		srv.Close()
		if len(res.Outputs) != 2 || seen != tc.maxSeen {
			t.Errorf("limit %d: %d outputs, %d requests at once, want %d", tc.limit, len(res.Outputs), seen, tc.maxSeen)
		}
	}
}
