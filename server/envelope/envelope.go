// Package envelope wraps an inbound channel message in the header the original puts
// in front of every message it hands the model: "[Telegram Alice id:42 +5m 2026-12-06
// 22:40 UTC] hello". The model learns who wrote, on which channel, when, and how long
// after the session's previous message, which a bare text never tells it.
// agents.defaults.envelopeTimestamp, envelopeElapsed and envelopeTimezone shape it.
package envelope

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Options are agents.defaults' envelope settings, resolved.
type Options struct {
	// NoTimestamp drops the absolute time (envelopeTimestamp "off").
	NoTimestamp bool
	// NoElapsed drops the "+5m" since the session's previous message
	// (envelopeElapsed "off").
	NoElapsed bool
	// Location is the zone times are shown in; nil shows UTC as "2006-01-02T15:04Z",
	// the original's "utc" form. Resolve picks it from envelopeTimezone.
	Location *time.Location
	// UserLocation (agents.defaults.userTimezone; nil = the host's) and TimeFormat
	// (agents.defaults.timeFormat) are the user's clock, for the time lines the agent
	// is shown (session_status); not used by the envelope itself.
	UserLocation *time.Location
	TimeFormat   string
}

// Resolve reads envelopeTimezone as the original does: "" / "local" / "host" is the
// host's zone, "utc" / "gmt" UTC, "user" the user's zone (user; the host's when nil),
// anything else an IANA name, UTC when it names no zone.
func Resolve(timestamp, elapsed, zone string, user, host *time.Location) Options {
	o := Options{NoTimestamp: timestamp == "off", NoElapsed: elapsed == "off"}
	if host == nil {
		host = time.Local
	}
	switch z := strings.TrimSpace(zone); strings.ToLower(z) {
	case "", "local", "host":
		o.Location = host
	case "utc", "gmt":
	case "user":
		o.Location = host
		if user != nil {
			o.Location = user
		}
	default:
		if loc, err := time.LoadLocation(z); err == nil {
			o.Location = loc
		}
	}
	return o
}

// Message is what the header is made of.
type Message struct {
	Channel string // "Telegram", "WhatsApp"
	// From labels the conversation: the sender in a direct chat, the group in a group.
	From string
	// Sender labels the author of a group message; the body is prefixed with it.
	Sender string
	Group  bool
	Body   string
	Time   time.Time
	// Previous is when the session last changed before this message (zero: unknown
	// or new); the header then shows the time since.
	Previous time.Time
}

// Format is the message with its header.
func Format(m Message, o Options) string {
	parts := []string{orDefault(strings.TrimSpace(m.Channel), "Channel")}
	elapsed := ""
	if !o.NoElapsed && !m.Time.IsZero() && !m.Previous.IsZero() {
		elapsed = Elapsed(m.Time.Sub(m.Previous))
	}
	from := strings.TrimSpace(m.From)
	switch {
	case from != "" && elapsed != "":
		parts = append(parts, from+" +"+elapsed)
	case from != "":
		parts = append(parts, from)
	case elapsed != "":
		parts = append(parts, "+"+elapsed)
	}
	if ts := Timestamp(m.Time, o); ts != "" {
		parts = append(parts, ts)
	}
	body := m.Body
	if s := strings.TrimSpace(m.Sender); m.Group && s != "" {
		body = s + ": " + body
	}
	return "[" + strings.Join(parts, " ") + "] " + body
}

// Timestamp is t as the header shows it: "2006-01-02T15:04Z" in UTC, else
// "2006-01-02 15:04 <zone>" (zoneName).
func Timestamp(t time.Time, o Options) string {
	if o.NoTimestamp || t.IsZero() {
		return ""
	}
	if o.Location == nil {
		return t.UTC().Format("2006-01-02T15:04Z")
	}
	lt := t.In(o.Location)
	return lt.Format("2006-01-02 15:04") + " " + zoneName(lt)
}

// usZones are the abbreviations en-US formatting prints by name; every other zone is
// printed as its offset from GMT, which is what the original's Intl formatting does.
var usZones = map[string]bool{"EST": true, "EDT": true, "CST": true, "CDT": true, "MST": true, "MDT": true,
	"PST": true, "PDT": true, "AKST": true, "AKDT": true, "HST": true, "HDT": true}

// zoneName is the short name of t's zone as the original shows it: "PST", "UTC",
// "GMT+1", "GMT+5:30".
func zoneName(t time.Time) string {
	name, off := t.Zone()
	switch {
	case off < 0 && usZones[name]:
		return name
	case off == 0 && name == "UTC":
		return name
	case off == 0:
		return "GMT"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m := off/3600, off%3600/60
	if m == 0 {
		return fmt.Sprintf("GMT%s%d", sign, h)
	}
	return fmt.Sprintf("GMT%s%d:%02d", sign, h, m)
}

// Elapsed is d in the header's unit: whole seconds under a minute, minutes under an
// hour, hours under a day, else days; "" for a negative d.
func Elapsed(d time.Duration) string {
	if d < 0 {
		return ""
	}
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm", s/60)
	case s < 86400:
		return fmt.Sprintf("%dh", s/3600)
	}
	return fmt.Sprintf("%dd", s/86400)
}

// SenderLabel is "Name (id)" (or whichever of the two is known), as the original
// labels the author of a group message.
func SenderLabel(name, id string) string {
	name, id = strings.TrimSpace(name), strings.TrimSpace(id)
	if name != "" && id != "" && name != id {
		return name + " (" + id + ")"
	}
	return orDefault(name, id)
}

// TelegramLabel is the original's label of a Telegram user: "First Last (@user)
// id:42", reduced to what is known (the username stands in for a missing name).
func TelegramLabel(name, username, id string) string {
	name, username, id = strings.TrimSpace(name), strings.TrimPrefix(strings.TrimSpace(username), "@"), strings.TrimSpace(id)
	if name == "" {
		name = username
	}
	if username != "" {
		username = "@" + username
	}
	label := name
	switch {
	case name != "" && username != "":
		label = name + " (" + username + ")"
	case name == "":
		label = username
	}
	idPart := ""
	if id != "" {
		idPart = "id:" + id
	}
	switch {
	case label != "" && idPart != "":
		return label + " " + idPart
	case label != "":
		return label
	case idPart != "":
		return idPart
	}
	return "id:unknown"
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// channelLabels are the channel names the original's chat.history recognises at the
// start of an envelope header.
var channelLabels = []string{"WebChat", "WhatsApp", "Telegram", "Signal", "Slack", "Discord", "Google Chat",
	"iMessage", "Teams", "Matrix", "Zalo", "Zalo Personal", "BlueBubbles"}

var (
	headerTimeUTC   = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z\b`)
	headerTimeLocal = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}\b`)
	messageIDLine   = regexp.MustCompile(`(?i)^\s*\[message_id:\s*[^\]]+\]\s*$`)
)

// Strip removes a leading envelope header and "[message_id: …]" lines from a user
// message, as the original's chat.history does before showing a transcript: the
// header is for the model, not for the person reading the chat. A leading "[…]" that
// does not look like a header (no channel name, no time) stays.
func Strip(text string) string {
	if strings.HasPrefix(text, "[") {
		if end := strings.IndexByte(text, ']'); end > 0 {
			header := text[1:end]
			if looksLikeHeader(header) {
				text = strings.TrimLeft(text[end+1:], " \t\r\n")
			}
		}
	}
	if !strings.Contains(text, "[message_id:") {
		return text
	}
	lines := strings.Split(text, "\n")
	kept := lines[:0:0]
	for _, l := range lines {
		if !messageIDLine.MatchString(strings.TrimSuffix(l, "\r")) {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

func looksLikeHeader(h string) bool {
	if headerTimeUTC.MatchString(h) || headerTimeLocal.MatchString(h) {
		return true
	}
	for _, c := range channelLabels {
		if strings.HasPrefix(h, c+" ") {
			return true
		}
	}
	return false
}

// EventTimestamp is t as a queued system event line shows it: to the second,
// "2006-01-02T15:04:05Z" in UTC, else "2006-01-02 15:04:05 <zone>".
func EventTimestamp(t time.Time, o Options) string {
	if o.Location == nil {
		return t.UTC().Format("2006-01-02T15:04:05Z")
	}
	lt := t.In(o.Location)
	return lt.Format("2006-01-02 15:04:05") + " " + zoneName(lt)
}
