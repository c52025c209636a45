package gatewayclient

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

func TestDeviceIdentityFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "device.json")
	id, err := LoadOrCreateDeviceIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id.ID) || id.ID != deviceID(id.PublicKey) {
		t.Fatalf("device id %q", id.ID)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("identity file mode %v, %v", fi.Mode().Perm(), err)
	}
	if di, err := os.Stat(filepath.Dir(path)); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("identity dir mode %v, %v", di.Mode().Perm(), err)
	}
	again, err := LoadOrCreateDeviceIdentity(path)
	if err != nil || again.ID != id.ID || !again.PrivateKey.Equal(id.PrivateKey) {
		t.Fatalf("reload: %v %v", again, err)
	}
	// The file is the reference clients' format.
	var f map[string]any
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &f); err != nil || f["version"] != 1.0 || f["deviceId"] != id.ID || f["privateKeyPem"] == "" || f["publicKeyPem"] == "" {
		t.Fatalf("file %s", b)
	}
	// A wrong deviceId is corrected on load.
	f["deviceId"] = "wrong"
	b, _ = json.Marshal(f)
	_ = os.WriteFile(path, b, 0o600)
	if fixed, err := LoadOrCreateDeviceIdentity(path); err != nil || fixed.ID != id.ID {
		t.Fatalf("fix: %v %v", fixed, err)
	}
	_ = os.WriteFile(path, []byte("{not json"), 0o600)
	if _, err := LoadOrCreateDeviceIdentity(path); err == nil {
		t.Fatal("corrupt identity accepted")
	}
}

func TestFileTokenStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "device-auth.json")
	s := NewFileTokenStore(path)
	if _, ok, err := s.LoadDeviceToken("dev1", "operator"); ok || err != nil {
		t.Fatalf("empty store: %v %v", ok, err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.StoreDeviceToken("dev1", DeviceToken{Token: "t1", Role: "operator", Scopes: []string{"operator.read"}}))
	must(s.StoreDeviceToken("dev1", DeviceToken{Token: "t2", Role: "node"}))
	if tok, ok, err := NewFileTokenStore(path).LoadDeviceToken("dev1", "operator"); !ok || err != nil || tok.Token != "t1" || tok.Scopes[0] != "operator.read" {
		t.Fatalf("load: %+v %v %v", tok, ok, err)
	}
	if _, ok, _ := s.LoadDeviceToken("dev2", "operator"); ok {
		t.Fatal("token of another device")
	}
	must(s.DeleteDeviceToken("dev1", "operator"))
	if _, ok, _ := s.LoadDeviceToken("dev1", "operator"); ok {
		t.Fatal("deleted token still there")
	}
	if tok, ok, _ := s.LoadDeviceToken("dev1", "node"); !ok || tok.Token != "t2" {
		t.Fatal("other role lost")
	}
	// Another device replaces the file's contents.
	must(s.StoreDeviceToken("dev2", DeviceToken{Token: "t3", Role: "operator"}))
	if _, ok, _ := s.LoadDeviceToken("dev1", "node"); ok {
		t.Fatal("old device kept")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
}

func TestBackoff(t *testing.T) {
	p := ReconnectPolicy{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Jitter: 0.2}.withDefaults()
	for n, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		for range 20 {
			d := p.backoff(n)
			if d < want*8/10 || d > want*12/10 {
				t.Fatalf("backoff(%d) = %v, want %v ±20%%", n, d, want)
			}
		}
	}
	if d := (ReconnectPolicy{Jitter: -1}).withDefaults().backoff(0); d != 500*time.Millisecond {
		t.Fatalf("default first delay without jitter = %v", d)
	}
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:18789":         "ws://127.0.0.1:18789/",
		"ws://127.0.0.1:18789":    "ws://127.0.0.1:18789/",
		"http://localhost:1/x":    "ws://localhost:1/x",
		"https://gw.example.com":  "wss://gw.example.com/",
		" wss://gw.example.com/ ": "wss://gw.example.com/",
	} {
		if got, err := normalizeURL(in); err != nil || got != want {
			t.Errorf("normalizeURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ftp://x", "ws://", "ws://[::1"} {
		if _, err := normalizeURL(bad); err == nil {
			t.Errorf("normalizeURL(%q) accepted", bad)
		}
	}
}

func TestSubscriberOverflow(t *testing.T) {
	c := &Client{subs: map[*subscription]struct{}{}, runs: map[string]*AgentRun{}}
	c.o.EventBuffer = 4
	ch, cancel := c.Subscribe("tick")
	defer cancel()
	other, cancel2 := c.Subscribe("presence")
	defer cancel2()
	for i := range 10 {
		c.publish(Event{Name: "tick", Seq: int64(i + 1)})
	}
	for want := int64(1); want <= 4; want++ {
		if ev := <-ch; ev.Seq != want {
			t.Fatalf("got seq %d, want %d", ev.Seq, want)
		}
	}
	c.publish(Event{Name: "tick", Seq: 11})
	ev := <-ch
	if ev.Gap == nil || ev.Gap.Reason != GapOverflow || ev.Gap.Missed != 6 {
		t.Fatalf("want an overflow notice for 6 events, got %+v", ev)
	}
	if ev := <-ch; ev.Seq != 11 {
		t.Fatalf("after the notice: %+v", ev)
	}
	if len(other) != 0 {
		t.Fatalf("presence subscriber got %d tick events", len(other))
	}
	c.publish(Event{Name: EventGap, Gap: &Gap{Reason: GapSeq}})
	if ev := <-other; ev.Gap == nil {
		t.Fatal("gap notices go to every subscriber")
	}
	cancel()
	cancel() // twice is fine
	n := 0
	for range ch { // the buffered gap notice, then the close
		n++
	}
	if n != 1 {
		t.Fatalf("%d events buffered after cancel, want 1", n)
	}
}

func TestIdempotencyFill(t *testing.T) {
	type custom struct{ IdempotencyKey *string }
	cp := &custom{}
	if k := fillIdempotencyKey(cp); k == "" || cp.IdempotencyKey == nil || *cp.IdempotencyKey != k {
		t.Fatalf("pointer field: %q %v", k, cp.IdempotencyKey)
	}
	np := &protocol.NodeInvokeParams{NodeID: "n", Command: "c"}
	if k := fillIdempotencyKey(np); len(k) != 36 || np.IdempotencyKey != k {
		t.Fatalf("node.invoke key %q", k)
	}
	if k := fillIdempotencyKey(struct{ IdempotencyKey string }{}); k != "" {
		t.Fatal("a struct value cannot be filled")
	}
	seen := map[string]bool{}
	for range 1000 {
		u := newUUID()
		if seen[u] || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(u) {
			t.Fatalf("bad or repeated uuid %q", u)
		}
		seen[u] = true
	}
}

func TestAppendRequestV2(t *testing.T) {
	p := &protocol.SendParams{To: "x", Message: "m", IdempotencyKey: "k", Channel: new("telegram")}
	v3, _ := appendRequest(nil, "1", "send", p, 3)
	v2, _ := appendRequest(nil, "1", "send", p, 2)
	if string(v3) == string(v2) {
		t.Fatalf("v2 encoding not used: %s", v2)
	}
	for _, b := range [][]byte{v3, v2} {
		if _, err := protocol.DecodeFrame(b); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
	if b, _ := appendRequest(nil, "2", "health", nil, 3); string(b) != `{"type":"req","id":"2","method":"health"}` {
		t.Fatalf("no params: %s", b)
	}
	if _, err := appendRequest(nil, "3", "x", make(chan int), 3); err == nil {
		t.Fatal("unencodable params accepted")
	}
}

func TestStateVersionOrdering(t *testing.T) {
	c := &Client{}
	a := []protocol.PresenceEntry{{Host: new("a"), Ts: 10}}
	b := []protocol.PresenceEntry{{Host: new("b"), Ts: 20}}
	c.resetState(&protocol.Snapshot{Presence: a, Health: protocol.HealthSummary{Ts: 10}, StateVersion: protocol.StateVersion{Presence: 5, Health: 5}})
	if c.applyPresence(b, &protocol.StateVersion{Presence: 4, Health: 9}) || *c.Presence()[0].Host != "a" {
		t.Fatal("older presence applied")
	}
	if !c.applyPresence(b, &protocol.StateVersion{Presence: 6, Health: 1}) || *c.Presence()[0].Host != "b" {
		t.Fatal("newer presence ignored")
	}
	if c.applyHealth(&protocol.HealthSummary{Ts: 99}, &protocol.StateVersion{Presence: 9, Health: 4}) || c.HealthState().Ts != 10 {
		t.Fatal("older health applied")
	}
	if !c.applyHealth(&protocol.HealthSummary{Ts: 30}, &protocol.StateVersion{Health: 7}) {
		t.Fatal("newer health ignored")
	}
	if v := c.StateVersion(); v.Presence != 6 || v.Health != 7 {
		t.Fatalf("versions %+v", v)
	}
	// A refetch older than what events brought is not applied; a newer one is.
	c.applyRefetch(a, true, &protocol.HealthSummary{Ts: 25})
	if *c.Presence()[0].Host != "b" || c.HealthState().Ts != 30 {
		t.Fatal("stale refetch applied")
	}
	c.applyRefetch([]protocol.PresenceEntry{{Host: new("c"), Ts: 40}}, true, &protocol.HealthSummary{Ts: 40})
	if *c.Presence()[0].Host != "c" || c.HealthState().Ts != 40 {
		t.Fatal("fresh refetch ignored")
	}
	// A new connection's snapshot wins even with lower numbers (another gateway process).
	c.resetState(&protocol.Snapshot{Presence: a, StateVersion: protocol.StateVersion{Presence: 1, Health: 1}})
	if v := c.StateVersion(); v.Presence != 1 || *c.Presence()[0].Host != "a" {
		t.Fatal("snapshot did not reset the state")
	}
}
