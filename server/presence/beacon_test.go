package presence

import (
	"slices"
	"strings"
	"testing"
)

const nodeLine = "Node: Peters-Mac (192.168.1.20) · app 2026.1.5 · last input 12s ago · mode ui · reason periodic"

func TestParseNodeText(t *testing.T) {
	type parsed struct {
		host, ip, version, mode, reason string
		lastInput                       *int64
	}
	tests := []struct {
		name string
		text string
		want parsed
	}{
		{"canonical", nodeLine, parsed{"Peters-Mac", "192.168.1.20", "2026.1.5", "ui", "periodic", ip64(12)}},
		{"surrounding whitespace", "  \n" + nodeLine + "\t ", parsed{"Peters-Mac", "192.168.1.20", "2026.1.5", "ui", "periodic", ip64(12)}},
		{"case-insensitive keywords", "NODE: h (1.1.1.1) · APP 1 · LAST INPUT 3S AGO · MODE Ui · REASON X", parsed{"h", "1.1.1.1", "1", "Ui", "X", ip64(3)}},
		{"not anchored at the start", "fyi Node: h (1.1.1.1) · app 1 · last input 0s ago · mode m · reason r", parsed{"h", "1.1.1.1", "1", "m", "r", ip64(0)}},
		{"no spaces around separators", "Node:h(1.1.1.1)·app 1·last input 3s ago·mode m·reason r", parsed{"h", "1.1.1.1", "1", "m", "r", ip64(3)}},
		{"reason and version with spaces", "Node: h (::1) · app 1.0 (beta) · last input 3s ago · mode web chat · reason app launched", parsed{"h", "::1", "1.0 (beta)", "web chat", "app launched", ip64(3)}},
		{"ipv6 address", "Node: h (fe80::1%en0) · app 1 · last input 3s ago · mode m · reason r", parsed{"h", "fe80::1%en0", "1", "m", "r", ip64(3)}},
		{"reason may contain the separator", "Node: h (1.1.1.1) · app 1 · last input 3s ago · mode m · reason a · b", parsed{"h", "1.1.1.1", "1", "m", "a · b", ip64(3)}},
		{"non-breaking spaces count as spaces (JS \\s)", "Node:\u00a0h\u00a0(1.1.1.1)\u00a0·\u00a0app\u00a01\u00a0·\u00a0last input\u00a03s ago\u00a0·\u00a0mode\u00a0m\u00a0·\u00a0reason\u00a0r", parsed{"h", "1.1.1.1", "1", "m", "r", ip64(3)}},
		{"last input overflowing int64", "Node: h (1.1.1.1) · app 1 · last input 99999999999999999999s ago · mode m · reason r", parsed{"h", "1.1.1.1", "1", "m", "r", nil}},
		{"empty", "", parsed{}},
		{"only the prefix", "Node:", parsed{}},
		{"plain text", "hello world", parsed{}},
		{"no ip", "Node: h · app 1 · last input 3s ago · mode m · reason r", parsed{}},
		{"empty ip", "Node: h () · app 1 · last input 3s ago · mode m · reason r", parsed{}},
		{"no last input", "Node: h (1.1.1.1) · app 1 · mode m · reason r", parsed{}},
		{"non-numeric last input", "Node: h (1.1.1.1) · app 1 · last input xs ago · mode m · reason r", parsed{}},
		{"negative last input", "Node: h (1.1.1.1) · app 1 · last input -3s ago · mode m · reason r", parsed{}},
		{"no reason", "Node: h (1.1.1.1) · app 1 · last input 3s ago · mode m · reason", parsed{}},
		{"reason over two lines", "Node: h (1.1.1.1) · app 1 · last input 3s ago · mode m · reason a\nb", parsed{}},
		{"ascii dots are not separators", "Node: h (1.1.1.1) . app 1 . last input 3s ago . mode m . reason r", parsed{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, ip, version, mode, reason, last := ParseNodeText(tt.text)
			got := parsed{host, ip, version, mode, reason, last}
			if got.host != tt.want.host || got.ip != tt.want.ip || got.version != tt.want.version ||
				got.mode != tt.want.mode || got.reason != tt.want.reason ||
				(got.lastInput == nil) != (tt.want.lastInput == nil) ||
				(got.lastInput != nil && *got.lastInput != *tt.want.lastInput) {
				t.Fatalf("ParseNodeText(%q)\n got %+v last=%v\nwant %+v last=%v", tt.text, got, deref64(got.lastInput), tt.want, deref64(tt.want.lastInput))
			}
		})
	}
}

func deref64(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestBeacon(t *testing.T) {
	long := strings.Repeat("Ä", 70) + " tail"
	tests := []struct {
		name    string
		before  []Beacon
		beacon  Beacon
		wantKey string
		want    string
	}{
		{
			name:    "instanceId is the key, lower-cased; stored as given",
			beacon:  Beacon{Text: nodeLine, InstanceID: sp("ABC-1")},
			wantKey: "abc-1",
			want:    `host="Peters-Mac" ip="192.168.1.20" version="2026.1.5" mode="ui" reason="periodic" instanceId="ABC-1" lastInputSeconds=12 text="` + nodeLine + `"`,
		},
		{
			name:    "host parsed from the text is the key",
			beacon:  Beacon{Text: "  " + nodeLine + "  "},
			wantKey: "peters-mac",
			want:    `host="Peters-Mac" ip="192.168.1.20" version="2026.1.5" mode="ui" reason="periodic" lastInputSeconds=12 text="` + nodeLine + `"`,
		},
		{
			name: "explicit params override parsed ones; params.host does not pick the key",
			beacon: Beacon{Text: nodeLine, Host: sp("Other"), IP: sp("10.9.9.9"), Version: sp("v2"), Mode: sp("webchat"),
				Reason: sp("connect"), LastInputSeconds: ip64(0), Platform: sp("macos 15.2"), DeviceFamily: sp("Mac"), ModelIdentifier: sp("Mac14,2")},
			wantKey: "peters-mac",
			want:    `host="Other" ip="10.9.9.9" version="v2" platform="macos 15.2" deviceFamily="Mac" modelIdentifier="Mac14,2" mode="webchat" reason="connect" lastInputSeconds=0 text="` + nodeLine + `"`,
		},
		{
			name:    "blank explicit params and a negative lastInputSeconds are ignored",
			beacon:  Beacon{Text: nodeLine, Host: sp(" "), Mode: sp(""), InstanceID: sp("  "), LastInputSeconds: ip64(-5)},
			wantKey: "peters-mac",
			want:    `host="Peters-Mac" ip="192.168.1.20" version="2026.1.5" mode="ui" reason="periodic" lastInputSeconds=12 text="` + nodeLine + `"`,
		},
		{
			name:    "plain text: the first 64 characters are the key",
			beacon:  Beacon{Text: "  Hello From The CLI  ", Host: sp("box")},
			wantKey: "hello from the cli",
			want:    `host="box" text="Hello From The CLI"`,
		},
		{
			name:    "long text: 64 characters, not bytes",
			beacon:  Beacon{Text: long},
			wantKey: strings.ToLower(strings.Repeat("Ä", 64)),
			want:    `text="` + long + `"`,
		},
		{
			name:    "blank text falls back to the gateway's own row",
			beacon:  Beacon{Text: "   ", Reason: sp("poke")},
			wantKey: "gw-host",
			want:    `host="GW-Host" ip="10.0.0.5" version="1.2.3" platform="linux 6.1.0" deviceFamily="Linux" modelIdentifier="x64" mode="gateway" reason="poke" text="Gateway: GW-Host (10.0.0.5) · app 1.2.3 · mode gateway · reason self"`,
		},
		{
			name:    "merges onto the existing row",
			before:  []Beacon{{Text: nodeLine, Platform: sp("macos 15.2")}},
			beacon:  Beacon{Text: "Node: peters-mac (192.168.1.21) · app 2026.1.6 · last input 1s ago · mode ui · reason launch"},
			wantKey: "peters-mac",
			want:    `host="peters-mac" ip="192.168.1.21" version="2026.1.6" platform="macos 15.2" mode="ui" reason="launch" lastInputSeconds=1 text="Node: peters-mac (192.168.1.21) · app 2026.1.6 · last input 1s ago · mode ui · reason launch"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(newFakeClock())
			for _, b := range tt.before {
				s.Beacon(b)
			}
			v0 := s.Version()
			v, key := s.Beacon(tt.beacon)
			if v != v0+1 {
				t.Fatalf("version %d, want %d", v, v0+1)
			}
			if key != tt.wantKey {
				t.Fatalf("key %q, want %q", key, tt.wantKey)
			}
			e, ok := s.Get(key)
			if !ok {
				t.Fatal("row missing")
			}
			if got := render(e); got != tt.want {
				t.Fatalf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestBeaconDetailChanged(t *testing.T) {
	s := newTestStore(newFakeClock())
	steps := []struct {
		name        string
		beacon      Beacon
		wantChanged []string
		wantPrev    bool
	}{
		{"new row: everything set counts as changed", Beacon{Text: nodeLine}, []string{"host", "ip", "version", "mode", "reason"}, false},
		{"same line again: nothing changed", Beacon{Text: nodeLine}, nil, true},
		{"new reason and ip", Beacon{Text: nodeLine, Reason: sp("launch"), IP: sp("10.0.0.9")}, []string{"ip", "reason"}, true},
		{"platform is not tracked", Beacon{Text: nodeLine, Reason: sp("launch"), IP: sp("10.0.0.9"), Platform: sp("p")}, nil, true},
	}
	for _, st := range steps {
		r := s.BeaconDetail(st.beacon)
		if !slices.Equal(r.Changed, st.wantChanged) {
			t.Fatalf("%s: Changed = %v, want %v", st.name, r.Changed, st.wantChanged)
		}
		if (r.Previous != nil) != st.wantPrev {
			t.Fatalf("%s: Previous = %v, want present=%v", st.name, r.Previous, st.wantPrev)
		}
		if r.Key != "peters-mac" || r.Version != s.Version() {
			t.Fatalf("%s: key %q version %d (store %d)", st.name, r.Key, r.Version, s.Version())
		}
		if r.Next.Text == nil || *r.Next.Text != nodeLine {
			t.Fatalf("%s: Next = %s", st.name, render(r.Next))
		}
	}
}
