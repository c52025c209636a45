package auth

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// IsLoopback reports whether a socket peer address is loopback: 127.0.0.0/8, ::1 or
// an IPv4-mapped 127.* address. remoteAddr may be "host:port" (http.Request.RemoteAddr)
// or a bare address; brackets and zones are tolerated.
func IsLoopback(remoteAddr string) bool {
	a, ok := parseAddr(remoteAddr)
	if !ok {
		return false
	}
	return a.Unmap().IsLoopback()
}

// IsLocalDirect reports whether a request comes straight from this machine (§2.3
// "local direct"): the peer is loopback, the Host header names localhost, 127.0.0.1 or
// [::1] (any port), and none of X-Forwarded-For, X-Real-IP, X-Forwarded-Host is present
// (a present but empty header counts as absent, as in the reference). h may be nil.
func IsLocalDirect(remoteAddr string, host string, h http.Header) bool {
	if !IsLoopback(remoteAddr) {
		return false
	}
	switch hostName(host) {
	case "localhost", "127.0.0.1", "::1":
	default:
		return false
	}
	for _, k := range []string{"X-Forwarded-For", "X-Real-Ip", "X-Forwarded-Host"} {
		if h.Get(k) != "" {
			return false
		}
	}
	return true
}

// hostName extracts the lowercase host name of a Host header value: "[::1]:18789" →
// "::1", "LocalHost:80" → "localhost".
func hostName(host string) string {
	host = strings.ToLower(strings.TrimSpace(host))
	if strings.HasPrefix(host, "[") {
		if end := strings.IndexByte(host, ']'); end >= 0 {
			return host[1:end]
		}
		return host
	}
	name, _, _ := strings.Cut(host, ":")
	return name
}

func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, false
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a, true
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	} else {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil
}

// IsLoopbackHost reports whether a Host header value names this machine through the
// loopback interface only: "localhost", any "*.localhost" name (RFC 6761 reserves them
// for loopback), an IPv4 address in 127.0.0.0/8, or [::1] — with or without a port.
// It is the DNS-rebinding guard: a page on rebind.attacker.example that made its name
// resolve to 127.0.0.1 still sends Host: rebind.attacker.example, which this refuses.
func IsLoopbackHost(host string) bool {
	name := hostName(host)
	if name == "" {
		return false
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(name)
	if err != nil || a.Zone() != "" {
		return false
	}
	return a.Unmap().IsLoopback()
}

// IsLoopbackOrigin reports whether a browser Origin ("http://localhost:5173") is a
// page served from a loopback host name (IsLoopbackHost) over http or https.
func IsLoopbackOrigin(origin string) bool {
	scheme, rest, ok := strings.Cut(strings.TrimRight(strings.TrimSpace(origin), "/"), "://")
	if !ok || strings.ContainsAny(rest, "/?#@") {
		return false
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
	default:
		return false
	}
	return IsLoopbackHost(rest)
}

// AddrKey is the key per-address limits count by: the IPv4 address, or the /64 an
// IPv6 address belongs to (one host usually owns a whole /64, so counting single
// IPv6 addresses would let it multiply itself). remoteAddr may carry a port. An
// unparsable address is its own key.
func AddrKey(remoteAddr string) string {
	a, ok := parseAddr(remoteAddr)
	if !ok {
		return remoteAddr
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// ParseTrustedProxies reads gateway.trustedProxies: addresses ("127.0.0.1", "::1") or
// prefixes ("10.0.0.0/8"). The original takes exact addresses only; prefixes are ours.
// Entries that are neither are returned in bad.
func ParseTrustedProxies(list []string) (trusted []netip.Prefix, bad []string) {
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			trusted = append(trusted, p.Masked())
			continue
		}
		if a, ok := parseAddr(s); ok {
			a = a.Unmap()
			trusted = append(trusted, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		bad = append(bad, s)
	}
	return trusted, bad
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr is the address of the client behind a request: the socket peer, or, when
// the peer is a trusted proxy, the last address of X-Forwarded-For that is not itself a
// trusted proxy (then X-Real-Ip). The original takes X-Forwarded-For's first entry,
// which the client writes itself when the proxy appends; walking from the right reads
// only what trusted proxies added. ok is false when the peer address is unreadable.
func ClientAddr(remoteAddr string, h http.Header, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, ok := parseAddr(remoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	peer = peer.Unmap()
	if len(trusted) == 0 || !isTrusted(peer, trusted) || h == nil {
		return peer, true
	}
	var hops []string
	for _, v := range h.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseAddr(hops[i])
		if !ok {
			return peer, true // a hop we cannot read: stop at the proxy we know
		}
		if a = a.Unmap(); !isTrusted(a, trusted) {
			return a, true
		}
	}
	if a, ok := parseAddr(h.Get("X-Real-Ip")); ok {
		return a.Unmap(), true
	}
	return peer, true
}

// IsLocalDirectVia is IsLocalDirect with gateway.trustedProxies: a request that came
// through a trusted proxy on this machine (loopback peer) counts as local when the
// client it names is loopback and the Host is a local name (a TLS terminator in front
// of the gateway); without trusted proxies it is IsLocalDirect.
func IsLocalDirectVia(remoteAddr, host string, h http.Header, trusted []netip.Prefix) bool {
	if IsLocalDirect(remoteAddr, host, h) {
		return true
	}
	peer, ok := parseAddr(remoteAddr)
	// The proxy must be on this machine too: a loopback client of a proxy elsewhere is
	// local to that proxy, not to the gateway (the original counts it local).
	if !ok || len(trusted) == 0 || !peer.Unmap().IsLoopback() || !isTrusted(peer, trusted) {
		return false
	}
	switch hostName(host) {
	case "localhost", "127.0.0.1", "::1":
	default:
		return false
	}
	client, ok := ClientAddr(remoteAddr, h, trusted)
	return ok && client.IsLoopback()
}
