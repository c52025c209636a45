package gcpolicy

import (
	"runtime/debug"
	"testing"
)

func TestApply(t *testing.T) {
	cases := []struct {
		name        string
		env         map[string]string
		wantPercent int   // -1: not called
		wantLimit   int64 // -1: not called
	}{
		{"defaults", nil, DefaultGCPercent, DefaultMemoryLimit},
		{"GOGC set", map[string]string{"GOGC": "100"}, -1, DefaultMemoryLimit},
		{"GOGC off", map[string]string{"GOGC": "off"}, -1, DefaultMemoryLimit},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "2GiB"}, DefaultGCPercent, -1},
		{"both set", map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}, -1, -1},
		{"blank counts as unset", map[string]string{"GOGC": " "}, DefaultGCPercent, DefaultMemoryLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gotPercent, gotLimit := -1, int64(-1)
			rt := Runtime{
				SetGCPercent:   func(p int) int { gotPercent = p; return 100 },
				SetMemoryLimit: func(l int64) int64 { gotLimit = l; return 0 },
			}
			a := Apply(rt, func(k string) string { return c.env[k] })
			if gotPercent != c.wantPercent || gotLimit != c.wantLimit {
				t.Fatalf("set GOGC %d, limit %d; want %d, %d", gotPercent, gotLimit, c.wantPercent, c.wantLimit)
			}
			if (a.GCPercent != 0) != (c.wantPercent != -1) || (a.MemoryLimit != 0) != (c.wantLimit != -1) {
				t.Fatalf("reported %+v", a)
			}
		})
	}
}

// TestProcessRuntime: Process changes the real collector (restored afterwards).
func TestProcessRuntime(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })
	Apply(Process(), func(string) string { return "" })
	if p := debug.SetGCPercent(100); p != DefaultGCPercent {
		t.Fatalf("GOGC after Apply: %d", p)
	}
	if l := debug.SetMemoryLimit(-1); l != DefaultMemoryLimit {
		t.Fatalf("memory limit after Apply: %d", l)
	}
}
