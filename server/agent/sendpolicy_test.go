package agent

import "testing"

func TestSendPolicyDecide(t *testing.T) {
	groups := &SendPolicy{Rules: []SendPolicyRule{{Action: "deny", Channel: "telegram", ChatType: "group"}}}
	onlyOps := &SendPolicy{Default: "deny", Rules: []SendPolicyRule{{KeyPrefix: "agent:main:telegram:group:-100"}, {Action: "allow", ChatType: "dm"}}}
	for _, tc := range []struct {
		name                             string
		p                                *SendPolicy
		override, key, channel, chatType string
		want                             string
	}{
		{"no policy", nil, "", "agent:main:main", "", "", "allow"},
		{"override deny without policy", nil, "deny", "agent:main:main", "", "", "deny"},
		{"override allow beats a deny rule", groups, "allow", "agent:main:telegram:group:-5", "telegram", "group", "allow"},
		{"deny rule matches", groups, "", "agent:main:telegram:group:-5", "telegram", "group", "deny"},
		{"chat type from the key", groups, "", "agent:main:telegram:group:-5", "Telegram", "", "deny"},
		{"other channel", groups, "", "agent:main:whatsapp:group:1@g.us", "whatsapp", "group", "allow"},
		{"direct chat", groups, "", "agent:main:telegram:dm:42", "telegram", "direct", "allow"},
		{"default deny", onlyOps, "", "agent:main:telegram:group:-7", "telegram", "group", "deny"},
		{"allow by prefix", onlyOps, "", "agent:main:telegram:group:-100", "telegram", "group", "allow"},
		{"allow by chat type dm", onlyOps, "", "agent:main:whatsapp:dm:+1", "whatsapp", "direct", "allow"},
		{"unknown override ignored", groups, "maybe", "agent:main:telegram:group:-5", "telegram", "group", "deny"},
		{"first deny wins over a later allow", &SendPolicy{Rules: []SendPolicyRule{{Action: "allow"}, {Action: "deny", Channel: "telegram"}}}, "", "k", "telegram", "", "deny"},
	} {
		if got := tc.p.Decide(tc.override, tc.key, tc.channel, tc.chatType); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
