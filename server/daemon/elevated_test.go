package daemon

import (
	"encoding/json"
	"testing"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agent/tools"
)

// TestElevatedFor: the elevated gate of a run from its config, channel and sender, as
// the original resolves it.
func TestElevatedFor(t *testing.T) {
	alice := agent.SenderInfo{ID: "123", Name: "Alice Smith", Username: "alice_s"}
	for _, tc := range []struct {
		name, cfg, agentTools, channel, session string
		sender                                  agent.SenderInfo
		want                                    tools.Elevated
	}{
		{"no allowFrom", `{}`, ``, "telegram", "", alice, tools.Elevated{Enabled: true}},
		{"by id", `{"tools":{"elevated":{"allowFrom":{"telegram":[123]}}}}`, ``, "telegram", "", alice, tools.Elevated{Enabled: true, Allowed: true, Level: "on"}},
		{"by prefixed id", `{"tools":{"elevated":{"allowFrom":{"telegram":["telegram:123"]}}}}`, ``, "telegram", "", alice, tools.Elevated{Enabled: true, Allowed: true, Level: "on"}},
		{"by @username", `{"tools":{"elevated":{"allowFrom":{"telegram":["@Alice_S"]}}}}`, ``, "telegram", "", alice, tools.Elevated{Enabled: true, Allowed: true, Level: "on"}},
		{"by name slug", `{"tools":{"elevated":{"allowFrom":{"telegram":["alice-smith"]}}}}`, ``, "telegram", "", alice, tools.Elevated{Enabled: true, Allowed: true, Level: "on"}},
		{"other channel", `{"tools":{"elevated":{"allowFrom":{"whatsapp":["*"]}}}}`, ``, "telegram", "", alice, tools.Elevated{Enabled: true}},
		{"wildcard, default level", `{"tools":{"elevated":{"allowFrom":{"telegram":["*"]}}},"agents":{"defaults":{"elevatedDefault":"full"}}}`, ``, "telegram", "", alice,
			tools.Elevated{Enabled: true, Allowed: true, Level: "full"}},
		{"session level wins", `{"tools":{"elevated":{"allowFrom":{"telegram":["*"]}}},"agents":{"defaults":{"elevatedDefault":"full"}}}`, ``, "telegram", "off", alice,
			tools.Elevated{Enabled: true, Allowed: true, Level: "off"}},
		{"disabled", `{"tools":{"elevated":{"enabled":false,"allowFrom":{"telegram":["*"]}}}}`, ``, "telegram", "", alice, tools.Elevated{}},
		{"agent disabled", `{"tools":{"elevated":{"allowFrom":{"telegram":["*"]}}}}`, `{"elevated":{"enabled":false}}`, "telegram", "", alice, tools.Elevated{}},
		{"agent list narrows", `{"tools":{"elevated":{"allowFrom":{"telegram":["*"]}}}}`, `{"elevated":{"allowFrom":{"telegram":["bob"]}}}`, "telegram", "", alice,
			tools.Elevated{Enabled: true}},
		{"no sender", `{"tools":{"elevated":{"allowFrom":{"telegram":["*"]}}}}`, ``, "telegram", "", agent.SenderInfo{}, tools.Elevated{Enabled: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c genconfig.ClawdbotConfig
			if err := json.Unmarshal([]byte(tc.cfg), &c); err != nil {
				t.Fatal(err)
			}
			var e genconfig.ConfigAgentsListElem
			if tc.agentTools != "" {
				if err := json.Unmarshal([]byte(`{"id":"main","tools":`+tc.agentTools+`}`), &e); err != nil {
					t.Fatal(err)
				}
			}
			if got := elevatedFor(&c, e, tc.channel, tc.sender, tc.session); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
