package sessionreset

import (
	"encoding/json"
	"testing"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

func cfg(t *testing.T, js string) Config {
	t.Helper()
	var c genconfig.ClawdbotConfig
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	return FromConfig(&c)
}

func TestPolicy(t *testing.T) {
	tests := []struct {
		name    string
		config  string
		typ     Type
		channel string
		want    Policy
	}{
		{"defaults", `{}`, DM, "", Policy{Mode: Daily, AtHour: 4}},
		{"no session section", `{"gateway":{}}`, Group, "telegram", Policy{Mode: Daily, AtHour: 4}},
		{"base hour", `{"session":{"reset":{"atHour":6}}}`, DM, "", Policy{Mode: Daily, AtHour: 6}},
		{"base idle mode gets 60 min", `{"session":{"reset":{"mode":"idle"}}}`, DM, "", Policy{Mode: Idle, AtHour: 4, IdleMinutes: 60}},
		{"daily with idle minutes: both", `{"session":{"reset":{"atHour":3,"idleMinutes":30}}}`, DM, "", Policy{Mode: Daily, AtHour: 3, IdleMinutes: 30}},
		{"legacy idleMinutes alone means idle", `{"session":{"idleMinutes":15}}`, DM, "", Policy{Mode: Idle, AtHour: 4, IdleMinutes: 15}},
		{"legacy idleMinutes beside reset keeps daily", `{"session":{"idleMinutes":15,"reset":{"atHour":5}}}`, DM, "", Policy{Mode: Daily, AtHour: 5, IdleMinutes: 15}},
		{"by type over base, key by key", `{"session":{"reset":{"atHour":5},"resetByType":{"group":{"mode":"idle","idleMinutes":120}}}}`, Group, "whatsapp", Policy{Mode: Idle, AtHour: 5, IdleMinutes: 120}},
		{"by type for another type", `{"session":{"reset":{"atHour":5},"resetByType":{"group":{"mode":"idle"}}}}`, DM, "whatsapp", Policy{Mode: Daily, AtHour: 5}},
		{"by channel replaces the rest", `{"session":{"idleMinutes":9,"reset":{"atHour":5},"resetByType":{"dm":{"mode":"idle"}},"resetByChannel":{"Telegram":{"atHour":7}}}}`, DM, "telegram", Policy{Mode: Daily, AtHour: 7}},
		{"by channel, other channel", `{"session":{"resetByChannel":{"telegram":{"mode":"idle","idleMinutes":5}}}}`, DM, "whatsapp", Policy{Mode: Daily, AtHour: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cfg(t, tt.config).Policy(tt.typ, tt.channel); got != tt.want {
				t.Fatalf("Policy = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestStale(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, loc) }
	daily := Policy{Mode: Daily, AtHour: 4}
	idle := Policy{Mode: Idle, AtHour: 4, IdleMinutes: 30}
	both := Policy{Mode: Daily, AtHour: 4, IdleMinutes: 30}
	tests := []struct {
		name         string
		p            Policy
		updated, now time.Time
		stale        bool
		why          string
	}{
		{"daily: same day after the hour", daily, at(6, 5, 0), at(6, 23, 0), false, ""},
		{"daily: yesterday evening, now after 4", daily, at(5, 22, 0), at(6, 4, 0), true, "daily"},
		{"daily: yesterday evening, now before 4", daily, at(5, 22, 0), at(6, 3, 59), false, ""},
		{"daily: before 4 today, now after", daily, at(6, 3, 0), at(6, 9, 0), true, "daily"},
		{"daily ignores idle time", daily, at(6, 5, 0), at(6, 23, 59), false, ""},
		{"idle: within", idle, at(6, 5, 0), at(6, 5, 30), false, ""},
		{"idle: past", idle, at(6, 5, 0), at(6, 5, 31), true, "idle"},
		{"idle ignores the hour", idle, at(5, 23, 50), at(6, 0, 10), false, ""},
		{"both: idle first", both, at(6, 5, 0), at(6, 6, 0), true, "idle"},
		{"both: daily first", both, at(6, 3, 50), at(6, 4, 1), true, "daily"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stale, why := tt.p.Stale(tt.updated, tt.now)
			if stale != tt.stale || why != tt.why {
				t.Fatalf("Stale = %v %q, want %v %q", stale, why, tt.stale, tt.why)
			}
		})
	}
}

func TestTypeOf(t *testing.T) {
	tests := []struct {
		key, chatType string
		want          Type
	}{
		{"agent:main:main", "", DM},
		{"agent:main:telegram:42", "direct", DM},
		{"agent:main:whatsapp:group:123@g.us", "", Group},
		{"agent:main:telegram:group:-100", "group", Group},
		{"agent:main:slack:channel:c1", "", Group},
		{"agent:main:telegram:group:-100:topic:7", "group", Thread},
		{"agent:main:x", "group", Group},
	}
	for _, tt := range tests {
		if got := TypeOf(tt.key, tt.chatType); got != tt.want {
			t.Errorf("TypeOf(%q, %q) = %q, want %q", tt.key, tt.chatType, got, tt.want)
		}
	}
}

func TestTriggers(t *testing.T) {
	if got := FromConfig(nil).Triggers; len(got) != 2 || got[0] != "/new" || got[1] != "/reset" {
		t.Fatalf("default triggers %q", got)
	}
	c := cfg(t, `{"session":{"resetTriggers":["/fresh"," ","Start Over"]}}`)
	tests := []struct {
		text, rest string
		ok         bool
	}{
		{"/fresh", "", true},
		{"  /FRESH  ", "", true},
		{"/fresh tell me a joke", "tell me a joke", true},
		{"/freshly baked", "", false},
		{"start over please", "please", true},
		{"please start over", "", false},
		{"/new", "", false}, // configured triggers replace the defaults here; /new itself is a command
	}
	for _, tt := range tests {
		rest, ok := MatchTrigger(tt.text, c.Triggers)
		if ok != tt.ok || rest != tt.rest {
			t.Errorf("MatchTrigger(%q) = %q %v, want %q %v", tt.text, rest, ok, tt.rest, tt.ok)
		}
	}
}
