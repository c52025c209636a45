package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.mau.fi/whatsmeow"

	"github.com/clawgate/gateway/server/providers"
)

// DefaultMediaMaxMB is the download limit for media sent by URL when whatsapp.mediaMaxMb
// is not set (WhatsApp itself takes 16 MiB videos and audio).
const DefaultMediaMaxMB = 16

// BlockedAddressError is a media download refused because the URL's host resolved to
// an address no media URL should point at.
type BlockedAddressError struct{ IP net.IP }

func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("whatsapp: media URL resolves to %s (link-local, multicast or unspecified address); refused", e.IP)
}

// MediaClient is the HTTP client for media downloads. It refuses to connect to
// link-local addresses (169.254.0.0/16 and fe80::/10, where cloud metadata services
// answer), multicast and unspecified addresses. The check runs on the address actually
// dialled, so DNS answers and redirects cannot get around it. Loopback and private
// addresses stay reachable: a media server on the operator's own machine or LAN is a
// normal use, and only authenticated operators with write scope can send.
func MediaClient(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
			return &BlockedAddressError{IP: ip}
		}
		return nil
	}}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = d.DialContext
	return &http.Client{Timeout: timeout, Transport: tr}
}

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
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Media{}, providers.Inputf("whatsapp: mediaUrl %q is not an http(s) URL", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Media{}, providers.Inputf("whatsapp: mediaUrl: %v", err)
	}
	resp, err := hc.Do(req)
	var blocked *BlockedAddressError
	if errors.As(err, &blocked) {
		return Media{}, providers.Inputf("%v", blocked)
	}
	if err != nil {
		return Media{}, fmt.Errorf("whatsapp: download media: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Media{}, providers.Inputf("whatsapp: download media %s: HTTP %d", u.Redacted(), resp.StatusCode)
	}
	if resp.ContentLength > max {
		return Media{}, providers.Inputf("whatsapp: media is %d bytes, over the %d byte limit (whatsapp.mediaMaxMb)", resp.ContentLength, max)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return Media{}, fmt.Errorf("whatsapp: download media: %w", err)
	}
	if int64(len(data)) > max {
		return Media{}, providers.Inputf("whatsapp: media is over the %d byte limit (whatsapp.mediaMaxMb)", max)
	}
	if len(data) == 0 {
		return Media{}, providers.Inputf("whatsapp: media at %s is empty", u.Redacted())
	}
	mt := sniff(data, resp.Header.Get("Content-Type"))
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" {
		name = "file"
	}
	return Media{Data: data, MIME: mt, Kind: kindOf(mt), FileName: name}, nil
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
