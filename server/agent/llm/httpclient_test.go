package llm

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// TestDefaultHTTPClientReusesConnections: with as many concurrent requests as a busy
// gateway runs against one provider, the registry's default client reuses its
// connections across rounds instead of dialling anew (net/http's default keeps 2 idle).
func TestDefaultHTTPClientReusesConnections(t *testing.T) {
	var dials atomic.Int64
	var release atomic.Pointer[chan struct{}]
	var arrived sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		<-*release.Load() // hold every request until all of the round are in flight
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	for _, tc := range []struct {
		name      string
		client    *http.Client
		wantDials func(n int64) bool
	}{
		{"registry default", defaultHTTPClient(), func(n int64) bool { return n == 16 }},
		{"net/http default (control)", &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}, func(n int64) bool { return n > 16 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dials.Store(0)
			for range 3 {
				ch := make(chan struct{})
				release.Store(&ch)
				arrived.Add(16)
				var wg sync.WaitGroup
				for range 16 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						resp, err := tc.client.Get(srv.URL)
						if err != nil {
							t.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}()
				}
				arrived.Wait()
				close(ch)
				wg.Wait()
			}
			if n := dials.Load(); !tc.wantDials(n) {
				t.Fatalf("%d connections for 3 rounds of 16 concurrent requests", n)
			}
		})
	}
	r, err := NewRegistry(RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := r.opts.HTTPClient.Transport.(*http.Transport); !ok || tr.MaxIdleConnsPerHost != DefaultMaxIdleConnsPerHost {
		t.Fatalf("NewRegistry without HTTPClient: transport %#v", r.opts.HTTPClient.Transport)
	}
}
