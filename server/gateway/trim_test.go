package gateway

import "testing"

func TestShouldTrim(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		name                 string
		sinceTrim, lastIntvl int64
		objects, live, free  uint64
		want                 bool
	}{
		{"burst then quiet, lots of garbage", 5000, 0, 120 * mb, 40 * mb, 0, true},
		{"burst then quiet, collected but not returned", 5000, 0, 40 * mb, 40 * mb, 60 * mb, true},
		{"still connecting", 5000, 10, 120 * mb, 40 * mb, 0, false},
		{"no burst since the last trim", 0, 0, 120 * mb, 40 * mb, 60 * mb, false},
		{"little to return", 5000, 0, 45 * mb, 40 * mb, 5 * mb, false},
		{"exactly the minimum", 1, 0, 48 * mb, 40 * mb, 8 * mb, true},
		{"live above objects (sampling skew)", 1, 0, 40 * mb, 41 * mb, 1 * mb, false},
	} {
		if got := shouldTrim(tc.sinceTrim, tc.lastIntvl, tc.objects, tc.live, tc.free, TrimMinGarbage); got != tc.want {
			t.Errorf("%s: shouldTrim = %v, want %v", tc.name, got, tc.want)
		}
	}
}
