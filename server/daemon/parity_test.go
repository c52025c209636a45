package daemon

import (
	"bufio"
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
// group is served by a real handler in the daemon's method table, and none answers
// "not implemented" on the wire when called with empty params.
func TestOriginalSurface(t *testing.T) {
	methods, events := originalSurface(t)
	if len(methods) != 81 || len(events) != 18 {
		t.Fatalf("testdata lists %d methods and %d events; the original has 81 and 18", len(methods), len(events))
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

	// And on the wire: empty params either reach the handler or fail validation,
	// never "not implemented".
	for _, name := range adv.Methods {
		_, ch := c.Request(name, map[string]any{})
		select {
		case f := <-ch:
			if !f.OK && strings.Contains(f.Error.Message, "not implemented") {
				t.Errorf("%s answers %s %q", name, f.Error.Code, f.Error.Message)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("%s: no answer to empty params", name)
		}
	}
}
