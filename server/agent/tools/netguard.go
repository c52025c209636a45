package tools

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrBlockedAddress is returned when a fetch would connect to an address that is not
// on the public internet.
var ErrBlockedAddress = errors.New("address is not public")

// cgnat is 100.64.0.0/10 (carrier-grade NAT, Tailscale): not public either.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// blockedReason says why ip is refused, or "" when it is a public address.
func blockedReason(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	case ip.IsPrivate():
		return "private"
	case ip.Is4() && (cgnat.Contains(ip) || ip.As4()[0] == 0):
		return "private"
	case ip.Is4() && ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	return ""
}

// AddrPolicy decides which non-public addresses may still be reached.
type AddrPolicy struct {
	// AllowPrivate switches the guard off entirely.
	AllowPrivate bool
	// Allow lists prefixes reachable even though they are not public (a LAN service the
	// operator wants the agent to read).
	Allow []netip.Prefix
}

func (p AddrPolicy) check(ip netip.Addr) error {
	if p.AllowPrivate {
		return nil
	}
	why := blockedReason(ip)
	if why == "" {
		return nil
	}
	for _, pr := range p.Allow {
		if pr.Contains(ip.Unmap()) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is a %s address", ErrBlockedAddress, ip.Unmap(), why)
}

// GuardedDialer returns a dialer that refuses loopback, private, link-local, unspecified
// and multicast destinations unless the policy allows them. The check runs on the
// address actually being connected to (after DNS), for every connection, so a redirect
// or a DNS answer that points inside the network is refused as well as a literal
// internal URL.
func GuardedDialer(timeout time.Duration, p AddrPolicy) *net.Dialer {
	return &net.Dialer{
		Timeout: timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: cannot parse %q", ErrBlockedAddress, address)
			}
			return p.check(ap.Addr())
		},
	}
}

// checkLiteralHost refuses a URL whose host is an internal IP literal before dialing
// (a clearer error; the dialer would refuse it anyway).
func checkLiteralHost(host string, p AddrPolicy) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.check(ip)
	}
	if !p.AllowPrivate && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		return fmt.Errorf("%w: %s is a loopback name", ErrBlockedAddress, host)
	}
	return nil
}
