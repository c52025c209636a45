package gatewayclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
)

// runGateway starts an in-process gateway on a loopback port for the examples that
// print their output; a real program dials its gateway's URL instead.
func runGateway() (url string, stop func()) {
	srv, err := gateway.New(gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}
	core.Serve(srv)
	ln, err := gateway.Listen("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	return "ws://" + ln.Addr().String(), func() {
		_ = srv.Shutdown(context.Background(), "example over", 0)
		<-done
	}
}

func ExampleDial() {
	url, stop := runGateway()
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := gatewayclient.Dial(ctx, url, gatewayclient.Options{
		Client: gatewayclient.ClientInfo{ID: protocol.ClientIDCli, Mode: "cli", Version: "1.0.0"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	fmt.Println("protocol", c.Hello().Protocol)
	sum, err := c.Health(ctx, nil) // typed call generated from the schema
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("healthy:", sum.Ok)
	// Output:
	// protocol 3
	// healthy: true
}

func ExampleClient_Call() {
	url, stop := runGateway()
	defer stop()
	ctx := context.Background()
	c, err := gatewayclient.Dial(ctx, url, gatewayclient.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// Any method, untyped params and result.
	var presence []map[string]any
	if err := c.Call(ctx, "system-presence", nil, &presence); err != nil {
		log.Fatal(err)
	}
	fmt.Println("entries:", len(presence) > 0)

	// Errors from the gateway are *ProtocolError.
	err = c.Call(ctx, "no.such.method", nil, nil)
	var pe *gatewayclient.ProtocolError
	if errors.As(err, &pe) {
		fmt.Println(pe.Code, pe.Message)
	}
	// Output:
	// entries: true
	// INVALID_REQUEST unknown method: no.such.method
}

func ExampleLoadOrCreateDeviceIdentity() {
	dir, err := os.MkdirTemp("", "identity")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "device.json")

	id, err := gatewayclient.LoadOrCreateDeviceIdentity(path) // created, saved 0600
	if err != nil {
		log.Fatal(err)
	}
	again, err := gatewayclient.LoadOrCreateDeviceIdentity(path) // loaded
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(id.ID), again.ID == id.ID)
	// Output: 64 true
}

// A protocol-3 client with a persistent device identity: the first connect uses the
// shared token, later ones the device token the gateway issued.
func ExampleOptions_device() {
	id, err := gatewayclient.LoadOrCreateDeviceIdentity(os.ExpandEnv("$HOME/.clawdbot/identity/device.json"))
	if err != nil {
		log.Fatal(err)
	}
	c, err := gatewayclient.Dial(context.Background(), "ws://127.0.0.1:18789", gatewayclient.Options{
		Token:            os.Getenv("CLAWDBOT_GATEWAY_TOKEN"),
		Device:           id,
		DeviceTokenStore: gatewayclient.NewFileTokenStore(os.ExpandEnv("$HOME/.clawdbot/identity/device-auth.json")),
		Client:           gatewayclient.ClientInfo{ID: protocol.ClientIDGatewayClient, Mode: "backend", DisplayName: "my service"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("granted scopes:", c.Hello().Auth.Scopes)
}

func ExampleClient_Subscribe() {
	c, err := gatewayclient.Dial(context.Background(), "ws://127.0.0.1:18789", gatewayclient.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	events, cancel := c.Subscribe("presence")
	defer cancel()
	for ev := range events {
		if ev.Gap != nil {
			// Events were missed; the client has already refreshed its state.
			fmt.Println("gap:", ev.Gap.Reason)
		}
		for _, e := range c.Presence() {
			fmt.Printf("%v %v %v\n", deref(e.Host), deref(e.Mode), deref(e.Reason))
		}
	}
}

func ExampleClient_Agent() {
	c, err := gatewayclient.Dial(context.Background(), "ws://127.0.0.1:18789", gatewayclient.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx := context.Background()
	run, err := c.Agent(ctx, &protocol.AgentParams{Message: "What is on my calendar today?"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("accepted run", run.RunID)
	for ev := range run.Events() {
		if ev.Stream == protocol.AgentEventStream("assistant") {
			fmt.Printf("assistant: %s\n", ev.Data["text"])
		}
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	res, err := run.Wait(waitCtx)
	var pe *gatewayclient.ProtocolError
	if errors.As(err, &pe) && pe.Code == gatewayclient.CodeAgentTimeout {
		fmt.Println("still running")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status, string(res.Result))
}

// Send generates the idempotency key when it is empty and writes it into the params,
// so sending the same params again after a retryable error cannot deliver twice.
func ExampleClient_Send_retry() {
	c, err := gatewayclient.Dial(context.Background(), "ws://127.0.0.1:18789", gatewayclient.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	p := &protocol.SendParams{To: "+15555550123", Message: "hello"}
	for attempt := 0; attempt < 3; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := c.Send(ctx, p) // p.IdempotencyKey is set on the first attempt
		cancel()
		var pe *gatewayclient.ProtocolError
		if errors.As(err, &pe) && pe.Retryable {
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("sent", res.MessageID)
		return
	}
}

func deref(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}
