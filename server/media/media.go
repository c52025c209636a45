// Package media stores inbound media (photos, voice notes, documents received on
// WhatsApp or Telegram) under <state>/media/inbound, sniffs their type, enforces
// per-kind size caps and a retention bound, turns images into model image parts and
// transcribes audio through an OpenAI-compatible endpoint.
package media

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/clawgate/gateway/server/agent/llm"
)

// MB is one mebibyte (mediaMaxMb is counted in these).
const MB = 1 << 20

// Per-kind size caps (the original's), applied on top of the channel's mediaMaxMb.
const (
	MaxImageBytes    = 6 * MB
	MaxAudioBytes    = 16 * MB
	MaxVideoBytes    = 16 * MB
	MaxDocumentBytes = 100 * MB
)

// Retention defaults: inbound files are inputs to one agent run, so they need not
// live long; both bounds apply after every save.
const (
	// DefaultMaxAge removes files older than this.
	DefaultMaxAge = 24 * time.Hour
	// DefaultMaxTotalBytes bounds the inbound directory; the oldest files go first.
	DefaultMaxTotalBytes = 1 << 30
	// sniffLen is what net/http.DetectContentType looks at.
	sniffLen = 512
)

// Kind is a coarse media category.
type Kind string

// Kinds.
const (
	Image    Kind = "image"
	Audio    Kind = "audio"
	Video    Kind = "video"
	Document Kind = "document"
	Unknown  Kind = "unknown"
)

// KindOf classifies a MIME type.
func KindOf(mimeType string) Kind {
	m := baseMIME(mimeType)
	switch {
	case m == "":
		return Unknown
	case strings.HasPrefix(m, "image/"):
		return Image
	case strings.HasPrefix(m, "audio/"):
		return Audio
	case strings.HasPrefix(m, "video/"):
		return Video
	case strings.HasPrefix(m, "application/"), strings.HasPrefix(m, "text/"):
		return Document
	}
	return Unknown
}

// MaxBytesFor is the cap for kind: its own cap, lowered to mediaMaxMB when that is
// positive.
func MaxBytesFor(kind Kind, mediaMaxMB int) int64 {
	var c int64
	switch kind {
	case Image:
		c = MaxImageBytes
	case Audio:
		c = MaxAudioBytes
	case Video:
		c = MaxVideoBytes
	default:
		c = MaxDocumentBytes
	}
	if mediaMaxMB > 0 {
		c = min(c, int64(mediaMaxMB)*MB)
	}
	return c
}

// ErrTooLarge is returned (wrapped) when media exceeds its cap; nothing is stored.
var ErrTooLarge = errors.New("media: too large")

func baseMIME(m string) string {
	m = strings.ToLower(strings.TrimSpace(m))
	if b, _, err := mime.ParseMediaType(m); err == nil {
		return b
	}
	b, _, _ := strings.Cut(m, ";")
	return strings.TrimSpace(b)
}

// extra extension ↔ type pairs the platform tables may lack (voice notes!).
var extTypes = map[string]string{
	".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".mp3": "audio/mpeg",
	".m4a": "audio/mp4", ".wav": "audio/wav", ".webm": "video/webm", ".mp4": "video/mp4",
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
	".webp": "image/webp", ".pdf": "application/pdf", ".txt": "text/plain", ".json": "application/json",
	".csv": "text/csv", ".md": "text/markdown",
}

var typeExts = map[string]string{
	"audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/wav": ".wav", "audio/x-wav": ".wav",
	"video/webm": ".webm", "video/mp4": ".mp4", "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
	"image/webp": ".webp", "application/pdf": ".pdf", "text/plain": ".txt", "application/json": ".json",
	"application/zip": ".zip",
}

// DetectType decides a MIME type from the content's first bytes, the type the network
// declared and the file name. Sniffing wins when it recognises the content; a generic
// sniff (octet-stream, plain text) defers to the declared type, then the extension.
// Declared types are never trusted over a specific sniff: a "photo" that is really a
// zip is a zip.
func DetectType(head []byte, declared, fileName string) string {
	sniffed := baseMIME(http.DetectContentType(head))
	if sniffed == "application/ogg" {
		// Ogg is a container: a declared video/ogg stays video; anything else (voice
		// notes) is audio.
		if baseMIME(declared) == "video/ogg" {
			return "video/ogg"
		}
		return "audio/ogg"
	}
	generic := sniffed == "application/octet-stream" || sniffed == "text/plain"
	if !generic {
		return sniffed
	}
	if d := baseMIME(declared); d != "" && d != "application/octet-stream" {
		// Plain text sniff of e.g. JSON or CSV: keep the declared textual type.
		if sniffed == "application/octet-stream" || !strings.HasPrefix(d, "image/") && !strings.HasPrefix(d, "audio/") && !strings.HasPrefix(d, "video/") {
			return d
		}
	}
	ext := strings.ToLower(filepath.Ext(fileName))
	if t, ok := extTypes[ext]; ok && (sniffed == "application/octet-stream" || KindOf(t) == Document) {
		return t
	}
	if t := baseMIME(mime.TypeByExtension(ext)); t != "" && (sniffed == "application/octet-stream" || KindOf(t) == Document) {
		return t
	}
	return sniffed
}

// ExtensionFor is the file extension for a MIME type ("" when unknown).
func ExtensionFor(mimeType string) string {
	m := baseMIME(mimeType)
	if e, ok := typeExts[m]; ok {
		return e
	}
	if exts, _ := mime.ExtensionsByType(m); len(exts) > 0 {
		return exts[0]
	}
	return ""
}

// Options configures a Store.
type Options struct {
	// Dir is the media root, normally <state>/media (files go to Dir/inbound).
	Dir string
	// MaxAge and MaxTotalBytes bound retention (defaults above; negative disables).
	MaxAge        time.Duration
	MaxTotalBytes int64
	// Now is the clock (time.Now); file ages are judged by modification time
	// against it.
	Now func() time.Time
	// PreserveFilenames (media.preserveFilenames) keeps a file's original name in
	// its stored name: <sanitised name>---<uuid><ext> (SanitizeFilename), the
	// original's form, so the agent and its tools see what the sender called it.
	// Off, or without a name, the stored name is random.
	PreserveFilenames bool
}

// MaxPreservedNameRunes bounds the original name kept in a stored file's name (the
// original's limit).
const MaxPreservedNameRunes = 60

// SanitizeFilename makes a file name safe on every platform, as the original: the
// characters < > : " / \ | ? * and control characters become "_", runs of white
// space "_", repeated "_" one, leading and trailing "_" go, and at most
// MaxPreservedNameRunes characters remain.
func SanitizeFilename(name string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(name) {
		switch {
		case unicode.IsSpace(r):
			if !space {
				b.WriteRune('_')
			}
			space = true
			continue
		case r < 0x20 || strings.ContainsRune(`<>:"/\|?*`, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
		space = false
	}
	out := b.String()
	for strings.Contains(out, "__") {
		out = strings.ReplaceAll(out, "__", "_")
	}
	out = strings.Trim(out, "_")
	if rs := []rune(out); len(rs) > MaxPreservedNameRunes {
		out = string(rs[:MaxPreservedNameRunes])
	}
	return out
}

// storedName is the file name of a new stored file with extension ext.
func (s *Store) storedName(original, ext string) string {
	var id [16]byte
	_, _ = rand.Read(id[:])
	if s.o.PreserveFilenames && strings.TrimSpace(original) != "" {
		base := filepath.Base(strings.ReplaceAll(original, "\\", "/"))
		base = strings.TrimSuffix(base, filepath.Ext(base))
		if n := SanitizeFilename(base); n != "" {
			id[6] = id[6]&0x0f | 0x40 // a version 4 UUID, as the original
			id[8] = id[8]&0x3f | 0x80
			h := hex.EncodeToString(id[:])
			return n + "---" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:] + ext
		}
	}
	return hex.EncodeToString(id[:]) + ext
}

// Store saves inbound media. Safe for concurrent use.
type Store struct {
	o   Options
	dir string
	mu  sync.Mutex // serialises pruning
}

// New returns a store rooted at o.Dir.
func New(o Options) (*Store, error) {
	if strings.TrimSpace(o.Dir) == "" {
		return nil, errors.New("media: directory not set")
	}
	if o.MaxAge == 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxTotalBytes == 0 {
		o.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{o: o, dir: filepath.Join(o.Dir, "inbound")}, nil
}

// Hint is what the network said about the media.
type Hint struct {
	ContentType string // declared MIME type, may be empty or wrong
	FileName    string // original file name, may be empty
	// MediaMaxMB is the channel's mediaMaxMb (0: only the per-kind caps).
	MediaMaxMB int
}

// Saved is a stored file.
type Saved struct {
	Path        string
	ContentType string
	Kind        Kind
	Size        int64
	FileName    string // the original name, when known
}

// Save streams r into a new file (0600) under the inbound directory. The type is
// sniffed from the first bytes; the cap for its kind is enforced while copying, so an
// oversized upload is cut off without being read whole, and nothing is kept.
func (s *Store) Save(r io.Reader, h Hint) (Saved, error) {
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Saved{}, fmt.Errorf("media: read: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return Saved{}, errors.New("media: empty file")
	}
	ct := DetectType(head, h.ContentType, h.FileName)
	kind := KindOf(ct)
	limit := MaxBytesFor(kind, h.MediaMaxMB)
	if int64(n) > limit {
		return Saved{}, fmt.Errorf("%w: %s over %d bytes", ErrTooLarge, kind, limit)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return Saved{}, fmt.Errorf("media: %w", err)
	}
	path := filepath.Join(s.dir, s.storedName(h.FileName, ExtensionFor(ct)))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Saved{}, fmt.Errorf("media: %w", err)
	}
	written, err := io.Copy(f, io.MultiReader(bytes.NewReader(head), io.LimitReader(r, limit-int64(n)+1)))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && written > limit {
		err = fmt.Errorf("%w: %s over %d bytes", ErrTooLarge, kind, limit)
	}
	if err != nil {
		_ = os.Remove(path)
		if errors.Is(err, ErrTooLarge) {
			return Saved{}, err
		}
		return Saved{}, fmt.Errorf("media: write: %w", err)
	}
	if _, err := s.Prune(); err != nil {
		return Saved{}, err
	}
	return Saved{Path: path, ContentType: ct, Kind: kind, Size: written, FileName: filepath.Base(h.FileName)}, nil
}

// Prune applies the retention bounds: files older than MaxAge go, then the oldest
// files until the directory holds at most MaxTotalBytes. It returns how many files
// were removed.
func (s *Store) Prune() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("media: %w", err)
	}
	type file struct {
		path string
		mod  time.Time
		size int64
	}
	var files []file
	var total int64
	removed := 0
	now := s.o.Now()
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		p := filepath.Join(s.dir, e.Name())
		if s.o.MaxAge > 0 && now.Sub(info.ModTime()) > s.o.MaxAge {
			if os.Remove(p) == nil {
				removed++
			}
			continue
		}
		files = append(files, file{p, info.ModTime(), info.Size()})
		total += info.Size()
	}
	if s.o.MaxTotalBytes > 0 && total > s.o.MaxTotalBytes {
		sort.Slice(files, func(i, j int) bool { return files[i].mod.Before(files[j].mod) })
		for _, f := range files {
			if total <= s.o.MaxTotalBytes {
				break
			}
			if os.Remove(f.path) == nil {
				removed++
				total -= f.size
			}
		}
	}
	return removed, nil
}

// modelImageTypes are the image types models accept as image parts.
var modelImageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// ModelImageType reports whether models take images of this MIME type as image parts.
func ModelImageType(mimeType string) bool { return modelImageTypes[baseMIME(mimeType)] }

// ImagePart reads a saved image into a model image part (base64). Other types, or
// an image over MaxImageBytes, are an error: pass them as attachments instead.
func ImagePart(s Saved) (llm.Part, error) {
	ct := baseMIME(s.ContentType)
	if !modelImageTypes[ct] {
		return llm.Part{}, fmt.Errorf("media: %s is not an image type models accept", s.ContentType)
	}
	f, err := os.Open(s.Path)
	if err != nil {
		return llm.Part{}, fmt.Errorf("media: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxImageBytes+1))
	if err != nil {
		return llm.Part{}, fmt.Errorf("media: %w", err)
	}
	if len(b) > MaxImageBytes {
		return llm.Part{}, fmt.Errorf("%w: image over %d bytes", ErrTooLarge, MaxImageBytes)
	}
	return llm.ImagePart(ct, base64.StdEncoding.EncodeToString(b)), nil
}

// Placeholder is the body text for media without a caption (the original's
// "<media:image>" tokens).
func Placeholder(k Kind) string {
	switch k {
	case Image, Audio, Video, Document:
		return "<media:" + string(k) + ">"
	}
	return "<media:document>"
}
