package llm

import (
	"bytes"
	"context"
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

// TestDefaultHTTPClientCopiesBodiesThroughPool: the registry's default client writes a
// request body larger than any buffer intact, and its connections copy bodies without
// allocating a buffer per request.
func TestDefaultHTTPClientCopiesBodiesThroughPool(t *testing.T) {
	want := bytes.Repeat([]byte("0123456789abcdef"), 20<<10) // 320 KiB: ten copy buffers
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("body: %d bytes, %v; want %d bytes", len(got), err, len(want))
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := defaultHTTPClient()
	for range 3 {
		var p bodyPool
		b := p.get()
		b.buf = append(b.buf, want...)
		req, err := http.NewRequest(http.MethodPost, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		// A body net/http does not know as in-memory, as the OpenAI step sends.
		if req.Body, err = b.reader(); err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len(want))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		b.release()
	}

	// The copy itself: no allocation on a connection of the dialer, a buffer per copy
	// on a plain one (the control).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			s, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				_, _ = io.Copy(io.Discard, s)
				s.Close()
			}()
		}
	}()
	src := bytes.NewReader(want)
	var only io.Reader = onlyReader{src}
	lr := &io.LimitedReader{}
	for _, tc := range []struct {
		name   string
		dial   func(ctx context.Context, network, addr string) (net.Conn, error)
		pooled bool
	}{
		{"pooled", pooledCopyDialer(nil), true},
		{"plain (control)", (&net.Dialer{}).DialContext, false},
	} {
		conn, err := tc.dial(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		rf := conn.(io.ReaderFrom)
		allocs := testing.AllocsPerRun(20, func() {
			src.Reset(want)
			*lr = io.LimitedReader{R: only, N: int64(len(want))}
			if n, err := rf.ReadFrom(lr); err != nil || n != int64(len(want)) {
				t.Fatalf("copied %d, %v", n, err)
			}
		})
		conn.Close()
		if (allocs == 0) != tc.pooled {
			t.Errorf("%s: %.1f allocations per copy", tc.name, allocs)
		}
	}
}

// onlyReader hides a reader's WriteTo, as net/http's io.LimitedReader does.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
