package nodes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportPaired(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	s := openTestStore(t, dir, clk)
	in := ImportedNode{NodeID: "ios-1", Token: "node-token", Info: NodeInfo{DisplayName: "Phone", Caps: []string{"camera", "camera"}}, CreatedAtMs: 1, ApprovedAtMs: 2}
	if added, err := s.ImportPaired(in); err != nil || !added {
		t.Fatalf("ImportPaired: %v %v", added, err)
	}
	n, ok := s.Verify("ios-1", "node-token")
	if !ok || n.GetDisplayName() != "Phone" || len(n.Caps) != 1 || n.ApprovedAtMs != 2 {
		t.Fatalf("Verify: %+v %v", n, ok)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "nodes", "paired.json"))
	if strings.Contains(string(b), "node-token") {
		t.Fatal("token stored in clear")
	}
	if _, ok := openTestStore(t, dir, clk).Verify("ios-1", "node-token"); !ok {
		t.Fatal("imported token lost on reopen")
	}
	in.Token = "other"
	if added, err := s.ImportPaired(in); err != nil || added {
		t.Fatalf("second import: %v %v", added, err)
	}
	if _, ok := s.Verify("ios-1", "other"); ok {
		t.Fatal("second import replaced the token")
	}
	for _, tc := range []struct {
		name string
		n    ImportedNode
	}{
		{"no id", ImportedNode{Token: "x"}},
		{"no token", ImportedNode{NodeID: "a"}},
		{"field too long", ImportedNode{NodeID: "b", Token: "x", Info: NodeInfo{Platform: strings.Repeat("p", MaxFieldLen+1)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if added, err := s.ImportPaired(tc.n); err == nil || added {
				t.Fatalf("%v %v, want an error", added, err)
			}
		})
	}
}
