package gateway

import (
	"net/http"
	"strings"
	"sync"
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

func TestAuthLimiter(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(0, 0)
	l := newAuthLimiter(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	for i := 0; i < AuthFreeFailures; i++ {
		if l.blocked("10.0.0.1:5") != 0 {
			t.Fatalf("blocked after %d failures", i)
		}
		l.fail("10.0.0.1:5")
	}
	if l.blocked("10.0.0.1:6") != 0 {
		t.Fatal("the free failures must not lock out")
	}
	l.fail("10.0.0.1:7")
	if d := l.blocked("10.0.0.1:8"); d != AuthBaseLockout {
		t.Fatalf("first lockout %v", d)
	}
	if l.blocked("10.0.0.2:1") != 0 {
		t.Fatal("another address is locked out too")
	}
	l.fail("10.0.0.1:7")
	if d := l.blocked("10.0.0.1:8"); d != 2*AuthBaseLockout {
		t.Fatalf("second lockout %v, want doubled", d)
	}
	for i := 0; i < 40; i++ {
		l.fail("10.0.0.1:7")
	}
	if d := l.blocked("10.0.0.1:8"); d != AuthMaxLockout {
		t.Fatalf("lockout %v, want capped at %v", d, AuthMaxLockout)
	}
	advance(AuthMaxLockout + time.Second)
	if l.blocked("10.0.0.1:8") != 0 {
		t.Fatal("lockout does not expire")
	}
	l.ok("10.0.0.1:9")
	if len(l.entries) != 0 {
		t.Fatal("success does not clear the address")
	}
}

// TestAuthLockout: repeated wrong tokens lock the address out with retryAfterMs,
// even for the right token, until the lockout ends.
func TestAuthLockout(t *testing.T) {
	g := startGateway(t, Options{Secrets: auth.Secrets{Mode: auth.ModeToken, Token: "s3cret"}})
	for i := 0; i <= AuthFreeFailures; i++ {
		c := dial(t, g.url)
		f := c.call("connect", v3Connect(map[string]any{"auth": map[string]any{"token": "guess"}}))
		if f.OK || !strings.HasPrefix(f.Error.Message, "unauthorized: gateway token mismatch") {
			t.Fatalf("attempt %d: %+v", i, f.Error)
		}
	}
	c := dial(t, g.url)
	f := c.call("connect", v3Connect(map[string]any{"auth": map[string]any{"token": "s3cret"}}))
	if f.OK || f.Error.Message != "unauthorized: too many failed attempts; retry later" || f.Error.RetryAfterMs == nil || *f.Error.RetryAfterMs <= 0 {
		t.Fatalf("locked out: %+v", f.Error)
	}
}
