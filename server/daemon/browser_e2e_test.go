package daemon

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
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
}
