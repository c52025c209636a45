package daemon

import (
	"log/slog"
	"testing"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/heartbeat"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/whatsapp"
)

// TestWhatsAppMessagePrefix: the WhatsApp inbound prefix resolves as the original's:
// the account's messagePrefix, the channel's, the legacy messages.messagePrefix (""
// turns it off); unset, none with an allowFrom list, else the routed agent's
// identity name in brackets, else "[clawdbot]".
func TestWhatsAppMessagePrefix(t *testing.T) {
	dm := providers.Message{Channel: providers.WhatsApp, From: "+15550001111", ChatID: "15550001111@s.whatsapp.net"}
	work := dm
	work.AccountID = "Work"
	for _, tc := range []struct {
		name, raw string
		m         providers.Message
		want      string
	}{
		{"default", `{}`, dm, "[clawdbot]"},
		{"allowFrom", `{channels: {whatsapp: {allowFrom: ["+1555"]}}}`, dm, ""},
		{"identity name", `{agents: {list: [{id: "main", identity: {name: "Clawd"}}]}}`, dm, "[Clawd]"},
		{"bound agent's name", `{agents: {list: [{id: "main"}, {id: "ops", identity: {name: "Ops"}}]},
		  bindings: [{agentId: "ops", match: {channel: "whatsapp", peer: {kind: "dm", id: "+15550001111"}}}]}`, dm, "[Ops]"},
		{"legacy messages.messagePrefix", `{messages: {messagePrefix: "[legacy]"}, channels: {whatsapp: {allowFrom: ["+1555"]}}}`, dm, "[legacy]"},
		{"channel over legacy", `{messages: {messagePrefix: "[legacy]"}, channels: {whatsapp: {messagePrefix: "[wa]"}}}`, dm, "[wa]"},
		{"empty turns off", `{channels: {whatsapp: {messagePrefix: ""}}}`, dm, ""},
		{"account over channel", `{channels: {whatsapp: {messagePrefix: "[wa]", accounts: {work: {messagePrefix: "[work]"}}}}}`, work, "[work]"},
		{"account allowFrom", `{channels: {whatsapp: {accounts: {work: {allowFrom: ["+1555"]}}}}}`, work, ""},
		{"other account inherits", `{channels: {whatsapp: {messagePrefix: "[wa]", accounts: {work: {messagePrefix: "[work]"}}}}}`, dm, "[wa]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := config.ParseWith("", []byte(tc.raw), config.MapEnv(nil))
			if err != nil {
				t.Fatal(err)
			}
			x := &mentionIndex{log: slog.New(slog.DiscardHandler)}
			x.set(f)
			if got := x.whatsappPrefix(tc.m); got != tc.want {
				t.Fatalf("prefix %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWhatsAppGroupHistoryLimit: a WhatsApp account's group history limit is its own,
// else the channel's, else messages.groupChat.historyLimit.
func TestWhatsAppGroupHistoryLimit(t *testing.T) {
	f, err := config.ParseWith("", []byte(`{messages: {groupChat: {historyLimit: 7}},
	  channels: {whatsapp: {accounts: {default: {}, work: {historyLimit: 3}}}}}`), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	c := &providersComponent{s: &services{log: slog.New(slog.DiscardHandler), paths: config.Paths{StateDir: t.TempDir()}, env: config.MapEnv(nil)}}
	_, accts := c.whatsappAccounts(&f.Config)
	got := map[string]int{}
	for _, a := range accts {
		if a.section.HistoryLimit != nil {
			got[a.id] = *a.section.HistoryLimit
		}
	}
	if got["default"] != 7 || got["work"] != 3 {
		t.Fatalf("history limits %v, want default 7 (messages.groupChat) and work 3", got)
	}
	f, err = config.ParseWith("", []byte(`{messages: {groupChat: {historyLimit: 7}}, channels: {whatsapp: {historyLimit: 0}}}`), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, accts := c.whatsappAccounts(&f.Config); len(accts) != 1 || accts[0].section.HistoryLimit == nil || *accts[0].section.HistoryLimit != 0 {
		t.Fatalf("channel historyLimit 0 not kept over messages.groupChat: %+v", accts)
	}
}

// TestWhatsAppChunkModeConfig: channels.whatsapp.chunkMode applies to every account
// that does not set its own, and a change restarts the account (it is part of the
// provider's key).
func TestWhatsAppChunkModeConfig(t *testing.T) {
	f, err := config.ParseWith("", []byte(`{channels: {whatsapp: {chunkMode: "newline", accounts: {default: {}, work: {chunkMode: "length"}}}}}`), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	c := &providersComponent{s: &services{log: slog.New(slog.DiscardHandler), paths: config.Paths{StateDir: t.TempDir()}, env: config.MapEnv(nil)}}
	_, accts := c.whatsappAccounts(&f.Config)
	got := map[string]string{}
	keys := map[string]string{}
	for _, a := range accts {
		if a.section.ChunkMode != nil {
			got[a.id] = string(*a.section.ChunkMode)
		}
		keys[a.id] = whatsappKey(a, whatsapp.ReconnectPolicy{})
	}
	if got["default"] != "newline" || got["work"] != "length" {
		t.Fatalf("chunk modes %v", got)
	}
	f, err = config.ParseWith("", []byte(`{channels: {whatsapp: {accounts: {default: {}, work: {chunkMode: "length"}}}}}`), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, accts = c.whatsappAccounts(&f.Config)
	for _, a := range accts {
		if k := whatsappKey(a, whatsapp.ReconnectPolicy{}); (k == keys[a.id]) != (a.id == "work") {
			t.Fatalf("account %s: key %s before %s (chunkMode changed only for default)", a.id, keys[a.id], k)
		}
	}
}

// TestWhatsAppTableModeConfig: channels.whatsapp.markdown.tables reaches every
// account that does not set its own accounts.<id>.markdown.tables.
func TestWhatsAppTableModeConfig(t *testing.T) {
	f, err := config.ParseWith("", []byte(`{channels: {whatsapp: {markdown: {tables: "code"}, accounts: {default: {}, work: {markdown: {tables: "off"}}}}}}`), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	c := &providersComponent{s: &services{log: slog.New(slog.DiscardHandler), paths: config.Paths{StateDir: t.TempDir()}, env: config.MapEnv(nil)}}
	_, accts := c.whatsappAccounts(&f.Config)
	got := map[string]string{}
	for _, a := range accts {
		if m := a.section.Markdown; m != nil && m.Tables != nil {
			got[a.id] = string(*m.Tables)
		}
	}
	if got["default"] != "code" || got["work"] != "off" {
		t.Fatalf("table modes %v", got)
	}
}

// TestHeartbeatVisibilityConfig: each of showOk, showAlerts and useIndicator comes
// from the most specific place that sets it — the WhatsApp account, the channel,
// channels.defaults.heartbeat — else the original's default (silent OKs, alerts and
// indicators on); a reload applies through the live snapshot.
func TestHeartbeatVisibilityConfig(t *testing.T) {
	const raw = `{channels: {defaults: {heartbeat: {useIndicator: false}},
	  whatsapp: {heartbeat: {showOk: true}, accounts: {work: {heartbeat: {showAlerts: false}}}}}}`
	for _, tc := range []struct {
		name, raw, channel, account string
		want                        heartbeat.Visibility
	}{
		{"unset", `{}`, "whatsapp", "", heartbeat.DefaultVisibility},
		{"channel over defaults", raw, "whatsapp", "", heartbeat.Visibility{ShowOk: true, ShowAlerts: true}},
		{"account over channel", raw, "whatsapp", "Work", heartbeat.Visibility{ShowOk: true}},
		{"other channel: defaults only", raw, "telegram", "work", heartbeat.Visibility{ShowAlerts: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := config.ParseWith("", []byte(tc.raw), config.MapEnv(nil))
			if err != nil {
				t.Fatal(err)
			}
			x := &mentionIndex{}
			x.set(f)
			if got := x.heartbeatVisibility(tc.channel, tc.account); got != tc.want {
				t.Fatalf("visibility %+v, want %+v", got, tc.want)
			}
		})
	}
}
