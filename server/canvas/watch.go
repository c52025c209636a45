package canvas

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watcher follows every directory under the root (fsnotify is not recursive) and
// calls fire once the tree has been quiet for the debounce period. Dotfiles and
// node_modules are ignored, as in the original: editors' swap files and package
// installs should not reload pages.
type watcher struct {
	w        *fsnotify.Watcher
	debounce time.Duration
	fire     func()
	log      *slog.Logger

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
	done    chan struct{}
}

func ignored(name string) bool {
	base := filepath.Base(name)
	return strings.HasPrefix(base, ".") || base == "node_modules"
}

func watch(root string, debounce time.Duration, fire func(), log *slog.Logger) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &watcher{w: fw, debounce: debounce, fire: fire, log: log, done: make(chan struct{})}
	if err := w.addTree(root, true); err != nil {
		_ = fw.Close()
		return nil, err
	}
	go w.loop()
	return w, nil
}

// addTree watches dir and its subdirectories, up to MaxWatchedDirs.
func (w *watcher) addTree(dir string, isRoot bool) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if isRoot && p == dir {
				return err
			}
			return nil // vanished meanwhile
		}
		if !d.IsDir() {
			return nil
		}
		if p != dir && ignored(p) {
			return filepath.SkipDir
		}
		if len(w.w.WatchList()) >= MaxWatchedDirs {
			w.log.Warn("canvas watcher: too many directories; changes below are not watched", "limit", MaxWatchedDirs, "dir", p)
			return filepath.SkipAll
		}
		if err := w.w.Add(p); err != nil && isRoot && p == dir {
			return err
		}
		return nil
	})
}

func (w *watcher) loop() {
	defer close(w.done)
	for {
		select {
		case ev, ok := <-w.w.Events:
			if !ok {
				return
			}
			if ignored(ev.Name) {
				continue
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Lstat(ev.Name); err == nil && st.IsDir() {
					_ = w.addTree(ev.Name, false)
				}
			}
			w.changed()
		case err, ok := <-w.w.Errors:
			if !ok {
				return
			}
			w.log.Warn("canvas watcher", "err", err)
		}
	}
}

func (w *watcher) changed() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	w.timer = time.AfterFunc(w.debounce, w.fire)
}

func (w *watcher) close() error {
	w.mu.Lock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
	w.mu.Unlock()
	err := w.w.Close()
	<-w.done
	return err
}
