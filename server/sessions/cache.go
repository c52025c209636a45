package sessions

import "sync"

// DefaultSessionCache bounds the session rows kept in memory (Options.SessionCache).
const DefaultSessionCache = 4096

// sessionCache keeps recently used session rows (and known-absent keys) in memory, so
// a turn does not read back the session it has just written: a chat turn reads its
// session twice and every transcript write loads it inside the write transaction.
//
// It is write-through and owned by the writer: the store is the only writer of its
// file, every write runs on the writer goroutine, and every write that changes a
// sessions row records the row's new state (or that it is unknown) in the batch's
// pending overlay. The writer publishes the overlay when the batch has committed and
// before any caller of the batch is answered, so a caller that wrote a session reads
// its own write. Readers fill the cache after a miss only when no batch was published
// while they read (gen), so a slow reader never puts back a row older than a publish.
type sessionCache struct {
	limit int // entries kept; <= 0 disables the cache

	mu      sync.Mutex
	entries map[string]cacheEntry
	gen     uint64 // publishes so far

	// The writer goroutine's own state: the batch's changes, not yet committed.
	pending map[string]*cacheEntry // nil entry: state unknown (read the database)
	touched []string               // keys the current write changed (isolate mode)
}

// cacheEntry is one key's row, or ok false for a key with no session.
type cacheEntry struct {
	ss Session
	ok bool
	// noCompaction: the current transcript (ss.ID) is known to hold no compaction
	// entry (it was started by this store and none was appended since), so the
	// lookup of the latest one every model run makes needs no query.
	noCompaction bool
}

func newSessionCache(limit int) *sessionCache {
	return &sessionCache{limit: limit, entries: map[string]cacheEntry{}, pending: map[string]*cacheEntry{}}
}

// get returns the cached row (known: the cache knows whether the key exists).
func (c *sessionCache) get(key string) (e cacheEntry, known bool) {
	if c.limit <= 0 {
		return cacheEntry{}, false
	}
	c.mu.Lock()
	e, known = c.entries[key]
	c.mu.Unlock()
	return e, known
}

// snapshot is the publish count a reader notes before it reads the database.
func (c *sessionCache) snapshot() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// fill caches what a reader read from the database, unless a batch was published
// since snapshot gen (the read may predate it).
func (c *sessionCache) fill(key string, e cacheEntry, gen uint64) {
	if c.limit <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	c.putLocked(key, e)
}

func (c *sessionCache) putLocked(key string, e cacheEntry) {
	if _, ok := c.entries[key]; !ok {
		for k := range c.entries { // at the bound: drop arbitrary entries (map order)
			if len(c.entries) < c.limit {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = e
}

// Writer side: these run only on the writer goroutine, inside a batch.

// txGet is the row as the current transaction sees it, when the cache knows it.
func (c *sessionCache) txGet(key string) (cacheEntry, bool) {
	if p, ok := c.pending[key]; ok {
		if p == nil {
			return cacheEntry{}, false
		}
		return *p, true
	}
	return c.get(key)
}

// txSet records key's row as the current transaction leaves it. What is known about
// the transcript's compaction entries carries over while the transcript stays the same.
func (c *sessionCache) txSet(key string, ss Session) {
	prev, ok := c.txGet(key)
	c.pending[key] = &cacheEntry{ss: ss, ok: true, noCompaction: ok && prev.ok && prev.noCompaction && prev.ss.ID == ss.ID}
	c.touched = append(c.touched, key)
}

// txNewTranscript records key's row with a transcript the transaction has just
// started (no messages, so no compaction entry).
func (c *sessionCache) txNewTranscript(key string, ss Session) {
	c.pending[key] = &cacheEntry{ss: ss, ok: true, noCompaction: true}
	c.touched = append(c.touched, key)
}

// txCompacted records that the transaction appended a compaction entry to key's
// current transcript (recorded with txSet).
func (c *sessionCache) txCompacted(key string) {
	if p := c.pending[key]; p != nil {
		p.noCompaction = false
	}
}

// txForget records that the current transaction changed key's row in a way only the
// database knows (or deleted it): readers go to the database until it is written again.
func (c *sessionCache) txForget(key string) {
	c.pending[key] = nil
	c.touched = append(c.touched, key)
}

// txAbsent records that the current transaction deleted key's row.
func (c *sessionCache) txAbsent(key string) {
	c.pending[key] = &cacheEntry{}
	c.touched = append(c.touched, key)
}

// beginWrite starts one write of the batch (touched tracks what a rollback to its
// savepoint must forget).
func (c *sessionCache) beginWrite() { c.touched = c.touched[:0] }

// rollbackWrite forgets what the write rolled back to its savepoint had recorded.
func (c *sessionCache) rollbackWrite() {
	for _, k := range c.touched {
		c.pending[k] = nil
	}
	c.touched = c.touched[:0]
}

// rollback drops the batch's changes (the transaction was rolled back).
func (c *sessionCache) rollback() {
	clear(c.pending)
	c.touched = c.touched[:0]
}

// publish applies the committed batch's changes. With failed (the commit's outcome is
// unknown), every key the batch touched is dropped instead.
func (c *sessionCache) publish(failed bool) {
	if len(c.pending) == 0 {
		return
	}
	c.mu.Lock()
	c.gen++
	for k, p := range c.pending {
		if p == nil || failed || c.limit <= 0 {
			delete(c.entries, k)
			continue
		}
		c.putLocked(k, *p)
	}
	c.mu.Unlock()
	c.rollback()
}

// len is the number of cached entries (tests).
func (c *sessionCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
