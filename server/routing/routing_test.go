package routing

import (
	"encoding/json"
	"fmt"
	"testing"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

func cfg(t *testing.T, s string) *genconfig.ClawdbotConfig {
	t.Helper()
	var c genconfig.ClawdbotConfig
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func TestResolve(t *testing.T) {
	c := cfg(t, `{
  "agents": {"list": [{"id": "home", "default": true}, {"id": "work"}, {"id": "ops"}, {"id": "vip"}]},
  "bindings": [
    {"agentId": "work", "match": {"channel": "telegram", "accountId": "workbot"}},
    {"agentId": "vip", "match": {"channel": "telegram", "accountId": "*", "peer": {"kind": "dm", "id": "777"}}},
    {"agentId": "ops", "match": {"channel": "whatsapp", "accountId": "*"}},
    {"agentId": "ghost", "match": {"channel": "telegram", "accountId": "ghostbot"}},
    {"agentId": "work", "match": {"channel": "discord", "guildId": "g1"}},
    {"agentId": "ops", "match": {"channel": "slack", "teamId": "t1"}}
  ]
}`)
	dm := func(id string) *Peer { return &Peer{Kind: PeerDM, ID: id} }
	tests := []struct {
		name  string
		in    Input
		agent string
		by    string
		key   string
	}{
		{"account binding", Input{Channel: "telegram", AccountID: "workbot", Peer: dm("42")}, "work", ByAccount, "agent:work:telegram:42"},
		{"account id normalised", Input{Channel: "Telegram", AccountID: " WorkBot ", Peer: dm("42")}, "work", ByAccount, "agent:work:telegram:42"},
		{"peer wins over account", Input{Channel: "telegram", AccountID: "workbot", Peer: dm("777")}, "vip", ByPeer, "agent:vip:telegram:777"},
		{"default account, no binding", Input{Channel: "telegram", Peer: dm("42")}, "home", ByDefault, "agent:main:telegram:42"},
		{"any-account binding", Input{Channel: "whatsapp", AccountID: "second", Peer: dm("+15550001")}, "ops", ByChannel, "agent:ops:whatsapp:+15550001"},
		{"unknown agent falls back to default", Input{Channel: "telegram", AccountID: "ghostbot", Peer: dm("1")}, "home", ByAccount, "agent:main:telegram:1"},
		{"group", Input{Channel: "telegram", AccountID: "workbot", Peer: &Peer{Kind: PeerGroup, ID: "-100"}}, "work", ByAccount, "agent:work:telegram:group:-100"},
		{"guild", Input{Channel: "discord", GuildID: "g1", Peer: &Peer{Kind: PeerChannel, ID: "C9"}}, "work", ByGuild, "agent:work:discord:channel:c9"},
		{"team", Input{Channel: "slack", TeamID: "t1"}, "ops", ByTeam, "agent:ops:main"},
		{"other account unbound", Input{Channel: "telegram", AccountID: "other", Peer: dm("5")}, "home", ByDefault, "agent:main:telegram:5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Resolve(c, tt.in, Options{})
			if r.AgentID != tt.agent || r.MatchedBy != tt.by || r.SessionKey != tt.key {
				t.Fatalf("got agent %q by %q key %q; want %q %q %q", r.AgentID, r.MatchedBy, r.SessionKey, tt.agent, tt.by, tt.key)
			}
		})
	}
}

func TestSessionKeyScopes(t *testing.T) {
	c := cfg(t, `{"agents": {"list": [{"id": "home", "default": true}, {"id": "work"}]}}`)
	peer := &Peer{Kind: PeerDM, ID: "User1"}
	tests := []struct {
		agent string
		o     Options
		want  string
	}{
		{"work", Options{}, "agent:work:telegram:user1"},
		{"work", Options{DMScope: "main"}, "agent:work:main"},
		{"work", Options{DMScope: "main", MainKey: "Home"}, "agent:work:home"},
		{"work", Options{DMScope: "per-peer"}, "agent:work:dm:user1"},
		{"work", Options{DMScope: "per-channel-peer"}, "agent:work:telegram:dm:user1"},
		{"work", Options{Global: true}, "agent:work:main"},
		{"home", Options{DMScope: "per-peer"}, "agent:main:dm:user1"},
	}
	for _, tt := range tests {
		if got := SessionKey(c, tt.agent, "telegram", peer, tt.o); got != tt.want {
			t.Errorf("SessionKey(%s, %+v) = %q, want %q", tt.agent, tt.o, got, tt.want)
		}
	}
}

func TestResolveNoAgentsList(t *testing.T) {
	c := cfg(t, `{"bindings": [{"agentId": "Work", "match": {"channel": "telegram"}}]}`)
	// An empty binding account matches the default account only.
	if r := Resolve(c, Input{Channel: "telegram", Peer: &Peer{Kind: PeerDM, ID: "1"}}, Options{}); r.AgentID != "work" || r.SessionKey != "agent:work:telegram:1" {
		t.Fatalf("default account: %+v", r)
	}
	if r := Resolve(c, Input{Channel: "telegram", AccountID: "b", Peer: &Peer{Kind: PeerDM, ID: "1"}}, Options{}); r.AgentID != "main" || r.SessionKey != "agent:main:telegram:1" {
		t.Fatalf("other account: %+v", r)
	}
}

// BenchmarkResolve: routing one inbound message through 50 bindings (the per-message
// cost the agent runtime adds to every inbound message).
func BenchmarkResolve(b *testing.B) {
	var c genconfig.ClawdbotConfig
	raw := `{"agents": {"list": [{"id": "home", "default": true}, {"id": "work"}]}, "bindings": [`
	for i := range 50 {
		if i > 0 {
			raw += ","
		}
		raw += fmt.Sprintf(`{"agentId": "work", "match": {"channel": "telegram", "accountId": "acct%d", "peer": {"kind": "dm", "id": "%d"}}}`, i, i)
	}
	raw += `]}`
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		b.Fatal(err)
	}
	in := Input{Channel: "telegram", AccountID: "acct49", Peer: &Peer{Kind: PeerDM, ID: "49"}}
	b.ReportAllocs()
	for b.Loop() {
		if r := Resolve(&c, in, Options{}); r.AgentID != "work" {
			b.Fatal(r)
		}
	}
}

// TestIdentityLinks: session.identityLinks folds one person's ids on several channels
// into one DM session under dmScope per-peer (and per channel under
// per-channel-peer); "main" and this gateway's unset default ignore the links, as do
// groups.
func TestIdentityLinks(t *testing.T) {
	const links = `"identityLinks": {"Alice": ["+15551234567", "Telegram:42"], "bob": ["7"]}`
	tests := []struct {
		name, scope, channel string
		peer                 Peer
		want                 string
	}{
		{"whatsapp number", "per-peer", "whatsapp", Peer{Kind: PeerDM, ID: "+15551234567"}, "agent:main:dm:alice"},
		{"telegram scoped id", "per-peer", "telegram", Peer{Kind: PeerDM, ID: "42"}, "agent:main:dm:alice"},
		{"scoped id on another channel", "per-peer", "discord", Peer{Kind: PeerDM, ID: "42"}, "agent:main:dm:42"},
		{"bare id any channel", "per-peer", "discord", Peer{Kind: PeerDM, ID: "7"}, "agent:main:dm:bob"},
		{"per-channel-peer", "per-channel-peer", "telegram", Peer{Kind: PeerDM, ID: "42"}, "agent:main:telegram:dm:alice"},
		{"unlinked", "per-peer", "telegram", Peer{Kind: PeerDM, ID: "43"}, "agent:main:dm:43"},
		{"main scope", "main", "telegram", Peer{Kind: PeerDM, ID: "42"}, "agent:main:main"},
		{"group", "per-peer", "telegram", Peer{Kind: PeerGroup, ID: "7"}, "agent:main:telegram:group:7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg(t, `{"session": {"dmScope": "`+tt.scope+`", `+links+`}}`)
			r := Resolve(c, Input{Channel: tt.channel, Peer: &tt.peer}, OptionsFrom(c))
			if r.SessionKey != tt.want {
				t.Fatalf("session key %q, want %q", r.SessionKey, tt.want)
			}
		})
	}
	c := cfg(t, `{"session": {`+links+`}}`)
	if r := Resolve(c, Input{Channel: "telegram", Peer: &Peer{Kind: PeerDM, ID: "42"}}, OptionsFrom(c)); r.SessionKey != "agent:main:telegram:42" {
		t.Fatalf("unset dmScope: %q", r.SessionKey)
	}
}
