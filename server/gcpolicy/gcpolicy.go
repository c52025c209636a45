// Package gcpolicy sets the garbage collector's defaults for the long-running gateway.
//
// Go's default (GOGC=100: collect when the heap doubles its live size) makes the
// gateway collect every ~80 agent turns, because its live heap is small (~16 MB) and a
// turn allocates ~200 KB. On one core each collection stalls the turns running through
// it: measured out of process (docs/PERFORMANCE.md), collections were what put the
// per-step overhead p99 at 3.5–5.4 ms instead of ~2 ms. The gateway therefore lets the
// heap grow to five times its live size (GOGC=400) before collecting, and caps that
// growth with a soft memory limit, so a large live heap makes collection more frequent
// again instead of growing memory without bound. Either setting given in the
// environment (GOGC, GOMEMLIMIT) is left as the operator set it.
package gcpolicy

import (
	"runtime/debug"
	"strings"
)

const (
	// DefaultGCPercent is the gateway's GOGC when the environment sets none.
	DefaultGCPercent = 400
	// DefaultMemoryLimit is the gateway's soft memory limit (GOMEMLIMIT) when the
	// environment sets none: the heap target never exceeds it while the live heap is
	// smaller.
	DefaultMemoryLimit int64 = 512 << 20
)

// Runtime is what Apply changes: the Go runtime's knobs (Process), or fakes in tests.
type Runtime struct {
	SetGCPercent   func(int) int
	SetMemoryLimit func(int64) int64
}

// Process is the running process's garbage collector.
func Process() Runtime {
	return Runtime{SetGCPercent: debug.SetGCPercent, SetMemoryLimit: debug.SetMemoryLimit}
}

// Applied says what Apply set (zero values: left to the environment).
type Applied struct {
	GCPercent   int
	MemoryLimit int64
}

// Apply sets the defaults that getenv does not override and reports what it set.
func Apply(rt Runtime, getenv func(string) string) Applied {
	var a Applied
	if strings.TrimSpace(getenv("GOGC")) == "" {
		rt.SetGCPercent(DefaultGCPercent)
		a.GCPercent = DefaultGCPercent
	}
	if strings.TrimSpace(getenv("GOMEMLIMIT")) == "" {
		rt.SetMemoryLimit(DefaultMemoryLimit)
		a.MemoryLimit = DefaultMemoryLimit
	}
	return a
}
