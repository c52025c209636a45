package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Imported is a session carried over from another store (the original gateway's
// sessions.json entry and its JSONL transcript), kept as it was: its own transcript id,
// times, label and route, and its messages with their own timestamps.
type Imported struct {
	// Session holds the entry. Key must be canonical, ID non-empty; Messages is
	// ignored (recomputed); ChatType "" is derived from the key.
	Session Session
	// Messages are the transcript, oldest first; Seq is ignored, Ts 0 becomes the
	// session's UpdatedAt.
	Messages []Message
}

// ImportResult tells what Import did.
type ImportResult struct {
	// Imported is false when the key or the transcript id was already in the store
	// (nothing was written then).
	Imported bool
	// Existing says why nothing was written: "key" or "transcript".
	Existing string
	// Dropped is how many of the oldest messages were left out to fit MaxMessages.
	Dropped int
	// Truncated is how many messages were cut to MaxMessageBytes.
	Truncated int
}

// Import stores a carried-over session and its whole transcript in one transaction,
// or nothing: a session whose key or transcript id already exists is left alone
// (ImportResult.Imported false), so importing twice never duplicates anything. The
// store's bounds apply as to live writes: only the newest MaxMessages messages are
// kept, longer texts are cut (Truncate) and invalid UTF-8 is replaced.
func (s *Store) Import(ctx context.Context, im Imported) (ImportResult, error) {
	ss := im.Session
	var res ImportResult
	if ss.Key == "" || ss.ID == "" {
		return res, errors.New("sessions: import: key and id are required")
	}
	if c, err := Canonical(ss.Key); err != nil || c != ss.Key {
		return res, fmt.Errorf("sessions: import: key %q is not canonical", ss.Key)
	}
	if ss.ChatType == "" {
		ss.ChatType = chatType(ss.Key)
	}
	msgs := im.Messages
	if over := len(msgs) - s.opts.MaxMessages; over > 0 {
		msgs, res.Dropped = msgs[over:], over
	}
	if ss.CreatedAt == 0 {
		ss.CreatedAt = ss.UpdatedAt
		if len(msgs) > 0 && msgs[0].Ts > 0 && msgs[0].Ts < ss.CreatedAt {
			ss.CreatedAt = msgs[0].Ts
		}
	}
	dropped := res.Dropped
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res = ImportResult{Dropped: dropped} // the writer may run f twice (writer.commitBatch)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE key = ?`, ss.Key).Scan(&n); err != nil {
			return fmt.Errorf("sessions: import %s: %w", ss.Key, err)
		}
		if n > 0 {
			res.Existing = "key"
			return nil
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM transcripts WHERE id = ?`, ss.ID).Scan(&n); err != nil {
			return fmt.Errorf("sessions: import %s: %w", ss.Key, err)
		}
		if n > 0 {
			res.Existing = "transcript"
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO transcripts (id, session_key, created_at) VALUES (?, ?, ?)`, ss.ID, ss.Key, ss.CreatedAt); err != nil {
			return fmt.Errorf("sessions: import %s: %w", ss.Key, err)
		}
		for _, m := range msgs {
			text := m.Text
			if !utf8.ValidString(text) {
				text = strings.ToValidUTF8(text, "\uFFFD")
			}
			if len(text) > s.opts.MaxMessageBytes {
				text = s.Truncate(text)
				res.Truncated++
			}
			ts := m.Ts
			if ts == 0 {
				ts = ss.UpdatedAt
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO messages (transcript_id, role, text, ts, run_id) VALUES (?, ?, ?, ?, ?)`,
				ss.ID, m.Role, text, ts, m.RunID); err != nil {
				return fmt.Errorf("sessions: import %s: %w", ss.Key, err)
			}
		}
		ab := 0
		if ss.AbortedLastRun {
			ab = 1
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ss.Key, ss.ID, ss.CreatedAt, ss.UpdatedAt, ss.Label, ss.DisplayName, ss.ChatType, ss.LastChannel, ss.LastTo,
			ss.LastAccountID, ss.InputTokens, ss.OutputTokens, ss.TotalTokens, ab, len(msgs),
			ss.Model, ss.ThinkingLevel, ss.VerboseLevel, ss.ReasoningLevel, ss.SendPolicy, ss.ElevatedLevel)
		if err != nil {
			return fmt.Errorf("sessions: import %s: %w", ss.Key, err)
		}
		s.cache.txForget(ss.Key)
		res.Imported = true
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}
