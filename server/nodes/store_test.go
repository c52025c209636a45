package nodes

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
)

var testNow = time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

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

func newClock() *fakeClock { return &fakeClock{t: testNow} }

func openTestStore(t *testing.T, dir string, clk *fakeClock, mod ...func(*StoreOptions)) *Store {
	t.Helper()
	o := StoreOptions{StateDir: dir, Now: clk.Now}
	for _, m := range mod {
		m(&o)
	}
	s, err := OpenStore(o)
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	return s
}

func params(nodeID string) protocol.NodePairRequestParams {
	return protocol.NodePairRequestParams{
		NodeID:          nodeID,
		DisplayName:     new("Phone " + nodeID),
		Platform:        new("ios"),
		Version:         new("1.0"),
		DeviceFamily:    new("iPhone"),
		ModelIdentifier: new("iPhone17,1"),
		Caps:            []string{"canvas", "camera"},
		Commands:        []string{"canvas.present"},
		RemoteIP:        new("6.6.6.6"), // ignored: the socket address wins
	}
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code || e.Message != msg {
		t.Fatalf("err = %v, want %s %q", err, code, msg)
	}
}

func mustRequest(t *testing.T, s *Store, p protocol.NodePairRequestParams) protocol.PendingNodeRequest {
	t.Helper()
	req, created, err := s.Request(p, "10.0.0.2")
	if err != nil || !created {
		t.Fatalf("Request(%s) = created %v, err %v", p.NodeID, created, err)
	}
	return req
}

func mustApprove(t *testing.T, s *Store, requestID string) (protocol.PairedNode, string) {
	t.Helper()
	n, tok, err := s.Approve(requestID)
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	return n, tok
}

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func TestLifecycle(t *testing.T) {
	state := t.TempDir()
	clk := newClock()
	s := openTestStore(t, state, clk)

	req := mustRequest(t, s, params("n1"))
	if req.NodeID != "n1" || req.RequestID == "" || req.Ts != testNow.UnixMilli() ||
		req.IsRepair == nil || *req.IsRepair || req.RemoteIP == nil || *req.RemoteIP != "10.0.0.2" ||
		*req.DisplayName != "Phone n1" || len(req.Caps) != 2 {
		t.Fatalf("request = %+v", req)
	}
	l := s.List()
	if len(l.Pending) != 1 || len(l.Paired) != 0 || l.Pending[0].RequestID != req.RequestID {
		t.Fatalf("list = %+v", l)
	}

	clk.Advance(time.Second)
	node, tok := mustApprove(t, s, req.RequestID)
	if !tokenRE.MatchString(tok) {
		t.Fatalf("token %q", tok)
	}
	created := testNow.Add(time.Second).UnixMilli()
	if node.NodeID != "n1" || node.CreatedAtMs != created || node.ApprovedAtMs != created || *node.Platform != "ios" {
		t.Fatalf("node = %+v", node)
	}
	l = s.List()
	if len(l.Pending) != 0 || len(l.Paired) != 1 {
		t.Fatalf("list after approve = %+v", l)
	}
	if _, _, err := s.Approve(req.RequestID); err == nil {
		t.Fatal("second approve of the same request succeeded")
	}
	// The token never appears on disk or in List.
	for _, name := range []string{"paired.json", "pending.json"} {
		b, err := os.ReadFile(filepath.Join(state, "nodes", name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), tok) {
			t.Fatalf("%s contains the token", name)
		}
	}
	if strings.Contains(fmt.Sprintf("%+v", l), tok) {
		t.Fatal("List contains the token")
	}

	for _, c := range []struct {
		name, node, tok string
		ok              bool
	}{
		{"right", "n1", tok, true},
		{"wrong", "n1", tok + "x", false},
		{"empty", "n1", "", false},
		{"other node", "n2", tok, false},
	} {
		t.Run("verify "+c.name, func(t *testing.T) {
			n, ok := s.Verify(c.node, c.tok)
			if ok != c.ok || (ok && n.NodeID != "n1") {
				t.Fatalf("Verify = %+v, %v", n, ok)
			}
		})
	}
	if p, ok := s.Paired("n1"); !ok || p.NodeID != "n1" {
		t.Fatalf("Paired = %+v, %v", p, ok)
	}

	// Re-pair: isRepair, createdAtMs kept, new token, old one dead.
	clk.Advance(time.Minute)
	p := params("n1")
	p.Version = new("2.0")
	p.DisplayName = nil
	req2 := mustRequest(t, s, p)
	if req2.IsRepair == nil || !*req2.IsRepair {
		t.Fatalf("re-pair request isRepair = %v", req2.IsRepair)
	}
	clk.Advance(time.Second)
	node2, tok2 := mustApprove(t, s, req2.RequestID)
	if tok2 == tok {
		t.Fatal("re-pair reused the token")
	}
	if node2.CreatedAtMs != created || node2.ApprovedAtMs != clk.Now().UnixMilli() ||
		*node2.Version != "2.0" || *node2.DisplayName != "Phone n1" {
		t.Fatalf("re-paired node = %+v", node2)
	}
	if _, ok := s.Verify("n1", tok); ok {
		t.Fatal("old token still verifies")
	}
	if _, ok := s.Verify("n1", tok2); !ok {
		t.Fatal("new token does not verify")
	}
}

func TestApproveRejectUnknown(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	_, _, err := s.Approve("nope")
	wantErr(t, err, CodeInvalidRequest, MsgUnknownRequestID)
	_, err = s.Reject("nope")
	wantErr(t, err, CodeInvalidRequest, MsgUnknownRequestID)
}

func TestReject(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	req := mustRequest(t, s, params("n1"))
	id, err := s.Reject(req.RequestID)
	if err != nil || id != "n1" {
		t.Fatalf("Reject = %q, %v", id, err)
	}
	if l := s.List(); len(l.Pending) != 0 || len(l.Paired) != 0 {
		t.Fatalf("list = %+v", l)
	}
	_, _, err = s.Approve(req.RequestID)
	wantErr(t, err, CodeInvalidRequest, MsgUnknownRequestID)
	if _, ok := s.Paired("n1"); ok {
		t.Fatal("rejected node is paired")
	}
}

func TestPendingTTL(t *testing.T) {
	state := t.TempDir()
	clk := newClock()
	s := openTestStore(t, state, clk)
	old := mustRequest(t, s, params("old"))
	clk.Advance(3 * time.Minute)
	fresh := mustRequest(t, s, params("fresh"))
	l := s.List()
	if len(l.Pending) != 2 || l.Pending[0].RequestID != fresh.RequestID || l.Pending[1].RequestID != old.RequestID {
		t.Fatalf("pending not newest first: %+v", l.Pending)
	}
	clk.Advance(2*time.Minute + time.Millisecond) // old is 5m+1ms old
	l = s.List()
	if len(l.Pending) != 1 || l.Pending[0].RequestID != fresh.RequestID {
		t.Fatalf("expired request listed: %+v", l.Pending)
	}
	_, _, err := s.Approve(old.RequestID)
	wantErr(t, err, CodeInvalidRequest, MsgUnknownRequestID)
	// A new request for the expired node is created afresh.
	if req, created, err := s.Request(params("old"), ""); err != nil || !created || req.RequestID == old.RequestID {
		t.Fatalf("request after expiry = %+v, %v, %v", req, created, err)
	}
	// Expired requests are pruned on open too.
	clk.Advance(10 * time.Minute)
	if l := openTestStore(t, state, clk).List(); len(l.Pending) != 0 {
		t.Fatalf("reopened store lists expired requests: %+v", l.Pending)
	}
	// Custom TTL.
	s2 := openTestStore(t, t.TempDir(), clk, func(o *StoreOptions) { o.PendingTTL = time.Second })
	r := mustRequest(t, s2, params("x"))
	clk.Advance(2 * time.Second)
	if _, err := s2.Reject(r.RequestID); err == nil {
		t.Fatal("reject of request past custom TTL succeeded")
	}
}

func TestMaxPending(t *testing.T) {
	clk := newClock()
	s := openTestStore(t, t.TempDir(), clk, func(o *StoreOptions) { o.MaxPending = 3 })
	var reqs []protocol.PendingNodeRequest
	for i := range 3 {
		reqs = append(reqs, mustRequest(t, s, params(fmt.Sprint("n", i))))
	}
	_, _, err := s.Request(params("n3"), "")
	wantErr(t, err, CodeUnavailable, MsgTooManyPending)
	// Reuse of an existing request is still fine at the limit.
	if _, created, err := s.Request(params("n0"), ""); err != nil || created {
		t.Fatalf("reuse at limit: created %v err %v", created, err)
	}
	if _, err := s.Reject(reqs[0].RequestID); err != nil {
		t.Fatal(err)
	}
	mustRequest(t, s, params("n3"))
	// Expiry frees slots.
	clk.Advance(DefaultPendingTTL + time.Second)
	mustRequest(t, s, params("n4"))
}

// TestMaxPendingPerSource (issue 15 #3): one source address holds at most its share
// of the pending list; other sources still get in; expiry and decisions free it.
func TestMaxPendingPerSource(t *testing.T) {
	clk := newClock()
	s := openTestStore(t, t.TempDir(), clk, func(o *StoreOptions) { o.MaxPending = 10; o.MaxPendingPerSource = 3 })
	var reqs []protocol.PendingNodeRequest
	for i := range 3 {
		r, created, err := s.RequestFrom(params(fmt.Sprint("a", i)), "", "10.0.0.5")
		if err != nil || !created {
			t.Fatalf("request %d: %v", i, err)
		}
		reqs = append(reqs, r)
	}
	_, _, err := s.RequestFrom(params("a3"), "", "10.0.0.5")
	wantErr(t, err, CodeUnavailable, MsgTooManyPendingFromSource)
	// The same node again is a reuse, not a new request.
	if _, created, err := s.RequestFrom(params("a0"), "", "10.0.0.5"); err != nil || created {
		t.Fatalf("reuse at the share: created %v err %v", created, err)
	}
	if _, created, err := s.RequestFrom(params("real-node"), "", "10.0.0.6"); err != nil || !created {
		t.Fatalf("another source refused: %v", err)
	}
	if _, err := s.Reject(reqs[0].RequestID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RequestFrom(params("a3"), "", "10.0.0.5"); err != nil {
		t.Fatalf("after a decision: %v", err)
	}
	clk.Advance(DefaultPendingTTL + time.Second)
	if _, _, err := s.RequestFrom(params("a4"), "", "10.0.0.5"); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

func TestRequestReuse(t *testing.T) {
	clk := newClock()
	s := openTestStore(t, t.TempDir(), clk)
	first := mustRequest(t, s, params("n1"))
	clk.Advance(time.Second)
	p := params(" n1 ")
	p.DisplayName = new("Other")
	again, created, err := s.Request(p, "10.9.9.9")
	if err != nil || created {
		t.Fatalf("created %v err %v", created, err)
	}
	if again.RequestID != first.RequestID || again.Ts != first.Ts || *again.DisplayName != "Phone n1" {
		t.Fatalf("reused request = %+v, want %+v", again, first)
	}
	if l := s.List(); len(l.Pending) != 1 {
		t.Fatalf("pending = %+v", l.Pending)
	}
}

func TestRequestValidation(t *testing.T) {
	long := strings.Repeat("é", MaxFieldLen+1)
	max := strings.Repeat("é", MaxFieldLen)
	many := make([]string, MaxListLen+1)
	for i := range many {
		many[i] = fmt.Sprint("c", i)
	}
	for _, c := range []struct {
		name string
		mod  func(*protocol.NodePairRequestParams)
		msg  string // "" = ok
	}{
		{"blank nodeId", func(p *protocol.NodePairRequestParams) { p.NodeID = "  " }, MsgNodeIDRequired},
		{"long nodeId", func(p *protocol.NodePairRequestParams) { p.NodeID = long }, "nodeId too long"},
		{"long displayName", func(p *protocol.NodePairRequestParams) { p.DisplayName = &long }, "displayName too long"},
		{"max displayName", func(p *protocol.NodePairRequestParams) { p.DisplayName = &max }, ""},
		{"long platform", func(p *protocol.NodePairRequestParams) { p.Platform = &long }, "platform too long"},
		{"long version", func(p *protocol.NodePairRequestParams) { p.Version = &long }, "version too long"},
		{"long deviceFamily", func(p *protocol.NodePairRequestParams) { p.DeviceFamily = &long }, "deviceFamily too long"},
		{"long modelIdentifier", func(p *protocol.NodePairRequestParams) { p.ModelIdentifier = &long }, "modelIdentifier too long"},
		{"long cap", func(p *protocol.NodePairRequestParams) { p.Caps = []string{long} }, "caps entry too long"},
		{"too many commands", func(p *protocol.NodePairRequestParams) { p.Commands = many }, "commands has too many entries"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := openTestStore(t, t.TempDir(), newClock())
			p := params("n1")
			c.mod(&p)
			_, created, err := s.Request(p, "")
			if c.msg == "" {
				if err != nil || !created {
					t.Fatalf("created %v err %v", created, err)
				}
				return
			}
			wantErr(t, err, CodeInvalidRequest, c.msg)
			if l := s.List(); len(l.Pending) != 0 {
				t.Fatalf("bad request stored: %+v", l.Pending)
			}
		})
	}
}

func TestRename(t *testing.T) {
	state := t.TempDir()
	clk := newClock()
	s := openTestStore(t, state, clk)
	mustApprove(t, s, mustRequest(t, s, params("n1")).RequestID)
	for _, c := range []struct {
		name, node, display, want, code, msg string
	}{
		{"ok", "n1", "  Kitchen iPad ", "Kitchen iPad", "", ""},
		{"blank", "n1", "   ", "", CodeInvalidRequest, MsgDisplayNameRequired},
		{"unknown", "n2", "X", "", CodeInvalidRequest, MsgUnknownNodeID},
		{"too long", "n1", strings.Repeat("x", MaxFieldLen+1), "", CodeInvalidRequest, "displayName too long"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := s.Rename(c.node, c.display)
			if c.code != "" {
				wantErr(t, err, c.code, c.msg)
				return
			}
			if err != nil || res.NodeID != c.node || res.DisplayName != c.want {
				t.Fatalf("Rename = %+v, %v", res, err)
			}
		})
	}
	if p, _ := openTestStore(t, state, clk).Paired("n1"); p.DisplayName == nil || *p.DisplayName != "Kitchen iPad" {
		t.Fatalf("rename not persisted: %+v", p)
	}
}

func TestUpdateFromHello(t *testing.T) {
	state := t.TempDir()
	clk := newClock()
	s := openTestStore(t, state, clk)
	mustApprove(t, s, mustRequest(t, s, params("n1")).RequestID)
	if _, err := s.Rename("n1", "Mine"); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateFromHello("n1", NodeInfo{Permissions: map[string]bool{"camera": true, "mic": true}}); err != nil {
		t.Fatal(err)
	}

	err := s.UpdateFromHello("n1", NodeInfo{
		DisplayName: "Hello Name",
		Platform:    "ipados",
		Version:     "3.1",
		RemoteIP:    "10.0.0.7",
		Caps:        []string{"canvas", "canvas", "screen"},
		Commands:    nil, // empty: keep paired commands
		Permissions: map[string]bool{"mic": false, "location": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, p protocol.PairedNode) {
		t.Helper()
		if *p.DisplayName != "Mine" || *p.Platform != "ipados" || *p.Version != "3.1" || *p.RemoteIP != "10.0.0.7" ||
			*p.DeviceFamily != "iPhone" || fmt.Sprint(p.Caps) != "[canvas screen]" ||
			fmt.Sprint(p.Commands) != "[canvas.present]" ||
			fmt.Sprint(p.Permissions) != "map[camera:true location:true mic:false]" {
			t.Fatalf("paired after hello = %+v", p)
		}
	}
	p, _ := s.Paired("n1")
	check(t, p)
	p, _ = openTestStore(t, state, clk).Paired("n1")
	check(t, p)

	wantErr(t, s.UpdateFromHello("ghost", NodeInfo{Platform: "ios"}), CodeInvalidRequest, MsgUnknownNodeID)
	wantErr(t, s.UpdateFromHello("n1", NodeInfo{Version: strings.Repeat("v", MaxFieldLen+1)}), CodeInvalidRequest, "version too long")
	// Unchanged hello writes nothing.
	path := filepath.Join(state, "nodes", "paired.json")
	before, _ := os.Stat(path)
	if err := s.UpdateFromHello("n1", NodeInfo{Platform: "ipados"}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(path); !os.SameFile(before, after) {
		t.Fatal("no-op hello rewrote paired.json")
	}
}

func TestPersistence(t *testing.T) {
	state := t.TempDir()
	clk := newClock()
	s := openTestStore(t, state, clk)
	r1 := mustRequest(t, s, params("n1"))
	clk.Advance(time.Second)
	n1, tok := mustApprove(t, s, r1.RequestID)
	clk.Advance(time.Second)
	p2 := params("n2")
	p2.Silent = new(true)
	r2 := mustRequest(t, s, p2)

	// Leftover temp files from a crash are removed on open.
	stale := filepath.Join(state, "nodes", "paired.json.123.tmp")
	if err := os.WriteFile(stale, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := openTestStore(t, state, clk)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temp file not removed: %v", err)
	}
	l := s2.List()
	if len(l.Paired) != 1 || len(l.Pending) != 1 {
		t.Fatalf("list after reopen = %+v", l)
	}
	if got := l.Paired[0]; got.NodeID != "n1" || got.CreatedAtMs != n1.CreatedAtMs || *got.DisplayName != "Phone n1" {
		t.Fatalf("paired after reopen = %+v", got)
	}
	if got := l.Pending[0]; got.RequestID != r2.RequestID || got.Silent == nil || !*got.Silent || got.Ts != r2.Ts {
		t.Fatalf("pending after reopen = %+v", got)
	}
	if _, ok := s2.Verify("n1", tok); !ok {
		t.Fatal("token does not verify after reopen")
	}
	// Paired sort order: approvedAtMs desc.
	clk.Advance(time.Second)
	mustApprove(t, s2, r2.RequestID)
	if l := s2.List(); len(l.Paired) != 2 || l.Paired[0].NodeID != "n2" || l.Paired[1].NodeID != "n1" {
		t.Fatalf("paired order = %+v", l.Paired)
	}
}

func TestFileModes(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "nodes")
	// A pre-existing, too-open dir and file are tightened on open.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pending.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := openTestStore(t, state, newClock())
	mustApprove(t, s, mustRequest(t, s, params("n1")).RequestID)
	mustRequest(t, s, params("n2"))
	for _, c := range []struct {
		path string
		want os.FileMode
	}{
		{dir, 0o700},
		{filepath.Join(dir, "paired.json"), 0o600},
		{filepath.Join(dir, "pending.json"), 0o600},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != c.want {
			t.Errorf("%s mode %v, want %v", c.path, fi.Mode().Perm(), c.want)
		}
	}
}

func TestCorruptFiles(t *testing.T) {
	goodHash := strings.Repeat("a", 64)
	for _, c := range []struct {
		name, file, body string
	}{
		{"paired not json", "paired.json", "{not json"},
		{"paired empty", "paired.json", ""},
		{"paired null", "paired.json", "null"},
		{"paired array", "paired.json", "[]"},
		{"paired key mismatch", "paired.json", `{"a":{"nodeId":"b","tokenSha256":"` + goodHash + `"}}`},
		{"paired bad hash", "paired.json", `{"a":{"nodeId":"a","tokenSha256":"xx"}}`},
		{"pending not json", "pending.json", "garbage"},
		{"pending no nodeId", "pending.json", `{"r":{"requestId":"r","ts":1}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			state := t.TempDir()
			dir := filepath.Join(state, "nodes")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, c.file)
			if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := OpenStore(StoreOptions{StateDir: state})
			if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
				t.Fatalf("OpenStore err = %v, want ErrCorrupt naming %s", err, path)
			}
			// Never reset: the file is untouched.
			if b, _ := os.ReadFile(path); string(b) != c.body {
				t.Fatalf("file changed to %q", b)
			}
		})
	}
	if _, err := OpenStore(StoreOptions{}); err == nil {
		t.Fatal("OpenStore without state dir succeeded")
	}
}

// makeReadOnly makes dir refuse new files: chmod 0500, or chattr +i when running as
// root (root ignores modes). It reports whether either worked.
func makeReadOnly(t *testing.T, dir string) bool {
	t.Helper()
	probe := func() bool {
		f, err := os.CreateTemp(dir, "probe")
		if err != nil {
			return true
		}
		f.Close()
		os.Remove(f.Name())
		return false
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if probe() {
		return true
	}
	if os.Geteuid() != 0 {
		return false
	}
	if err := exec.Command("chattr", "+i", dir).Run(); err != nil {
		return false
	}
	t.Cleanup(func() { _ = exec.Command("chattr", "-i", dir).Run() })
	return probe()
}

func TestWriteFailureChangesNothing(t *testing.T) {
	state := t.TempDir()
	clk := newClock()
	s := openTestStore(t, state, clk)
	n1, tok := mustApprove(t, s, mustRequest(t, s, params("n1")).RequestID)
	pend := mustRequest(t, s, params("n2"))
	before := listJSON(t, s)

	dir := filepath.Join(state, "nodes")
	if !makeReadOnly(t, dir) {
		t.Skip("cannot make the store dir read-only here (chmod ignored, chattr unavailable)")
	}
	clk.Advance(time.Second)
	if _, _, err := s.Request(params("n3"), ""); err == nil {
		t.Error("Request succeeded")
	}
	if _, _, err := s.Approve(pend.RequestID); err == nil {
		t.Error("Approve succeeded")
	}
	if _, err := s.Reject(pend.RequestID); err == nil {
		t.Error("Reject succeeded")
	}
	if _, err := s.Rename("n1", "New"); err == nil {
		t.Error("Rename succeeded")
	}
	if err := s.UpdateFromHello("n1", NodeInfo{Platform: "android"}); err == nil {
		t.Error("UpdateFromHello succeeded")
	}
	if after := listJSON(t, s); after != before {
		t.Fatalf("state changed after failed writes:\n before %s\n after  %s", before, after)
	}
	if p, ok := s.Verify("n1", tok); !ok || *p.DisplayName != *n1.DisplayName || *p.Platform != "ios" {
		t.Fatalf("paired node changed: %+v %v", p, ok)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
}

func listJSON(t *testing.T, s *Store) string {
	t.Helper()
	b, err := json.Marshal(s.List())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConcurrentRequestsOneNode(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	const n = 32
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		ids     = map[string]bool{}
	)
	for range n {
		wg.Go(func() {
			req, c, err := s.Request(params("same"), "10.0.0.1")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[req.RequestID] = true
			if c {
				created++
			}
		})
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Fatalf("created %d, distinct ids %d; want 1, 1", created, len(ids))
	}
	if l := s.List(); len(l.Pending) != 1 {
		t.Fatalf("pending = %+v", l.Pending)
	}
}

func TestErrorString(t *testing.T) {
	if got := (&Error{Code: CodeInvalidRequest, Message: MsgUnknownRequestID}).Error(); got != "INVALID_REQUEST: unknown requestId" {
		t.Fatal(got)
	}
	if got := (&Error{Message: "x"}).Error(); got != "x" {
		t.Fatal(got)
	}
}
