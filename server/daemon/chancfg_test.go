package daemon

import (
	"slices"
	"sync/atomic"
	"testing"

	"github.com/clawgate/gateway/server/config"
)

func liveConfig(t *testing.T, raw string) *atomic.Pointer[config.File] {
	t.Helper()
	f, err := config.Parse("clawdbot.json", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	var cur atomic.Pointer[config.File]
	cur.Store(f)
	return &cur
}

// TestHistoryLimitAccounts: a direct chat's history limit is the first set of the
// run account's dms.<peer>.historyLimit, its dmHistoryLimit, the channel's
// dms.<peer>.historyLimit and dmHistoryLimit, on WhatsApp as on Telegram; an account
// that sets nothing takes the channel's, and groups are never limited.
func TestHistoryLimitAccounts(t *testing.T) {
	cur := liveConfig(t, `{channels: {
  whatsapp: {dmHistoryLimit: 9, dms: {"+15550001": {historyLimit: 7}},
    accounts: {work: {dmHistoryLimit: 3, dms: {"+15550002": {historyLimit: 0}}}, home: {}}},
  telegram: {dmHistoryLimit: 4, accounts: {Bot2: {dms: {"42": {historyLimit: 2}}}}}}}`)
	tests := []struct {
		key, account string
		want         int
	}{
		{"agent:main:whatsapp:+15550009", "work", 3},
		{"agent:main:whatsapp:+15550002", "work", 0},
		{"agent:main:whatsapp:+15550001", "work", 3}, // the account's dmHistoryLimit before the channel's peer entry
		{"agent:main:whatsapp:+15550001", "home", 7},
		{"agent:main:whatsapp:+15550009", "", 9},
		{"agent:main:whatsapp:group:123@g.us", "work", 0},
		{"agent:main:telegram:42", "bot2", 2},
		{"agent:main:telegram:43", "bot2", 4},
		{"agent:main:telegram:42", "default", 4},
	}
	limit := historyLimit(cur)
	for _, tt := range tests {
		if got := limit(tt.key, tt.account); got != tt.want {
			t.Errorf("%s (account %q): %d, want %d", tt.key, tt.account, got, tt.want)
		}
	}
}

// TestChannelPromptCapabilities: the capabilities a run's prompt names are the
// account's list, else the channel's (WhatsApp), and on Telegram "inlineButtons"
// unless capabilities.inlineButtons is "off" (a list without it counts as off).
func TestChannelPromptCapabilities(t *testing.T) {
	cur := liveConfig(t, `{channels: {
  whatsapp: {capabilities: ["polls"], accounts: {work: {capabilities: ["reactions", " "]}, home: {}}},
  telegram: {capabilities: {inlineButtons: "dm"}, reactionLevel: "ack",
    accounts: {listed: {capabilities: ["voice"]}, off: {capabilities: {inlineButtons: "off"}, reactionLevel: "extensive"}}}}}`)
	tests := []struct {
		channel, account string
		want             []string
		reactions        string
	}{
		{"whatsapp", "work", []string{"reactions"}, ""},
		{"whatsapp", "home", []string{"polls"}, ""},
		{"telegram", "default", []string{"inlineButtons"}, ""},
		{"telegram", "listed", []string{"voice"}, ""},
		{"telegram", "off", nil, "extensive"},
	}
	cp := channelPrompt(cur)
	for _, tt := range tests {
		got := cp(tt.channel, tt.account)
		if !slices.Equal(got.Capabilities, tt.want) || got.Reactions != tt.reactions {
			t.Errorf("%s/%s: %+v, want capabilities %v reactions %q", tt.channel, tt.account, got, tt.want, tt.reactions)
		}
	}
}
