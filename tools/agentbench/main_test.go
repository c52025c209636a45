package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func TestPcts(t *testing.T) {
	for _, tc := range []struct {
		in            []float64
		p50, p99, max float64
	}{
		{[]float64{3, 1, 2}, 2, 3, 3},
		{[]float64{5}, 5, 5, 5},
	} {
		got := pcts(tc.in)
		if got["p50"] != tc.p50 || got["p99"] != tc.p99 || got["max"] != tc.max {
			t.Errorf("pcts(%v) = %v", tc.in, got)
		}
	}
	if pcts(nil) != nil {
		t.Error("pcts(nil) != nil")
	}
}

// TestFakeModelRecordsSteps: the fake model answers a tool call then text, and stamps
// each request under the turn id found in the body (what the overheads are built on).
func TestFakeModelRecordsSteps(t *testing.T) {
	m := &fakeModel{reqs: map[string][]modelReq{}}
	m.tool.Store(true)
	srv := httptest.NewServer(m)
	defer srv.Close()
	for _, tc := range []struct{ body, want string }{
		{`{"messages":[{"role":"user","content":"go turn-abc1"}]}`, `"finish_reason":"tool_calls"`},
		{`{"messages":[{"role":"user","content":"go turn-abc1"},{"role":"tool","content":"x"}]}`, `"finish_reason":"stop"`},
	} {
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		if !strings.Contains(b.String(), tc.want) || !strings.HasSuffix(b.String(), "data: [DONE]\n\n") {
			t.Fatalf("answer to %s:\n%s", tc.body, b.String())
		}
	}
	r := m.reqs["turn-abc1"]
	if len(r) != 2 || r[0].tool || !r[1].tool || r[1].recv.Before(r[0].end) || r[0].first.Before(r[0].recv) {
		t.Fatalf("recorded %+v", r)
	}
}

func TestProcCPU(t *testing.T) {
	// Spin until a clock tick of CPU time is charged (bounded: a loaded machine may
	// give this test little CPU).
	for deadline := time.Now().Add(10 * time.Second); procCPU(os.Getpid()) == 0 && time.Now().Before(deadline); {
	}
	if procCPU(os.Getpid()) <= 0 || selfCPU() <= 0 {
		t.Fatalf("procCPU %v selfCPU %v", procCPU(os.Getpid()), selfCPU())
	}
}
