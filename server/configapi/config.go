package configapi

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

// The config methods read and write the config file. Secrets never leave the gateway:
// config.get redacts them (the original returned them), and config.set puts the stored
// values back where the client sent the redaction placeholder. A write goes to disk
// atomically; the reloader then applies it like any other edit.

func (h *Handler[C]) configPath() (string, error) {
	if h.opts.Path == "" {
		return "", unavailable("%v", ErrNoPath)
	}
	return h.opts.Path, nil
}

// loadConfig reads the file; a broken file is still returned with its issues.
func loadConfig(path string) (*config.File, error) {
	f, err := config.Load(path)
	if f != nil {
		return f, nil
	}
	return nil, err
}

func issuesOf(in []config.Issue) []protocol.ConfigIssue {
	out := make([]protocol.ConfigIssue, 0, len(in))
	for _, i := range in {
		out = append(out, protocol.ConfigIssue{Path: strings.ReplaceAll(strings.TrimPrefix(i.Path, "/"), "/", "."), Message: i.Message})
	}
	return out
}

func (h *Handler[C]) ConfigGet(ctx context.Context, c C, p *protocol.ConfigGetParams) (*protocol.ConfigGetResult, error) {
	path, err := h.configPath()
	if err != nil {
		return nil, err
	}
	f, err := loadConfig(path)
	if err != nil {
		return nil, unavailable("read config: %v", err)
	}
	raw, cfg := config.Redact(f)
	if h.opts.TalkKeyFor != nil && f.Valid() && h.opts.TalkKeyFor(c) {
		key := ""
		if v, ok := f.Lookup("/talk/apiKey"); ok {
			key, _ = v.(string)
		}
		if key = strings.TrimSpace(key); key == "" {
			key = TalkKey(h.opts.Getenv, h.opts.Home)
		}
		cfg = withTalkKey(cfg, key)
	}
	// hash is always there (of the empty text for a missing file), as in the original:
	// clients send it back as baseHash.
	r := &protocol.ConfigGetResult{Path: path, Exists: f.Exists, Valid: f.Valid(), Config: cfg, Hash: &f.Hash,
		Issues: issuesOf(f.Issues), LegacyIssues: []protocol.ConfigIssue{}, Parsed: json.RawMessage("null")}
	if f.Exists {
		r.Raw = &raw
		if f.Parsed != nil {
			r.Parsed = cfg
		}
	}
	return r, nil
}

// The baseHash errors, worded as the original's so its clients' hints still fit.
const (
	msgHashRequired = "config base hash required; re-run config.get and retry"
	msgHashStale    = "config changed since last load; re-run config.get and retry"
)

// checkBaseHash is the lost-update guard of every write. A file that exists needs the
// hash the client read (the original's rule); a missing file needs none, but a hash
// that is given must still match (that of the empty text), so of two clients that
// both saw no file only the first creates it.
func checkBaseHash(cur *config.File, baseHash *string) error {
	given := ""
	if baseHash != nil {
		given = strings.TrimSpace(*baseHash)
	}
	switch {
	case given == "" && cur.Exists:
		return invalid("%s", msgHashRequired)
	case given != "" && given != cur.Hash:
		return invalid("%s", msgHashStale)
	}
	return nil
}

// write checks raw (the whole new file as the client sent it, redaction placeholders
// and all) and writes it: baseHash against the file read under the handler's lock,
// secrets put back, syntax (line and column), $include, ${VAR} and the schema, and
// the exec guard. Nothing is written on any error. The lock makes concurrent writers
// through this gateway take turns, so the second sees the first's hash and gets the
// baseHash error.
//
// commit, when not nil, runs the save step (write the file, read it back) itself:
// config.apply hands it to the daemon, which saves under its own lock so its reload
// watcher cannot act on the new file before the apply does.
func (h *Handler[C]) write(method, path string, baseHash *string, build func(cur *config.File) ([]byte, error),
	commit func(save func() (*config.File, error)) error) (cur, next *config.File, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cur, err = loadConfig(path)
	if err != nil {
		return nil, nil, unavailable("read config: %v", err)
	}
	if err := checkBaseHash(cur, baseHash); err != nil {
		return nil, nil, err
	}
	raw, err := build(cur)
	if err != nil {
		return nil, nil, err
	}
	raw, err = config.RestoreRedacted(raw, cur)
	if err != nil {
		return nil, nil, invalid("%v", err)
	}
	// Parsed as the file at path, so a relative $include resolves as it will on load.
	if _, err := config.Parse(path, raw); err != nil {
		var inv *config.InvalidError
		if errors.As(err, &inv) {
			return nil, nil, &rpc.Error{Code: string(protocol.ErrorCodeInvalidRequest), Message: "invalid config", Details: map[string]any{"issues": issuesOf(inv.Issues)}}
		}
		// A syntax error (line and column), a bad $include or an unset ${VAR}.
		return nil, nil, invalid("%s", err.Error())
	}
	if h.opts.HasSecret == nil || !h.opts.HasSecret() {
		if keys := execChanges(cur, raw); len(keys) > 0 {
			return nil, nil, &rpc.Error{Code: string(protocol.ErrorCodeInvalidRequest),
				Message: method + " cannot change " + strings.Join(keys, ", ") + " (settings that make the gateway run programs) unless gateway.auth has a token or password; edit the config file locally instead",
				Details: map[string]any{"keys": keys}}
		}
	}
	if commit == nil {
		commit = func(save func() (*config.File, error)) error {
			next, err = save()
			return err
		}
	}
	save := func() (*config.File, error) {
		if err := config.Save(path, raw); err != nil {
			return nil, unavailable("write config: %v", err)
		}
		f, err := loadConfig(path)
		if err != nil {
			return nil, unavailable("re-read config: %v", err)
		}
		next = f
		return f, nil
	}
	if err := commit(save); err != nil {
		return nil, nil, err
	}
	return cur, next, nil
}

func (h *Handler[C]) ConfigSet(ctx context.Context, c C, p *protocol.ConfigSetParams) (*protocol.ConfigSetResult, error) {
	path, err := h.configPath()
	if err != nil {
		return nil, err
	}
	_, next, err := h.write("config.set", path, p.BaseHash, func(*config.File) ([]byte, error) { return []byte(p.Raw), nil }, nil)
	if err != nil {
		return nil, err
	}
	_, cfg := config.Redact(next)
	return &protocol.ConfigSetResult{Ok: true, Path: path, Config: cfg}, nil
}

// ConfigPatch merges a JSON merge patch into the file as written (not into the
// resolved config, as the original does: $include and ${VAR} references outside the
// patched keys survive) and writes it like config.set.
func (h *Handler[C]) ConfigPatch(ctx context.Context, c C, p *protocol.ConfigPatchParams) (*protocol.ConfigPatchResult, error) {
	path, err := h.configPath()
	if err != nil {
		return nil, err
	}
	next, err := h.patch("config.patch", path, p.BaseHash, []byte(p.Raw))
	if err != nil {
		return nil, err
	}
	_, cfg := config.Redact(next)
	return &protocol.ConfigPatchResult{Ok: true, Path: path, Config: cfg}, nil
}

func (h *Handler[C]) patch(method, path string, baseHash *string, patch []byte) (*config.File, error) {
	_, next, err := h.write(method, path, baseHash, func(cur *config.File) ([]byte, error) {
		if !cur.Valid() {
			return nil, invalid("invalid config; fix before patching")
		}
		raw, err := config.PatchFile(cur, patch)
		if errors.Is(err, config.ErrPatchNotObject) {
			return nil, invalid("%s raw must be an object", method)
		}
		if err != nil {
			return nil, invalid("%s", err.Error())
		}
		return raw, nil
	}, nil)
	return next, err
}

// Read returns the config file as it is on disk now (with its hash), for in-process
// editors such as the onboarding wizard that later write through Patch.
func (h *Handler[C]) Read() (*config.File, error) {
	path, err := h.configPath()
	if err != nil {
		return nil, err
	}
	f, err := loadConfig(path)
	if err != nil {
		return nil, unavailable("read config: %v", err)
	}
	return f, nil
}

// Patch is config.patch for in-process editors: patch (a JSON merge patch) is merged
// into the file if its hash is still baseHash, under the same lock and with the same
// checks as the wire method (schema, $include, the exec guard); method names the
// caller in error messages. Errors are wire errors (*rpc.Error).
func (h *Handler[C]) Patch(method, baseHash string, patch []byte) (*config.File, error) {
	path, err := h.configPath()
	if err != nil {
		return nil, err
	}
	return h.patch(method, path, &baseHash, patch)
}

// Restart delay of config.apply: the original's default and ceiling.
const (
	DefaultRestartDelay = 2 * time.Second
	MaxRestartDelay     = 60 * time.Second
)

// ConfigApply writes the file like config.set and applies it at once through
// Options.Apply (the daemon: hot reload or an in-process restart per
// gateway.reload.mode). The original restarts on every apply; this gateway restarts
// only when the change needs it.
func (h *Handler[C]) ConfigApply(ctx context.Context, c C, p *protocol.ConfigApplyParams) (*protocol.ConfigApplyResult, error) {
	path, err := h.configPath()
	if err != nil {
		return nil, err
	}
	if h.opts.Apply == nil {
		return nil, unavailable("config.apply: this server cannot apply config (no daemon); use config.set")
	}
	delay := DefaultRestartDelay
	if p.RestartDelayMs != nil {
		delay = min(time.Duration(*p.RestartDelayMs)*time.Millisecond, MaxRestartDelay)
	}
	req := ApplyRequest{RestartDelay: delay, SessionKey: strings.TrimSpace(p.GetSessionKey()), Note: strings.TrimSpace(p.GetNote())}
	var out ApplyOutcome
	_, next, err := h.write("config.apply", path, p.BaseHash, func(*config.File) ([]byte, error) { return []byte(p.Raw), nil },
		func(save func() (*config.File, error)) error {
			req.Save = save
			var err error
			out, err = h.opts.Apply(ctx, req)
			return err
		})
	if err != nil {
		var re *rpc.Error
		if errors.As(err, &re) {
			return nil, err
		}
		return nil, unavailable("config.apply: %v", err)
	}
	_, cfg := config.Redact(next)
	r := &protocol.ConfigApplyResult{Ok: true, Path: path, Config: cfg, Reload: protocol.ConfigApplyReload{
		Mode: out.Mode, Changed: nonNil(out.Changed), Hot: nonNil(out.Hot), Ignored: nonNil(out.Ignored), Restart: out.Restart}}
	if out.NoopReason != "" {
		r.Reload.NoopReason = &out.NoopReason
	}
	if out.Restart {
		reason := "config.apply"
		ms := out.RestartExpectedMs
		r.Restart = &protocol.ConfigApplyRestart{Ok: true, DelayMs: delay.Milliseconds(), Reason: &reason, Mode: "in-process", RestartExpectedMs: &ms}
	}
	if out.Notice != nil {
		pl := protocol.ConfigApplySentinelPayload{Kind: "config-apply", Status: "ok", Ts: out.Notice.Ts.UnixMilli()}
		if req.SessionKey != "" {
			pl.SessionKey = &req.SessionKey
		}
		if req.Note != "" {
			pl.Message = &req.Note
		}
		r.Sentinel = &protocol.ConfigApplySentinel{Payload: pl}
	}
	return r, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// execChanges lists the config settings, changed from cur to nextRaw, that make the
// gateway run programs of the config's choosing: the agent's CLI backends
// (agents.defaults.cliBackends, and the primary model or workspace when the model
// runs one — the old agent.backend "command" / agent.command.* migrate to these),
// tool execution (tools.exec, tools.elevated) and hook transforms
// (hooks.transformsDir, hooks.mappings[].transform; not run by this gateway, guarded
// anyway). Without a shared secret the gateway trusts every local process and cannot
// tell a user from anything else running on the machine, so these can only be
// changed over the wire when a token or password is configured (docs/SECURITY.md).
// Both sides are compared in the current shape, after legacy migration.
func execChanges(cur *config.File, nextRaw []byte) []string {
	next, _ := config.Parse(cur.Path, nextRaw)
	var nextTree any
	if next != nil {
		nextTree = next.Parsed
	}
	var curTree any
	if cur != nil {
		curTree = cur.Parsed
	}
	lookup := func(tree any, ptr string) any {
		v, _ := (&config.File{Parsed: tree}).Lookup(ptr)
		return v
	}
	changed := func(ptr string) bool { return !reflect.DeepEqual(lookup(curTree, ptr), lookup(nextTree, ptr)) }
	// runsCLI reports whether the primary model of tree names one of its CLI backends.
	runsCLI := func(tree any) bool {
		primary, _ := lookup(tree, "/agents/defaults/model/primary").(string)
		prov, _, _ := strings.Cut(primary, "/")
		backends, _ := lookup(tree, "/agents/defaults/cliBackends").(map[string]any)
		_, ok := backends[prov]
		return prov != "" && ok
	}
	var out []string
	if changed("/agents/defaults/cliBackends") {
		out = append(out, "agents.defaults.cliBackends")
	}
	if runsCLI(nextTree) && (changed("/agents/defaults/model/primary") || !runsCLI(curTree)) {
		out = append(out, "agents.defaults.model.primary")
	}
	if runsCLI(nextTree) && changed("/agents/defaults/workspace") {
		out = append(out, "agents.defaults.workspace")
	}
	for _, k := range []string{"/tools/exec", "/tools/elevated", "/hooks/transformsDir"} {
		if changed(k) {
			out = append(out, strings.ReplaceAll(strings.TrimPrefix(k, "/"), "/", "."))
		}
	}
	transforms := func(tree any) []any {
		maps, _ := lookup(tree, "/hooks/mappings").([]any)
		var ts []any
		for _, m := range maps {
			if mm, ok := m.(map[string]any); ok {
				ts = append(ts, mm["transform"])
			}
		}
		return ts
	}
	if !reflect.DeepEqual(transforms(curTree), transforms(nextTree)) {
		out = append(out, "hooks.mappings.transform")
	}
	return out
}

func (h *Handler[C]) ConfigSchema(ctx context.Context, c C, p *protocol.ConfigSchemaParams) (*protocol.ConfigSchemaResult, error) {
	h.hintsOnce.Do(func() {
		hints, err := config.UIHints()
		if err != nil {
			h.hintsErr = err
			return
		}
		h.hints = make(map[string]protocol.ConfigUiHint, len(hints))
		for k, v := range hints {
			h.hints[k] = uiHint(v)
		}
	})
	if h.hintsErr != nil {
		return nil, unavailable("%v", h.hintsErr)
	}
	return &protocol.ConfigSchemaResult{
		Schema:      json.RawMessage(genconfig.SchemaJSON),
		UIHints:     h.hints,
		Version:     h.opts.Version,
		GeneratedAt: h.opts.GeneratedAt.UTC().Format(time.RFC3339),
	}, nil
}

func uiHint(v config.UIHint) protocol.ConfigUiHint {
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	flag := func(b bool) *bool {
		if !b {
			return nil
		}
		return &b
	}
	return protocol.ConfigUiHint{Label: str(v.Label), Help: str(v.Help), Group: str(v.Group), Order: v.Order,
		Advanced: flag(v.Advanced), Sensitive: flag(v.Sensitive), Placeholder: str(v.Placeholder), ItemTemplate: v.ItemTemplate}
}
