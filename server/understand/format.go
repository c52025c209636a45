package understand

import (
	"fmt"
	"regexp"
	"strings"
)

// Kind names an output: what was done to which kind of attachment.
type Kind string

// Output kinds, as the original names them.
const (
	AudioTranscription Kind = "audio.transcription"
	ImageDescription   Kind = "image.description"
	VideoDescription   Kind = "video.description"
)

func kindFor(c Capability) Kind {
	switch c {
	case Audio:
		return AudioTranscription
	case Video:
		return VideoDescription
	}
	return ImageDescription
}

// Output is one understood attachment.
type Output struct {
	Kind       Kind
	Attachment int // Attachment.Index
	Text       string
	Provider   string // provider id, or "cli"
	Model      string // model id, or the command
}

var (
	placeholderOnly  = regexp.MustCompile(`(?i)^<media:[^>]+>(\s*\([^)]*\))?$`)
	placeholderToken = regexp.MustCompile(`(?i)^<media:[^>]+>(\s*\([^)]*\))?\s*`)
)

// UserText is what the sender wrote with the media: the body without a leading
// "<media:…>" placeholder ("" when the body is only the placeholder).
func UserText(body string) string {
	t := strings.TrimSpace(body)
	if t == "" || placeholderOnly.MatchString(t) {
		return ""
	}
	return strings.TrimSpace(placeholderToken.ReplaceAllString(t, ""))
}

// FormatBody is the message body once outputs are known, in the original's layout:
// one section per output ("[Image]", "[Audio 1/2]", …) with "Description:" or
// "Transcript:", and the sender's own text — inside the section when there is one
// output, ahead of all sections when there are several. Without outputs (or only
// empty ones) the body is returned unchanged.
func FormatBody(body string, outputs []Output) string {
	var outs []Output
	for _, o := range outputs {
		if strings.TrimSpace(o.Text) != "" {
			outs = append(outs, o)
		}
	}
	if len(outs) == 0 {
		return body
	}
	user := UserText(body)
	var sections []string
	if user != "" && len(outs) > 1 {
		sections = append(sections, "User text:\n"+user)
	}
	counts := map[Kind]int{}
	for _, o := range outs {
		counts[o.Kind]++
	}
	seen := map[Kind]int{}
	for _, o := range outs {
		seen[o.Kind]++
		suffix := ""
		if counts[o.Kind] > 1 {
			suffix = fmt.Sprintf(" %d/%d", seen[o.Kind], counts[o.Kind])
		}
		title, label := "Video", "Description"
		switch o.Kind {
		case AudioTranscription:
			title, label = "Audio", "Transcript"
		case ImageDescription:
			title = "Image"
		}
		lines := []string{"[" + title + suffix + "]"}
		if len(outs) == 1 && user != "" {
			lines = append(lines, "User text:\n"+user)
		}
		lines = append(lines, label+":\n"+o.Text)
		sections = append(sections, strings.Join(lines, "\n"))
	}
	return strings.TrimSpace(strings.Join(sections, "\n\n"))
}

// Transcript joins the audio outputs as the original's {{Transcript}}: the text of
// one, or "Audio N:" blocks for several.
func Transcript(outputs []Output) string {
	var audio []Output
	for _, o := range outputs {
		if o.Kind == AudioTranscription {
			audio = append(audio, o)
		}
	}
	if len(audio) == 1 {
		return audio[0].Text
	}
	parts := make([]string, len(audio))
	for i, o := range audio {
		parts[i] = fmt.Sprintf("Audio %d:\n%s", i+1, o.Text)
	}
	return strings.Join(parts, "\n\n")
}

// FormatLinks appends link summaries to a body: after a blank line, one per line.
func FormatLinks(body string, outputs []string) string {
	var outs []string
	for _, o := range outputs {
		if o = strings.TrimSpace(o); o != "" {
			outs = append(outs, o)
		}
	}
	if len(outs) == 0 {
		return body
	}
	base := strings.TrimSpace(body)
	if base == "" {
		return strings.Join(outs, "\n")
	}
	return base + "\n\n" + strings.Join(outs, "\n")
}

// trimOutput trims text and caps it at maxChars runes (0: no cap).
func trimOutput(text string, maxChars int) string {
	t := strings.TrimSpace(text)
	if maxChars <= 0 {
		return t
	}
	if r := []rune(t); len(r) > maxChars {
		return strings.TrimSpace(string(r[:maxChars]))
	}
	return t
}

var templateVar = regexp.MustCompile(`{{\s*(\w+)\s*}}`)

// ApplyTemplate replaces {{Name}} placeholders with vars[Name] ("" when unknown), as
// the original's templating does for command arguments.
func ApplyTemplate(s string, vars map[string]string) string {
	return templateVar.ReplaceAllStringFunc(s, func(m string) string {
		return vars[templateVar.FindStringSubmatch(m)[1]]
	})
}
