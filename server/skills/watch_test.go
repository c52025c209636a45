package skills

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/clock"
)

// skillNames lists the names loaded (an error as its only entry).
func skillNames(list []*Skill, err error) []string {
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	var out []string
	for _, s := range list {
		out = append(out, s.Name)
	}
	return out
}

// TestPolicyFrom: skills.load.watch defaults to true and watchDebounceMs to 250 ms;
// a negative debounce counts as 0.
func TestPolicyFrom(t *testing.T) {
	for _, tc := range []struct {
		name string
		tree any
		want Policy
	}{
		{"empty", map[string]any{}, Policy{Watch: true, Debounce: 250 * time.Millisecond}},
		{"off", map[string]any{"skills": map[string]any{"load": map[string]any{"watch": false}}}, Policy{Watch: false, Debounce: 250 * time.Millisecond}},
		{"debounce", map[string]any{"skills": map[string]any{"load": map[string]any{"watchDebounceMs": float64(1500)}}}, Policy{Watch: true, Debounce: 1500 * time.Millisecond}},
		{"negative", map[string]any{"skills": map[string]any{"load": map[string]any{"watchDebounceMs": float64(-5)}}}, Policy{Watch: true, Debounce: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PolicyFrom(tc.tree); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestLoadWithWatch: with the watch on, a skill added to a real folder is not seen
// while the debounce runs (the snapshot stays), and is seen once the folder has been
// quiet for the debounce on the injected clock. skills.status's Load sees it at once.
func TestLoadWithWatch(t *testing.T) {
	ws := t.TempDir()
	writeSkill(t, filepath.Join(ws, "skills"), "weather", "---\nname: weather\ndescription: forecasts\n---\n")
	settle(t, ws)
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	c := &Cache{Clock: clk}
	t.Cleanup(c.Close)
	d := Dirs{Workspace: ws}
	p := Policy{Watch: true, Debounce: 2 * time.Second}
	ctx := t.Context()
	if got := skillNames(c.LoadWith(ctx, d, p)); !slices.Equal(got, []string{"weather"}) {
		t.Fatalf("first load: %q", got)
	}
	writeSkill(t, filepath.Join(ws, "skills"), "notes", "---\nname: notes\ndescription: takes notes\n---\n")
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if !clk.WaitPending(wctx, 1) {
		t.Fatal("the watcher never armed its debounce")
	}
	if got := skillNames(c.LoadWith(ctx, d, p)); !slices.Equal(got, []string{"weather"}) {
		t.Fatalf("during the debounce: %q", got)
	}
	if got := skillNames(c.Load(ctx, d)); !slices.Equal(got, []string{"notes", "weather"}) {
		t.Fatalf("fresh load: %q", got)
	}
	clk.Advance(p.Debounce - time.Millisecond)
	if got := skillNames(c.LoadWith(ctx, d, p)); !slices.Equal(got, []string{"weather"}) {
		t.Fatalf("before the debounce ended: %q", got)
	}
	// The file events may still be arriving (each re-arms the debounce): keep the
	// clock moving until the refresh shows.
	for {
		clk.Advance(p.Debounce)
		if got := skillNames(c.LoadWith(ctx, d, p)); slices.Equal(got, []string{"notes", "weather"}) {
			break
		}
		if wctx.Err() != nil {
			t.Fatal("the new skill never showed after the debounce")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLoadWithoutWatch: with the watch off, the first read is kept (a new skill is
// not seen by runs, though skills.status's Load sees it) until Thaw.
func TestLoadWithoutWatch(t *testing.T) {
	ws := t.TempDir()
	writeSkill(t, filepath.Join(ws, "skills"), "weather", "---\nname: weather\ndescription: forecasts\n---\n")
	c := &Cache{Clock: clock.NewFake(time.Unix(1_700_000_000, 0))}
	t.Cleanup(c.Close)
	d := Dirs{Workspace: ws}
	p := Policy{Watch: false}
	ctx := t.Context()
	if got := skillNames(c.LoadWith(ctx, d, p)); !slices.Equal(got, []string{"weather"}) {
		t.Fatalf("first load: %q", got)
	}
	writeSkill(t, filepath.Join(ws, "skills"), "notes", "---\nname: notes\ndescription: takes notes\n---\n")
	if got := skillNames(c.LoadWith(ctx, d, p)); !slices.Equal(got, []string{"weather"}) {
		t.Fatalf("kept snapshot: %q", got)
	}
	if got := skillNames(c.Load(ctx, d)); !slices.Equal(got, []string{"notes", "weather"}) {
		t.Fatalf("fresh load: %q", got)
	}
	c.Thaw()
	if got := skillNames(c.LoadWith(ctx, d, p)); !slices.Equal(got, []string{"notes", "weather"}) {
		t.Fatalf("after Thaw: %q", got)
	}
	c.watchMu.Lock()
	n := len(c.watches)
	c.watchMu.Unlock()
	if n != 0 {
		t.Fatalf("%d watchers with the watch off", n)
	}
}

// TestLoadWithDebounceChange: a new watchDebounceMs replaces the folder's watch, and
// the snapshot taken under the old one is dropped (a change the old watch was still
// debouncing is not lost).
func TestLoadWithDebounceChange(t *testing.T) {
	ws := t.TempDir()
	writeSkill(t, filepath.Join(ws, "skills"), "weather", "---\nname: weather\ndescription: forecasts\n---\n")
	settle(t, ws)
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	c := &Cache{Clock: clk}
	t.Cleanup(c.Close)
	d := Dirs{Workspace: ws}
	ctx := t.Context()
	if got := skillNames(c.LoadWith(ctx, d, Policy{Watch: true, Debounce: time.Hour})); !slices.Equal(got, []string{"weather"}) {
		t.Fatalf("first load: %q", got)
	}
	writeSkill(t, filepath.Join(ws, "skills"), "notes", "---\nname: notes\ndescription: takes notes\n---\n")
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if !clk.WaitPending(wctx, 1) {
		t.Fatal("the watcher never armed its debounce")
	}
	if got := skillNames(c.LoadWith(ctx, d, Policy{Watch: true, Debounce: time.Second})); !slices.Equal(got, []string{"notes", "weather"}) {
		t.Fatalf("after the debounce changed: %q", got)
	}
}
