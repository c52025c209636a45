package envelope

import (
	"testing"
	"time"
)

func TestUserTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := time.Date(2026, 3, 2, 18, 5, 0, 0, time.UTC) // 13:05 in New York
	for _, tc := range []struct {
		format string
		t      time.Time
		want   string
	}{
		{"12", at, "Monday, March 2nd, 2026 — 1:05 PM"},
		{"24", at, "Monday, March 2nd, 2026 — 13:05"},
		{"auto", at, "Monday, March 2nd, 2026 — 1:05 PM"},
		{"", at, "Monday, March 2nd, 2026 — 1:05 PM"},
		{"24", time.Date(2026, 12, 11, 14, 7, 0, 0, time.UTC), "Friday, December 11th, 2026 — 09:07"},
		{"12", time.Date(2026, 12, 23, 5, 0, 0, 0, time.UTC), "Wednesday, December 23rd, 2026 — 12:00 AM"},
	} {
		if got := UserTime(tc.t, ny, tc.format); got != tc.want {
			t.Errorf("UserTime(%v, %q) = %q, want %q", tc.t, tc.format, got, tc.want)
		}
	}
	if got := ZoneName(ny, at); got != "America/New_York" {
		t.Errorf("ZoneName = %q", got)
	}
}
