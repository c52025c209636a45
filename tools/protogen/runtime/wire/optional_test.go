package wire

import "testing"

func TestOptVal(t *testing.T) {
	for _, s := range []string{"", "x", " "} {
		p := Opt(s)
		if (p == nil) != (s == "") {
			t.Fatalf("Opt(%q) = %v", s, p)
		}
		if got := Val(p); got != s {
			t.Fatalf("Val(Opt(%q)) = %q", s, got)
		}
	}
	if Val[int64](nil) != 0 || Val(new(int64(7))) != 7 {
		t.Fatal("Val of *int64")
	}
}
