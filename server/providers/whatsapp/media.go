package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"

	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/providers"
)

// DefaultMediaMaxMB is the download limit for media sent by URL when whatsapp.mediaMaxMb
// is not set (WhatsApp itself takes 16 MiB videos and audio).
const DefaultMediaMaxMB = 16

// BlockedAddressError is a media download refused because the URL's host resolved to
// a link-local, multicast or unspecified address (media.BlockedAddressError).
type BlockedAddressError = media.BlockedAddressError

// MediaClient is the HTTP client for media downloads (media.HTTPClient: link-local,
// multicast and unspecified addresses refused, checked on the address dialled).
// Only authenticated operators with write scope, and the agent's own replies, send
// media.
func MediaClient(timeout time.Duration) *http.Client { return media.HTTPClient(timeout) }

// Media is a downloaded attachment ready to upload.
type Media struct {
	Data     []byte
	MIME     string
	Kind     whatsmeow.MediaType // image, video, audio or document
	FileName string
}

// FetchMedia downloads rawURL with a hard size limit: a Content-Length above max is
// refused before reading, and the body is cut at max+1 bytes. The MIME type is sniffed
// from the bytes; the server's Content-Type is used only when sniffing is inconclusive.
func FetchMedia(ctx context.Context, hc *http.Client, rawURL string, max int64) (Media, error) {
	f, err := media.Fetch(ctx, hc, rawURL, max)
	var blocked *BlockedAddressError
	switch {
	case errors.As(err, &blocked):
		return Media{}, providers.Inputf("whatsapp: %v", blocked)
	case errors.Is(err, media.ErrBadURL):
		return Media{}, providers.Inputf("whatsapp: mediaUrl %q is not an http(s) URL", rawURL)
	case errors.Is(err, media.ErrTooLarge):
		return Media{}, providers.Inputf("whatsapp: %v (whatsapp.mediaMaxMb)", err)
	case errors.Is(err, media.ErrFetchStatus), errors.Is(err, media.ErrEmpty):
		return Media{}, providers.Inputf("whatsapp: %v", err)
	case err != nil:
		return Media{}, fmt.Errorf("whatsapp: %w", err)
	}
	mt := sniff(f.Data, f.Declared)
	return Media{Data: f.Data, MIME: mt, Kind: kindOf(mt), FileName: f.FileName}, nil
}

// LocalMedia reads a local file (a reply's media, already confined to the safe folders
// by the caller) with the same size limit and type sniffing as FetchMedia.
func LocalMedia(fp string, max int64) (Media, error) {
	f, err := os.Open(fp)
	if err != nil {
		return Media{}, fmt.Errorf("whatsapp: media file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return Media{}, fmt.Errorf("whatsapp: media file: %w", err)
	}
	if int64(len(data)) > max {
		return Media{}, providers.Inputf("whatsapp: media file %s is over the %d byte limit (whatsapp.mediaMaxMb)", filepath.Base(fp), max)
	}
	if len(data) == 0 {
		return Media{}, providers.Inputf("whatsapp: media file %s is empty", filepath.Base(fp))
	}
	mt := sniff(data, mime.TypeByExtension(filepath.Ext(fp)))
	return Media{Data: data, MIME: mt, Kind: kindOf(mt), FileName: filepath.Base(fp)}, nil
}

// fitMedia brings m within max bytes (whatsapp.mediaMaxMb): pictures other than GIFs
// are re-encoded as the original sends them (providers.PrepareImage: upright, at most
// 2048 px, no metadata); other media must already fit.
func fitMedia(m Media, max int64) (Media, error) {
	if m.Kind == whatsmeow.MediaImage && m.MIME != "image/gif" {
		data, mt, name, err := providers.PrepareImage(m.Data, m.MIME, m.FileName, max)
		if err != nil {
			return Media{}, fmt.Errorf("whatsapp: %w (whatsapp.mediaMaxMb)", err)
		}
		m.Data, m.MIME, m.FileName = data, mt, name
		return m, nil
	}
	if int64(len(m.Data)) > max {
		return Media{}, providers.Inputf("whatsapp: media %s is %d bytes, over the %d byte limit (whatsapp.mediaMaxMb)", m.FileName, len(m.Data), max)
	}
	return m, nil
}

// sniff picks the MIME type: the bytes decide unless they only say "some bytes" or
// "some text", then the server's header (without parameters) is trusted.
func sniff(data []byte, header string) string {
	mt := http.DetectContentType(data)
	base, _, _ := mime.ParseMediaType(mt)
	if base == "application/ogg" {
		return "audio/ogg" // voice notes and music; WhatsApp plays ogg/opus as audio
	}
	if base == "application/octet-stream" || base == "text/plain" {
		if h, _, err := mime.ParseMediaType(header); err == nil && h != "" && h != "application/octet-stream" {
			return h
		}
	}
	return base
}

func kindOf(mt string) whatsmeow.MediaType {
	switch {
	case strings.HasPrefix(mt, "image/"):
		return whatsmeow.MediaImage
	case strings.HasPrefix(mt, "video/"):
		return whatsmeow.MediaVideo
	case strings.HasPrefix(mt, "audio/"):
		return whatsmeow.MediaAudio
	}
	return whatsmeow.MediaDocument
}
