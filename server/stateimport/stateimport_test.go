package stateimport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/providers/whatsapp"
	"github.com/clawgate/gateway/server/sessions"
)

// The fixture (testdata/original) is a state dir as clawdbot 2026.1.24 writes it:
// agents/<id>/sessions/sessions.json + <sessionId>.jsonl (pi-coding-agent v3 lines),
// devices/paired.json and nodes/paired.json (tokens in clear), WhatsApp (Baileys)
// credentials and cron jobs.
const (
	mainSID  = "0b6b3c1e-6a8f-4f0e-9d1a-2f1c4e5a7b90"
	groupSID = "5d2f9a80-1c3b-4e6d-8f70-9a1b2c3d4e5f"
	groupKey = "agent:main:telegram:group:-1001234567890"
	hookKey  = "agent:main:hook:gmail:18f2a"
	macID    = "34750f98bd59fcfc946da45aaabe933be154a4b5094e1c4abf42866505f3c97e"
	macTok   = "3f1c2b7a9d8e4f6a8b0c1d2e3f4a5b6c"
	phoneID  = "6a3803d5f059902a1c6dafbc9ba4729212f7caac08634cc3ae76b27529f03827"
	nodeID   = "ios-4f2a9c"
	nodeTok  = "8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"
)

var fixedNow = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)

func now() time.Time { return fixedNow }

// copyFixture copies testdata/original into a fresh state dir.
func copyFixture(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("testdata", "original")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// snapshot reads every file under dir (path → content, mode).
type fileState struct {
	data []byte
	mode fs.FileMode
	mod  time.Time
}

func snapshot(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fileState{b, fi.Mode(), fi.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkUntouched fails unless every file of before is still there, byte-identical,
// with the same mode and mtime.
func checkUntouched(t *testing.T, before map[string]fileState) {
	t.Helper()
	for p, want := range before {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("original %s: %v", p, err)
			continue
		}
		got, _ := os.ReadFile(p)
		if !bytes.Equal(got, want.data) || fi.Mode() != want.mode || !fi.ModTime().Equal(want.mod) {
			t.Errorf("original %s was changed", p)
		}
	}
}

func run(t *testing.T, dir string) Report {
	t.Helper()
	rep, err := Run(context.Background(), RunOptions{StateDir: dir, Now: now})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func openSessions(t *testing.T, dir string) *sessions.Store {
	t.Helper()
	s, err := sessions.Open(context.Background(), sessions.Options{Path: filepath.Join(dir, "sessions.db"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func hasProblem(rep Report, pathSuffix string, line int, substr string) bool {
	return slices.ContainsFunc(rep.Problems, func(p Problem) bool {
		return strings.HasSuffix(p.Path, pathSuffix) && p.Line == line && strings.Contains(p.Err, substr)
	})
}

func TestRunImportsOriginalState(t *testing.T) {
	dir := copyFixture(t)
	before := snapshot(t, dir)
	rep := run(t, dir)

	if want := (Tally{Found: 5, Imported: 4, Failed: 1}); rep.Sessions != want {
		t.Errorf("sessions tally %+v, want %+v", rep.Sessions, want)
	}
	if rep.Messages != 10 {
		t.Errorf("messages %d, want 10", rep.Messages)
	}
	if want := (Tally{Found: 3, Imported: 2, Failed: 1}); rep.Devices != want {
		t.Errorf("devices tally %+v, want %+v", rep.Devices, want)
	}
	if want := (Tally{Found: 1, Imported: 1}); rep.Nodes != want {
		t.Errorf("nodes tally %+v, want %+v", rep.Nodes, want)
	}
	wantLost := Lost{ToolCalls: 1, ToolResults: 1, Thinking: 1, Images: 1, BadLines: 2}
	if rep.Lost != wantLost {
		t.Errorf("lost %+v, want %+v", rep.Lost, wantLost)
	}
	for _, p := range []struct {
		path    string
		line    int
		contain string
	}{
		{"agents/main/sessions/sessions.json", 0, "no sessionId"},
		{"7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d.jsonl", 0, "transcript missing"},
		{groupSID + ".jsonl", 4, "not JSON"},
		{groupSID + ".jsonl", 6, "not JSON"},
		{"devices/paired.json", 0, auth.MsgDeviceIdentityMismatch},
	} {
		if !hasProblem(rep, p.path, p.line, p.contain) {
			t.Errorf("no problem %s:%d %q in %v", p.path, p.line, p.contain, rep.Problems)
		}
	}
	if len(rep.Problems) != 5 {
		t.Errorf("problems %v, want 5", rep.Problems)
	}
	if !rep.NeedsRelink {
		t.Error("NeedsRelink false with Baileys credentials and no whatsmeow store")
	}
	if !slices.Contains(rep.ReadInPlace, "cron jobs: "+filepath.Join(dir, "cron", "jobs.json")) {
		t.Errorf("ReadInPlace %v lacks the cron jobs", rep.ReadInPlace)
	}
	if s := rep.Summary(); !strings.Contains(s, "sessions 4 imported, 1 failed, 10 messages") || !strings.Contains(s, "re-link") {
		t.Errorf("summary %q", s)
	}
	lines := strings.Join(rep.Lines(), "\n")
	for _, want := range []string{"1 tool calls (kept as text), 1 tool results", "problem: " + filepath.Join(dir, "agents/main/sessions", groupSID+".jsonl") + ":4 (" + groupKey + "): not JSON",
		"read in place (no import needed): cron jobs", "WhatsApp: re-link needed"} {
		if !strings.Contains(lines, want) {
			t.Errorf("doctor lines lack %q:\n%s", want, lines)
		}
	}
	checkUntouched(t, before)

	// Sessions as sessions.list and chat.history see them.
	ss := openSessions(t, dir)
	list, err := ss.List(context.Background(), sessions.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range list {
		keys = append(keys, s.Key)
	}
	if want := []string{"agent:main:main", groupKey, hookKey, "agent:work:main"}; !slices.Equal(keys, want) {
		t.Fatalf("sessions.list keys %v, want %v (newest first)", keys, want)
	}
	m := list[0]
	if m.ID != mainSID || m.Label != "daily" || m.UpdatedAt != 1767225600000 || m.DisplayName != "Alice" ||
		m.LastChannel != "whatsapp" || m.LastTo != "+15551234567" || m.LastAccountID != "default" ||
		m.ChatType != "direct" || m.InputTokens != 1200 || m.OutputTokens != 340 || m.TotalTokens != 1540 ||
		m.Messages != 5 || m.CreatedAt != 1767222000000 {
		t.Errorf("main session %+v", m)
	}
	g := list[1]
	if g.ID != groupSID || g.ChatType != "group" || g.DisplayName != "telegram:g-family" || g.LastChannel != "telegram" || g.Messages != 3 {
		t.Errorf("group session %+v", g)
	}
	if h := list[2]; h.Label != "gmail hook" || h.Messages != 0 || h.UpdatedAt != 1767052800000 {
		t.Errorf("hook session %+v", h)
	}
	if l, _ := ss.List(context.Background(), sessions.ListOptions{Label: "work main"}); len(l) != 1 || l[0].Key != "agent:work:main" {
		t.Errorf("label filter: %+v", l)
	}

	hist, err := ss.History(context.Background(), "agent:main:main", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	type msg struct {
		role, text string
		ts         int64
	}
	var got []msg
	for _, h := range hist {
		got = append(got, msg{h.Role, h.Text, h.Ts})
	}
	want := []msg{
		{"user", "[WhatsApp +15551234567 2025-12-31T23:00Z] What's in my home dir?", 1767222001000},
		{"assistant", "Let me look.\n[tool call: exec {\"command\":\"ls ~\"}]", 1767222002000},
		{"assistant", "You have Documents and Downloads.", 1767222004000},
		{"user", "Thanks! Here is a photo.\n[image]", 1767222005000},
		{"assistant", "Nice photo.", 1767222006000},
	}
	if !slices.Equal(got, want) {
		t.Errorf("main transcript\n got %+v\nwant %+v", got, want)
	}
	hist, _ = ss.History(context.Background(), groupKey, 100, 0)
	if len(hist) != 3 || hist[1].Text != "Pasta night!" || !strings.HasSuffix(hist[2].Text, "Carol: and dessert?") {
		t.Errorf("group transcript %+v", hist)
	}

	// Paired devices keep their tokens: the device store's verify path accepts them.
	devs, err := auth.OpenStore(auth.StoreOptions{Dir: OwnDir(dir), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dev, role, tok string
		ok             bool
	}{
		{macID, "operator", macTok, true},
		{macID, "operator", macTok + "x", false},
		{macID, "node", macTok, false},
		{phoneID, "node", "9f8e7d6c5b4a39281706f5e4d3c2b1a0", true},
		{phoneID, "operator", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", false}, // revoked in the original
		{"0000000000000000000000000000000000000000000000000000000000000000", "operator", "ffffffffffffffffffffffffffffffff", false},
	} {
		if got := devs.VerifyToken(c.dev, c.role, c.tok); got != c.ok {
			t.Errorf("VerifyToken(%s…, %s, %s…) = %v, want %v", c.dev[:8], c.role, c.tok[:8], got, c.ok)
		}
	}
	if sc, ok := devs.TokenScopes(macID, "operator"); !ok || !slices.Equal(sc, []string{"operator.admin", "operator.approvals", "operator.pairing"}) {
		t.Errorf("token scopes %v %v", sc, ok)
	}
	// The device connects as paired (no new pairing request) with its key, role and scopes.
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)).Public().(ed25519.PublicKey)
	dec, err := devs.Authorize(auth.Device{DeviceID: macID, PublicKey: auth.EncodePublicKey(pub), Role: "operator",
		Scopes: []string{"operator.admin"}, DisplayName: "Alice's MacBook"}, false)
	if err != nil || !dec.Paired || dec.Pending != nil {
		t.Errorf("Authorize imported device: %+v %v", dec, err)
	}
	if l := devs.List(); len(l.Pending) != 0 || len(l.Paired) != 2 {
		t.Errorf("device list %+v: pending requests are not carried over", l)
	}

	nds, err := nodes.OpenStore(nodes.StoreOptions{StateDir: OwnDir(dir), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	n, ok := nds.Verify(nodeID, nodeTok)
	if !ok || n.GetDisplayName() != "Alice's iPhone" || !slices.Equal(n.Caps, []string{"canvas", "camera"}) || n.Permissions["camera"] != true {
		t.Errorf("node Verify %+v %v", n, ok)
	}
	if _, ok := nds.Verify(nodeID, "wrong"); ok {
		t.Error("node Verify accepted a wrong token")
	}

	last, ok, err := LastReport(dir)
	if err != nil || !ok || last.Sessions != rep.Sessions || last.Messages != 10 {
		t.Errorf("LastReport %+v %v %v", last, ok, err)
	}
}

func TestRunTwiceImportsNothingNew(t *testing.T) {
	dir := copyFixture(t)
	before := snapshot(t, dir)
	run(t, dir)
	ss := openSessions(t, dir)
	count := func() (n int64, msgs int64) {
		n, _ = ss.Count(context.Background())
		l, _ := ss.List(context.Background(), sessions.ListOptions{})
		for _, s := range l {
			msgs += s.Messages
		}
		return n, msgs
	}
	n1, m1 := count()
	ledger1, _ := os.ReadFile(ledgerPath(dir))

	rep := run(t, dir)
	if rep.Sessions.Imported+rep.Devices.Imported+rep.Nodes.Imported+rep.Messages != 0 {
		t.Errorf("second run imported something: %+v", rep)
	}
	if rep.Sessions.Existing != 4 || rep.Devices.Existing != 2 || rep.Nodes.Existing != 1 {
		t.Errorf("second run existing: sessions %+v devices %+v nodes %+v", rep.Sessions, rep.Devices, rep.Nodes)
	}
	if n2, m2 := count(); n2 != n1 || m2 != m1 || n1 != 4 || m1 != 10 {
		t.Errorf("store changed by the second run: %d/%d sessions, %d/%d messages", n1, n2, m1, m2)
	}
	devs, _ := auth.OpenStore(auth.StoreOptions{Dir: OwnDir(dir), Now: now})
	if l := devs.List(); len(l.Paired) != 2 {
		t.Errorf("devices after two runs: %d", len(l.Paired))
	}
	ledger2, _ := os.ReadFile(ledgerPath(dir))
	if !bytes.Equal(itemsOf(t, ledger1), itemsOf(t, ledger2)) {
		t.Error("ledger items changed on the second run")
	}
	checkUntouched(t, before)
}

func itemsOf(t *testing.T, ledgerJSON []byte) []byte {
	t.Helper()
	i := bytes.Index(ledgerJSON, []byte(`"items"`))
	j := bytes.Index(ledgerJSON, []byte(`"last"`))
	if i < 0 || j < i {
		t.Fatalf("ledger shape: %s", ledgerJSON)
	}
	return ledgerJSON[i:j]
}

// A session changed in the original after it was imported is reported, not imported
// again; a session deleted here is not brought back; a new one is imported.
func TestLaterRunsOnlyNew(t *testing.T) {
	dir := copyFixture(t)
	run(t, dir)
	ss := openSessions(t, dir)
	if ok, _, err := ss.Delete(context.Background(), groupKey); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	tr := filepath.Join(dir, "agents", "main", "sessions", mainSID+".jsonl")
	f, _ := os.OpenFile(tr, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"type":"message","id":"b0000007","parentId":"b0000006","timestamp":"2026-01-02T00:00:00.000Z","message":{"role":"user","content":"later","timestamp":1767312000000}}` + "\n")
	f.Close()
	// A transcript touched without a change of content is not a change.
	wt := filepath.Join(dir, "agents", "work", "sessions", "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b.jsonl")
	if err := os.Chtimes(wt, fixedNow, fixedNow); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "agents", "work", "sessions", "sessions.json")
	os.WriteFile(store, []byte(`{
  "agent:work:main": {"sessionId": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", "updatedAt": 1766966400000, "label": "work main"},
  // JSON5, as the original's loader accepts
  "agent:work:review": {sessionId: "f0e1d2c3-b4a5-4968-8776-655443322110", updatedAt: 1767312000000,
    thinkingLevel: "high", sendPolicy: "deny", verboseLevel: "loud", modelOverride: "x", providerOverride: "y",},
}`), 0o600)

	rep := run(t, dir)
	if want := (Tally{Found: 6, Imported: 1, Existing: 3, Changed: 1, Failed: 1}); rep.Sessions != want {
		t.Errorf("sessions %+v, want %+v", rep.Sessions, want)
	}
	if _, err := ss.Get(context.Background(), groupKey); err != sessions.ErrNotFound {
		t.Errorf("deleted session came back: %v", err)
	}
	if s, err := ss.Get(context.Background(), "agent:work:review"); err != nil || s.UpdatedAt != 1767312000000 ||
		s.ThinkingLevel != "high" || s.SendPolicy != "deny" || s.VerboseLevel != "" || s.Model != "" {
		t.Errorf("new session: %+v %v", s, err)
	}
	if s, _ := ss.Get(context.Background(), "agent:main:main"); s.Messages != 5 {
		t.Errorf("changed session re-imported: %d messages", s.Messages)
	}
}

func TestCorruptFilesReportedOthersImported(t *testing.T) {
	cases := []struct {
		name    string
		file    string
		content string
		// what must still be imported
		sessions, devices, nodes int
	}{
		{"devices not JSON", "devices/paired.json", "{not json", 4, 0, 1},
		{"nodes truncated", "nodes/paired.json", `{"ios-4f2a9c": {"nodeId": "ios-4f2a9c", "tok`, 4, 2, 0},
		{"nodes not an object", "nodes/paired.json", `[1,2]`, 4, 2, 0},
		{"main sessions empty", "agents/main/sessions/sessions.json", "", 1, 2, 1},
		{"main sessions null", "agents/main/sessions/sessions.json", "null", 1, 2, 1},
		{"node record wrong type", "nodes/paired.json", `{"ios-4f2a9c": {"nodeId": 5}}`, 4, 2, 0},
		{"device record key mismatch", "devices/paired.json", `{"abc": {"deviceId": "abd", "publicKey": "x"}}`, 4, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyFixture(t)
			if err := os.WriteFile(filepath.Join(dir, c.file), []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, dir)
			rep := run(t, dir)
			if rep.Sessions.Imported != c.sessions || rep.Devices.Imported != c.devices || rep.Nodes.Imported != c.nodes {
				t.Errorf("imported sessions %d devices %d nodes %d, want %d %d %d", rep.Sessions.Imported,
					rep.Devices.Imported, rep.Nodes.Imported, c.sessions, c.devices, c.nodes)
			}
			if !slices.ContainsFunc(rep.Problems, func(p Problem) bool { return p.Path == filepath.Join(dir, c.file) }) {
				t.Errorf("no problem reported for %s: %v", c.file, rep.Problems)
			}
			checkUntouched(t, before)
		})
	}
}

// Bounds: an over-long transcript line is skipped and reported; a transcript over the
// store's message bound keeps its newest messages.
func TestLimits(t *testing.T) {
	dir := copyFixture(t)
	ctx := context.Background()
	ss, err := sessions.Open(ctx, sessions.Options{Path: filepath.Join(t.TempDir(), "s.db"), MaxMessages: 3, MaxMessageBytes: 20, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	rep, err := Import(ctx, dir, Stores{Sessions: ss}, Options{MaxLineBytes: 300, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// Main transcript: the assistant lines with usage blocks are over 300 bytes.
	if !hasProblem(rep, mainSID+".jsonl", 5, "longer than 300 bytes") {
		t.Errorf("no long-line problem: %v", rep.Problems)
	}
	hist, _ := ss.History(ctx, "agent:main:main", 10, 0)
	if len(hist) > 3 {
		t.Errorf("%d messages kept, bound 3", len(hist))
	}
	for _, h := range hist {
		if len(h.Text) > 20 {
			t.Errorf("message over the byte bound: %q", h.Text)
		}
	}
	if rep.Lost.Truncated == 0 {
		t.Errorf("no truncation counted: %+v", rep.Lost)
	}
	if rep.Devices.Found != 0 || rep.Nodes.Found != 0 {
		t.Errorf("nil stores were imported into: %+v %+v", rep.Devices, rep.Nodes)
	}

	// MaxFileBytes: a store file over it is reported, not read.
	dir2 := copyFixture(t)
	ss2, _ := sessions.Open(ctx, sessions.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	defer ss2.Close()
	rep, err = Import(ctx, dir2, Stores{Sessions: ss2}, Options{MaxFileBytes: 100, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sessions.Imported != 0 || !hasProblem(rep, "agents/main/sessions/sessions.json", 0, "larger than 100 bytes") {
		t.Errorf("file bound: %+v %v", rep.Sessions, rep.Problems)
	}
}

// Device and node store files this gateway wrote next to the original's (before
// OwnDir) are moved, and their tokens keep working.
// ownOldLayout pairs a device and a node in this gateway's stores as builds before
// OwnDir kept them: directly in the state dir, where the original keeps its files.
func ownOldLayout(t *testing.T, dir string) (devID, devTok, nodeTok string) {
	t.Helper()
	devs, err := auth.OpenStore(auth.StoreOptions{Dir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)).Public().(ed25519.PublicKey)
	devID = auth.DeviceIDFromPublicKey(pub)
	if _, err := devs.Authorize(auth.Device{DeviceID: devID, PublicKey: auth.EncodePublicKey(pub), Role: "operator"}, true); err != nil {
		t.Fatal(err)
	}
	if devTok, _, err = devs.IssueToken(devID, "operator", nil); err != nil {
		t.Fatal(err)
	}
	// A pending request moves along with the paired file.
	pub2 := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32)).Public().(ed25519.PublicKey)
	if _, err := devs.Authorize(auth.Device{DeviceID: auth.DeviceIDFromPublicKey(pub2), PublicKey: auth.EncodePublicKey(pub2), Role: "operator"}, false); err != nil {
		t.Fatal(err)
	}
	nds, err := nodes.OpenStore(nodes.StoreOptions{StateDir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	req, _, err := nds.Request(protocol.NodePairRequestParams{NodeID: "own-node"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, nodeTok, err = nds.Approve(req.RequestID); err != nil {
		t.Fatal(err)
	}
	return devID, devTok, nodeTok
}

func TestRelocateOwnStores(t *testing.T) {
	dir := t.TempDir()
	devID, devTok, nodeTok := ownOldLayout(t, dir)
	rep := run(t, dir)
	if len(rep.Relocated) != 4 || rep.Devices.Found != 0 || rep.Nodes.Found != 0 || len(rep.Problems) != 0 {
		t.Fatalf("relocated %v, devices %+v, nodes %+v, problems %v", rep.Relocated, rep.Devices, rep.Nodes, rep.Problems)
	}
	for _, p := range []string{"devices/paired.json", "devices/pending.json", "nodes/paired.json"} {
		if _, err := os.Stat(filepath.Join(dir, p)); !os.IsNotExist(err) {
			t.Errorf("own file left in the original's place: %s: %v", p, err)
		}
	}
	moved, err := auth.OpenStore(auth.StoreOptions{Dir: OwnDir(dir), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !moved.VerifyToken(devID, "operator", devTok) {
		t.Error("token of a relocated device no longer verifies")
	}
	if l := moved.List(); len(l.Pending) != 1 {
		t.Errorf("pending requests after the move: %+v", l.Pending)
	}
	nds, err := nodes.OpenStore(nodes.StoreOptions{StateDir: OwnDir(dir), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := nds.Verify("own-node", nodeTok); !ok {
		t.Error("token of a relocated node no longer verifies")
	}
	// Once moved, nothing moves again.
	if rep := run(t, dir); len(rep.Relocated) != 0 {
		t.Errorf("second run relocated %v", rep.Relocated)
	}
	// The original's files are never taken for ours.
	orig := copyFixture(t)
	if ownFormat(filepath.Join(orig, "devices", "paired.json"), "devices") || ownFormat(filepath.Join(orig, "nodes", "paired.json"), "nodes") {
		t.Error("the original's paired.json taken for this gateway's format")
	}
}

// A run that stopped after moving pending.json but before paired.json finishes the move
// next time; a directory whose OwnDir already has a store is left alone, and its
// records are reported as not the original's, never imported as tokenless devices.
func TestRelocateResumesAndNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	devID, devTok, _ := ownOldLayout(t, dir)
	if err := os.MkdirAll(filepath.Join(OwnDir(dir), "devices"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "devices", "pending.json"), filepath.Join(OwnDir(dir), "devices", "pending.json")); err != nil {
		t.Fatal(err)
	}
	rep := run(t, dir)
	if len(rep.Relocated) != 3 {
		t.Fatalf("relocated %v", rep.Relocated)
	}
	devs, err := auth.OpenStore(auth.StoreOptions{Dir: OwnDir(dir), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !devs.VerifyToken(devID, "operator", devTok) || len(devs.List().Pending) != 1 {
		t.Errorf("after the resumed move: verify %v, pending %+v", devs.VerifyToken(devID, "operator", devTok), devs.List().Pending)
	}

	// An older build wrote the old place again (a downgrade): OwnDir wins, the old
	// file stays where it is and is not imported.
	other := t.TempDir()
	ownOldLayout(t, other)
	if err := os.MkdirAll(filepath.Join(OwnDir(other), "devices"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(OwnDir(other), "devices", "paired.json"), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep = run(t, other)
	if !slices.ContainsFunc(rep.Relocated, func(m string) bool { return strings.Contains(m, "nodes") }) ||
		slices.ContainsFunc(rep.Relocated, func(m string) bool { return strings.Contains(m, "devices") }) {
		t.Errorf("relocated %v, want nodes only", rep.Relocated)
	}
	if rep.Devices.Imported != 0 || rep.Devices.Failed != 1 || !hasProblem(rep, "devices/paired.json", 0, "own format") {
		t.Errorf("devices %+v, problems %v", rep.Devices, rep.Problems)
	}
	if _, err := os.Stat(filepath.Join(other, "devices", "paired.json")); err != nil {
		t.Errorf("old file: %v", err)
	}
}

func TestNeedsRelink(t *testing.T) {
	linkedStore := func(t *testing.T, dir string, devices int) {
		p := whatsapp.SessionPath(dir)
		os.MkdirAll(filepath.Dir(p), 0o700)
		db, err := sql.Open("sqlite", p)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`CREATE TABLE whatsmeow_device (jid TEXT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		for i := range devices {
			db.Exec(`INSERT INTO whatsmeow_device (jid) VALUES (?)`, string(rune('a'+i)))
		}
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  bool
	}{
		{"nothing", func(t *testing.T, dir string) {}, false},
		{"baileys creds", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "credentials", "whatsapp", "work"), 0o700)
			os.WriteFile(filepath.Join(dir, "credentials", "whatsapp", "work", "creds.json"), []byte(`{"me":{}}`), 0o600)
		}, true},
		{"legacy creds location", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "credentials"), 0o700)
			os.WriteFile(filepath.Join(dir, "credentials", "creds.json"), []byte(`{"me":{}}`), 0o600)
		}, true},
		{"empty creds file", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "credentials", "whatsapp", "default"), 0o700)
			os.WriteFile(filepath.Join(dir, "credentials", "whatsapp", "default", "creds.json"), []byte(`{`), 0o600)
		}, false},
		{"creds and an empty whatsmeow store", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "credentials"), 0o700)
			os.WriteFile(filepath.Join(dir, "credentials", "creds.json"), []byte(`{"me":{}}`), 0o600)
			linkedStore(t, dir, 0)
		}, true},
		{"creds and a linked whatsmeow store", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "credentials"), 0o700)
			os.WriteFile(filepath.Join(dir, "credentials", "creds.json"), []byte(`{"me":{}}`), 0o600)
			linkedStore(t, dir, 1)
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(t, dir)
			if got := NeedsRelink(dir); got != c.want {
				t.Errorf("NeedsRelink = %v, want %v", got, c.want)
			}
		})
	}
}

func TestCorruptLedgerIsAnError(t *testing.T) {
	dir := copyFixture(t)
	os.MkdirAll(OwnDir(dir), 0o700)
	os.WriteFile(ledgerPath(dir), []byte("{"), 0o600)
	ss := openSessions(t, dir)
	if _, err := Import(context.Background(), dir, Stores{Sessions: ss}, Options{Now: now}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("Import over a corrupt ledger: %v", err)
	}
	if n, _ := ss.Count(context.Background()); n != 0 {
		t.Errorf("%d sessions imported despite the corrupt ledger", n)
	}
}

// The session.store setting ({agentId} template) and the pre-multi-agent sessions/
// directory are read too; bare keys become the agent's.
func TestSessionStoreLocations(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	line := func(sid, text string) string {
		return `{"type":"session","version":3,"id":"` + sid + `","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/"}` + "\n" +
			`{"type":"message","id":"m1","parentId":null,"timestamp":"2026-01-01T00:00:01.000Z","message":{"role":"user","content":"` + text + `"}}` + "\n"
	}
	write("store/main.json", `{"main": {"sessionId": "11111111-1111-4111-8111-111111111111", "updatedAt": 2000}}`)
	write("store/11111111-1111-4111-8111-111111111111.jsonl", line("11111111-1111-4111-8111-111111111111", "from the custom store"))
	write("sessions/sessions.json", `{"telegram:42": {"sessionId": "22222222-2222-4222-8222-222222222222", "updatedAt": 1000}}`)
	write("sessions/22222222-2222-4222-8222-222222222222.jsonl", line("22222222-2222-4222-8222-222222222222", "from the legacy dir"))

	ctx := context.Background()
	for _, tc := range []struct {
		setting string
		keys    []string
	}{
		{filepath.Join(dir, "store", "{agentId}.json"), []string{"agent:main:main", "agent:main:telegram:42"}},
		{"~/never-used/sessions.db", []string{"agent:main:telegram:42"}}, // a .db setting names our database
	} {
		ss, err := sessions.Open(ctx, sessions.Options{Path: filepath.Join(t.TempDir(), "s.db")})
		if err != nil {
			t.Fatal(err)
		}
		defer ss.Close()
		os.RemoveAll(OwnDir(dir))
		if _, err := Import(ctx, dir, Stores{Sessions: ss}, Options{SessionStore: tc.setting, Now: now}); err != nil {
			t.Fatal(err)
		}
		l, _ := ss.List(ctx, sessions.ListOptions{})
		var keys []string
		for _, s := range l {
			keys = append(keys, s.Key)
		}
		if !slices.Equal(keys, tc.keys) {
			t.Errorf("setting %q: keys %v, want %v", tc.setting, keys, tc.keys)
		}
		// The message timestamp falls back to the entry's.
		if h, _ := ss.History(ctx, "agent:main:telegram:42", 5, 0); len(h) != 1 || h[0].Text != "from the legacy dir" || h[0].Ts != 1767225601000 {
			t.Errorf("legacy transcript %+v", h)
		}
	}
}
