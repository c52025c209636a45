package presence

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// fakeClock is an injectable clock that only moves when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.UnixMilli(1_700_000_000_000)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var testSelf = SelfInfo{
	Host: "GW-Host", IP: "10.0.0.5", Version: "1.2.3",
	Platform: "linux 6.1.0", DeviceFamily: "Linux", ModelIdentifier: "x64",
}

func newTestStore(clk *fakeClock, mutate ...func(*Options)) *Store {
	o := Options{Now: clk.Now, Self: testSelf}
	for _, m := range mutate {
		m(&o)
	}
	return New(o)
}

func sp(s string) *string { return &s }
func ip64(v int64) *int64 { return &v }

// render prints the set fields of an entry in a fixed order, for readable comparisons.
func render(e protocol.PresenceEntry) string {
	var parts []string
	add := func(name string, p *string) {
		if p != nil {
			parts = append(parts, fmt.Sprintf("%s=%q", name, *p))
		}
	}
	add("host", e.Host)
	add("ip", e.IP)
	add("version", e.Version)
	add("platform", e.Platform)
	add("deviceFamily", e.DeviceFamily)
	add("modelIdentifier", e.ModelIdentifier)
	add("mode", e.Mode)
	add("reason", e.Reason)
	add("instanceId", e.InstanceID)
	add("deviceId", e.DeviceID)
	if e.LastInputSeconds != nil {
		parts = append(parts, fmt.Sprintf("lastInputSeconds=%d", *e.LastInputSeconds))
	}
	if e.Roles != nil {
		parts = append(parts, fmt.Sprintf("roles=%v", e.Roles))
	}
	if e.Scopes != nil {
		parts = append(parts, fmt.Sprintf("scopes=%v", e.Scopes))
	}
	add("text", e.Text)
	return strings.Join(parts, " ")
}

// hosts lists the host of every entry, in order.
func hosts(list []protocol.PresenceEntry) []string {
	out := make([]string, len(list))
	for i, e := range list {
		if e.Host != nil {
			out[i] = *e.Host
		}
	}
	return out
}

func TestNewSeedsSelf(t *testing.T) {
	clk := newFakeClock()
	s := newTestStore(clk)
	if v := s.Version(); v != 1 {
		t.Fatalf("Version() = %d, want 1", v)
	}
	if n := s.Len(); n != 1 {
		t.Fatalf("Len() = %d, want 1", n)
	}
	list := s.List()
	if len(list) != 1 {
		t.Fatalf("List() has %d entries, want 1", len(list))
	}
	want := `host="GW-Host" ip="10.0.0.5" version="1.2.3" platform="linux 6.1.0" deviceFamily="Linux" modelIdentifier="x64" mode="gateway" reason="self" text="Gateway: GW-Host (10.0.0.5) · app 1.2.3 · mode gateway · reason self"`
	if got := render(list[0]); got != want {
		t.Fatalf("self row\n got %s\nwant %s", got, want)
	}
	if list[0].Ts != clk.Now().UnixMilli() {
		t.Fatalf("self ts = %d, want %d", list[0].Ts, clk.Now().UnixMilli())
	}
	if s.SelfKey() != "gw-host" {
		t.Fatalf("SelfKey() = %q", s.SelfKey())
	}
}

func TestSelfText(t *testing.T) {
	tests := []struct {
		name string
		self SelfInfo
		want string
	}{
		{"with ip", SelfInfo{Host: "h", IP: "1.2.3.4", Version: "v1"}, "Gateway: h (1.2.3.4) · app v1 · mode gateway · reason self"},
		{"without ip", SelfInfo{Host: "h", Version: "v1"}, "Gateway: h · app v1 · mode gateway · reason self"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SelfText(tt.self); got != tt.want {
				t.Fatalf("SelfText = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	s := New(Options{Self: SelfInfo{Host: "  "}})
	if s.SelfKey() != "localhost" {
		t.Fatalf("blank self host: key %q, want localhost", s.SelfKey())
	}
	e, ok := s.Get("localhost")
	if !ok || e.Version == nil || *e.Version != "unknown" {
		t.Fatalf("self row = %s, ok=%v; want version unknown", render(e), ok)
	}
	if s.ttlMs != DefaultTTL.Milliseconds() || s.max != DefaultMaxEntries {
		t.Fatalf("defaults: ttl %dms max %d", s.ttlMs, s.max)
	}
	d := New(Options{}) // zero Self → DefaultSelf
	if d.SelfKey() == "" || d.Len() != 1 {
		t.Fatalf("zero Options: key %q len %d", d.SelfKey(), d.Len())
	}
}

func TestUpsertMerge(t *testing.T) {
	tests := []struct {
		name    string
		updates []Update // all for key "node-1"
		want    string
	}{
		{
			name:    "new row without text gets synthesised text",
			updates: []Update{{Host: sp("Peters-Mac"), Mode: sp("ui"), Reason: sp("connect")}},
			want:    `host="Peters-Mac" mode="ui" reason="connect" text="Node: Peters-Mac · mode ui"`,
		},
		{
			name:    "synthesised text with nothing known",
			updates: []Update{{Reason: sp("connect")}},
			want:    `reason="connect" text="Node: unknown · mode unknown"`,
		},
		{
			name: "nil fields keep stored values",
			updates: []Update{
				{Host: sp("a"), IP: sp("1.2.3.4"), Mode: sp("ui"), Text: sp("hello"), Version: sp("9")},
				{Reason: sp("disconnect")},
			},
			want: `host="a" ip="1.2.3.4" version="9" mode="ui" reason="disconnect" text="hello"`,
		},
		{
			name:    "later value overwrites; existing text is kept, not re-synthesised",
			updates: []Update{{Host: sp("a")}, {Host: sp("b")}},
			want:    `host="b" text="Node: a · mode unknown"`,
		},
		{
			name:    "empty string clears a field",
			updates: []Update{{Host: sp("a"), IP: sp("1.2.3.4"), Text: sp("t")}, {IP: sp("")}},
			want:    `host="a" text="t"`,
		},
		{
			name:    "clearing text re-synthesises from the merged row",
			updates: []Update{{Host: sp("a"), Text: sp("t")}, {Host: sp("b"), Mode: sp("node"), Text: sp("")}},
			want:    `host="b" mode="node" text="Node: b · mode node"`,
		},
		{
			name: "every field",
			updates: []Update{{
				Host: sp("h"), IP: sp("i"), Version: sp("v"), Platform: sp("p"), DeviceFamily: sp("df"),
				ModelIdentifier: sp("mi"), Mode: sp("m"), Reason: sp("r"), Text: sp("x"), InstanceID: sp("Inst-1"),
				DeviceID: sp("dev"), LastInputSeconds: ip64(7), Roles: []string{"operator"}, Scopes: []string{"a", "b"},
			}},
			want: `host="h" ip="i" version="v" platform="p" deviceFamily="df" modelIdentifier="mi" mode="m" reason="r" instanceId="Inst-1" deviceId="dev" lastInputSeconds=7 roles=[operator] scopes=[a b] text="x"`,
		},
		{
			name: "slices: nil keeps, non-nil replaces, empty clears",
			updates: []Update{
				{Text: sp("t"), Roles: []string{"a", "b"}, Scopes: []string{"s"}},
				{Roles: []string{"c"}},
				{Scopes: []string{}},
			},
			want: `roles=[c] text="t"`,
		},
		{
			name: "lastInputSeconds: negative ignored, zero stored",
			updates: []Update{
				{Text: sp("t"), LastInputSeconds: ip64(5)},
				{LastInputSeconds: ip64(-1)},
			},
			want: `lastInputSeconds=5 text="t"`,
		},
		{
			name:    "lastInputSeconds zero",
			updates: []Update{{Text: sp("t"), LastInputSeconds: ip64(5)}, {LastInputSeconds: ip64(0)}},
			want:    `lastInputSeconds=0 text="t"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			s := newTestStore(clk)
			for _, u := range tt.updates {
				clk.Advance(time.Second)
				u.Key = "node-1"
				s.Upsert(u)
			}
			e, ok := s.Get("node-1")
			if !ok {
				t.Fatal("row missing")
			}
			if got := render(e); got != tt.want {
				t.Fatalf("\n got %s\nwant %s", got, tt.want)
			}
			if e.Ts != clk.Now().UnixMilli() {
				t.Fatalf("ts = %d, want now %d", e.Ts, clk.Now().UnixMilli())
			}
		})
	}
}

func TestUpsertKeyNormalisation(t *testing.T) {
	tests := []struct {
		name     string
		keys     []string
		wantLen  int    // rows including self
		wantGet  string // key to look the row up by
		wantHost string // host of that row (the last write)
		wantVer  int64
	}{
		{"case and space fold to one row", []string{" Foo ", "FOO", "foo\t", "fOo"}, 2, "FOO ", "3", 5},
		{"different keys are different rows", []string{"a", "b", "c"}, 4, "b", "1", 4},
		{"blank key changes nothing", []string{"", "   "}, 1, "gw-host", "GW-Host", 1},
		{"self host in another case merges onto self", []string{"gw-HOST"}, 1, "GW-Host", "0", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(newFakeClock())
			for i, k := range tt.keys {
				s.Upsert(Update{Key: k, Host: sp(fmt.Sprint(i))})
			}
			if n := s.Len(); n != tt.wantLen {
				t.Fatalf("Len() = %d, want %d", n, tt.wantLen)
			}
			e, ok := s.Get(tt.wantGet)
			if !ok || e.Host == nil || *e.Host != tt.wantHost {
				t.Fatalf("Get(%q) = %s, %v; want host %q", tt.wantGet, render(e), ok, tt.wantHost)
			}
			if v := s.Version(); v != tt.wantVer {
				t.Fatalf("Version() = %d, want %d", v, tt.wantVer)
			}
		})
	}
}

func TestTTLPruning(t *testing.T) {
	tests := []struct {
		name    string
		ttl     time.Duration
		advance time.Duration
		present bool
	}{
		{"fresh", 0, 0, true},
		{"just under default TTL", 0, 5*time.Minute - time.Millisecond, true},
		{"exactly the TTL is still live", 0, 5 * time.Minute, true},
		{"past the TTL", 0, 5*time.Minute + time.Millisecond, false},
		{"long gone", 0, time.Hour, false},
		{"custom TTL kept", time.Second, time.Second, true},
		{"custom TTL expired", time.Second, time.Second + time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			s := newTestStore(clk, func(o *Options) { o.TTL = tt.ttl })
			s.Upsert(Update{Key: "n", Host: sp("n")})
			clk.Advance(tt.advance)
			list := s.List()
			got := slices.Contains(hosts(list), "n")
			if got != tt.present {
				t.Fatalf("row present = %v, want %v (list %v)", got, tt.present, hosts(list))
			}
			if _, ok := s.Get("n"); ok != tt.present {
				t.Fatalf("Get ok = %v, want %v", ok, tt.present)
			}
			wantLen := 1
			if tt.present {
				wantLen = 2
			}
			if n := s.Len(); n != wantLen {
				t.Fatalf("Len() = %d, want %d", n, wantLen)
			}
			if !slices.Contains(hosts(list), "GW-Host") {
				t.Fatal("self row missing")
			}
		})
	}
}

func TestExpiredRowIsAbsent(t *testing.T) {
	clk := newFakeClock()
	s := newTestStore(clk)
	s.Upsert(Update{Key: "n", Host: sp("old-host"), IP: sp("1.1.1.1")})
	clk.Advance(6 * time.Minute) // expired, but no List has pruned it yet
	v0 := s.Version()
	if v, ok := s.MarkDisconnected("n"); ok || v != v0 {
		t.Fatalf("MarkDisconnected on expired row = %d, %v; want %d, false", v, ok, v0)
	}
	s.Upsert(Update{Key: "n", Mode: sp("ui")})
	e, _ := s.Get("n")
	if want := `mode="ui" text="Node: unknown · mode ui"`; render(e) != want {
		t.Fatalf("upsert onto expired row merged stale data:\n got %s\nwant %s", render(e), want)
	}
}

func TestSelfNeverExpires(t *testing.T) {
	clk := newFakeClock()
	s := newTestStore(clk)
	s.Beacon(Beacon{Text: "custom self text", InstanceID: sp("GW-HOST")})
	for _, gap := range []time.Duration{time.Minute, 10 * time.Minute, 24 * time.Hour} {
		clk.Advance(gap)
		list := s.List()
		if len(list) != 1 || list[0].Ts != clk.Now().UnixMilli() {
			t.Fatalf("after %v: list %v, ts %d; want only self with ts now", gap, hosts(list), list[0].Ts)
		}
		if *list[0].Text != "custom self text" {
			t.Fatalf("self row lost its merged text: %s", render(list[0]))
		}
	}
	// Without any List in between, the self row is still live.
	clk.Advance(time.Hour)
	if _, ok := s.Get("gw-host"); !ok {
		t.Fatal("self row expired")
	}
	if v, ok := s.MarkDisconnected("GW-Host"); !ok || v != 3 {
		t.Fatalf("MarkDisconnected(self) = %d, %v", v, ok)
	}
}

func TestSelfReseeded(t *testing.T) {
	clk := newFakeClock()
	s := newTestStore(clk)
	s.Upsert(Update{Key: "n", Host: sp("n")})
	s.mu.Lock()
	delete(s.rows, s.selfKey) // cannot happen through the API; List must still repair it
	s.mu.Unlock()
	if n := s.Len(); n != 2 {
		t.Fatalf("Len() with self missing = %d, want 2", n)
	}
	clk.Advance(time.Second)
	v := s.Version()
	list := s.List()
	if got := hosts(list); !slices.Equal(got, []string{"GW-Host", "n"}) {
		t.Fatalf("List() hosts = %v", got)
	}
	if *list[0].Reason != "self" || list[0].Ts != clk.Now().UnixMilli() {
		t.Fatalf("re-seeded self = %s ts %d", render(list[0]), list[0].Ts)
	}
	if s.Version() != v {
		t.Fatal("re-seeding changed the version")
	}
}

func TestMaxEntriesEviction(t *testing.T) {
	type op struct {
		upsert  string // key (== host) to upsert
		discon  string // key to mark disconnected
		advance time.Duration
	}
	tests := []struct {
		name string
		ops  []op
		want []string // hosts after the ops, sorted
	}{
		{
			name: "oldest by ts goes",
			ops:  []op{{upsert: "a", advance: time.Millisecond}, {upsert: "b", advance: time.Millisecond}, {upsert: "c", advance: time.Millisecond}, {upsert: "d"}},
			want: []string{"GW-Host", "b", "c", "d"},
		},
		{
			name: "equal ts: least recently written goes",
			ops:  []op{{upsert: "c"}, {upsert: "a"}, {upsert: "b"}, {upsert: "d"}},
			want: []string{"GW-Host", "a", "b", "d"},
		},
		{
			name: "re-upsert protects a row",
			ops:  []op{{upsert: "a"}, {upsert: "b"}, {upsert: "c"}, {upsert: "a"}, {upsert: "d"}},
			want: []string{"GW-Host", "a", "c", "d"},
		},
		{
			name: "disconnect refreshes ts too",
			ops:  []op{{upsert: "a", advance: time.Second}, {upsert: "b", advance: time.Second}, {upsert: "c", advance: time.Second}, {discon: "a", advance: time.Second}, {upsert: "d"}},
			want: []string{"GW-Host", "a", "c", "d"},
		},
		{
			name: "self is never evicted even when oldest",
			ops:  []op{{advance: time.Minute}, {upsert: "a", advance: time.Second}, {upsert: "b", advance: time.Second}, {upsert: "c", advance: time.Second}, {upsert: "d", advance: time.Second}, {upsert: "e"}},
			want: []string{"GW-Host", "c", "d", "e"},
		},
		{
			name: "expired rows go before live ones",
			ops:  []op{{upsert: "a", advance: 6 * time.Minute}, {upsert: "b"}, {upsert: "c"}, {upsert: "d"}},
			want: []string{"GW-Host", "b", "c", "d"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			s := newTestStore(clk, func(o *Options) { o.MaxEntries = 4 })
			for _, o := range tt.ops {
				if o.upsert != "" {
					s.Upsert(Update{Key: o.upsert, Host: sp(o.upsert)})
				}
				if o.discon != "" {
					if _, ok := s.MarkDisconnected(o.discon); !ok {
						t.Fatalf("MarkDisconnected(%q) not ok", o.discon)
					}
				}
				if s.Len() > 4 {
					t.Fatalf("Len() = %d > MaxEntries", s.Len())
				}
				clk.Advance(o.advance)
			}
			got := hosts(s.List())
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("hosts = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListOrder(t *testing.T) {
	clk := newFakeClock()
	s := newTestStore(clk)
	s.Upsert(Update{Key: "old", Host: sp("old")})
	clk.Advance(time.Second)
	s.Upsert(Update{Key: "b", Host: sp("b")})
	s.Upsert(Update{Key: "a", Host: sp("a")}) // same ts as b: key order decides
	clk.Advance(time.Second)
	s.Upsert(Update{Key: "newest", Host: sp("newest")})
	s.Upsert(Update{Key: "aaa", Host: sp("aaa")}) // ties with self, which List stamps now
	s.MarkDisconnected("old")                     // moves to the front group
	list := s.List()
	want := []string{"aaa", "GW-Host", "newest", "old", "a", "b"}
	if got := hosts(list); !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].Ts < list[i].Ts {
			t.Fatalf("not newest first at %d: %d < %d", i, list[i-1].Ts, list[i].Ts)
		}
	}
}

func TestListReturnsCopies(t *testing.T) {
	clk := newFakeClock()
	s := newTestStore(clk)
	host := "h"
	roles := []string{"r1"}
	u := Update{Key: "k", Host: &host, LastInputSeconds: ip64(3), Roles: roles, Text: sp("t")}
	s.Upsert(u)
	host = "mutated-by-caller"
	roles[0] = "mutated-by-caller"
	*u.LastInputSeconds = 99

	before := s.List()
	for i := range before {
		e := &before[i]
		*e.Host = "x"
		*e.Text = "x"
		if e.LastInputSeconds != nil {
			*e.LastInputSeconds = 42
		}
		if len(e.Roles) > 0 {
			e.Roles[0] = "x"
		}
	}
	after, _ := s.Get("k")
	if want := `host="h" lastInputSeconds=3 roles=[r1] text="t"`; render(after) != want {
		t.Fatalf("store changed through shared memory:\n got %s\nwant %s", render(after), want)
	}
	if *s.List()[0].Host != "GW-Host" {
		t.Fatal("self row changed through a returned copy")
	}
}

func TestVersion(t *testing.T) {
	type step struct {
		name  string
		do    func(*Store)
		delta int64
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"each mutation is +1, reads are +0", []step{
			{"upsert new", func(s *Store) { s.Upsert(Update{Key: "a"}) }, 1},
			{"upsert same", func(s *Store) { s.Upsert(Update{Key: "a", Mode: sp("ui")}) }, 1},
			{"list", func(s *Store) { s.List() }, 0},
			{"len", func(s *Store) { s.Len() }, 0},
			{"get", func(s *Store) { s.Get("a") }, 0},
			{"disconnect", func(s *Store) { s.MarkDisconnected("A") }, 1},
			{"disconnect unknown", func(s *Store) { s.MarkDisconnected("nope") }, 0},
			{"beacon", func(s *Store) { s.Beacon(Beacon{Text: "hi"}) }, 1},
			{"beacon same again", func(s *Store) { s.Beacon(Beacon{Text: "hi"}) }, 1},
			{"blank key upsert", func(s *Store) { s.Upsert(Update{Key: " "}) }, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(newFakeClock())
			want := int64(1)
			for _, st := range tt.steps {
				st.do(s)
				want += st.delta
				if v := s.Version(); v != want {
					t.Fatalf("after %s: Version() = %d, want %d", st.name, v, want)
				}
			}
		})
	}
	// The returned versions match Version().
	s := newTestStore(newFakeClock())
	if v := s.Upsert(Update{Key: "a"}); v != 2 {
		t.Fatalf("Upsert returned %d, want 2", v)
	}
	if v, ok := s.MarkDisconnected("a"); v != 3 || !ok {
		t.Fatalf("MarkDisconnected returned %d, %v; want 3, true", v, ok)
	}
	if v, k := s.Beacon(Beacon{Text: "x", InstanceID: sp("I")}); v != 4 || k != "i" {
		t.Fatalf("Beacon returned %d, %q; want 4, i", v, k)
	}
}

func TestConcurrentUse(t *testing.T) {
	clk := newFakeClock()
	const maxEntries = 50
	s := newTestStore(clk, func(o *Options) { o.MaxEntries = maxEntries; o.TTL = time.Minute })
	var mutations atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 16 {
		wg.Go(func() {
			for i := range 400 {
				key := fmt.Sprintf("node-%d", (g*400+i)%120)
				switch i % 8 {
				case 0, 1, 2:
					s.Upsert(Update{Key: key, Host: sp(key), Reason: sp("connect")})
					mutations.Add(1)
				case 3:
					if _, ok := s.MarkDisconnected(key); ok {
						mutations.Add(1)
					}
				case 4:
					s.Beacon(Beacon{Text: "Node: " + key + " (10.0.0.1) · app 1 · last input 3s ago · mode ui · reason periodic"})
					mutations.Add(1)
				case 5:
					list := s.List()
					if len(list) > maxEntries {
						errs <- fmt.Sprintf("list has %d entries", len(list))
					}
					for j := 1; j < len(list); j++ {
						if list[j-1].Ts < list[j].Ts {
							errs <- "list not newest first"
						}
					}
				case 6:
					_ = s.Len()
					_ = s.Version()
				case 7:
					clk.Advance(100 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if v := s.Version(); v != 1+mutations.Load() {
		t.Fatalf("Version() = %d, want 1 + %d mutations", v, mutations.Load())
	}
	if n := s.Len(); n > maxEntries {
		t.Fatalf("Len() = %d > %d", n, maxEntries)
	}
	if !slices.Contains(hosts(s.List()), "GW-Host") {
		t.Fatal("self row lost")
	}
}

func seeded(b *testing.B, n int) *Store {
	b.Helper()
	clk := newFakeClock()
	s := newTestStore(clk)
	for i := range n - 1 { // plus the self row
		clk.Advance(time.Millisecond)
		s.Upsert(Update{
			Key: fmt.Sprintf("instance-%03d", i), Host: sp(fmt.Sprintf("host-%d", i)), IP: sp("192.168.1.10"),
			Version: sp("2026.1.5"), Platform: sp("macos 15.2"), DeviceFamily: sp("Mac"), Mode: sp("ui"),
			Reason: sp("connect"), InstanceID: sp(fmt.Sprintf("instance-%03d", i)), LastInputSeconds: ip64(12),
		})
	}
	if s.Len() != n {
		b.Fatalf("seeded %d rows, want %d", s.Len(), n)
	}
	return s
}

func BenchmarkUpsert(b *testing.B) {
	b.Run("existing-200", func(b *testing.B) {
		s := seeded(b, 200)
		keys := make([]string, 199)
		for i := range keys {
			keys[i] = fmt.Sprintf("instance-%03d", i)
		}
		reason := "periodic"
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s.Upsert(Update{Key: keys[i%len(keys)], Reason: &reason})
			i++
		}
	})
	b.Run("new-evicting-200", func(b *testing.B) {
		s := seeded(b, 200)
		keys := make([]string, 1000)
		for i := range keys {
			keys[i] = fmt.Sprintf("fresh-%d", i)
		}
		mode := "ui"
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s.Upsert(Update{Key: keys[i%len(keys)], Mode: &mode})
			i++
		}
	})
}

func BenchmarkList(b *testing.B) {
	s := seeded(b, 200)
	b.ReportAllocs()
	for b.Loop() {
		if len(s.List()) != 200 {
			b.Fatal("wrong length")
		}
	}
}

// encodeList is the reference: List's deep copies through the generated encoder.
func encodeList(s *Store) string {
	ev := protocol.PresenceEvent{Presence: s.List()}
	b := ev.AppendJSON(nil)
	return string(b[len(`{"presence":`) : len(b)-1])
}

// TestAppendJSONMatchesList: the cached per-row encoding never serves a stale row —
// after upserts, merges, disconnects, beacons, expiry and eviction the bytes equal a
// fresh encode of List, and the version is the store's.
func TestAppendJSONMatchesList(t *testing.T) {
	clk := newFakeClock()
	s := newTestStore(clk, func(o *Options) { o.MaxEntries = 5 })
	check := func(step string) {
		t.Helper()
		got, v := s.AppendJSON([]byte("x"))
		if got[0] != 'x' {
			t.Fatalf("%s: AppendJSON dropped the prefix", step)
		}
		if want := encodeList(s); string(got[1:]) != want {
			t.Fatalf("%s:\n got %s\nwant %s", step, got[1:], want)
		}
		if v != s.Version() {
			t.Fatalf("%s: version %d, store has %d", step, v, s.Version())
		}
	}
	check("self only")
	for i := range 4 {
		clk.Advance(time.Second)
		s.Upsert(Update{Key: fmt.Sprintf("k%d", i), Mode: sp("ui"), Host: sp(fmt.Sprintf("h%d", i))})
	}
	check("four rows")
	clk.Advance(time.Second)
	s.Upsert(Update{Key: "k1", Version: sp("2.0")})
	check("merge")
	clk.Advance(time.Second)
	s.MarkDisconnected("k2")
	check("disconnect")
	clk.Advance(time.Second)
	s.Beacon(Beacon{Text: "Node: k0 · mode ui", InstanceID: sp("k0")})
	check("beacon")
	clk.Advance(time.Second)
	s.Upsert(Update{Key: "GW-Host", Reason: sp("periodic")}) // the self row
	check("self changed")
	for i := range 3 {
		clk.Advance(time.Second)
		s.Upsert(Update{Key: fmt.Sprintf("new%d", i)})
	}
	check("eviction")
	clk.Advance(DefaultTTL + time.Second)
	check("expiry")
}

func BenchmarkAppendJSON(b *testing.B) {
	s := seeded(b, 200)
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = s.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkListEncode is what a broadcast cost before AppendJSON.
func BenchmarkListEncode(b *testing.B) {
	s := seeded(b, 200)
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		ev := protocol.PresenceEvent{Presence: s.List()}
		buf = ev.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}
