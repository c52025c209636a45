package daemon

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

type inboundRecorder chan providers.Message

func (r inboundRecorder) Inbound(_ context.Context, m providers.Message) { r <- m }

// TestProvidersWiring: the builder reads the token from the environment and the rest
// from config, exposes the registry as services.sender, and hands allowed inbound
// messages to services.inbound.
func TestProvidersWiring(t *testing.T) {
	bot := tgtest.New(t, tgtest.DefaultToken)
	bot.AddChat(5)
	base := bot.URL()
	s := &services{
		log:   slog.New(slog.DiscardHandler),
		paths: config.Paths{StateDir: t.TempDir()},
		file:  &config.File{Config: genconfig.ClawdbotConfig{Channels: &genconfig.ConfigChannels{Telegram: &genconfig.ConfigChannelsTelegram{APIBaseURL: &base, AllowFrom: []any{"7"}}}}},
		env:   config.MapEnv(map[string]string{"TELEGRAM_BOT_TOKEN": tgtest.DefaultToken}),
	}
	rec := make(inboundRecorder, 4)
	s.inbound.set(rec)
	c, err := buildProviders(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	c.(starter).start(t.Context()) // startServices' start phase
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.close(ctx); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := s.sender.Send(ctx, "telegram", providers.Outbound{To: "5", Text: "reply"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sender.Send(ctx, "", providers.Outbound{To: "+15551234567", Text: "x"}); !errors.Is(err, providers.ErrNotLinked) {
		t.Fatalf("whatsapp default: %v", err)
	}
	bot.PushUpdate(8, 8, "not allowed")
	bot.PushUpdate(7, 7, "allowed")
	select {
	case m := <-rec:
		if m.From != "7" || m.Text != "allowed" {
			t.Fatalf("inbound = %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("inbound message did not arrive")
	}

	// Without a token Telegram is a clear "not configured".
	s2 := &services{log: slog.New(slog.DiscardHandler), paths: config.Paths{StateDir: t.TempDir()}, file: &config.File{}, env: config.MapEnv(nil)}
	c2, err := buildProviders(t.Context(), s2)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.close(context.Background())
	var nc *providers.NotConfiguredError
	if _, err := s2.sender.Send(ctx, "telegram", providers.Outbound{To: "5", Text: "x"}); !errors.As(err, &nc) {
		t.Fatalf("unconfigured telegram: %v", err)
	}
}
