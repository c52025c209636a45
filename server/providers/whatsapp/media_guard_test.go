package whatsapp

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/providers"
)

// TestMediaClientRefusesMetadataAddresses: media URLs pointing at link-local
// (cloud metadata), multicast or unspecified addresses are refused before any
// connection, also when a permitted server redirects there; loopback still works.
func TestMediaClientRefusesMetadataAddresses(t *testing.T) {
	hc := MediaClient(10 * time.Second)
	redirect := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))
	defer redirect.Close()
	png := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("\x89PNG\r\n\x1a\n0000"))
	}))
	defer png.Close()
	for _, u := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"http://[fe80::1]/x",
		"http://0.0.0.0:80/x",
		"http://[::]/x",
		"http://224.0.0.1/x",
		redirect.URL + "/go",
	} {
		_, err := FetchMedia(t.Context(), hc, u, 1<<20)
		var ie *providers.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%s: %v, want a refused input error", u, err)
		}
	}
	if m, err := FetchMedia(t.Context(), hc, png.URL+"/a.png", 1<<20); err != nil || m.MIME != "image/png" {
		t.Fatalf("loopback media: %+v %v", m.MIME, err)
	}
}
