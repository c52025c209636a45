// Command echoserver is a bare gws WebSocket echo server hosted in net/http: the
// physical ceiling the gateway is compared against by tools/gwload. Every text or
// binary message is written back unchanged with WriteMessage from the read goroutine.
//
//	go run ./tools/echoserver -addr 127.0.0.1:0 -print-addr
//
// With -broadcast async it instead queues every message to every open connection (sender
// included) with WriteAsync, the way the gateway's hub fans events out (-broadcast sync
// writes them in the reading goroutine instead): the ceiling for
// gwload -mode fanout -target echo.
//
// It listens on loopback only and exits by itself after -lifetime (or on SIGINT/SIGTERM).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/lxzan/gws"
)

type echo struct{ gws.BuiltinEventHandler }

func (echo) OnPing(c *gws.Conn, p []byte) { _ = c.WritePong(p) }

func (echo) OnMessage(c *gws.Conn, m *gws.Message) {
	_ = c.WriteMessage(m.Opcode, m.Bytes())
	_ = m.Close()
}

// hub is the -broadcast variant: every message goes to every connection.
type hub struct {
	gws.BuiltinEventHandler
	mu    sync.Mutex
	conns map[*gws.Conn]struct{}
	sync  bool // write from the broadcasting goroutine instead of queuing
}

func (h *hub) OnOpen(c *gws.Conn) {
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
}

func (h *hub) OnClose(c *gws.Conn, _ error) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

func (h *hub) OnPing(c *gws.Conn, p []byte) { _ = c.WritePong(p) }

func (h *hub) OnMessage(_ *gws.Conn, m *gws.Message) {
	b := bytes.Clone(m.Bytes())
	op := m.Opcode
	_ = m.Close()
	h.mu.Lock()
	for c := range h.conns {
		if h.sync {
			_ = c.WriteMessage(op, b)
			continue
		}
		c.WriteAsync(op, b, nil)
	}
	h.mu.Unlock()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	printAddr := flag.Bool("print-addr", false, "print the bound address as the first line of stdout")
	lifetime := flag.Duration("lifetime", 10*time.Minute, "exit after this long")
	broadcast := flag.String("broadcast", "", "async | sync: send every message to every connection (queued with WriteAsync, or written in the broadcasting goroutine) instead of echoing it")
	flag.Parse()

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatalf("echoserver: -addr: %v", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Fatalf("echoserver: refusing non-loopback address %q", *addr)
	}
	// Same limits as the gateway's upgrader, so the comparison is like for like.
	var handler gws.Event = echo{}
	switch *broadcast {
	case "":
	case "async", "sync":
		handler = &hub{conns: map[*gws.Conn]struct{}{}, sync: *broadcast == "sync"}
	default:
		log.Fatalf("echoserver: -broadcast must be async or sync")
	}
	up := gws.NewUpgrader(handler, &gws.ServerOption{
		ReadMaxPayloadSize: 512 * 1024,
		CheckUtf8Enabled:   true,
		ParallelEnabled:    false,
		Recovery:           gws.Recovery,
	})
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r)
			if err != nil {
				return
			}
			go c.ReadLoop()
		}),
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("echoserver: %v", err)
	}
	if *printAddr {
		fmt.Println(ln.Addr().String())
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *lifetime)
	defer cancel()
	go func() {
		<-ctx.Done()
		sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
		defer c()
		_ = srv.Shutdown(sctx) // hijacked WebSocket conns die with the process
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Printf("echoserver: %v", err)
		os.Exit(1)
	}
}
