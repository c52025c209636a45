package usage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/usage"
)

// TestStatus: configured providers are listed without tokens; recorded answers add
// up per provider (normalised ids, cost summed when priced), answers older than the
// window and entries without usage or provider are skipped; every provider has empty
// windows and the reason.
func TestStatus(t *testing.T) {
	ctx := context.Background()
	st, err := sessions.Open(ctx, sessions.Options{Path: filepath.Join(t.TempDir(), "sessions.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC)
	add := func(ts time.Time, body string) {
		t.Helper()
		if _, _, err := st.Append(ctx, "agent:main:main", sessions.Message{Role: "assistant", Text: "x", Ts: ts.UnixMilli(), Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	add(now, `{"role":"assistant","provider":"anthropic","usage":{"input":10,"output":5,"cacheRead":2,"cacheWrite":1,"totalTokens":18,"cost":{"total":0.5}}}`)
	add(now, `{"role":"assistant","provider":"Anthropic","usage":{"input":1,"output":1}}`)
	add(now, `{"role":"assistant","provider":"z.ai","usage":{"input":3,"output":4,"totalTokens":7}}`)
	add(now, `{"role":"assistant","provider":"openai"}`)                                     // no usage
	add(now, `{"role":"assistant","usage":{"input":9}}`)                                     // no provider
	add(now.AddDate(0, 0, -40), `{"role":"assistant","provider":"old","usage":{"input":9}}`) // outside the window

	res, err := usage.Status(ctx, usage.Options{Store: st, Configured: []string{"custom", "anthropic"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if res.UpdatedAt != now.UnixMilli() || res.Days == nil || *res.Days != usage.DefaultDays {
		t.Fatalf("summary %+v", res)
	}
	type row struct {
		id, name                string
		answers, in, out, total int64
		cost                    float64
		tokens                  bool
	}
	want := []row{
		{"anthropic", "Claude", 2, 11, 6, 20, 0.5, true},
		{"custom", "custom", 0, 0, 0, 0, 0, false},
		{"zai", "z.ai", 1, 3, 4, 7, 0, true},
	}
	if len(res.Providers) != len(want) {
		t.Fatalf("providers %+v", res.Providers)
	}
	for i, w := range want {
		p := res.Providers[i]
		if p.Provider != w.id || p.DisplayName != w.name || p.Windows == nil || len(p.Windows) != 0 || p.GetError() != usage.NoWindows || (p.Tokens != nil) != w.tokens {
			t.Errorf("provider %d = %+v, want %+v", i, p, w)
			continue
		}
		if tk := p.Tokens; tk != nil && (tk.Answers != w.answers || tk.Input != w.in || tk.Output != w.out || tk.TotalTokens != w.total || tk.GetTotalCost() != w.cost) {
			t.Errorf("%s tokens %+v, want %+v", w.id, *tk, w)
		}
	}
}
