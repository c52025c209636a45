package auth

import (
	"net/http"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:5000", true},
		{"127.0.0.1", true},
		{"127.1.2.3:80", true},
		{"[::1]:5000", true},
		{"::1", true},
		{"[::ffff:127.0.0.1]:5000", true},
		{"::ffff:127.9.9.9", true},
		{"10.0.0.1:5000", false},
		{"[::ffff:10.0.0.1]:5000", false},
		{"[2001:db8::1]:443", false},
		{"localhost:5000", false},
		{"", false},
		{"garbage", false},
		{"128.0.0.1:1", false},
	}
	for _, tc := range tests {
		if got := IsLoopback(tc.addr); got != tc.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

func TestIsLocalDirect(t *testing.T) {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name   string
		remote string
		host   string
		h      http.Header
		want   bool
	}{
		{"localhost with port", "127.0.0.1:51000", "localhost:18789", nil, true},
		{"localhost no port", "127.0.0.1:51000", "localhost", h(), true},
		{"LocalHost case", "127.0.0.1:51000", "LocalHost:18789", nil, true},
		{"127.0.0.1 host", "127.0.0.1:51000", "127.0.0.1:18789", nil, true},
		{"ipv6 host", "[::1]:51000", "[::1]:18789", nil, true},
		{"ipv6 host no port", "[::1]:51000", "[::1]", nil, true},
		{"mapped peer", "[::ffff:127.0.0.1]:51000", "localhost:18789", nil, true},
		{"remote peer", "192.168.1.5:51000", "localhost:18789", nil, false},
		{"lan host name", "127.0.0.1:51000", "gateway.lan:18789", nil, false},
		{"empty host", "127.0.0.1:51000", "", nil, false},
		{"localhost prefix is not localhost", "127.0.0.1:51000", "localhost.evil.com", nil, false},
		{"other loopback host ip", "127.0.0.1:51000", "127.0.0.2:18789", nil, false},
		{"x-forwarded-for", "127.0.0.1:51000", "localhost:18789", h("X-Forwarded-For", "1.2.3.4"), false},
		{"x-real-ip", "127.0.0.1:51000", "localhost:18789", h("X-Real-IP", "1.2.3.4"), false},
		{"x-forwarded-host", "127.0.0.1:51000", "localhost:18789", h("X-Forwarded-Host", "example.com"), false},
		{"empty forwarded header is absent", "127.0.0.1:51000", "localhost:18789", http.Header{"X-Forwarded-For": {""}}, true},
		{"x-forwarded-proto alone is fine", "127.0.0.1:51000", "localhost:18789", h("X-Forwarded-Proto", "https"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsLocalDirect(tc.remote, tc.host, tc.h); got != tc.want {
				t.Fatalf("IsLocalDirect(%q, %q, %v) = %v, want %v", tc.remote, tc.host, tc.h, got, tc.want)
			}
		})
	}
}
