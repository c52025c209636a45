package agent

import "testing"

// TestParseElevated: /elevated and /elev as a whole message, with a level after a space
// or ":", a Telegram @bot suffix, any case; other commands and text are not it.
func TestParseElevated(t *testing.T) {
	for _, tc := range []struct {
		in, arg string
		ok      bool
	}{
		{"/elevated", "", true},
		{"/elevated full", "full", true},
		{"/ELEV on", "on", true},
		{"/elev: off", "off", true},
		{"/elevated@MyBot ask", "ask", true},
		{"  /elevated   full  ", "full", true},
		{"/elevatedfull", "", false},
		{"/verbose on", "", false},
		{"please /elevated full", "", false},
	} {
		arg, ok := parseElevated(tc.in)
		if ok != tc.ok || arg != tc.arg {
			t.Errorf("parseElevated(%q) = %q, %v; want %q, %v", tc.in, arg, ok, tc.arg, tc.ok)
		}
	}
	for in, want := range map[string]string{"auto": "full", "approve": "ask", "yes": "on", "0": "off", "Full": "full"} {
		if got, ok := normalizeElevatedLevel(in); !ok || got != want {
			t.Errorf("normalizeElevatedLevel(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := normalizeElevatedLevel("sometimes"); ok {
		t.Error("unknown level accepted")
	}
}
