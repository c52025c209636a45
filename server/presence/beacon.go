package presence

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Beacon is a system-event presence beacon (§3.2, §5.2). Text is required by the
// method; the other fields are optional and, when non-blank, override what is parsed
// from a "Node: …" text.
type Beacon struct {
	Text             string
	InstanceID       *string
	Host             *string
	IP               *string
	Mode             *string
	Version          *string
	Platform         *string
	DeviceFamily     *string
	ModelIdentifier  *string
	Reason           *string
	LastInputSeconds *int64
}

// BeaconResult describes what a beacon did, for the system-event handler's change
// summary (host/ip/version/mode/reason changes of "Node:" lines).
type BeaconResult struct {
	Version  int64                   // presence version after the beacon
	Key      string                  // the row's key
	Previous *protocol.PresenceEntry // the row before the beacon; nil when it is new
	Next     protocol.PresenceEntry  // the row after the beacon
	Changed  []string                // of "host", "ip", "version", "mode", "reason": those whose value changed
}

// Beacon merges a system-event beacon and returns the new version and the row's key.
//
// Key: the instanceId (lower-cased) if non-blank; else the host parsed from a
// "Node: <host> (<ip>) · app <v> · last input <n>s ago · mode <m> · reason <r>" text;
// else the ip parsed from it; else the first 64 characters (runes) of the trimmed
// text; else the gateway's host name. Fields: those parsed from the text, overridden by
// the non-blank explicit ones (a negative LastInputSeconds is ignored); Text is stored
// trimmed. params.host never chooses the key.
func (s *Store) Beacon(b Beacon) (version int64, key string) {
	r := s.BeaconDetail(b)
	return r.Version, r.Key
}

// BeaconDetail is Beacon, also returning the row before and after and what changed.
func (s *Store) BeaconDetail(b Beacon) BeaconResult {
	text := strings.TrimSpace(b.Text)
	host, ip, ver, mode, reason, lastInput := ParseNodeText(text)

	key := NormalizeKey(wire.Val(b.InstanceID))
	if key == "" {
		key = NormalizeKey(host)
	}
	if key == "" {
		key = NormalizeKey(ip)
	}
	if key == "" {
		key = NormalizeKey(firstRunes(text, 64))
	}
	if key == "" {
		key = s.selfKey
	}

	u := Update{
		Key:             key,
		Host:            pick(b.Host, host),
		IP:              pick(b.IP, ip),
		Version:         pick(b.Version, ver),
		Mode:            pick(b.Mode, mode),
		Reason:          pick(b.Reason, reason),
		Platform:        pick(b.Platform, ""),
		DeviceFamily:    pick(b.DeviceFamily, ""),
		ModelIdentifier: pick(b.ModelIdentifier, ""),
		InstanceID:      pick(b.InstanceID, ""),
		Text:            pick(nil, text),
	}
	switch {
	case b.LastInputSeconds != nil && *b.LastInputSeconds >= 0:
		u.LastInputSeconds = b.LastInputSeconds
	case lastInput != nil:
		u.LastInputSeconds = lastInput
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	prev, r := s.upsertLocked(key, &u, s.now().UnixMilli())
	res := BeaconResult{Version: s.version, Key: key, Next: copyEntry(&r.e, new(entryBacking))}
	var zero protocol.PresenceEntry
	old := &zero
	if prev != nil {
		p := copyEntry(prev, new(entryBacking))
		res.Previous = &p
		old = prev
	}
	for _, f := range []struct {
		name       string
		before, at *string
	}{
		{"host", old.Host, r.e.Host},
		{"ip", old.IP, r.e.IP},
		{"version", old.Version, r.e.Version},
		{"mode", old.Mode, r.e.Mode},
		{"reason", old.Reason, r.e.Reason},
	} {
		if (f.before == nil) != (f.at == nil) || (f.before != nil && *f.before != *f.at) {
			res.Changed = append(res.Changed, f.name)
		}
	}
	return res
}

// pick returns the explicit value when it is non-blank, else the parsed one when it is
// non-empty, else nil (leave the stored field alone).
func pick(explicit *string, parsed string) *string {
	if explicit != nil && strings.TrimSpace(*explicit) != "" {
		v := *explicit
		return &v
	}
	if parsed != "" {
		return &parsed
	}
	return nil
}

func firstRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// JavaScript's \s (the reference parses with a JS regexp) is wider than RE2's; ws
// matches the same set. notEOL mirrors JS's "." (no line terminators).
const (
	ws     = `[\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]`
	notEOL = `[^\n\r\x{2028}\x{2029}]`
)

var nodeTextRE = regexp.MustCompile(`(?i)Node:` + ws + `*([^ (]+)` + ws + `*\(([^)]+)\)` + ws + `*·` + ws +
	`*app` + ws + `*([^·]+?)` + ws + `*·` + ws + `*last input` + ws + `*([0-9]+)s ago` + ws + `*·` + ws +
	`*mode` + ws + `*([^·]+?)` + ws + `*·` + ws + `*reason` + ws + `*(` + notEOL + `+)$`)

// ParseNodeText parses a "Node: <host> (<ip>) · app <version> · last input <n>s ago ·
// mode <mode> · reason <reason>" line (case-insensitive, anywhere in the trimmed text,
// running to its end). On no match every result is empty and lastInput is nil;
// lastInput is also nil when <n> overflows an int64.
func ParseNodeText(text string) (host, ip, version, mode, reason string, lastInput *int64) {
	m := nodeTextRE.FindStringSubmatch(strings.TrimSpace(text))
	if m == nil {
		return "", "", "", "", "", nil
	}
	if n, err := strconv.ParseInt(m[4], 10, 64); err == nil {
		lastInput = &n
	}
	return strings.TrimSpace(m[1]), strings.TrimSpace(m[2]), strings.TrimSpace(m[3]),
		strings.TrimSpace(m[5]), strings.TrimSpace(m[6]), lastInput
}
