// Package usage builds usage.status: the model providers this gateway knows, in the
// original's provider usage shape. The original fills each provider's quota
// windows from the vendor's billing API; this gateway does not call vendor billing
// APIs, so windows stay empty with an error saying so, and each provider carries the
// tokens recorded for it in the session transcripts instead.
package usage

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/sessions"
)

// DefaultDays is the window of the recorded token totals.
const DefaultDays = 30

// NoWindows is the error of every provider: why its quota windows are missing.
const NoWindows = "quota windows unavailable: this gateway does not query vendor usage APIs (recorded tokens are in tokens; see usage.cost)"

// labels are display names: the original's for the providers it reports, else ours.
var labels = map[string]string{
	"anthropic": "Claude", "github-copilot": "Copilot", "google-gemini-cli": "Gemini", "google-antigravity": "Antigravity",
	"minimax": "MiniMax", "openai-codex": "Codex", "zai": "z.ai",
	"openai": "OpenAI", "openrouter": "OpenRouter", "google": "Gemini", "groq": "Groq", "xai": "xAI", "mistral": "Mistral",
}

// DisplayName is the name shown for a provider id.
func DisplayName(id string) string {
	if l, ok := labels[id]; ok {
		return l
	}
	return id
}

// Options are one usage.status request's inputs.
type Options struct {
	// Store holds the transcripts (nil: no recorded tokens).
	Store *sessions.Store
	// Configured are the provider ids the config names (models.providers, the
	// agent's model and fallbacks); they are listed even without recorded use.
	Configured []string
	Now        time.Time
	Days       int // default DefaultDays
}

// Record is the usage part of a stored assistant message (the original's transcript
// shape; cost is per step, from the model's configured prices). usage.status and
// usage.cost both read it, so it lives here once.
type Record struct {
	Provider string  `json:"provider"`
	Usage    *Tokens `json:"usage"`
}

// Tokens is a stored answer's token counts and cost.
type Tokens struct {
	Input       int64 `json:"input"`
	Output      int64 `json:"output"`
	CacheRead   int64 `json:"cacheRead"`
	CacheWrite  int64 `json:"cacheWrite"`
	TotalTokens int64 `json:"totalTokens"`
	Cost        *struct {
		Total *float64 `json:"total"`
	} `json:"cost"`
}

// ParseRecord reads the usage of a stored message body; ok is false when the body has
// no usage record (text-only backends, user messages, unreadable bodies).
func ParseRecord(body []byte) (r Record, ok bool) {
	if len(body) == 0 || json.Unmarshal(body, &r) != nil || r.Usage == nil {
		return Record{}, false
	}
	return r, true
}

// Total is the answer's total tokens: the recorded total, or the sum of its parts when
// the provider reported none.
func (t *Tokens) Total() int64 {
	if t.TotalTokens != 0 {
		return t.TotalTokens
	}
	return t.Input + t.Output + t.CacheRead + t.CacheWrite
}

// CostTotal is the answer's recorded cost; ok is false when none was recorded.
func (t *Tokens) CostTotal() (float64, bool) {
	if t.Cost == nil || t.Cost.Total == nil {
		return 0, false
	}
	return *t.Cost.Total, true
}

// Status builds the summary.
func Status(ctx context.Context, o Options) (*protocol.UsageStatusResult, error) {
	if o.Days <= 0 {
		o.Days = DefaultDays
	}
	byID := map[string]*protocol.UsageProviderSnapshot{}
	get := func(id string) *protocol.UsageProviderSnapshot {
		id = llm.NormalizeProvider(id)
		if id == "" {
			return nil
		}
		p := byID[id]
		if p == nil {
			e := NoWindows
			p = &protocol.UsageProviderSnapshot{Provider: id, DisplayName: DisplayName(id), Windows: []protocol.UsageWindow{}, Error: &e}
			byID[id] = p
		}
		return p
	}
	for _, id := range o.Configured {
		get(id)
	}
	if o.Store != nil {
		y, m, d := o.Now.Date()
		since := time.Date(y, m, d-(o.Days-1), 0, 0, 0, 0, o.Now.Location())
		err := o.Store.EachAssistant(ctx, since.UnixMilli(), func(msg sessions.Message) error {
			r, ok := ParseRecord(msg.Body)
			if !ok || strings.TrimSpace(r.Provider) == "" {
				return nil
			}
			p := get(r.Provider)
			if p == nil {
				return nil
			}
			if p.Tokens == nil {
				p.Tokens = &protocol.UsageStatusTokens{}
			}
			t, u := p.Tokens, r.Usage
			total := u.Total()
			t.Input, t.Output, t.CacheRead, t.CacheWrite, t.TotalTokens = t.Input+u.Input, t.Output+u.Output, t.CacheRead+u.CacheRead, t.CacheWrite+u.CacheWrite, t.TotalTokens+total
			t.Answers++
			if cost, ok := u.CostTotal(); ok && cost > 0 {
				c := t.GetTotalCost() + cost
				t.TotalCost = &c
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := &protocol.UsageStatusResult{UpdatedAt: o.Now.UnixMilli(), Providers: []protocol.UsageProviderSnapshot{}, Days: new(int64(o.Days))}
	for _, p := range byID {
		out.Providers = append(out.Providers, *p)
	}
	sort.Slice(out.Providers, func(i, j int) bool { return out.Providers[i].Provider < out.Providers[j].Provider })
	return out, nil
}
