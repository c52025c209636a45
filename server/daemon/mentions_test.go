package daemon

import (
	"testing"

	"github.com/clawgate/gateway/server/access"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/providers"
)

// TestMentionPatternsResolve: the agent a group message is bound to decides the name
// patterns: its own groupChat.mentionPatterns, else messages.groupChat's, else its
// identity's name and emoji; an empty list turns names off. A reload swaps them.
func TestMentionPatternsResolve(t *testing.T) {
	raw := `{
  messages: {groupChat: {mentionPatterns: ["\\bhelper\\b"]}},
  agents: {list: [
    {id: "main", default: true, identity: {name: "Clawd"}},
    {id: "work", identity: {name: "Jeeves", emoji: "🎩"}, groupChat: {mentionPatterns: ["\\bjeeves\\b", "(?<=x)y"]}},
    {id: "quiet", identity: {name: "Shh"}, groupChat: {mentionPatterns: []}},
  ]},
  bindings: [
    {agentId: "work", match: {channel: "telegram", accountId: "work"}},
    {agentId: "quiet", match: {channel: "whatsapp"}},
  ],
}`
	f, err := config.Parse("clawdbot.json", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	var x mentionIndex
	x.set(f)
	tests := []struct {
		name string
		m    providers.Message
		text string
		want bool
	}{
		{"default agent: messages.groupChat", providers.Message{Channel: "telegram", ChatID: "-1", Group: true}, "ask helper", true},
		{"default agent: not its identity (configured list wins)", providers.Message{Channel: "telegram", ChatID: "-1", Group: true}, "ask clawd", false},
		{"work agent: its own list", providers.Message{Channel: "telegram", AccountID: "work", ChatID: "-1", Group: true}, "ask jeeves", true},
		{"work agent: not the global list", providers.Message{Channel: "telegram", AccountID: "work", ChatID: "-1", Group: true}, "ask helper", false},
		{"quiet agent: empty list turns names off", providers.Message{Channel: "whatsapp", ChatID: "g@g.us", Group: true}, "shh, helper", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := access.MatchesMentionPatterns(tt.text, x.patterns(tt.m)); got != tt.want {
				t.Fatalf("%q: %v", tt.text, got)
			}
		})
	}
	// Without configured lists, the identity decides; the reload applies at once.
	f2, err := config.Parse("clawdbot.json", []byte(`{agents: {list: [{id: "main", identity: {name: "Clawd", emoji: "🦞"}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	x.set(f2)
	m := providers.Message{Channel: "telegram", ChatID: "-1", Group: true}
	if !access.MatchesMentionPatterns("yo clawd", x.patterns(m)) || !access.MatchesMentionPatterns("🦞!", x.patterns(m)) ||
		access.MatchesMentionPatterns("ask helper", x.patterns(m)) {
		t.Fatal("identity patterns after reload")
	}
}
