package hooks

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

// Mapping turns a request on a sub-path other than wake/agent into a wake or an agent
// run (§10.1 step 7). The first mapping that matches wins. JavaScript transform modules
// (transform.module) of the original are not supported: the config schema has no key
// for them, so every mapping is declarative.
type Mapping struct {
	ID          string
	MatchPath   string // sub-path, slashes trimmed; "" matches any
	MatchSource string // payload "source" field; "" matches any
	Action      string // "agent" (default) or "wake"
	WakeMode    string // "now" (default) or "next-heartbeat"

	Name            string
	SessionKey      string
	MessageTemplate string
	TextTemplate    string
	Deliver         *bool
	Channel         string
	To              string
	Thinking        string
	TimeoutSeconds  int
}

// presets are the built-in mapping sets, by name (hooks.presets).
var presets = map[string][]Mapping{
	"gmail": {{
		ID:              "gmail",
		MatchPath:       "gmail",
		Action:          "agent",
		WakeMode:        "now",
		Name:            "Gmail",
		SessionKey:      "hook:gmail:{{messages[0].id}}",
		MessageTemplate: "New email from {{messages[0].from}}\nSubject: {{messages[0].subject}}\n{{messages[0].snippet}}\n{{messages[0].body}}",
	}},
}

// ResolveMappings normalises the configured mappings and appends the presets'. An
// unknown preset is an error rather than a silently dead endpoint.
func ResolveMappings(in []genconfig.ConfigHooksMappingsElem, presetNames []string) ([]Mapping, error) {
	var out []Mapping
	for i, m := range in {
		r := Mapping{ID: fmt.Sprintf("mapping-%d", i+1), Action: "agent", WakeMode: "now"}
		if m.ID != nil && strings.TrimSpace(*m.ID) != "" {
			r.ID = strings.TrimSpace(*m.ID)
		}
		if m.Match != nil {
			if m.Match.Path != nil {
				r.MatchPath = trimSlashes(*m.Match.Path)
			}
			if m.Match.Source != nil {
				r.MatchSource = strings.TrimSpace(*m.Match.Source)
			}
		}
		if m.Action != "" {
			r.Action = string(m.Action)
		}
		if m.WakeMode != "" {
			r.WakeMode = string(m.WakeMode)
		}
		r.Name = deref(m.Name)
		r.SessionKey = deref(m.SessionKey)
		r.MessageTemplate = deref(m.MessageTemplate)
		r.TextTemplate = deref(m.TextTemplate)
		r.Deliver = m.Deliver
		if m.Channel != nil {
			r.Channel = string(*m.Channel)
		}
		r.To = deref(m.To)
		r.Thinking = deref(m.Thinking)
		if m.TimeoutSeconds != nil {
			r.TimeoutSeconds = *m.TimeoutSeconds
		}
		out = append(out, r)
	}
	for _, name := range presetNames {
		p, ok := presets[strings.TrimSpace(name)]
		if !ok {
			return nil, fmt.Errorf("hooks.presets: unknown preset %q", name)
		}
		out = append(out, p...)
	}
	return out, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func trimSlashes(s string) string { return strings.Trim(strings.TrimSpace(s), "/") }

// Context is what templates can read: the JSON payload, the request headers
// (lower-case names), the query string and the sub-path.
type Context struct {
	Payload map[string]any
	Headers map[string]string
	Query   url.Values
	Path    string
	Now     time.Time
}

// Action is the outcome of a matched mapping: exactly one of Wake or Agent is set.
type Action struct {
	MappingID string
	Wake      *WakeAction
	Agent     *AgentRequest
}

// WakeAction is a wake produced by a mapping.
type WakeAction struct {
	Text string
	Mode string
}

// mappingError is a mapping that matched but produced an unusable action (400).
type mappingError string

func (e mappingError) Error() string { return string(e) }

// Match finds the first mapping for ctx and builds its action. ok is false when no
// mapping matches.
func Match(maps []Mapping, ctx *Context) (a Action, ok bool, err error) {
	for _, m := range maps {
		if m.MatchPath != "" && m.MatchPath != trimSlashes(ctx.Path) {
			continue
		}
		if m.MatchSource != "" {
			src, _ := ctx.Payload["source"].(string)
			if src != m.MatchSource {
				continue
			}
		}
		a, err := m.build(ctx)
		return a, true, err
	}
	return Action{}, false, nil
}

func (m Mapping) build(ctx *Context) (Action, error) {
	a := Action{MappingID: m.ID}
	if m.Action == "wake" {
		text := strings.TrimSpace(Render(m.TextTemplate, ctx))
		if text == "" {
			return a, mappingError("hook mapping requires text")
		}
		a.Wake = &WakeAction{Text: text, Mode: m.WakeMode}
		return a, nil
	}
	msg := Render(m.MessageTemplate, ctx)
	if strings.TrimSpace(msg) == "" {
		return a, mappingError("hook mapping requires message")
	}
	r := &AgentRequest{
		Message:    msg,
		Name:       renderOptional(m.Name, ctx),
		SessionKey: renderOptional(m.SessionKey, ctx),
		WakeMode:   m.WakeMode,
		Channel:    m.Channel,
		To:         renderOptional(m.To, ctx),
		Thinking:   renderOptional(m.Thinking, ctx),
	}
	if m.Deliver != nil {
		r.Deliver = *m.Deliver
	}
	if m.TimeoutSeconds > 0 {
		r.Timeout = time.Duration(m.TimeoutSeconds) * time.Second
	}
	a.Agent = r
	return a, nil
}

func renderOptional(tmpl string, ctx *Context) string {
	if tmpl == "" {
		return ""
	}
	return strings.TrimSpace(Render(tmpl, ctx))
}

var exprRE = regexp.MustCompile(`\{\{\s*([^}]+?)\s*\}\}`)

// Render expands {{expr}} in tmpl. Expressions: path, now (RFC 3339, UTC),
// headers.<name>, query.<name>, payload.<path>, or a bare payload path such as
// messages[0].from. Missing values render empty; strings, numbers and booleans render
// as text; objects and arrays as JSON.
func Render(tmpl string, ctx *Context) string {
	if tmpl == "" {
		return ""
	}
	return exprRE.ReplaceAllStringFunc(tmpl, func(s string) string {
		expr := strings.TrimSpace(exprRE.FindStringSubmatch(s)[1])
		return stringify(resolveExpr(expr, ctx))
	})
}

func resolveExpr(expr string, ctx *Context) any {
	switch {
	case expr == "path":
		return ctx.Path
	case expr == "now":
		now := ctx.Now
		if now.IsZero() {
			now = time.Now()
		}
		return now.UTC().Format("2006-01-02T15:04:05.000Z")
	case strings.HasPrefix(expr, "headers."):
		h := make(map[string]any, len(ctx.Headers))
		for k, v := range ctx.Headers {
			h[k] = v
		}
		return lookup(h, strings.TrimPrefix(expr, "headers."))
	case strings.HasPrefix(expr, "query."):
		q := make(map[string]any, len(ctx.Query))
		for k, v := range ctx.Query {
			if len(v) > 0 {
				q[k] = v[len(v)-1]
			}
		}
		return lookup(q, strings.TrimPrefix(expr, "query."))
	case strings.HasPrefix(expr, "payload."):
		return lookup(ctx.Payload, strings.TrimPrefix(expr, "payload."))
	}
	return lookup(ctx.Payload, expr)
}

var partRE = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

// lookup walks a.b[0].c through maps and slices; anything that doesn't fit is nil.
func lookup(root map[string]any, path string) any {
	if path == "" {
		return nil
	}
	var cur any = root
	for _, m := range partRE.FindAllStringSubmatch(path, -1) {
		if cur == nil {
			return nil
		}
		if m[2] != "" {
			arr, ok := cur.([]any)
			if !ok {
				return nil
			}
			i, err := strconv.Atoi(m[2])
			if err != nil || i >= len(arr) {
				return nil
			}
			cur = arr[i]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[m[1]]
	}
	return cur
}

func stringify(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case json.Number:
		return t.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
