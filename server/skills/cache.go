package skills

import (
	"context"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/clawgate/gateway/server/clock"
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

	// Clock times the watchers' debounce (default the real clock).
	Clock clock.Clock

	mu      sync.Mutex
	entries map[string]cacheEntry   // by source + "\x00" + dir
	watched map[string]watchedEntry // LoadWith, Policy.Watch: by the same key
	frozen  map[string][]*Skill     // LoadWith, !Policy.Watch: by the same key

	watchMu sync.Mutex
	watches map[string]*dirWatch // by folder
	closed  bool
}

type cacheEntry struct {
	skills []*Skill
	stamps map[string]stamp
	racy   bool // some stamp fell within RacyWindow of the scan: read again next time
}

// Load is Load with the cache: what is on disk now (skills.status reads this, as
// the original reads the folders afresh for it).
func (c *Cache) Load(ctx context.Context, d Dirs) ([]*Skill, error) {
	return load(ctx, d, c.loadDir)
}

// LoadWith is the snapshot the agent's runs see, kept as the policy says: with
// Watch, a folder is read again only after a change under it has been quiet for
// Debounce (a folder that cannot be watched is re-checked every time); without it,
// a folder is read once and kept until Thaw or a restart.
func (c *Cache) LoadWith(ctx context.Context, d Dirs, p Policy) ([]*Skill, error) {
	if p.Watch {
		return load(ctx, d, func(ctx context.Context, dir, source string) ([]*Skill, error) {
			return c.watchedDir(ctx, dir, source, p)
		})
	}
	c.watchMu.Lock()
	watching := len(c.watches) > 0
	c.watchMu.Unlock()
	if watching {
		c.stopWatches()
	}
	return load(ctx, d, c.frozenDir)
}

// frozenDir is loadDir without a watch: the first read of a folder is kept.
func (c *Cache) frozenDir(ctx context.Context, dir, source string) ([]*Skill, error) {
	k := source + "\x00" + dir
	c.mu.Lock()
	sk, ok := c.frozen[k]
	c.mu.Unlock()
	if ok {
		return sk, nil
	}
	sk, err := c.loadDir(ctx, dir, source)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.frozen == nil {
		c.frozen = map[string][]*Skill{}
	}
	if len(c.frozen) < MaxWatchedRoots {
		c.frozen[k] = sk
	}
	c.mu.Unlock()
	return sk, nil
}

// Thaw drops the snapshots kept without a watch (the config changed): the next
// LoadWith reads the folders again.
func (c *Cache) Thaw() {
	c.mu.Lock()
	c.frozen = nil
	c.mu.Unlock()
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
