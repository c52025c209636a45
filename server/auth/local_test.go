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

func TestIsLoopbackHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LOCALHOST:18789", true},
		{"app.localhost:18789", true},
		{"127.0.0.1", true},
		{"127.0.0.1:18789", true},
		{"127.9.8.7:1", true},
		{"[::1]:18789", true},
		{"[::1]", true},
		{"[::ffff:127.0.0.1]:1", true},
		{"rebind.attacker.example:18789", false},
		{"localhost.attacker.example", false},
		{"evil-localhost:1", false},
		{"10.0.0.1:18789", false},
		{"0.0.0.0:18789", false},
		{"[fe80::1%25lo]:1", false},
		{"", false},
		{":18789", false},
	} {
		if got := IsLoopbackHost(tc.host); got != tc.want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

func TestIsLoopbackOrigin(t *testing.T) {
	for _, tc := range []struct {
		origin string
		want   bool
	}{
		{"http://localhost:5173", true},
		{"https://127.0.0.1:18789", true},
		{"http://[::1]:18789/", true},
		{"http://app.localhost", true},
		{"http://rebind.attacker.example:18789", false},
		{"http://user@localhost@evil.example", false},
		{"file://", false},
		{"null", false},
		{"ws://localhost:1", false},
		{"", false},
	} {
		if got := IsLoopbackOrigin(tc.origin); got != tc.want {
			t.Errorf("IsLoopbackOrigin(%q) = %v, want %v", tc.origin, got, tc.want)
		}
	}
}

func TestAddrKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7:5000", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:1", "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"garbage", "garbage"},
	} {
		if got := AddrKey(tc.in); got != tc.want {
			t.Errorf("AddrKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
