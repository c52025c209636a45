// Package dedupe remembers the results of idempotent requests (send, poll) so a retry
// with the same idempotencyKey gets the first answer instead of a second delivery.
//
// Differences from the original gateway, on purpose:
//
//   - Concurrent duplicates run once: while a key is in flight, later callers wait for
//     its outcome and get the same result (the original runs both).
//
//   - Results are persisted in SQLite before they are returned, so a gateway restart
//     (or kill -9 after the answer) does not resend.
//
//   - Only successes are remembered. A failed delivery (not linked, network down) is
//     handed to the callers that were waiting for that very attempt, then forgotten, so
//     a retry after the cause is fixed runs again. The original caches failures for the
//     TTL, which turns a transient outage into 5 minutes of replayed errors.
//
//   - A key is marked in flight, durably, before its delivery starts. If the process
//     dies during the delivery, a retry with that key after the restart is not
//     resent: the gateway cannot know whether the first attempt reached the network,
//     so it answers ErrOutcomeUnknown (at most once) instead of risking a duplicate
//     message. A new key sends again.
package dedupe

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	_ "modernc.org/sqlite" // driver "sqlite"

	"github.com/clawgate/gateway/server/statefile"
)

// Limits (the original's DEDUPE_TTL_MS and DEDUPE_MAX).
const (
	DefaultTTL        = 5 * time.Minute
	DefaultMaxEntries = 1000
)

// ErrOutcomeUnknown is the answer for a key whose delivery was under way when the
// gateway stopped (kill -9, crash, power loss): it may or may not have been delivered,
// and it is not tried again.
var ErrOutcomeUnknown = errors.New("dedupe: the gateway stopped while this idempotencyKey was being delivered; it may have been delivered and is not sent again (use a new key to send)")

// Options configure a Store.
type Options struct {
	// Path is the SQLite file; ":memory:" is not supported (use a temp dir).
	Path string
	// TTL is how long a result is replayed (DefaultTTL when 0).
	TTL time.Duration
	// MaxEntries bounds the remembered results; the oldest go first (DefaultMaxEntries
	// when 0).
	MaxEntries int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Store is the idempotency cache. Safe for concurrent use.
type Store struct {
	db   *sql.DB
	ttl  time.Duration
	max  int
	now  func() time.Time
	mu   sync.Mutex
	busy map[string]*call
}

type call struct {
	waiters int // callers waiting for this run (guarded by Store.mu)
	done    chan struct{}
	res     json.RawMessage
	err     error
}

// DSN is the SQLite connection string used for path (foreign keys on, WAL, busy
// timeout), shared with the WhatsApp device store.
func DSN(path string) string {
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
}

// Open opens (creating if needed) the store at o.Path.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Path == "" {
		return nil, errors.New("dedupe: empty path")
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := statefile.PrivateFile(o.Path, 0o600); err != nil {
		return nil, fmt.Errorf("dedupe: open %s: %w", o.Path, err)
	}
	db, err := sql.Open("sqlite", DSN(o.Path))
	if err != nil {
		return nil, fmt.Errorf("dedupe: open %s: %w", o.Path, err)
	}
	db.SetMaxOpenConns(1) // one writer; reads are tiny
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS results (
		key TEXT PRIMARY KEY,
		ts INTEGER NOT NULL,
		payload BLOB NOT NULL
	)`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("dedupe: create table in %s: %w", o.Path, err)
	}
	// inflight holds keys whose delivery started and has not ended.
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS inflight (
		key TEXT PRIMARY KEY,
		ts INTEGER NOT NULL
	)`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("dedupe: create table in %s: %w", o.Path, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS results_ts ON results(ts)`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("dedupe: create index: %w", err)
	}
	return &Store{db: db, ttl: o.TTL, max: o.MaxEntries, now: o.Now, busy: map[string]*call{}}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Do returns the remembered result for key, or runs fn once and remembers its result.
// Callers that arrive while fn runs for the same key wait for it (or for their ctx)
// and share its outcome. replay reports that the result came from an earlier call.
func (s *Store) Do(ctx context.Context, key string, fn func(ctx context.Context) (json.RawMessage, error)) (res json.RawMessage, replay bool, err error) {
	s.mu.Lock()
	if c, ok := s.busy[key]; ok {
		c.waiters++
		s.mu.Unlock()
		select {
		case <-c.done:
			return c.res, true, c.err
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	if r, ok, err := s.lookup(ctx, key); err != nil {
		s.mu.Unlock()
		return nil, false, err
	} else if ok {
		s.mu.Unlock()
		return r, true, nil
	}
	// Nothing runs this key in this process, so a marker is from one that died.
	if interrupted, err := s.interrupted(ctx, key); err != nil {
		s.mu.Unlock()
		return nil, false, err
	} else if interrupted {
		s.mu.Unlock()
		return nil, false, ErrOutcomeUnknown
	}
	c := &call{done: make(chan struct{})}
	s.busy[key] = c
	s.mu.Unlock()

	// Waiters are released even if fn panics (the panic then continues).
	defer func() {
		s.mu.Lock()
		delete(s.busy, key)
		s.mu.Unlock()
		close(c.done)
	}()
	c.err = errors.New("dedupe: request aborted")
	if err := s.markInflight(key); err != nil {
		// Without the marker a crash during delivery could lead to a second one.
		c.err = fmt.Errorf("dedupe: cannot record the delivery before it starts: %w", err)
		return nil, false, c.err
	}
	c.res, c.err = fn(ctx)
	if c.err == nil {
		if werr := s.store(key, c.res); werr != nil {
			// Delivered but not remembered: report it. The marker stays, so a retry
			// gets ErrOutcomeUnknown rather than a second delivery.
			c.err = fmt.Errorf("dedupe: delivered, but remembering the result failed: %w", werr)
		}
	} else if derr := s.clearInflight(key); derr != nil {
		c.err = errors.Join(c.err, fmt.Errorf("dedupe: clearing the in-flight mark: %w", derr))
	}
	return c.res, false, c.err
}

// interrupted reports an unexpired in-flight marker for key.
func (s *Store) interrupted(ctx context.Context, key string) (bool, error) {
	var ts int64
	err := s.db.QueryRowContext(ctx, `SELECT ts FROM inflight WHERE key = ?`, key).Scan(&ts)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dedupe: lookup: %w", err)
	}
	return s.now().Sub(time.UnixMilli(ts)) < s.ttl, nil
}

// markInflight durably records that key's delivery starts now, pruning expired marks.
func (s *Store) markInflight(key string) error {
	now := s.now()
	return s.exec(
		stmt{`DELETE FROM inflight WHERE ts <= ?`, []any{now.Add(-s.ttl).UnixMilli()}},
		stmt{`INSERT OR REPLACE INTO inflight(key, ts) VALUES(?, ?)`, []any{key, now.UnixMilli()}},
	)
}

// clearInflight removes key's marker after a delivery that definitely failed.
func (s *Store) clearInflight(key string) error {
	return s.exec(stmt{`DELETE FROM inflight WHERE key = ?`, []any{key}})
}

type stmt struct {
	query string
	args  []any
}

// exec runs stmts in one transaction. It uses its own context: a caller that went away
// must not undo a delivery's record.
func (s *Store) exec(stmts ...stmt) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Waiting reports whether key is running and how many duplicates wait for it.
func (s *Store) Waiting(key string) (running bool, waiters int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.busy[key]
	if !ok {
		return false, 0
	}
	return true, c.waiters
}

// Get returns a remembered, unexpired result.
func (s *Store) Get(ctx context.Context, key string) (json.RawMessage, bool, error) {
	return s.lookup(ctx, key)
}

// Len is the number of stored rows (expired ones included until the next prune).
func (s *Store) Len(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM results`).Scan(&n)
	return n, err
}

func (s *Store) lookup(ctx context.Context, key string) (json.RawMessage, bool, error) {
	var ts int64
	var payload []byte
	err := s.db.QueryRowContext(ctx, `SELECT ts, payload FROM results WHERE key = ?`, key).Scan(&ts, &payload)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("dedupe: lookup: %w", err)
	}
	if s.now().Sub(time.UnixMilli(ts)) >= s.ttl {
		return nil, false, nil
	}
	return json.RawMessage(payload), true, nil
}

// store writes the result, clears the in-flight mark and prunes expired and surplus
// rows in one transaction.
func (s *Store) store(key string, payload json.RawMessage) error {
	now := s.now()
	return s.exec(
		stmt{`INSERT OR REPLACE INTO results(key, ts, payload) VALUES(?, ?, ?)`, []any{key, now.UnixMilli(), []byte(payload)}},
		stmt{`DELETE FROM inflight WHERE key = ?`, []any{key}},
		stmt{`DELETE FROM results WHERE ts <= ?`, []any{now.Add(-s.ttl).UnixMilli()}},
		stmt{`DELETE FROM results WHERE key NOT IN (SELECT key FROM results ORDER BY ts DESC, rowid DESC LIMIT ?)`, []any{s.max}},
	)
}
