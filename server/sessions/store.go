// Package sessions is the durable session store of the agent runtime: one SQLite file
// (<stateDir>/sessions.db) holding the sessions (key → current transcript, last route,
// token counters) and their transcripts. Every write is a committed transaction before
// the call returns, so anything the gateway acknowledges survives a kill -9. Writes are
// also synced to disk (WAL, synchronous=FULL) before they return, except a run's
// in-flight steps (AppendStep) and a finished run's stats (FinishRun), which the next
// synced commit makes durable against power loss. Writes go through one writer
// goroutine that commits concurrent writes together (group commit, writer.go): one
// transaction and one disk sync per batch, each caller answered after its batch.
//
// Keys follow the v3 conventions (protocol-reference §3.6, §11): canonical keys look
// like agent:<agentId>:<rest>; bare keys are canonicalised to agent:main:<key>, so the
// main session is agent:main:<mainKey>. "global" and "unknown" are kept as they are.
package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	_ "modernc.org/sqlite" // the pure-Go "sqlite" driver

	"github.com/clawgate/gateway/server/statefile"
)

// Limits and defaults.
const (
	// DefaultMaxMessageBytes bounds one transcript message's text.
	DefaultMaxMessageBytes = 256 << 10
	// DefaultMaxBodyBytes bounds one message's structured body (tool calls, tool
	// results with images): the JSON the original stores for it.
	DefaultMaxBodyBytes = 4 << 20
	// DefaultMaxMessages bounds one transcript; the oldest messages are trimmed.
	DefaultMaxMessages = 2000
	// DefaultMaxArchived bounds transcripts kept after sessions.reset/delete.
	DefaultMaxArchived = 200
	// MaxKeyLength bounds a session key.
	MaxKeyLength = 512
	// DefaultAgentID is the only agent this gateway runs.
	DefaultAgentID = "main"
)

// ErrTooLarge is a message over MaxMessageBytes.
var ErrTooLarge = errors.New("sessions: message too large")

// ErrNotFound is an unknown session key.
var ErrNotFound = errors.New("sessions: no such session")

// Options configure a Store.
type Options struct {
	// Path is the SQLite file, normally <stateDir>/sessions.db.
	Path string
	// MaxMessageBytes bounds a message's text (default 256 KiB). User text over it is
	// refused with ErrTooLarge; use Truncate for model output.
	MaxMessageBytes int
	// MaxBodyBytes bounds a message's Body (default DefaultMaxBodyBytes); a larger body
	// is refused with ErrTooLarge.
	MaxBodyBytes int
	// MaxMessages bounds one transcript (default 2000); older messages are deleted.
	MaxMessages int
	// MaxArchived bounds archived transcripts (default 200); the oldest are deleted.
	MaxArchived int
	// MaxBatch bounds the writes committed together in one transaction and disk sync
	// (default DefaultMaxBatch).
	MaxBatch int
	// WriteQueue bounds the writes waiting for the writer (default DefaultWriteQueue);
	// further writers wait for room or for their context.
	WriteQueue int
	// SessionCache bounds the session rows kept in memory (default
	// DefaultSessionCache; negative: no cache). The store must be the only writer of
	// its file (it is: the gateway owns its state directory).
	SessionCache int
	Now          func() time.Time
	Logger       *slog.Logger
}

// Store is the session store. Safe for concurrent use.
type Store struct {
	db   *sql.DB
	opts Options
	log  *slog.Logger
	// w is the single writer (group commit): every write transaction goes through it.
	// SQLite has one writer anyway; one goroutine owning it avoids deferred-transaction
	// upgrade failures (SQLITE_BUSY_SNAPSHOT) and lets concurrent writes share a sync.
	w *writer
	// cache holds recently used session rows (cache.go).
	cache *sessionCache
	// stmts caches prepared statements by query text. database/sql keeps each one
	// prepared per pooled connection, so a hot statement is parsed by SQLite once per
	// connection instead of on every call (re-preparing was ~15 % of a chat turn's CPU).
	smu   sync.Mutex
	stmts map[string]*sql.Stmt
}

// Session is one session entry.
type Session struct {
	Key            string
	ID             string // current transcript id (UUID)
	CreatedAt      int64  // ms since the epoch
	UpdatedAt      int64
	Label          string
	DisplayName    string
	ChatType       string // direct | group
	LastChannel    string
	LastTo         string
	LastAccountID  string
	InputTokens    int64
	OutputTokens   int64
	TotalTokens    int64
	AbortedLastRun bool
	Messages       int64 // messages in the current transcript
	// Per-session controls set by sessions.patch ("" = the configured default).
	Model          string // provider/model override
	ThinkingLevel  string
	VerboseLevel   string
	ReasoningLevel string
	SendPolicy     string // allow | deny
	// ElevatedLevel is the session's /elevated level (off | on | ask | full; "" = the
	// configured default). Stored "off" overrides a default that is on.
	ElevatedLevel string
}

// Message is one transcript entry.
type Message struct {
	Seq   int64  // store-wide, increasing
	Role  string // user | assistant | toolResult | system
	Text  string // the plain text (previews, titles, text-only backends)
	Ts    int64  // ms since the epoch
	RunID string
	// Body is the message as the original's transcript stores it (JSON: content parts
	// with tool calls, tool results with details, usage, stop reason); empty for
	// text-only entries, which read as one text part.
	Body []byte
}

// Route is where a session's replies go by default.
type Route struct {
	Channel   string
	To        string
	AccountID string
}

const schema = `
CREATE TABLE IF NOT EXISTS sessions (
  key TEXT PRIMARY KEY,
  session_id TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  display_name TEXT NOT NULL DEFAULT '',
  chat_type TEXT NOT NULL DEFAULT '',
  last_channel TEXT NOT NULL DEFAULT '',
  last_to TEXT NOT NULL DEFAULT '',
  last_account_id TEXT NOT NULL DEFAULT '',
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  total_tokens INTEGER NOT NULL DEFAULT 0,
  aborted_last_run INTEGER NOT NULL DEFAULT 0,
  message_count INTEGER NOT NULL DEFAULT 0,
  model TEXT NOT NULL DEFAULT '',
  thinking_level TEXT NOT NULL DEFAULT '',
  verbose_level TEXT NOT NULL DEFAULT '',
  reasoning_level TEXT NOT NULL DEFAULT '',
  send_policy TEXT NOT NULL DEFAULT '',
  elevated_level TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sessions_updated ON sessions(updated_at);
CREATE TABLE IF NOT EXISTS transcripts (
  id TEXT PRIMARY KEY,
  session_key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  archived_at INTEGER
);
CREATE INDEX IF NOT EXISTS transcripts_archived ON transcripts(archived_at);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  text TEXT NOT NULL,
  ts INTEGER NOT NULL,
  run_id TEXT NOT NULL DEFAULT '',
  body BLOB
);
CREATE INDEX IF NOT EXISTS messages_transcript ON messages(transcript_id, seq);
CREATE INDEX IF NOT EXISTS messages_run ON messages(run_id) WHERE run_id != '';
CREATE INDEX IF NOT EXISTS messages_compaction ON messages(transcript_id, seq) WHERE role = 'compaction';
`

// Open opens (creating if needed) the store at opts.Path.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Path == "" {
		return nil, errors.New("sessions: Path is required")
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = DefaultMaxMessages
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxArchived <= 0 {
		opts.MaxArchived = DefaultMaxArchived
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.WriteQueue <= 0 {
		opts.WriteQueue = DefaultWriteQueue
	}
	if opts.SessionCache == 0 {
		opts.SessionCache = DefaultSessionCache
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// synchronous(FULL): in WAL mode NORMAL may lose the last commits on power loss;
	// an acknowledged transcript write must not be lost.
	if err := statefile.PrivateFile(opts.Path, 0o600); err != nil {
		return nil, fmt.Errorf("sessions: open %s: %w", opts.Path, err)
	}
	dsn := "file:" + opts.Path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sessions: open %s: %w", opts.Path, err)
	}
	db.SetMaxOpenConns(4)
	// Keep every connection open: prepared statements live on their connection, and a
	// closed idle connection would make the next one parse them again.
	db.SetMaxIdleConns(4)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sessions: create schema in %s: %w", opts.Path, err)
	}
	if err := migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sessions: migrate %s: %w", opts.Path, err)
	}
	cache := newSessionCache(opts.SessionCache)
	w, err := startWriter(ctx, db, cache, opts.MaxBatch, opts.WriteQueue)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Store{db: db, opts: opts, log: log, w: w, cache: cache, stmts: map[string]*sql.Stmt{}}, nil
}

// migrate brings a database written by an earlier version up to the current schema.
// Each step checks for what it adds, so it runs once and is safe to repeat.
func migrate(ctx context.Context, db *sql.DB) error {
	// v2: messages.body (structured messages: tool calls and results).
	if err := addColumns(ctx, db, "messages", []string{"body BLOB"}); err != nil {
		return err
	}
	// v3: the per-session controls of sessions.patch.
	return addColumns(ctx, db, "sessions", []string{
		"model TEXT NOT NULL DEFAULT ''",
		"thinking_level TEXT NOT NULL DEFAULT ''",
		"verbose_level TEXT NOT NULL DEFAULT ''",
		"reasoning_level TEXT NOT NULL DEFAULT ''",
		"send_policy TEXT NOT NULL DEFAULT ''",
		// v4: the /elevated level.
		"elevated_level TEXT NOT NULL DEFAULT ''",
	})
}

// addColumns adds each column definition ("name TYPE ...") the table lacks.
func addColumns(ctx context.Context, db *sql.DB, table string, defs []string) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		have[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, def := range defs {
		name, _, _ := strings.Cut(def, " ")
		if have[name] {
			continue
		}
		if _, err := db.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN `+def); err != nil {
			return fmt.Errorf("add %s.%s: %w", table, name, err)
		}
	}
	return nil
}

// Close commits the writes already queued, then closes the cached statements and the
// database. Writes after Close fail with ErrClosed.
func (s *Store) Close() error {
	werr := s.w.close()
	s.smu.Lock()
	for q, st := range s.stmts {
		_ = st.Close()
		delete(s.stmts, q)
	}
	s.smu.Unlock()
	return errors.Join(werr, s.db.Close())
}

// stmt returns the cached prepared statement for query, preparing it on first use.
// Only constant query texts go through here, so the cache is bounded by the code.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.smu.Lock()
	defer s.smu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}

// txStmt is the cached statement for query bound to tx (nil tx: the pool).
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, err := s.stmt(ctx, query)
	if err != nil || tx == nil {
		return st, err
	}
	return tx.StmtContext(ctx, st), nil
}

// exec runs a constant statement with a cached prepared statement, in tx.
func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := s.txStmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// errRow is a row whose Scan fails with the preparation error.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// queryRow runs a constant one-row query with a cached prepared statement (in tx, or
// on the pool when tx is nil).
func (s *Store) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) scanner {
	st, err := s.txStmt(ctx, tx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// query runs a constant query with a cached prepared statement on the pool.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// Path is the database file.
func (s *Store) Path() string { return s.opts.Path }

// MaxMessageBytes is the per-message bound.
func (s *Store) MaxMessageBytes() int { return s.opts.MaxMessageBytes }

// MaxBodyBytes is the bound on a message's Body.
func (s *Store) MaxBodyBytes() int { return s.opts.MaxBodyBytes }

// Canonical turns a request's session key into the stored form: trimmed; "global" and
// "unknown" and agent:<id>:<rest> keys as they are; anything else becomes
// agent:main:<key>. An empty key is an error.
func Canonical(key string) (string, error) {
	k := strings.TrimSpace(key)
	switch {
	case k == "":
		return "", errors.New("session key is empty")
	case len(k) > MaxKeyLength:
		return "", fmt.Errorf("session key longer than %d bytes", MaxKeyLength)
	case !utf8.ValidString(k):
		return "", errors.New("session key is not valid UTF-8")
	case k == "global" || k == "unknown":
		return k, nil
	case strings.HasPrefix(k, "agent:"):
		parts := strings.SplitN(k, ":", 3)
		if len(parts) < 3 || parts[1] == "" || parts[2] == "" {
			return "", fmt.Errorf("session key %q: want agent:<agentId>:<rest>", k)
		}
		return k, nil
	}
	return "agent:" + DefaultAgentID + ":" + k, nil
}

// MainKey is the canonical key of the main session for the configured main key.
func MainKey(mainKey string) string {
	if mainKey == "" {
		mainKey = "main"
	}
	return "agent:" + DefaultAgentID + ":" + mainKey
}

// SenderKey is the session of one sender (direct chat) or one group on a channel:
// agent:main:<channel>:<from> or agent:main:<channel>:group:<chatId>.
func SenderKey(channel, from, chatID string, group bool) string {
	if group {
		return "agent:" + DefaultAgentID + ":" + channel + ":group:" + chatID
	}
	return "agent:" + DefaultAgentID + ":" + channel + ":" + from
}

const sessionCols = `key, session_id, created_at, updated_at, label, display_name, chat_type, last_channel, last_to, last_account_id, input_tokens, output_tokens, total_tokens, aborted_last_run, message_count, model, thinking_level, verbose_level, reasoning_level, send_policy, elevated_level`

type scanner interface{ Scan(...any) error }

func scanSession(r scanner) (Session, error) {
	var ss Session
	var aborted int64
	err := r.Scan(&ss.Key, &ss.ID, &ss.CreatedAt, &ss.UpdatedAt, &ss.Label, &ss.DisplayName, &ss.ChatType,
		&ss.LastChannel, &ss.LastTo, &ss.LastAccountID, &ss.InputTokens, &ss.OutputTokens, &ss.TotalTokens, &aborted, &ss.Messages,
		&ss.Model, &ss.ThinkingLevel, &ss.VerboseLevel, &ss.ReasoningLevel, &ss.SendPolicy, &ss.ElevatedLevel)
	ss.AbortedLastRun = aborted != 0
	return ss, err
}

// Get returns the session with the canonical key.
func (s *Store) Get(ctx context.Context, key string) (Session, error) {
	if e, ok := s.cache.get(key); ok {
		if !e.ok {
			return Session{}, ErrNotFound
		}
		return e.ss, nil
	}
	gen := s.cache.snapshot()
	ss, err := scanSession(s.queryRow(ctx, nil, `SELECT `+sessionCols+` FROM sessions WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		s.cache.fill(key, cacheEntry{}, gen)
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("sessions: get %s: %w", key, err)
	}
	s.cache.fill(key, cacheEntry{ss: ss, ok: true}, gen)
	return ss, nil
}

// GetByID returns the session whose current transcript is id.
func (s *Store) GetByID(ctx context.Context, id string) (Session, error) {
	ss, err := scanSession(s.queryRow(ctx, nil, `SELECT `+sessionCols+` FROM sessions WHERE session_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("sessions: get by id: %w", err)
	}
	return ss, nil
}

// write runs f in a committed write transaction, durable (fsync'd) before it returns.
// Concurrent writes share one transaction and one sync (see writer).
func (s *Store) write(ctx context.Context, f writeFunc) error {
	return s.w.submit(ctx, true, f)
}

// writeLazy runs f in a committed write transaction that does not wait for the disk:
// it survives a crash of the process (kill -9) at once, and a power loss or OS crash
// once the next durable commit has synced the write-ahead log. Only writes whose loss
// on power failure is harmless may use it.
func (s *Store) writeLazy(ctx context.Context, f writeFunc) error {
	return s.w.submit(ctx, false, f)
}

// ensureTx loads or creates the session inside tx.
// The row comes from the session cache when the transaction's view of it is known
// there; either way it is recorded as the transaction's view (cache.txSet), and the
// caller records its own change to it.
func (s *Store) ensureTx(ctx context.Context, tx *sql.Tx, key string, now int64) (Session, error) {
	e, known := s.cache.txGet(key)
	if known && e.ok {
		return e.ss, nil
	}
	if !known {
		ss, err := scanSession(s.queryRow(ctx, tx, `SELECT `+sessionCols+` FROM sessions WHERE key = ?`, key))
		if err == nil {
			s.cache.txSet(key, ss)
			return ss, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Session{}, fmt.Errorf("sessions: load %s: %w", key, err)
		}
	}
	ss := Session{Key: key, ID: transcriptID(now), CreatedAt: now, UpdatedAt: now, ChatType: chatType(key)}
	if _, err := s.exec(ctx, tx, `INSERT INTO transcripts (id, session_key, created_at) VALUES (?, ?, ?)`, ss.ID, key, now); err != nil {
		return Session{}, fmt.Errorf("sessions: create transcript: %w", err)
	}
	if _, err := s.exec(ctx, tx, `INSERT INTO sessions (key, session_id, created_at, updated_at, chat_type) VALUES (?, ?, ?, ?, ?)`,
		key, ss.ID, now, now, ss.ChatType); err != nil {
		return Session{}, fmt.Errorf("sessions: create %s: %w", key, err)
	}
	s.cache.txNewTranscript(key, ss)
	return ss, nil
}

func chatType(key string) string {
	if strings.Contains(key, ":group:") {
		return "group"
	}
	return "direct"
}

// Ensure loads the session with the canonical key, creating it (with a new transcript
// id) if missing.
func (s *Store) Ensure(ctx context.Context, key string) (Session, error) {
	var ss Session
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		ss, err = s.ensureTx(ctx, tx, key, s.opts.Now().UnixMilli())
		return err
	})
	return ss, err
}

// SetRoute records where the session's last inbound message came from (and so where
// replies go by default), creating the session if needed.
func (s *Store) SetRoute(ctx context.Context, key string, r Route, displayName string) (Session, error) {
	var ss Session
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.opts.Now().UnixMilli()
		var err error
		if ss, err = s.ensureTx(ctx, tx, key, now); err != nil {
			return err
		}
		ss.LastChannel, ss.LastTo, ss.LastAccountID, ss.UpdatedAt = r.Channel, r.To, r.AccountID, now
		if displayName != "" {
			ss.DisplayName = displayName
		}
		_, err = s.exec(ctx, tx, `UPDATE sessions SET last_channel = ?, last_to = ?, last_account_id = ?, display_name = ?, updated_at = ? WHERE key = ?`,
			ss.LastChannel, ss.LastTo, ss.LastAccountID, ss.DisplayName, now, key)
		if err != nil {
			return fmt.Errorf("sessions: set route: %w", err)
		}
		s.cache.txSet(key, ss)
		return nil
	})
	return ss, err
}

// SetLabel sets the session label (creating the session if needed).
func (s *Store) SetLabel(ctx context.Context, key, label string) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ss, err := s.ensureTx(ctx, tx, key, s.opts.Now().UnixMilli())
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE sessions SET label = ? WHERE key = ?`, label, key); err != nil {
			return err
		}
		ss.Label = label
		s.cache.txSet(key, ss)
		return nil
	})
}

// Truncate cuts text to the message bound (on a rune boundary), for model output that
// must be stored even when it is long.
func (s *Store) Truncate(text string) string {
	maxB := s.opts.MaxMessageBytes
	if len(text) <= maxB {
		return text
	}
	const mark = "\n[truncated]"
	cut := maxB - len(mark)
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + mark
}

// Append adds a message to the session's current transcript (creating the session if
// needed) and commits durably before returning; the transcript is trimmed to
// MaxMessages.
func (s *Store) Append(ctx context.Context, key string, m Message) (Message, Session, error) {
	return s.appendWith(ctx, key, m, nil, s.write)
}

// AppendFinal is Append for a run's final reply together with the run's stats
// (FinishRun): one durable transaction instead of two. The stats become as durable as
// the reply, which is more than FinishRun alone promises.
func (s *Store) AppendFinal(ctx context.Context, key string, m Message, st RunStats) (Message, Session, error) {
	return s.appendWith(ctx, key, m, &st, s.write)
}

// AppendStep is Append for a run's in-flight steps (an assistant message asking for
// tools, a tool result): committed before it returns, so it survives a crash of the
// process, but without waiting for the disk (see writeLazy). The run's terminal
// message, appended with Append, makes it durable; a power loss before that costs
// only the steps of a run that had not finished, which then resumes from its prompt
// as after any interruption.
func (s *Store) AppendStep(ctx context.Context, key string, m Message) (Message, Session, error) {
	return s.appendWith(ctx, key, m, nil, s.writeLazy)
}

// AppendStepQueued is AppendStep without waiting: the write is queued behind the
// caller's earlier writes and the returned channel answers once it has committed (nil)
// or failed. A run uses it so its next model request does not wait for the commit of
// the step before; it must wait for every answer before it announces its end (its
// terminal write, queued after, commits after them in any case). A message that
// breaks the store's bounds is answered at once with the error.
func (s *Store) AppendStepQueued(ctx context.Context, key string, m Message) <-chan error {
	if err := s.checkMessage(m); err != nil {
		ch := make(chan error, 1)
		ch <- err
		return ch
	}
	return s.w.enqueue(ctx, false, func(ctx context.Context, tx *sql.Tx) error {
		_, _, err := s.appendTx(ctx, tx, key, m, nil)
		return err
	})
}

// checkMessage applies the store's bounds to a message about to be appended.
func (s *Store) checkMessage(m Message) error {
	if len(m.Text) > s.opts.MaxMessageBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(m.Text), s.opts.MaxMessageBytes)
	}
	if !utf8.ValidString(m.Text) {
		return errors.New("sessions: message is not valid UTF-8")
	}
	if len(m.Body) > s.opts.MaxBodyBytes {
		return fmt.Errorf("%w: body %d bytes, limit %d", ErrTooLarge, len(m.Body), s.opts.MaxBodyBytes)
	}
	return nil
}

// appendWith appends m; with st it also records the run's stats on the session, in
// the same statement that updates its message count.
func (s *Store) appendWith(ctx context.Context, key string, m Message, st *RunStats, write func(context.Context, writeFunc) error) (Message, Session, error) {
	if err := s.checkMessage(m); err != nil {
		return Message{}, Session{}, err
	}
	var (
		ss  Session
		out Message
	)
	err := write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, ss, err = s.appendTx(ctx, tx, key, m, st)
		return err
	})
	if err != nil {
		return Message{}, Session{}, err
	}
	return out, ss, nil
}

// appendTx appends m (checked by the caller) inside tx; see appendWith.
func (s *Store) appendTx(ctx context.Context, tx *sql.Tx, key string, m Message, st *RunStats) (Message, Session, error) {
	var body any // NULL for text-only entries
	if len(m.Body) > 0 {
		body = m.Body
	}
	now := s.opts.Now().UnixMilli()
	if m.Ts == 0 {
		m.Ts = now
	}
	ss, err := s.ensureTx(ctx, tx, key, now)
	if err != nil {
		return Message{}, Session{}, err
	}
	res, err := s.exec(ctx, tx, `INSERT INTO messages (transcript_id, role, text, ts, run_id, body) VALUES (?, ?, ?, ?, ?, ?)`,
		ss.ID, m.Role, m.Text, m.Ts, m.RunID, body)
	if err != nil {
		return Message{}, Session{}, fmt.Errorf("sessions: append: %w", err)
	}
	if m.Seq, err = res.LastInsertId(); err != nil {
		return Message{}, Session{}, fmt.Errorf("sessions: append: %w", err)
	}
	ss.Messages++
	if ss.Messages > int64(s.opts.MaxMessages) {
		over := ss.Messages - int64(s.opts.MaxMessages)
		if _, err := s.exec(ctx, tx, `DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE transcript_id = ? ORDER BY seq LIMIT ?)`, ss.ID, over); err != nil {
			return Message{}, Session{}, fmt.Errorf("sessions: trim: %w", err)
		}
		ss.Messages = int64(s.opts.MaxMessages)
	}
	ss.UpdatedAt = now
	if st != nil {
		ss.InputTokens, ss.OutputTokens, ss.TotalTokens, ss.AbortedLastRun = st.InputTokens, st.OutputTokens, st.TotalTokens, st.Aborted
		_, err = s.exec(ctx, tx, `UPDATE sessions SET message_count = ?, updated_at = ?, input_tokens = ?, output_tokens = ?, total_tokens = ?, aborted_last_run = ? WHERE key = ?`,
			ss.Messages, now, st.InputTokens, st.OutputTokens, st.TotalTokens, boolInt(st.Aborted), key)
	} else {
		_, err = s.exec(ctx, tx, `UPDATE sessions SET message_count = ?, updated_at = ? WHERE key = ?`, ss.Messages, now, key)
	}
	if err != nil {
		return Message{}, Session{}, fmt.Errorf("sessions: append: %w", err)
	}
	s.cache.txSet(key, ss)
	if m.Role == latestIndexedRole {
		s.cache.txCompacted(key)
	}
	return m, ss, nil
}

// RunStats is what a finished run records on its session.
type RunStats struct {
	InputTokens, OutputTokens, TotalTokens int64
	Aborted                                bool
	// Sync makes the commit wait for the disk. The runtime sets it for runs that
	// ended without a durable terminal message (errors, aborts), so their in-flight
	// steps (AppendStep) are durable before the run's end is announced.
	Sync bool
}

// FinishRun records a run's token counts and whether it was aborted. Unless st.Sync is
// set it does not wait for the disk (see writeLazy): a finished run's messages are
// already durable, and a power loss can at worst cost these counters.
func (s *Store) FinishRun(ctx context.Context, key string, st RunStats) error {
	write := s.writeLazy
	if st.Sync {
		write = s.write
	}
	return write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.opts.Now().UnixMilli()
		_, err := s.exec(ctx, tx, `UPDATE sessions SET input_tokens = ?, output_tokens = ?, total_tokens = ?, aborted_last_run = ?, updated_at = ? WHERE key = ?`,
			st.InputTokens, st.OutputTokens, st.TotalTokens, boolInt(st.Aborted), now, key)
		if err != nil {
			return fmt.Errorf("sessions: finish run: %w", err)
		}
		switch e, known := s.cache.txGet(key); {
		case known && e.ok:
			e.ss.InputTokens, e.ss.OutputTokens, e.ss.TotalTokens, e.ss.AbortedLastRun, e.ss.UpdatedAt = st.InputTokens, st.OutputTokens, st.TotalTokens, st.Aborted, now
			s.cache.txSet(key, e.ss)
		case !known:
			s.cache.txForget(key)
		} // known absent: no row was updated
		return nil
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// History returns the last limit messages of the session's current transcript, oldest
// first. With upTo > 0 only messages with Seq ≤ upTo count, so a queued run sees the
// transcript as of its own prompt, not the prompts queued behind it.
func (s *Store) History(ctx context.Context, key string, limit int, upTo int64) ([]Message, error) {
	if limit <= 0 {
		return []Message{}, nil
	}
	if upTo <= 0 {
		upTo = 1<<63 - 1
	}
	q, t, absent := s.current(key, historyQuery)
	if absent {
		return []Message{}, nil
	}
	rows, err := s.query(ctx, q, t, upTo, limit)
	out, err := scanMessages(rows, err)
	if err != nil {
		return nil, fmt.Errorf("sessions: history %s: %w", key, err)
	}
	slices.Reverse(out)
	return out, nil
}

// scanMessages reads the rows of a messages query (seq, role, text, ts, run_id, body); err
// is the query's error.
func scanMessages(rows *sql.Rows, err error) ([]Message, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.Seq, &m.Role, &m.Text, &m.Ts, &m.RunID, &m.Body); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// RunMessages returns the messages run runID wrote to the session's current
// transcript, oldest first (none for an empty runID). The agent runtime uses it to
// recognise a retried run after a restart: its in-memory run cache is gone, the
// transcript is not.
func (s *Store) RunMessages(ctx context.Context, key, runID string) ([]Message, error) {
	if runID == "" {
		return []Message{}, nil
	}
	q, t, absent := s.current(key, runMessagesQuery)
	if absent {
		return []Message{}, nil
	}
	rows, err := s.query(ctx, q, runID, t)
	out, err := scanMessages(rows, err)
	if err != nil {
		return nil, fmt.Errorf("sessions: run messages %s: %w", key, err)
	}
	return out, nil
}

// ListOptions filter List.
type ListOptions struct {
	Limit         int    // 0 = all
	ActiveMinutes int    // 0 = any
	Label         string // exact
	Search        string // case-insensitive substring of key, label or display name
	// Agent keeps one agent's sessions: "main" (the default agent) those under
	// agent:main: and keys of no agent; any other id those under agent:<id>:.
	// "" = every session.
	Agent string
}

// List returns sessions, most recently updated first.
func (s *Store) List(ctx context.Context, o ListOptions) ([]Session, error) {
	q := `SELECT ` + sessionCols + ` FROM sessions WHERE 1=1`
	var args []any
	if o.ActiveMinutes > 0 {
		q += ` AND updated_at >= ?`
		args = append(args, s.opts.Now().Add(-time.Duration(o.ActiveMinutes)*time.Minute).UnixMilli())
	}
	if o.Label != "" {
		q += ` AND label = ?`
		args = append(args, o.Label)
	}
	switch o.Agent {
	case "":
	case DefaultAgentID:
		q += ` AND (substr(key, 1, 6) != 'agent:' OR substr(key, 1, ?) = ?)`
		p := "agent:" + DefaultAgentID + ":"
		args = append(args, len(p), p)
	default:
		p := "agent:" + o.Agent + ":"
		q += ` AND substr(key, 1, ?) = ?`
		args = append(args, len(p), p)
	}
	if o.Search != "" {
		q += ` AND (instr(lower(key), ?) > 0 OR instr(lower(label), ?) > 0 OR instr(lower(display_name), ?) > 0)`
		l := strings.ToLower(o.Search)
		args = append(args, l, l, l)
	}
	q += ` ORDER BY updated_at DESC, key`
	if o.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, o.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sessions: list: %w", err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sessions: list: %w", err)
		}
		out = append(out, ss)
	}
	return out, rows.Err()
}

// Count is the number of sessions.
func (s *Store) Count(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sessions`).Scan(&n)
	return n, err
}

// LastMessage is the newest message of the session's current transcript.
func (s *Store) LastMessage(ctx context.Context, key string) (Message, bool, error) {
	h, err := s.History(ctx, key, 1, 0)
	if err != nil || len(h) == 0 {
		return Message{}, false, err
	}
	return h[0], true, nil
}

// archiveTx marks a transcript archived and trims the archive to MaxArchived.
func (s *Store) archiveTx(ctx context.Context, tx *sql.Tx, id string, now int64) error {
	if _, err := s.exec(ctx, tx, `UPDATE transcripts SET archived_at = ? WHERE id = ?`, now, id); err != nil {
		return fmt.Errorf("sessions: archive: %w", err)
	}
	_, err := s.exec(ctx, tx, `DELETE FROM transcripts WHERE id IN (SELECT id FROM transcripts WHERE archived_at IS NOT NULL
		ORDER BY archived_at DESC, rowid DESC LIMIT -1 OFFSET ?)`, s.opts.MaxArchived)
	if err != nil {
		return fmt.Errorf("sessions: trim archive: %w", err)
	}
	return nil
}

// Reset starts a new transcript for the session (creating it if missing); the old
// transcript is archived. Route, label and counters other than messages are kept.
func (s *Store) Reset(ctx context.Context, key string) (Session, error) {
	var ss Session
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.opts.Now().UnixMilli()
		var err error
		if ss, err = s.ensureTx(ctx, tx, key, now); err != nil {
			return err
		}
		old := ss.ID
		ss.ID, ss.UpdatedAt, ss.Messages, ss.AbortedLastRun = transcriptID(now), now, 0, false
		ss.InputTokens, ss.OutputTokens, ss.TotalTokens = 0, 0, 0
		if _, err := s.exec(ctx, tx, `INSERT INTO transcripts (id, session_key, created_at) VALUES (?, ?, ?)`, ss.ID, key, now); err != nil {
			return fmt.Errorf("sessions: reset: %w", err)
		}
		if _, err := s.exec(ctx, tx, `UPDATE sessions SET session_id = ?, updated_at = ?, message_count = 0, aborted_last_run = 0,
			input_tokens = 0, output_tokens = 0, total_tokens = 0 WHERE key = ?`, ss.ID, now, key); err != nil {
			return fmt.Errorf("sessions: reset: %w", err)
		}
		s.cache.txNewTranscript(key, ss)
		return s.archiveTx(ctx, tx, old, now)
	})
	return ss, err
}

// OldestBeyond returns the keys starting with prefix that are not among the keep most
// recently updated ones, oldest first.
func (s *Store) OldestBeyond(ctx context.Context, prefix string, keep int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key FROM sessions WHERE substr(key, 1, ?) = ? ORDER BY updated_at DESC, key DESC LIMIT -1 OFFSET ?`, len(prefix), prefix, keep)
	if err != nil {
		return nil, fmt.Errorf("sessions: list %s*: %w", prefix, err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("sessions: list %s*: %w", prefix, err)
		}
		keys = append(keys, k)
	}
	slices.Reverse(keys)
	return keys, rows.Err()
}

// Delete removes the session entry. Its transcript is archived (kept, bounded by
// MaxArchived), and a reference to it ("<db path>#transcript=<id>") returned.
func (s *Store) Delete(ctx context.Context, key string) (deleted bool, archived []string, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		deleted, archived = false, []string{} // the writer may run f twice (writer.commitBatch)
		ss, err := scanSession(s.queryRow(ctx, tx, `SELECT `+sessionCols+` FROM sessions WHERE key = ?`, key))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sessions: delete %s: %w", key, err)
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM sessions WHERE key = ?`, key); err != nil {
			return fmt.Errorf("sessions: delete %s: %w", key, err)
		}
		s.cache.txAbsent(key)
		deleted = true
		archived = append(archived, s.opts.Path+"#transcript="+ss.ID)
		return s.archiveTx(ctx, tx, ss.ID, s.opts.Now().UnixMilli())
	})
	if archived == nil {
		archived = []string{}
	}
	return deleted, archived, err
}

// ErrLabelInUse is a sessions.patch label another session already has.
var ErrLabelInUse = errors.New("sessions: label already in use")

// Patch changes a session's label and controls (creating the session if needed): f
// gets the current entry and edits it; Label, Model, ThinkingLevel, VerboseLevel,
// ReasoningLevel, SendPolicy and ElevatedLevel are stored. A label another session has is refused
// with ErrLabelInUse (labels select sessions in sessions.resolve).
// f runs on the store's writer goroutine, inside its transaction: it must only edit
// the entry, never call the store (that would wait for itself).
func (s *Store) Patch(ctx context.Context, key string, f func(*Session) error) (Session, error) {
	var ss Session
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.opts.Now().UnixMilli()
		var err error
		if ss, err = s.ensureTx(ctx, tx, key, now); err != nil {
			return err
		}
		if err := f(&ss); err != nil {
			return err
		}
		if ss.Label != "" {
			var other string
			err := tx.QueryRowContext(ctx, `SELECT key FROM sessions WHERE label = ? AND key != ? LIMIT 1`, ss.Label, key).Scan(&other)
			if err == nil {
				return fmt.Errorf("%w: %s", ErrLabelInUse, ss.Label)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("sessions: patch %s: %w", key, err)
			}
		}
		ss.UpdatedAt = max(ss.UpdatedAt, now)
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET label = ?, model = ?, thinking_level = ?, verbose_level = ?, reasoning_level = ?, send_policy = ?, elevated_level = ?, updated_at = ? WHERE key = ?`,
			ss.Label, ss.Model, ss.ThinkingLevel, ss.VerboseLevel, ss.ReasoningLevel, ss.SendPolicy, ss.ElevatedLevel, ss.UpdatedAt, key)
		if err != nil {
			return fmt.Errorf("sessions: patch %s: %w", key, err)
		}
		// f may have edited fields Patch does not store: the row is read back when needed.
		s.cache.txForget(key)
		return nil
	})
	return ss, err
}

// Compact keeps only the last keep messages of the session's current transcript; the
// token counters are cleared (they described the longer transcript). It returns how
// many messages are kept and whether any were removed.
func (s *Store) Compact(ctx context.Context, key string, keep int) (kept int64, compacted bool, err error) {
	if keep < 1 {
		return 0, false, errors.New("sessions: compact: keep must be at least 1")
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		kept, compacted = 0, false // the writer may run f twice (writer.commitBatch)
		ss, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE key = ?`, key))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("sessions: compact %s: %w", key, err)
		}
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE transcript_id = ?`, ss.ID).Scan(&n); err != nil {
			return fmt.Errorf("sessions: compact %s: %w", key, err)
		}
		if n <= int64(keep) {
			kept = n
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE transcript_id = ? ORDER BY seq LIMIT ?)`, ss.ID, n-int64(keep)); err != nil {
			return fmt.Errorf("sessions: compact %s: %w", key, err)
		}
		kept, compacted = int64(keep), true
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET message_count = ?, input_tokens = 0, output_tokens = 0, total_tokens = 0, updated_at = ? WHERE key = ?`,
			kept, s.opts.Now().UnixMilli(), key)
		if err != nil {
			return fmt.Errorf("sessions: compact %s: %w", key, err)
		}
		s.cache.txForget(key)
		return nil
	})
	return kept, compacted, err
}

// EachAssistant calls f for every assistant message stored at or after since (ms),
// in every transcript still kept (current and archived), oldest first. usage.cost
// sums the usage these messages carry.
func (s *Store) EachAssistant(ctx context.Context, since int64, f func(m Message) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, role, text, ts, run_id, body FROM messages WHERE role = 'assistant' AND ts >= ? ORDER BY seq`, since)
	if err != nil {
		return fmt.Errorf("sessions: scan assistant messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.Seq, &m.Role, &m.Text, &m.Ts, &m.RunID, &m.Body); err != nil {
			return fmt.Errorf("sessions: scan assistant messages: %w", err)
		}
		if err := f(m); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Latest returns the newest message with role in the session's current transcript
// (the agent's latest compaction entry, which sits after the prompts it summarised).
//
// Every model run asks for the latest compaction entry: that query names the role in
// its text, so SQLite uses the partial index messages_compaction (one lookup) instead
// of walking the whole transcript backwards when it has none.
func (s *Store) Latest(ctx context.Context, key, role string) (Message, bool, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if role == latestIndexedRole {
		if e, ok := s.cache.get(key); ok && e.ok && e.noCompaction {
			return Message{}, false, nil
		}
		q, t, absent := s.current(key, latestCompactionQuery)
		if absent {
			return Message{}, false, nil
		}
		rows, err = s.query(ctx, q, t)
	} else {
		q, t, absent := s.current(key, latestQuery)
		if absent {
			return Message{}, false, nil
		}
		rows, err = s.query(ctx, q, t, role)
	}
	out, err := scanMessages(rows, err)
	if err != nil {
		return Message{}, false, fmt.Errorf("sessions: latest %s %s: %w", key, role, err)
	}
	if len(out) == 0 {
		return Message{}, false, nil
	}
	return out[0], true, nil
}

// latestIndexedRole is the role with its own partial index (messages_compaction).
const latestIndexedRole = "compaction"

// Reads of a session's current transcript, each in two forms (see current): by the
// transcript id the session cache knows, or by the session key.
var (
	latestCompactionQuery = currentQuery(`SELECT seq, role, text, ts, run_id, body FROM messages
		WHERE %s AND role = 'compaction' ORDER BY seq DESC LIMIT 1`)
	latestQuery = currentQuery(`SELECT seq, role, text, ts, run_id, body FROM messages
		WHERE %s AND role = ? ORDER BY seq DESC LIMIT 1`)
	historyQuery = currentQuery(`SELECT seq, role, text, ts, run_id, body FROM messages
		WHERE %s AND seq <= ? ORDER BY seq DESC LIMIT ?`)
	historyFromQuery = currentQuery(`SELECT seq, role, text, ts, run_id, body FROM messages
		WHERE %s AND seq >= ? AND seq <= ? ORDER BY seq DESC LIMIT ?`)
	runMessagesQuery = currentQuery(`SELECT seq, role, text, ts, run_id, body FROM messages
		WHERE run_id = ? AND %s ORDER BY seq`)
	countRoleQuery = currentQuery(`SELECT count(*) FROM messages WHERE %s AND role = ?`)
)

// currentQuery is a query on a session's current transcript (%s: the transcript
// condition) in its two forms: [0] takes the transcript id, [1] the session key.
func currentQuery(q string) [2]string {
	return [2]string{
		strings.Replace(q, "%s", "transcript_id = ?", 1),
		strings.Replace(q, "%s", "transcript_id = (SELECT session_id FROM sessions WHERE key = ?)", 1),
	}
}

// current picks the form of q for key's current transcript and its argument: the
// transcript id when the session cache knows it (no lookup of the session row in the
// query), the key otherwise. absent: the cache knows key has no session.
func (s *Store) current(key string, q [2]string) (query, arg string, absent bool) {
	e, known := s.cache.get(key)
	switch {
	case known && e.ok:
		return q[0], e.ss.ID, false
	case known:
		return "", "", true
	}
	return q[1], key, false
}

// CountRole counts the messages with role in the session's current transcript.
func (s *Store) CountRole(ctx context.Context, key, role string) (int64, error) {
	var n int64
	q, t, absent := s.current(key, countRoleQuery)
	if absent {
		return 0, nil
	}
	err := s.queryRow(ctx, nil, q, t, role).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sessions: count %s %s: %w", key, role, err)
	}
	return n, nil
}

// HistoryFrom is History restricted to messages with Seq ≥ from (a compaction's first
// kept message): the last limit of them, oldest first.
func (s *Store) HistoryFrom(ctx context.Context, key string, from int64, limit int, upTo int64) ([]Message, error) {
	if limit <= 0 {
		return []Message{}, nil
	}
	if upTo <= 0 {
		upTo = 1<<63 - 1
	}
	q, t, absent := s.current(key, historyFromQuery)
	if absent {
		return []Message{}, nil
	}
	rows, err := s.query(ctx, q, t, from, upTo, limit)
	out, err := scanMessages(rows, err)
	if err != nil {
		return nil, fmt.Errorf("sessions: history %s: %w", key, err)
	}
	slices.Reverse(out)
	return out, nil
}
