package gateway

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"
)

var (
	fuzzOnce sync.Once
	fuzzURL  string
)

// fuzzGateway is one real gateway shared by all fuzz iterations of the process.
func fuzzGateway(t testing.TB) string {
	fuzzOnce.Do(func() {
		s, err := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HandshakeTimeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = s.Serve(ln) }()
		fuzzURL = "ws://" + ln.Addr().String()
	})
	return fuzzURL
}

type fuzzClient struct {
	gws.BuiltinEventHandler
	closed chan struct{}
	frames atomic.Int32
}

func (f *fuzzClient) OnMessage(_ *gws.Conn, m *gws.Message) { f.frames.Add(1); _ = m.Close() }
func (f *fuzzClient) OnClose(*gws.Conn, error)              { close(f.closed) }

// FuzzHandshake drives the handshake state machine with arbitrary first frames (one or
// two, pipelined, split at the first newline) over a real socket. The gateway must
// answer or close — never panic, never hang — and keep serving a well-formed client.
func FuzzHandshake(f *testing.F) {
	for _, seed := range []string{
		`{"type":"req","id":"1","method":"connect","params":{"minProtocol":2,"maxProtocol":3,"client":{"id":"cli","version":"1","platform":"linux","mode":"cli"}}}`,
		`{"type":"req","id":"1","method":"connect","params":{"minProtocol":2,"maxProtocol":2,"client":{"name":"x","version":"1","platform":"p","mode":"cli"}}}` + "\n" + `{"type":"req","id":"2","method":"health"}`,
		`{"type":"req","id":"1","method":"health"}`,
		`{"type":"req","id":"1","method":"connect","params":{"minProtocol":9,"maxProtocol":1}}`,
		`{"type":"req","id":"1","method":"connect","params":{"minProtocol":3,"maxProtocol":3,"client":{"id":"test","version":"1","platform":"p","mode":"test"},"device":{"id":"x","publicKey":"AAAA","signature":"AAAA","signedAt":0}}}`,
		`not json`, `[]`, `{"type":"event","event":"x"}`, ``,
	} {
		f.Add(seed)
	}
	url := fuzzGateway(f)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, in string) {
		first, second, two := strings.Cut(in, "\n")
		fc := &fuzzClient{closed: make(chan struct{})}
		ws, _, err := gws.NewClient(fc, &gws.ClientOption{Addr: url})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		go ws.ReadLoop()
		_ = ws.WriteString(first)
		if two {
			_ = ws.WriteString(second)
		}
		// Either the gateway closes the socket or it stays up after answering; wait
		// briefly for a reaction, then hang up ourselves.
		select {
		case <-fc.closed:
		case <-time.After(20 * time.Millisecond):
			_ = ws.NetConn().Close()
			<-fc.closed
		}
		if n.Add(1)%200 == 0 {
			// The gateway still completes a normal handshake.
			c := dial(t, url)
			c.Handshake(v2Connect(nil))
		}
	})
}
