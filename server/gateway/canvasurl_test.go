package gateway

import (
	"net/http"
	"strings"
	"testing"
)

// hello-ok.canvasHostUrl names the host the client used and the canvas port, with no
// path; https only when the request came through TLS (or a proxy that says so).
func TestCanvasHostURL(t *testing.T) {
	g := startGateway(t, Options{}, func(s *Server) { s.SetCanvasHostPort(18793) })
	hello := dial(t, g.url).Handshake(v3Connect(nil))
	if hello.CanvasHostURL == nil || *hello.CanvasHostURL != "http://127.0.0.1:18793" {
		t.Fatalf("canvasHostUrl %v", hello.CanvasHostURL)
	}
	h := http.Header{}
	h.Set("X-Forwarded-Proto", "https")
	hello = dialHeader(t, g.url, h).Handshake(v3Connect(nil))
	if hello.CanvasHostURL == nil || !strings.HasPrefix(*hello.CanvasHostURL, "https://") {
		t.Fatalf("forwarded https: %v", hello.CanvasHostURL)
	}
	none := startGateway(t, Options{})
	if hello := dial(t, none.url).Handshake(v3Connect(nil)); hello.CanvasHostURL != nil {
		t.Fatalf("advertised without a canvas host: %s", *hello.CanvasHostURL)
	}
}
