package providers_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clawgate/gateway/server/providers"
)

type stub struct {
	name string
	sent []providers.Outbound
}

func (s *stub) Name() string                { return s.name }
func (s *stub) Start(context.Context) error { return nil }
func (s *stub) Stop(context.Context) error  { return nil }
func (s *stub) Status(context.Context, bool) providers.Status {
	return providers.Status{Configured: true}
}
func (s *stub) Send(_ context.Context, m providers.Outbound) (providers.Sent, error) {
	s.sent = append(s.sent, m)
	return providers.Sent{MessageID: s.name + "-1"}, nil
}

func TestRegistryRoutes(t *testing.T) {
	wa, tg := &stub{name: providers.WhatsApp}, &stub{name: providers.Telegram}
	r := providers.NewRegistry(nil, wa, tg)
	for _, c := range []struct {
		channel string
		want    *stub
	}{{"", wa}, {"whatsapp", wa}, {" WhatsApp ", wa}, {"telegram", tg}, {"TELEGRAM", tg}} {
		before := len(c.want.sent)
		if _, err := r.Send(t.Context(), c.channel, providers.Outbound{To: " 1 ", Text: "x"}); err != nil {
			t.Fatalf("%q: %v", c.channel, err)
		}
		if len(c.want.sent) != before+1 || c.want.sent[before].To != "1" {
			t.Fatalf("%q went elsewhere", c.channel)
		}
	}
	var uc *providers.UnknownChannelError
	for _, ch := range []string{"discord", "imsg", "signal"} {
		if _, err := r.Send(t.Context(), ch, providers.Outbound{To: "1", Text: "x"}); !errors.As(err, &uc) || uc.Channel != ch {
			t.Fatalf("%q: %v", ch, err)
		}
	}
	var ie *providers.InputError
	if _, err := r.Send(t.Context(), "telegram", providers.Outbound{To: " ", Text: "x"}); !errors.As(err, &ie) {
		t.Fatalf("empty recipient: %v", err)
	}
	if _, err := r.Send(t.Context(), "telegram", providers.Outbound{To: "1", Text: "  "}); !errors.As(err, &ie) {
		t.Fatalf("empty message: %v", err)
	}
	if _, err := r.SendPoll(t.Context(), "telegram", providers.Poll{To: "1"}); !errors.As(err, &ie) {
		t.Fatalf("poll on a non-poller: %v", err)
	}
	if len(wa.sent)+len(tg.sent) != 5 {
		t.Fatalf("rejected sends reached a provider")
	}
	var nc *providers.NotConfiguredError
	r2 := providers.NewRegistry(nil, providers.Unconfigured{Channel: providers.Telegram, Hint: "set a token"})
	if _, err := r2.Send(t.Context(), "telegram", providers.Outbound{To: "1", Text: "x"}); !errors.As(err, &nc) {
		t.Fatalf("unconfigured: %v", err)
	}
}

func TestAllowList(t *testing.T) {
	norm := func(s string) string { // digits only, like E.164 normalisation
		out := []rune{}
		for _, r := range s {
			if r >= '0' && r <= '9' {
				out = append(out, r)
			}
		}
		return string(out)
	}
	cases := []struct {
		list  []string
		ids   []string
		allow bool
	}{
		{nil, []string{"+1"}, true},                            // empty: everyone (as the original)
		{[]string{"*"}, []string{"+999"}, true},                // wildcard
		{[]string{"+1 555 123"}, []string{"+1555123"}, true},   // normalised
		{[]string{"+1555123"}, []string{"+1555124"}, false},    // other number
		{[]string{"+1555123", "*"}, []string{"+7"}, true},      // wildcard among entries
		{[]string{"+1555123"}, []string{"", "+1555123"}, true}, // any identity
		{[]string{"+1555123"}, []string{""}, false},            // no identity
	}
	for _, c := range cases {
		if got := providers.NewAllowList(c.list, norm).Allows(c.ids...); got != c.allow {
			t.Errorf("%v allows %v = %v, want %v", c.list, c.ids, got, c.allow)
		}
	}
}
