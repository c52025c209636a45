package daemon

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/configapi"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/routing"
)

// telegramMigrate moves a Telegram group's settings (channels.telegram.groups.<old>,
// and the account's accounts.<id>.groups.<old>) to the supergroup's new chat id when
// the group is upgraded, as the original does: only while configWrites (the
// account's, else the channel's; default true) allows the channel to edit the config,
// never over settings the new id already has, and through the config group's writer
// (schema checks, the file's hash), so the reload that follows restarts the bot.
func (c *providersComponent) telegramMigrate(accountID string) func(ctx context.Context, oldChat, newChat string) {
	return func(ctx context.Context, oldChat, newChat string) {
		log := c.s.log.With("channel", providers.Telegram, "account", accountID, "from", oldChat, "to", newChat)
		// The running server's config group; while none is up yet (the bot may poll
		// before the server serves) a writer of our own on the same file, whose hash
		// check still refuses to overwrite a concurrent edit.
		var w configEditor = configapi.New[*gateway.Conn](configapi.Options{Path: c.s.paths.ConfigPath})
		if cw := c.s.configWriter; cw != nil && cw.cur.Load() != nil {
			w = cw
		}
		f, err := w.Read()
		if err != nil {
			log.Warn("telegram group migration: config not read", "err", err)
			return
		}
		t := f.Config.Channels
		if t == nil || t.Telegram == nil {
			return
		}
		writes := t.Telegram.ConfigWrites
		if a, ok := accountEntry(t.Telegram.Accounts, accountID); ok && a.ConfigWrites != nil {
			writes = a.ConfigWrites
		}
		if writes != nil && !*writes {
			log.Warn("telegram group migration: config writes are off (configWrites); group settings not moved")
			return
		}
		tg, _ := lookupTree(f.Written, "channels", "telegram").(map[string]any)
		if tg == nil {
			return
		}
		patchTG := map[string]any{}
		moved, existing := false, false
		move := func(groups map[string]any) map[string]any {
			if groups == nil || oldChat == newChat {
				return nil
			}
			v, ok := groups[oldChat]
			if !ok {
				return nil
			}
			if _, taken := groups[newChat]; taken {
				existing = true
				return nil
			}
			moved = true
			return map[string]any{oldChat: nil, newChat: v}
		}
		if accts, ok := tg["accounts"].(map[string]any); ok {
			for key, a := range accts {
				if routing.NormalizeAccountID(key) != accountID {
					continue
				}
				am, _ := a.(map[string]any)
				if g := move(asMap(am["groups"])); g != nil {
					patchTG["accounts"] = map[string]any{key: map[string]any{"groups": g}}
				}
				break
			}
		}
		if g := move(asMap(tg["groups"])); g != nil {
			patchTG["groups"] = g
		}
		switch {
		case moved:
			patch, _ := json.Marshal(map[string]any{"channels": map[string]any{"telegram": patchTG}})
			if _, err := w.Patch("telegram group migration", f.Hash, patch); err != nil {
				log.Warn("telegram group migration: config not written", "err", err)
				return
			}
			log.Warn("telegram group settings moved to the supergroup's id")
		case existing:
			log.Warn("telegram group migration: the new id has settings already; the old ones stay")
		default:
			log.Info("telegram group migration: no settings for the old id")
		}
	}
}

// configEditor reads the config file and merges a patch into it.
type configEditor interface {
	Read() (*config.File, error)
	Patch(method, baseHash string, patch []byte) (*config.File, error)
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

// lookupTree walks a generic config tree by keys (nil when a step is missing).
func lookupTree(tree any, keys ...string) any {
	for _, k := range keys {
		m, ok := tree.(map[string]any)
		if !ok {
			return nil
		}
		tree = m[strings.TrimSpace(k)]
	}
	return tree
}
