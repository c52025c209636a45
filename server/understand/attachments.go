package understand

import (
	"path/filepath"
	"strings"
)

// Attachment is a stored inbound file.
type Attachment struct {
	Index int    // position in the message, stable across selection
	Path  string // local file
	URL   string // where it came from, if known
	MIME  string
}

var (
	videoExts = map[string]bool{".mp4": true, ".mov": true, ".mkv": true, ".webm": true, ".avi": true, ".m4v": true}
	audioExts = map[string]bool{".aac": true, ".caf": true, ".flac": true, ".m4a": true, ".mp3": true, ".oga": true, ".ogg": true, ".opus": true, ".wav": true}
	imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".webp": true, ".gif": true, ".bmp": true, ".tiff": true, ".tif": true}
)

// KindOf classifies an attachment by its MIME type, else its file extension; "" when
// it is none of the three.
func KindOf(a Attachment) Capability {
	mt := strings.ToLower(strings.TrimSpace(a.MIME))
	switch {
	case strings.HasPrefix(mt, "image/"):
		return Image
	case strings.HasPrefix(mt, "audio/"):
		return Audio
	case strings.HasPrefix(mt, "video/"):
		return Video
	}
	name := a.Path
	if name == "" {
		name = a.URL
	}
	if i := strings.IndexAny(name, "?#"); i >= 0 && a.Path == "" {
		name = name[:i]
	}
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case videoExts[ext]:
		return Video
	case audioExts[ext]:
		return Audio
	case imageExts[ext]:
		return Image
	}
	return ""
}

// Select picks the attachments a capability works on: those of its kind, ordered by
// prefer, then the first one (mode "first", the default) or up to maxAttachments
// (mode "all"; at least one).
func Select(c Capability, all []Attachment, p *AttachmentPolicy) []Attachment {
	var matches []Attachment
	for _, a := range all {
		if KindOf(a) == c {
			matches = append(matches, a)
		}
	}
	if len(matches) == 0 {
		return nil
	}
	var pol AttachmentPolicy
	if p != nil {
		pol = *p
	}
	switch pol.Prefer {
	case "last":
		for i, j := 0, len(matches)-1; i < j; i, j = i+1, j-1 {
			matches[i], matches[j] = matches[j], matches[i]
		}
	case "path", "url":
		var with, without []Attachment
		for _, a := range matches {
			if (pol.Prefer == "path" && a.Path != "") || (pol.Prefer == "url" && a.URL != "") {
				with = append(with, a)
			} else {
				without = append(without, a)
			}
		}
		matches = append(with, without...)
	}
	n := 1
	if pol.Mode == "all" {
		n = pol.MaxAttachments
		if n <= 0 {
			n = DefaultMaxAttachments
		}
	}
	if n > len(matches) {
		n = len(matches)
	}
	return matches[:n]
}
