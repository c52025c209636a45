package llm

import (
	"context"
	"io"
	"net"
	"sync"
)

// copyBufferSize is the size of the pooled buffers copyConn copies request bodies
// through; it is what io.Copy would allocate for a body of this size or more.
const copyBufferSize = 32 << 10

// pooledCopyDialer wraps dial so that its connections copy request bodies through
// pooled buffers. net/http writes an HTTP/1.1 request body with Content-Length by
// io.Copy from an io.LimitedReader into the connection; a *net.TCPConn then falls back
// to io.Copy with a fresh buffer of up to 32 KiB for every request (≈ 16 % of the
// gateway's allocated bytes with the model step's 20–60 KiB bodies). The buffers are
// shared by the connections of one dialer (one HTTP client). Connections that net/http
// wraps in TLS are written through the TLS layer instead and gain nothing; HTTP/2
// pools its own buffers.
func pooledCopyDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	bufs := &sync.Pool{New: func() any { return new([copyBufferSize]byte) }}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		// The wrapper hides c's ReadFrom from io.CopyBuffer, which would call it again.
		return &copyConn{Conn: c, w: struct{ io.Writer }{c}, bufs: bufs}, nil
	}
}

// copyConn is a connection whose ReadFrom copies through a pooled buffer.
type copyConn struct {
	net.Conn
	w    io.Writer  // Conn's Write only
	bufs *sync.Pool // *[copyBufferSize]byte
}

// ReadFrom copies r to the connection. The buffer goes back to the pool when the copy
// returns: io.CopyBuffer keeps no reference to it.
func (c *copyConn) ReadFrom(r io.Reader) (int64, error) {
	buf := c.bufs.Get().(*[copyBufferSize]byte)
	defer c.bufs.Put(buf)
	return io.CopyBuffer(c.w, r, buf[:])
}
