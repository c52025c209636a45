package providers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// DefaultAccountID is the account a channel uses when none is named (the original's).
const DefaultAccountID = "default"

var validAccount = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
var invalidRun = regexp.MustCompile(`[^a-z0-9_-]+`)

// NormalizeAccountID makes an account id path-safe and lowercase as the original:
// empty is "default"; a valid id is lowercased; anything else has runs of other
// characters turned into "-", edges trimmed, cut to 64.
func NormalizeAccountID(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return DefaultAccountID
	}
	if validAccount.MatchString(s) {
		return s
	}
	s = strings.Trim(invalidRun.ReplaceAllString(s, "-"), "-")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		return DefaultAccountID
	}
	return s
}

// AccountLister is a provider that serves one channel through several accounts
// (channels.<id>.accounts): several Telegram bots, several WhatsApp numbers.
type AccountLister interface {
	// AccountIDs lists the accounts, sorted.
	AccountIDs() []string
	// DefaultAccountID is the account used when none is named.
	DefaultAccountID() string
	// Account returns one account's provider ("" = the default account).
	Account(id string) (Provider, error)
}

// Accounts lists a provider's accounts: those of an AccountLister, else the one
// default account.
func Accounts(p Provider) (ids []string, def string) {
	if al, ok := p.(AccountLister); ok {
		return al.AccountIDs(), al.DefaultAccountID()
	}
	return []string{DefaultAccountID}, DefaultAccountID
}

// AccountOf returns the provider of one account of p: an AccountLister's account,
// or p itself for the default account of a single-account provider.
func AccountOf(p Provider, id string) (Provider, string, error) {
	if al, ok := p.(AccountLister); ok {
		id = strings.TrimSpace(id)
		if id == "" {
			id = al.DefaultAccountID()
		}
		id = NormalizeAccountID(id)
		a, err := al.Account(id)
		return a, id, err
	}
	id = NormalizeAccountID(id)
	if id != DefaultAccountID {
		return nil, id, &UnknownAccountError{Channel: p.Name(), AccountID: id, Known: []string{DefaultAccountID}}
	}
	return p, id, nil
}

// UnknownAccountError is an account id a channel does not have.
type UnknownAccountError struct {
	Channel   string
	AccountID string
	Known     []string
}

func (e *UnknownAccountError) Error() string {
	return fmt.Sprintf("%s: unknown account %q (configured: %s)", e.Channel, e.AccountID, strings.Join(e.Known, ", "))
}

// AccountSet serves one channel through several accounts, each its own Provider
// (its own bot token and poller, or its own WhatsApp device store). Sends and polls
// go to the account named in the message, else the default account; status is the
// default account's (the v2 single-channel shape). It is itself a Provider, so the
// Registry and everything above it stay account-agnostic.
type AccountSet struct {
	channel string
	def     string

	mu   sync.RWMutex
	ps   map[string]Provider
	meta map[string]AccountMeta
}

// AccountMeta is what the config says about one account, for status surfaces
// (channels.status): the runtime state comes from the account's provider.
type AccountMeta struct {
	Name    string
	Enabled bool
	// TokenSource is where a Telegram bot token came from: config, tokenFile, env, none.
	TokenSource string
	DMPolicy    string
	AllowFrom   []string
}

// AccountMetaLister is implemented by providers that know their accounts' config.
type AccountMetaLister interface {
	AccountMeta(id string) (AccountMeta, bool)
}

// SetMeta records the config facts of the accounts (by id, normalised).
func (s *AccountSet) SetMeta(meta map[string]AccountMeta) {
	m := make(map[string]AccountMeta, len(meta))
	for id, v := range meta {
		m[NormalizeAccountID(id)] = v
	}
	s.mu.Lock()
	s.meta = m
	s.mu.Unlock()
}

// AccountMeta implements AccountMetaLister.
func (s *AccountSet) AccountMeta(id string) (AccountMeta, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.meta[NormalizeAccountID(id)]
	return m, ok
}

var (
	_ Provider      = (*AccountSet)(nil)
	_ AccountLister = (*AccountSet)(nil)
	_ Poller        = (*AccountSet)(nil)
	_ ReplyStreamer = (*AccountSet)(nil)
)

// NewAccountSet builds a set for channel over accounts (keys normalised); def is the
// default account (normalised; it should be one of the keys).
func NewAccountSet(channel, def string, accounts map[string]Provider) *AccountSet {
	s := &AccountSet{channel: channel, def: NormalizeAccountID(def), ps: map[string]Provider{}}
	for id, p := range accounts {
		s.ps[NormalizeAccountID(id)] = p
	}
	return s
}

// Name implements Provider.
func (s *AccountSet) Name() string { return s.channel }

// AccountIDs implements AccountLister.
func (s *AccountSet) AccountIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.ps))
	for id := range s.ps {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// DefaultAccountID implements AccountLister.
func (s *AccountSet) DefaultAccountID() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.def
}

// SetDefault makes id the default account (a config reload changed it).
func (s *AccountSet) SetDefault(id string) {
	s.mu.Lock()
	s.def = NormalizeAccountID(id)
	s.mu.Unlock()
}

// RemoveAccount takes account id out of the set and returns its provider (nil if
// there was none); the caller stops it.
func (s *AccountSet) RemoveAccount(id string) Provider {
	id = NormalizeAccountID(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.ps[id]
	delete(s.ps, id)
	return old
}

// Account implements AccountLister.
func (s *AccountSet) Account(id string) (Provider, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		id = s.DefaultAccountID()
	}
	id = NormalizeAccountID(id)
	s.mu.RLock()
	p, ok := s.ps[id]
	s.mu.RUnlock()
	if !ok {
		return nil, &UnknownAccountError{Channel: s.channel, AccountID: id, Known: s.AccountIDs()}
	}
	return p, nil
}

// ReplaceAccount puts p in place of account id (adding it when new) and returns the
// one it replaced (nil if none); the caller stops the old one.
func (s *AccountSet) ReplaceAccount(id string, p Provider) Provider {
	id = NormalizeAccountID(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.ps[id]
	s.ps[id] = p
	return old
}

func (s *AccountSet) each(f func(id string, p Provider) error) error {
	var errs []error
	for _, id := range s.AccountIDs() {
		p, err := s.Account(id)
		if err != nil {
			continue
		}
		if err := f(id, p); err != nil {
			errs = append(errs, fmt.Errorf("%s account %s: %w", s.channel, id, err))
		}
	}
	return errors.Join(errs...)
}

// Start implements Provider: every account starts; one that fails does not keep the
// others from starting.
func (s *AccountSet) Start(ctx context.Context) error {
	return s.each(func(_ string, p Provider) error { return p.Start(ctx) })
}

// Stop implements Provider.
func (s *AccountSet) Stop(ctx context.Context) error {
	return s.each(func(_ string, p Provider) error { return p.Stop(ctx) })
}

// Send implements Provider: through m.AccountID's account, else the default.
func (s *AccountSet) Send(ctx context.Context, m Outbound) (Sent, error) {
	p, err := s.Account(m.AccountID)
	if err != nil {
		return Sent{}, Input(err)
	}
	return p.Send(ctx, m)
}

// Status implements Provider: the default account's state.
func (s *AccountSet) Status(ctx context.Context, probe bool) Status {
	p, err := s.Account("")
	if err != nil {
		return Status{ConnState: "not-configured"}
	}
	return p.Status(ctx, probe)
}

// SendPoll implements Poller through the account's provider.
func (s *AccountSet) SendPoll(ctx context.Context, poll Poll) (Sent, error) {
	p, err := s.Account(poll.AccountID)
	if err != nil {
		return Sent{}, Input(err)
	}
	pl, ok := p.(Poller)
	if !ok {
		return Sent{}, Inputf("unsupported poll channel: %s", s.channel)
	}
	return pl.SendPoll(ctx, poll)
}

// OpenReply implements ReplyStreamer through the account's provider.
func (s *AccountSet) OpenReply(ctx context.Context, m Outbound) ReplyStream {
	p, err := s.Account(m.AccountID)
	if err != nil {
		return nil
	}
	if rs, ok := p.(ReplyStreamer); ok {
		return rs.OpenReply(ctx, m)
	}
	return nil
}

// React implements Reactor through the account's provider.
func (s *AccountSet) React(ctx context.Context, r Reaction) error {
	p, err := s.Account(r.AccountID)
	if err != nil {
		return Input(err)
	}
	rc, ok := p.(Reactor)
	if !ok {
		return Inputf("%s: reactions are not supported", s.channel)
	}
	return rc.React(ctx, r)
}

// DeleteMessage implements Deleter through the account's provider.
func (s *AccountSet) DeleteMessage(ctx context.Context, m MessageRef) error {
	p, err := s.Account(m.AccountID)
	if err != nil {
		return Input(err)
	}
	d, ok := p.(Deleter)
	if !ok {
		return Inputf("%s: deleting messages is not supported", s.channel)
	}
	return d.DeleteMessage(ctx, m)
}
