package agent

import (
	"context"
	"sort"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/usage"
)

// Limits of usage.cost.
const (
	// DefaultUsageDays is usage.cost's default window.
	DefaultUsageDays = 30
)

var _ protocol.UsageHandler[*gateway.Conn] = (*Handlers)(nil)

// UsageCost serves "usage.cost": the usage of every stored model answer of the last
// days (today included, local days), summed per day and overall. Answers without a
// usage record (text-only backends) are not counted; answers with usage but no cost
// record count as missingCostEntries, as the original.
func (h *Handlers) UsageCost(ctx context.Context, c *gateway.Conn, p *protocol.UsageCostParams) (*protocol.UsageCostResult, error) {
	days := int64(DefaultUsageDays)
	if p.Days != nil {
		days = *p.Days
	}
	now := h.rt.opts.Now()
	y, m, d := now.Date()
	since := time.Date(y, m, d-int(days-1), 0, 0, 0, 0, now.Location())
	res := &protocol.UsageCostResult{UpdatedAt: now.UnixMilli(), Days: days, Daily: []protocol.UsageCostResultDailyItem{}}
	byDay := map[string]*protocol.UsageCostResultDailyItem{}
	err := h.rt.Store().EachAssistant(ctx, since.UnixMilli(), func(msg sessions.Message) error {
		r, ok := usage.ParseRecord(msg.Body)
		if !ok {
			return nil
		}
		u := r.Usage
		total := u.Total()
		day := time.UnixMilli(msg.Ts).In(now.Location()).Format(time.DateOnly)
		b := byDay[day]
		if b == nil {
			b = &protocol.UsageCostResultDailyItem{Date: day}
			byDay[day] = b
		}
		b.Input, b.Output, b.CacheRead, b.CacheWrite, b.TotalTokens = b.Input+u.Input, b.Output+u.Output, b.CacheRead+u.CacheRead, b.CacheWrite+u.CacheWrite, b.TotalTokens+total
		if cost, ok := u.CostTotal(); !ok || cost < 0 {
			b.MissingCostEntries++
		} else {
			b.TotalCost += cost
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t := &res.Totals
	for _, b := range byDay {
		res.Daily = append(res.Daily, *b)
		t.Input, t.Output, t.CacheRead, t.CacheWrite, t.TotalTokens = t.Input+b.Input, t.Output+b.Output, t.CacheRead+b.CacheRead, t.CacheWrite+b.CacheWrite, t.TotalTokens+b.TotalTokens
		t.TotalCost += b.TotalCost
		t.MissingCostEntries += b.MissingCostEntries
	}
	sort.Slice(res.Daily, func(i, j int) bool { return res.Daily[i].Date < res.Daily[j].Date })
	return res, nil
}

// UsageStatus serves "usage.status" from the recorded answers alone (the daemon adds
// the providers its config names; see server/usage).
func (h *Handlers) UsageStatus(ctx context.Context, c *gateway.Conn, p *protocol.UsageStatusParams) (*protocol.UsageStatusResult, error) {
	return usage.Status(ctx, usage.Options{Store: h.rt.Store(), Now: h.rt.opts.Now()})
}
