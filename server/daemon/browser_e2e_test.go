package daemon

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// TestBrowserToolEndToEnd: through daemon.Run with browser.* from the config, the
// model is offered the browser tool, opens a page on 127.0.0.1 (allowed by the test's
// address policy) and snapshots it; the page text and its refs reach the model in the
// next request, and the run finishes.
func TestBrowserToolEndToEnd(t *testing.T) {
	chromium := gatewaytest.Chromium(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Lighthouse</title><h1>Keeper log</h1><p>The lamp was lit at dusk.</p><button>Ring bell</button>`)
	}))
	defer page.Close()
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		switch n {
		case 0:
			return fakeStep{calls: []fakeCall{{"call_o", "browser", fmt.Sprintf(`{"action":"open","targetUrl":%q}`, page.URL)}}}
		case 1:
			return fakeStep{calls: []fakeCall{{"call_s", "browser", `{"action":"snapshot"}`}}}
		default:
			return fakeStep{text: "Read it."}
		}
	})
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := agentConfigWith(ws, model, nil, fmt.Sprintf(`browser: {enabled: true, executablePath: %q, noSandbox: true, headless: true},`, chromium))
	loopback := tools.AddrPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	r := startHome(t, home, cfg, nil, func(o *Options) { o.BrowserAddrs = &loopback })
	evs := runChat(t, r.client(t), "run-browser", "what does the keeper log say?", nil)
	if last := evs[len(evs)-1]; !bytes.Contains(last.Payload, []byte(`"state":"final"`)) {
		t.Fatalf("final chat event: %s", last.Payload)
	}
	reqs := model.requests()
	if len(reqs) != 3 {
		t.Fatalf("model requests: %d", len(reqs))
	}
	if !bytes.Contains(reqs[0], []byte(`"name":"browser"`)) {
		t.Fatalf("browser tool not offered: %s", reqs[0])
	}
	if !bytes.Contains(reqs[1], []byte(`Lighthouse`)) {
		t.Fatalf("open result missing from the second request: %s", reqs[1])
	}
	for _, want := range []string{"# Keeper log", "The lamp was lit at dusk.", `button \"Ring bell\" [ref=e1]`} {
		if !bytes.Contains(reqs[2], []byte(want)) {
			t.Fatalf("snapshot text %q missing from the third request: %s", want, reqs[2])
		}
	}
	if len(chromiumChildren(t)) == 0 {
		t.Fatal("no chromium child process while the gateway runs")
	}
	// Shutting the gateway down stops the browser it started.
	r.stop(t)
	if kids := chromiumChildren(t); len(kids) != 0 {
		t.Fatalf("chromium still running after shutdown: pids %v", kids)
	}
}

// chromiumChildren lists this process's child processes that are chromium (Linux
// /proc; the test skips elsewhere).
func chromiumChildren(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc to find the browser process in")
	}
	self := os.Getpid()
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
		i := bytes.LastIndexByte(stat, ')')
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 || fields[0] == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == self && bytes.Contains(bytes.ToLower(stat[:i]), []byte("chrom")) {
			out = append(out, pid)
		}
	}
	return out
}
