package skills

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/clawgate/gateway/server/clock"
)

// DefaultWatchDebounce is skills.load.watchDebounceMs when unset (the original's
// 250 ms): a burst of edits (an editor's save, a git checkout, an installer) becomes
// one refresh once the folders have been quiet this long.
const DefaultWatchDebounce = 250 * time.Millisecond

// MaxWatchedRoots bounds the skill folders watched at once (one per agent workspace,
// the managed folder and the extra folders in practice); further folders are
// re-checked on every Load instead.
const MaxWatchedRoots = 64

// MaxWatchedDirs bounds the directories watched under one skill folder (fsnotify is
// not recursive: each needs its own watch); changes below the limit go unseen until
// a change above it.
const MaxWatchedDirs = 1024

// Policy is how a Cache refreshes what the runs see (skills.load.watch and
// skills.load.watchDebounceMs).
type Policy struct {
	// Watch: a folder's skills are read again once a change under it has been quiet
	// for Debounce (a file watcher). Off: they are read once and kept until Thaw (a
	// config change) or a restart.
	Watch    bool
	Debounce time.Duration
}

// PolicyFrom reads skills.load.watch (default true) and skills.load.watchDebounceMs
// (default DefaultWatchDebounce; negative counts as 0) from an effective config
// document.
func PolicyFrom(tree any) Policy {
	p := Policy{Watch: true, Debounce: DefaultWatchDebounce}
	sk, _ := lookup(tree, "skills").(map[string]any)
	ld, _ := sk["load"].(map[string]any)
	if ld == nil {
		return p
	}
	if b, ok := ld["watch"].(bool); ok {
		p.Watch = b
	}
	var ms float64
	switch v := ld["watchDebounceMs"].(type) {
	case float64:
		ms = v
	case int:
		ms = float64(v)
	case int64:
		ms = float64(v)
	default:
		return p
	}
	p.Debounce = max(0, time.Duration(ms*float64(time.Millisecond)))
	return p
}

// dirWatch follows one skill folder and its subfolders, and counts quiet-after-change
// periods in gen: a cached read taken at an older gen is stale.
type dirWatch struct {
	root     string
	w        *fsnotify.Watcher
	debounce time.Duration
	clk      clock.Clock

	mu     sync.Mutex
	gen    uint64
	broken bool // the root itself went away: the watch must be set up again
	done   chan struct{}
}

func ignoredName(p string) bool {
	b := filepath.Base(p)
	return strings.HasPrefix(b, ".") || b == "node_modules" || b == "dist"
}

// startWatch watches root (which must exist) and the folders under it.
func startWatch(root string, debounce time.Duration, clk clock.Clock) (*dirWatch, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := fw.Add(root); err != nil {
		_ = fw.Close()
		return nil, err
	}
	d := &dirWatch{root: root, w: fw, debounce: debounce, clk: clk, done: make(chan struct{})}
	d.addTree(root)
	go d.loop()
	return d, nil
}

// addTree watches the folders under dir (dir itself included), up to MaxWatchedDirs.
func (d *dirWatch) addTree(dir string) {
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.IsDir() {
			return nil
		}
		if p != d.root && ignoredName(p) {
			return filepath.SkipDir
		}
		if len(d.w.WatchList()) >= MaxWatchedDirs {
			return filepath.SkipAll
		}
		_ = d.w.Add(p)
		return nil
	})
}

func (d *dirWatch) loop() {
	defer close(d.done)
	var timer clock.Timer
	var fire <-chan time.Time
	for {
		select {
		case ev, ok := <-d.w.Events:
			if !ok {
				if timer != nil {
					timer.Stop()
				}
				return
			}
			if ev.Name != d.root && ignoredName(ev.Name) {
				continue
			}
			if ev.Name == d.root && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				d.mu.Lock()
				d.broken = true
				d.gen++
				d.mu.Unlock()
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					d.addTree(ev.Name)
				}
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if timer != nil {
				timer.Stop()
			}
			timer = d.clk.NewTimer(d.debounce)
			fire = timer.C()
		case <-fire:
			timer, fire = nil, nil
			d.mu.Lock()
			d.gen++
			d.mu.Unlock()
		case _, ok := <-d.w.Errors:
			if !ok {
				return
			}
		}
	}
}

func (d *dirWatch) state() (gen uint64, broken bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.gen, d.broken
}

func (d *dirWatch) close() {
	_ = d.w.Close()
	<-d.done
}

type watchedEntry struct {
	skills []*Skill
	gen    uint64
}

type watchKey struct {
	root     string
	debounce time.Duration
}

// watchedDir is loadDir under Policy.Watch: the skills read at the watch's current
// gen, read again (through the stat cache) once a change has settled. A folder that
// cannot be watched (missing, over MaxWatchedRoots) is re-checked on every Load.
func (c *Cache) watchedDir(ctx context.Context, dir, source string, p Policy) ([]*Skill, error) {
	w := c.ensureWatch(dir, p.Debounce)
	if w == nil {
		return c.loadDir(ctx, dir, source)
	}
	gen, _ := w.state()
	k := source + "\x00" + dir
	c.mu.Lock()
	e, ok := c.watched[k]
	c.mu.Unlock()
	if ok && e.gen == gen {
		return e.skills, nil
	}
	skills, err := c.loadDir(ctx, dir, source)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.watched == nil {
		c.watched = map[string]watchedEntry{}
	}
	c.watched[k] = watchedEntry{skills: skills, gen: gen}
	c.mu.Unlock()
	return skills, nil
}

// ensureWatch returns the running watch of dir with this debounce, starting it (and
// stopping one with another debounce, or whose folder went away) as needed; nil when
// dir cannot be watched.
func (c *Cache) ensureWatch(dir string, debounce time.Duration) *dirWatch {
	c.watchMu.Lock()
	defer c.watchMu.Unlock()
	if c.closed {
		return nil
	}
	if w, ok := c.watches[dir]; ok {
		if _, broken := w.state(); !broken && w.debounce == debounce {
			return w
		}
		delete(c.watches, dir)
		w.close()
		// The snapshots taken under the old watch are not comparable with the new
		// watch's generations.
		c.mu.Lock()
		for k := range c.watched {
			if strings.HasSuffix(k, "\x00"+dir) {
				delete(c.watched, k)
			}
		}
		c.mu.Unlock()
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || len(c.watches) >= MaxWatchedRoots {
		return nil
	}
	clk := c.Clock
	if clk == nil {
		clk = clock.Real()
	}
	w, err := startWatch(dir, debounce, clk)
	if err != nil {
		return nil
	}
	if c.watches == nil {
		c.watches = map[string]*dirWatch{}
	}
	c.watches[dir] = w
	return w
}

// stopWatches stops every watch (Policy.Watch turned off, or Close).
func (c *Cache) stopWatches() {
	c.watchMu.Lock()
	ws := c.watches
	c.watches = nil
	c.watchMu.Unlock()
	for _, w := range ws {
		w.close()
	}
	c.mu.Lock()
	c.watched = nil
	c.mu.Unlock()
}

// Close stops the file watchers; later Loads re-check the folders every time.
func (c *Cache) Close() {
	c.watchMu.Lock()
	c.closed = true
	c.watchMu.Unlock()
	c.stopWatches()
}
