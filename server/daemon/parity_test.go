package daemon

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// expectedMissing lists names of the original's surface another branch delivers;
// the lead empties it when that branch merges (the test fails while a listed name is
// advertised, so a stale entry cannot linger).
var expectedMissing = map[string]bool{}

// originalSurface reads testdata/original-2026.1.24-surface.txt: "method <name>" and
// "event <name>" lines (see the file's header for where the list comes from).
func originalSurface(t *testing.T) (methods, events []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "original-2026.1.24-surface.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, name, ok := strings.Cut(line, " ")
		switch {
		case ok && kind == "method":
			methods = append(methods, name)
		case ok && kind == "event":
			events = append(events, name)
		default:
			t.Fatalf("bad line %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return methods, events
}

// TestOriginalSurface: hello-ok advertises every method and event the original
// 2026.1.24 advertises (but the expected-missing ones), every advertised method's
// group is served by a real handler in the daemon's method table, and every one
// (but wireSkip) reaches its handler on the wire, never answering "not implemented".
func TestOriginalSurface(t *testing.T) {
	methods, events := originalSurface(t)
	if len(methods) != 81 || len(events) != 18 {
		t.Fatalf("testdata lists %d methods and %d events; the original has 81 and 18", len(methods), len(events))
	}
	// No speech key from the environment: tts.convert must stay on loopback.
	for _, k := range []string{"OPENAI_API_KEY", "OPENAI_BASE_URL", "ELEVENLABS_API_KEY", "XI_API_KEY"} {
		t.Setenv(k, "")
	}
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "ok"} })
	r := startHome(t, home, agentConfig(ws, model, nil), nil)
	r.client(t) // waits until the gateway listens
	c := gatewaytest.Dial(t, fmt.Sprintf("ws://127.0.0.1:%d", r.port))
	adv := c.Handshake(gatewaytest.V3Connect(map[string]any{"client": map[string]any{"id": "cli", "version": "1", "platform": "linux", "mode": "cli"}})).Features
	check := func(kind string, want, got []string) {
		for _, n := range want {
			key := kind + " " + n
			has := slices.Contains(got, n)
			switch {
			case expectedMissing[key] && has:
				t.Errorf("%s is advertised now: remove it from expectedMissing", key)
			case !expectedMissing[key] && !has:
				t.Errorf("%s of the original is not advertised", key)
			}
		}
	}
	check("method", methods, adv.Methods)
	check("event", events, adv.Events)

	// Every advertised method's group has a real handler in the serving table.
	srv := r.srv.Load()
	if srv == nil {
		t.Fatal("OnServe saw no server")
	}
	mux := reflect.ValueOf(srv.Mux())
	for _, name := range adv.Methods {
		mi := protocol.LookupMethod(name)
		if mi == nil {
			t.Errorf("advertised %s is not in the manifest", name)
			continue
		}
		getter := mux.MethodByName(strings.ToUpper(mi.Group[:1]) + mi.Group[1:])
		if !getter.IsValid() {
			t.Errorf("%s: no Mux getter for group %s", name, mi.Group)
			continue
		}
		hv := getter.Call(nil)[0]
		if hv.IsNil() || strings.HasPrefix(hv.Elem().Type().Name(), "Unimplemented") {
			t.Errorf("%s: group %s has no handler in the daemon (%v)", name, mi.Group, hv)
		}
	}

	// And on the wire: every advertised method is called the way a client calls it
	// and reaches its handler — never "not implemented". Empty params first; a method
	// whose schema refuses them (or whose role is node) is called again with the first
	// example of its params schema (schema/methods/<name>.json), from a node connection
	// when only nodes may call it. What the handler then answers (ok, or its own error
	// such as "unknown node") does not matter here; the methods' own tests check that.
	node, _ := r.nodeClient(t)
	call := func(conn *gatewaytest.Client, name string, params any) *gatewaytest.Frame {
		t.Helper()
		_, ch := conn.Request(name, params)
		select {
		case f := <-ch:
			return f
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no answer to %v", name, params)
			return nil
		}
	}
	reached := 0
	for _, name := range adv.Methods {
		if reason, ok := wireSkip[name]; ok {
			t.Logf("%s not called: %s", name, reason)
			continue
		}
		mi := protocol.LookupMethod(name)
		conn := c
		if !mi.AllowsRole("operator") {
			conn = node
		}
		f := call(conn, name, map[string]any{})
		if notReached(name, f) {
			params, ok := wireParams[name]
			if !ok {
				params = firstExample(t, name)
			}
			f = call(conn, name, params)
		}
		switch {
		case !f.OK && strings.Contains(f.Error.Message, "not implemented"):
			t.Errorf("%s answers %s %q", name, f.Error.Code, f.Error.Message)
		case notReached(name, f):
			t.Errorf("%s never reached its handler: %s %q", name, f.Error.Code, f.Error.Message)
		default:
			reached++
		}
	}
	if want := len(adv.Methods) - len(wireSkip); reached != want {
		t.Errorf("%d of %d advertised methods reached their handlers", reached, want)
	}
}

// wireSkip: advertised methods the wire pass does not call, and why (their handlers
// are checked through the Mux above and by their own tests).
var wireSkip = map[string]string{
	"web.login.start": "starts a WhatsApp Web login, which dials web.whatsapp.com (tests stay on loopback)",
}

// wireParams replaces a schema example whose effect would disturb the rest of the
// pass (a config write restarts the gateway; an approval request waits for a person).
var wireParams = map[string]any{
	"config.set":            map[string]any{"raw": "{"},
	"config.patch":          map[string]any{"raw": "{", "baseHash": "x"},
	"config.apply":          map[string]any{"raw": "{", "baseHash": "x"},
	"exec.approval.request": map[string]any{"command": "true", "timeoutMs": 1},
	"cron.add": map[string]any{"name": "parity", "schedule": map[string]any{"kind": "at", "atMs": 4102444800000},
		"sessionTarget": "main", "wakeMode": "next-heartbeat", "payload": map[string]any{"kind": "systemEvent", "text": "x"}},
}

// notReached: the answer came from the transport's checks (params schema, role),
// not from the method's handler.
func notReached(name string, f *gatewaytest.Frame) bool {
	if f.OK {
		return false
	}
	return f.Error.Code == string(protocol.ErrorCodeInvalidRequest) &&
		(strings.HasPrefix(f.Error.Message, "invalid "+name+" params") || strings.HasPrefix(f.Error.Message, "unauthorized role"))
}

// firstExample is the first entry of examples in the method's params schema.
func firstExample(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "schema", "methods", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs struct {
			Params struct {
				Examples []json.RawMessage `json:"examples"`
			} `json:"params"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s schema: %v", name, err)
	}
	if len(doc.Defs.Params.Examples) == 0 {
		t.Fatalf("%s: empty params are refused and its params schema has no example to call it with", name)
	}
	return doc.Defs.Params.Examples[0]
}
