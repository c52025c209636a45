package update

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRegistry answers GET /clawdbot/<tag> with {"version": …} from tags (404 when
// absent) and records the paths asked.
type fakeRegistry struct {
	srv  *httptest.Server
	mu   sync.Mutex
	tags map[string]string
	asks []string
}

func newFakeRegistry(t *testing.T, tags map[string]string) *fakeRegistry {
	r := &fakeRegistry{tags: tags}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.asks = append(r.asks, req.URL.Path)
		v, ok := r.tags[strings.TrimPrefix(req.URL.Path, "/clawdbot/")]
		r.mu.Unlock()
		if !ok {
			http.NotFound(w, req)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"name": "clawdbot", "version": v})
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *fakeRegistry) asked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.asks)
}

// TestCheckChannels: the channel picks the tag (stable → latest, beta, dev); beta
// falls back to latest when latest is newer or beta is missing; a newer version is
// announced, an equal or older one (or a version that is not one) is not.
func TestCheckChannels(t *testing.T) {
	for _, tc := range []struct {
		name, channel, current string
		tags                   map[string]string
		wantTag, wantLatest    string
		wantNotify             bool
		wantAsked              []string
	}{
		{"stable newer", "", "2026.1.20", map[string]string{"latest": "2026.1.24"}, "latest", "2026.1.24", true, []string{"/clawdbot/latest"}},
		{"stable same", "stable", "2026.1.24", map[string]string{"latest": "2026.1.24-1"}, "latest", "2026.1.24-1", false, []string{"/clawdbot/latest"}},
		{"unknown channel is stable", "nightly", "2026.1.20", map[string]string{"latest": "2026.1.24"}, "latest", "2026.1.24", true, []string{"/clawdbot/latest"}},
		{"dev", "dev", "2026.1.20", map[string]string{"dev": "2026.2.1", "latest": "2026.1.24"}, "dev", "2026.2.1", true, []string{"/clawdbot/dev"}},
		{"beta newer than latest", "BETA", "2026.1.20", map[string]string{"beta": "2026.1.25-beta.1", "latest": "2026.1.24"}, "beta", "2026.1.25-beta.1", true, []string{"/clawdbot/beta", "/clawdbot/latest"}},
		{"beta older than latest", "beta", "2026.1.20", map[string]string{"beta": "2026.1.22-beta.1", "latest": "2026.1.24"}, "latest", "2026.1.24", true, []string{"/clawdbot/beta", "/clawdbot/latest"}},
		{"beta missing", "beta", "2026.1.20", map[string]string{"latest": "2026.1.24"}, "latest", "2026.1.24", true, []string{"/clawdbot/beta", "/clawdbot/latest"}},
		{"running a dev build", "", "test", map[string]string{"latest": "2026.1.24"}, "latest", "2026.1.24", false, []string{"/clawdbot/latest"}},
		{"registry without the tag", "", "2026.1.20", map[string]string{}, "latest", "", false, []string{"/clawdbot/latest"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := newFakeRegistry(t, tc.tags)
			dir := t.TempDir()
			res, err := Check(context.Background(), CheckOptions{Enabled: true, Channel: tc.channel, Version: tc.current, Registry: reg.srv.URL + "/", StateDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Checked || res.Tag != tc.wantTag || res.Latest != tc.wantLatest || res.Notify != tc.wantNotify {
				t.Fatalf("result %+v", res)
			}
			if got := reg.asked(); !slices.Equal(got, tc.wantAsked) {
				t.Fatalf("asked %v, want %v", got, tc.wantAsked)
			}
			if _, err := os.Stat(filepath.Join(dir, StateFile)); err != nil {
				t.Fatalf("state not written: %v", err)
			}
		})
	}
}

// TestCheckStateAndSkips: a check within a day of the last asks nothing; after a
// day it asks again but announces a version only once per version and tag; a new
// version is announced again; checkOnStart false and a missing registry ask nothing.
func TestCheckStateAndSkips(t *testing.T) {
	reg := newFakeRegistry(t, map[string]string{"latest": "2026.1.24"})
	dir := t.TempDir()
	now := time.Date(2026, 1, 25, 9, 0, 0, 0, time.UTC)
	o := CheckOptions{Enabled: true, Version: "2026.1.20", Registry: reg.srv.URL, StateDir: dir, Now: func() time.Time { return now }}
	run := func() CheckResult {
		t.Helper()
		r, err := Check(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := run(); !r.Notify {
		t.Fatalf("first: %+v", r)
	}
	now = now.Add(23 * time.Hour)
	if r := run(); r.Checked || r.Skipped == "" || len(reg.asked()) != 1 {
		t.Fatalf("within a day: %+v, asked %v", r, reg.asked())
	}
	now = now.Add(2 * time.Hour)
	if r := run(); !r.Checked || r.Notify {
		t.Fatalf("after a day, same version: %+v", r)
	}
	reg.mu.Lock()
	reg.tags["latest"] = "2026.1.26"
	reg.mu.Unlock()
	now = now.Add(25 * time.Hour)
	if r := run(); !r.Notify || r.Latest != "2026.1.26" {
		t.Fatalf("new version: %+v", r)
	}
	b, _ := os.ReadFile(filepath.Join(dir, StateFile))
	var st checkState
	if err := json.Unmarshal(b, &st); err != nil || st.LastNotifiedVersion != "2026.1.26" || st.LastNotifiedTag != "latest" || st.LastCheckedAt != now.Format(time.RFC3339Nano) {
		t.Fatalf("state %s (%v)", b, err)
	}
	n := len(reg.asked())
	for _, o2 := range []CheckOptions{{Enabled: false, Version: "1.0.0", Registry: reg.srv.URL, StateDir: t.TempDir()}, {Enabled: true, Version: "1.0.0", StateDir: t.TempDir()}} {
		r, err := Check(context.Background(), o2)
		if err != nil || r.Checked || r.Skipped == "" {
			t.Fatalf("skip: %+v %v", r, err)
		}
	}
	if len(reg.asked()) != n {
		t.Fatal("a skipped check asked the registry")
	}
}

// TestRegistryFromEnv: the gateway's variable, then npm's, then ~/.npmrc.
func TestRegistryFromEnv(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if got := RegistryFromEnv(get, home); got != "" {
		t.Fatalf("nothing set: %q", got)
	}
	if err := os.WriteFile(filepath.Join(home, ".npmrc"), []byte("; comment\nregistry = \"http://127.0.0.1:4873/\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := RegistryFromEnv(get, home); got != "http://127.0.0.1:4873/" {
		t.Fatalf(".npmrc: %q", got)
	}
	env["npm_config_registry"] = "http://127.0.0.1:4874/"
	if got := RegistryFromEnv(get, home); got != "http://127.0.0.1:4874/" {
		t.Fatalf("npm env: %q", got)
	}
	env[EnvRegistry] = "http://127.0.0.1:4875/"
	if got := RegistryFromEnv(get, home); got != "http://127.0.0.1:4875/" {
		t.Fatalf("gateway env: %q", got)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		cmp  int
		ok   bool
	}{{"2026.1.20", "2026.1.24", -1, true}, {"v2026.1.24", "2026.1.24-1", 0, true}, {"2026.2.0", "2026.1.30", 1, true}, {"test", "1.0.0", 0, false}} {
		if cmp, ok := CompareVersions(c.a, c.b); cmp != c.cmp || ok != c.ok {
			t.Errorf("%s vs %s: %d %v", c.a, c.b, cmp, ok)
		}
	}
}
