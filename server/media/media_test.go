package media

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
)

var (
	pngHead = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	oggHead = append([]byte("OggS\x00\x02"), make([]byte, 40)...)
	zipHead = []byte("PK\x03\x04\x14\x00\x00\x00")
)

func TestDetectType(t *testing.T) {
	cases := []struct {
		name     string
		head     []byte
		declared string
		file     string
		want     string
	}{
		{"png sniffed", pngHead, "", "", "image/png"},
		{"png declared wrong", pngHead, "application/pdf", "x.pdf", "image/png"},
		{"zip posing as jpeg", zipHead, "image/jpeg", "photo.jpg", "application/zip"},
		{"ogg voice note", oggHead, "audio/ogg; codecs=opus", "", "audio/ogg"},
		{"ogg undeclared", oggHead, "", "", "audio/ogg"},
		{"ogg video", oggHead, "video/ogg", "", "video/ogg"},
		{"unknown binary, declared", []byte{0, 1, 2, 3, 4}, "audio/ogg", "", "audio/ogg"},
		{"unknown binary, extension", []byte{0, 1, 2, 3, 4}, "", "voice.opus", "audio/ogg"},
		{"json text declared", []byte(`{"a":1}`), "application/json", "", "application/json"},
		{"text claiming image", []byte("hello"), "image/png", "", "text/plain"},
		{"text csv by extension", []byte("a,b\n1,2"), "", "t.csv", "text/csv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := DetectType(c.head, c.declared, c.file)
			if got != c.want {
				t.Fatalf("got %q want %q", got, c.want)
			}
		})
	}
}

func TestKindAndCaps(t *testing.T) {
	cases := []struct {
		mime  string
		kind  Kind
		maxMB int
		cap   int64
	}{
		{"image/png", Image, 0, MaxImageBytes},
		{"audio/ogg", Audio, 0, MaxAudioBytes},
		{"video/mp4", Video, 50, MaxVideoBytes},
		{"application/pdf", Document, 50, 50 * MB},
		{"application/pdf", Document, 0, MaxDocumentBytes},
		{"image/jpeg", Image, 2, 2 * MB},
		{"", Unknown, 0, MaxDocumentBytes},
	}
	for _, c := range cases {
		if k := KindOf(c.mime); k != c.kind {
			t.Errorf("%s: kind %s", c.mime, k)
		}
		if got := MaxBytesFor(c.kind, c.maxMB); got != c.cap {
			t.Errorf("%s/%d: cap %d want %d", c.mime, c.maxMB, got, c.cap)
		}
	}
}

func newStore(t *testing.T, o Options) *Store {
	t.Helper()
	if o.Dir == "" {
		o.Dir = filepath.Join(t.TempDir(), "media")
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSaveAndImagePart(t *testing.T) {
	s := newStore(t, Options{})
	saved, err := s.Save(bytes.NewReader(pngHead), Hint{ContentType: "image/jpeg"})
	if err != nil {
		t.Fatal(err)
	}
	if saved.ContentType != "image/png" || saved.Kind != Image || saved.Size != int64(len(pngHead)) || filepath.Ext(saved.Path) != ".png" {
		t.Fatalf("saved %+v", saved)
	}
	st, _ := os.Stat(saved.Path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	p, err := ImagePart(saved)
	if err != nil || p.Type != llm.PartImage || p.MimeType != "image/png" || p.Data != base64.StdEncoding.EncodeToString(pngHead) {
		t.Fatalf("part %+v %v", p, err)
	}
	doc, _ := s.Save(bytes.NewReader(zipHead), Hint{FileName: "a.zip"})
	if _, err := ImagePart(doc); err == nil {
		t.Fatal("zip became an image part")
	}
	if _, err := s.Save(bytes.NewReader(nil), Hint{}); err == nil {
		t.Fatal("empty file saved")
	}
}

// countingReader yields n bytes of PNG-looking data and counts what was read.
type countingReader struct {
	left, read int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), c.left)
	if c.read == 0 {
		copy(p, pngHead)
	}
	c.left -= n
	c.read += n
	return int(n), nil
}

func TestSizeCapStopsReading(t *testing.T) {
	s := newStore(t, Options{})
	r := &countingReader{left: 100 * MB}
	_, err := s.Save(r, Hint{MediaMaxMB: 1})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v", err)
	}
	if r.read > 1*MB+64*1024 {
		t.Fatalf("read %d bytes of an oversized upload", r.read)
	}
	if entries, _ := os.ReadDir(s.dir); len(entries) != 0 {
		t.Fatalf("left files: %v", entries)
	}
	// Exactly at the cap is fine.
	if _, err := s.Save(&countingReader{left: MB}, Hint{MediaMaxMB: 1}); err != nil {
		t.Fatal(err)
	}
	// The per-kind cap applies without mediaMaxMb.
	if _, err := s.Save(&countingReader{left: MaxImageBytes + 1}, Hint{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("image over its cap: %v", err)
	}
}

func TestRetention(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := newStore(t, Options{MaxAge: time.Hour, MaxTotalBytes: 3000, Now: func() time.Time { return now }})
	save := func(age time.Duration, size int) string {
		saved, err := s.Save(bytes.NewReader(bytes.Repeat([]byte{0}, size)), Hint{})
		if err != nil {
			t.Fatal(err)
		}
		mt := now.Add(-age)
		os.Chtimes(saved.Path, mt, mt)
		return saved.Path
	}
	old := save(2*time.Hour, 10)
	if n, _ := s.Prune(); n != 1 {
		t.Fatalf("removed %d, want the old file", n)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatal("old file kept")
	}
	a := save(30*time.Minute, 1000)
	b := save(20*time.Minute, 1000)
	c := save(10*time.Minute, 1000)
	if _, err := os.Stat(a); err != nil {
		t.Fatal("within bounds, removed")
	}
	save(0, 1000) // total 4000 > 3000: the oldest (a) goes
	for p, want := range map[string]bool{a: false, b: true, c: true} {
		_, err := os.Stat(p)
		if (err == nil) != want {
			t.Errorf("%s exists=%v want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// TestPreserveFilenames: with PreserveFilenames a stored file is named
// <sanitised original>---<uuid><sniffed ext>; without it, or without a usable name,
// the name is random.
func TestPreserveFilenames(t *testing.T) {
	pdf := []byte("%PDF-1.4\nhello")
	uuidName := regexp.MustCompile(`^(.+)---[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(\.[a-z0-9]+)$`)
	random := regexp.MustCompile(`^[0-9a-f]{32}\.pdf$`)
	for _, tc := range []struct {
		preserve bool
		name     string
		want     string // "" = random
	}{
		{true, "Quarterly Report: Q3 <final>.pdf", "Quarterly_Report_Q3_final"},
		{true, "  tabs\tand\nnewlines?.pdf", "tabs_and_newlines"},
		{true, `C:\Users\ann\notes.txt`, "notes"},
		{true, "dir/sub/über café.pdf", "über_café"},
		{true, strings.Repeat("a", 80) + ".pdf", strings.Repeat("a", 60)},
		{true, "???.pdf", ""},
		{true, "", ""},
		{false, "Quarterly Report.pdf", ""},
	} {
		s := newStore(t, Options{PreserveFilenames: tc.preserve})
		saved, err := s.Save(bytes.NewReader(pdf), Hint{FileName: tc.name})
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(saved.Path)
		if tc.want == "" {
			if !random.MatchString(base) {
				t.Errorf("%q (preserve %v): stored as %q, want a random name", tc.name, tc.preserve, base)
			}
			continue
		}
		m := uuidName.FindStringSubmatch(base)
		if m == nil || m[1] != tc.want || m[2] != ".pdf" {
			t.Errorf("%q: stored as %q, want %s---<uuid>.pdf", tc.name, base, tc.want)
		}
	}
	if got := SanitizeFilename(" a__b  c "); got != "a_b_c" {
		t.Fatalf("SanitizeFilename: %q", got)
	}
}
