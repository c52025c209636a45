package access

import (
	"slices"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"defaults", Config{}, ""},
		{"open needs star", Config{Account: Account{DMPolicy: DMOpen, AllowFrom: []string{"+1"}}}, `requires allowFrom to include "*"`},
		{"open with star", Config{Account: Account{DMPolicy: DMOpen, AllowFrom: []string{" * "}}}, ""},
		{"bad dm", Config{Account: Account{DMPolicy: "everyone"}}, "dmPolicy"},
		{"bad group", Config{Account: Account{GroupPolicy: "some"}}, "groupPolicy"},
		{"account open without star", Config{Accounts: map[string]Account{"work": {DMPolicy: DMOpen}}}, "accounts.work"},
		{"account inherits star", Config{Account: Account{AllowFrom: []string{"*"}}, Accounts: map[string]Account{"work": {DMPolicy: DMOpen}}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("got %v, want %q", err, c.err)
			}
		})
	}
}

func TestDecideDM(t *testing.T) {
	cases := []struct {
		name string
		acc  Account
		msg  Message
		want Outcome
	}{
		{"default pairing, unknown", Account{}, Message{SenderIDs: []string{"+1555"}}, SendPairingCode},
		{"default pairing, empty allowFrom is not open", Account{AllowFrom: []string{}}, Message{SenderIDs: []string{"+1555"}}, SendPairingCode},
		{"pairing, configured", Account{AllowFrom: []string{"+1555"}}, Message{SenderIDs: []string{"+1555"}}, Deliver},
		{"pairing, approved", Account{}, Message{SenderIDs: []string{"+1555"}, Approved: []string{"+1555"}}, Deliver},
		{"pairing, star", Account{AllowFrom: []string{"*"}}, Message{SenderIDs: []string{"+1"}}, Deliver},
		{"pairing, self", Account{}, Message{FromSelf: true}, Deliver},
		{"allowlist, unknown", Account{DMPolicy: DMAllowlist, AllowFrom: []string{"+2"}}, Message{SenderIDs: []string{"+1"}}, Drop},
		{"allowlist, approved", Account{DMPolicy: DMAllowlist}, Message{SenderIDs: []string{"+1"}, Approved: []string{"+1"}}, Deliver},
		{"allowlist, second identity", Account{DMPolicy: DMAllowlist, AllowFrom: []string{"@Ann"}}, Message{SenderIDs: []string{"42", "@ann"}}, Deliver},
		{"open", Account{DMPolicy: DMOpen, AllowFrom: []string{"*"}}, Message{SenderIDs: []string{"+9"}}, Deliver},
		{"disabled, even allowed", Account{DMPolicy: DMDisabled, AllowFrom: []string{"+1"}}, Message{SenderIDs: []string{"+1"}}, Drop},
		{"disabled, even self", Account{DMPolicy: DMDisabled}, Message{FromSelf: true}, Drop},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Config{Account: c.acc}.Rules("")
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Decide(c.msg); got.Outcome != c.want || got.Reason == "" {
				t.Fatalf("got %v (%s), want %v", got.Outcome, got.Reason, c.want)
			}
		})
	}
}

func TestDecideGroup(t *testing.T) {
	g := func(m Message) Message { m.Group = true; m.GroupID = "g1"; return m }
	cases := []struct {
		name    string
		cfg     Config
		msg     Message
		want    Outcome
		history bool
	}{
		{"default allowlist, nothing configured", Config{}, g(Message{SenderIDs: []string{"+1"}, Mentioned: true}), Drop, false},
		{"allowFrom covers groups", Config{Account: Account{AllowFrom: []string{"+1"}}}, g(Message{SenderIDs: []string{"+1"}, Mentioned: true}), Deliver, false},
		{"groupAllowFrom replaces allowFrom", Config{Account: Account{AllowFrom: []string{"+1"}, GroupAllowFrom: []string{"+2"}}}, g(Message{SenderIDs: []string{"+1"}, Mentioned: true}), Drop, false},
		{"no mention: kept as history", Config{Account: Account{GroupPolicy: GroupOpen}}, g(Message{SenderIDs: []string{"+1"}}), Drop, true},
		{"open with mention", Config{Account: Account{GroupPolicy: GroupOpen}}, g(Message{SenderIDs: []string{"+1"}, Mentioned: true}), Deliver, false},
		{"command bypasses mention", Config{Account: Account{GroupPolicy: GroupOpen}}, g(Message{SenderIDs: []string{"+1"}, Command: true}), Deliver, false},
		{"requireMention false", Config{Account: Account{GroupPolicy: GroupOpen, Groups: map[string]Group{"g1": {RequireMention: ptr(false)}}}}, g(Message{SenderIDs: []string{"+1"}}), Deliver, false},
		{"star group default", Config{Account: Account{GroupPolicy: GroupOpen, Groups: map[string]Group{"*": {RequireMention: ptr(false)}}}}, g(Message{}), Deliver, false},
		{"group own setting beats star", Config{Account: Account{GroupPolicy: GroupOpen, Groups: map[string]Group{"*": {RequireMention: ptr(false)}, "g1": {RequireMention: ptr(true)}}}}, g(Message{}), Drop, true},
		{"groups map is an allowlist", Config{Account: Account{GroupPolicy: GroupOpen, Groups: map[string]Group{"g2": {}}}}, g(Message{Mentioned: true}), Drop, false},
		{"group disabled", Config{Account: Account{GroupPolicy: GroupOpen, Groups: map[string]Group{"g1": {Enabled: ptr(false)}}}}, g(Message{Mentioned: true}), Drop, false},
		{"policy disabled", Config{Account: Account{GroupPolicy: GroupDisabled, AllowFrom: []string{"*"}}}, g(Message{Mentioned: true}), Drop, false},
		{"per-group allowFrom", Config{Account: Account{GroupPolicy: GroupOpen, Groups: map[string]Group{"g1": {AllowFrom: []string{"+5"}}}}}, g(Message{SenderIDs: []string{"+1"}, Mentioned: true}), Drop, false},
		{"approved not in WhatsApp groups", Config{}, g(Message{SenderIDs: []string{"+1"}, Approved: []string{"+1"}, Mentioned: true}), Drop, false},
		{"approved in Telegram groups", Config{ApprovedInGroups: true}, g(Message{SenderIDs: []string{"+1"}, Approved: []string{"+1"}, Mentioned: true}), Deliver, false},
		{"self gets no group exemption", Config{Account: Account{AllowFrom: []string{"+2"}}}, g(Message{FromSelf: true, SenderIDs: []string{"+1"}, Mentioned: true}), Drop, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := c.cfg.Rules("")
			if err != nil {
				t.Fatal(err)
			}
			got := r.Decide(c.msg)
			if got.Outcome != c.want || got.RecordHistory != c.history {
				t.Fatalf("got %v history=%v (%s), want %v history=%v", got.Outcome, got.RecordHistory, got.Reason, c.want, c.history)
			}
		})
	}
}

func TestAccountOverrides(t *testing.T) {
	cfg := Config{
		Account: Account{DMPolicy: DMAllowlist, AllowFrom: []string{"+1"}},
		Accounts: map[string]Account{
			"Work":    {DMPolicy: DMPairing, AllowFrom: []string{"+2"}},
			"default": {GroupPolicy: GroupDisabled},
		},
	}
	r, _ := cfg.Rules("work")
	if r.DMPolicy() != DMPairing || r.Decide(Message{SenderIDs: []string{"+1"}}).Outcome != SendPairingCode || r.Decide(Message{SenderIDs: []string{"+2"}}).Outcome != Deliver {
		t.Fatal("work account override not applied")
	}
	r, _ = cfg.Rules("")
	if r.DMPolicy() != DMAllowlist || r.GroupPolicy() != GroupDisabled {
		t.Fatalf("default account: %v %v", r.DMPolicy(), r.GroupPolicy())
	}
	r, _ = cfg.Rules("other")
	if r.GroupPolicy() != GroupAllowlist || r.Decide(Message{SenderIDs: []string{"+1"}}).Outcome != Deliver {
		t.Fatal("unknown account must use the channel settings")
	}
}

func TestNormalize(t *testing.T) {
	digits := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	r, _ := Config{Account: Account{DMPolicy: DMAllowlist, AllowFrom: []string{"+1 (555) 123"}}, Normalize: digits}.Rules("")
	if r.Decide(Message{SenderIDs: []string{"1555123"}}).Outcome != Deliver {
		t.Fatal("normaliser not applied to both sides")
	}
}

func TestCommandAuthorized(t *testing.T) {
	g := func(m Message) Message { m.Group = true; m.GroupID = "g1"; return m }
	cases := []struct {
		name string
		cfg  Config
		msg  Message
		want bool
	}{
		{"direct chat, sender on allowFrom", Config{Account: Account{AllowFrom: []string{"+1"}}}, Message{SenderIDs: []string{"+1"}}, true},
		{"direct chat, sender approved by pairing", Config{Account: Account{AllowFrom: []string{"+2"}}}, Message{SenderIDs: []string{"+1"}, Approved: []string{"+1"}}, true},
		{"direct chat, open dm policy", Config{Account: Account{DMPolicy: DMOpen, AllowFrom: []string{"*"}}}, Message{SenderIDs: []string{"+9"}}, true},
		{"direct chat, no list: the linked account itself", Config{}, Message{SenderIDs: []string{"+5"}, FromSelf: true}, true},
		{"direct chat, no list: not others", Config{}, Message{SenderIDs: []string{"+5"}}, false},
		{"direct chat, only approvals: the linked account still may", Config{}, Message{SenderIDs: []string{"+5"}, FromSelf: true, Approved: []string{"+1"}}, true},
		{"direct chat, allowFrom without the linked account", Config{Account: Account{AllowFrom: []string{"+1"}}}, Message{SenderIDs: []string{"+5"}, FromSelf: true}, false},
		{"open group, no lists: nobody", Config{Account: Account{GroupPolicy: GroupOpen}}, g(Message{SenderIDs: []string{"+1"}}), false},
		{"open group, no lists, useAccessGroups false: everyone", Config{Account: Account{GroupPolicy: GroupOpen}, CommandsBypassAccess: true}, g(Message{SenderIDs: []string{"+1"}}), true},
		{"open group, sender not on allowFrom", Config{Account: Account{GroupPolicy: GroupOpen, AllowFrom: []string{"+2"}}}, g(Message{SenderIDs: []string{"+1"}}), false},
		{"open group, sender on allowFrom", Config{Account: Account{GroupPolicy: GroupOpen, AllowFrom: []string{"+1"}}}, g(Message{SenderIDs: []string{"+1"}}), true},
		{"groupAllowFrom", Config{Account: Account{AllowFrom: []string{"+2"}, GroupAllowFrom: []string{"+1"}}}, g(Message{SenderIDs: []string{"+1"}}), true},
		{"star", Config{Account: Account{GroupPolicy: GroupOpen, AllowFrom: []string{"*"}}}, g(Message{SenderIDs: []string{"+9"}}), true},
		{"per-group allowFrom", Config{Account: Account{GroupPolicy: GroupOpen, AllowFrom: []string{"+2"}, Groups: map[string]Group{"g1": {AllowFrom: []string{"+1"}}}}}, g(Message{SenderIDs: []string{"+1"}}), true},
		{"approved, in groups (Telegram)", Config{Account: Account{GroupPolicy: GroupOpen, AllowFrom: []string{"+2"}}, ApprovedInGroups: true}, g(Message{SenderIDs: []string{"+1"}, Approved: []string{"+1"}}), true},
		{"approved, not in groups (WhatsApp)", Config{Account: Account{GroupPolicy: GroupOpen, AllowFrom: []string{"+2"}}}, g(Message{SenderIDs: []string{"+1"}, Approved: []string{"+1"}}), false},
		{"owners: paired sender is not an owner", Config{Account: Account{AllowFrom: []string{"+2"}}, OwnerCommands: true}, Message{SenderIDs: []string{"+1"}, Approved: []string{"+1"}}, false},
		{"owners: the owner", Config{Account: Account{AllowFrom: []string{"+2"}}, OwnerCommands: true}, Message{SenderIDs: []string{"+2"}}, true},
		{"owners: no allowFrom, paired senders may", Config{OwnerCommands: true}, Message{SenderIDs: []string{"+1"}, Approved: []string{"+1"}}, true},
		{"owners: star makes everyone an owner", Config{Account: Account{DMPolicy: DMOpen, AllowFrom: []string{"*"}}, OwnerCommands: true}, Message{SenderIDs: []string{"+7"}}, true},
		{"owners: groupAllowFrom sender is not an owner", Config{Account: Account{AllowFrom: []string{"+2"}, GroupAllowFrom: []string{"+1"}}, OwnerCommands: true}, g(Message{SenderIDs: []string{"+1"}}), false},
		{"owners: useAccessGroups false keeps the owner rule", Config{Account: Account{AllowFrom: []string{"+2"}}, OwnerCommands: true, CommandsBypassAccess: true}, Message{SenderIDs: []string{"+1"}, Approved: []string{"+1"}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := c.cfg.Rules("")
			if err != nil {
				t.Fatal(err)
			}
			if got := r.CommandAuthorized(c.msg); got != c.want {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestDecideForumTopic: a forum topic ("<chat>:topic:<thread>") uses its own entry
// when there is one, else its chat's, else "*:topic:<thread>" or the "*" rules.
func TestDecideForumTopic(t *testing.T) {
	topic := func(id string, m Message) Message { m.Group = true; m.GroupID = id; return m }
	open := func(groups map[string]Group) Config {
		return Config{Account: Account{GroupPolicy: GroupOpen, Groups: groups}}
	}
	cases := []struct {
		name string
		cfg  Config
		msg  Message
		want Outcome
	}{
		{"topic takes its chat's entry", open(map[string]Group{"g1": {RequireMention: ptr(false)}}), topic("g1:topic:7", Message{}), Deliver},
		{"topic's own entry wins", open(map[string]Group{"g1": {RequireMention: ptr(false)}, "g1:topic:7": {RequireMention: ptr(true)}}), topic("g1:topic:7", Message{}), Drop},
		{"disabled topic", open(map[string]Group{"g1": {RequireMention: ptr(false)}, "g1:topic:9": {Enabled: ptr(false)}}), topic("g1:topic:9", Message{Mentioned: true}), Drop},
		{"other topic unaffected", open(map[string]Group{"g1": {RequireMention: ptr(false)}, "g1:topic:9": {Enabled: ptr(false)}}), topic("g1:topic:8", Message{}), Deliver},
		{"unlisted chat's topic", open(map[string]Group{"g2": {}}), topic("g1:topic:7", Message{Mentioned: true}), Drop},
		{"star topic", open(map[string]Group{"*": {RequireMention: ptr(false)}, "*:topic:7": {Enabled: ptr(false)}}), topic("g1:topic:7", Message{}), Drop},
		{"star topic not for a listed chat", open(map[string]Group{"g1": {RequireMention: ptr(false)}, "*:topic:7": {Enabled: ptr(false)}}), topic("g1:topic:7", Message{}), Deliver},
		{"topic allowFrom", open(map[string]Group{"g1": {RequireMention: ptr(false)}, "g1:topic:7": {RequireMention: ptr(false), AllowFrom: []string{"+5"}}}), topic("g1:topic:7", Message{SenderIDs: []string{"+1"}}), Drop},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := c.cfg.Rules("")
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Decide(c.msg); got.Outcome != c.want {
				t.Fatalf("got %v (%s), want %v", got.Outcome, got.Reason, c.want)
			}
		})
	}
}

func TestOwners(t *testing.T) {
	for _, c := range []struct {
		allow []string
		want  []string
	}{
		{nil, nil},
		{[]string{"*"}, nil},
		{[]string{"+1555", "*"}, nil},
		{[]string{" +1555 ", "+1666", "+1555"}, []string{"+1555", "+1666"}},
	} {
		r, err := Config{Account: Account{DMPolicy: DMAllowlist, AllowFrom: c.allow}}.Rules("")
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Owners(); !slices.Equal(got, c.want) {
			t.Errorf("Owners(%q) = %q, want %q", c.allow, got, c.want)
		}
	}
}
