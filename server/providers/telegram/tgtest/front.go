package tgtest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// Front serves several test bots behind one API address, routing each request by
// the token in its path (/bot<token>/…, /file/bot<token>/…), as the gateway's
// channels.telegram.apiBaseUrl is one address for all of a channel's accounts. An
// unknown token gets the Bot API's 401. Closed when the test ends.
func Front(t testing.TB, bots ...*Server) string {
	t.Helper()
	by := map[string]*httputil.ReverseProxy{}
	for _, b := range bots {
		u, _ := url.Parse(b.URL())
		p := httputil.NewSingleHostReverseProxy(u)
		p.ErrorLog = log.New(io.Discard, "", 0) // long polls cancelled at shutdown
		by[b.Token()] = p
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, "/file")
		rest, _ = strings.CutPrefix(rest, "/bot")
		tok, _, _ := strings.Cut(rest, "/")
		p := by[tok]
		if p == nil {
			http.Error(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
