package gateway

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/server/auth"
)

func TestOriginAllowed(t *testing.T) {
	for _, tc := range []struct {
		origin, host string
		allowed      []string
		want         bool
	}{
		{"", "127.0.0.1:18789", nil, true},
		{"http://127.0.0.1:18789", "127.0.0.1:18789", nil, true},
		{"http://LOCALHOST:18789", "localhost:18789", nil, true},
		{"https://evil.example", "127.0.0.1:18789", nil, false},
		{"http://127.0.0.1:9999", "127.0.0.1:18789", nil, false},
		{"null", "127.0.0.1:18789", nil, false},
		{"file://", "127.0.0.1:18789", nil, false},
		{"http://localhost:5173", "127.0.0.1:18789", []string{"http://localhost:5173"}, true},
		{"http://localhost:5173/", "127.0.0.1:18789", []string{"http://localhost:5173"}, true},
	} {
		if got := originAllowed(tc.origin, tc.host, tc.allowed); got != tc.want {
			t.Errorf("originAllowed(%q, %q, %v) = %v", tc.origin, tc.host, tc.allowed, got)
		}
	}
}

// TestForeignOriginRefused: a page on another site cannot open the gateway's WebSocket.
func TestForeignOriginRefused(t *testing.T) {
	g := startGateway(t, Options{AllowedOrigins: []string{"http://localhost:5173"}})
	addr := strings.TrimPrefix(g.url, "ws://")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"https://evil.example", false},
		{"http://" + addr, true},
		{"http://localhost:5173", true},
	} {
		_, resp, err := gws.NewClient(&gws.BuiltinEventHandler{}, &gws.ClientOption{Addr: g.url, RequestHeader: http.Header{"Origin": {tc.origin}}})
		if tc.ok && err != nil {
			t.Errorf("%s refused: %v", tc.origin, err)
		}
		if !tc.ok && (err == nil || resp == nil || resp.StatusCode != http.StatusForbidden) {
			t.Errorf("%s: err=%v resp=%v, want 403", tc.origin, err, resp)
		}
	}
}

// TestAuthThrottle: wrong secrets past the global budget are answered late — and so is
// the right one, which is still accepted (never locked out); v2 and v3 share the brake.
func TestAuthThrottle(t *testing.T) {
	const delay = 300 * time.Millisecond
	th := auth.NewThrottle(auth.ThrottleOptions{Burst: 2, Rate: 0.001, Delay: delay})
	g := startGateway(t, Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}, AuthThrottle: th})
	for i := 0; i < 4; i++ {
		c := dial(t, g.url)
		start := time.Now()
		f := c.Call("connect", v3Connect(map[string]any{"auth": map[string]any{"token": "guess"}}))
		if f.OK || !strings.HasPrefix(f.Error.Message, "unauthorized: gateway token mismatch") {
			t.Fatalf("attempt %d: %+v", i, f.Error)
		}
		if el := time.Since(start); i >= 2 && el < delay {
			t.Fatalf("guess %d past the budget answered after %v, before the %v delay", i, el, delay)
		}
	}
	for _, params := range []map[string]any{
		v3Connect(map[string]any{"auth": map[string]any{"token": "s3cret"}}),
		v2Connect(map[string]any{"auth": map[string]any{"token": "s3cret"}}),
	} {
		c := dial(t, g.url)
		start := time.Now()
		c.Handshake(params)
		if el := time.Since(start); el < delay {
			t.Fatalf("the right token was answered after %v while the budget is spent: a timing oracle", el)
		}
	}
	c := dial(t, g.url)
	if f := c.Call("connect", v2Connect(map[string]any{"auth": map[string]any{"token": "nope"}})); f.OK || f.Error.Message != "unauthorized" {
		t.Fatalf("v2 wrong token: %+v", f)
	}
	if st := th.Stats(); st.Checks != 7 || st.Failures != 5 || st.Slowed != 5 {
		t.Fatalf("throttle stats %+v", st)
	}
}
