package llm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestStepBodyReleasedAfterLastReference: the buffer goes back to the pool only when
// the step and every reader have let go, and a released body can no longer be read.
func TestStepBodyReleasedAfterLastReference(t *testing.T) {
	var p bodyPool
	b := p.get()
	b.buf = append(b.buf, "hello"...)
	r1, err := b.reader()
	if err != nil {
		t.Fatal(err)
	}
	r2, err := b.reader()
	if err != nil {
		t.Fatal(err)
	}
	b.release() // the step is done; the transport still holds r1 and r2
	if n := p.reused.Load(); n != 0 {
		t.Fatalf("buffer reused with readers open (%d)", n)
	}
	got, err := io.ReadAll(r1)
	if err != nil || string(got) != "hello" {
		t.Fatalf("read %q, %v", got, err)
	}
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r1.Close(); err != nil { // closing twice releases once
		t.Fatal(err)
	}
	if _, err := r1.Read(make([]byte, 1)); !errors.Is(err, errBodyReleased) {
		t.Fatalf("read after close: %v", err)
	}
	if n := p.reused.Load(); n != 0 {
		t.Fatalf("buffer reused with r2 open (%d)", n)
	}
	if err := r2.Close(); err != nil {
		t.Fatal(err)
	}
	if n := p.reused.Load(); n != 1 {
		t.Fatalf("buffer not back in the pool after the last close (%d)", n)
	}
	if _, err := b.reader(); !errors.Is(err, errBodyReleased) {
		t.Fatalf("reader of a released body: %v", err)
	}
}

// TestStepBodyPoolBound: buffers past maxPooledBody are not kept for reuse.
func TestStepBodyPoolBound(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		kept bool
	}{
		{"at the limit", maxPooledBody, true},
		{"past the limit", maxPooledBody + 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p bodyPool
			b := p.get()
			b.buf = make([]byte, 0, tc.size)
			b.release()
			if kept := b.buf != nil; kept != tc.kept {
				t.Fatalf("kept %v, want %v", kept, tc.kept)
			}
		})
	}
}

// TestOpenAIPooledBodyRetriesAndRedirects: concurrent steps share one provider's body
// pool while the SDK retries (429, 500), net/http follows a 307 (GetBody) and the
// server answers without reading the body; every attempt read carries the step's
// exact bytes. Run with -race: a buffer reused while the transport still read it would be a
// reported race or a wrong body.
func TestOpenAIPooledBodyRetriesAndRedirects(t *testing.T) {
	const steps, workers = 12, 4
	var (
		mu       sync.Mutex
		attempts = map[string]int{}
		bodies   = map[string][][]byte{}
	)
	reply := sseScript(chunk(map[string]any{"content": "ok"}, "stop"), "[DONE]")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Step")
		mu.Lock()
		attempts[id]++
		n := attempts[id]
		mu.Unlock()
		record := func() {
			raw, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("step %s: reading body: %v", id, err)
			}
			mu.Lock()
			bodies[id] = append(bodies[id], raw)
			mu.Unlock()
		}
		switch {
		case n == 1 && strings.HasSuffix(id, "0"):
			record()
			w.Header().Set("Retry-After-Ms", "1")
			http.Error(w, `{"error":{"message":"slow down"}}`, http.StatusTooManyRequests)
		case n == 1 && strings.HasSuffix(id, "1"):
			record()
			w.Header().Set("Retry-After-Ms", "1")
			http.Error(w, `{"error":{"message":"oops"}}`, http.StatusInternalServerError)
		case r.URL.Path == "/v1/chat/completions" && strings.HasSuffix(id, "2"):
			record()
			http.Redirect(w, r, "/v2/chat/completions", http.StatusTemporaryRedirect)
		case strings.HasSuffix(id, "3"):
			// Answer without reading the body: the client may finish the step while
			// its transport is still writing the body (large ones: i%3 == 0).
			reply(w, r)
		default:
			record()
			reply(w, r)
		}
	}))
	t.Cleanup(srv.Close)

	// One provider per id so each request carries its X-Step header; they share one
	// pool, as the steps of one provider do.
	var shared bodyPool
	big := strings.Repeat("system prompt ", 30<<10) // ≈ 420 KB: writes outlast the reply
	type step struct {
		id   string
		o    *OpenAI
		req  *Request
		want []byte
	}
	all := make([]step, 0, steps*workers)
	for i := range steps * workers {
		id := fmt.Sprintf("s%02d", i)
		o, err := NewOpenAI(Endpoint{Name: "local", BaseURL: srv.URL + "/v1", MaxRetries: 2, Headers: map[string]string{"X-Step": id}}, ModelSpec{ID: "m"})
		if err != nil {
			t.Fatal(err)
		}
		o.bodies = &shared
		sys := "short"
		if i%3 == 0 {
			sys = big
		}
		req := &Request{System: sys + id, Messages: []Message{UserText("step "+id, testNow())}, Tools: gatewayTools(t)}
		want, err := o.requestBody(req)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, step{id: id, o: o, req: req, want: want})
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(all); i += workers {
				s := all[i]
				res, err := s.o.Stream(context.Background(), s.req, nil)
				if err != nil {
					t.Errorf("step %s: %v", s.id, err)
					continue
				}
				if got := res.Message.Text(); got != "ok" {
					t.Errorf("step %s: reply %q", s.id, got)
				}
			}
		}()
	}
	wg.Wait()
	srv.Close() // waits for handlers still reading bodies
	mu.Lock()
	defer mu.Unlock()
	for _, s := range all {
		wantAttempts := 1
		switch s.id[len(s.id)-1] {
		case '0', '1', '2':
			wantAttempts = 2
		case '3':
			wantAttempts = 0 // never read
		}
		if got := len(bodies[s.id]); got != wantAttempts {
			t.Errorf("step %s: %d attempts recorded, want %d", s.id, got, wantAttempts)
		}
		for i, raw := range bodies[s.id] {
			if !bytes.Equal(raw, s.want) {
				t.Errorf("step %s attempt %d: body differs (%d bytes, want %d)", s.id, i+1, len(raw), len(s.want))
			}
		}
	}
	if shared.reused.Load() == 0 {
		t.Error("no buffer went back to the pool")
	}
}

// TestOpenAIContentTypeHeaderWins: a Content-Type among the provider's headers is sent
// as it was when the SDK set the body (the option applied after the SDK's default).
func TestOpenAIContentTypeHeaderWins(t *testing.T) {
	reply := sseScript(chunk(map[string]any{"content": "ok"}, "stop"), "[DONE]")
	for _, tc := range []struct{ header, want string }{
		{"", "application/json"},
		{"application/json; charset=utf-8", "application/json; charset=utf-8"},
	} {
		s := newScripted(t, reply)
		h := map[string]string{}
		if tc.header != "" {
			h["Content-Type"] = tc.header
		}
		o, err := NewOpenAI(Endpoint{Name: "local", BaseURL: s.srv.URL + "/v1", Headers: h}, ModelSpec{ID: "m"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.Stream(context.Background(), &Request{Messages: []Message{UserText("hi", testNow())}}, nil); err != nil {
			t.Fatal(err)
		}
		if got := s.requests()[0].Header.Get("Content-Type"); got != tc.want {
			t.Errorf("header %q: sent %q, want %q", tc.header, got, tc.want)
		}
	}
}
