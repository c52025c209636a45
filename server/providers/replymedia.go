package providers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Limits of the media an agent reply may carry (MEDIA: lines).
const (
	// MaxLocalMediaBytes caps one local file a reply names: the gateway reads it into
	// memory to upload it, so a reply cannot make it read a disk image.
	MaxLocalMediaBytes = 50 << 20
	// MaxReplyMedia caps the files of one reply; the rest are dropped with a warning,
	// so a runaway agent cannot flood a chat.
	MaxReplyMedia = 10
	// maxMediaRefLen is the longest ref taken for media (longer ones stay text).
	maxMediaRefLen = 4096
)

// Errors of ReplyMediaRoots.Local (wrapped).
var (
	// ErrMediaOutsideRoots: the file is not inside a safe root (after symlinks).
	ErrMediaOutsideRoots = errors.New("media file is outside the allowed folders")
	// ErrMediaTooLarge: the file is over MaxLocalMediaBytes.
	ErrMediaTooLarge = errors.New("media file is too large")
)

// SplitReplyMedia separates an agent reply into the text to show and the media it
// names. A media ref is a line starting (after indentation) with "MEDIA:" and then an
// http(s) URL or a local path (absolute, ./, ../, ~ or file://), optionally wrapped in
// quotes or backticks; a quoted path, or an unquoted local path alone on the line, may
// contain spaces. Several whitespace-separated refs may share one line. MEDIA lines
// inside fenced code blocks, and "MEDIA:" in the middle of prose, are text. A MEDIA
// line without any valid ref stays as it was; words on a MEDIA line that are not refs
// stay as text. The returned text is trimmed and keeps the reply's own layout.
func SplitReplyMedia(raw string) (text string, refs []string) {
	raw = strings.TrimRight(raw, " \t\r\n")
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	lines := strings.Split(raw, "\n")
	kept := make([]string, 0, len(lines))
	var fence string // the open fence's marker ("```", "~~~~"), "" outside fences
	removed := false
	for _, line := range lines {
		trimmed := strings.TrimLeft(line, " \t")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(strings.TrimRight(trimmed, " \t\r"), fence[:1]) == "" {
				fence = ""
			}
			kept = append(kept, line)
			continue
		}
		if m := fenceOpen(trimmed); m != "" {
			fence = m
			kept = append(kept, line)
			continue
		}
		if !strings.HasPrefix(trimmed, "MEDIA:") {
			kept = append(kept, line)
			continue
		}
		found, rest := lineRefs(strings.TrimRight(trimmed[len("MEDIA:"):], "\r"))
		if len(found) == 0 {
			kept = append(kept, line)
			continue
		}
		refs = append(refs, found...)
		removed = true
		if rest != "" {
			kept = append(kept, rest)
		}
	}
	if !removed {
		return raw, nil
	}
	text = strings.TrimSpace(strings.Join(kept, "\n"))
	// A removed line between paragraphs leaves no more than one blank line.
	for strings.Contains(text, "\n\n\n") {
		text = strings.ReplaceAll(text, "\n\n\n", "\n\n")
	}
	return text, refs
}

// ReplyPreview is the text of a reply still being written, as a streamed preview
// shows it: SplitReplyMedia's text, without a last line that is or may become a
// MEDIA: line (its ref may be half written, or "MEDIA:" itself).
func ReplyPreview(partial string) string {
	i := strings.LastIndexByte(partial, '\n')
	last := strings.TrimLeft(partial[i+1:], " \t")
	if last != "" && (strings.HasPrefix(last, "MEDIA:") || strings.HasPrefix("MEDIA:", last)) {
		partial = partial[:i+1]
	}
	text, _ := SplitReplyMedia(partial)
	return text
}

// fenceOpen returns the marker of a fence opening line (three or more backticks or
// tildes), "" otherwise.
func fenceOpen(trimmed string) string {
	for _, c := range []string{"`", "~"} {
		n := len(trimmed) - len(strings.TrimLeft(trimmed, c))
		if n >= 3 {
			return strings.Repeat(c, n)
		}
	}
	return ""
}

var spaces = regexp.MustCompile(`\s+`)

// lineRefs parses what follows "MEDIA:": the refs and the words to keep as text.
func lineRefs(payload string) (refs []string, rest string) {
	payload = strings.TrimSpace(payload)
	if strings.HasPrefix(payload, "`") && !strings.HasSuffix(payload, "`") {
		payload = payload[1:]
	}
	if q, ok := unquote(payload); ok {
		if c := mediaCandidate(q); validMediaRef(c, true) {
			return []string{c}, ""
		}
		return nil, ""
	}
	var invalid []string
	for _, part := range spaces.Split(payload, -1) {
		if part == "" {
			continue
		}
		if c := mediaCandidate(part); validMediaRef(c, false) {
			refs = append(refs, c)
		} else {
			invalid = append(invalid, part)
		}
	}
	if len(invalid) > 0 && len(refs) <= 1 && looksLocal(payload) {
		// An unquoted path with spaces ("MEDIA: /tmp/My File.png") is one ref.
		if c := mediaCandidate(payload); validMediaRef(c, true) {
			return []string{c}, ""
		}
	}
	if len(refs) == 0 {
		return nil, ""
	}
	return refs, strings.Join(invalid, " ")
}

func looksLocal(s string) bool {
	for _, p := range []string{"/", "./", "../", "~", "file://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// unquote strips one pair of matching quotes or backticks around s.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != s[len(s)-1] || !strings.ContainsRune("\"'`", rune(s[0])) {
		return "", false
	}
	return strings.TrimSpace(s[1 : len(s)-1]), true
}

// mediaCandidate strips wrapping punctuation and a file:// scheme.
func mediaCandidate(s string) string {
	s = strings.TrimLeft(s, "`\"'[{(")
	s = strings.TrimRight(s, "`\"'\\})],")
	return strings.TrimPrefix(s, "file://")
}

func validMediaRef(c string, allowSpaces bool) bool {
	if c == "" || len(c) > maxMediaRefLen {
		return false
	}
	if !allowSpaces && strings.ContainsAny(c, " \t\r\n\v\f") {
		return false
	}
	l := strings.ToLower(c)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") ||
		strings.HasPrefix(c, "/") || strings.HasPrefix(c, "./") || strings.HasPrefix(c, "../") || strings.HasPrefix(c, "~")
}

// IsMediaURL reports whether a ref from SplitReplyMedia is a URL (else a local path).
func IsMediaURL(ref string) bool {
	l := strings.ToLower(ref)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// ReplyMediaRoots are the folders a reply's local media may come from: the agents'
// workspaces, <state>/media and the OS temp folder. Anything else (the config file,
// credentials, ~/.ssh) is refused, so a prompt-injected agent cannot mail files off
// the machine by naming them.
type ReplyMediaRoots struct {
	// Workspace is the run's agent's workspace: relative refs (./x, ../x) resolve
	// against it ("" refuses them).
	Workspace string
	// Home expands "~" ("" refuses ~ refs).
	Home string
	// Roots are the allowed folders; a file must be inside one after symlinks are
	// resolved on both sides.
	Roots []string
}

// Local resolves a local media ref to a real file path inside the roots, no larger
// than MaxLocalMediaBytes. Errors wrap ErrMediaOutsideRoots, ErrMediaTooLarge or the
// file system's error.
func (m ReplyMediaRoots) Local(ref string) (string, error) {
	p := ref
	switch {
	case p == "~" || strings.HasPrefix(p, "~/"):
		if m.Home == "" {
			return "", fmt.Errorf("%w: %s (no home folder)", ErrMediaOutsideRoots, ref)
		}
		p = filepath.Join(m.Home, strings.TrimPrefix(p, "~"))
	case strings.HasPrefix(p, "~"):
		return "", fmt.Errorf("%w: %s (other users' folders are not served)", ErrMediaOutsideRoots, ref)
	case !filepath.IsAbs(p):
		if m.Workspace == "" {
			return "", fmt.Errorf("%w: %s (relative path without a workspace)", ErrMediaOutsideRoots, ref)
		}
		p = filepath.Join(m.Workspace, p)
	}
	real, err := filepath.EvalSymlinks(filepath.Clean(p))
	if err != nil {
		return "", fmt.Errorf("media file %s: %w", ref, err)
	}
	if !m.inside(real) {
		return "", fmt.Errorf("%w: %s", ErrMediaOutsideRoots, ref)
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("media file %s: %w", ref, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("media file %s: not a regular file", ref)
	}
	if st.Size() > MaxLocalMediaBytes {
		return "", fmt.Errorf("%w: %s is %d bytes, limit %d", ErrMediaTooLarge, ref, st.Size(), MaxLocalMediaBytes)
	}
	return real, nil
}

func (m ReplyMediaRoots) inside(real string) bool {
	for _, root := range m.Roots {
		if strings.TrimSpace(root) == "" {
			continue
		}
		r, err := filepath.EvalSymlinks(filepath.Clean(root))
		if err != nil {
			continue // a root that does not exist holds nothing
		}
		rel, err := filepath.Rel(r, real)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return true
		}
	}
	return false
}

// ReplyMediaItems turns a reply's media refs (SplitReplyMedia) into outbound media:
// URLs as they are (the provider downloads them with its size cap), local paths only
// inside roots (ReplyMediaRoots.Local), at most MaxReplyMedia of them. Refused refs
// are left out with a warning on log.
func ReplyMediaItems(refs []string, roots ReplyMediaRoots, log *slog.Logger) []Outbound {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(refs) > MaxReplyMedia {
		log.Warn("reply names too many media files; the rest are not sent", "media", len(refs), "limit", MaxReplyMedia)
		refs = refs[:MaxReplyMedia]
	}
	out := make([]Outbound, 0, len(refs))
	for _, ref := range refs {
		if IsMediaURL(ref) {
			out = append(out, Outbound{MediaURL: ref})
			continue
		}
		p, err := roots.Local(ref)
		if err != nil {
			log.Warn("reply media refused", "media", ref, "err", err)
			continue
		}
		out = append(out, Outbound{MediaPath: p})
	}
	return out
}

// SendWithMedia sends a reply's text and files through s to base's recipient: the
// first file carries the text (the provider puts it in the caption or right after).
// A file that fails is logged and skipped, and the text rides on the next one or goes
// alone at the end, so one bad file loses only itself. It returns the first message
// sent (nil when there was nothing to send) and an error only when nothing went out.
func SendWithMedia(ctx context.Context, s Sender, channel string, base Outbound, text string, items []Outbound, log *slog.Logger) (*Sent, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var first *Sent
	var firstErr error
	for _, it := range items {
		o := base
		o.Text, o.MediaURL, o.MediaPath, o.AudioAsVoice = text, it.MediaURL, it.MediaPath, it.AudioAsVoice
		sent, err := s.Send(ctx, channel, o)
		if err != nil {
			log.Warn("reply media not delivered", "channel", channel, "to", o.To, "media", o.MediaURL+o.MediaPath, "err", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		text = ""
		if first == nil {
			first = &sent
		}
	}
	if strings.TrimSpace(text) != "" {
		o := base
		o.Text, o.MediaURL, o.MediaPath = text, "", ""
		sent, err := s.Send(ctx, channel, o)
		if err != nil {
			return first, err
		}
		if first == nil {
			first = &sent
		}
	}
	if first == nil && firstErr != nil {
		return nil, firstErr
	}
	return first, nil
}
