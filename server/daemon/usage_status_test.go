package daemon

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clawgate/gateway/server/usage"
)

// TestUsageStatus: usage.status answers the original's shape (updatedAt, providers
// with provider, displayName, windows, error) for every provider the config names —
// the primary's and the fallback's — with empty windows and the reason, and the
// tokens the fake provider reported for the recorded answers.
func TestUsageStatus(t *testing.T) {
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		t.Fatal(err)
	}
	primary := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "ok"} })
	backup := newFakeModel(t, "openai-completions", func(n int, body []byte) fakeStep { return fakeStep{text: "backup"} })
	r := startHome(t, home, agentConfig(ws, primary, backup), nil)
	c := r.client(t)

	type snapshot struct {
		Provider, DisplayName string
		Windows               []map[string]any
		Error                 *string
		Plan                  *string
		Tokens                *struct{ Input, Output, CacheRead, CacheWrite, TotalTokens, Answers int64 }
	}
	var res struct {
		UpdatedAt int64
		Days      int64
		Providers []snapshot
	}
	c.MustOK("usage.status", map[string]any{}, &res)
	if res.UpdatedAt <= 0 || res.Days != usage.DefaultDays || len(res.Providers) != 2 || res.Providers[0].Provider != "backup" || res.Providers[1].Provider != "fake" {
		t.Fatalf("before any run: %+v", res)
	}
	for _, p := range res.Providers {
		if p.Windows == nil || len(p.Windows) != 0 || p.Error == nil || *p.Error != usage.NoWindows || p.Tokens != nil || p.DisplayName != p.Provider {
			t.Fatalf("provider %+v", p)
		}
	}

	runChat(t, c, "u1", "one", nil)
	runChat(t, c, "u2", "two", nil)
	c.MustOK("usage.status", map[string]any{}, &res)
	fake := res.Providers[1]
	if fake.Provider != "fake" || fake.Tokens == nil || fake.Tokens.Answers != 2 || fake.Tokens.Input != 22 || fake.Tokens.Output != 14 || fake.Tokens.TotalTokens != 36 {
		t.Fatalf("after two runs: %+v (tokens %+v)", fake, fake.Tokens)
	}
	if res.Providers[0].Tokens != nil {
		t.Fatalf("the unused fallback has tokens: %+v", res.Providers[0].Tokens)
	}
	if f := c.Call("usage.status", map[string]any{"days": 3}); f.OK || f.Error.Code != "INVALID_REQUEST" {
		t.Fatalf("unknown param accepted: %s", f.Raw)
	}
}
