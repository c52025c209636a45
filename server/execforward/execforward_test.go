package execforward

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/providers"
)

type sent struct{ channel, to, account, text string }

type recSender struct {
	mu  sync.Mutex
	got []sent
	ch  chan sent
}

func (s *recSender) Send(_ context.Context, channel string, m providers.Outbound) (providers.Sent, error) {
	v := sent{channel, m.To, m.AccountID, m.Text}
	s.mu.Lock()
	s.got = append(s.got, v)
	s.mu.Unlock()
	s.ch <- v
	return providers.Sent{}, nil
}

func (s *recSender) next(t *testing.T) sent {
	t.Helper()
	select {
	case v := <-s.ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing sent")
		return sent{}
	}
}

func (s *recSender) none(t *testing.T) {
	t.Helper()
	select {
	case v := <-s.ch:
		t.Fatalf("sent %+v", v)
	case <-time.After(50 * time.Millisecond):
	}
}

// fakeTimer fires the expiry by hand.
type fakeTimer struct {
	mu sync.Mutex
	f  func()
	d  time.Duration
}

func (ft *fakeTimer) after(d time.Duration, f func()) func() bool {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.f, ft.d = f, d
	return func() bool { ft.mu.Lock(); defer ft.mu.Unlock(); ft.f = nil; return true }
}

func (ft *fakeTimer) fire() {
	ft.mu.Lock()
	f := ft.f
	ft.mu.Unlock()
	if f != nil {
		f()
	}
}

func ptr(s string) *string { return &s }

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func record(id, key, agent string) execapprove.Record {
	return execapprove.Record{ID: id, CreatedAtMs: now.UnixMilli(), ExpiresAtMs: now.Add(120 * time.Second).UnixMilli(),
		Request: execapprove.RequestPayload{Command: "rm -rf build", Cwd: ptr("/work"), AgentID: ptr(agent), SessionKey: ptr(key)}}
}

func setup(c *Config) (*Forwarder, *recSender, *fakeTimer) {
	s := &recSender{ch: make(chan sent, 16)}
	ft := &fakeTimer{}
	f := New(Options{
		Config: func() *Config { return c },
		SessionTarget: func(_ context.Context, key string) (Target, bool) {
			if key == "agent:main:telegram:42" {
				return Target{Channel: "telegram", Outbound: providers.Outbound{To: "42", AccountID: "default"}}, true
			}
			return Target{}, false
		},
		Sender: s, Now: func() time.Time { return now }, AfterFunc: ft.after,
	})
	return f, s, ft
}

func TestForwardPromptThenOutcome(t *testing.T) {
	f, s, ft := setup(&Config{Enabled: true})
	f.ApprovalRequested(record("a1", "agent:main:telegram:42", "main"))
	p := s.next(t)
	want := "🔒 Exec approval required\nID: a1\nCommand: rm -rf build\nCWD: /work\nAgent: main\nExpires in: 120s\nReply with: /approve <id> allow-once|allow-always|deny"
	if p.channel != "telegram" || p.to != "42" || p.account != "default" || p.text != want {
		t.Fatalf("prompt %+v", p)
	}
	if ft.d != 120*time.Second {
		t.Fatalf("expiry scheduled in %v", ft.d)
	}
	f.ApprovalResolved(execapprove.Resolved{ID: "a1", Decision: execapprove.AllowAlways, ResolvedBy: "telegram:42"})
	if o := s.next(t); o.text != "✅ Exec approval allowed always. Resolved by telegram:42. ID: a1" || o.to != "42" {
		t.Fatalf("outcome %+v", o)
	}
	ft.fire() // stopped: no expiry notice after the outcome
	f.ApprovalResolved(execapprove.Resolved{ID: "a1", Decision: execapprove.Deny})
	s.none(t)
}

func TestForwardExpiry(t *testing.T) {
	f, s, ft := setup(&Config{Enabled: true})
	f.ApprovalRequested(record("a2", "agent:main:telegram:42", "main"))
	s.next(t)
	ft.fire()
	if e := s.next(t); e.text != "⏱️ Exec approval expired. ID: a2" {
		t.Fatalf("expiry %+v", e)
	}
	f.ApprovalResolved(execapprove.Resolved{ID: "a2", Decision: execapprove.Deny}) // too late: nothing
	s.none(t)
}

func TestForwardWhere(t *testing.T) {
	ops := Target{Channel: "whatsapp", Outbound: providers.Outbound{To: "+15550001111"}}
	for _, tc := range []struct {
		name      string
		c         *Config
		key, agnt string
		want      []string // channel:to of each prompt
	}{
		{"off", &Config{}, "agent:main:telegram:42", "main", nil},
		{"nil config", nil, "agent:main:telegram:42", "main", nil},
		{"session", &Config{Enabled: true}, "agent:main:telegram:42", "main", []string{"telegram:42"}},
		{"session without a chat", &Config{Enabled: true}, "agent:main:main", "main", nil},
		{"targets", &Config{Enabled: true, Mode: "targets", Targets: []Target{ops}}, "agent:main:telegram:42", "main", []string{"whatsapp:+15550001111"}},
		{"both, each once", &Config{Enabled: true, Mode: "both", Targets: []Target{ops, ops}}, "agent:main:telegram:42", "main", []string{"telegram:42", "whatsapp:+15550001111"}},
		{"agent filter out", &Config{Enabled: true, AgentFilter: []string{"work"}}, "agent:main:telegram:42", "main", nil},
		{"agent filter from the key", &Config{Enabled: true, AgentFilter: []string{"main"}}, "agent:main:telegram:42", "", []string{"telegram:42"}},
		{"session filter substring", &Config{Enabled: true, SessionFilter: []string{"telegram:"}}, "agent:main:telegram:42", "main", []string{"telegram:42"}},
		{"session filter regexp", &Config{Enabled: true, SessionFilter: []string{`^agent:main:telegram:\d+$`}}, "agent:main:telegram:42", "main", []string{"telegram:42"}},
		{"session filter out", &Config{Enabled: true, SessionFilter: []string{"whatsapp"}}, "agent:main:telegram:42", "main", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, s, _ := setup(tc.c)
			f.ApprovalRequested(record("x", tc.key, tc.agnt))
			var got []string
			for range tc.want {
				v := s.next(t)
				got = append(got, v.channel+":"+v.to)
			}
			s.none(t)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("prompts to %v, want %v", got, tc.want)
			}
		})
	}
}
