// Package reload decides what a config file change means (§8.3): it diffs the old and
// new config into dotted paths, classifies each path as needing nothing, a hot action or
// a restart, and combines that with gateway.reload.mode into one Plan. It also watches
// the file, surviving editors that replace it by rename.
package reload

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// Kind is what a changed path needs.
type Kind int

// Kinds, in increasing order of disruption.
const (
	None    Kind = iota // read dynamically
	Hot                 // a hot action restarts one component
	Restart             // the gateway must restart
)

func (k Kind) String() string { return [...]string{"none", "hot", "restart"}[k] }

// rule maps a path prefix to its kind and, for hot paths, the component to restart.
type rule struct {
	prefix    string
	kind      Kind
	component string
}

// rules are matched in order; the first whose prefix equals the path or is a parent of
// it wins. Anything unmatched needs a restart.
var rules = [...]rule{
	{"gateway.remote", None, ""},
	{"gateway.reload", None, ""},
	// The node command policy is applied to connected nodes in place (svc_nodes.go).
	{"gateway.nodes", None, ""},
	{"hooks.gmail", Hot, "gmail-watcher"},
	{"hooks", Hot, "hooks"},
	{"agents.defaults.heartbeat", Hot, "heartbeat"},
	{"agent.heartbeat", Hot, "heartbeat"},
	{"cron", Hot, "cron"},
	{"browser", Hot, "browser"},
	{"web", Hot, "whatsapp"},
	{"channels.telegram", Hot, "telegram"},
	{"channels.whatsapp", None, ""},
	{"channels.discord", Hot, "discord"},
	{"channels.slack", Hot, "slack"},
	{"channels.signal", Hot, "signal"},
	{"channels.imessage", Hot, "imessage"},
	{"telegram", Hot, "telegram"},
	{"discord", Hot, "discord"},
	{"slack", Hot, "slack"},
	{"signal", Hot, "signal"},
	{"imessage", Hot, "imessage"},
	{"meta", None, ""}, // written by the original CLI on every save
	{"identity", None, ""}, {"wizard", None, ""}, {"logging", None, ""}, {"models", None, ""},
	{"agents", None, ""}, {"tools", None, ""}, {"bindings", None, ""}, {"audio", None, ""},
	{"agent", None, ""}, {"routing", None, ""}, {"messages", None, ""}, {"session", None, ""},
	{"whatsapp", None, ""}, {"talk", None, ""}, {"skills", None, ""}, {"ui", None, ""},
	{"plugins", Restart, ""}, {"gateway", Restart, ""}, {"bridge", Restart, ""}, {"discovery", Restart, ""}, {"canvasHost", Restart, ""},
}

// Classify returns the kind of a dotted path and the component a hot path restarts.
func Classify(path string) (Kind, string) {
	for _, r := range rules {
		if path == r.prefix || strings.HasPrefix(path, r.prefix+".") {
			return r.kind, r.component
		}
	}
	return Restart, ""
}

// Diff returns the dotted paths whose values differ between two configs (any JSON
// encodable values). Objects are compared key by key; any difference in an array is the
// array's path.
func Diff(old, new any) []string {
	a, b := normalize(old), normalize(new)
	var out []string
	diff("", a, b, &out)
	sort.Strings(out)
	return out
}

func normalize(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

func diff(path string, a, b any, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			diff(p, am[k], bm[k], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) && path != "" {
		*out = append(*out, path)
	}
}

// Plan is what to do about one change.
type Plan struct {
	Changed    []string // every changed path
	Restart    bool     // restart the gateway
	Hot        []string // components to restart in place
	Ignored    []string // restart-needing paths ignored (mode hot)
	Mode       string
	NoopReason string // why nothing happens, if nothing does
}

// Decide applies the reload mode (hybrid, hot, restart, off) to the changed paths.
func Decide(mode string, changed []string) Plan {
	if mode == "" {
		mode = "hybrid"
	}
	p := Plan{Changed: changed, Mode: mode}
	if len(changed) == 0 {
		p.NoopReason = "no changes"
		return p
	}
	var restart []string
	for _, c := range changed {
		kind, comp := Classify(c)
		switch kind {
		case Restart:
			restart = append(restart, c)
		case Hot:
			if !slices.Contains(p.Hot, comp) {
				p.Hot = append(p.Hot, comp)
			}
		}
	}
	switch mode {
	case "off":
		p.Hot, p.NoopReason = nil, "reload mode off"
	case "restart":
		p.Restart, p.Hot = true, nil
	case "hot":
		p.Ignored = restart
	default: // hybrid
		if len(restart) > 0 {
			p.Restart, p.Hot = true, nil
		}
	}
	return p
}

// Channels are the hot components a reload restarts account by account: an account
// added to the file starts, a removed one stops, and one restarts only when its
// build-time settings change, whichever rule matched the changed paths. So the rules
// cannot say whether a channel restarts (a channels.whatsapp path is read live, yet
// its account's authDir restarts it; a channels.telegram path may restart no account
// when none has a token); Applied puts what the reload did in their place.
var Channels = [...]string{"telegram", "whatsapp"}

// Applied is a plan's Hot list as carried out: hot's components other than Channels,
// in order, then the channels in restarted (those whose accounts the reload started,
// stopped or restarted), sorted and once each. Nil when both are empty.
func Applied(hot, restarted []string) []string {
	var out []string
	for _, c := range hot {
		if !slices.Contains(Channels[:], c) {
			out = append(out, c)
		}
	}
	for _, c := range slices.Sorted(slices.Values(restarted)) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// stamp identifies one version of the file on disk.
type stamp struct {
	exists bool
	ino    uint64
	size   int64
	mtime  time.Time
}

func statFile(path string) stamp {
	st, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	return stamp{exists: true, size: st.Size(), mtime: st.ModTime(), ino: inode(st)}
}

// Watch polls path every interval and calls onChange once the file has stayed unchanged
// for debounce after a change (creation, edit, removal, or replacement by rename — the
// inode is part of the identity, so editors that save by renaming are seen). Polling
// needs no platform watcher and cannot lose an event to a rename. It returns when ctx
// ends.
func Watch(ctx context.Context, path string, interval, debounce time.Duration, onChange func()) {
	if interval <= 0 {
		interval = 200 * time.Millisecond
	}
	last := statFile(path)
	var pendingSince time.Time
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			cur := statFile(path)
			if cur != last {
				last = cur
				pendingSince = now
				continue
			}
			if !pendingSince.IsZero() && now.Sub(pendingSince) >= debounce {
				pendingSince = time.Time{}
				onChange()
			}
		}
	}
}
