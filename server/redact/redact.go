// Package redact masks secrets (API keys, tokens, passwords, private keys) in text
// that leaves the agent as summaries and log lines: logging.redactSensitive ("tools",
// the default, or "off") and logging.redactPatterns, as the reference's
// src/logging/redact.ts. Patterns are Go (RE2) regular expressions; the reference's
// default set is kept with its backreferences (unsupported by RE2) rewritten.
package redact

import (
	"regexp"
	"strings"
)

// Modes of logging.redactSensitive.
const (
	ModeOff   = "off"
	ModeTools = "tools"
)

// Masking: tokens shorter than MinMaskedLength become "***"; longer ones keep their
// first KeepStart and last KeepEnd characters.
const (
	MinMaskedLength = 18
	KeepStart       = 6
	KeepEnd         = 4
)

// DefaultPatterns are the reference's default patterns (the last non-empty group of
// a match is the secret; without groups, the whole match).
var DefaultPatterns = []string{
	// ENV-style assignments.
	`\b[A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD)\b\s*[=:]\s*["']?([^\s"'\\]+)["']?`,
	// JSON fields.
	`"(?:apiKey|token|secret|password|passwd|accessToken|refreshToken)"\s*:\s*"([^"]+)"`,
	// CLI flags.
	`--(?:api[-_]?key|token|secret|password|passwd)\s+["']?([^\s"']+)["']?`,
	// Authorization headers.
	`Authorization\s*[:=]\s*Bearer\s+([A-Za-z0-9._\-+=]+)`,
	`\bBearer\s+([A-Za-z0-9._\-+=]{18,})\b`,
	// PEM blocks.
	`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----`,
	// Common token prefixes.
	`\b(sk-[A-Za-z0-9_-]{8,})\b`,
	`\b(ghp_[A-Za-z0-9]{20,})\b`,
	`\b(github_pat_[A-Za-z0-9_]{20,})\b`,
	`\b(xox[baprs]-[A-Za-z0-9-]{10,})\b`,
	`\b(xapp-[A-Za-z0-9-]{10,})\b`,
	`\b(gsk_[A-Za-z0-9_-]{10,})\b`,
	`\b(AIza[0-9A-Za-z\-_]{20,})\b`,
	`\b(pplx-[A-Za-z0-9_-]{10,})\b`,
	`\b(npm_[A-Za-z0-9]{10,})\b`,
	`\b(\d{6,}:[A-Za-z0-9_-]{20,})\b`,
}

// Redactor masks secrets; the zero value and nil mask nothing.
type Redactor struct {
	patterns []*regexp.Regexp
}

var slashForm = regexp.MustCompile(`^/(.+)/([a-z]*)$`)

// New returns the redactor of mode and patterns (empty: DefaultPatterns). Patterns
// may be written "/expr/flags" (flags i, m, s; g is implied) or bare, which are
// case-insensitive as in the reference. Patterns that do not compile are returned
// in bad and skipped. Mode "off" masks nothing; any other value is "tools".
func New(mode string, patterns []string) (r *Redactor, bad []string) {
	if strings.TrimSpace(mode) == ModeOff {
		return &Redactor{}, nil
	}
	src := patterns
	if len(src) == 0 {
		src = DefaultPatterns
	}
	r = &Redactor{}
	for _, p := range src {
		if strings.TrimSpace(p) == "" {
			continue
		}
		expr := "(?i)" + p
		if m := slashForm.FindStringSubmatch(p); m != nil {
			flags := ""
			for _, f := range m[2] {
				if strings.ContainsRune("ims", f) && !strings.ContainsRune(flags, f) {
					flags += string(f)
				}
			}
			expr = m[1]
			if flags != "" {
				expr = "(?" + flags + ")" + expr
			}
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			bad = append(bad, p)
			continue
		}
		r.patterns = append(r.patterns, re)
	}
	return r, bad
}

// Text masks every secret the patterns find in s.
func (r *Redactor) Text(s string) string {
	if r == nil || s == "" {
		return s
	}
	for _, re := range r.patterns {
		s = re.ReplaceAllStringFunc(s, func(match string) string {
			return mask(match, re.FindStringSubmatch(match))
		})
	}
	return s
}

// mask replaces the secret of one match: a PEM block keeps its first and last lines;
// otherwise the last non-empty group (else the whole match) is shortened.
func mask(match string, groups []string) string {
	if strings.Contains(match, "PRIVATE KEY-----") {
		var lines []string
		for _, l := range strings.Split(strings.ReplaceAll(match, "\r\n", "\n"), "\n") {
			if l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) < 2 {
			return "***"
		}
		return lines[0] + "\n…redacted…\n" + lines[len(lines)-1]
	}
	token := match
	for i := len(groups) - 1; i >= 1; i-- {
		if groups[i] != "" {
			token = groups[i]
			break
		}
	}
	masked := maskToken(token)
	if token == match {
		return masked
	}
	return strings.Replace(match, token, masked, 1)
}

func maskToken(t string) string {
	r := []rune(t)
	if len(r) < MinMaskedLength {
		return "***"
	}
	return string(r[:KeepStart]) + "…" + string(r[len(r)-KeepEnd:])
}
