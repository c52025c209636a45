package stateimport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/titanous/json5"

	"github.com/clawgate/gateway/server/sessions"
)

// sessionEntry is the part of the original's SessionEntry (src/config/sessions/types.ts)
// this gateway keeps. Per-session overrides (model, thinking level, queue mode, send
// policy, skills snapshot, …) are not carried over.
type sessionEntry struct {
	SessionID      string         `json:"sessionId"`
	UpdatedAt      float64        `json:"updatedAt"`
	SessionFile    string         `json:"sessionFile"`
	AbortedLastRun bool           `json:"abortedLastRun"`
	ChatType       string         `json:"chatType"`
	InputTokens    float64        `json:"inputTokens"`
	OutputTokens   float64        `json:"outputTokens"`
	TotalTokens    float64        `json:"totalTokens"`
	Label          string         `json:"label"`
	DisplayName    string         `json:"displayName"`
	Subject        string         `json:"subject"`
	Channel        string         `json:"channel"`
	LastChannel    string         `json:"lastChannel"`
	LastProvider   string         `json:"lastProvider"` // before "channel" naming
	LastTo         string         `json:"lastTo"`
	LastAccountID  string         `json:"lastAccountId"`
	Delivery       *deliveryCtx   `json:"deliveryContext"`
	Origin         *sessionOrigin `json:"origin"`
	ThinkingLevel  string         `json:"thinkingLevel"`
	VerboseLevel   string         `json:"verboseLevel"`
	ReasoningLevel string         `json:"reasoningLevel"`
	SendPolicy     string         `json:"sendPolicy"`
}

type deliveryCtx struct {
	Channel   string `json:"channel"`
	To        string `json:"to"`
	AccountID string `json:"accountId"`
}

type sessionOrigin struct {
	Label string `json:"label"`
}

// sessionSource is one of the original's session stores.
type sessionSource struct {
	agentID string
	path    string // sessions.json
}

// sessionSources lists the original's session stores: one per agent under
// <stateDir>/agents (or per the session.store setting), plus the pre-multi-agent
// <stateDir>/sessions/sessions.json as agent "main".
func (im *importer) sessionSources() []sessionSource {
	var ids []string
	if ents, err := os.ReadDir(filepath.Join(im.stateDir, "agents")); err == nil {
		for _, e := range ents {
			if e.IsDir() {
				ids = append(ids, e.Name())
			}
		}
	}
	// The default agent first: a session.store path without {agentId} is one file
	// shared by all agents, and its bare keys are the default agent's.
	ids = slices.DeleteFunc(ids, func(id string) bool { return id == sessions.DefaultAgentID })
	slices.Sort(ids)
	ids = append([]string{sessions.DefaultAgentID}, ids...)
	var out []sessionSource
	store := strings.TrimSpace(im.o.SessionStore)
	if strings.HasSuffix(store, ".db") {
		store = ""
	}
	for _, id := range ids {
		p := filepath.Join(im.stateDir, "agents", id, "sessions", "sessions.json")
		if store != "" {
			p = expandHome(strings.ReplaceAll(store, "{agentId}", id))
		}
		if !slices.ContainsFunc(out, func(s sessionSource) bool { return s.path == p }) {
			out = append(out, sessionSource{agentID: id, path: p})
		}
	}
	return append(out, sessionSource{agentID: sessions.DefaultAgentID, path: filepath.Join(im.stateDir, "sessions", "sessions.json")})
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~"); ok && (rest == "" || rest[0] == '/' || rest[0] == filepath.Separator) {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

func (im *importer) sessions(ctx context.Context) error {
	if im.st.Sessions == nil {
		return nil
	}
	for _, src := range im.sessionSources() {
		if err := im.sessionStore(ctx, src); err != nil {
			return err
		}
	}
	return nil
}

// readJSONMap reads a JSON (or JSON5, as the original's loader accepts) object file as
// raw records by key. ok is false when the file does not exist; a problem is reported
// and err stays nil when it cannot be used.
func (im *importer) readJSONMap(path string) (recs map[string]json.RawMessage, ok bool) {
	data, err := readCapped(path, im.o.MaxFileBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		im.rep.problem(Problem{Path: path, Err: err.Error()})
		return nil, true
	}
	if err := json.Unmarshal(data, &recs); err != nil {
		// The original parses sessions.json as JSON5; try that before giving up.
		var v map[string]any
		if err5 := json5.Unmarshal(data, &v); err5 != nil || v == nil {
			im.rep.problem(Problem{Path: path, Err: "not a JSON object: " + err.Error()})
			return nil, true
		}
		recs = make(map[string]json.RawMessage, len(v))
		for k, x := range v {
			b, err := json.Marshal(x)
			if err != nil {
				im.rep.problem(Problem{Path: path, Item: k, Err: err.Error()})
				continue
			}
			recs[k] = b
		}
	}
	if recs == nil {
		im.rep.problem(Problem{Path: path, Err: "not a JSON object"})
		return nil, true
	}
	return recs, true
}

func readCapped(path string, maxBytes int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("larger than %d bytes; not read", maxBytes)
	}
	return data, nil
}

func (im *importer) sessionStore(ctx context.Context, src sessionSource) error {
	recs, ok := im.readJSONMap(src.path)
	if !ok {
		return nil
	}
	if recs == nil {
		im.rep.Sessions.Failed++
		return nil
	}
	keys := make([]string, 0, len(recs))
	for k := range recs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := im.session(ctx, src, k, recs[k]); err != nil {
			return err
		}
	}
	return nil
}

// canonicalKey turns an original store key into this gateway's form: bare keys are
// the agent's own (agent:<agentId>:<key>), as the original's migration treats them.
func canonicalKey(agentID, key string) (string, error) {
	k := strings.TrimSpace(key)
	if k != "" && k != "global" && k != "unknown" && !strings.HasPrefix(k, "agent:") {
		k = "agent:" + agentID + ":" + k
	}
	return sessions.Canonical(k)
}

func (im *importer) session(ctx context.Context, src sessionSource, rawKey string, raw json.RawMessage) error {
	im.rep.Sessions.Found++
	fail := func(line int, err string) {
		im.rep.Sessions.Failed++
		im.rep.problem(Problem{Path: src.path, Line: line, Item: rawKey, Err: err})
	}
	key, err := canonicalKey(src.agentID, rawKey)
	if err != nil {
		fail(0, err.Error())
		return nil
	}
	var e sessionEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		fail(0, "session entry: "+err.Error())
		return nil
	}
	e.SessionID = strings.TrimSpace(e.SessionID)
	if e.SessionID == "" {
		fail(0, "session entry has no sessionId")
		return nil
	}
	tpath := strings.TrimSpace(e.SessionFile)
	if tpath == "" {
		tpath = filepath.Join(filepath.Dir(src.path), e.SessionID+".jsonl")
	}
	entrySum := hashRaw(raw)
	stamp := fileStamp(tpath)
	item := "session/" + src.agentID + "/" + key
	li, seen := im.led.Items[item]
	if seen && li.Stamp == stamp && li.Entry == entrySum {
		// Unchanged since it was imported: not even the transcript is read again.
		im.rep.Sessions.Existing++
		return nil
	}
	tr, terr := im.readTranscript(tpath)
	if terr != nil && !errors.Is(terr, fs.ErrNotExist) {
		// An unreadable transcript (permissions, I/O) is a failure, not an empty one:
		// importing the entry now would make the transcript unrecoverable by a later run.
		fail(0, "transcript "+tpath+": "+terr.Error())
		return nil
	}
	h := sha256.New()
	h.Write([]byte(entrySum))
	h.Write([]byte{0})
	h.Write([]byte(tr.sha256))
	sum := hex.EncodeToString(h.Sum(nil))
	if seen {
		// Imported before: only report whether its content changed since (a touched
		// file with the same content is not a change).
		if li.SHA256 == sum {
			im.rep.Sessions.Existing++
		} else {
			im.rep.Sessions.Changed++
		}
		return nil
	}
	if errors.Is(terr, fs.ErrNotExist) {
		im.rep.problem(Problem{Path: tpath, Item: key, Err: "transcript missing; session imported without messages"})
	}
	for _, p := range tr.problems {
		im.rep.problem(Problem{Path: tpath, Line: p.line, Item: key, Err: p.err})
	}

	upd := int64(e.UpdatedAt)
	if upd <= 0 {
		upd = tr.lastTs
	}
	if upd <= 0 {
		upd = im.o.Now().UnixMilli()
	}
	ss := sessions.Session{
		Key:            key,
		ID:             e.SessionID,
		CreatedAt:      tr.createdAt,
		UpdatedAt:      upd,
		Label:          e.Label,
		DisplayName:    firstNonEmpty(e.DisplayName, e.Subject, originLabel(e.Origin)),
		ChatType:       chatType(e.ChatType),
		LastChannel:    firstNonEmpty(e.LastChannel, e.LastProvider, deliveryField(e.Delivery, "channel"), e.Channel),
		LastTo:         firstNonEmpty(e.LastTo, deliveryField(e.Delivery, "to")),
		LastAccountID:  firstNonEmpty(e.LastAccountID, deliveryField(e.Delivery, "accountId")),
		InputTokens:    int64(e.InputTokens),
		OutputTokens:   int64(e.OutputTokens),
		TotalTokens:    int64(e.TotalTokens),
		AbortedLastRun: e.AbortedLastRun,
		// The session controls carry over; a model override does not: it may name a
		// provider this gateway has no credentials for, and would fail every run.
		ThinkingLevel:  oneOf(e.ThinkingLevel, "minimal", "low", "medium", "high", "xhigh"),
		VerboseLevel:   oneOf(e.VerboseLevel, "on", "full", "off"),
		ReasoningLevel: oneOf(e.ReasoningLevel, "on", "stream"),
	}
	ss.SendPolicy = oneOf(e.SendPolicy, "allow", "deny")
	if ss.CreatedAt <= 0 || ss.CreatedAt > ss.UpdatedAt {
		ss.CreatedAt = 0 // Import derives it
	}
	res, err := im.st.Sessions.Import(ctx, sessions.Imported{Session: ss, Messages: tr.messages})
	if err != nil {
		return fmt.Errorf("stateimport: session %s: %w", key, err)
	}
	if res.Imported {
		im.rep.Sessions.Imported++
		im.rep.Messages += len(tr.messages) - res.Dropped
		im.rep.Lost.add(tr.lost)
		im.rep.Lost.Dropped += res.Dropped
		im.rep.Lost.Truncated += res.Truncated
	} else {
		im.rep.Sessions.Existing++
	}
	im.led.Items[item] = ledgerItem{Source: im.rel(src.path), SHA256: sum, Entry: entrySum, Stamp: stamp,
		AtMs: im.o.Now().UnixMilli(), Imported: res.Imported}
	return nil
}

// fileStamp is the size and modification time of a file ("" when it cannot be
// stat'ed), so that a later run can tell an unchanged transcript without reading it.
func fileStamp(p string) string {
	fi, err := os.Stat(p)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d:%d", fi.Size(), fi.ModTime().UnixNano())
}

func (l *Lost) add(o Lost) {
	l.ToolCalls += o.ToolCalls
	l.ToolResults += o.ToolResults
	l.Thinking += o.Thinking
	l.Images += o.Images
	l.Other += o.Other
	l.Empty += o.Empty
	l.BadLines += o.BadLines
}

func chatType(t string) string {
	switch t {
	case "group", "channel":
		return "group"
	case "direct", "dm":
		return "direct"
	}
	return ""
}

func originLabel(o *sessionOrigin) string {
	if o == nil {
		return ""
	}
	return o.Label
}

func deliveryField(d *deliveryCtx, f string) string {
	if d == nil {
		return ""
	}
	switch f {
	case "channel":
		return d.Channel
	case "to":
		return d.To
	}
	return d.AccountID
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// transcript is what was read from one JSONL transcript.
type transcript struct {
	sha256    string // of the whole file; "" when missing
	messages  []sessions.Message
	createdAt int64 // the header's timestamp
	lastTs    int64
	lost      Lost
	problems  []lineProblem
}

type lineProblem struct {
	line int
	err  string
}

// Transcript lines (pi-coding-agent session files, version 1–3): a header
// {type:"session", id, timestamp, …} and entries {type, id, parentId, timestamp, …};
// type "message" entries carry message {role, content, timestamp}. Like the original's
// chat.history, every message line counts, in file order (branches are not resolved).
type transcriptLine struct {
	Type      string          `json:"type"`
	Timestamp json.RawMessage `json:"timestamp"`
	Message   *struct {
		Role      string          `json:"role"`
		Content   json.RawMessage `json:"content"`
		Timestamp json.RawMessage `json:"timestamp"`
	} `json:"message"`
}

type contentPart struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// maxLineProblems bounds the line problems listed per transcript; the rest are counted
// in Lost.BadLines only.
const maxLineProblems = 5

func (im *importer) readTranscript(path string) (transcript, error) {
	var tr transcript
	f, err := os.Open(path)
	if err != nil {
		return tr, err
	}
	defer f.Close()
	h := sha256.New()
	r := bufio.NewReaderSize(io.TeeReader(f, h), 64<<10)
	maxLine := im.o.MaxLineBytes
	var buf []byte
	for n := 1; ; n++ {
		buf = buf[:0]
		tooLong := false
		var rerr error
		for {
			chunk, err := r.ReadSlice('\n')
			if len(buf)+len(chunk) > maxLine {
				tooLong = true
			} else {
				buf = append(buf, chunk...)
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			rerr = err
			break
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return tr, rerr
		}
		eof := rerr != nil
		if tooLong {
			tr.bad(n, fmt.Sprintf("line longer than %d bytes; skipped", maxLine))
		} else if line := bytes.TrimSpace(buf); len(line) > 0 {
			tr.line(n, line)
		}
		if eof {
			break
		}
	}
	tr.sha256 = hex.EncodeToString(h.Sum(nil))
	return tr, nil
}

func (tr *transcript) bad(n int, err string) {
	tr.lost.BadLines++
	if len(tr.problems) < maxLineProblems {
		tr.problems = append(tr.problems, lineProblem{n, err})
	}
}

func (tr *transcript) line(n int, line []byte) {
	var l transcriptLine
	if err := json.Unmarshal(line, &l); err != nil {
		tr.bad(n, "not JSON (skipped): "+err.Error())
		return
	}
	if l.Type == "session" {
		if ts := parseTs(l.Timestamp); ts > 0 && tr.createdAt == 0 {
			tr.createdAt = ts
		}
		return
	}
	if l.Message == nil {
		if l.Type == "compaction" || l.Type == "branch_summary" || l.Type == "custom_message" {
			tr.lost.Other++
		}
		return
	}
	ts := parseTs(l.Message.Timestamp)
	if ts <= 0 {
		ts = parseTs(l.Timestamp)
	}
	role, text := "", ""
	switch m := l.Message; m.Role {
	case "user":
		role, text = "user", tr.text(m.Content, false)
	case "assistant":
		role, text = "assistant", tr.text(m.Content, true)
	case "custom", "hookMessage":
		role, text = "system", tr.text(m.Content, false)
	case "toolResult":
		tr.lost.ToolResults++
		return
	default:
		tr.lost.Other++
		return
	}
	if strings.TrimSpace(text) == "" {
		tr.lost.Empty++
		return
	}
	tr.messages = append(tr.messages, sessions.Message{Role: role, Text: text, Ts: ts})
	if ts > tr.lastTs {
		tr.lastTs = ts
	}
}

// text flattens message content (a string, or an array of text, image, thinking and
// toolCall parts) into this gateway's single text.
func (tr *transcript) text(raw json.RawMessage, assistant bool) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []contentPart
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var out []string
	for _, p := range parts {
		switch p.Type {
		case "text", "input_text", "output_text":
			if p.Text != "" {
				out = append(out, p.Text)
			}
		case "image", "input_image":
			tr.lost.Images++
			out = append(out, "[image]")
		case "thinking":
			tr.lost.Thinking++
		case "toolCall", "tool_use", "toolUse":
			if !assistant {
				continue
			}
			tr.lost.ToolCalls++
			args := string(compactJSON(p.Arguments))
			if len(args) > MaxToolArgsBytes {
				cut := MaxToolArgsBytes
				for cut > 0 && !isRuneStart(args[cut]) {
					cut--
				}
				args = args[:cut] + "…"
			}
			out = append(out, strings.TrimSpace("[tool call: "+p.Name+" "+args)+"]")
		}
	}
	return strings.Join(out, "\n")
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func compactJSON(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return nil
	}
	if b.String() == "{}" {
		return nil
	}
	return b.Bytes()
}

// parseTs reads a timestamp given as milliseconds or as an ISO 8601 string.
func parseTs(raw json.RawMessage) int64 {
	if len(raw) == 0 {
		return 0
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return int64(f)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UnixMilli()
		}
	}
	return 0
}

// oneOf is v when it is one of the values the gateway knows, else "" (unset).
func oneOf(v string, known ...string) string {
	if slices.Contains(known, v) {
		return v
	}
	return ""
}
