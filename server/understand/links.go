package understand

import (
	"context"
	"net/url"
	"regexp"
	"strings"
)

var (
	markdownLink = regexp.MustCompile(`(?i)\[[^\]]*]\((https?://\S+?)\)`)
	bareLink     = regexp.MustCompile(`(?i)https?://\S+`)
)

// ExtractLinks finds up to maxLinks (DefaultMaxLinks when <= 0) distinct bare
// http(s) links in a message, in order. Links written as markdown ([text](url)) are
// left out, as are links to 127.0.0.1.
func ExtractLinks(message string, maxLinks int) []string {
	src := strings.TrimSpace(message)
	if src == "" {
		return nil
	}
	if maxLinks <= 0 {
		maxLinks = DefaultMaxLinks
	}
	src = markdownLink.ReplaceAllString(src, " ")
	seen := map[string]bool{}
	var out []string
	for _, raw := range bareLink.FindAllString(src, -1) {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Hostname() == "127.0.0.1" {
			continue
		}
		if seen[raw] {
			continue
		}
		seen[raw] = true
		out = append(out, raw)
		if len(out) >= maxLinks {
			break
		}
	}
	return out
}

// LinksEnabled reports whether tools.links is on (callers skip building a Message
// otherwise).
func (r *Runner) LinksEnabled() bool {
	cfg := r.opts.Links
	return cfg != nil && (cfg.Enabled == nil || *cfg.Enabled) && len(cfg.Models) > 0
}

// Links summarises the links of a message text with tools.links' commands: for each
// link (up to maxLinks), the entries are tried in order with {{LinkUrl}} set, and the
// first non-empty stdout is its summary. Off when tools.links is absent or disabled,
// or its scope denies the message.
func (r *Runner) Links(ctx context.Context, msg Message, text string) []string {
	cfg := r.opts.Links
	if cfg == nil || (cfg.Enabled != nil && !*cfg.Enabled) {
		return nil
	}
	if !cfg.Scope.Allowed(msg.Channel, msg.ChatType, msg.SessionKey) {
		r.log.Info("link understanding disabled by scope policy", "channel", msg.Channel, "session", msg.SessionKey)
		return nil
	}
	links := ExtractLinks(text, cfg.MaxLinks)
	if len(links) == 0 || len(cfg.Models) == 0 {
		return nil
	}
	var outs []string
	for _, u := range links {
		if s := r.link(ctx, cfg, msg, u); s != "" {
			outs = append(outs, s)
		}
	}
	return outs
}

func (r *Runner) link(ctx context.Context, cfg *LinksConfig, msg Message, link string) string {
	vars := map[string]string{}
	for k, v := range msg.Vars {
		vars[k] = v
	}
	vars["LinkUrl"] = link
	for _, e := range cfg.Models {
		if t := norm(e.Type); t != "" && t != "cli" {
			continue
		}
		command := strings.TrimSpace(e.Command)
		if command == "" {
			continue
		}
		argv := []string{command}
		for _, a := range e.Args {
			argv = append(argv, ApplyTemplate(a, vars))
		}
		out, err := runCommand(ctx, argv, timeoutOf(DefaultLinkTimeout, e.TimeoutSeconds, cfg.TimeoutSeconds), "")
		if err != nil {
			r.log.Info("link understanding failed", "url", link, "command", command, "err", err)
			continue
		}
		if s := strings.TrimSpace(out); s != "" {
			return s
		}
	}
	return ""
}
