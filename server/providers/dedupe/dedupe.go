// Package dedupe remembers the results of idempotent requests (send, poll) so a retry
// with the same idempotencyKey gets the first answer instead of a second delivery.
//
// Differences from the original gateway, on purpose:
//   - Concurrent duplicates run once: while a key is in flight, later callers wait for
//     its outcome and get the same result (the original runs both).
//   - Results are persisted in SQLite before they are returned, so a gateway restart
//     (or kill -9 after the answer) does not resend.
//   - Only successes are remembered. A failed delivery (not linked, network down) is
//     handed to the callers that were waiting for that very attempt, then forgotten, so
//     a retry after the cause is fixed runs again. The original caches failures for the
//     TTL, which turns a transient outage into 5 minutes of replayed errors.
//
// A crash between delivery and the write can still resend on retry (at-least-once);
// nothing acknowledged is lost.
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
	c.res, c.err = fn(ctx)
	if c.err == nil {
		if werr := s.store(key, c.res); werr != nil {
			// Delivered but not remembered: report it, a retry could resend.
			c.err = fmt.Errorf("dedupe: delivered, but remembering the result failed: %w", werr)
		}
	}
	return c.res, false, c.err
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

// store writes the result and prunes expired and surplus rows in one transaction. It
// uses its own context: a caller that went away must not undo a delivery's record.
func (s *Store) store(key string, payload json.RawMessage) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO results(key, ts, payload) VALUES(?, ?, ?)`, key, now.UnixMilli(), []byte(payload)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM results WHERE ts <= ?`, now.Add(-s.ttl).UnixMilli()); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM results WHERE key NOT IN (SELECT key FROM results ORDER BY ts DESC, rowid DESC LIMIT ?)`, s.max); err != nil {
		return err
	}
	return tx.Commit()
}
