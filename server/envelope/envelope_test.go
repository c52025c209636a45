package envelope

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 22, 40, 30, 0, time.UTC)
	utc := Options{}
	for _, tc := range []struct {
		name string
		m    Message
		o    Options
		want string
	}{
		{"direct, utc", Message{Channel: "Telegram", From: "Alice (@alice) id:42", Body: "hi", Time: at}, utc,
			"[Telegram Alice (@alice) id:42 2026-12-06T22:40Z] hi"},
		{"elapsed minutes", Message{Channel: "WhatsApp", From: "+15550001", Body: "hi", Time: at, Previous: at.Add(-5*time.Minute - 59*time.Second)}, utc,
			"[WhatsApp +15550001 +5m 2026-12-06T22:40Z] hi"},
		{"elapsed seconds", Message{Channel: "WhatsApp", From: "+1", Body: "x", Time: at, Previous: at.Add(-59 * time.Second)}, utc,
			"[WhatsApp +1 +59s 2026-12-06T22:40Z] x"},
		{"elapsed hours", Message{Channel: "WhatsApp", From: "+1", Body: "x", Time: at, Previous: at.Add(-23*time.Hour - 59*time.Minute)}, utc,
			"[WhatsApp +1 +23h 2026-12-06T22:40Z] x"},
		{"elapsed days", Message{Channel: "WhatsApp", From: "+1", Body: "x", Time: at, Previous: at.Add(-49 * time.Hour)}, utc,
			"[WhatsApp +1 +2d 2026-12-06T22:40Z] x"},
		{"previous in the future: no elapsed", Message{Channel: "WhatsApp", From: "+1", Body: "x", Time: at, Previous: at.Add(time.Minute)}, utc,
			"[WhatsApp +1 2026-12-06T22:40Z] x"},
		{"elapsed without from", Message{Channel: "WhatsApp", Body: "x", Time: at, Previous: at.Add(-2 * time.Minute)}, utc,
			"[WhatsApp +2m 2026-12-06T22:40Z] x"},
		{"elapsed off", Message{Channel: "WhatsApp", From: "+1", Body: "x", Time: at, Previous: at.Add(-2 * time.Minute)}, Options{NoElapsed: true},
			"[WhatsApp +1 2026-12-06T22:40Z] x"},
		{"timestamp off", Message{Channel: "WhatsApp", From: "+1", Body: "x", Time: at}, Options{NoTimestamp: true},
			"[WhatsApp +1] x"},
		{"named zone", Message{Channel: "Telegram", From: "id:1", Body: "x", Time: at}, Options{Location: berlin},
			"[Telegram id:1 2026-12-06 23:40 GMT+1] x"},
		{"half-hour zone", Message{Channel: "Telegram", From: "id:1", Body: "x", Time: at}, Options{Location: kolkata},
			"[Telegram id:1 2026-12-07 04:10 GMT+5:30] x"},
		{"group: sender prefixes the body", Message{Channel: "Telegram", From: "Team id:-100", Sender: "Bob (7)", Group: true, Body: "hello", Time: at}, utc,
			"[Telegram Team id:-100 2026-12-06T22:40Z] Bob (7): hello"},
		{"direct: sender not repeated", Message{Channel: "Telegram", From: "Bob id:7", Sender: "Bob (7)", Body: "hello", Time: at}, utc,
			"[Telegram Bob id:7 2026-12-06T22:40Z] hello"},
		{"no time, no channel", Message{Body: "x"}, utc, "[Channel] x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Format(tc.m, tc.o); got != tc.want {
				t.Fatalf("Format = %q\nwant     %q", got, tc.want)
			}
		})
	}
}

func TestZoneName(t *testing.T) {
	// As en-US Intl formatting names zones: US abbreviations by name, UTC, else the
	// offset from GMT (China's "CST" is not the US one).
	for _, tc := range []struct {
		zone string
		off  int
		want string
	}{
		{"PST", -8 * 3600, "PST"}, {"EDT", -4 * 3600, "EDT"}, {"CST", 8 * 3600, "GMT+8"},
		{"CET", 3600, "GMT+1"}, {"", -3 * 3600, "GMT-3"}, {"+0545", 5*3600 + 45*60, "GMT+5:45"},
		{"UTC", 0, "UTC"}, {"GMT", 0, "GMT"}, {"WET", 0, "GMT"},
	} {
		at := time.Date(2026, 1, 2, 3, 4, 0, 0, time.FixedZone(tc.zone, tc.off))
		if got := zoneName(at); got != tc.want {
			t.Errorf("%s %d: %q, want %q", tc.zone, tc.off, got, tc.want)
		}
	}
}

func TestResolve(t *testing.T) {
	host := time.FixedZone("HOST", 3600)
	user := time.FixedZone("USER", 7200)
	for _, tc := range []struct {
		ts, el, zone string
		user         *time.Location
		wantLoc      string // "" = UTC form
		noTS, noEl   bool
	}{
		{zone: "", wantLoc: "HOST"},
		{zone: "local", wantLoc: "HOST"},
		{zone: "Host", wantLoc: "HOST"},
		{zone: "utc", wantLoc: ""},
		{zone: "GMT", wantLoc: ""},
		{zone: "user", user: user, wantLoc: "USER"},
		{zone: "user", wantLoc: "HOST"},
		{zone: "Europe/Berlin", wantLoc: "Europe/Berlin"},
		{zone: "Not/AZone", wantLoc: ""},
		{ts: "off", el: "off", zone: "utc", noTS: true, noEl: true},
		{ts: "on", el: "on", zone: "utc"},
	} {
		o := Resolve(tc.ts, tc.el, tc.zone, tc.user, host)
		got := ""
		if o.Location != nil {
			got = o.Location.String()
		}
		if got != tc.wantLoc || o.NoTimestamp != tc.noTS || o.NoElapsed != tc.noEl {
			t.Errorf("Resolve(%q, %q, %q) = %+v (zone %q), want zone %q", tc.ts, tc.el, tc.zone, o, got, tc.wantLoc)
		}
	}
}

func TestLabels(t *testing.T) {
	for _, tc := range []struct{ name, user, id, want string }{
		{"Alice Smith", "alice", "42", "Alice Smith (@alice) id:42"},
		{"Alice", "", "42", "Alice id:42"},
		{"", "alice", "42", "alice (@alice) id:42"},
		{"", "", "42", "id:42"},
		{"", "", "", "id:unknown"},
		{"Alice", "@alice", "", "Alice (@alice)"},
	} {
		if got := TelegramLabel(tc.name, tc.user, tc.id); got != tc.want {
			t.Errorf("TelegramLabel(%q, %q, %q) = %q, want %q", tc.name, tc.user, tc.id, got, tc.want)
		}
	}
	for _, tc := range []struct{ name, id, want string }{
		{"Bob", "+1555", "Bob (+1555)"}, {"", "+1555", "+1555"}, {"Bob", "", "Bob"}, {"+1555", "+1555", "+1555"},
	} {
		if got := SenderLabel(tc.name, tc.id); got != tc.want {
			t.Errorf("SenderLabel(%q, %q) = %q, want %q", tc.name, tc.id, got, tc.want)
		}
	}
}

func TestStrip(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"[Telegram Alice id:42 +5m 2026-12-06T22:40Z] hi", "hi"},
		{"[WhatsApp +1555 2026-12-06 23:40 GMT+1] hello\nthere", "hello\nthere"},
		{"[Team id:-100 2026-12-06T22:40Z] Bob (7): hi", "Bob (7): hi"},
		{"[WebChat x] y", "y"},
		{"[not a header] kept", "[not a header] kept"},
		{"[TelegramX] kept", "[TelegramX] kept"},
		{"plain", "plain"},
		{"[Telegram id:1 2026-12-06T22:40Z] photo\n[message_id: 77]", "photo"},
		{"a\n  [message_id: 9]  \nb", "a\nb"},
		{"a\n[MESSAGE_ID: 9]", "a\n[MESSAGE_ID: 9]"}, // the original looks for the lower-case form
		{"mentions [message_id: 9] inline", "mentions [message_id: 9] inline"},
	} {
		if got := Strip(tc.in); got != tc.want {
			t.Errorf("Strip(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// What Format makes, Strip takes off.
	m := Message{Channel: "Telegram", From: "A id:1", Body: "the text", Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Previous: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)}
	for _, o := range []Options{{}, {Location: time.FixedZone("", 3600)}, {NoTimestamp: true}, {NoElapsed: true}} {
		if got := Strip(Format(m, o)); got != "the text" {
			t.Errorf("Strip(Format(%+v)) = %q", o, got)
		}
	}
}
