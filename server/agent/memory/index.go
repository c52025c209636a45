package memory

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// Index limits.
const (
	// MaxFileBytes is the largest memory file indexed (and read by memory_get); a larger
	// file is left out of the index.
	MaxFileBytes = 2 << 20
	// MaxChunksPerFile bounds the chunks one file contributes; the rest of a longer
	// file is not indexed.
	MaxChunksPerFile = 2000
	// SnippetMaxChars bounds a result's snippet (the original's 700).
	SnippetMaxChars = 700
	// maxWarmSessions bounds the session keys remembered as already synced at start.
	maxWarmSessions = 1024
)

// Sources: where a chunk came from. "memory" is the workspace's memory files,
// "sessions" the agent's session transcripts (experimental.sessionMemory).
const (
	SourceMemory   = "memory"
	SourceSessions = "sessions"
)

// Options configure an Index.
type Options struct {
	Settings Settings
	// Workspace is the agent's workspace directory.
	Workspace string
	// Embedder makes vectors; nil means keyword search only, with FallbackFrom and
	// FallbackReason saying why.
	Embedder                     Embedder
	FallbackFrom, FallbackReason string
	// Transcripts lists and reads the agent's session transcripts, indexed when the
	// settings' sources include "sessions"; nil leaves them out.
	Transcripts Transcripts
	Logger      *slog.Logger
	Now         func() time.Time
}

// Index is one agent's memory index. Its methods are safe for concurrent use.
type Index struct {
	o   Options
	s   Settings
	db  *sql.DB
	log *slog.Logger

	// syncMu serialises syncs: one writer at a time.
	syncMu sync.Mutex

	mu    sync.Mutex
	dirty bool
	// dirtyGen counts MarkDirty calls: a sync clears dirty only when none came
	// while it ran, and clears it at its end, so a search meanwhile still sees the
	// index dirty and waits for the sync (syncMu) instead of reading a half-built
	// index (TestAgentMemorySearchEndToEnd flaked on that under load).
	dirtyGen uint64
	warm     map[string]bool
	closed   bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// synced is signalled after each background sync (tests wait on it).
	synced chan struct{}
}

// Result is one memory_search hit, in the original's field names.
type Result struct {
	Path      string  `json:"path"`
	StartLine int     `json:"startLine"`
	EndLine   int     `json:"endLine"`
	Score     float64 `json:"score"`
	Snippet   string  `json:"snippet"`
	Source    string  `json:"source"`
}

// SyncStats says what a sync did.
type SyncStats struct {
	Files, Indexed, Removed, Skipped int
	// Embedded counts texts sent to the embeddings endpoint.
	Embedded int
}

// Open opens (creating if needed) the index's SQLite file and starts the watcher and
// the interval sync the settings ask for. The index starts dirty: the first search (or
// session start) indexes the files.
func Open(ctx context.Context, o Options) (*Index, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workspace == "" {
		return nil, errors.New("memory: no workspace")
	}
	ws, err := filepath.Abs(o.Workspace)
	if err != nil {
		return nil, fmt.Errorf("memory: workspace: %w", err)
	}
	o.Workspace = ws
	if err := os.MkdirAll(filepath.Dir(o.Settings.StorePath), 0o700); err != nil {
		return nil, fmt.Errorf("memory: store dir: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+o.Settings.StorePath+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("memory: open %s: %w", o.Settings.StorePath, err)
	}
	x := &Index{o: o, s: o.Settings, db: db, log: o.Logger.With("agent", o.Settings.AgentID), dirty: true,
		warm: map[string]bool{}, synced: make(chan struct{}, 1)}
	if err := x.ensureSchema(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	x.ctx, x.cancel = context.WithCancel(context.Background())
	if x.s.Watch && x.s.HasSource(SourceMemory) {
		if err := x.startWatcher(); err != nil {
			x.log.Warn("memory: file watcher unavailable", "err", err)
		}
	}
	if x.s.SyncInterval > 0 {
		x.wg.Add(1)
		go x.intervalLoop(x.s.SyncInterval)
	}
	return x, nil
}

// Close stops the watcher and background syncs and closes the database.
func (x *Index) Close() error {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return nil
	}
	x.closed = true
	x.mu.Unlock()
	x.cancel()
	x.wg.Wait()
	return x.db.Close()
}

func (x *Index) model() string {
	if x.o.Embedder == nil {
		return ""
	}
	return x.o.Embedder.Model()
}

func (x *Index) ensureSchema(ctx context.Context) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, source TEXT NOT NULL DEFAULT 'memory', hash TEXT NOT NULL, mtime INTEGER NOT NULL, size INTEGER NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS chunks (id TEXT PRIMARY KEY, path TEXT NOT NULL, source TEXT NOT NULL DEFAULT 'memory', start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, hash TEXT NOT NULL, model TEXT NOT NULL, text TEXT NOT NULL, embedding BLOB, updated_at INTEGER NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS idx_chunks_path ON chunks(path)`,
		`CREATE TABLE IF NOT EXISTS embedding_cache (provider TEXT NOT NULL, model TEXT NOT NULL, provider_key TEXT NOT NULL, hash TEXT NOT NULL, embedding BLOB NOT NULL, dims INTEGER, updated_at INTEGER NOT NULL, PRIMARY KEY (provider, model, provider_key, hash))`,
		`CREATE INDEX IF NOT EXISTS idx_embedding_cache_updated_at ON embedding_cache(updated_at)`,
		`CREATE TABLE IF NOT EXISTS session_state (path TEXT PRIMARY KEY, bytes INTEGER NOT NULL, messages INTEGER NOT NULL)`,
		`CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(text, id UNINDEXED, path UNINDEXED, source UNINDEXED, model UNINDEXED, start_line UNINDEXED, end_line UNINDEXED)`,
	}
	for _, q := range stmts {
		if _, err := x.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("memory: schema: %w", err)
		}
	}
	return nil
}

// indexMeta is what the stored chunks were made with; a change re-indexes everything.
type indexMeta struct {
	Provider     string `json:"provider"`
	Model        string `json:"model"`
	ProviderKey  string `json:"providerKey"`
	ChunkTokens  int    `json:"chunkTokens"`
	ChunkOverlap int    `json:"chunkOverlap"`
}

func (x *Index) currentMeta() indexMeta {
	m := indexMeta{Provider: ProviderNone, ChunkTokens: x.s.ChunkTokens, ChunkOverlap: x.s.ChunkOverlap}
	if e := x.o.Embedder; e != nil {
		m.Provider, m.Model, m.ProviderKey = e.ID(), e.Model(), e.Key()
	}
	return m
}

// MarkDirty makes the next search (with sync.onSearch) re-index first.
func (x *Index) MarkDirty() {
	x.mu.Lock()
	x.dirty = true
	x.dirtyGen++
	x.mu.Unlock()
}

func (x *Index) isDirty() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.dirty
}

// WarmSession syncs in the background when a session first uses the index
// (sync.onSessionStart), once per session key.
func (x *Index) WarmSession(sessionKey string) {
	if !x.s.SyncOnSessionStart {
		return
	}
	x.mu.Lock()
	if x.closed || (sessionKey != "" && x.warm[sessionKey]) {
		x.mu.Unlock()
		return
	}
	if sessionKey != "" {
		if len(x.warm) >= maxWarmSessions {
			clear(x.warm)
		}
		x.warm[sessionKey] = true
	}
	x.wg.Add(1)
	x.mu.Unlock()
	go func() {
		defer x.wg.Done()
		x.backgroundSync("session-start")
	}()
}

// backgroundSync syncs for reason; session transcripts are left to searches and the
// interval sync, as the original does not look at them at session start or on a
// memory-file change.
func (x *Index) backgroundSync(reason string) {
	ses := x.sessionsOn() && reason != "session-start" && reason != "watch"
	if _, err := x.sync(x.ctx, x.s.HasSource(SourceMemory), ses); err != nil && x.ctx.Err() == nil {
		x.log.Warn("memory: sync failed", "reason", reason, "err", err)
	}
	select {
	case x.synced <- struct{}{}:
	default:
	}
}

func (x *Index) intervalLoop(every time.Duration) {
	defer x.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-x.ctx.Done():
			return
		case <-t.C:
			x.backgroundSync("interval")
		}
	}
}

// startWatcher watches MEMORY.md (through the workspace directory) and memory/ with its
// subdirectories; a change marks the index dirty and syncs after sync.watchDebounceMs
// of quiet.
func (x *Index) startWatcher() error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	if err := w.Add(x.o.Workspace); err != nil {
		_ = w.Close()
		return err
	}
	memDir := filepath.Join(x.o.Workspace, "memory")
	addTree := func(dir string) {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = w.Add(p)
			}
			return nil
		})
	}
	addTree(memDir)
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		defer w.Close()
		var timer *time.Timer
		fire := make(chan struct{}, 1)
		defer func() {
			if timer != nil {
				timer.Stop()
			}
		}()
		for {
			select {
			case <-x.ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				rel, err := filepath.Rel(x.o.Workspace, ev.Name)
				if err != nil {
					continue
				}
				rel = filepath.ToSlash(rel)
				if rel != "MEMORY.md" && rel != "memory.md" && rel != "memory" && !strings.HasPrefix(rel, "memory/") {
					continue
				}
				if ev.Has(fsnotify.Create) {
					if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
						addTree(ev.Name)
					}
				}
				x.MarkDirty()
				if timer == nil {
					timer = time.AfterFunc(x.s.WatchDebounce, func() {
						select {
						case fire <- struct{}{}:
						default:
						}
					})
				} else {
					timer.Reset(x.s.WatchDebounce)
				}
			case <-fire:
				x.backgroundSync("watch")
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				x.log.Warn("memory: watcher", "err", err)
			}
		}
	}()
	return nil
}

// fileEntry is a memory file found on disk.
type fileEntry struct {
	rel, abs string
	mtime    int64
	size     int64
}

// listFiles finds MEMORY.md, memory.md and memory/**/*.md (regular files; symlinked
// directories are not followed, and one file reached twice is listed once).
func (x *Index) listFiles() []fileEntry {
	var out []fileEntry
	seen := map[string]bool{}
	add := func(abs string) {
		st, err := os.Lstat(abs)
		if err != nil || !st.Mode().IsRegular() {
			return
		}
		key := abs
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			key = real
		}
		if seen[key] {
			return
		}
		seen[key] = true
		rel, _ := filepath.Rel(x.o.Workspace, abs)
		out = append(out, fileEntry{rel: filepath.ToSlash(rel), abs: abs, mtime: st.ModTime().UnixMilli(), size: st.Size()})
	}
	add(filepath.Join(x.o.Workspace, "MEMORY.md"))
	add(filepath.Join(x.o.Workspace, "memory.md"))
	_ = filepath.WalkDir(filepath.Join(x.o.Workspace, "memory"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".md") {
			add(p)
		}
		return nil
	})
	return out
}

// Sync brings the index up to date with the files: new and changed files (by content
// hash) are chunked and embedded (chunks whose text is in the embedding cache are not
// sent again), deleted files leave the index. With the "sessions" source it also
// indexes the session transcripts that grew by sync.sessions.* (syncSessions). Only
// one sync runs at a time.
func (x *Index) Sync(ctx context.Context) (SyncStats, error) {
	return x.sync(ctx, x.s.HasSource(SourceMemory), x.sessionsOn())
}

func (x *Index) sessionsOn() bool {
	return x.s.HasSource(SourceSessions) && x.o.Transcripts != nil
}

func (x *Index) sync(ctx context.Context, memFiles, sessions bool) (SyncStats, error) {
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	var st SyncStats
	full, err := x.checkMeta(ctx)
	if err != nil {
		return st, err
	}
	var errs []error
	// A full re-index cleared the session chunks too: bring them back whatever the
	// reason of this sync.
	if sessions || (full && x.sessionsOn()) {
		ss, err := x.syncSessions(ctx, full)
		st.add(ss)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if memFiles {
		ms, err := x.syncMemory(ctx, full)
		st.add(ms)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return st, errors.Join(errs...)
}

func (st *SyncStats) add(o SyncStats) {
	st.Files += o.Files
	st.Indexed += o.Indexed
	st.Removed += o.Removed
	st.Skipped += o.Skipped
	st.Embedded += o.Embedded
}

// stalePaths are the indexed paths of source that active no longer names.
func (x *Index) stalePaths(ctx context.Context, source string, active map[string]bool) ([]string, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT path FROM files WHERE source = ?`, source)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	defer rows.Close()
	var stale []string
	for rows.Next() {
		var p string
		if rows.Scan(&p) == nil && !active[p] {
			stale = append(stale, p)
		}
	}
	return stale, nil
}

func (x *Index) syncMemory(ctx context.Context, full bool) (SyncStats, error) {
	var st SyncStats
	x.mu.Lock()
	gen := x.dirtyGen
	x.mu.Unlock()
	active := map[string]bool{}
	var errs []error
	for _, f := range x.listFiles() {
		if f.size > MaxFileBytes {
			x.log.Warn("memory: file too large to index", "path", f.rel, "size", f.size, "max", MaxFileBytes)
			st.Skipped++
			continue
		}
		content, err := os.ReadFile(f.abs)
		if err != nil {
			errs = append(errs, fmt.Errorf("memory: read %s: %w", f.rel, err))
			active[f.rel] = true // keep what was indexed
			continue
		}
		active[f.rel] = true
		st.Files++
		hash := hashText(string(content))
		var old string
		err = x.db.QueryRowContext(ctx, `SELECT hash FROM files WHERE path = ? AND source = ?`, f.rel, SourceMemory).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return st, fmt.Errorf("memory: %w", err)
		}
		if !full && old == hash {
			continue
		}
		n, err := x.indexFile(ctx, SourceMemory, f, string(content), hash)
		st.Embedded += n
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st.Indexed++
	}
	stale, err := x.stalePaths(ctx, SourceMemory, active)
	if err != nil {
		return st, err
	}
	for _, p := range stale {
		if err := x.removeFile(ctx, SourceMemory, p); err != nil {
			errs = append(errs, err)
			continue
		}
		st.Removed++
	}
	if err := x.pruneCache(ctx); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		x.mu.Lock()
		if x.dirtyGen == gen {
			x.dirty = false
		}
		x.mu.Unlock()
	}
	if len(errs) > 0 {
		x.MarkDirty() // try again next time
	}
	return st, errors.Join(errs...)
}

// checkMeta reports whether the stored chunks were made with other settings (provider,
// model, endpoint, chunking), clearing them if so.
func (x *Index) checkMeta(ctx context.Context) (bool, error) {
	want := x.currentMeta()
	b, _ := json.Marshal(want)
	var raw string
	err := x.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'memory_index_meta_v1'`).Scan(&raw)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("memory: %w", err)
	}
	if raw == string(b) {
		return false, nil
	}
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("memory: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM chunks`, `DELETE FROM chunks_fts`, `DELETE FROM files`, `DELETE FROM session_state`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return false, fmt.Errorf("memory: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES('memory_index_meta_v1', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, string(b)); err != nil {
		return false, fmt.Errorf("memory: %w", err)
	}
	return true, tx.Commit()
}

func (x *Index) removeFile(ctx context.Context, source, rel string) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM chunks WHERE path = ? AND source = ?`, `DELETE FROM chunks_fts WHERE path = ? AND source = ?`, `DELETE FROM files WHERE path = ? AND source = ?`} {
		if _, err := tx.ExecContext(ctx, q, rel, source); err != nil {
			return fmt.Errorf("memory: remove %s: %w", rel, err)
		}
	}
	return tx.Commit()
}

// indexFile replaces a file's chunks in one transaction; it returns how many texts
// were sent for embedding.
func (x *Index) indexFile(ctx context.Context, source string, f fileEntry, content, hash string) (int, error) {
	chunks := chunkMarkdown(content, x.s.ChunkTokens, x.s.ChunkOverlap)
	if len(chunks) > MaxChunksPerFile {
		x.log.Warn("memory: file has too many chunks; indexing the first ones", "path", f.rel, "chunks", len(chunks), "max", MaxChunksPerFile)
		chunks = chunks[:MaxChunksPerFile]
	}
	vecs, sent, err := x.embedChunks(ctx, chunks)
	if err != nil {
		return sent, fmt.Errorf("memory: index %s: %w", f.rel, err)
	}
	model := x.model()
	now := x.o.Now().UnixMilli()
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return sent, fmt.Errorf("memory: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM chunks WHERE path = ? AND source = ?`, `DELETE FROM chunks_fts WHERE path = ? AND source = ?`} {
		if _, err := tx.ExecContext(ctx, q, f.rel, source); err != nil {
			return sent, fmt.Errorf("memory: %w", err)
		}
	}
	for i, c := range chunks {
		id := hashText(fmt.Sprintf("%s:%s:%d:%d:%s:%s", source, f.rel, c.StartLine, c.EndLine, c.Hash, model))
		var blob []byte
		if vecs != nil {
			blob = vectorBlob(vecs[i])
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chunks (id, path, source, start_line, end_line, hash, model, text, embedding, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET hash=excluded.hash, model=excluded.model, text=excluded.text, embedding=excluded.embedding, updated_at=excluded.updated_at`,
			id, f.rel, source, c.StartLine, c.EndLine, c.Hash, model, c.Text, blob, now); err != nil {
			return sent, fmt.Errorf("memory: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chunks_fts (text, id, path, source, model, start_line, end_line) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.Text, id, f.rel, source, model, c.StartLine, c.EndLine); err != nil {
			return sent, fmt.Errorf("memory: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO files (path, source, hash, mtime, size) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(path) DO UPDATE SET source=excluded.source, hash=excluded.hash, mtime=excluded.mtime, size=excluded.size`,
		f.rel, source, hash, f.mtime, f.size); err != nil {
		return sent, fmt.Errorf("memory: %w", err)
	}
	return sent, tx.Commit()
}

// embedChunks returns a vector per chunk (nil without an embedder): from the cache
// where it has the chunk's text, from the endpoint (in batches of at most
// EmbedBatchMaxChars / EmbedBatchMaxInputs, each distinct text once) for the rest.
func (x *Index) embedChunks(ctx context.Context, chunks []Chunk) ([][]float32, int, error) {
	e := x.o.Embedder
	if e == nil || len(chunks) == 0 {
		return nil, 0, nil
	}
	out := make([][]float32, len(chunks))
	want := map[string][]int{} // hash -> chunk indexes
	var order []string
	for i, c := range chunks {
		if x.s.CacheEnabled {
			var blob []byte
			err := x.db.QueryRowContext(ctx, `SELECT embedding FROM embedding_cache WHERE provider = ? AND model = ? AND provider_key = ? AND hash = ?`,
				e.ID(), e.Model(), e.Key(), c.Hash).Scan(&blob)
			if err == nil {
				if v := blobVector(blob); len(v) > 0 {
					out[i] = v
					continue
				}
			} else if !errors.Is(err, sql.ErrNoRows) {
				return nil, 0, err
			}
		}
		if _, ok := want[c.Hash]; !ok {
			order = append(order, c.Hash)
		}
		want[c.Hash] = append(want[c.Hash], i)
	}
	sent := 0
	for start := 0; start < len(order); {
		end, chars := start, 0
		for end < len(order) && end-start < EmbedBatchMaxInputs {
			n := len([]rune(chunks[want[order[end]][0]].Text))
			if end > start && chars+n > EmbedBatchMaxChars {
				break
			}
			chars += n
			end++
		}
		texts := make([]string, 0, end-start)
		for _, h := range order[start:end] {
			texts = append(texts, chunks[want[h][0]].Text)
		}
		vecs, err := e.Embed(ctx, texts)
		sent += len(texts)
		if err != nil {
			return nil, sent, err
		}
		now := x.o.Now().UnixMilli()
		for j, h := range order[start:end] {
			for _, i := range want[h] {
				out[i] = vecs[j]
			}
			if x.s.CacheEnabled && len(vecs[j]) > 0 {
				if _, err := x.db.ExecContext(ctx, `INSERT INTO embedding_cache (provider, model, provider_key, hash, embedding, dims, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
					ON CONFLICT(provider, model, provider_key, hash) DO UPDATE SET embedding=excluded.embedding, dims=excluded.dims, updated_at=excluded.updated_at`,
					e.ID(), e.Model(), e.Key(), h, vectorBlob(vecs[j]), len(vecs[j]), now); err != nil {
					return nil, sent, fmt.Errorf("memory: cache: %w", err)
				}
			}
		}
		start = end
	}
	return out, sent, nil
}

// pruneCache drops the oldest embedding cache entries above cache.maxEntries.
func (x *Index) pruneCache(ctx context.Context) error {
	if !x.s.CacheEnabled || x.s.CacheMaxEntries <= 0 {
		return nil
	}
	_, err := x.db.ExecContext(ctx, `DELETE FROM embedding_cache WHERE rowid IN (SELECT rowid FROM embedding_cache ORDER BY updated_at ASC, rowid ASC
		LIMIT max(0, (SELECT COUNT(*) FROM embedding_cache) - ?))`, x.s.CacheMaxEntries)
	if err != nil {
		return fmt.Errorf("memory: prune cache: %w", err)
	}
	return nil
}

// CacheEntries counts the embedding cache.
func (x *Index) CacheEntries(ctx context.Context) (int, error) {
	var n int
	err := x.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM embedding_cache`).Scan(&n)
	return n, err
}

func vectorBlob(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func blobVector(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func cosine(a, b []float32) float64 {
	n := min(len(a), len(b))
	if n == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := 0; i < n; i++ {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / (math.Sqrt(na) * math.Sqrt(nb))
}

// SearchOptions override query.maxResults and query.minScore for one search.
type SearchOptions struct {
	MaxResults *int
	MinScore   *float64
	SessionKey string
}

var ftsToken = regexp.MustCompile(`[A-Za-z0-9_]+`)

// ftsQuery is the original's keyword query: every word, quoted, all required.
func ftsQuery(raw string) string {
	toks := ftsToken.FindAllString(raw, -1)
	if len(toks) == 0 {
		return ""
	}
	for i, t := range toks {
		toks[i] = `"` + t + `"`
	}
	return strings.Join(toks, " AND ")
}

// bm25Score turns an FTS5 bm25 rank into a score in (0, 1] as the original does:
// 1/(1+max(0, rank)). FTS5 ranks are negative (better is lower), so every keyword hit
// scores 1 and keyword hits are ordered among themselves by rank.
func bm25Score(rank float64) float64 {
	if math.IsNaN(rank) || math.IsInf(rank, 0) {
		rank = 999
	}
	return 1 / (1 + max(0, rank))
}

type hit struct {
	Result
	id              string
	vector, keyword float64
	seq             int
}

// Search answers memory_search: with an embedder, the hybrid of vector similarity and
// keyword match (score = vectorWeight*cosine + textWeight*keywordScore over
// maxResults*candidateMultiplier candidates of each), or vector only when
// query.hybrid.enabled is false; without one, keyword matches only. Results under
// minScore are dropped. With sync.onSearch, a dirty index is synced first.
func (x *Index) Search(ctx context.Context, query string, o SearchOptions) ([]Result, error) {
	x.WarmSession(o.SessionKey)
	// Memory files when the watcher (or a failed sync) marked them dirty; session
	// transcripts every time, as checking them for growth is one query.
	if mem, ses := x.s.SyncOnSearch && x.isDirty() && x.s.HasSource(SourceMemory), x.s.SyncOnSearch && x.sessionsOn(); mem || ses {
		if _, err := x.sync(ctx, mem, ses); err != nil {
			x.log.Warn("memory: sync before search failed", "err", err)
		}
	}
	q := strings.TrimSpace(query)
	if q == "" {
		return []Result{}, nil
	}
	maxResults, minScore := x.s.MaxResults, x.s.MinScore
	if o.MaxResults != nil && *o.MaxResults > 0 {
		maxResults = *o.MaxResults
	}
	if o.MinScore != nil {
		minScore = *o.MinScore
	}
	candidates := min(MaxCandidates, max(1, maxResults*x.s.CandidateMultiplier))
	var merged []hit
	if x.o.Embedder == nil {
		kw, err := x.searchKeyword(ctx, q, candidates)
		if err != nil {
			return nil, err
		}
		for _, h := range kw {
			h.Score = h.keyword
			merged = append(merged, h)
		}
	} else {
		var kw []hit
		if x.s.HybridEnabled {
			var err error
			if kw, err = x.searchKeyword(ctx, q, candidates); err != nil {
				x.log.Warn("memory: keyword search failed", "err", err)
				kw = nil
			}
		}
		vecs, err := x.o.Embedder.Embed(ctx, []string{q})
		if err != nil {
			return nil, err
		}
		var vec []hit
		if len(vecs) == 1 && nonZero(vecs[0]) {
			if vec, err = x.searchVector(ctx, vecs[0], candidates); err != nil {
				return nil, err
			}
		}
		if !x.s.HybridEnabled {
			for _, h := range vec {
				h.Score = h.vector
				merged = append(merged, h)
			}
		} else {
			merged = mergeHybrid(vec, kw, x.s.VectorWeight, x.s.TextWeight)
		}
	}
	out := []Result{}
	for _, h := range merged {
		if h.Score >= minScore && len(out) < maxResults {
			out = append(out, h.Result)
		}
	}
	return out, nil
}

func nonZero(v []float32) bool {
	for _, f := range v {
		if f != 0 {
			return true
		}
	}
	return false
}

// mergeHybrid joins the two candidate lists by chunk and scores each
// vectorWeight*vector + textWeight*keyword, best first (ties in the order found).
func mergeHybrid(vec, kw []hit, vw, tw float64) []hit {
	byID := map[string]*hit{}
	var order []*hit
	for _, h := range vec {
		h := h
		h.seq = len(order)
		byID[h.id] = &h
		order = append(order, &h)
	}
	for _, k := range kw {
		if h, ok := byID[k.id]; ok {
			h.keyword = k.keyword
			if k.Snippet != "" {
				h.Snippet = k.Snippet
			}
			continue
		}
		k := k
		k.seq = len(order)
		byID[k.id] = &k
		order = append(order, &k)
	}
	out := make([]hit, len(order))
	for i, h := range order {
		h.Score = vw*h.vector + tw*h.keyword
		out[i] = *h
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

func snippet(s string) string {
	r := []rune(s)
	if len(r) <= SnippetMaxChars {
		return s
	}
	return string(r[:SnippetMaxChars])
}

// src is the i-th configured source, or the first again: the two placeholders of a
// search's "source IN (?, ?)" keep the chunks of the sources in force, so turning
// sessions off hides their chunks at once.
func (x *Index) src(i int) string {
	if i < len(x.s.Sources) {
		return x.s.Sources[i]
	}
	if len(x.s.Sources) > 0 {
		return x.s.Sources[0]
	}
	return SourceMemory
}

func (x *Index) searchKeyword(ctx context.Context, q string, limit int) ([]hit, error) {
	fq := ftsQuery(q)
	if fq == "" {
		return nil, nil
	}
	rows, err := x.db.QueryContext(ctx, `SELECT id, path, source, start_line, end_line, text, bm25(chunks_fts) AS rank
		FROM chunks_fts WHERE chunks_fts MATCH ? AND model = ? AND source IN (?, ?) ORDER BY rank ASC LIMIT ?`, fq, x.model(), x.src(0), x.src(1), limit)
	if err != nil {
		return nil, fmt.Errorf("memory: keyword search: %w", err)
	}
	defer rows.Close()
	var out []hit
	for rows.Next() {
		var h hit
		var rank float64
		if err := rows.Scan(&h.id, &h.Path, &h.Source, &h.StartLine, &h.EndLine, &h.Snippet, &rank); err != nil {
			return nil, fmt.Errorf("memory: keyword search: %w", err)
		}
		h.Snippet = snippet(h.Snippet)
		h.keyword = bm25Score(rank)
		out = append(out, h)
	}
	return out, rows.Err()
}

func (x *Index) searchVector(ctx context.Context, q []float32, limit int) ([]hit, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT id, path, source, start_line, end_line, text, embedding FROM chunks WHERE model = ? AND embedding IS NOT NULL AND source IN (?, ?)`, x.model(), x.src(0), x.src(1))
	if err != nil {
		return nil, fmt.Errorf("memory: vector search: %w", err)
	}
	defer rows.Close()
	var out []hit
	for rows.Next() {
		var h hit
		var blob []byte
		if err := rows.Scan(&h.id, &h.Path, &h.Source, &h.StartLine, &h.EndLine, &h.Snippet, &blob); err != nil {
			return nil, fmt.Errorf("memory: vector search: %w", err)
		}
		h.vector = cosine(q, blobVector(blob))
		if math.IsNaN(h.vector) {
			continue
		}
		h.Snippet = snippet(h.Snippet)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].vector > out[j].vector })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ErrNotMemoryPath is memory_get on a path that is not one of the memory files.
var ErrNotMemoryPath = errors.New("path must be MEMORY.md, memory.md or a .md file under memory/ in the workspace")

// ReadResult is memory_get's answer.
type ReadResult struct {
	Path string `json:"path"`
	Text string `json:"text"`
}

// ReadFile reads a memory file, or lines [from, from+lines) of it (1-based). Only
// MEMORY.md, memory.md and memory/**/*.md are readable, through an os.Root on the
// workspace, so neither ../ nor a symlink leads out of it.
func (x *Index) ReadFile(relPath string, from, lines int) (ReadResult, error) {
	rel := strings.ReplaceAll(strings.TrimSpace(relPath), `\`, "/")
	rel = strings.TrimPrefix(rel, "./")
	if rel == "" || strings.HasPrefix(rel, "/") || filepath.IsAbs(rel) {
		return ReadResult{}, ErrNotMemoryPath
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == ".." {
			return ReadResult{}, fmt.Errorf("%w: %q escapes it", ErrNotMemoryPath, relPath)
		}
	}
	rel = path.Clean(rel)
	if rel != "MEMORY.md" && rel != "memory.md" && !(strings.HasPrefix(rel, "memory/") && strings.HasSuffix(rel, ".md")) {
		return ReadResult{}, ErrNotMemoryPath
	}
	root, err := os.OpenRoot(x.o.Workspace)
	if err != nil {
		return ReadResult{}, fmt.Errorf("memory: workspace: %w", err)
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil {
		return ReadResult{}, fmt.Errorf("memory: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ReadResult{}, fmt.Errorf("memory: %w", err)
	}
	if !st.Mode().IsRegular() {
		return ReadResult{}, ErrNotMemoryPath
	}
	if st.Size() > MaxFileBytes {
		return ReadResult{}, fmt.Errorf("memory: %s is larger than %d bytes", rel, MaxFileBytes)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return ReadResult{}, fmt.Errorf("memory: %w", err)
	}
	content := string(b)
	if from <= 0 && lines <= 0 {
		return ReadResult{Path: rel, Text: content}, nil
	}
	all := strings.Split(content, "\n")
	start := max(1, from)
	count := lines
	if count <= 0 {
		count = len(all)
	}
	if start > len(all) {
		return ReadResult{Path: rel, Text: ""}, nil
	}
	end := min(len(all), start-1+count)
	return ReadResult{Path: rel, Text: strings.Join(all[start-1:end], "\n")}, nil
}

// Status is what memory_search reports besides its results.
type Status struct {
	Provider string    `json:"provider"`
	Model    string    `json:"model"`
	Fallback *Fallback `json:"fallback,omitempty"`
	// Mode is how a search finds results: "hybrid", "vector" (query.hybrid.enabled
	// false) or "keyword" (no embeddings provider).
	Mode string `json:"mode"`
}

// Fallback says the requested provider was not used, and why.
type Fallback struct {
	From   string `json:"from"`
	Reason string `json:"reason,omitempty"`
}

// Status reports the provider in use: "none" with the fallback reason when the index
// answers by keyword only.
func (x *Index) Status() Status {
	st := Status{Provider: ProviderNone, Mode: "keyword"}
	if e := x.o.Embedder; e != nil {
		st.Provider, st.Model, st.Mode = e.ID(), e.Model(), "hybrid"
		if !x.s.HybridEnabled {
			st.Mode = "vector"
		}
	}
	if x.o.FallbackReason != "" {
		st.Fallback = &Fallback{From: x.o.FallbackFrom, Reason: x.o.FallbackReason}
	}
	return st
}
