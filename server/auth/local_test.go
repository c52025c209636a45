package auth

import (
	"net/http"
	"net/netip"
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

func TestClientAddrAndTrustedProxies(t *testing.T) {
	trusted, bad := ParseTrustedProxies([]string{"127.0.0.1", "10.0.0.0/8", "::1", " ", "nope"})
	if len(trusted) != 3 || len(bad) != 2 {
		t.Fatalf("parsed %v, bad %q", trusted, bad)
	}
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	for _, tc := range []struct {
		name, remote string
		h            http.Header
		trusted      []netip.Prefix
		want         string
	}{
		{"no proxies: the peer", "203.0.113.1:5000", hdr("X-Forwarded-For", "1.2.3.4"), nil, "203.0.113.1"},
		{"untrusted peer: the header is ignored", "203.0.113.1:5000", hdr("X-Forwarded-For", "127.0.0.1"), trusted, "203.0.113.1"},
		{"trusted peer: the client it names", "127.0.0.1:5000", hdr("X-Forwarded-For", "198.51.100.7"), trusted, "198.51.100.7"},
		{"rightmost untrusted hop wins", "127.0.0.1:5000", hdr("X-Forwarded-For", "127.0.0.1, 198.51.100.7, 10.1.2.3"), trusted, "198.51.100.7"},
		{"several headers", "127.0.0.1:5000", hdr("X-Forwarded-For", "5.6.7.8", "X-Forwarded-For", "10.0.0.9"), trusted, "5.6.7.8"},
		{"only trusted hops: X-Real-Ip", "127.0.0.1:5000", hdr("X-Forwarded-For", "10.0.0.2", "X-Real-Ip", "192.0.2.4"), trusted, "192.0.2.4"},
		{"only trusted hops: the peer", "127.0.0.1:5000", hdr("X-Forwarded-For", "10.0.0.2"), trusted, "127.0.0.1"},
		{"unreadable hop stops there", "127.0.0.1:5000", hdr("X-Forwarded-For", "198.51.100.7, garbage"), trusted, "127.0.0.1"},
		{"mapped IPv4 peer", "[::ffff:127.0.0.1]:5000", hdr("X-Forwarded-For", "198.51.100.7"), trusted, "198.51.100.7"},
	} {
		a, ok := ClientAddr(tc.remote, tc.h, tc.trusted)
		if !ok || a.String() != tc.want {
			t.Errorf("%s: %v %v, want %s", tc.name, a, ok, tc.want)
		}
	}
	for _, tc := range []struct {
		name, remote, host string
		h                  http.Header
		trusted            []netip.Prefix
		want               bool
	}{
		{"direct local", "127.0.0.1:1", "localhost:18789", nil, nil, true},
		{"proxied local client, trusted", "127.0.0.1:1", "127.0.0.1:18789", hdr("X-Forwarded-For", "127.0.0.1"), trusted, true},
		{"proxied local client, untrusted", "127.0.0.1:1", "127.0.0.1:18789", hdr("X-Forwarded-For", "127.0.0.1"), nil, false},
		{"proxied remote client", "127.0.0.1:1", "127.0.0.1:18789", hdr("X-Forwarded-For", "198.51.100.7"), trusted, false},
		{"public Host name", "127.0.0.1:1", "gw.example.com", hdr("X-Forwarded-For", "127.0.0.1"), trusted, false},
		{"trusted proxy on another machine", "10.0.0.5:1", "localhost", hdr("X-Forwarded-For", "127.0.0.1"), trusted, false},
	} {
		if got := IsLocalDirectVia(tc.remote, tc.host, tc.h, tc.trusted); got != tc.want {
			t.Errorf("%s: local = %v, want %v", tc.name, got, tc.want)
		}
	}
}
