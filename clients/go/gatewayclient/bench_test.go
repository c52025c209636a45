package gatewayclient

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// The two benchmarks measure sequential health round trips on one connection against
// the same in-process gateway: through the client (typed call, pending map, decoding of
// the HealthSummary) and through a bare gws loop that writes the request and scans the
// frames for its id, the way tools/gwload does. Run them together:
//
//	go test -run '^$' -bench 'Health$' ./clients/go/gatewayclient/

func BenchmarkClientHealth(b *testing.B) {
	g := startBenchGW(b)
	c, err := Dial(context.Background(), g.url, Options{Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Health(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rt/s")
}

func BenchmarkClientHealthParallel(b *testing.B) {
	g := startBenchGW(b)
	c, err := Dial(context.Background(), g.url, Options{Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Health(ctx, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rt/s")
}

func BenchmarkRawHealth(b *testing.B) {
	g := startBenchGW(b)
	r := &rawClient{res: make(chan []byte, 16)}
	ws, _, err := gws.NewClient(r, &gws.ClientOption{Addr: g.url})
	if err != nil {
		b.Fatal(err)
	}
	go ws.ReadLoop()
	defer func() { _ = ws.WriteClose(1000, nil) }()
	connect := `{"type":"req","id":"c","method":"connect","params":{"minProtocol":3,"maxProtocol":3,` +
		`"client":{"id":"test","version":"1","platform":"linux","mode":"test"}}}`
	if err := ws.WriteString(connect); err != nil {
		b.Fatal(err)
	}
	r.wait(b, "c")
	b.ReportAllocs()
	b.ResetTimer()
	var buf []byte
	for i := 0; b.Loop(); i++ {
		id := strconv.Itoa(i)
		buf = append(buf[:0], `{"type":"req","id":"`...)
		buf = append(buf, id...)
		buf = append(buf, `","method":"health"}`...)
		if err := ws.WriteMessage(gws.OpcodeText, buf); err != nil {
			b.Fatal(err)
		}
		r.wait(b, id)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rt/s")
}

type rawClient struct {
	res    chan []byte
	closed atomic.Bool
}

func (r *rawClient) OnOpen(*gws.Conn)              {}
func (r *rawClient) OnClose(*gws.Conn, error)      { r.closed.Store(true) }
func (r *rawClient) OnPing(ws *gws.Conn, p []byte) { _ = ws.WritePong(p) }
func (r *rawClient) OnPong(*gws.Conn, []byte)      {}
func (r *rawClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	b := m.Bytes()
	if len(b) > 20 && string(b[:20]) == `{"type":"res","id":"` {
		r.res <- append([]byte(nil), b...)
	}
	_ = m.Close()
}

// wait reads responses until the one for id (events are skipped by OnMessage).
func (r *rawClient) wait(b *testing.B, id string) {
	prefix := fmt.Sprintf(`{"type":"res","id":%q,"ok":true`, id)
	for {
		select {
		case f := <-r.res:
			if len(f) >= len(prefix) && string(f[:len(prefix)]) == prefix {
				return
			}
		case <-time.After(10 * time.Second):
			b.Fatalf("no response to %s", id)
		}
	}
}

type benchGW struct{ url string }

func startBenchGW(b *testing.B) *benchGW {
	srv, err := gateway.New(gateway.Options{Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	core.Serve(srv)
	return &benchGW{url: gatewaytest.Start(b, srv).URL}
}
