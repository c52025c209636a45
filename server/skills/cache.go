package skills

import (
	"context"
	"io/fs"
	"os"
	"sync"
	"time"
)

// MaxScanStamps bounds the paths (folders and SKILL.md files) the cache remembers for
// one skills folder; a larger tree is read afresh every time.
const MaxScanStamps = 4096

// RacyWindow is how close to a scan a change may fall and still be missed by the
// filesystem's timestamp granularity: a folder stamped within it of its scan is read
// again on the next Load (as git treats "racily clean" entries).
const RacyWindow = 2 * time.Second

// stamp is what a path's stat looked like; a missing path has exists = false.
type stamp struct {
	exists bool
	mtime  int64
	size   int64
}

func stampOf(fi fs.FileInfo) stamp {
	if fi == nil {
		return stamp{}
	}
	return stamp{exists: true, mtime: fi.ModTime().UnixNano(), size: fi.Size()}
}

func (sc *scan) record(path string, fi fs.FileInfo) {
	if len(sc.stamps) >= MaxScanStamps {
		sc.full = true
		return
	}
	sc.stamps[path] = stampOf(fi)
}

// Cache reads skill folders like Load, but parses a folder's SKILL.md files again only
// when the folder changed: a folder's entry is checked by stat-ing the folders walked
// and the SKILL.md files read last time (a new skill folder changes its parent's
// mtime; an edited SKILL.md its own). Skills are re-listed on every agent run, so an
// unchanged tree costs a few stats instead of reading every file. Safe for concurrent
// use.
type Cache struct {
	// OnParse, when set, is called for every SKILL.md parsed (tests count parses).
	OnParse func(file string)
	// Now is the clock scans are stamped with (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry // by source + "\x00" + dir
}

type cacheEntry struct {
	skills []*Skill
	stamps map[string]stamp
	racy   bool // some stamp fell within RacyWindow of the scan: read again next time
}

// Load is Load with the cache.
func (c *Cache) Load(ctx context.Context, d Dirs) ([]*Skill, error) {
	return load(ctx, d, c.loadDir)
}

func (c *Cache) loadDir(ctx context.Context, dir, source string) ([]*Skill, error) {
	k := source + "\x00" + dir
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if ok && !e.racy && unchanged(e.stamps) {
		return e.skills, nil
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	start := now()
	sc := &scan{stamps: map[string]stamp{}, parsed: c.OnParse}
	skills, err := loadDir(ctx, dir, source, sc)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cacheEntry{}
	}
	if sc.full {
		delete(c.entries, k)
		return skills, nil
	}
	racy := false
	cut := start.Add(-RacyWindow).UnixNano()
	for _, s := range sc.stamps {
		if s.exists && s.mtime >= cut {
			racy = true
			break
		}
	}
	c.entries[k] = cacheEntry{skills: skills, stamps: sc.stamps, racy: racy}
	return skills, nil
}

// unchanged reports whether every recorded path still stats the same.
func unchanged(stamps map[string]stamp) bool {
	for p, want := range stamps {
		fi, err := os.Stat(p)
		if err != nil {
			fi = nil
		}
		if stampOf(fi) != want {
			return false
		}
	}
	return true
}
