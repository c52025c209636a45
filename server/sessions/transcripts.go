package sessions

import (
	"context"
	"fmt"
)

// TranscriptStat is one kept transcript of a session: its id, its session, and its
// size (entries, and stored bytes: the body where there is one, else the text).
type TranscriptStat struct {
	ID, SessionKey  string
	Messages, Bytes int64
}

// AgentTranscripts lists the transcripts of agent's sessions (agent as in
// ListOptions.Agent) that are kept: each session's current transcript and those
// archived by sessions.reset while the session lives on. A deleted session's
// transcripts are left out (the original renames them out of its transcripts'
// directory), also when a session with the same key was created later: those were
// archived before that session began. The memory index reads them
// (memorySearch.experimental.sessionMemory).
func (s *Store) AgentTranscripts(ctx context.Context, agent string) ([]TranscriptStat, error) {
	q := `SELECT t.id, t.session_key,
		(SELECT count(*) FROM messages m WHERE m.transcript_id = t.id),
		(SELECT coalesce(sum(CASE WHEN m.body IS NULL OR length(m.body) = 0 THEN length(CAST(m.text AS BLOB)) ELSE length(m.body) END), 0) FROM messages m WHERE m.transcript_id = t.id)
		FROM transcripts t JOIN sessions ss ON ss.key = t.session_key
		WHERE (t.archived_at IS NULL OR t.archived_at >= ss.created_at)`
	var args []any
	switch agent {
	case "":
	case DefaultAgentID:
		q += ` AND (substr(t.session_key, 1, 6) != 'agent:' OR substr(t.session_key, 1, ?) = ?)`
		p := "agent:" + DefaultAgentID + ":"
		args = append(args, len(p), p)
	default:
		p := "agent:" + agent + ":"
		q += ` AND substr(t.session_key, 1, ?) = ?`
		args = append(args, len(p), p)
	}
	q += ` ORDER BY t.created_at, t.id`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sessions: list transcripts: %w", err)
	}
	defer rows.Close()
	out := []TranscriptStat{}
	for rows.Next() {
		var t TranscriptStat
		if err := rows.Scan(&t.ID, &t.SessionKey, &t.Messages, &t.Bytes); err != nil {
			return nil, fmt.Errorf("sessions: list transcripts: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TranscriptMessages returns every entry of the transcript id (current or archived),
// oldest first.
func (s *Store) TranscriptMessages(ctx context.Context, id string) ([]Message, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, role, text, ts, run_id, body FROM messages WHERE transcript_id = ? ORDER BY seq`, id)
	out, err := scanMessages(rows, err)
	if err != nil {
		return nil, fmt.Errorf("sessions: transcript %s: %w", id, err)
	}
	return out, nil
}
