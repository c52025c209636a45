package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
			start, cpu0 := time.Now(), processCPU()
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
			// CPU of the whole process (gateway, client and fake model): steadier than
			// wall time on a shared machine.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/turn")
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

// benchInFlight is how many chat turns BenchmarkAgentTurnConcurrent keeps running at
// once (each on its own session), as several users or channels would.
const benchInFlight = 16

// BenchmarkAgentTurnConcurrent is BenchmarkAgentTurn with benchInFlight turns in
// flight on one WebSocket client and agents.defaults.maxConcurrent set to match: the
// gateway's throughput when sessions overlap, where
// the session store's group commit shares one disk sync among the turns' transcript
// commits. Run short: go test ./server/daemon -run '^$' -bench AgentTurnConcurrent -benchtime 1000x -cpu 1
func BenchmarkAgentTurnConcurrent(b *testing.B) {
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
			// Runs execute concurrently across sessions (agents.defaults.maxConcurrent).
			cfg := strings.Replace(agentConfig(ws, model, nil), "model: {primary:", fmt.Sprintf("maxConcurrent: %d, model: {primary:", benchInFlight), 1)
			r := startHome(b, home, cfg, nil)
			c := r.client(b)
			var mu sync.Mutex
			waiting := map[string]chan string{}
			stop := make(chan struct{})
			defer close(stop)
			go func() { // route chat events to their turn
				for {
					select {
					case f := <-c.Events:
						if f.Event != "chat" {
							continue
						}
						var p struct{ RunID, State string }
						_ = json.Unmarshal(f.Payload, &p)
						if p.State == "delta" {
							continue
						}
						mu.Lock()
						ch := waiting[p.RunID]
						mu.Unlock()
						if ch != nil {
							ch <- p.State
						}
					case <-stop:
						return
					}
				}
			}()
			var next atomic.Int64
			finals := make([]time.Duration, b.N)
			errs := make(chan error, benchInFlight)
			b.ResetTimer()
			start, cpu0 := time.Now(), processCPU()
			var wg sync.WaitGroup
			for range benchInFlight {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						id := fmt.Sprintf("p%d", i)
						done := make(chan string, 1)
						mu.Lock()
						waiting[id] = done
						mu.Unlock()
						t0 := time.Now()
						_, res := c.Request("chat.send", map[string]any{"sessionKey": "bench-" + id, "message": "go", "idempotencyKey": id})
						if f := <-res; !f.OK {
							errs <- fmt.Errorf("run %s: %s", id, f.Error.Message)
							return
						}
						select {
						case st := <-done:
							if st != "final" {
								errs <- fmt.Errorf("run %s ended %s", id, st)
								return
							}
						case <-time.After(30 * time.Second):
							errs <- fmt.Errorf("run %s: no final", id)
							return
						}
						finals[i] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			// CPU of the whole process (gateway, client and fake model): steadier than
			// wall time on a shared machine.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/turn")
			b.StopTimer()
			select {
			case err := <-errs:
				b.Fatal(err)
			default:
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "turns/s")
			b.ReportMetric(pct(finals, 50), "turn-p50-µs")
			b.ReportMetric(pct(finals, 99), "turn-p99-µs")
			model.mu.Lock()
			busy := model.busy
			model.mu.Unlock()
			b.ReportMetric(float64(busy.Microseconds())/float64(b.N), "model-µs/turn")
		})
	}
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
