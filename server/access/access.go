// Package access decides whether an inbound WhatsApp or Telegram message reaches the
// agent: the DM policy (pairing by default: an unknown sender gets a pairing code and
// nothing else happens), the group policy (allowlist by default), per-group settings
// (enabled, requireMention, allowFrom) and per-account overrides. Decide is pure: the
// caller supplies the sender's identities, the approved senders from the pairing store
// and whether the bot was mentioned (see the Mentioned* helpers), and acts on the
// Decision.
package access

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DMPolicy is channels.<id>.dmPolicy.
type DMPolicy string

// DM policies.
const (
	DMPairing   DMPolicy = "pairing"   // unknown senders get a pairing code (default)
	DMAllowlist DMPolicy = "allowlist" // unknown senders are dropped
	DMOpen      DMPolicy = "open"      // everyone; allowFrom must contain "*"
	DMDisabled  DMPolicy = "disabled"  // no DMs at all
)

// GroupPolicy is channels.<id>.groupPolicy.
type GroupPolicy string

// Group policies.
const (
	GroupAllowlist GroupPolicy = "allowlist" // only senders in groupAllowFrom/allowFrom (default)
	GroupOpen      GroupPolicy = "open"      // any sender; mention gating still applies
	GroupDisabled  GroupPolicy = "disabled"  // no group messages
)

// Wildcard in an allow list admits everyone; as a group id it is the default group.
const Wildcard = "*"

// Group is channels.<id>.groups.<groupId>.
type Group struct {
	// Enabled false ignores the group entirely (Telegram).
	Enabled *bool
	// RequireMention: only messages that mention the bot are answered (default true).
	RequireMention *bool
	// AllowFrom replaces the group sender allowlist for this group (Telegram).
	AllowFrom []string
}

// Account holds the access settings of a channel or of one of its accounts. In an
// account override, empty fields inherit the channel's.
type Account struct {
	DMPolicy       DMPolicy
	AllowFrom      []string
	GroupPolicy    GroupPolicy
	GroupAllowFrom []string
	// Groups, when not empty, is also the list of groups the bot takes part in
	// (unless it has a "*" entry, whose settings are the defaults for other groups).
	Groups map[string]Group
}

// Config is one channel's access configuration.
type Config struct {
	Account
	// Accounts are per-account overrides (channels.<id>.accounts.<accountId>).
	Accounts map[string]Account
	// Normalize maps an allow-list entry or a sender identity to its comparable form
	// (E.164 for WhatsApp, "@user"/digits for Telegram). nil: trimmed, lower-case.
	Normalize func(string) string
	// ApprovedInGroups: senders approved through pairing also pass the group sender
	// allowlist (the original does this for Telegram, not for WhatsApp).
	ApprovedInGroups bool
	// OwnerCommands: when allowFrom names specific senders (no "*"), only those owners
	// may run chat commands, also in chats others may talk in (the original enforces
	// this for WhatsApp: a sender approved through pairing talks to the agent but
	// cannot /reset it).
	OwnerCommands bool
	// CommandsBypassAccess is commands.useAccessGroups false: every sender admitted
	// to the chat may run commands (the owner rule still applies).
	CommandsBypassAccess bool
}

// Outcome is what to do with a message.
type Outcome int

// Outcomes.
const (
	Drop            Outcome = iota // ignore (Reason says why)
	Deliver                        // hand to the agent
	SendPairingCode                // DM from an unknown sender under dmPolicy pairing: upsert a pairing request, reply with the code only if it was created
)

func (o Outcome) String() string {
	switch o {
	case Deliver:
		return "deliver"
	case SendPairingCode:
		return "pairing"
	default:
		return "drop"
	}
}

// Decision is the result of Decide.
type Decision struct {
	Outcome Outcome
	// Reason is a short log-friendly explanation ("dm-disabled", "no-mention", ...).
	Reason string
	// RecordHistory: a group message skipped only for lack of a mention; keep it in
	// the group's recent history so a later mention sees it.
	RecordHistory bool
}

// Message is what Decide needs to know about an inbound message.
type Message struct {
	AccountID string
	Group     bool
	GroupID   string // chat id / group JID
	// SenderIDs are the sender's identities (phone number, user id, @username).
	SenderIDs []string
	// FromSelf: sent by the linked account itself (WhatsApp self-chat); always allowed
	// in DMs, no exemption in groups.
	FromSelf bool
	// Mentioned: the bot was mentioned or replied to (see MentionedWhatsApp,
	// MentionedTelegram).
	Mentioned bool
	// AnyMention: the message @mentions someone explicitly (WhatsApp mentionedJid,
	// Telegram @username entities). Then only a mention of the bot counts: its name
	// patterns are not tried, as in the original.
	AnyMention bool
	// Command: the text is a bot command; it bypasses mention gating for a sender
	// who passed the group allowlist.
	Command bool
	// Approved are the senders approved through pairing (the allow-from store).
	Approved []string
}

// Rules are the effective settings for one account.
type Rules struct {
	dm             DMPolicy
	group          GroupPolicy
	allow          []string
	groupAllow     []string
	groups         map[string]Group
	norm           func(string) string
	approvedGroups bool
	ownerCommands  bool
	bypassCommands bool
}

// Validate checks every account's settings (known policy names; "open" needs "*").
func (c Config) Validate() error {
	var errs []error
	if _, err := c.Rules(""); err != nil {
		errs = append(errs, err)
	}
	for id := range c.Accounts {
		if _, err := c.Rules(id); err != nil {
			errs = append(errs, fmt.Errorf("accounts.%s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// Rules resolves the settings of accountID ("" or an unknown account: the channel's).
func (c Config) Rules(accountID string) (*Rules, error) {
	a := c.Account
	if o, ok := c.account(accountID); ok {
		if o.DMPolicy != "" {
			a.DMPolicy = o.DMPolicy
		}
		if o.AllowFrom != nil {
			a.AllowFrom = o.AllowFrom
		}
		if o.GroupPolicy != "" {
			a.GroupPolicy = o.GroupPolicy
		}
		if o.GroupAllowFrom != nil {
			a.GroupAllowFrom = o.GroupAllowFrom
		}
		if o.Groups != nil {
			a.Groups = o.Groups
		}
	}
	r := &Rules{dm: a.DMPolicy, group: a.GroupPolicy, groups: a.Groups, norm: c.Normalize, approvedGroups: c.ApprovedInGroups,
		ownerCommands: c.OwnerCommands, bypassCommands: c.CommandsBypassAccess}
	if r.dm == "" {
		r.dm = DMPairing
	}
	if r.group == "" {
		r.group = GroupAllowlist
	}
	if r.norm == nil {
		r.norm = func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	}
	switch r.dm {
	case DMPairing, DMAllowlist, DMOpen, DMDisabled:
	default:
		return nil, fmt.Errorf("dmPolicy %q: want pairing, allowlist, open or disabled", r.dm)
	}
	switch r.group {
	case GroupAllowlist, GroupOpen, GroupDisabled:
	default:
		return nil, fmt.Errorf("groupPolicy %q: want allowlist, open or disabled", r.group)
	}
	r.allow = r.normList(a.AllowFrom)
	if r.dm == DMOpen && !slices.Contains(r.allow, Wildcard) {
		return nil, errors.New(`dmPolicy "open" requires allowFrom to include "*"`)
	}
	// groupAllowFrom falls back to allowFrom, as in the original.
	if a.GroupAllowFrom != nil {
		r.groupAllow = r.normList(a.GroupAllowFrom)
	} else {
		r.groupAllow = r.allow
	}
	return r, nil
}

// account finds an override by id, case-insensitively as the original does.
func (c Config) account(id string) (Account, bool) {
	if id == "" {
		id = "default"
	}
	if a, ok := c.Accounts[id]; ok {
		return a, true
	}
	for k, a := range c.Accounts {
		if strings.EqualFold(k, id) {
			return a, true
		}
	}
	return Account{}, false
}

func (r *Rules) normList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, e := range in {
		e = strings.TrimSpace(e)
		if e == Wildcard {
			out = append(out, Wildcard)
			continue
		}
		if n := r.norm(e); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Owners are the senders the config's allowFrom names (normalised, without "*"): the
// people the agent treats as its user (the system prompt's User Identity). Like the
// original, it is empty when the list is empty or holds "*" (everyone is allowed, so
// nobody is singled out), and pairing approvals are not owners.
func (r *Rules) Owners() []string {
	if len(r.allow) == 0 || slices.Contains(r.allow, Wildcard) {
		return nil
	}
	out := make([]string, 0, len(r.allow))
	for _, e := range r.allow {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// DMPolicy is the effective DM policy.
func (r *Rules) DMPolicy() DMPolicy { return r.dm }

// GroupPolicy is the effective group policy.
func (r *Rules) GroupPolicy() GroupPolicy { return r.group }

// matches reports whether list (normalised, may hold "*") admits one of ids.
func (r *Rules) matches(list []string, ids []string) bool {
	if slices.Contains(list, Wildcard) {
		return true
	}
	for _, id := range ids {
		if n := r.norm(id); n != "" && slices.Contains(list, n) {
			return true
		}
	}
	return false
}

// RequireMention is the effective requireMention of groupID: its own setting, then the
// "*" group's, then true.
func (r *Rules) RequireMention(groupID string) bool {
	if g, ok := r.lookupGroup(groupID); ok && g.RequireMention != nil {
		return *g.RequireMention
	}
	if g, ok := r.groups[Wildcard]; ok && g.RequireMention != nil {
		return *g.RequireMention
	}
	return true
}

// TopicSep joins a group id and a forum topic id in a Telegram topic's group id
// ("<chat>:topic:<thread>", the original's peer id of a topic).
const TopicSep = ":topic:"

// lookupGroup is the entry of group id. A forum topic ("<chat>:topic:<thread>") has
// its own entry when the configuration gives one (the daemon merges a topic's
// settings over its group's under that key, "*:topic:<thread>" for the topics of
// "*"); else it takes its chat's. The chat's own entry is preferred to "*"'s, as the
// original picks the group's settings (and its topics) as a whole.
func (r *Rules) lookupGroup(id string) (Group, bool) {
	chat, topic, isTopic := strings.Cut(id, TopicSep)
	if !isTopic {
		g, ok := r.groups[id]
		return g, ok
	}
	if g, ok := r.groups[chat]; ok {
		if t, ok := r.groups[id]; ok {
			return t, true
		}
		return g, true
	}
	t, ok := r.groups[Wildcard+TopicSep+topic]
	return t, ok
}

// Decide applies the rules to m.
func (r *Rules) Decide(m Message) Decision {
	if m.Group {
		return r.decideGroup(m)
	}
	if r.dm == DMDisabled {
		return Decision{Outcome: Drop, Reason: "dm-disabled"}
	}
	if m.FromSelf || r.dm == DMOpen {
		return Decision{Outcome: Deliver, Reason: "allowed"}
	}
	approved := r.normList(m.Approved)
	if r.matches(r.allow, m.SenderIDs) || r.matches(approved, m.SenderIDs) {
		return Decision{Outcome: Deliver, Reason: "allowed"}
	}
	if r.dm == DMPairing {
		return Decision{Outcome: SendPairingCode, Reason: "pairing"}
	}
	return Decision{Outcome: Drop, Reason: "dm-not-allowed"}
}

func (r *Rules) decideGroup(m Message) Decision {
	if r.group == GroupDisabled {
		return Decision{Outcome: Drop, Reason: "group-disabled"}
	}
	g, listed := r.lookupGroup(m.GroupID)
	if listed && g.Enabled != nil && !*g.Enabled {
		return Decision{Outcome: Drop, Reason: "group-disabled"}
	}
	if len(r.groups) > 0 && !listed {
		if _, any := r.groups[Wildcard]; !any {
			return Decision{Outcome: Drop, Reason: "group-not-listed"}
		}
	}
	allow := r.groupAllow
	override := listed && g.AllowFrom != nil
	if override {
		allow = r.normList(g.AllowFrom)
	}
	if r.group == GroupAllowlist || override {
		list := allow
		if r.approvedGroups {
			list = append(slices.Clone(list), r.normList(m.Approved)...)
		}
		if len(list) == 0 {
			return Decision{Outcome: Drop, Reason: "group-allowlist-empty"}
		}
		if !r.matches(list, m.SenderIDs) {
			return Decision{Outcome: Drop, Reason: "group-sender-not-allowed"}
		}
	}
	if r.RequireMention(m.GroupID) && !m.Mentioned && !m.Command {
		return Decision{Outcome: Drop, Reason: "no-mention", RecordHistory: true}
	}
	return Decision{Outcome: Deliver, Reason: "allowed"}
}

// CommandAuthorized reports whether the sender of a delivered message may run chat
// commands (/new, /status, /think, …); the gateway ignores the commands of anyone
// else. As in the original (commands.useAccessGroups, on by default), the sender must
// be on the chat's allow list: in a direct chat allowFrom or approved through pairing
// (and the linked account itself while allowFrom is empty); in a group the group's allowFrom,
// else groupAllowFrom, else allowFrom (plus pairing approvals where ApprovedInGroups)
// — a group no list covers runs nobody's commands, even under groupPolicy open. With
// OwnerCommands, a sender must moreover be named in allowFrom when it names anyone.
func (r *Rules) CommandAuthorized(m Message) bool {
	if !r.bypassCommands && !r.commandListed(m) {
		return false
	}
	return !r.ownerCommands || r.IsOwner(m)
}

// commandListed: the sender is on the allow list that covers commands in m's chat.
func (r *Rules) commandListed(m Message) bool {
	approved := r.normList(m.Approved)
	if !m.Group {
		if m.FromSelf && len(r.allow) == 0 {
			// The linked account itself, when allowFrom names nobody (the original's
			// fallback, kept also once pairing approvals exist).
			return true
		}
		return r.matches(append(slices.Clone(r.allow), approved...), m.SenderIDs)
	}
	list := r.groupAllow
	if g, ok := r.lookupGroup(m.GroupID); ok && g.AllowFrom != nil {
		list = r.normList(g.AllowFrom)
	}
	if r.approvedGroups {
		list = append(slices.Clone(list), approved...)
	}
	return len(list) > 0 && r.matches(list, m.SenderIDs)
}

// IsOwner reports whether m's sender is one of the owners allowFrom names; when it
// names nobody, or has "*", everyone is.
func (r *Rules) IsOwner(m Message) bool {
	if len(r.allow) == 0 || slices.Contains(r.allow, Wildcard) {
		return true
	}
	return r.matches(r.allow, m.SenderIDs)
}
