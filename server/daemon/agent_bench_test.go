package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/gatewaytest"
)

// BenchmarkAgentTurn measures the gateway's own overhead per model step through the
// real daemon (daemon.Run, a WebSocket client on 127.0.0.1, the SQLite transcript)
// against a zero-latency scripted model server:
//
//   - text: chat.send → first chat delta, and → final (one model step);
//   - tool: a turn with one read tool call (two model steps); its final minus the text
//     turn's final is the tool round trip (model step + tool + transcript writes).
//
// Model time is what the fake server spends in its handler (measured there) and is
// reported separately. Run short: go test ./server/daemon -run '^$' -bench AgentTurn -benchtime 300x -cpu 1
func BenchmarkAgentTurn(b *testing.B) {
	for _, tc := range []struct {
		name  string
		calls bool
	}{{"text", false}, {"tool", true}} {
		b.Run(tc.name, func(b *testing.B) {
			home := b.TempDir()
			ws := filepath.Join(home, "ws")
			_ = os.MkdirAll(ws, 0o700)
			_ = os.WriteFile(filepath.Join(ws, "f.txt"), []byte("x\n"), 0o600)
			model := newFakeModel(b, "openai-completions", func(n int, body []byte) fakeStep {
				if tc.calls && !bytes.Contains(body, []byte(`"role":"tool"`)) {
					return fakeStep{calls: []fakeCall{{fmt.Sprintf("c%d", n), "read", `{"path":"f.txt"}`}}}
				}
				return fakeStep{text: "ok done"}
			})
			r := startHome(b, home, agentConfig(ws, model, nil), nil)
			c := r.client(b)
			firsts := make([]time.Duration, 0, b.N)
			finals := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				id := fmt.Sprintf("b%d", i)
				t0 := time.Now()
				// A session per turn: every turn sees the same (empty) history.
				c.MustOK("chat.send", map[string]any{"sessionKey": "bench-" + id, "message": "go", "idempotencyKey": id}, nil)
				first := time.Duration(0)
				for done := false; !done; {
					f := nextRunEvent(b, c, id)
					if f.Event != "chat" {
						continue
					}
					var p struct{ State string }
					_ = json.Unmarshal(f.Payload, &p)
					switch p.State {
					case "delta":
						if first == 0 {
							first = time.Since(t0)
						}
					case "final":
						done = true
					default:
						b.Fatalf("run %s: %s", id, f.Payload)
					}
				}
				finals = append(finals, time.Since(t0))
				firsts = append(firsts, first)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "turns/s")
			b.ReportMetric(pct(firsts, 50), "first-delta-p50-µs")
			b.ReportMetric(pct(firsts, 99), "first-delta-p99-µs")
			b.ReportMetric(pct(finals, 50), "turn-p50-µs")
			b.ReportMetric(pct(finals, 99), "turn-p99-µs")
			model.mu.Lock()
			busy := model.busy
			model.mu.Unlock()
			b.ReportMetric(float64(busy.Microseconds())/float64(b.N), "model-µs/turn")
		})
	}
}

func nextRunEvent(b *testing.B, c *gatewaytest.Client, runID string) *gatewaytest.Frame {
	for {
		select {
		case f := <-c.Events:
			if bytes.Contains(f.Payload, []byte(`"runId":"`+runID+`"`)) {
				return f
			}
		case <-time.After(10 * time.Second):
			b.Fatalf("run %s: no event", runID)
		}
	}
}

func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)*p/100, len(s)-1)
	return float64(s[i].Microseconds())
}
