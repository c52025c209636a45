package gateway

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// Idle memory trim. A connect storm leaves behind the garbage of every handshake (HTTP
// upgrade buffers, hello-ok frames), and with the default GC pacing the heap — and so
// the process RSS — stays at the storm's high-water mark while the connections sit
// idle, for as long as they do: an idle gateway allocates almost nothing, so no GC
// comes to shrink it. After a burst of connects followed by quiet, the gateway runs
// one collection and hands the free pages back to the OS. It costs one GC cycle per
// burst, and only when there is a lot to give back.
const (
	// DefaultTrimInterval is how often the trim policy looks at the heap.
	DefaultTrimInterval = time.Second
	// TrimMinGarbage is how much collectable heap must be waiting before a trim.
	TrimMinGarbage = 16 << 20
)

// trimState counts handshakes so the policy can tell a burst from quiet.
type trimState struct {
	connects   atomic.Int64 // completed handshakes, ever
	seen       int64        // connects at the previous check
	sinceTrim  int64        // connects since the last trim
	samples    []metrics.Sample
	lastTrimAt time.Time
}

// shouldTrim is the policy: some connects happened since the last trim, none in the
// last interval, and at least minGarbage bytes could go back to the OS — heap objects
// that are no longer live plus free heap pages the runtime still holds (after a GC
// that ran during the storm the garbage is gone but its pages stay resident until the
// background scavenger, which is slow, gets to them).
func shouldTrim(connectsSinceTrim, connectsLastInterval int64, heapObjects, heapLive, heapFree uint64, minGarbage uint64) bool {
	var garbage uint64
	if heapObjects > heapLive {
		garbage = heapObjects - heapLive
	}
	return connectsSinceTrim > 0 && connectsLastInterval == 0 && garbage+heapFree >= minGarbage
}

// checkTrim runs on the timer loop.
func (s *Server) checkTrim() {
	t := &s.trim
	now := t.connects.Load()
	recent := now - t.seen
	t.seen = now
	t.sinceTrim += recent
	if t.samples == nil {
		t.samples = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/free:bytes"}}
	}
	metrics.Read(t.samples)
	objects, live, free := t.samples[0].Value.Uint64(), t.samples[1].Value.Uint64(), t.samples[2].Value.Uint64()
	if !shouldTrim(t.sinceTrim, recent, objects, live, free, TrimMinGarbage) {
		return
	}
	start := time.Now()
	// Two cycles: the first moves sync.Pool contents (write buffers left over from a
	// broadcast to every connection — 4 KiB each) to the pools' victim caches, the
	// second frees them; then the free pages go back to the OS.
	runtime.GC()
	debug.FreeOSMemory()
	t.sinceTrim = 0
	t.lastTrimAt = start
	s.log.Debug("idle memory trim", "heapObjectsBytes", objects, "liveBytes", live, "freeBytes", free, "took", time.Since(start))
}
