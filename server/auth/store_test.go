package auth

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

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
	o := StoreOptions{Dir: dir, Now: clk.Now}
	for _, m := range mod {
		m(&o)
	}
	s, err := OpenStore(o)
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	return s
}

func testDevice(t *testing.T, role string, scopes ...string) Device {
	k := newTestKey(t)
	return Device{
		DeviceID:    k.id,
		PublicKey:   EncodePublicKey(k.pub),
		DisplayName: "Test Device",
		Platform:    "linux",
		ClientID:    "cli",
		ClientMode:  "cli",
		Role:        role,
		RemoteIP:    "192.168.1.23",
		Scopes:      scopes,
	}
}

func wantAuthErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != code || ae.Message != msg {
		t.Fatalf("err = %v, want %s %q", err, code, msg)
	}
}

func TestStoreLifecycle(t *testing.T) {
	clk := newClock()
	s := openTestStore(t, t.TempDir(), clk)
	d := testDevice(t, RoleOperator, ScopeRead)

	// Unknown device, remote: a pending request.
	dec, err := s.Authorize(d, false)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Paired || dec.AutoApproved || !dec.Created || dec.Pending == nil || dec.RequestID != dec.Pending.RequestID {
		t.Fatalf("first Authorize = %+v", dec)
	}
	req := dec.Pending
	if req.DeviceID != d.DeviceID || *req.Role != RoleOperator || !slices.Equal(req.Scopes, []string{ScopeRead}) ||
		*req.IsRepair || req.Ts != testNow.UnixMilli() || string(*req.ClientID) != "cli" || *req.RemoteIP != "192.168.1.23" {
		t.Fatalf("request = %+v", req)
	}
	// Not paired yet: no tokens.
	if _, _, err := s.IssueToken(d.DeviceID, RoleOperator, nil); err == nil {
		t.Fatal("IssueToken before approval succeeded")
	}

	// Same device again: same request, not created.
	clk.Advance(time.Second)
	dec2, err := s.Authorize(d, false)
	if err != nil {
		t.Fatal(err)
	}
	if dec2.Created || dec2.Pending == nil || dec2.Pending.RequestID != req.RequestID {
		t.Fatalf("second Authorize = %+v", dec2)
	}
	if l := s.List(); len(l.Pending) != 1 || len(l.Paired) != 0 {
		t.Fatalf("List = %+v", l)
	}

	// Approve.
	clk.Advance(time.Second)
	pd, err := s.Approve(req.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if pd.DeviceID != d.DeviceID || !slices.Equal(pd.Roles, []string{RoleOperator}) || !slices.Equal(pd.Scopes, []string{ScopeRead}) ||
		pd.CreatedAtMs != testNow.UnixMilli()+2000 || pd.ApprovedAtMs != pd.CreatedAtMs || pd.PublicKey != d.PublicKey {
		t.Fatalf("approved = %+v", pd)
	}
	if _, err := s.Approve(req.RequestID); err == nil {
		t.Fatal("second Approve succeeded")
	} else {
		wantAuthErr(t, err, CodeInvalidRequest, MsgUnknownRequestID)
	}
	if l := s.List(); len(l.Pending) != 0 || len(l.Paired) != 1 {
		t.Fatalf("List = %+v", l)
	}

	// Now paired.
	dec, err = s.Authorize(d, false)
	if err != nil || !dec.Paired || dec.AutoApproved || dec.Pending != nil || dec.Device.DeviceID != d.DeviceID {
		t.Fatalf("paired Authorize = %+v, %v", dec, err)
	}

	// Token issue → verify.
	tok, at, err := s.IssueToken(d.DeviceID, RoleOperator, []string{ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	if at != clk.Now().UnixMilli() || len(tok) != 43 {
		t.Fatalf("token %q at %d", tok, at)
	}
	// The wrong token differs from the right one in its last character (which is
	// random: replacing it with a fixed letter would match 1 time in 64).
	last := "A"
	if tok[42] == 'A' {
		last = "B"
	}
	tests := []struct {
		name             string
		device, role, tk string
		want             bool
	}{
		{"right", d.DeviceID, RoleOperator, tok, true},
		{"wrong token", d.DeviceID, RoleOperator, tok[:42] + last, false},
		{"empty token", d.DeviceID, RoleOperator, "", false},
		{"unapproved role", d.DeviceID, RoleNode, tok, false},
		{"unknown device", strings.Repeat("0", 64), RoleOperator, tok, false},
	}
	for _, tc := range tests {
		if got := s.VerifyToken(tc.device, tc.role, tc.tk); got != tc.want {
			t.Errorf("VerifyToken %s = %v, want %v", tc.name, got, tc.want)
		}
	}
	if sc, ok := s.TokenScopes(d.DeviceID, RoleOperator); !ok || !slices.Equal(sc, []string{ScopeRead}) {
		t.Fatalf("TokenScopes = %v %v", sc, ok)
	}

	// Rotate: old token dies, new one works.
	tok2, _, err := s.RotateToken(d.DeviceID, RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	if tok2 == tok || s.VerifyToken(d.DeviceID, RoleOperator, tok) || !s.VerifyToken(d.DeviceID, RoleOperator, tok2) {
		t.Fatal("rotate did not replace the token")
	}
	if sc, _ := s.TokenScopes(d.DeviceID, RoleOperator); !slices.Equal(sc, []string{ScopeRead}) {
		t.Fatalf("rotated token scopes = %v", sc)
	}
	_, _, err = s.RotateToken("nope", RoleOperator)
	wantAuthErr(t, err, CodeInvalidRequest, MsgUnknownDeviceID)
	_, _, err = s.RotateToken(d.DeviceID, RoleNode)
	wantAuthErr(t, err, CodeInvalidRequest, MsgRoleNotApproved)

	// Revoke.
	revoked, err := s.RevokeToken(d.DeviceID, RoleOperator)
	if err != nil || !revoked {
		t.Fatalf("RevokeToken = %v, %v", revoked, err)
	}
	if s.VerifyToken(d.DeviceID, RoleOperator, tok2) {
		t.Fatal("revoked token still verifies")
	}
	if revoked, err := s.RevokeToken(d.DeviceID, RoleOperator); err != nil || revoked {
		t.Fatalf("second RevokeToken = %v, %v", revoked, err)
	}
	_, err = s.RevokeToken("nope", RoleOperator)
	wantAuthErr(t, err, CodeInvalidRequest, MsgUnknownDeviceID)
	_, err = s.RevokeToken(d.DeviceID, RoleNode)
	wantAuthErr(t, err, CodeInvalidRequest, MsgRoleNotApproved)

	// A rotate after revoke issues a working token again.
	tok3, _, err := s.RotateToken(d.DeviceID, RoleOperator)
	if err != nil || !s.VerifyToken(d.DeviceID, RoleOperator, tok3) {
		t.Fatalf("rotate after revoke: %v", err)
	}
}

func TestStoreRepairMergesRolesAndScopes(t *testing.T) {
	clk := newClock()
	s := openTestStore(t, t.TempDir(), clk)
	d := testDevice(t, RoleOperator, ScopeRead)
	dec, _ := s.Authorize(d, false)
	first, err := s.Approve(dec.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.IssueToken(d.DeviceID, RoleOperator, []string{ScopeRead})
	if err != nil {
		t.Fatal(err)
	}

	// A wider scope set needs a new (repair) request.
	clk.Advance(time.Minute)
	d.Scopes = []string{ScopeRead, ScopeWrite}
	dec, err = s.Authorize(d, false)
	if err != nil || dec.Paired || !dec.Created || !*dec.Pending.IsRepair {
		t.Fatalf("scope upgrade = %+v, %v", dec, err)
	}
	// Asking even more replaces it with the union.
	d.Scopes = []string{ScopePairing}
	dec2, err := s.Authorize(d, false)
	if err != nil || !dec2.Created || dec2.Superseded != dec.RequestID ||
		!slices.Equal(dec2.Pending.Scopes, []string{ScopeRead, ScopeWrite, ScopePairing}) {
		t.Fatalf("superseding Authorize = %+v, %v", dec2, err)
	}
	if l := s.List(); len(l.Pending) != 1 || l.Pending[0].RequestID != dec2.RequestID {
		t.Fatalf("pending = %+v", l.Pending)
	}
	// A new role is a separate request.
	node := d
	node.Role, node.Scopes, node.ClientMode = RoleNode, nil, "node"
	decNode, err := s.Authorize(node, false)
	if err != nil || !decNode.Created || decNode.Superseded != "" || decNode.Pending.Scopes != nil {
		t.Fatalf("node Authorize = %+v, %v", decNode, err)
	}

	clk.Advance(time.Minute)
	pd, err := s.Approve(dec2.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if pd.CreatedAtMs != first.CreatedAtMs || pd.ApprovedAtMs != clk.Now().UnixMilli() ||
		!slices.Equal(pd.Scopes, []string{ScopeRead, ScopeWrite, ScopePairing}) {
		t.Fatalf("re-paired = %+v (first %+v)", pd, first)
	}
	pd, err = s.Approve(decNode.RequestID)
	if err != nil || !slices.Equal(pd.Roles, []string{RoleOperator, RoleNode}) {
		t.Fatalf("node approve = %+v, %v", pd, err)
	}
	// Tokens survive re-pairing.
	if !s.VerifyToken(d.DeviceID, RoleOperator, tok) {
		t.Fatal("re-pairing invalidated the token")
	}
	// Both roles now pass; a subset of scopes passes.
	for _, dd := range []Device{node, d, func() Device { x := d; x.Scopes = []string{ScopeWrite}; return x }()} {
		if dec, err := s.Authorize(dd, false); err != nil || !dec.Paired {
			t.Fatalf("Authorize(%s %v) = %+v, %v", dd.Role, dd.Scopes, dec, err)
		}
	}
	// Defaulted operator scopes (admin) are not covered by read/write/pairing.
	d.Scopes = nil
	if dec, err := s.Authorize(d, false); err != nil || dec.Paired || !slices.Equal(dec.Pending.Scopes, []string{ScopeAdmin}) {
		t.Fatalf("admin Authorize = %+v, %v", dec, err)
	}
}

func TestStoreAdminCoversOperatorScopes(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	d := testDevice(t, RoleOperator) // defaults to operator.admin
	dec, err := s.Authorize(d, true)
	if err != nil || !dec.Paired || !dec.AutoApproved || dec.RequestID == "" || dec.Pending != nil {
		t.Fatalf("Authorize = %+v, %v", dec, err)
	}
	if !slices.Equal(dec.Device.Scopes, []string{ScopeAdmin}) {
		t.Fatalf("scopes = %v", dec.Device.Scopes)
	}
	d.Scopes = []string{ScopeRead, ScopeApprovals}
	if dec, err := s.Authorize(d, false); err != nil || !dec.Paired {
		t.Fatalf("Authorize(read) = %+v, %v", dec, err)
	}
}

func TestStoreAutoApprove(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	d := testDevice(t, RoleOperator, ScopeRead)
	// A remote attempt leaves a pending request; the later local connect approves and clears it.
	pend, err := s.Authorize(d, false)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := s.Authorize(d, true)
	if err != nil || !dec.Paired || !dec.AutoApproved || dec.Created || dec.RequestID == "" || dec.RequestID == pend.RequestID {
		t.Fatalf("Authorize = %+v, %v", dec, err)
	}
	l := s.List()
	if len(l.Pending) != 0 || len(l.Paired) != 1 || l.Paired[0].DeviceID != d.DeviceID {
		t.Fatalf("List = %+v", l)
	}
	if _, ok := s.Paired(d.DeviceID); !ok {
		t.Fatal("Paired: not found")
	}
	if _, ok := s.Paired("nope"); ok {
		t.Fatal("Paired(nope) found")
	}
	// Already paired: not approved again.
	if dec, err := s.Authorize(d, true); err != nil || !dec.Paired || dec.AutoApproved {
		t.Fatalf("re-Authorize = %+v, %v", dec, err)
	}
}

func TestStoreReject(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	d := testDevice(t, RoleNode)
	dec, err := s.Authorize(d, false)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := s.Reject(dec.RequestID)
	if err != nil || dev != d.DeviceID {
		t.Fatalf("Reject = %q, %v", dev, err)
	}
	if l := s.List(); len(l.Pending) != 0 || len(l.Paired) != 0 {
		t.Fatalf("List = %+v", l)
	}
	_, err = s.Reject(dec.RequestID)
	wantAuthErr(t, err, CodeInvalidRequest, MsgUnknownRequestID)
	_, err = s.Approve(dec.RequestID)
	wantAuthErr(t, err, CodeInvalidRequest, MsgUnknownRequestID)
	// The next connect asks again.
	if dec2, err := s.Authorize(d, false); err != nil || !dec2.Created || dec2.RequestID == dec.RequestID {
		t.Fatalf("Authorize after reject = %+v, %v", dec2, err)
	}
}

func TestStorePendingTTL(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	s := openTestStore(t, dir, clk)
	d := testDevice(t, RoleOperator)
	dec, err := s.Authorize(d, false)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(DefaultPendingTTL)
	if l := s.List(); len(l.Pending) != 1 {
		t.Fatalf("pending at exactly TTL = %d", len(l.Pending))
	}
	clk.Advance(time.Millisecond)
	if l := s.List(); len(l.Pending) != 0 {
		t.Fatalf("pending after TTL = %d", len(l.Pending))
	}
	_, err = s.Approve(dec.RequestID)
	wantAuthErr(t, err, CodeInvalidRequest, MsgUnknownRequestID)
	_, err = s.Reject(dec.RequestID)
	wantAuthErr(t, err, CodeInvalidRequest, MsgUnknownRequestID)
	// Expired requests are gone after a reopen too (they are still in the file).
	if l := openTestStore(t, dir, clk).List(); len(l.Pending) != 0 {
		t.Fatalf("reopened pending = %+v", l.Pending)
	}
	dec2, err := s.Authorize(d, false)
	if err != nil || !dec2.Created || dec2.RequestID == dec.RequestID {
		t.Fatalf("Authorize after expiry = %+v, %v", dec2, err)
	}

	// Custom TTL.
	s2 := openTestStore(t, t.TempDir(), clk, func(o *StoreOptions) { o.PendingTTL = time.Second })
	if _, err := s2.Authorize(d, false); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	if l := s2.List(); len(l.Pending) != 0 {
		t.Fatal("custom TTL not applied")
	}
}

func TestStoreMaxPending(t *testing.T) {
	clk := newClock()
	s := openTestStore(t, t.TempDir(), clk, func(o *StoreOptions) { o.MaxPending = 3 })
	var devs []Device
	for i := range 3 {
		d := testDevice(t, RoleOperator)
		devs = append(devs, d)
		if _, err := s.Authorize(d, false); err != nil {
			t.Fatalf("device %d: %v", i, err)
		}
		clk.Advance(time.Second)
	}
	_, err := s.Authorize(testDevice(t, RoleOperator), false)
	wantAuthErr(t, err, CodeUnavailable, MsgTooManyPending)
	// Reusing an existing request is fine; so is auto-approval.
	if dec, err := s.Authorize(devs[0], false); err != nil || dec.Created {
		t.Fatalf("reuse = %+v, %v", dec, err)
	}
	if dec, err := s.Authorize(testDevice(t, RoleOperator), true); err != nil || !dec.Paired {
		t.Fatalf("auto-approve at limit = %+v, %v", dec, err)
	}
	if l := s.List(); len(l.Pending) != 3 {
		t.Fatalf("pending = %d", len(l.Pending))
	}
	// Newest first.
	if l := s.List(); l.Pending[0].DeviceID != devs[2].DeviceID || l.Pending[2].DeviceID != devs[0].DeviceID {
		t.Fatalf("order = %v", l.Pending)
	}
	clk.Advance(DefaultPendingTTL)
	if _, err := s.Authorize(testDevice(t, RoleOperator), false); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

func TestStorePersistence(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	s := openTestStore(t, dir, clk)
	a := testDevice(t, RoleOperator, ScopeRead, ScopeWrite)
	b := testDevice(t, RoleNode)
	c := testDevice(t, RoleOperator)
	dec, _ := s.Authorize(a, false)
	if _, err := s.Approve(dec.RequestID); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if _, err := s.Authorize(b, true); err != nil {
		t.Fatal(err)
	}
	tokA, _, err := s.IssueToken(a.DeviceID, RoleOperator, a.Scopes)
	if err != nil {
		t.Fatal(err)
	}
	tokB, _, err := s.IssueToken(b.DeviceID, RoleNode, nil)
	if err != nil {
		t.Fatal(err)
	}
	pend, _ := s.Authorize(c, false)
	before := s.List()

	r := openTestStore(t, dir, clk)
	after := r.List()
	if len(after.Paired) != 2 || len(after.Pending) != 1 || after.Pending[0].RequestID != pend.RequestID ||
		after.Paired[0].DeviceID != b.DeviceID || after.Paired[1].DeviceID != a.DeviceID {
		t.Fatalf("reopened List = %+v", after)
	}
	for i := range before.Paired {
		x, y := before.Paired[i], after.Paired[i]
		if x.DeviceID != y.DeviceID || x.ApprovedAtMs != y.ApprovedAtMs || x.CreatedAtMs != y.CreatedAtMs ||
			!slices.Equal(x.Roles, y.Roles) || !slices.Equal(x.Scopes, y.Scopes) || *x.DisplayName != *y.DisplayName {
			t.Fatalf("paired %d: %+v != %+v", i, x, y)
		}
	}
	if !r.VerifyToken(a.DeviceID, RoleOperator, tokA) || !r.VerifyToken(b.DeviceID, RoleNode, tokB) {
		t.Fatal("tokens lost across reopen")
	}
	if dec, err := r.Approve(pend.RequestID); err != nil || dec.DeviceID != c.DeviceID {
		t.Fatalf("approve after reopen = %+v, %v", dec, err)
	}
	// Revocation persists.
	if _, err := r.RevokeToken(a.DeviceID, RoleOperator); err != nil {
		t.Fatal(err)
	}
	if openTestStore(t, dir, clk).VerifyToken(a.DeviceID, RoleOperator, tokA) {
		t.Fatal("revoked token valid after reopen")
	}

	// Tokens are never on disk.
	raw, err := os.ReadFile(filepath.Join(dir, "devices", "paired.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), tokA) || strings.Contains(string(raw), tokB) {
		t.Fatal("token stored in clear")
	}
}

func TestStorePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix permissions")
	}
	state := t.TempDir()
	devDir := filepath.Join(state, "devices")
	// An existing, too-open dir and file are tightened.
	if err := os.MkdirAll(devDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(devDir, "pending.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(devDir, "paired.json.123.tmp"), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openTestStore(t, state, newClock())
	dec, err := s.Authorize(testDevice(t, RoleOperator), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Approve(dec.RequestID); err != nil {
		t.Fatal(err)
	}
	check := func(path string, want os.FileMode) {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode %o, want %o", path, got, want)
		}
	}
	check(devDir, 0o700)
	check(filepath.Join(devDir, "paired.json"), 0o600)
	check(filepath.Join(devDir, "pending.json"), 0o600)
	entries, _ := os.ReadDir(devDir)
	for _, e := range entries {
		if e.Name() != "paired.json" && e.Name() != "pending.json" {
			t.Errorf("stray file %s", e.Name())
		}
	}
	// A fresh state dir gets a 0700 devices dir.
	fresh := filepath.Join(t.TempDir(), "state")
	openTestStore(t, fresh, newClock())
	check(filepath.Join(fresh, "devices"), 0o700)
}

func TestStoreCorruptFiles(t *testing.T) {
	k := newTestKey(t)
	id := k.id
	tests := []struct {
		name, file, content string
	}{
		{"paired garbage", "paired.json", "{not json"},
		{"paired truncated", "paired.json", `{"` + id + `": {"deviceId": "` + id},
		{"paired empty", "paired.json", ""},
		{"paired null", "paired.json", "null"},
		{"paired array", "paired.json", "[]"},
		{"paired key mismatch", "paired.json", `{"abc": {"deviceId": "` + id + `", "publicKey": "x"}}`},
		{"paired null record", "paired.json", `{"abc": null}`},
		{"paired wrong type", "paired.json", `{"` + id + `": {"deviceId": "` + id + `", "publicKey": "x", "createdAtMs": "soon"}}`},
		{"pending garbage", "pending.json", "\x00\x01"},
		{"pending missing role", "pending.json", `{"r1": {"requestId": "r1", "deviceId": "d", "publicKey": "k", "ts": 1}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			state := t.TempDir()
			dir := filepath.Join(state, "devices")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.file)
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := OpenStore(StoreOptions{Dir: state})
			if err == nil || s != nil {
				t.Fatalf("OpenStore = %v, %v; want error", s, err)
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q: want ErrCorrupt naming %s", err, path)
			}
			// Nothing was reset.
			if raw, _ := os.ReadFile(path); string(raw) != tc.content {
				t.Fatal("corrupt file was modified")
			}
		})
	}
}

func TestStoreOpenErrors(t *testing.T) {
	if _, err := OpenStore(StoreOptions{}); err == nil {
		t.Fatal("OpenStore without dir succeeded")
	}
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(StoreOptions{Dir: f}); err == nil {
		t.Fatal("OpenStore under a file succeeded")
	}
}

func TestStoreAuthorizeRejectsBadDevice(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	good := testDevice(t, RoleOperator)
	other := newTestKey(t)
	tests := []struct {
		name string
		mod  func(d *Device)
		msg  string
	}{
		{"no id", func(d *Device) { d.DeviceID = "" }, MsgDeviceIDRequired},
		{"bad key", func(d *Device) { d.PublicKey = "zz" }, MsgDevicePublicKeyInvalid},
		{"id of other key", func(d *Device) { d.DeviceID = other.id }, MsgDeviceIdentityMismatch},
	}
	for _, tc := range tests {
		d := good
		tc.mod(&d)
		_, err := s.Authorize(d, true)
		wantAuthErr(t, err, CodeInvalidRequest, tc.msg)
	}
	if l := s.List(); len(l.Paired)+len(l.Pending) != 0 {
		t.Fatalf("bad devices changed state: %+v", l)
	}
	// A PEM key is stored in canonical form.
	d := good
	d.PublicKey = pemOf(t, mustParse(t, good.PublicKey))
	dec, err := s.Authorize(d, true)
	if err != nil || dec.Device.PublicKey != good.PublicKey {
		t.Fatalf("PEM Authorize = %+v, %v", dec, err)
	}
}

func mustParse(t *testing.T, s string) any {
	pub, err := ParsePublicKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestStoreConcurrentAuthorize(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	d := testDevice(t, RoleOperator, ScopeRead)
	const n = 32
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		ids     = map[string]bool{}
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec, err := s.Authorize(d, false)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if dec.Created {
				created++
			}
			ids[dec.RequestID] = true
		}()
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Fatalf("created %d requests, ids %v", created, ids)
	}
	if l := s.List(); len(l.Pending) != 1 {
		t.Fatalf("pending = %d", len(l.Pending))
	}
}

func TestStoreConcurrentMixed(t *testing.T) {
	// Approvals, token operations and listings racing each other (run with -race).
	s := openTestStore(t, t.TempDir(), newClock())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := testDevice(t, RoleOperator, ScopeRead)
			dec, err := s.Authorize(d, false)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := s.Approve(dec.RequestID); err != nil {
				t.Error(err)
				return
			}
			tok, _, err := s.IssueToken(d.DeviceID, RoleOperator, d.Scopes)
			if err != nil || !s.VerifyToken(d.DeviceID, RoleOperator, tok) {
				t.Error("token", err)
			}
			_ = s.List()
		}()
	}
	wg.Wait()
	if l := s.List(); len(l.Paired) != 8 || len(l.Pending) != 0 {
		t.Fatalf("List = %d paired %d pending", len(l.Paired), len(l.Pending))
	}
}

func TestStoreWriteFailureChangesNothing(t *testing.T) {
	state := t.TempDir()
	s := openTestStore(t, state, newClock())
	d := testDevice(t, RoleOperator)
	dec, err := s.Authorize(d, false)
	if err != nil {
		t.Fatal(err)
	}
	// Directories where the files belong make every rename fail, even for root.
	dir := filepath.Join(state, "devices")
	for _, name := range []string{"paired.json", "pending.json"} {
		path := filepath.Join(dir, name)
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(path, "x"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Approve(dec.RequestID); err == nil {
		t.Fatal("Approve succeeded")
	}
	if _, err := s.Authorize(testDevice(t, RoleOperator), false); err == nil {
		t.Fatal("Authorize succeeded")
	}
	if _, err := s.Reject(dec.RequestID); err == nil {
		t.Fatal("Reject succeeded")
	}
	if l := s.List(); len(l.Pending) != 1 || len(l.Paired) != 0 || l.Pending[0].RequestID != dec.RequestID {
		t.Fatalf("state changed after failed writes: %+v", l)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
}

func TestErrorString(t *testing.T) {
	if got := (&Error{Code: CodeInvalidRequest, Message: MsgDeviceNonceMismatch}).Error(); got != "INVALID_REQUEST: device nonce mismatch" {
		t.Fatal(got)
	}
	if got := (&Error{Message: "x"}).Error(); got != "x" {
		t.Fatal(got)
	}
}
