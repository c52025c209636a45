package logs

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

// parsed is what the original's clients extract from a line.
type parsed struct{ time, level, subsystem, uiMessage, cliMessage string }

// parseAsClients applies the original's two parsers: the Control UI's (subsystem from
// the JSON in "0", message "1") and the CLI's (subsystem from _meta.name, message the
// numeric keys joined by spaces).
func parseAsClients(t *testing.T, line string) parsed {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal([]byte(line), &obj); err != nil {
		t.Fatalf("not JSON: %q", line)
	}
	meta, _ := obj["_meta"].(map[string]any)
	var p parsed
	p.time, _ = obj["time"].(string)
	if p.time == "" {
		p.time, _ = meta["date"].(string)
	}
	lvl, _ := meta["logLevelName"].(string)
	p.level = strings.ToLower(lvl)
	var ctx map[string]any
	c0, _ := obj["0"].(string)
	_ = json.Unmarshal([]byte(c0), &ctx)
	p.subsystem, _ = ctx["subsystem"].(string)
	var nameCtx map[string]any
	name, _ := meta["name"].(string)
	_ = json.Unmarshal([]byte(name), &nameCtx)
	if s, _ := nameCtx["subsystem"].(string); s != p.subsystem {
		t.Errorf("UI subsystem %q, CLI subsystem %q", p.subsystem, s)
	}
	p.uiMessage, _ = obj["1"].(string)
	var parts []string
	for _, k := range []string{"0", "1", "2"} {
		if s, ok := obj[k].(string); ok {
			parts = append(parts, s)
		}
	}
	p.cliMessage = strings.Join(parts, " ")
	return p
}

func TestClientLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	log.With("subsystem", "cron").Info("job ran", "id", "j1", "n", 3)
	log.With("component", "http").Warn("slow request", "path", "/a b")
	log.Debug("plain")
	log.Log(t.Context(), slog.LevelError+2, "worse")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	timeRE := regexp.MustCompile(`^\d{4}-\d\d-\d\dT`)
	cases := []struct{ level, subsystem, message string }{
		{"info", "cron", "job ran id=j1 n=3"},
		{"warn", "http", `slow request path="/a b"`},
		{"debug", "gateway", "plain"},
		{"error", "gateway", "worse"},
	}
	if len(lines) != len(cases) {
		t.Fatalf("%d lines", len(lines))
	}
	for i, tc := range cases {
		p := parseAsClients(t, ClientLine(lines[i]))
		if p.level != tc.level || p.subsystem != tc.subsystem || p.uiMessage != tc.message {
			t.Errorf("line %d: got %+v, want %+v", i, p, tc)
		}
		if !strings.HasSuffix(p.cliMessage, " "+tc.message) {
			t.Errorf("line %d: CLI message %q", i, p.cliMessage)
		}
		if !timeRE.MatchString(p.time) {
			t.Errorf("line %d: time %q", i, p.time)
		}
	}
	for _, raw := range []string{"", "not json", `{"partial":`, `{"0":"x","_meta":{}}`} {
		if got := ClientLine(raw); got != raw {
			t.Errorf("ClientLine(%q) = %q, want unchanged", raw, got)
		}
	}
}

// TestParse runs the original's own parser test lines through ours.
func TestParse(t *testing.T) {
	line := `{"time":"2026-01-09T01:38:41.523Z","0":"{\"subsystem\":\"gateway/channels/whatsapp\"}","1":"connected","_meta":{"name":"{\"subsystem\":\"gateway/channels/whatsapp\"}","logLevelName":"INFO"}}`
	p, ok := Parse(line)
	if !ok || p.Time != "2026-01-09T01:38:41.523Z" || p.Level != "info" || p.Subsystem != "gateway/channels/whatsapp" || p.Message != "connected" || p.Raw != line {
		t.Fatalf("%+v", p)
	}
	if got := p.Format(); got != "2026-01-09T01:38:41.523Z info gateway/channels/whatsapp connected" {
		t.Fatalf("Format = %q", got)
	}
	p, ok = Parse(`{"0":"hello","_meta":{"name":"{\"subsystem\":\"gateway\"}","logLevelName":"WARN","date":"2026-01-09T02:10:00.000Z"}}`)
	if !ok || p.Time != "2026-01-09T02:10:00.000Z" || p.Level != "warn" || p.Message != "hello" {
		t.Fatalf("%+v", p)
	}
	if _, ok := Parse("not-json"); ok {
		t.Fatal("not-json parsed")
	}
	p, _ = Parse(ClientLine(`{"time":"2026-01-09T02:10:00Z","level":"ERROR","msg":"boom","subsystem":"cron","n":1}`))
	if p.Subsystem != "cron" || p.Level != "error" || p.Message != "boom n=1" {
		t.Fatalf("round trip %+v", p)
	}
}
