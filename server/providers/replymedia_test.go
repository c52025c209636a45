package providers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSplitReplyMedia(t *testing.T) {
	cases := []struct {
		name string
		in   string
		text string
		refs []string
	}{
		{"no media", "Hello there", "Hello there", nil},
		{"empty", "  \n ", "", nil},
		{"prose mention stays", "The MEDIA: tag fails to deliver", "The MEDIA: tag fails to deliver", nil},
		{"text and file", "Here is the chart.\nMEDIA: /tmp/chart.png", "Here is the chart.", []string{"/tmp/chart.png"}},
		{"no space after colon", "MEDIA:/tmp/a.png", "", []string{"/tmp/a.png"}},
		{"leading whitespace", "  MEDIA:/tmp/screenshot.png", "", []string{"/tmp/screenshot.png"}},
		{"url", "Look\nMEDIA: https://example.com/a.jpg\nbye", "Look\nbye", []string{"https://example.com/a.jpg"}},
		{"http upper-case scheme", "MEDIA: HTTP://example.com/a.jpg", "", []string{"HTTP://example.com/a.jpg"}},
		{"backticks", "MEDIA: `/tmp/a b.png`", "", []string{"/tmp/a b.png"}},
		{"double quotes with spaces", `MEDIA:"/Users/pete/My File.png"`, "", []string{"/Users/pete/My File.png"}},
		{"single quotes", "MEDIA: './out/x.pdf'", "", []string{"./out/x.pdf"}},
		{"unquoted path with spaces", "MEDIA:/Users/pete/My File.png", "", []string{"/Users/pete/My File.png"}},
		{"tilde with spaces", "MEDIA:~/Pictures/My File.png", "", []string{"~/Pictures/My File.png"}},
		{"file scheme", "MEDIA: file:///tmp/a.png", "", []string{"/tmp/a.png"}},
		{"relative", "MEDIA: ../x.txt", "", []string{"../x.txt"}},
		{"trailing punctuation", "MEDIA: (/tmp/a.png),", "", []string{"/tmp/a.png"}},
		{"two urls on a line", "MEDIA: https://a.example/1.png https://a.example/2.png", "", []string{"https://a.example/1.png", "https://a.example/2.png"}},
		{"words beside a url stay", "MEDIA: https://a.example/1.png see this", "see this", []string{"https://a.example/1.png"}},
		{"invalid ref stays text", "Result:\nMEDIA: none available", "Result:\nMEDIA: none available", nil},
		{"bare word stays text", "MEDIA: chart.png", "MEDIA: chart.png", nil},
		{"ftp is not media", "MEDIA: ftp://example.com/a.png", "MEDIA: ftp://example.com/a.png", nil},
		{"quoted non-path stays", `MEDIA: "hello world"`, `MEDIA: "hello world"`, nil},
		{"inside a fence", "```\nMEDIA: /tmp/a.png\n```", "```\nMEDIA: /tmp/a.png\n```", nil},
		{"after a fence", "```sh\nls\n```\nMEDIA: /tmp/a.png", "```sh\nls\n```", []string{"/tmp/a.png"}},
		{"tilde fence", "~~~\nMEDIA: /tmp/a.png\n~~~", "~~~\nMEDIA: /tmp/a.png\n~~~", nil},
		{"layout kept", "Para one.\n\nMEDIA: /tmp/a.png\n\n  - indented  item", "Para one.\n\n  - indented  item", []string{"/tmp/a.png"}},
		{"several lines", "a\nMEDIA: /tmp/1.png\nb\nMEDIA: /tmp/2.png", "a\nb", []string{"/tmp/1.png", "/tmp/2.png"}},
		{"overlong ref stays", "MEDIA: /" + strings.Repeat("a", 5000), "MEDIA: /" + strings.Repeat("a", 5000), nil},
		{"lower-case prefix is prose", "media: /tmp/a.png", "media: /tmp/a.png", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, refs := SplitReplyMedia(c.in)
			if text != c.text {
				t.Errorf("text = %q, want %q", text, c.text)
			}
			if !slices.Equal(refs, c.refs) {
				t.Errorf("refs = %q, want %q", refs, c.refs)
			}
		})
	}
}

func TestReplyPreview(t *testing.T) {
	for in, want := range map[string]string{
		"Here it is.\nMEDIA: ":                 "Here it is.",
		"Here it is.\nMEDIA: ./out/ch":         "Here it is.",
		"Here it is.\nMED":                     "Here it is.",
		"Here it is.\nMEDIA: /a.png\nAnd more": "Here it is.\nAnd more",
		"Here it is.\nMEDIA: none at all":      "Here it is.",
		"Here it is":                           "Here it is",
		"Medal count: 3":                       "Medal count: 3",
	} {
		if got := ReplyPreview(in); got != want {
			t.Errorf("ReplyPreview(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsMediaURL(t *testing.T) {
	for ref, want := range map[string]bool{"https://x/a.png": true, "HTTP://x": true, "/tmp/a": false, "./a": false} {
		if got := IsMediaURL(ref); got != want {
			t.Errorf("IsMediaURL(%q) = %v", ref, got)
		}
	}
}

func TestReplyMediaRootsLocal(t *testing.T) {
	base := t.TempDir()
	ws := filepath.Join(base, "ws")
	other := filepath.Join(base, "secret")
	home := filepath.Join(base, "home")
	for _, d := range []string{ws, other, home, filepath.Join(ws, "out")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string, n int) string {
		if err := os.WriteFile(p, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	chart := write(filepath.Join(ws, "out", "chart.png"), 10)
	secret := write(filepath.Join(other, "id_rsa"), 10)
	write(filepath.Join(home, "h.txt"), 10)
	big := filepath.Join(ws, "big.bin")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file over the limit: the check is by size, nothing is read.
	if err := f.Truncate(MaxLocalMediaBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	write(filepath.Join(ws, "exact.bin"), 0)
	if err := os.Truncate(filepath.Join(ws, "exact.bin"), MaxLocalMediaBytes); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(ws, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(ws, filepath.Join(base, "wslink")); err != nil {
		t.Fatal(err)
	}
	realWS, _ := filepath.EvalSymlinks(ws)
	roots := ReplyMediaRoots{Workspace: ws, Home: home, Roots: []string{filepath.Join(base, "wslink"), filepath.Join(base, "missing")}}
	cases := []struct {
		ref  string
		want string
		err  error
	}{
		{chart, filepath.Join(realWS, "out", "chart.png"), nil},
		{"./out/chart.png", filepath.Join(realWS, "out", "chart.png"), nil},
		{"out/../out/chart.png", filepath.Join(realWS, "out", "chart.png"), nil},
		{"./exact.bin", filepath.Join(realWS, "exact.bin"), nil},
		{secret, "", ErrMediaOutsideRoots},
		{"../secret/id_rsa", "", ErrMediaOutsideRoots},
		{"./link", "", ErrMediaOutsideRoots}, // a symlink out of the workspace
		{"~/h.txt", "", ErrMediaOutsideRoots},
		{"~root/x", "", ErrMediaOutsideRoots},
		{"./big.bin", "", ErrMediaTooLarge},
		{"./nope.png", "", os.ErrNotExist},
	}
	for _, c := range cases {
		got, err := roots.Local(c.ref)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("Local(%q) = %q, %v; want error %v", c.ref, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Local(%q) = %q, %v; want %q", c.ref, got, err, c.want)
		}
	}
	// Home inside the roots serves ~ refs; no roots serve nothing.
	roots.Roots = append(roots.Roots, home)
	if _, err := roots.Local("~/h.txt"); err != nil {
		t.Errorf("~/h.txt with home as a root: %v", err)
	}
	if _, err := (ReplyMediaRoots{}).Local(chart); !errors.Is(err, ErrMediaOutsideRoots) {
		t.Errorf("no roots: %v", err)
	}
	if _, err := (ReplyMediaRoots{Roots: []string{ws}}).Local("./out/chart.png"); !errors.Is(err, ErrMediaOutsideRoots) {
		t.Errorf("relative without workspace: %v", err)
	}
}

// fakeReplySender records sends; a media URL containing "fail" fails.
type fakeReplySender struct{ sent []Outbound }

func (f *fakeReplySender) Send(_ context.Context, _ string, m Outbound) (Sent, error) {
	if strings.Contains(m.MediaURL, "fail") || strings.Contains(m.Text, "fail") {
		return Sent{}, errors.New("send failed")
	}
	f.sent = append(f.sent, m)
	return Sent{MessageID: fmt.Sprint(len(f.sent))}, nil
}

func TestReplyMediaItems(t *testing.T) {
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "a.png"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	realA, _ := filepath.EvalSymlinks(filepath.Join(ws, "a.png"))
	roots := ReplyMediaRoots{Workspace: ws, Roots: []string{ws}}
	var refs []string
	for range MaxReplyMedia + 3 {
		refs = append(refs, "https://x.example/p.png")
	}
	if got := ReplyMediaItems(refs, roots, nil); len(got) != MaxReplyMedia {
		t.Fatalf("%d items for %d refs, want %d", len(got), len(refs), MaxReplyMedia)
	}
	got := ReplyMediaItems([]string{"./a.png", "/etc/passwd", "https://x.example/q.png", "./missing.png"}, roots, nil)
	if len(got) != 2 || got[0].MediaPath != realA || got[1].MediaURL != "https://x.example/q.png" {
		t.Fatalf("items: %+v", got)
	}
	// The limit counts refs as named: refused ones use up places too.
	many := append([]string{"/etc/passwd"}, refs...)
	if got := ReplyMediaItems(many, roots, nil); len(got) != MaxReplyMedia-1 {
		t.Fatalf("%d items", len(got))
	}
}

func TestSendWithMedia(t *testing.T) {
	base := Outbound{To: "42", AccountID: "work"}
	cases := []struct {
		name  string
		text  string
		items []Outbound
		want  []Outbound
		sent  bool
		err   bool
	}{
		{"caption on the first", "hi", []Outbound{{MediaURL: "https://x/1.png"}, {MediaPath: "/w/2.png"}},
			[]Outbound{{To: "42", AccountID: "work", Text: "hi", MediaURL: "https://x/1.png"}, {To: "42", AccountID: "work", MediaPath: "/w/2.png"}}, true, false},
		{"text moves past a failed file", "hi", []Outbound{{MediaURL: "https://x/fail.png"}, {MediaPath: "/w/2.png"}},
			[]Outbound{{To: "42", AccountID: "work", Text: "hi", MediaPath: "/w/2.png"}}, true, false},
		{"text alone when every file fails", "hi", []Outbound{{MediaURL: "https://x/fail.png"}},
			[]Outbound{{To: "42", AccountID: "work", Text: "hi"}}, true, false},
		{"nothing went", "", []Outbound{{MediaURL: "https://x/fail.png"}}, nil, false, true},
		{"nothing to send", "", nil, nil, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &fakeReplySender{}
			sent, err := SendWithMedia(t.Context(), s, Telegram, base, c.text, c.items, nil)
			if (err != nil) != c.err || (sent != nil) != c.sent {
				t.Fatalf("sent %v, err %v", sent, err)
			}
			if !reflect.DeepEqual(s.sent, c.want) {
				t.Fatalf("sends %+v, want %+v", s.sent, c.want)
			}
		})
	}
}
