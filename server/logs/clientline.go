package logs

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
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
