package whatsapp

import (
	"strings"

	"go.mau.fi/whatsmeow/types"

	"github.com/clawgate/gateway/server/providers"
)

// E.164 allows at most 15 digits; shorter than 7 is no phone number WhatsApp knows.
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
)

// ParseRecipient turns a send target into a JID: an E.164 number ("+1 555 123-4567",
// with or without "+", "whatsapp:" prefix allowed), a user JID
// ("15551234567@s.whatsapp.net", device suffix dropped), a LID ("…@lid") or a group
// JID ("120363…@g.us", or a bare "creator-timestamp" group id). Anything else is an
// InputError.
func ParseRecipient(to string) (types.JID, error) {
	s := strings.TrimSpace(to)
	s = strings.TrimPrefix(s, "whatsapp:")
	s = strings.TrimSpace(s)
	if s == "" {
		return types.EmptyJID, providers.Inputf("whatsapp: empty recipient")
	}
	if strings.Contains(s, "@") {
		jid, err := types.ParseJID(s)
		if err != nil {
			return types.EmptyJID, providers.Inputf("whatsapp: %q is not a valid JID: %v", to, err)
		}
		jid = jid.ToNonAD()
		switch jid.Server {
		case types.DefaultUserServer:
			if !allDigits(jid.User) || len(jid.User) < minPhoneDigits || len(jid.User) > maxPhoneDigits {
				return types.EmptyJID, providers.Inputf("whatsapp: %q: the user part of a phone JID must be 7-15 digits", to)
			}
		case types.GroupServer:
			if jid.User == "" || !allDigits(strings.ReplaceAll(jid.User, "-", "")) {
				return types.EmptyJID, providers.Inputf("whatsapp: %q is not a valid group JID", to)
			}
		case types.HiddenUserServer:
			if !allDigits(jid.User) || jid.User == "" {
				return types.EmptyJID, providers.Inputf("whatsapp: %q is not a valid LID", to)
			}
		default:
			return types.EmptyJID, providers.Inputf("whatsapp: unsupported JID server %q in %q (use a number, …@s.whatsapp.net or …@g.us)", jid.Server, to)
		}
		return jid, nil
	}
	// A legacy group id: "<creator digits>-<timestamp digits>".
	if a, b, ok := strings.Cut(s, "-"); ok && allDigits(a) && allDigits(b) && len(a) >= minPhoneDigits && len(b) >= 9 && !strings.HasPrefix(s, "+") {
		return types.NewJID(s, types.GroupServer), nil
	}
	digits := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.', '\u00a0':
			return -1
		}
		return r
	}, s)
	digits = strings.TrimPrefix(digits, "+")
	if strings.HasPrefix(digits, "00") {
		digits = digits[2:] // international prefix written as 00
	}
	if !allDigits(digits) || len(digits) < minPhoneDigits || len(digits) > maxPhoneDigits {
		return types.EmptyJID, providers.Inputf("whatsapp: %q is not an E.164 number or WhatsApp JID", to)
	}
	return types.NewJID(digits, types.DefaultUserServer), nil
}

// NormalizeE164 returns "+digits" for a number or phone JID, "" when s is neither.
func NormalizeE164(s string) string {
	jid, err := ParseRecipient(s)
	if err != nil || jid.Server != types.DefaultUserServer {
		return ""
	}
	return "+" + jid.User
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
