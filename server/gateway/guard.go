package gateway

import (
	"net/url"
	"slices"
	"strings"
)

// originAllowed is the cross-site WebSocket hijacking guard. Browsers always send
// Origin on a WebSocket upgrade and let any page open one to any host, so a page on
// another site must not reach the gateway with the user's network position. Non-browser
// clients send no Origin and are not affected. Allowed: no Origin, an Origin whose host
// equals the request's Host (the control UI served by this gateway), or an Origin listed
// in gateway.controlUi.allowedOrigins.
func originAllowed(origin, host string, allowed []string) bool {
	if origin == "" {
		return true
	}
	if slices.Contains(allowed, strings.TrimRight(origin, "/")) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, host)
}
