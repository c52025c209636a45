package logs

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultSubsystem names records that carry neither a "subsystem" nor a "component"
// attribute.
const DefaultSubsystem = "gateway"

// ClientLine maps one line of our JSONL file (a log/slog JSON record) to the shape the
// original's clients parse: the Control UI and `clawdbot logs` read a tslog record,
// with the logger's context as JSON in "0" and _meta.name, the message in "1", the
// level in _meta.logLevelName and the time in "time" (and _meta.date). The record's
// other attributes follow the message as key=value pairs, so neither client loses
// them. Lines that are not slog records (blank, partial, foreign) pass unchanged.
func ClientLine(line string) string {
	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil || rec == nil {
		return line
	}
	msg, ok := rec["msg"].(string)
	if !ok {
		return line // not one of ours (e.g. already tslog-shaped)
	}
	level, _ := rec["level"].(string)
	tm, _ := rec["time"].(string)
	sub, _ := rec["subsystem"].(string)
	if sub == "" {
		sub, _ = rec["component"].(string)
	}
	if sub == "" {
		sub = DefaultSubsystem
	}
	delete(rec, "msg")
	delete(rec, "level")
	delete(rec, "time")
	delete(rec, "subsystem")
	delete(rec, "component")
	keys := make([]string, 0, len(rec))
	for k := range rec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(msg)
	for _, k := range keys {
		b.WriteByte(' ')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(attrText(rec[k]))
	}
	ctx, _ := json.Marshal(map[string]string{"subsystem": sub})
	meta := map[string]string{"name": string(ctx), "logLevelName": tslogLevel(level)}
	if tm != "" {
		meta["date"] = tm
	}
	out := map[string]any{"0": string(ctx), "1": b.String(), "_meta": meta}
	if tm != "" {
		out["time"] = tm
	}
	enc, err := json.Marshal(out)
	if err != nil {
		return line
	}
	return string(enc)
}

// ClientLines maps every line with ClientLine.
func ClientLines(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = ClientLine(l)
	}
	return out
}

// tslogLevel is slog's level name as tslog spells it (the clients lower-case it and
// know trace, debug, info, warn, error, fatal). slog writes offsets such as "INFO+2";
// those round down to their base level.
func tslogLevel(l string) string {
	l = strings.ToUpper(l)
	if i := strings.IndexAny(l, "+-"); i > 0 {
		l = l[:i]
	}
	switch l {
	case "DEBUG", "INFO", "WARN", "ERROR":
		return l
	case "":
		return "INFO"
	}
	return l
}

func attrText(v any) string {
	switch x := v.(type) {
	case string:
		if x == "" || strings.ContainsAny(x, " \t\n\"=") {
			return fmt.Sprintf("%q", x)
		}
		return x
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// Parsed is a log line as the `clawdbot logs` command reads it (the original's CLI
// parser: time, lower-case level, subsystem/module from _meta.name, the message the
// numeric keys joined by spaces).
type Parsed struct {
	Time      string `json:"time,omitempty"`
	Level     string `json:"level,omitempty"`
	Subsystem string `json:"subsystem,omitempty"`
	Module    string `json:"module,omitempty"`
	Message   string `json:"message"`
	Raw       string `json:"raw"`
}

// Parse reads a line in the clients' shape; ok is false for lines that are not JSON.
// Unlike the original's parser, the message leaves out the logger context that
// tslog writes as the first argument (it is the subsystem, shown separately).
func Parse(raw string) (p Parsed, ok bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &obj); err != nil || obj == nil {
		return Parsed{}, false
	}
	p.Raw = raw
	var meta struct {
		Name         any `json:"name"`
		LogLevelName any `json:"logLevelName"`
		Date         any `json:"date"`
	}
	_ = json.Unmarshal(obj["_meta"], &meta)
	var tm any
	_ = json.Unmarshal(obj["time"], &tm)
	if s, ok := tm.(string); ok {
		p.Time = s
	} else if s, ok := meta.Date.(string); ok {
		p.Time = s
	}
	if s, ok := meta.LogLevelName.(string); ok {
		p.Level = strings.ToLower(s)
	}
	name, _ := meta.Name.(string)
	if s := name; s != "" {
		var n map[string]any
		if json.Unmarshal([]byte(s), &n) == nil {
			p.Subsystem, _ = n["subsystem"].(string)
			p.Module, _ = n["module"].(string)
		}
	}
	var keys []int
	for k := range obj {
		if n, err := strconv.Atoi(k); err == nil && n >= 0 && strconv.Itoa(n) == k {
			keys = append(keys, n)
		}
	}
	sort.Ints(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := obj[strconv.Itoa(k)]
		var s string
		if json.Unmarshal(v, &s) == nil {
			if k == keys[0] && name != "" && s == name && len(keys) > 1 {
				continue // the logger's context, already in Subsystem (the original repeats it)
			}
			parts = append(parts, s)
		} else if string(v) != "null" {
			parts = append(parts, string(v))
		}
	}
	p.Message = strings.Join(parts, " ")
	return p, true
}

// Format is the CLI's plain text rendering: time, level, subsystem, message.
func (p Parsed) Format() string {
	label := p.Subsystem
	if label == "" {
		label = p.Module
	}
	msg := p.Message
	if msg == "" {
		msg = p.Raw
	}
	tm := p.Time
	if t, err := time.Parse(time.RFC3339Nano, tm); err == nil {
		tm = t.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	var parts []string
	for _, s := range []string{tm, p.Level, label, msg} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}
