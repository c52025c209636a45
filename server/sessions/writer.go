package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Group commit limits.
const (
	// DefaultMaxBatch bounds the writes committed in one transaction (one disk sync).
	// Larger batches amortise the sync over more callers but hold each of them until
	// the whole batch is committed.
	DefaultMaxBatch = 64
	// DefaultWriteQueue bounds the writes waiting for the writer; callers beyond it
	// wait (or give up with their context) instead of growing memory.
	DefaultWriteQueue = 256
	// gatherYields bounds how often the writer lets ready goroutines run before it
	// commits a batch, to let their writes join it (writer.gather). One yield gets
	// most of the gain in BenchmarkTurn -cpu 1; more add little.
	gatherYields = 2
)

// ErrClosed is a write to a closed store.
var ErrClosed = errors.New("sessions: store closed")

// writeFunc is one write: it runs inside the writer's transaction. ctx is the caller's
// context without its cancellation: cancelling a statement interrupts SQLite, which
// can roll back the whole shared transaction, so a caller gives up only before its
// write starts.
type writeFunc func(ctx context.Context, tx *sql.Tx) error

// writeJob is one caller's write waiting for the writer.
type writeJob struct {
	ctx  context.Context
	f    writeFunc
	sync bool       // the commit must reach the disk before the caller is answered
	done chan error // buffered: the writer never blocks on it
}

// writer is the store's single writing goroutine (group commit). Concurrent writes
// queue up while it commits; it takes everything queued (up to MaxBatch) into one
// transaction, each write in its own savepoint so a failing write is rolled back
// alone, commits once — synced when any write of the batch asks for it — and only
// then answers each caller. Durability is unchanged (nothing is acknowledged before
// its commit, and a synced write is on disk before its caller returns); the disk sync
// is shared by every write of the batch instead of paid by each.
type writer struct {
	conn    *sql.Conn
	cache   *sessionCache // the batch's session rows are published here after its commit
	jobs    chan *writeJob
	quit    chan struct{}
	stopped chan struct{}
	maxB    int
	// cmu guards closed: submitters hold it shared while they enqueue, so Close can
	// wait for them and no job is enqueued after the writer drained the queue.
	cmu    sync.RWMutex
	closed bool
	// mode is the connection's current synchronous setting ("" = unknown).
	mode string
	// yields bounds the yields of gather (see there).
	yields int
	// Counters for tests and benchmarks.
	commits, writes, syncs, retries atomic.Int64
}

// WriterStats are the group-commit counters.
type WriterStats struct {
	Commits int64 // transactions committed (batches)
	Writes  int64 // writes committed (or refused) through them
	Syncs   int64 // commits that waited for the disk
	// Retries counts batches run a second time, each write in its own savepoint,
	// because one of their writes failed.
	Retries int64
}

// WriterStats returns the group-commit counters since Open.
func (s *Store) WriterStats() WriterStats {
	return WriterStats{Commits: s.w.commits.Load(), Writes: s.w.writes.Load(), Syncs: s.w.syncs.Load(), Retries: s.w.retries.Load()}
}

func startWriter(ctx context.Context, db *sql.DB, cache *sessionCache, maxBatch, queue int) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sessions: writer connection: %w", err)
	}
	w := &writer{conn: conn, cache: cache, jobs: make(chan *writeJob, queue), quit: make(chan struct{}), stopped: make(chan struct{}), maxB: maxBatch, mode: "FULL", yields: gatherYields}
	go w.run()
	return w, nil
}

// submit queues f and waits for its commit. Once queued, the write is answered
// whatever ctx does (it may already be part of a commit in progress).
func (w *writer) submit(ctx context.Context, sync bool, f writeFunc) error {
	return <-w.enqueue(ctx, sync, f)
}

// enqueue queues f and returns the channel its commit (or failure) is answered on.
// Writes queued by one goroutine commit in the order they were queued.
func (w *writer) enqueue(ctx context.Context, sync bool, f writeFunc) <-chan error {
	j := &writeJob{ctx: ctx, f: f, sync: sync, done: make(chan error, 1)}
	w.cmu.RLock()
	defer w.cmu.RUnlock()
	if w.closed {
		j.done <- ErrClosed
		return j.done
	}
	select {
	case w.jobs <- j:
	case <-ctx.Done():
		j.done <- fmt.Errorf("sessions: write: %w", ctx.Err())
	}
	return j.done
}

// close stops accepting writes, commits what is queued and closes the connection.
func (w *writer) close() error {
	w.cmu.Lock()
	if w.closed {
		w.cmu.Unlock()
		return nil
	}
	w.closed = true
	w.cmu.Unlock()
	close(w.quit)
	<-w.stopped
	return w.conn.Close()
}

func (w *writer) run() {
	defer close(w.stopped)
	batch := make([]*writeJob, 0, w.maxB)
	for {
		select {
		case j := <-w.jobs:
			batch = append(batch[:0], j)
		case <-w.quit:
			// No submitter can enqueue any more (closed is set): commit what is left.
			for {
				batch = w.take(batch[:0])
				if len(batch) == 0 {
					return
				}
				w.commit(batch)
			}
		}
		w.commit(w.gather(batch))
	}
}

// gather completes a batch begun with one write. Before it takes what is queued it
// lets the goroutines that are ready to run go first (runtime.Gosched), as long as
// that brings more writes, up to maxYields times: on a busy core the turns whose
// writes are about to be submitted then join this commit instead of paying for the
// next one (on a gateway with one core this halves the commits, and their syncs, per
// turn). On an idle machine the yields return at once.
func (w *writer) gather(batch []*writeJob) []*writeJob {
	for range w.yields {
		n := len(batch)
		runtime.Gosched()
		if batch = w.take(batch); len(batch) == n || len(batch) >= w.maxB {
			break
		}
	}
	return w.take(batch)
}

// take appends queued jobs to batch without waiting, up to the batch bound.
func (w *writer) take(batch []*writeJob) []*writeJob {
	for len(batch) < w.maxB {
		select {
		case j := <-w.jobs:
			batch = append(batch, j)
		default:
			return batch
		}
	}
	return batch
}

// commit runs a batch in one transaction and answers every job.
func (w *writer) commit(batch []*writeJob) {
	errs := make([]error, len(batch))
	err := w.commitBatch(batch, errs)
	// Counted before anyone is answered: a caller that reads WriterStats after its
	// write returned sees that write counted.
	w.writes.Add(int64(len(batch)))
	for i, j := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		j.done <- errs[i]
	}
}

func (w *writer) commitBatch(batch []*writeJob, errs []error) error {
	ctx := context.Background()
	mode := "NORMAL"
	for _, j := range batch {
		if j.sync {
			mode = "FULL"
			break
		}
	}
	// synchronous=NORMAL commits without waiting for the disk: the write survives a
	// crash of the process at once, and a power loss once the next FULL commit has
	// synced the write-ahead log (it syncs every frame before its own).
	if w.mode != mode {
		w.mode = ""
		if _, err := w.conn.ExecContext(ctx, `PRAGMA synchronous=`+mode); err != nil {
			return fmt.Errorf("sessions: set synchronous=%s: %w", mode, err)
		}
		w.mode = mode
	}
	// A caller that gave up before its write started is not written.
	live := 0
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs[i] = fmt.Errorf("sessions: write: %w", err)
			continue
		}
		live++
	}
	if live == 0 {
		return nil
	}
	// First every write in one transaction without savepoints: a savepoint copies each
	// page it first changes into a sub-journal and costs two more statements per write,
	// while writes almost never fail. Only when one does is the batch rolled back and run
	// again with each write in its own savepoint, so the failing write is rolled back
	// alone. Writes are functions of the database state, so the second run sees what
	// the first saw; they must not accumulate results across runs.
	ok, failed, err := w.attempt(ctx, batch, errs, false)
	if err == nil && failed && live > 1 {
		w.retries.Add(1)
		ok, _, err = w.attempt(ctx, batch, errs, true)
	}
	if err != nil || ok == 0 {
		return err
	}
	w.commits.Add(1)
	if mode == "FULL" {
		w.syncs.Add(1)
	}
	return nil
}

// attempt runs the batch's live writes (errs[i] == nil) in one transaction and commits
// it when at least one succeeded. With isolate each write runs in its own savepoint and
// a failing one is rolled back alone; without, the first failure rolls the transaction
// back and is reported as failed (the other writes' errs are left nil, to run again).
func (w *writer) attempt(ctx context.Context, batch []*writeJob, errs []error, isolate bool) (ok int, failed bool, err error) {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("sessions: begin: %w", err)
	}
	for i, j := range batch {
		if errs[i] != nil {
			continue // given up before the batch started
		}
		jctx := context.WithoutCancel(j.ctx)
		if !isolate {
			if err := run(jctx, j.f, tx); err != nil {
				_ = tx.Rollback()
				w.cache.rollback()
				if live(errs) == 1 {
					errs[i] = err // alone in its transaction: its failure is final
				}
				return 0, true, nil
			}
			ok++
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			_ = tx.Rollback()
			w.cache.rollback()
			return 0, false, fmt.Errorf("sessions: savepoint: %w", err)
		}
		w.cache.beginWrite()
		werr := run(jctx, j.f, tx)
		if werr != nil {
			w.cache.rollbackWrite()
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO w`); err != nil {
				_ = tx.Rollback()
				w.cache.rollback()
				return 0, false, fmt.Errorf("sessions: rollback to savepoint: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE w`); err != nil {
			_ = tx.Rollback()
			w.cache.rollback()
			return 0, false, fmt.Errorf("sessions: release savepoint: %w", err)
		}
		if werr != nil {
			errs[i], failed = werr, true
		} else {
			ok++
		}
	}
	if ok == 0 {
		_ = tx.Rollback()
		w.cache.rollback()
		return 0, failed, nil
	}
	if err := tx.Commit(); err != nil {
		// Whether the commit reached the file is unknown: forget the batch's rows.
		w.cache.publish(true)
		return 0, failed, fmt.Errorf("sessions: commit: %w", err)
	}
	// Published before the batch's callers are answered: they read their own writes.
	w.cache.publish(false)
	return ok, failed, nil
}

// live counts the writes of a batch still to run (no error yet).
func live(errs []error) int {
	n := 0
	for _, e := range errs {
		if e == nil {
			n++
		}
	}
	return n
}

// run calls f, turning a panic into an error so one bad write cannot stop the writer.
func run(ctx context.Context, f writeFunc, tx *sql.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sessions: write panicked: %v", r)
		}
	}()
	return f(ctx, tx)
}

func (w *writer) isClosed() bool {
	w.cmu.RLock()
	defer w.cmu.RUnlock()
	return w.closed
}
