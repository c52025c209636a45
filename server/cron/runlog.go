package cron

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/clawgate/gateway/server/statefile"
)

// Run log limits (the original's numbers).
const (
	// DefaultRunLogMaxBytes is the size past which a job's run log is pruned.
	DefaultRunLogMaxBytes = 2_000_000
	// DefaultRunLogKeepLines is how many of the newest entries a pruned log keeps.
	DefaultRunLogKeepLines = 2000
	// DefaultRunsLimit and MaxRunsLimit bound what cron.runs returns.
	DefaultRunsLimit = 200
	MaxRunsLimit     = 5000
	// MaxSummaryChars bounds an entry's summary and error (runes), so KeepLines entries
	// stay near MaxBytes.
	MaxSummaryChars = 2000
)

// RunLogEntry is one line of cron/runs/<jobId>.jsonl.
type RunLogEntry struct {
	Ts          int64  `json:"ts"`
	JobID       string `json:"jobId"`
	Action      string `json:"action"`
	Status      string `json:"status,omitempty"`
	Error       string `json:"error,omitempty"`
	Summary     string `json:"summary,omitempty"`
	RunAtMs     *int64 `json:"runAtMs,omitempty"`
	DurationMs  *int64 `json:"durationMs,omitempty"`
	NextRunAtMs *int64 `json:"nextRunAtMs,omitempty"`
}

var safeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// RunLogPath is the run log of jobID beside the store file; ids that could leave the
// runs directory are rejected.
func RunLogPath(storePath, jobID string) (string, error) {
	if !safeID.MatchString(jobID) || strings.Contains(jobID, "..") {
		return "", invalid("job id %q cannot name a run log", jobID)
	}
	return filepath.Join(filepath.Dir(storePath), "runs", jobID+".jsonl"), nil
}

// RunLog appends to and reads the per-job run logs; a log past MaxBytes is cut to its
// newest KeepLines lines.
type RunLog struct {
	StorePath string
	MaxBytes  int64
	KeepLines int
}

// Append writes one entry (the caller serializes appends to one job).
func (l RunLog) Append(e RunLogEntry) error {
	p, err := RunLogPath(l.StorePath, e.JobID)
	if err != nil {
		return err
	}
	e.Action = "finished"
	e.Summary = truncate(e.Summary, MaxSummaryChars)
	e.Error = truncate(e.Error, MaxSummaryChars)
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := statefile.PrivateDir(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("cron run log: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("cron run log: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("cron run log: %w", err)
	}
	return l.prune(p)
}

func (l RunLog) limits() (int64, int) {
	mb, kl := l.MaxBytes, l.KeepLines
	if mb <= 0 {
		mb = DefaultRunLogMaxBytes
	}
	if kl <= 0 {
		kl = DefaultRunLogKeepLines
	}
	return mb, kl
}

func (l RunLog) prune(p string) error {
	maxBytes, keep := l.limits()
	fi, err := os.Stat(p)
	if err != nil || fi.Size() <= maxBytes {
		return nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("cron run log: %w", err)
	}
	var lines [][]byte
	for _, ln := range bytes.Split(b, []byte("\n")) {
		if ln = bytes.TrimSpace(ln); len(ln) > 0 {
			lines = append(lines, ln)
		}
	}
	if len(lines) > keep {
		lines = lines[len(lines)-keep:]
	}
	// KeepLines alone may still exceed MaxBytes with long lines: drop the oldest until
	// the file fits.
	total := 0
	for _, ln := range lines {
		total += len(ln) + 1
	}
	for len(lines) > 1 && int64(total) > maxBytes {
		total -= len(lines[0]) + 1
		lines = lines[1:]
	}
	out := append(bytes.Join(lines, []byte("\n")), '\n')
	if err := statefile.WriteBytes(p, 0o600, out); err != nil {
		return fmt.Errorf("cron run log: %w", err)
	}
	return nil
}

// Read returns up to limit newest well-formed entries of jobID, oldest first.
func (l RunLog) Read(jobID string, limit int) ([]RunLogEntry, error) {
	if limit <= 0 {
		limit = DefaultRunsLimit
	}
	limit = min(limit, MaxRunsLimit)
	p, err := RunLogPath(l.StorePath, jobID)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return []RunLogEntry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cron run log: %w", err)
	}
	defer f.Close()
	var all []RunLogEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var e RunLogEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Action != "finished" || e.JobID != jobID || e.Ts <= 0 {
			continue
		}
		all = append(all, e)
	}
	if len(all) > limit {
		all = all[len(all)-limit:]
	}
	if all == nil {
		all = []RunLogEntry{}
	}
	return all, nil
}
