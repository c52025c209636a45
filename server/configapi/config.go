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
	r := &protocol.ConfigGetResult{Path: path, Exists: f.Exists, Valid: f.Valid(), Config: cfg, Issues: issuesOf(f.Issues), LegacyIssues: []protocol.ConfigIssue{}, Parsed: json.RawMessage("null")}
	if f.Exists {
		r.Raw = &raw
		r.Hash = &f.Hash
		if f.Parsed != nil {
			r.Parsed = cfg
		}
	}
	return r, nil
}

func (h *Handler[C]) ConfigSet(ctx context.Context, c C, p *protocol.ConfigSetParams) (*protocol.ConfigSetResult, error) {
	path, err := h.configPath()
	if err != nil {
		return nil, err
	}
	cur, err := loadConfig(path)
	if err != nil {
		return nil, unavailable("read config: %v", err)
	}
	if p.BaseHash != nil && *p.BaseHash != cur.Hash {
		return nil, invalid("config changed since it was read (baseHash mismatch); reload and retry")
	}
	raw, err := config.RestoreRedacted([]byte(p.Raw), cur)
	if err != nil {
		return nil, invalid("%v", err)
	}
	// Parsed as the file at path, so a relative $include resolves as it will on load.
	if _, err := config.Parse(path, raw); err != nil {
		var inv *config.InvalidError
		if errors.As(err, &inv) {
			return nil, &rpc.Error{Code: string(protocol.ErrorCodeInvalidRequest), Message: "invalid config", Details: map[string]any{"issues": issuesOf(inv.Issues)}}
		}
		// A syntax error (line and column), a bad $include or an unset ${VAR}.
		return nil, invalid("%s", err.Error())
	}
	if h.opts.HasSecret == nil || !h.opts.HasSecret() {
		if keys := execChanges(cur, raw); len(keys) > 0 {
			return nil, &rpc.Error{Code: string(protocol.ErrorCodeInvalidRequest),
				Message: "config.set cannot change " + strings.Join(keys, ", ") + " (settings that make the gateway run programs) unless gateway.auth has a token or password; edit the config file locally instead",
				Details: map[string]any{"keys": keys}}
		}
	}
	if err := config.Save(path, raw); err != nil {
		return nil, unavailable("write config: %v", err)
	}
	next, err := loadConfig(path)
	if err != nil {
		return nil, unavailable("re-read config: %v", err)
	}
	_, cfg := config.Redact(next)
	return &protocol.ConfigSetResult{Ok: true, Path: path, Config: cfg}, nil
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
	hints := map[string]protocol.ConfigUiHint{}
	sensitive := true
	for _, k := range []string{"gateway.auth.token", "gateway.auth.password", "gateway.remote.token", "gateway.remote.password", "channels.telegram.botToken", "channels.telegram.webhookSecret", "hooks.token", "models.providers.*.apiKey"} {
		hints[k] = protocol.ConfigUiHint{Sensitive: &sensitive}
	}
	return &protocol.ConfigSchemaResult{
		Schema:      json.RawMessage(genconfig.SchemaJSON),
		UIHints:     hints,
		Version:     h.opts.Version,
		GeneratedAt: h.opts.GeneratedAt.UTC().Format(time.RFC3339),
	}, nil
}
