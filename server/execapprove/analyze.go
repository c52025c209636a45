package execapprove

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// DefaultSafeBins are stdin-only filters that may run without an allowlist entry as long
// as no argument names a file (the original's list).
var DefaultSafeBins = []string{"jq", "grep", "cut", "sort", "uniq", "head", "tail", "tr", "wc"}

// Lookup finds executables the way a shell would, for one command's environment.
type Lookup struct {
	// Cwd resolves relative paths (default: the process's working directory).
	Cwd string
	// PATH and PATHEXT of the command's environment.
	PATH    string
	PATHEXT string
	// Home expands "~" (default os.UserHomeDir).
	Home string
	// GOOS decides executable rules and path matching (default runtime.GOOS).
	GOOS string
}

func (l *Lookup) goos() string {
	if l.GOOS != "" {
		return l.GOOS
	}
	return runtime.GOOS
}

func (l *Lookup) home() string {
	if l.Home != "" {
		return l.Home
	}
	h, _ := os.UserHomeDir()
	return h
}

func (l *Lookup) cwd() string {
	if strings.TrimSpace(l.Cwd) != "" {
		return strings.TrimSpace(l.Cwd)
	}
	wd, _ := os.Getwd()
	return wd
}

func (l *Lookup) expandHome(p string) string {
	if p == "~" {
		return l.home()
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(l.home(), p[2:])
	}
	return p
}

func (l *Lookup) isExecutable(p string) bool {
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	if l.goos() == "windows" {
		return true
	}
	return st.Mode().Perm()&0o111 != 0
}

// resolveExecutable returns the absolute path raw runs, or "".
func (l *Lookup) resolveExecutable(raw string) string {
	p := raw
	if strings.HasPrefix(p, "~") {
		p = l.expandHome(p)
	}
	if strings.ContainsAny(p, `/\`) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(l.cwd(), p)
		}
		if l.isExecutable(p) {
			return filepath.Clean(p)
		}
		return ""
	}
	exts := []string{""}
	if l.goos() == "windows" && filepath.Ext(p) == "" {
		pe := l.PATHEXT
		if pe == "" {
			pe = ".EXE;.CMD;.BAT;.COM"
		}
		exts = strings.Split(strings.ToLower(pe), ";")
	}
	for _, dir := range filepath.SplitList(l.PATH) {
		if dir == "" {
			continue
		}
		for _, ext := range exts {
			c := filepath.Join(dir, p+ext)
			if l.isExecutable(c) {
				return c
			}
		}
	}
	return ""
}

// Resolution is what the first word of a command resolves to.
type Resolution struct {
	RawExecutable  string
	ResolvedPath   string // "" when not found
	ExecutableName string
}

func (l *Lookup) resolve(argv []string) *Resolution {
	if len(argv) == 0 || strings.TrimSpace(argv[0]) == "" {
		return nil
	}
	raw := strings.TrimSpace(argv[0])
	r := &Resolution{RawExecutable: raw, ResolvedPath: l.resolveExecutable(raw), ExecutableName: raw}
	if r.ResolvedPath != "" {
		r.ExecutableName = filepath.Base(r.ResolvedPath)
	}
	return r
}

// Segment is one simple command of a pipeline.
type Segment struct {
	Raw        string
	Argv       []string
	Resolution *Resolution
}

// Analysis is a parsed command. OK is false when the command uses shell syntax the
// allowlist cannot reason about (redirections, substitutions, subshells, background
// jobs); such a command is never satisfied by the allowlist.
type Analysis struct {
	OK       bool
	Reason   string
	Segments []Segment
	// Chains groups Segments by chain operator (&&, ||, ;) when there are any.
	Chains [][]Segment
}

// quoteScan walks s honouring single quotes, double quotes and backslash escapes; onChar
// sees only unquoted characters and returns one of the actions below.
type scanAction int

const (
	actInclude scanAction = iota
	actSplit
	actSkipNext // split on a two-character operator
	actReject
)

// scan splits s at unquoted operators. Inside double quotes it still rejects command
// substitution ($( and backquotes), which the shell performs there too.
func scan(s string, onChar func(ch, next byte) (scanAction, string)) (parts []string, reason string, ok bool) {
	var buf strings.Builder
	inSingle, inDouble, escaped := false, false, false
	push := func() {
		if t := strings.TrimSpace(buf.String()); t != "" {
			parts = append(parts, t)
		}
		buf.Reset()
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		var next byte
		if i+1 < len(s) {
			next = s[i+1]
		}
		if escaped {
			buf.WriteByte(ch)
			escaped = false
			continue
		}
		if !inSingle && ch == '\\' {
			escaped = true
			buf.WriteByte(ch)
			continue
		}
		if inSingle {
			if ch == '\'' {
				inSingle = false
			}
			buf.WriteByte(ch)
			continue
		}
		if inDouble {
			if ch == '"' {
				inDouble = false
			} else if ch == '`' || (ch == '$' && next == '(') {
				return nil, "command substitution inside double quotes", false
			}
			buf.WriteByte(ch)
			continue
		}
		switch ch {
		case '\'':
			inSingle = true
			buf.WriteByte(ch)
			continue
		case '"':
			inDouble = true
			buf.WriteByte(ch)
			continue
		}
		act, why := onChar(ch, next)
		switch act {
		case actReject:
			return nil, why, false
		case actSplit:
			push()
		case actSkipNext:
			push()
			i++
		default:
			buf.WriteByte(ch)
		}
	}
	if escaped || inSingle || inDouble {
		return nil, "unterminated shell quote/escape", false
	}
	push()
	return parts, "", true
}

// splitChain splits at &&, || and ; . It returns nil when there is no chain operator or
// the chain is malformed (an empty part).
func splitChain(cmd string) []string {
	found, invalid := false, false
	var parts []string
	var buf strings.Builder
	inSingle, inDouble, escaped := false, false, false
	push := func() bool {
		t := strings.TrimSpace(buf.String())
		buf.Reset()
		if t == "" {
			return false
		}
		parts = append(parts, t)
		return true
	}
	for i := 0; i < len(cmd); i++ {
		ch := cmd[i]
		switch {
		case escaped:
			escaped = false
			buf.WriteByte(ch)
			continue
		case !inSingle && !inDouble && ch == '\\':
			escaped = true
			buf.WriteByte(ch)
			continue
		case inSingle:
			if ch == '\'' {
				inSingle = false
			}
			buf.WriteByte(ch)
			continue
		case inDouble:
			if ch == '"' {
				inDouble = false
			}
			buf.WriteByte(ch)
			continue
		case ch == '\'':
			inSingle = true
			buf.WriteByte(ch)
			continue
		case ch == '"':
			inDouble = true
			buf.WriteByte(ch)
			continue
		}
		if (ch == '&' || ch == '|') && i+1 < len(cmd) && cmd[i+1] == ch {
			if !push() {
				invalid = true
			}
			found = true
			i++
			continue
		}
		if ch == ';' {
			if !push() {
				invalid = true
			}
			found = true
			continue
		}
		buf.WriteByte(ch)
	}
	last := push()
	if !found || invalid || !last {
		return nil
	}
	return parts
}

var disallowedPipeline = map[byte]bool{'>': true, '<': true, '`': true, '\n': true, '\r': true, '(': true, ')': true}

func splitPipeline(cmd string) ([]string, string, bool) {
	pipes := 0
	parts, why, ok := scan(cmd, func(ch, next byte) (scanAction, string) {
		switch {
		case ch == '|' && next == '|':
			return actReject, "unsupported shell token: ||"
		case ch == '|' && next == '&':
			return actReject, "unsupported shell token: |&"
		case ch == '|':
			pipes++
			return actSplit, ""
		case ch == '&' || ch == ';':
			return actReject, "unsupported shell token: " + string(ch)
		case disallowedPipeline[ch]:
			return actReject, "unsupported shell token: " + string(ch)
		case ch == '$' && next == '(':
			return actReject, "unsupported shell token: $()"
		}
		return actInclude, ""
	})
	if !ok {
		return nil, why, false
	}
	if len(parts) == 0 {
		return nil, "empty command", false
	}
	if len(parts) != pipes+1 {
		return nil, "empty pipeline segment", false
	}
	return parts, "", true
}

// tokenize splits one simple command into words, removing quotes.
func tokenize(seg string) ([]string, bool) {
	var toks []string
	var buf strings.Builder
	have := false
	inSingle, inDouble, escaped := false, false, false
	for i := 0; i < len(seg); i++ {
		ch := seg[i]
		switch {
		case escaped:
			buf.WriteByte(ch)
			escaped = false
			have = true
		case !inSingle && !inDouble && ch == '\\':
			escaped = true
		case inSingle:
			if ch == '\'' {
				inSingle = false
			} else {
				buf.WriteByte(ch)
			}
		case inDouble:
			if ch == '"' {
				inDouble = false
			} else {
				buf.WriteByte(ch)
			}
		case ch == '\'':
			inSingle, have = true, true
		case ch == '"':
			inDouble, have = true, true
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v':
			if have {
				toks = append(toks, buf.String())
				buf.Reset()
				have = false
			}
		default:
			buf.WriteByte(ch)
			have = true
		}
	}
	if escaped || inSingle || inDouble {
		return nil, false
	}
	if have {
		toks = append(toks, buf.String())
	}
	return toks, true
}

func (l *Lookup) segments(parts []string) ([]Segment, bool) {
	out := make([]Segment, 0, len(parts))
	for _, raw := range parts {
		argv, ok := tokenize(raw)
		if !ok || len(argv) == 0 {
			return nil, false
		}
		out = append(out, Segment{Raw: raw, Argv: argv, Resolution: l.resolve(argv)})
	}
	return out, true
}

// AnalyzeShell parses a shell command line into pipelines and chains.
func (l *Lookup) AnalyzeShell(cmd string) Analysis {
	if chain := splitChain(cmd); chain != nil {
		var a Analysis
		a.OK = true
		for _, part := range chain {
			pipe, why, ok := splitPipeline(part)
			if !ok {
				return Analysis{Reason: why}
			}
			segs, ok := l.segments(pipe)
			if !ok {
				return Analysis{Reason: "unable to parse shell segment"}
			}
			a.Chains = append(a.Chains, segs)
			a.Segments = append(a.Segments, segs...)
		}
		return a
	}
	pipe, why, ok := splitPipeline(cmd)
	if !ok {
		return Analysis{Reason: why}
	}
	segs, ok := l.segments(pipe)
	if !ok {
		return Analysis{Reason: "unable to parse shell segment"}
	}
	return Analysis{OK: true, Segments: segs}
}

// AnalyzeArgv treats argv as one simple command (node system.run).
func (l *Lookup) AnalyzeArgv(argv []string) Analysis {
	var clean []string
	for _, a := range argv {
		if strings.TrimSpace(a) != "" {
			clean = append(clean, a)
		}
	}
	if len(clean) == 0 {
		return Analysis{Reason: "empty argv"}
	}
	return Analysis{OK: true, Segments: []Segment{{Raw: strings.Join(clean, " "), Argv: clean, Resolution: l.resolve(clean)}}}
}

// globRegexp compiles an allowlist pattern: * matches within a path segment, **
// across segments, ? one character; case-insensitive.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?i)^")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			if i+1 < len(pattern) && pattern[i+1] == '*' {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func (l *Lookup) normalizeTarget(v string) string {
	if l.goos() == "windows" {
		v = strings.TrimPrefix(strings.TrimPrefix(v, `\\?\`), `\\.\`)
		return strings.ToLower(strings.ReplaceAll(v, `\`, "/"))
	}
	return strings.ToLower(strings.ReplaceAll(v, `\\`, "/"))
}

func (l *Lookup) matches(pattern, target string) bool {
	p := strings.TrimSpace(pattern)
	if p == "" {
		return false
	}
	if strings.HasPrefix(p, "~") {
		p = l.expandHome(p)
	}
	return globRegexp(l.normalizeTarget(p)).MatchString(l.normalizeTarget(target))
}

// MatchAllowlist returns the first entry whose pattern (a path or path glob: patterns
// without a path separator or ~ never match, so a bare "rm" allows nothing) matches
// the resolved executable.
func (l *Lookup) MatchAllowlist(entries []AllowlistEntry, r *Resolution) *AllowlistEntry {
	if r == nil || r.ResolvedPath == "" {
		return nil
	}
	for i := range entries {
		p := strings.TrimSpace(entries[i].Pattern)
		if p == "" || !strings.ContainsAny(p, `/\~`) {
			continue
		}
		if l.matches(p, r.ResolvedPath) {
			return &entries[i]
		}
	}
	return nil
}

func (l *Lookup) candidate(r *Resolution) *Resolution {
	if r == nil || r.ResolvedPath != "" {
		return r
	}
	raw := strings.TrimSpace(r.RawExecutable)
	if strings.HasPrefix(raw, "~") {
		raw = l.expandHome(raw)
	}
	if !strings.ContainsAny(raw, `/\`) {
		return r
	}
	if !filepath.IsAbs(raw) {
		raw = filepath.Join(l.cwd(), raw)
	}
	c := *r
	c.ResolvedPath = raw
	return &c
}

func isPathLike(v string) bool {
	t := strings.TrimSpace(v)
	if t == "" || t == "-" {
		return false
	}
	if strings.HasPrefix(t, "./") || strings.HasPrefix(t, "../") || strings.HasPrefix(t, "~") || strings.HasPrefix(t, "/") {
		return true
	}
	return len(t) >= 3 && ((t[0] >= 'A' && t[0] <= 'Z') || (t[0] >= 'a' && t[0] <= 'z')) && t[1] == ':' && (t[2] == '\\' || t[2] == '/')
}

func (l *Lookup) exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// isSafeBinUsage reports whether seg runs a safe bin reading only stdin.
func (l *Lookup) isSafeBinUsage(seg Segment, safe map[string]bool) bool {
	r := seg.Resolution
	if len(safe) == 0 || r == nil || r.ResolvedPath == "" {
		return false
	}
	name := strings.ToLower(r.ExecutableName)
	if !safe[name] && !(l.goos() == "windows" && safe[strings.TrimSuffix(name, filepath.Ext(name))]) {
		return false
	}
	for _, tok := range seg.Argv[1:] {
		if tok == "" || tok == "-" {
			continue
		}
		if strings.HasPrefix(tok, "-") {
			if i := strings.IndexByte(tok, '='); i > 0 {
				v := tok[i+1:]
				if v != "" && (isPathLike(v) || l.exists(filepath.Join(l.cwd(), v))) {
					return false
				}
			}
			continue
		}
		if isPathLike(tok) || l.exists(filepath.Join(l.cwd(), tok)) {
			return false
		}
	}
	return true
}

// SafeBinSet normalizes a safe-bin list; nil means DefaultSafeBins.
func SafeBinSet(list []string) map[string]bool {
	if list == nil {
		list = DefaultSafeBins
	}
	out := map[string]bool{}
	for _, b := range list {
		if t := strings.ToLower(strings.TrimSpace(b)); t != "" {
			out[t] = true
		}
	}
	return out
}

// Evaluation is an allowlist check of an analysed command.
type Evaluation struct {
	Satisfied bool
	Matches   []AllowlistEntry
}

func (l *Lookup) evalSegments(segs []Segment, list []AllowlistEntry, safe map[string]bool) (bool, []AllowlistEntry) {
	var matches []AllowlistEntry
	for _, s := range segs {
		m := l.MatchAllowlist(list, l.candidate(s.Resolution))
		if m != nil {
			matches = append(matches, *m)
		}
		if m == nil && !l.isSafeBinUsage(s, safe) {
			return false, nil
		}
	}
	return true, matches
}

// Evaluate checks every segment (of every chain part) against the allowlist and the
// safe bins. An analysis that is not OK is never satisfied.
func (l *Lookup) Evaluate(a Analysis, list []AllowlistEntry, safe map[string]bool) Evaluation {
	if !a.OK || len(a.Segments) == 0 {
		return Evaluation{}
	}
	if len(a.Chains) > 0 {
		var all []AllowlistEntry
		for _, c := range a.Chains {
			ok, m := l.evalSegments(c, list, safe)
			if !ok {
				return Evaluation{}
			}
			all = append(all, m...)
		}
		return Evaluation{Satisfied: true, Matches: all}
	}
	ok, m := l.evalSegments(a.Segments, list, safe)
	return Evaluation{Satisfied: ok, Matches: m}
}
