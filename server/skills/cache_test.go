package skills

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// settle dates every path under root an hour back, so the cache treats the tree as
// settled (not within RacyWindow of a scan).
func settle(t *testing.T, root string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCacheRescansOnlyOnChange: an unchanged tree is not parsed again; a new skill
// folder, an edited SKILL.md and a removed skill are seen on the next Load.
func TestCacheRescansOnlyOnChange(t *testing.T) {
	ws, managed := t.TempDir(), t.TempDir()
	writeSkill(t, filepath.Join(ws, "skills"), "weather", "---\nname: weather\ndescription: forecasts\n---\n")
	writeSkill(t, managed, "group/notes", "---\nname: notes\ndescription: takes notes\n---\n")
	settle(t, ws)
	settle(t, managed)
	var parses atomic.Int64
	c := &Cache{OnParse: func(string) { parses.Add(1) }}
	d := Dirs{Workspace: ws, Managed: managed, Extra: []string{filepath.Join(ws, "missing")}}
	names := func() []string {
		t.Helper()
		list, err := c.Load(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range list {
			out = append(out, s.Name+"="+s.Description)
		}
		return out
	}
	steps := []struct {
		name   string
		change func()
		want   []string
		parses int64 // total after the step
	}{
		{"first load", func() {}, []string{"notes=takes notes", "weather=forecasts"}, 2},
		{"unchanged", func() {}, []string{"notes=takes notes", "weather=forecasts"}, 2},
		{"unchanged again", func() {}, []string{"notes=takes notes", "weather=forecasts"}, 2},
		{"new skill", func() {
			writeSkill(t, filepath.Join(ws, "skills"), "zeta", "---\nname: zeta\ndescription: new one\n---\n")
			settle(t, ws)
			// The parent folder's new mtime must differ from the settled one.
			now := time.Now().Add(-30 * time.Minute)
			_ = os.Chtimes(filepath.Join(ws, "skills"), now, now)
		}, []string{"notes=takes notes", "weather=forecasts", "zeta=new one"}, 4},
		{"unchanged after", func() {}, []string{"notes=takes notes", "weather=forecasts", "zeta=new one"}, 4},
		{"edited", func() {
			f := writeSkill(t, managed, "group/notes", "---\nname: notes\ndescription: takes better notes\n---\n")
			now := time.Now().Add(-20 * time.Minute)
			_ = os.Chtimes(f, now, now)
		}, []string{"notes=takes better notes", "weather=forecasts", "zeta=new one"}, 5},
		{"missing folder appears", func() {
			writeSkill(t, filepath.Join(ws, "missing"), "extra", "---\nname: extra\ndescription: from extra\n---\n")
			settle(t, filepath.Join(ws, "missing"))
		}, []string{"extra=from extra", "notes=takes better notes", "weather=forecasts", "zeta=new one"}, 6},
	}
	for _, st := range steps {
		st.change()
		got := names()
		if len(got) != len(st.want) {
			t.Fatalf("%s: skills %v, want %v", st.name, got, st.want)
		}
		for i := range got {
			if got[i] != st.want[i] {
				t.Fatalf("%s: skills %v, want %v", st.name, got, st.want)
			}
		}
		if n := parses.Load(); n != st.parses {
			t.Fatalf("%s: %d parses in all, want %d", st.name, n, st.parses)
		}
	}
}

// TestCacheRacyTreeIsReadAgain: a tree changed within RacyWindow of its scan is read
// again (its timestamps cannot prove it unchanged), then cached once settled.
func TestCacheRacyTreeIsReadAgain(t *testing.T) {
	ws := t.TempDir()
	writeSkill(t, filepath.Join(ws, "skills"), "fresh", "---\nname: fresh\ndescription: just written\n---\n")
	var parses atomic.Int64
	c := &Cache{OnParse: func(string) { parses.Add(1) }}
	d := Dirs{Workspace: ws}
	for range 2 {
		if _, err := c.Load(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if parses.Load() != 2 {
		t.Fatalf("fresh tree parsed %d times, want 2 (read again while racy)", parses.Load())
	}
	settle(t, ws)
	for range 3 {
		if _, err := c.Load(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if parses.Load() != 3 {
		t.Fatalf("settled tree parsed %d times in all, want 3", parses.Load())
	}
}

// benchTree writes n skills and settles them.
func benchTree(b *testing.B, n int) Dirs {
	ws := b.TempDir()
	for i := range n {
		p := filepath.Join(ws, "skills", "s"+string(rune('a'+i%26))+string(rune('a'+i/26)))
		if err := os.MkdirAll(p, 0o755); err != nil {
			b.Fatal(err)
		}
		body := "---\nname: s" + p + "\ndescription: a skill\nmetadata: {\"clawdbot\": {\"requires\": {\"bins\": [\"git\"]}}}\n---\n# Body\n"
		if err := os.WriteFile(filepath.Join(p, FileName), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	_ = filepath.WalkDir(ws, func(p string, d fs.DirEntry, err error) error { return os.Chtimes(p, old, old) })
	return Dirs{Workspace: ws}
}

// BenchmarkSkillsLoad compares a full scan (what every run did) with the cache's
// stat-only check of an unchanged tree of 50 skills.
func BenchmarkSkillsLoad(b *testing.B) {
	d := benchTree(b, 50)
	ctx := context.Background()
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			if _, err := Load(ctx, d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := &Cache{}
		for b.Loop() {
			if _, err := c.Load(ctx, d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
