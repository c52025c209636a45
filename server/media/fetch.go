package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"syscall"
	"time"
)

// Errors of Fetch (wrapped), besides ErrTooLarge and *BlockedAddressError.
var (
	// ErrBadURL: not an absolute http(s) URL.
	ErrBadURL = errors.New("media: not an http(s) URL")
	// ErrFetchStatus: the server answered something other than 200.
	ErrFetchStatus = errors.New("media: download refused by the server")
	// ErrEmpty: the server sent no bytes.
	ErrEmpty = errors.New("media: empty file")
)

// BlockedAddressError is a media download refused because the URL's host resolved to
// an address no media URL should point at.
type BlockedAddressError struct{ IP net.IP }

func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("media URL resolves to %s (link-local, multicast or unspecified address); refused", e.IP)
}

// HTTPClient is the HTTP client for media downloads. It refuses to connect to
// link-local addresses (169.254.0.0/16 and fe80::/10, where cloud metadata services
// answer), multicast and unspecified addresses. The check runs on the address actually
// dialled, so DNS answers and redirects cannot get around it. Loopback and private
// addresses stay reachable: a media server on the operator's own machine or LAN is a
// normal use.
func HTTPClient(timeout time.Duration) *http.Client {
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

// Fetched is a downloaded file.
type Fetched struct {
	Data []byte
	// Declared is the server's Content-Type (to be judged against the bytes: see
	// DetectType).
	Declared string
	FileName string // the URL path's last element, "file" when it has none
}

// Fetch downloads rawURL with a hard size limit: a Content-Length above max is refused
// before reading, and the body is cut at max+1 bytes.
func Fetch(ctx context.Context, hc *http.Client, rawURL string, max int64) (Fetched, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Fetched{}, fmt.Errorf("%w: %q", ErrBadURL, rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Fetched{}, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	resp, err := hc.Do(req)
	var blocked *BlockedAddressError
	if errors.As(err, &blocked) {
		return Fetched{}, blocked
	}
	if err != nil {
		return Fetched{}, fmt.Errorf("media: download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Fetched{}, fmt.Errorf("%w: %s: HTTP %d", ErrFetchStatus, u.Redacted(), resp.StatusCode)
	}
	if resp.ContentLength > max {
		return Fetched{}, fmt.Errorf("%w: %d bytes, over the %d byte limit", ErrTooLarge, resp.ContentLength, max)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return Fetched{}, fmt.Errorf("media: download: %w", err)
	}
	if int64(len(data)) > max {
		return Fetched{}, fmt.Errorf("%w: over the %d byte limit", ErrTooLarge, max)
	}
	if len(data) == 0 {
		return Fetched{}, fmt.Errorf("%w: %s", ErrEmpty, u.Redacted())
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" {
		name = "file"
	}
	return Fetched{Data: data, Declared: resp.Header.Get("Content-Type"), FileName: name}, nil
}
