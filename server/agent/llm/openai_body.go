package llm

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/openai/openai-go/v3/option"
)

// The request body of a model step is tens of kilobytes (tool definitions, system
// prompt, history) and was the largest single allocation of a turn (≈ 20 % of the
// gateway's allocated bytes), so its buffer is pooled. A buffer goes back to the pool
// only when nothing can read it any more: the step holds one reference until the SDK's
// Post returns, and every reader handed to net/http holds one until it is closed. The
// transport may go on reading the body after RoundTrip returns (a response that arrives
// before the body is written) but always closes it when done (the RoundTripper
// contract); a reader that is never closed keeps its buffer out of the pool, which
// costs only the reuse. The SDK never sees the bytes: the body is set on each attempt
// by a middleware, so the SDK's own retries and net/http's redirects and HTTP/2
// rewinds all get a fresh counted reader (GetBody). net/http flushes the headers
// before a body it does not know as in-memory and then copies the body straight to
// the connection; the registry's default client copies through pooled buffers
// (copyConn), so a step writes as many packets as before and allocates no buffer.

// maxPooledBody bounds the buffers kept for reuse: a step whose body grew past it (a
// long history, large tool results) allocates its own, so one large conversation does
// not pin megabytes in the pool.
const maxPooledBody = 1 << 20

// errBodyReleased is returned by a reader of a body whose buffer went back to the pool.
var errBodyReleased = errors.New("llm: request body already released")

// bodyPool hands out step bodies. The zero value is ready to use.
type bodyPool struct {
	pool sync.Pool // *stepBody
	// max is the largest capacity kept (0 = maxPooledBody).
	max int
	// reused counts buffers put back (for tests).
	reused atomic.Int64
}

// stepBody is one step's encoded request in a pooled buffer with a reference count.
type stepBody struct {
	pool *bodyPool
	buf  []byte
	refs atomic.Int32
	// mw sets the body on each attempt; built once per pooled value.
	mw option.Middleware
}

// get returns a body with one reference (the step's) and an empty buffer.
func (p *bodyPool) get() *stepBody {
	b, _ := p.pool.Get().(*stepBody)
	if b == nil {
		b = &stepBody{pool: p}
		b.mw = b.middleware
	}
	b.buf = b.buf[:0]
	b.refs.Store(1)
	return b
}

// release drops one reference; the last one puts the buffer back (if not too large).
func (b *stepBody) release() {
	switch n := b.refs.Add(-1); {
	case n > 0:
		return
	case n < 0:
		panic("llm: request body released twice")
	}
	limit := b.pool.max
	if limit == 0 {
		limit = maxPooledBody
	}
	if cap(b.buf) > limit {
		b.buf = nil
	}
	b.pool.reused.Add(1)
	b.pool.pool.Put(b)
}

// acquire takes a reference unless the body was already released.
func (b *stepBody) acquire() bool {
	for {
		n := b.refs.Load()
		if n <= 0 {
			return false
		}
		if b.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// reader returns a new counted reader over the body.
func (b *stepBody) reader() (io.ReadCloser, error) {
	if !b.acquire() {
		return nil, errBodyReleased
	}
	return &bodyReader{body: b, data: b.buf}, nil
}

// middleware is the last middleware before the HTTP client: it gives the attempt a
// fresh counted reader and the means to make more (GetBody, for redirects and HTTP/2
// retries), with the body's length and content type as the SDK sets them for a []byte
// body (a Content-Type from the provider's headers wins, as it did there).
func (b *stepBody) middleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	r, err := b.reader()
	if err != nil {
		return nil, err
	}
	req.Body = r
	req.GetBody = b.reader
	req.ContentLength = int64(len(b.buf))
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return next(req)
}

// bodyReader reads a stepBody. Read and Close exclude each other, so once Close has
// returned no Read touches the buffer, even if the transport closes the body from
// another goroutine while its write loop still reads.
type bodyReader struct {
	mu     sync.Mutex
	body   *stepBody
	data   []byte
	off    int
	closed bool
}

func (r *bodyReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, errBodyReleased
	}
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	n := copy(p, r.data[r.off:])
	r.off += n
	return n, nil
}

func (r *bodyReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		r.data = nil
		r.body.release()
	}
	return nil
}
