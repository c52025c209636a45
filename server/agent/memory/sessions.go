package memory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Transcript is one of an agent's session transcripts as its store reports it: the
// id (the original's session id, the name of its .jsonl file) and its size now.
type Transcript struct {
	ID string
	// Messages counts its entries; Bytes is their stored size. Growth of either
	// beyond sync.sessions.* since the last indexing makes it due again.
	Messages, Bytes int64
}

// TranscriptMessage is one transcript entry: the role, the plain text, and the
// structured body (JSON with a "content" string or list of parts) when there is one.
type TranscriptMessage struct {
	Role string
	Text string
	Body []byte
}

// Transcripts is the agent's session store, as the index reads it.
type Transcripts interface {
	// List returns the agent's transcripts that are kept (a deleted session's are
	// not).
	List(ctx context.Context) ([]Transcript, error)
	// Messages returns a transcript's entries, oldest first.
	Messages(ctx context.Context, id string) ([]TranscriptMessage, error)
}

// SessionPath is the path a transcript's chunks carry: sessions/<id>.jsonl, the
// original's name for its transcript file. memory_get does not read it (the original
// reads memory files only); the snippet is what a search gives of a transcript.
func SessionPath(id string) string { return "sessions/" + id + ".jsonl" }

var (
	newlineRun = regexp.MustCompile(`\s*\n+\s*`)
	spaceRun   = regexp.MustCompile(`\s+`)
)

// normalizeSessionText puts a message on one line with single spaces.
func normalizeSessionText(s string) string {
	return strings.TrimSpace(spaceRun.ReplaceAllString(newlineRun.ReplaceAllString(s, " "), " "))
}

// messageText is the text parts of a message: its body's "content" (a string, or the
// parts of type "text"), else its plain text.
func messageText(m TranscriptMessage) string {
	if len(m.Body) > 0 {
		var b struct {
			Content json.RawMessage `json:"content"`
		}
		if json.Unmarshal(m.Body, &b) == nil && len(b.Content) > 0 {
			var str string
			if json.Unmarshal(b.Content, &str) == nil {
				return normalizeSessionText(str)
			}
			var parts []struct {
				Type string  `json:"type"`
				Text *string `json:"text"`
			}
			if json.Unmarshal(b.Content, &parts) == nil {
				var out []string
				for _, p := range parts {
					if p.Type != "text" || p.Text == nil {
						continue
					}
					if t := normalizeSessionText(*p.Text); t != "" {
						out = append(out, t)
					}
				}
				return strings.Join(out, " ")
			}
		}
	}
	return normalizeSessionText(m.Text)
}

// sessionContent is what the index chunks of a transcript: one line per user or
// assistant message with text, "User: …" or "Assistant: …", as the original; tool
// results, system notes and compaction summaries are left out.
func sessionContent(msgs []TranscriptMessage) string {
	var lines []string
	for _, m := range msgs {
		var label string
		switch m.Role {
		case "user":
			label = "User"
		case "assistant":
			label = "Assistant"
		default:
			continue
		}
		if t := messageText(m); t != "" {
			lines = append(lines, label+": "+t)
		}
	}
	return strings.Join(lines, "\n")
}

// sessionDue reports whether a transcript that grew by dBytes and dMessages since it
// was last indexed is due: either reaches its threshold (a threshold of 0: any growth).
func (x *Index) sessionDue(dBytes, dMessages int64) bool {
	hit := func(d, thr int64) bool {
		if thr <= 0 {
			return d > 0
		}
		return d >= thr
	}
	return hit(dBytes, x.s.SessionDeltaBytes) || hit(dMessages, x.s.SessionDeltaMessages)
}

// syncSessions indexes the transcripts that grew by sync.sessions.deltaBytes or
// deltaMessages since they were last indexed (all of them on a full re-index), and
// drops the transcripts the store no longer keeps. A transcript that shrank
// (compaction) counts its whole size as growth, as the original treats a rewritten
// file.
func (x *Index) syncSessions(ctx context.Context, full bool) (SyncStats, error) {
	var st SyncStats
	list, err := x.o.Transcripts.List(ctx)
	if err != nil {
		return st, fmt.Errorf("memory: list transcripts: %w", err)
	}
	active := map[string]bool{}
	var errs []error
	for _, t := range list {
		p := SessionPath(t.ID)
		active[p] = true
		st.Files++
		var lastBytes, lastMsgs int64
		err := x.db.QueryRowContext(ctx, `SELECT bytes, messages FROM session_state WHERE path = ?`, p).Scan(&lastBytes, &lastMsgs)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return st, fmt.Errorf("memory: %w", err)
		}
		dB, dM := t.Bytes-lastBytes, t.Messages-lastMsgs
		if t.Bytes < lastBytes || t.Messages < lastMsgs {
			dB, dM = t.Bytes, t.Messages
		}
		if !full && !x.sessionDue(dB, dM) {
			continue
		}
		msgs, err := x.o.Transcripts.Messages(ctx, t.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("memory: read transcript %s: %w", t.ID, err))
			continue
		}
		content := sessionContent(msgs)
		if len(content) > MaxFileBytes {
			// Keep the newest messages: cut at a line break within the bound.
			content = content[len(content)-MaxFileBytes:]
			if i := strings.IndexByte(content, '\n'); i >= 0 {
				content = content[i+1:]
			}
		}
		hash := hashText(content)
		var old string
		err = x.db.QueryRowContext(ctx, `SELECT hash FROM files WHERE path = ? AND source = ?`, p, SourceSessions).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return st, fmt.Errorf("memory: %w", err)
		}
		if full || old != hash {
			n, err := x.indexFile(ctx, SourceSessions, fileEntry{rel: p, mtime: x.o.Now().UnixMilli(), size: t.Bytes}, content, hash)
			st.Embedded += n
			if err != nil {
				errs = append(errs, err)
				continue
			}
			st.Indexed++
		}
		if _, err := x.db.ExecContext(ctx, `INSERT INTO session_state (path, bytes, messages) VALUES (?, ?, ?)
			ON CONFLICT(path) DO UPDATE SET bytes = excluded.bytes, messages = excluded.messages`, p, t.Bytes, t.Messages); err != nil {
			errs = append(errs, fmt.Errorf("memory: %w", err))
		}
	}
	stale, err := x.stalePaths(ctx, SourceSessions, active)
	if err != nil {
		return st, err
	}
	for _, p := range stale {
		if err := x.removeFile(ctx, SourceSessions, p); err != nil {
			errs = append(errs, err)
			continue
		}
		_, _ = x.db.ExecContext(ctx, `DELETE FROM session_state WHERE path = ?`, p)
		st.Removed++
	}
	return st, errors.Join(errs...)
}
