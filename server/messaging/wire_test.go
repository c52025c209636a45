package messaging_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// startGateway runs a real gateway on a loopback port with setup applied before Serve.
func startGateway(t *testing.T, stateDir string, setup func(*gateway.Server)) string {
	t.Helper()
	s, err := gateway.New(gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(s)
	setup(s)
	return gatewaytest.Start(t, s).URL
}

type frame = gatewaytest.Frame

// client is the shared harness's client (it checks every frame against the schemas)
// with the short calls these tests use.
type client struct {
	*gatewaytest.Client
	t *testing.T
}

// dial connects a protocol v client and completes its handshake.
func dial(t *testing.T, url string, v int) *client {
	t.Helper()
	c := &client{Client: gatewaytest.Dial(t, url), t: t}
	if v == 2 {
		c.Handshake(gatewaytest.V2Connect(map[string]any{"client": map[string]any{"name": "test-client", "version": "1.0.0", "platform": "linux", "mode": "backend", "instanceId": "i1"}}))
	} else {
		c.Handshake(gatewaytest.V3Connect(nil))
	}
	return c
}

func (c *client) request(method string, params any) chan *frame {
	_, ch := c.Request(method, params)
	return ch
}

func wait(t *testing.T, ch chan *frame) *frame {
	t.Helper()
	select {
	case f := <-ch:
		return f
	case <-time.After(15 * time.Second):
		t.Fatal("no response")
	}
	return nil
}

func (c *client) call(method string, params any) *frame {
	c.t.Helper()
	return wait(c.t, c.request(method, params))
}

func (c *client) ok(method string, params, out any) {
	c.t.Helper()
	c.MustOK(method, params, out)
}

func (c *client) fail(method string, params any, code string) *protocol.ErrorShape {
	c.t.Helper()
	f := c.call(method, params)
	if f.OK || f.Error == nil || f.Error.Code != code {
		c.t.Fatalf("%s: want %s, got %s", method, code, f.Raw)
	}
	return f.Error
}
