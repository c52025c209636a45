package token

import (
	"regexp"
	"testing"
)

func TestToken(t *testing.T) {
	a, ha := New()
	b, _ := New()
	if a == b || len(a) != 43 || len(ha) != 64 {
		t.Fatalf("tokens %q %q hash %q", a, b, ha)
	}
	if !Matches(a, ha) || Matches(b, ha) || Matches("", ha) || Matches(a, "") {
		t.Fatal("Matches")
	}
	if Hash("x") != "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" {
		t.Fatal("Hash is not hex SHA-256")
	}
}

func TestUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		u := UUID()
		if !re.MatchString(u) || seen[u] {
			t.Fatalf("bad or repeated UUID %q", u)
		}
		seen[u] = true
	}
}
