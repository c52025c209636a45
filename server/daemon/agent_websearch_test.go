package daemon

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/agent/tools"
)

// TestAgentWebSearchEndToEnd: through daemon.Run, with tools.web.search configured and
// the Brave endpoint pointed at a fake Brave API on 127.0.0.1, the model's web_search
// call reaches Brave with the configured key and maxResults, the next model request
// carries the results, and a second run asking the same is answered from the cache.
func TestAgentWebSearchEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var asked []*http.Request
	brave := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Clone(r.Context()))
		mu.Unlock()
		if r.Header.Get("X-Subscription-Token") != "bk-test" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"web":{"results":[{"title":"Gateway runbook","url":"https://docs.example.org/gateway","description":"How to run the gateway."}]}}`)
	}))
	defer brave.Close()
	t.Setenv(tools.BraveSearchURLEnv, brave.URL+"/res/v1/web/search")
	t.Setenv("BRAVE_API_KEY", "") // only the configured key counts

	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	model := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep {
		// Each run: a web_search call, then an answer from what the call returned.
		if n%2 == 0 {
			return fakeStep{calls: []fakeCall{{fmt.Sprint("s", n), "web_search", `{"query":"clawdbot gateway","country":"DE"}`}}}
		}
		if bytes.Contains(body, []byte("https://docs.example.org/gateway")) && bytes.Contains(body, []byte("How to run the gateway.")) {
			return fakeStep{text: "Found the runbook."}
		}
		return fakeStep{text: "no results seen"}
	})
	r := startHome(t, home, agentConfigWith(ws, model, nil,
		`tools: {exec: {security: "full", ask: "off"}, web: {search: {apiKey: "bk-test", maxResults: 3}}},`), nil)
	c := r.client(t)
	for i, wantCached := range []bool{false, true} {
		evs := runChat(t, c, fmt.Sprint("run-search-", i), "look it up", nil)
		last := evs[len(evs)-1]
		if !bytes.Contains(last.Payload, []byte("Found the runbook.")) {
			t.Fatalf("run %d final: %s", i, last.Payload)
		}
		var res []agentEv
		for _, e := range toolEvents(evs) {
			if e.Data["phase"] == "result" {
				res = append(res, e)
			}
		}
		if len(res) != 1 || res[0].Data["isError"] == true || res[0].Data["name"] != "web_search" {
			t.Fatalf("run %d tool results %+v", i, res)
		}
		if got := strings.Contains(fmt.Sprint(res[0].Data["result"]), "cached:true"); got != wantCached {
			t.Errorf("run %d: cached %v, want %v: %v", i, got, wantCached, res[0].Data["result"])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 1 {
		t.Fatalf("Brave asked %d times, want 1 (second run from the cache)", len(asked))
	}
	want := url.Values{"q": {"clawdbot gateway"}, "count": {"3"}, "country": {"DE"}}
	if q := asked[0].URL.Query(); asked[0].URL.Path != "/res/v1/web/search" || q.Encode() != want.Encode() {
		t.Fatalf("Brave request %s, want query %s", asked[0].URL, want.Encode())
	}
}
