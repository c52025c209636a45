package providers

import (
	"context"
	"errors"
	"testing"
)

// recorder is a Provider that records what it sent.
type recorder struct {
	name string
	sent []Outbound
	st   Status
}

func (r *recorder) Name() string                { return r.name }
func (r *recorder) Start(context.Context) error { return nil }
func (r *recorder) Stop(context.Context) error  { return nil }
func (r *recorder) Status(context.Context, bool) Status {
	return r.st
}
func (r *recorder) Send(_ context.Context, m Outbound) (Sent, error) {
	r.sent = append(r.sent, m)
	return Sent{MessageID: r.name}, nil
}

func TestNormalizeAccountID(t *testing.T) {
	for in, want := range map[string]string{"": "default", "  ": "default", "Work": "work", "my bot!": "my-bot", "a_b-c": "a_b-c", "--": "default"} {
		if got := NormalizeAccountID(in); got != want {
			t.Errorf("NormalizeAccountID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAccountSet(t *testing.T) {
	def, work := &recorder{name: "def", st: Status{Configured: true, Username: "home_bot"}}, &recorder{name: "work"}
	s := NewAccountSet(Telegram, "default", map[string]Provider{"default": def, "Work": work})
	reg := NewRegistry(nil, s)
	for _, tc := range []struct {
		account string
		want    string
	}{{"", "def"}, {"default", "def"}, {"work", "work"}, {" WORK ", "work"}} {
		got, err := reg.Send(t.Context(), Telegram, Outbound{To: "1", Text: "x", AccountID: tc.account})
		if err != nil || got.MessageID != tc.want {
			t.Errorf("account %q: sent through %q (%v), want %q", tc.account, got.MessageID, err, tc.want)
		}
	}
	_, err := reg.Send(t.Context(), Telegram, Outbound{To: "1", Text: "x", AccountID: "other"})
	var ie *InputError
	var ua *UnknownAccountError
	if !errors.As(err, &ie) || !errors.As(err, &ua) || ua.AccountID != "other" || len(ua.Known) != 2 {
		t.Fatalf("unknown account: %v", err)
	}
	if ids, d := Accounts(s); len(ids) != 2 || ids[0] != "default" || ids[1] != "work" || d != "default" {
		t.Fatalf("accounts %v default %q", ids, d)
	}
	if st := s.Status(t.Context(), false); st.Username != "home_bot" {
		t.Fatalf("status is not the default account's: %+v", st)
	}
	// A single-account provider has the default account only.
	if p, id, err := AccountOf(def, ""); p != def || id != "default" || err != nil {
		t.Fatalf("AccountOf single: %v %q %v", p, id, err)
	}
	if _, _, err := AccountOf(def, "work"); !errors.As(err, &ua) {
		t.Fatalf("AccountOf single, other account: %v", err)
	}
	// Replacing one account leaves the other.
	repl := &recorder{name: "work2"}
	if old := s.ReplaceAccount("work", repl); old != work {
		t.Fatal("ReplaceAccount returned the wrong provider")
	}
	if got, _ := reg.Send(t.Context(), Telegram, Outbound{To: "1", Text: "x", AccountID: "work"}); got.MessageID != "work2" {
		t.Fatalf("after replace: %q", got.MessageID)
	}
	if got, _ := reg.Send(t.Context(), Telegram, Outbound{To: "1", Text: "x"}); got.MessageID != "def" {
		t.Fatalf("default after replace: %q", got.MessageID)
	}
}

// A reload removes accounts and moves the default: sends without an account go to
// the new default, sends to a removed account fail as unknown.
func TestAccountSetRemoveAndSetDefault(t *testing.T) {
	a, b := &recorder{name: "a"}, &recorder{name: "b"}
	s := NewAccountSet(WhatsApp, "a", map[string]Provider{"a": a, "b": b})
	if got := s.RemoveAccount("A"); got != a {
		t.Fatalf("RemoveAccount returned %v, want a", got)
	}
	if got := s.RemoveAccount("a"); got != nil {
		t.Fatalf("second RemoveAccount returned %v", got)
	}
	s.SetDefault("B")
	if s.DefaultAccountID() != "b" || len(s.AccountIDs()) != 1 {
		t.Fatalf("default %q accounts %q", s.DefaultAccountID(), s.AccountIDs())
	}
	if sent, err := s.Send(context.Background(), Outbound{To: "x"}); err != nil || sent.MessageID != "b" {
		t.Fatalf("send to the default: %+v %v", sent, err)
	}
	var unknown *UnknownAccountError
	if _, err := s.Send(context.Background(), Outbound{To: "x", AccountID: "a"}); !errors.As(err, &unknown) {
		t.Fatalf("send to a removed account: %v", err)
	}
}
