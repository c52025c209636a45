package daemon

import (
	"testing"
	"time"

	"github.com/clawgate/gateway/server/config"
)

// The inbound debounce windows resolve as the original's: a channel's entry in
// messages.inbound.byChannel over messages.inbound.debounceMs, off by default; for
// WhatsApp channels.whatsapp(.accounts.<id>).debounceMs, when above 0, over both (0
// is what the original writes by default, and it never applies the key).
func TestDebounceSettings(t *testing.T) {
	tests := []struct {
		name       string
		raw        string
		tg, wa, wk time.Duration // telegram, whatsapp default account, whatsapp "work"
	}{
		{"off by default", `{}`, 0, 0, 0},
		{"global", `{messages: {inbound: {debounceMs: 1500}}}`, 1500 * time.Millisecond, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{"byChannel", `{messages: {inbound: {debounceMs: 1500, byChannel: {telegram: 0, whatsapp: 700}}}}`, 0, 700 * time.Millisecond, 700 * time.Millisecond},
		{"whatsapp channel key", `{messages: {inbound: {debounceMs: 1500, byChannel: {whatsapp: 700}}},
			channels: {whatsapp: {debounceMs: 300, accounts: {work: {debounceMs: 0}}}}}`, 1500 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond},
		{"the original's written 0 is unset", `{messages: {inbound: {debounceMs: 1500}},
			channels: {whatsapp: {debounceMs: 0, accounts: {work: {debounceMs: 0}}}}}`, 1500 * time.Millisecond, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{"an account without the key takes the channel's", `{messages: {inbound: {debounceMs: 1500}},
			channels: {whatsapp: {accounts: {work: {debounceMs: 250}}}}}`, 1500 * time.Millisecond, 1500 * time.Millisecond, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.Parse("clawdbot.json", []byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if got := telegramDebounce(&f.Config); got != tt.tg {
				t.Errorf("telegram %v, want %v", got, tt.tg)
			}
			if got := whatsappDebounce(f, "default"); got != tt.wa {
				t.Errorf("whatsapp default %v, want %v", got, tt.wa)
			}
			if got := whatsappDebounce(f, "work"); got != tt.wk {
				t.Errorf("whatsapp work %v, want %v", got, tt.wk)
			}
		})
	}
}
