package stateimport

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeLargeState writes an original state dir with n sessions of m messages each.
func writeLargeState(b *testing.B, dir string, n, m int) {
	sdir := filepath.Join(dir, "agents", "main", "sessions")
	if err := os.MkdirAll(sdir, 0o700); err != nil {
		b.Fatal(err)
	}
	store := map[string]any{}
	for i := range n {
		sid := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		store[fmt.Sprintf("agent:main:telegram:%d", i)] = map[string]any{"sessionId": sid, "updatedAt": 1767225600000 + i}
		var lines strings.Builder
		lines.WriteString(`{"type":"session","version":3,"id":"` + sid + `","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/"}` + "\n")
		for j := range m {
			role, content := "user", `"question number `+fmt.Sprint(j)+` with some words in it"`
			if j%2 == 1 {
				role, content = "assistant", `[{"type":"text","text":"an answer of moderate length, about one line of text, number `+fmt.Sprint(j)+`"}]`
			}
			fmt.Fprintf(&lines, `{"type":"message","id":"%08x","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z","message":{"role":"%s","content":%s,"timestamp":%d}}`+"\n",
				j, role, content, 1767225600000+j)
		}
		if err := os.WriteFile(filepath.Join(sdir, sid+".jsonl"), []byte(lines.String()), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	data, _ := json.Marshal(store)
	if err := os.WriteFile(filepath.Join(sdir, "sessions.json"), data, 0o600); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRun measures a first import of 100 sessions × 200 messages and the start-up
// cost of a later run that finds nothing new. Run with -benchtime=1x.
func BenchmarkRun(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		writeLargeState(b, dir, 100, 200)
		b.StartTimer()
		rep, err := Run(context.Background(), RunOptions{StateDir: dir})
		if err != nil || rep.Messages != 20000 {
			b.Fatalf("%+v %v", rep.Sessions, err)
		}
		first := b.Elapsed()
		rep, err = Run(context.Background(), RunOptions{StateDir: dir})
		if err != nil || rep.Sessions.Existing != 100 {
			b.Fatalf("%+v %v", rep.Sessions, err)
		}
		b.ReportMetric(float64(first.Milliseconds()), "first-ms")
		b.ReportMetric(float64((b.Elapsed() - first).Milliseconds()), "again-ms")
	}
}
