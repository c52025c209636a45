// Command presence connects to a gateway, prints its presence list and every change to
// it as it happens, and optionally sends one message.
//
//	go run ./clients/go/examples/presence -url ws://127.0.0.1:18789 -token "$CLAWDBOT_GATEWAY_TOKEN"
//	go run ./clients/go/examples/presence -send-to +15555550123 -message "hello from Go"
//
// It runs until interrupted; the client reconnects by itself if the gateway restarts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:18789", "gateway WebSocket URL")
	token := flag.String("token", os.Getenv("CLAWDBOT_GATEWAY_TOKEN"), "gateway token (default $CLAWDBOT_GATEWAY_TOKEN)")
	password := flag.String("password", os.Getenv("CLAWDBOT_GATEWAY_PASSWORD"), "gateway password (default $CLAWDBOT_GATEWAY_PASSWORD)")
	sendTo := flag.String("send-to", "", "recipient of a message to send once connected")
	message := flag.String("message", "hello from the Go client", "text of that message")
	channel := flag.String("channel", "", "channel to send through (default: the gateway's)")
	verbose := flag.Bool("v", false, "log connection events")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *url, *token, *password, *sendTo, *message, *channel, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "presence:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, token, password, sendTo, message, channel string, verbose bool) error {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	dialCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, err := gatewayclient.Dial(dialCtx, url, gatewayclient.Options{
		Token:    token,
		Password: password,
		Client: gatewayclient.ClientInfo{
			ID: protocol.ClientIDGatewayClient, Mode: "backend", Version: "0.1.0",
			DisplayName: "presence example", InstanceID: fmt.Sprintf("presence-example-%s-%d", hostname(), os.Getpid()),
		},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return err
	}
	defer c.Close()

	h := c.Hello()
	fmt.Printf("connected to gateway %s (protocol %d, conn %s)\n", h.Server.Version, h.Protocol, h.Server.ConnID)
	events, unsubscribe := c.Subscribe("presence")
	defer unsubscribe()
	last := printPresence("presence", c.Presence(), nil)

	if sendTo != "" {
		p := &protocol.SendParams{To: sendTo, Message: message}
		if channel != "" {
			p.Channel = &channel
		}
		sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		res, err := c.Send(sendCtx, p)
		cancel()
		var pe *gatewayclient.ProtocolError
		switch {
		case errors.As(err, &pe):
			fmt.Printf("send failed: %s: %s (idempotency key %s, retryable %v)\n", pe.Code, pe.Message, p.IdempotencyKey, pe.Retryable)
		case err != nil:
			fmt.Printf("send failed: %v\n", err)
		default:
			fmt.Printf("sent: message %s via %s (run %s)\n", res.MessageID, res.Provider, res.RunID)
		}
	}

	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			title := "presence changed"
			if ev.Gap != nil {
				title = fmt.Sprintf("resynced after %s gap", ev.Gap.Reason)
			}
			last = printPresence(title, c.Presence(), last)
		}
	}
}

// printPresence prints the list, marking rows that are new or changed since prev.
func printPresence(title string, list []protocol.PresenceEntry, prev map[string]string) map[string]string {
	now := map[string]string{}
	fmt.Printf("%s %s: %d entries\n", time.Now().Format("15:04:05"), title, len(list))
	for _, e := range list {
		key := firstOf(e.DeviceID, e.InstanceID, e.Host)
		line := fmt.Sprintf("%-28s %-10s %-12s %-10s %s", firstOf(e.Host), firstOf(e.Mode), firstOf(e.Reason), firstOf(e.Platform), firstOf(e.IP))
		now[key] = line
		mark := " "
		if old, ok := prev[key]; prev != nil && (!ok || old != line) {
			mark = "*"
		}
		fmt.Printf("  %s %s\n", mark, strings.TrimRight(line, " "))
	}
	for key := range prev {
		if _, ok := now[key]; !ok {
			fmt.Printf("  - %s (gone)\n", key)
		}
	}
	return now
}

func firstOf(ps ...*string) string {
	for _, p := range ps {
		if p != nil && *p != "" {
			return *p
		}
	}
	return "-"
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}
