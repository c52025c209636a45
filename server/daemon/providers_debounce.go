package daemon

import (
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/debounce"
	"github.com/clawgate/gateway/server/routing"
)

// inboundSettings is messages.inbound (the inbound debounce windows).
func inboundSettings(c *genconfig.ClawdbotConfig) debounce.Settings {
	if c == nil || c.Messages == nil || c.Messages.Inbound == nil {
		return debounce.Settings{}
	}
	in := c.Messages.Inbound
	return debounce.Settings{DebounceMs: in.DebounceMs, ByChannel: in.ByChannel}
}

// telegramDebounce is Telegram's inbound debounce window: messages.inbound.byChannel.
// telegram, else messages.inbound.debounceMs, else off.
func telegramDebounce(c *genconfig.ClawdbotConfig) time.Duration {
	return debounce.Window(inboundSettings(c), providers.Telegram, nil)
}

// whatsappDebounce is account id's inbound debounce window: channels.whatsapp.
// accounts.<id>.debounceMs, else channels.whatsapp.debounceMs, else
// messages.inbound.byChannel.whatsapp, else messages.inbound.debounceMs, else off.
// The channel's keys count only above 0: the original's schema defaults them to 0 and
// its CLI writes that into every file, while the original itself never applies them
// (its window is messages.inbound's alone), so a 0 there means "not set"
// (DIFFERENCES.md); byChannel.whatsapp: 0 turns WhatsApp's window off.
func whatsappDebounce(f *config.File, id string) time.Duration {
	if f == nil {
		return 0
	}
	var override *int
	if w := whatsappSection(&f.Config); w != nil {
		if w.DebounceMs > 0 {
			override = &w.DebounceMs
		}
		for k, v := range w.Accounts {
			if routing.NormalizeAccountID(k) == id && v.DebounceMs > 0 {
				ms := v.DebounceMs
				override = &ms
			}
		}
	}
	return debounce.Window(inboundSettings(&f.Config), providers.WhatsApp, override)
}
