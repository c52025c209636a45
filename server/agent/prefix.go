package agent

import (
	"regexp"
	"strings"
)

// responsePrefix fills messages.responsePrefix's template variables, as the original:
// {model} (short name), {modelFull} (provider/model), {provider}, {thinkingLevel} or
// {think}, {identity.name} or {identityName}; names are case-insensitive and unknown or
// unresolved ones stay as written.
type prefixContext struct {
	modelFull, thinking, identity string
}

var prefixVar = regexp.MustCompile(`\{([a-zA-Z][a-zA-Z0-9.]*)\}`)

// shortModel strips the provider and a date (-YYYYMMDD) or -latest suffix:
// "anthropic/claude-opus-4-5-20251101" → "claude-opus-4-5".
var dateSuffix = regexp.MustCompile(`-\d{8}$`)

func shortModel(full string) string {
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		full = full[i+1:]
	}
	return strings.TrimSuffix(dateSuffix.ReplaceAllString(full, ""), "-latest")
}

func (c prefixContext) expand(tmpl string) string {
	return prefixVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		v := ""
		switch strings.ToLower(m[1 : len(m)-1]) {
		case "model":
			if c.modelFull != "" {
				v = shortModel(c.modelFull)
			}
		case "modelfull":
			v = c.modelFull
		case "provider":
			if p, _, ok := strings.Cut(c.modelFull, "/"); ok {
				v = p
			}
		case "thinkinglevel", "think":
			v = c.thinking
		case "identity.name", "identityname":
			v = c.identity
		}
		if v == "" {
			return m
		}
		return v
	})
}

// withPrefix puts prefix before text unless the text already starts with it (the
// model repeated it) or there is nothing to prefix.
func withPrefix(prefix, text string) string {
	if prefix == "" || strings.TrimSpace(text) == "" || strings.HasPrefix(text, prefix) {
		return text
	}
	return prefix + " " + text
}

// replyPrefix is the run's response prefix (Options.ResponsePrefix), expanded.
func (rt *Runtime) replyPrefix(r *Run) string {
	if rt.opts.ResponsePrefix == nil {
		return ""
	}
	tmpl, identity := rt.opts.ResponsePrefix(r.laneKey)
	if tmpl == "" || !strings.Contains(tmpl, "{") {
		return tmpl
	}
	c := prefixContext{identity: identity}
	mc := rt.modelConfig()
	c.modelFull = mc.Ref
	if ss, err := rt.opts.Store.Get(rt.base, r.laneKey); err == nil {
		if ss.Model != "" {
			c.modelFull = ss.Model
		}
		c.thinking = ss.ThinkingLevel
	}
	if c.thinking == "" && mc.Engine != nil {
		c.thinking = mc.Engine.ThinkingDefault
	}
	if c.thinking == "" {
		c.thinking = "off"
	}
	return c.expand(tmpl)
}
