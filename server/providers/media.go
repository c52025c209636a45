package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/understand"
)

// Image is an inbound picture handed to the agent as an image part.
type Image struct {
	MimeType string
	Data     string // base64
}

// InboundMedia is a received message's media before it is downloaded: the provider
// describes it, and the MediaStage fetches it only once the message has been admitted
// (nothing is downloaded for a sender the access rules refuse).
type InboundMedia struct {
	// Kind is what the network calls it: photo, voice, audio, video, document,
	// sticker, animation; it picks the placeholder when the content cannot be sniffed.
	Kind        string
	ContentType string // declared, may be empty or wrong
	FileName    string
	// Size is the declared size (0 when unknown): above the cap, the file is refused
	// without being downloaded.
	Size int64
	// Open downloads the file. The stage closes the reader.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Limits of what inbound media puts into the agent's prompt.
const (
	// MaxInlineDocumentBytes: a text document (text/*, JSON) up to this size is put
	// into the prompt whole; larger ones, and other documents, become a note naming the
	// stored file.
	MaxInlineDocumentBytes = 64 << 10
	// NoTranscription is the body of a voice note when no transcription model is
	// configured (tools.media.audio).
	NoTranscription = "[voice note: transcription not configured]"
	// TranscriptionFailed is the body when every transcription model failed.
	TranscriptionFailed = "[voice note: transcription failed]"
)

// Understander is media and link understanding (package understand) as the stage
// uses it: the daemon's implementation adds what only the agent knows (the session
// key, whether the answering model sees images).
type Understander interface {
	// Media describes or transcribes a message's stored files (tools.media).
	Media(ctx context.Context, m Message, files []understand.Attachment) understand.Result
	// Links summarises the links in text (tools.links); nil when there are none.
	Links(ctx context.Context, m Message, text string) []string
}

// MediaStage downloads, stores and converts the media of admitted messages before they
// go on to Next: the Understander describes and transcribes what it can (the body
// gets "[Image]" / "[Audio]" / "[Video]" sections); pictures not described become
// Images for the model, voice notes not transcribed a note, documents a note or
// their text. Every message's links are then summarised (tools.links). A file over
// its cap (the channel's mediaMaxMb, lowered by the per-kind caps of package media) is
// refused with a reply to the chat and a log line, and nothing of the message reaches
// Next.
type MediaStage struct {
	Channel string
	// Store keeps the files under <state>/media/inbound; nil: media is not downloaded
	// and the message goes on with its placeholder text only.
	Store *media.Store
	// Understand is media and link understanding; nil: off (voice notes get
	// NoTranscription).
	Understand Understander
	// MaxMB is the channel's mediaMaxMb (0: only the per-kind caps).
	MaxMB int
	// Reply tells the chat its file was refused (nil: log only).
	Reply func(ctx context.Context, chatID, text string) error
	Next  Inbound
	Log   *slog.Logger
}

// Inbound implements Inbound.
func (s *MediaStage) Inbound(ctx context.Context, m Message) {
	for _, in := range m.Media {
		if in.Kind == "voice" || in.Kind == "audio" || strings.HasPrefix(strings.ToLower(in.ContentType), "audio/") {
			m.Audio = true
		}
	}
	if len(m.Media) == 0 || s.Store == nil {
		m.Media = nil
		_, cur := grouphistory.Split(m.Text)
		s.links(ctx, &m, understand.UserText(cur))
		if s.Next != nil {
			s.Next.Inbound(ctx, m)
		}
		return
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(m.Media) > 1 {
		s.album(ctx, m, log)
		return
	}
	in := m.Media[0]
	m.Media = nil
	placeholder := MediaPlaceholder(in.Kind)
	saved, err := s.fetch(ctx, in)
	if errors.Is(err, media.ErrTooLarge) {
		log.Warn("inbound media refused: too large", "channel", s.Channel, "from", m.From, "chat", m.ChatID, "kind", in.Kind, "size", in.Size, "err", err)
		if s.Reply != nil {
			if rerr := s.Reply(ctx, m.ChatID, TooLargeReply(in.Kind, s.limit(in))); rerr != nil {
				log.Warn("inbound media: refusal reply failed", "channel", s.Channel, "chat", m.ChatID, "err", rerr)
			}
		}
		return
	}
	if err != nil {
		// A failed download loses the file, not the message: the caption (or the
		// placeholder) still reaches the agent, with a note.
		log.Warn("inbound media download failed", "channel", s.Channel, "from", m.From, "kind", in.Kind, "err", err)
		m.Text = replaceBody(m.Text, placeholder, placeholder+" [download failed]")
		if s.Next != nil {
			s.Next.Inbound(ctx, m)
		}
		return
	}
	_, cur := grouphistory.Split(m.Text)
	caption := understand.UserText(cur)
	res := s.understand(ctx, m, []media.Saved{saved})
	if out, ok := res.Output(0); ok {
		history, cur := grouphistory.Split(m.Text)
		m.Text = history + understand.FormatBody(cur, []understand.Output{out})
		if out.Kind == understand.ImageDescription {
			log.Info("inbound image described for a model without vision", "channel", s.Channel, "via", out.Provider+"/"+out.Model)
		}
	} else {
		body := s.convert(&m, saved, placeholder, res, 0, log)
		m.Text = replaceBody(m.Text, placeholder, body)
	}
	log.Info("inbound media", "channel", s.Channel, "from", m.From, "type", saved.ContentType, "bytes", saved.Size, "images", len(m.Images))
	m.CommandText = commandText(caption, res)
	s.links(ctx, &m, linkSource(caption, res))
	if s.Next != nil {
		s.Next.Inbound(ctx, m)
	}
}

// understand runs media understanding over the stored files (index i is files[i]).
func (s *MediaStage) understand(ctx context.Context, m Message, files []media.Saved) understand.Result {
	if s.Understand == nil {
		return understand.Result{}
	}
	atts := make([]understand.Attachment, len(files))
	for i, f := range files {
		atts[i] = understand.Attachment{Index: i, Path: f.Path, MIME: f.ContentType}
	}
	return s.Understand.Media(ctx, m, atts)
}

// transcriptOf is the transcript of a result's audio outputs ("" without any).
func transcriptOf(res understand.Result) string {
	for _, o := range res.Outputs {
		if o.Kind == understand.AudioTranscription {
			return understand.Transcript(res.Outputs)
		}
	}
	return ""
}

// links appends the summaries of the links in src (what the sender wrote, else a
// voice note's transcript, as the original) to the current message's body.
//
// A chat command ("/status https://…") is left alone: the original summarises its
// links for the agent's body only, and here the command parser reads the body.
func (s *MediaStage) links(ctx context.Context, m *Message, src string) {
	if s.Understand == nil || strings.TrimSpace(src) == "" || strings.HasPrefix(strings.TrimSpace(src), "/") {
		return
	}
	outs := s.Understand.Links(ctx, *m, src)
	if len(outs) == 0 {
		return
	}
	history, cur := grouphistory.Split(m.Text)
	m.Text = history + understand.FormatLinks(cur, outs)
}

// commandText is the text chat commands read for a message with media: the
// transcript of its voice note when the sender wrote nothing with it ("" otherwise:
// the commands read the message's text, its caption). As the original, a caption
// wins over the transcript.
func commandText(caption string, res understand.Result) string {
	if strings.TrimSpace(caption) != "" {
		return ""
	}
	return strings.TrimSpace(transcriptOf(res))
}

// linkSource is the text whose links are summarised: the sender's words, else the
// transcript of their voice note.
func linkSource(caption string, res understand.Result) string {
	if strings.TrimSpace(caption) != "" {
		return caption
	}
	return transcriptOf(res)
}

// album handles a message with several files (a Telegram media group): each file is
// capped, sniffed and converted as a single one is, and the message goes on once with
// every image and a note per file the agent should know about. A file over its cap is
// left out; the chat is told once for the whole album, and only when every file was
// refused does nothing reach Next (as for a single refused file). A failed download
// loses that file, not the message.
func (s *MediaStage) album(ctx context.Context, m Message, log *slog.Logger) {
	parts := m.Media
	m.Media = nil
	var (
		notes   []string
		refused []*InboundMedia
	)
	type part struct {
		saved       media.Saved
		placeholder string
		note        int // index in notes
	}
	var stored []part
	for _, in := range parts {
		placeholder := MediaPlaceholder(in.Kind)
		saved, err := s.fetch(ctx, in)
		if errors.Is(err, media.ErrTooLarge) {
			log.Warn("inbound media refused: too large", "channel", s.Channel, "from", m.From, "chat", m.ChatID, "kind", in.Kind, "size", in.Size, "err", err)
			refused = append(refused, in)
			notes = append(notes, placeholder+" [too large: not read]")
			continue
		}
		if err != nil {
			log.Warn("inbound media download failed", "channel", s.Channel, "from", m.From, "kind", in.Kind, "err", err)
			notes = append(notes, placeholder+" [download failed]")
			continue
		}
		stored = append(stored, part{saved: saved, placeholder: placeholder, note: len(notes)})
		notes = append(notes, "")
		log.Info("inbound media", "channel", s.Channel, "from", m.From, "type", saved.ContentType, "bytes", saved.Size, "album", len(parts))
	}
	files := make([]media.Saved, len(stored))
	for i, p := range stored {
		files[i] = p.saved
	}
	_, cur := grouphistory.Split(m.Text)
	caption := understand.UserText(cur)
	res := s.understand(ctx, m, files)
	var outs []understand.Output
	for i, p := range stored {
		if out, ok := res.Output(i); ok {
			outs = append(outs, out)
			continue
		}
		if body := s.convert(&m, p.saved, p.placeholder, res, i, log); body != p.placeholder {
			notes[p.note] = body
		}
	}
	if len(outs) > 0 {
		history, cur := grouphistory.Split(m.Text)
		m.Text = history + understand.FormatBody(cur, outs)
	}
	if len(refused) > 0 && s.Reply != nil {
		text := TooLargeReply(refused[0].Kind, s.limit(refused[0]))
		if len(refused) < len(parts) {
			text = AlbumTooLargeReply(len(refused), len(parts), s.limit(refused[0]))
		}
		if err := s.Reply(ctx, m.ChatID, text); err != nil {
			log.Warn("inbound media: refusal reply failed", "channel", s.Channel, "chat", m.ChatID, "err", err)
		}
	}
	if len(refused) == len(parts) {
		return
	}
	for _, n := range notes {
		if n != "" {
			m.Text = strings.TrimSpace(m.Text) + "\n" + n
		}
	}
	m.CommandText = commandText(caption, res)
	s.links(ctx, &m, linkSource(caption, res))
	if s.Next != nil {
		s.Next.Inbound(ctx, m)
	}
}

// limit is the cap for the declared kind (before sniffing).
func (s *MediaStage) limit(in *InboundMedia) int64 {
	return media.MaxBytesFor(declaredKind(in), s.MaxMB)
}

func declaredKind(in *InboundMedia) media.Kind {
	switch in.Kind {
	case "photo", "sticker", "image":
		return media.Image
	case "voice", "audio":
		return media.Audio
	case "video", "animation", "video_note":
		return media.Video
	}
	if k := media.KindOf(in.ContentType); k != media.Unknown {
		return k
	}
	return media.Document
}

func (s *MediaStage) fetch(ctx context.Context, in *InboundMedia) (media.Saved, error) {
	if lim := s.limit(in); in.Size > lim {
		return media.Saved{}, fmt.Errorf("%w: %d bytes declared, limit %d", media.ErrTooLarge, in.Size, lim)
	}
	if in.Open == nil {
		return media.Saved{}, errors.New("media: no download")
	}
	rc, err := in.Open(ctx)
	if err != nil {
		return media.Saved{}, err
	}
	defer rc.Close()
	return s.Store.Save(rc, media.Hint{ContentType: in.ContentType, FileName: in.FileName, MediaMaxMB: s.MaxMB})
}

// convert turns a stored file that understanding left alone (index i of res) into
// the message's images and body text.
func (s *MediaStage) convert(m *Message, saved media.Saved, placeholder string, res understand.Result, i int, log *slog.Logger) string {
	switch saved.Kind {
	case media.Image:
		part, err := media.ImagePart(saved)
		if err != nil {
			log.Info("inbound image not passed to the model", "type", saved.ContentType, "err", err)
			return placeholder + " " + fileNote(saved)
		}
		m.Images = append(m.Images, Image{MimeType: part.MimeType, Data: part.Data})
		return placeholder
	case media.Audio:
		d, _ := res.Decision(understand.Audio)
		switch {
		case d.Outcome == understand.ScopeDeny:
			// As the original: the scope keeps the placeholder.
			return placeholder
		case attempted(d, i):
			log.Warn("inbound audio: transcription failed", "channel", s.Channel, "reason", lastReason(d, i))
			return TranscriptionFailed
		}
		return NoTranscription
	case media.Document:
		if t, ok := inlineText(saved); ok {
			return fmt.Sprintf("[document %s (%s, %d bytes)]\n%s", displayName(saved), saved.ContentType, saved.Size, t)
		}
	}
	return placeholder + " " + fileNote(saved)
}

// attempted: some model was tried on attachment i (and none answered).
func attempted(d understand.Decision, i int) bool {
	for _, a := range d.Attachments {
		if a.Index == i && len(a.Attempts) > 0 {
			return true
		}
	}
	return false
}

func lastReason(d understand.Decision, i int) string {
	for _, a := range d.Attachments {
		if a.Index == i && len(a.Attempts) > 0 {
			return a.Attempts[len(a.Attempts)-1].Reason
		}
	}
	return ""
}

func displayName(saved media.Saved) string {
	if saved.FileName != "" && saved.FileName != "." {
		return saved.FileName
	}
	return "file"
}

// fileNote names a stored file for the agent (its tools can read it).
func fileNote(saved media.Saved) string {
	return fmt.Sprintf("[%s %s, %d bytes, saved at %s]", displayName(saved), saved.ContentType, saved.Size, saved.Path)
}

// inlineText reads a small textual document.
func inlineText(saved media.Saved) (string, bool) {
	ct := strings.ToLower(saved.ContentType)
	if !strings.HasPrefix(ct, "text/") && ct != "application/json" || saved.Size > MaxInlineDocumentBytes {
		return "", false
	}
	b, err := os.ReadFile(saved.Path)
	if err != nil || !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

// MediaPlaceholder is the body of a media message without a caption (the original's
// "<media:image>" tokens), by the network's kind.
func MediaPlaceholder(kind string) string {
	switch kind {
	case "photo", "sticker", "image":
		return media.Placeholder(media.Image)
	case "voice", "audio":
		return media.Placeholder(media.Audio)
	case "video", "animation", "video_note":
		return media.Placeholder(media.Video)
	}
	return media.Placeholder(media.Document)
}

// TooLargeReply is what a chat is told when its file is over the cap.
func TooLargeReply(kind string, limit int64) string {
	return fmt.Sprintf("⚠️ That %s is too large for me (limit %.0f MB); it was not read.", kindWord(kind), float64(limit)/float64(media.MB))
}

// AlbumTooLargeReply is what a chat is told when some files of an album are over the
// cap (limit: the first refused file's) and the rest was read.
func AlbumTooLargeReply(refused, total int, limit int64) string {
	return fmt.Sprintf("⚠️ %d of the %d files in that album are too large for me (limit %.0f MB); they were not read.", refused, total, float64(limit)/float64(media.MB))
}

func kindWord(kind string) string {
	switch kind {
	case "photo", "image", "sticker":
		return "image"
	case "voice":
		return "voice note"
	case "video_note":
		return "video message"
	case "":
		return "file"
	}
	return kind
}

// replaceBody puts body where the placeholder stands in text (a caption-less media
// message, possibly after group history context); with a caption, body goes before it
// unless body is the placeholder itself.
func replaceBody(text, placeholder, body string) string {
	if body == placeholder {
		return text
	}
	if i := strings.LastIndex(text, placeholder); i >= 0 {
		return text[:i] + body + text[i+len(placeholder):]
	}
	// A captioned file: the caption first, then what the file held.
	return strings.TrimSpace(text) + "\n" + body
}
