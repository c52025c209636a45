package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestTelegramMessageBeforeStartIsAnswered: a Telegram message waiting at the Bot API
// before the gateway starts reaches the agent and is answered. The providers start
// only once the agent runtime takes inbound messages, so the first getUpdates never
// hands a message to a gateway that would drop it ("no agent runtime").
func TestTelegramMessageBeforeStartIsAnswered(t *testing.T) {
	home := t.TempDir()
	bot := tgtest.New(t, tgtest.DefaultToken)
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "answered"} })
	bot.PushUpdate(42, 42, "sent while the gateway was down")
	extra := fmt.Sprintf(`channels: {telegram: {botToken: %q, apiBaseUrl: %q, dmPolicy: "allowlist", allowFrom: ["42"], streamMode: "off"}},`,
		tgtest.DefaultToken, bot.URL())
	r := startHome(t, home, agentConfigWith(filepath.Join(home, "ws"), model, nil, extra), nil)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	sent, err := bot.WaitSent(ctx, 1)
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	if sent[0].ChatID != "42" || sent[0].Text != "answered" {
		t.Fatalf("sent %+v", sent)
	}
	if out := r.out.String(); strings.Contains(out, "no agent runtime") {
		t.Fatalf("a message met no agent runtime:\n%s", out)
	}
}

// orderComponent records the lifecycle calls the services make.
type orderComponent struct {
	name   string
	calls  *[]string
	intake bool // implements intakeStopper (as the providers do)
}

func (o *orderComponent) id() string                             { return o.name }
func (o *orderComponent) attach(*gateway.Server, *methods) error { return nil }
func (o *orderComponent) close(context.Context) error {
	*o.calls = append(*o.calls, "close "+o.name)
	return nil
}

type orderStarter struct{ orderComponent }

func (o *orderStarter) start(context.Context) { *o.calls = append(*o.calls, "start "+o.name) }
func (o *orderStarter) stopIntake(context.Context) error {
	*o.calls = append(*o.calls, "stopIntake "+o.name)
	return nil
}

// TestServicesStartAndStopOrder: components that take messages from outside start
// after every component is built and stop taking them before any component closes,
// so the agent runtime (built after the providers, closed before them) is there for
// every message a provider receives.
func TestServicesStartAndStopOrder(t *testing.T) {
	var calls []string
	providers := &orderStarter{orderComponent{name: "providers", calls: &calls}}
	agent := &orderComponent{name: "agent", calls: &calls}
	built := func(c component) builder {
		return func(context.Context, *services) (component, error) {
			calls = append(calls, "build "+c.(interface{ id() string }).id())
			return c, nil
		}
	}
	s := &services{log: slog.New(slog.DiscardHandler)}
	if err := s.build(t.Context(), []builder{built(providers), built(agent)}); err != nil {
		t.Fatal(err)
	}
	if err := s.close(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"build providers", "build agent", "start providers", "stopIntake providers", "close agent", "close providers"}
	if !slices.Equal(calls, want) {
		t.Fatalf("calls %q, want %q", calls, want)
	}
}
