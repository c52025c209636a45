package auth

import (
	"net/http"
	"strings"
)

// CheckBearer authorises an HTTP request on the gateway port by its
// "Authorization: Bearer <secret>" header: the token is checked as both the shared
// token and the password (constant time, as the WebSocket handshake does), loopback
// rules included, and through throttle's guessing brake when a secret is configured,
// so the HTTP endpoints cannot be used to guess faster than the handshake.
func CheckBearer(r *http.Request, s Secrets, throttle *Throttle) bool {
	tok := BearerToken(r.Header.Get("Authorization"))
	var tp *string
	if tok != "" {
		tp = &tok
	}
	throttled := s.HasSecret() && throttle != nil
	var att Attempt
	if throttled {
		att = throttle.Begin()
	}
	res := s.CheckConnect(r.RemoteAddr, r.Host, r.Header, tp, tp)
	if throttled {
		Wait(r.Context(), att.Done(res.OK))
	}
	return res.OK
}

// BearerToken is the token of an "Authorization: Bearer <token>" header value ("" if
// none).
func BearerToken(v string) string {
	v = strings.TrimSpace(v)
	if len(v) < 7 || !strings.EqualFold(v[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(v[7:])
}
