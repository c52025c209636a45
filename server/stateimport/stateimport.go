// Package stateimport carries the state of the original gateway (clawdbot 2026.1.24)
// over into this gateway's stores when it first starts over the original's state dir:
// session entries and their JSONL transcripts into the SQLite session store, paired
// devices (with their tokens, so they keep connecting) into the device store, paired
// nodes into the node store.
//
// The original's files are only read, never written: a user can go back. The import
// is idempotent: a ledger (<stateDir>/gateway/import.json) records every imported item
// with the SHA-256 of its source, so a later start imports only what is new, never
// re-imports what changed after it was imported (that is reported instead) and never
// resurrects what was deleted here. Problems in the original's files are reported per
// file (and line or record); everything else is still imported.
//
// What needs no import: the exec approvals file (~/.clawdbot/exec-approvals.json) and
// the cron jobs (<stateDir>/cron/jobs.json) are read in place, in the original's
// format. WhatsApp credentials cannot be carried over (see NeedsRelink).
package stateimport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/sessions"
)

// Limits on what is read from the original's files.
const (
	// DefaultMaxFileBytes bounds a JSON store file (sessions.json, paired.json).
	DefaultMaxFileBytes = 64 << 20
	// DefaultMaxLineBytes bounds one transcript line; a longer line (a huge inline
	// image, say) is skipped and reported.
	DefaultMaxLineBytes = 16 << 20
	// MaxToolArgsBytes bounds the arguments shown for a tool call kept as text.
	MaxToolArgsBytes = 200
	// MaxProblems bounds the problems listed in a report; the rest are counted.
	MaxProblems = 100
)

// OwnDirName is the directory under the state dir where this gateway keeps the stores
// whose file names the original uses too (devices/, nodes/), and the import ledger.
const OwnDirName = "gateway"

// LedgerName is the ledger's file name in OwnDir.
const LedgerName = "import.json"

// OwnDir is where this gateway's device and node stores live: <stateDir>/gateway. The
// original keeps devices/paired.json and nodes/paired.json (tokens in clear) directly
// in the state dir; this gateway's stores use the same file names with hashed tokens,
// so they must not share the directory or they would rewrite the original's files.
// Pass it as auth.StoreOptions.Dir and nodes.StoreOptions.StateDir.
func OwnDir(stateDir string) string { return filepath.Join(stateDir, OwnDirName) }

// Stores are the stores the import writes to. A nil store skips its part.
type Stores struct {
	Sessions *sessions.Store
	Devices  *auth.Store
	Nodes    *nodes.Store
}

// Options tune Import.
type Options struct {
	// SessionStore is the original's session.store setting ("" = the default
	// <stateDir>/agents/<agentId>/sessions/sessions.json); "{agentId}" is replaced by
	// each agent id found under <stateDir>/agents. A value ending in .db names this
	// gateway's database and is ignored.
	SessionStore string
	// MaxFileBytes and MaxLineBytes override the defaults.
	MaxFileBytes int64
	MaxLineBytes int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the summary line; nil discards.
	Logger *slog.Logger
}

// Tally counts one kind of item.
type Tally struct {
	// Found is how many the original holds.
	Found int `json:"found"`
	// Imported is how many were added by this run.
	Imported int `json:"imported"`
	// Existing is how many were already here (imported earlier, or known to this
	// gateway already) and left alone.
	Existing int `json:"existing"`
	// Changed is how many were imported earlier and have changed in the original
	// since; they are not imported again.
	Changed int `json:"changed"`
	// Failed is how many could not be read (see Problems).
	Failed int `json:"failed"`
}

// Lost counts what the transcripts held that this gateway's transcript model (text
// messages with a role and a time) cannot keep.
type Lost struct {
	// ToolCalls were kept, but only as a line of text in the assistant message
	// ("[tool call: name {args}]", args cut to MaxToolArgsBytes).
	ToolCalls int `json:"toolCallsAsText"`
	// ToolResults (role toolResult) were left out.
	ToolResults int `json:"toolResults"`
	// Thinking blocks were left out.
	Thinking int `json:"thinking"`
	// Images were replaced by "[image]".
	Images int `json:"images"`
	// Other is messages of other roles (bashExecution, summaries) and non-message
	// entries that carry text (compaction summaries), left out.
	Other int `json:"other"`
	// Empty is messages with no text left after the above, left out.
	Empty int `json:"empty"`
	// BadLines is transcript lines that were not JSON or too long, skipped.
	BadLines int `json:"badLines"`
	// Dropped is the oldest messages over the store's per-transcript bound.
	Dropped int `json:"dropped"`
	// Truncated is messages cut to the store's per-message bound.
	Truncated int `json:"truncated"`
}

// Problem is one thing in the original's files that could not be imported.
type Problem struct {
	Path string `json:"path"`
	// Line is the 1-based line of a transcript, 0 when not about a line.
	Line int `json:"line,omitempty"`
	// Item names the record (session key, device id, node id), if any.
	Item string `json:"item,omitempty"`
	Err  string `json:"error"`
}

func (p Problem) String() string {
	s := p.Path
	if p.Line > 0 {
		s += fmt.Sprintf(":%d", p.Line)
	}
	if p.Item != "" {
		s += " (" + p.Item + ")"
	}
	return s + ": " + p.Err
}

// Report is what an import did. Doctor shows the last one (LastReport).
type Report struct {
	StateDir string `json:"stateDir"`
	AtMs     int64  `json:"atMs"`
	Sessions Tally  `json:"sessions"`
	// Messages is the transcript messages imported.
	Messages int   `json:"messages"`
	Devices  Tally `json:"devices"`
	Nodes    Tally `json:"nodes"`
	Lost     Lost  `json:"lost"`
	// Problems lists the first MaxProblems problems; MoreProblems counts the rest.
	Problems     []Problem `json:"problems,omitempty"`
	MoreProblems int       `json:"moreProblems,omitempty"`
	// Relocated lists files this gateway itself had written where the original keeps
	// its own, moved to OwnDir.
	Relocated []string `json:"relocated,omitempty"`
	// ReadInPlace names the original's files this gateway uses as they are.
	ReadInPlace []string `json:"readInPlace,omitempty"`
	// NeedsRelink: WhatsApp was linked by the original and not by this gateway.
	NeedsRelink bool `json:"needsRelink,omitempty"`
}

// Original reports whether the state dir held anything of the original's to import.
func (r Report) Original() bool {
	return r.Sessions.Found+r.Devices.Found+r.Nodes.Found > 0 || len(r.Problems) > 0
}

func (r *Report) problem(p Problem) {
	if len(r.Problems) >= MaxProblems {
		r.MoreProblems++
		return
	}
	r.Problems = append(r.Problems, p)
}

// Summary is the one log line of a run.
func (r Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sessions %s, %d messages; devices %s; nodes %s", r.Sessions, r.Messages, r.Devices, r.Nodes)
	if n := len(r.Problems) + r.MoreProblems; n > 0 {
		fmt.Fprintf(&b, "; %d problems (clawdbot doctor lists them)", n)
	}
	if r.NeedsRelink {
		b.WriteString("; WhatsApp re-link needed")
	}
	return b.String()
}

// Lines renders the report for doctor: the summary, what the transcript model could
// not keep, the problems, what is read in place and the WhatsApp re-link note.
func (r Report) Lines() []string {
	out := []string{"state import (" + r.StateDir + "): " + r.Summary()}
	l := r.Lost
	if l != (Lost{}) {
		out = append(out, fmt.Sprintf("  not kept from transcripts: %d tool calls (kept as text), %d tool results, %d thinking blocks, %d images (as [image]), %d other entries, %d empty, %d bad lines, %d over the message bound, %d cut",
			l.ToolCalls, l.ToolResults, l.Thinking, l.Images, l.Other, l.Empty, l.BadLines, l.Dropped, l.Truncated))
	}
	for _, p := range r.Problems {
		out = append(out, "  problem: "+p.String())
	}
	if r.MoreProblems > 0 {
		out = append(out, fmt.Sprintf("  … and %d more problems", r.MoreProblems))
	}
	for _, m := range r.Relocated {
		out = append(out, "  moved: "+m)
	}
	for _, f := range r.ReadInPlace {
		out = append(out, "  read in place (no import needed): "+f)
	}
	if r.NeedsRelink {
		out = append(out, "  WhatsApp: re-link needed (the original's credentials cannot be used by this gateway; run the login again)")
	}
	return out
}

func (t Tally) String() string {
	s := fmt.Sprintf("%d imported", t.Imported)
	if t.Existing > 0 {
		s += fmt.Sprintf(", %d already here", t.Existing)
	}
	if t.Changed > 0 {
		s += fmt.Sprintf(", %d changed since imported (kept as imported)", t.Changed)
	}
	if t.Failed > 0 {
		s += fmt.Sprintf(", %d failed", t.Failed)
	}
	return s
}

// Import carries the original's state in stateDir over into st and returns what it
// did. Problems with the original's files are in the report, not the error; the error
// is for failures of this gateway's own stores or ledger (the run stops there, and
// what was committed stays committed and is recognised by the next run).
func Import(ctx context.Context, stateDir string, st Stores, o Options) (Report, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	rep := Report{StateDir: stateDir, AtMs: o.Now().UnixMilli()}
	if stateDir == "" {
		return rep, errors.New("stateimport: no state dir")
	}
	led, err := loadLedger(stateDir)
	if err != nil {
		return rep, err
	}
	im := &importer{stateDir: stateDir, st: st, o: o, rep: &rep, led: led}
	steps := []func(context.Context) error{im.sessions, im.devices, im.nodes}
	for _, step := range steps {
		if err = step(ctx); err != nil {
			break
		}
	}
	rep.ReadInPlace = readInPlace(stateDir)
	rep.NeedsRelink = NeedsRelink(stateDir)
	led.Last = &rep
	if werr := led.save(stateDir); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return rep, err
	}
	return rep, nil
}

// readInPlace lists the original's files that this gateway reads where they are.
func readInPlace(stateDir string) []string {
	var out []string
	if home, err := os.UserHomeDir(); err == nil {
		if p := filepath.Join(home, ".clawdbot", "exec-approvals.json"); exists(p) {
			out = append(out, "exec approvals: "+p)
		}
	}
	if p := filepath.Join(stateDir, "cron", "jobs.json"); exists(p) {
		out = append(out, "cron jobs: "+p)
	}
	return out
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

type importer struct {
	stateDir string
	st       Stores
	o        Options
	rep      *Report
	led      *ledger
}

// rel names a path relative to the state dir when it is inside it.
func (im *importer) rel(p string) string {
	if r, err := filepath.Rel(im.stateDir, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}
