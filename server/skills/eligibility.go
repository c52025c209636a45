package skills

import (
	"html"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// Entry is skills.entries.<key> of the config file.
type Entry struct {
	Enabled *bool
	APIKey  string
	Env     map[string]string
}

// Config is what the skills read from the config file.
type Config struct {
	Entries      map[string]Entry
	AllowBundled []string // skills.allowBundled (only bundled skills, of which there are none here)
	ExtraDirs    []string // skills.load.extraDirs
	PreferBrew   bool     // skills.install.preferBrew (default true)
	NodeManager  string   // skills.install.nodeManager: npm (default), pnpm, yarn, bun
	// Tree is the whole effective config document, for requires.config paths.
	Tree any
}

// ConfigFrom reads the skills settings from an effective config document
// (config.File.Parsed).
func ConfigFrom(tree any) Config {
	c := Config{Entries: map[string]Entry{}, PreferBrew: true, NodeManager: "npm", Tree: tree}
	sk, _ := lookup(tree, "skills").(map[string]any)
	if sk == nil {
		return c
	}
	c.AllowBundled = list(sk["allowBundled"])
	if ld, ok := sk["load"].(map[string]any); ok {
		c.ExtraDirs = list(ld["extraDirs"])
	}
	if in, ok := sk["install"].(map[string]any); ok {
		if b, ok := in["preferBrew"].(bool); ok {
			c.PreferBrew = b
		}
		switch m := strings.ToLower(strings.TrimSpace(str(in["nodeManager"]))); m {
		case "npm", "pnpm", "yarn", "bun":
			c.NodeManager = m
		}
	}
	if es, ok := sk["entries"].(map[string]any); ok {
		for k, v := range es {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			e := Entry{APIKey: str(m["apiKey"])}
			if b, ok := m["enabled"].(bool); ok {
				e.Enabled = &b
			}
			if env, ok := m["env"].(map[string]any); ok {
				e.Env = map[string]string{}
				for ek, ev := range env {
					if s, ok := ev.(string); ok {
						e.Env[ek] = s
					}
				}
			}
			c.Entries[k] = e
		}
	}
	return c
}

// lookup walks a dotted path through nested objects; nil when absent.
func lookup(tree any, path string) any {
	cur := tree
	for _, part := range strings.Split(path, ".") {
		if part == "" {
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur, ok = m[part]
		if !ok {
			return nil
		}
	}
	return cur
}

// configDefaults are config paths the original treats as true when unset.
var configDefaults = map[string]bool{"browser.enabled": true}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case int:
		return x != 0
	case string:
		return strings.TrimSpace(x) != ""
	}
	return true
}

// Host is the machine the skills are judged on (injectable for tests).
type Host struct {
	// Platform is the original's process.platform name: darwin, linux, win32, …
	Platform string
	// HasBin reports an executable on PATH.
	HasBin func(name string) bool
	// Getenv reads the gateway's environment.
	Getenv func(name string) string
	// Remote, when set, adds what connected node hosts offer (their platforms and
	// binaries), as the original's remote eligibility; nil: this machine only.
	Remote *Remote
}

// Remote is what node hosts offer.
type Remote struct {
	Platforms []string
	HasBin    func(name string) bool
	Note      string // a line for the prompt (which node has which tools)
}

// LocalHost is this machine.
func LocalHost() Host {
	return Host{Platform: Platform(runtime.GOOS), HasBin: func(b string) bool { _, err := exec.LookPath(b); return err == nil }, Getenv: os.Getenv}
}

// Platform maps a GOOS to the original's platform name (windows → win32).
func Platform(goos string) string {
	if goos == "windows" {
		return "win32"
	}
	return goos
}

func (h Host) hasBin(b string) bool {
	if h.HasBin != nil && h.HasBin(b) {
		return true
	}
	return h.Remote != nil && h.Remote.HasBin != nil && h.Remote.HasBin(b)
}

func (h Host) osOK(list []string) bool {
	if len(list) == 0 || contains(list, h.Platform) {
		return true
	}
	if h.Remote != nil {
		for _, p := range h.Remote.Platforms {
			if contains(list, p) {
				return true
			}
		}
	}
	return false
}

func (h Host) getenv(k string) string {
	if h.Getenv == nil {
		return ""
	}
	return h.Getenv(k)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// ConfigCheck is one required config path and whether it holds.
type ConfigCheck struct {
	Path      string
	Value     any  // nil when unset
	Set       bool // the path exists in the config
	Satisfied bool
}

// Status is one skill's eligibility and why.
type Status struct {
	Skill              *Skill
	Key                string
	Always             bool
	Disabled           bool
	BlockedByAllowlist bool
	Eligible           bool
	Requirements       Requirements
	Missing            Requirements
	ConfigChecks       []ConfigCheck
	Install            []InstallOption
	Emoji, Homepage    string
}

// Requirements lists bins, anyBins, env, config and os (also used for what is missing).
type Requirements struct {
	Bins, AnyBins, Env, Config, OS []string
}

// InstallOption is an installer offered for a skill.
type InstallOption struct {
	ID, Kind, Label string
	Bins            []string
}

// Evaluate judges one skill as the original does: disabled by
// skills.entries.<key>.enabled=false; blocked by skills.allowBundled (bundled only);
// else eligible when metadata always is set or nothing is missing — every bin on
// PATH (here or on a node), one of anyBins, every env var set (environment,
// skills.entries.<key>.env, or apiKey for primaryEnv), every config path truthy,
// and the platform listed (when os is given).
func Evaluate(s *Skill, c Config, h Host) Status {
	key := s.Key()
	entry := c.Entries[key]
	st := Status{Skill: s, Key: key}
	st.Disabled = entry.Enabled != nil && !*entry.Enabled
	st.BlockedByAllowlist = s.Source == SourceBundled && len(c.AllowBundled) > 0 && !contains(c.AllowBundled, key) && !contains(c.AllowBundled, s.Name)
	md := s.Meta
	if md == nil {
		md = &Metadata{}
	}
	st.Always = md.Always
	st.Emoji = md.Emoji
	if st.Emoji == "" {
		st.Emoji = s.Frontmatter["emoji"]
	}
	st.Homepage = firstNonEmpty(md.Homepage, s.Frontmatter["homepage"], s.Frontmatter["website"], s.Frontmatter["url"])
	r := md.Requires
	st.Requirements = Requirements{Bins: nonNil(r.Bins), AnyBins: nonNil(r.AnyBins), Env: nonNil(r.Env), Config: nonNil(r.Config), OS: nonNil(md.OS)}
	miss := Requirements{Bins: []string{}, AnyBins: []string{}, Env: []string{}, Config: []string{}, OS: []string{}}
	for _, b := range r.Bins {
		if !h.hasBin(b) {
			miss.Bins = append(miss.Bins, b)
		}
	}
	if len(r.AnyBins) > 0 {
		found := false
		for _, b := range r.AnyBins {
			if h.hasBin(b) {
				found = true
				break
			}
		}
		if !found {
			miss.AnyBins = append(miss.AnyBins, r.AnyBins...)
		}
	}
	if !h.osOK(md.OS) {
		miss.OS = append(miss.OS, md.OS...)
	}
	for _, e := range r.Env {
		if h.getenv(e) != "" || entry.Env[e] != "" || (entry.APIKey != "" && md.PrimaryEnv == e) {
			continue
		}
		miss.Env = append(miss.Env, e)
	}
	st.ConfigChecks = []ConfigCheck{}
	for _, p := range r.Config {
		v := lookup(c.Tree, p)
		ok := truthy(v)
		if v == nil {
			if d, known := configDefaults[p]; known {
				ok = d
			}
		}
		st.ConfigChecks = append(st.ConfigChecks, ConfigCheck{Path: p, Value: v, Set: v != nil, Satisfied: ok})
		if !ok {
			miss.Config = append(miss.Config, p)
		}
	}
	if st.Always {
		miss = Requirements{Bins: []string{}, AnyBins: []string{}, Env: []string{}, Config: []string{}, OS: []string{}}
	}
	st.Missing = miss
	st.Eligible = !st.Disabled && !st.BlockedByAllowlist &&
		len(miss.Bins)+len(miss.AnyBins)+len(miss.Env)+len(miss.Config)+len(miss.OS) == 0
	st.Install = installOptions(s, c, h)
	return st
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// InstallID is a spec's id: its own, else <kind>-<index>.
func InstallID(s InstallSpec, i int) string {
	if s.ID != "" {
		return strings.TrimSpace(s.ID)
	}
	return s.Kind + "-" + strconv.Itoa(i)
}

// installOptions are the installers offered for this platform: every download when
// all are downloads, else the preferred one (brew when preferred and on PATH, then
// uv, node, brew, go, else the first).
func installOptions(s *Skill, c Config, h Host) []InstallOption {
	out := []InstallOption{}
	if s.Meta == nil {
		return out
	}
	type indexed struct {
		spec InstallSpec
		i    int
	}
	var fit []indexed
	for i, sp := range s.Meta.Install {
		if len(sp.OS) == 0 || contains(sp.OS, h.Platform) {
			fit = append(fit, indexed{sp, i})
		}
	}
	if len(fit) == 0 {
		return out
	}
	opt := func(x indexed) InstallOption {
		sp := x.spec
		label := strings.TrimSpace(sp.Label)
		if sp.Kind == KindNode && sp.Package != "" {
			label = "Install " + sp.Package + " (" + c.NodeManager + ")"
		}
		if label == "" {
			switch {
			case sp.Kind == KindBrew && sp.Formula != "":
				label = "Install " + sp.Formula + " (brew)"
			case sp.Kind == KindGo && sp.Module != "":
				label = "Install " + sp.Module + " (go)"
			case sp.Kind == KindUV && sp.Package != "":
				label = "Install " + sp.Package + " (uv)"
			case sp.Kind == KindDownload && sp.URL != "":
				u := strings.TrimSpace(sp.URL)
				last := u[strings.LastIndex(u, "/")+1:]
				if last == "" {
					last = u
				}
				label = "Download " + last
			default:
				label = "Run installer"
			}
		}
		return InstallOption{ID: InstallID(sp, x.i), Kind: sp.Kind, Label: label, Bins: nonNil(sp.Bins)}
	}
	allDownloads := true
	for _, x := range fit {
		if x.spec.Kind != KindDownload {
			allDownloads = false
		}
	}
	if allDownloads {
		for _, x := range fit {
			out = append(out, opt(x))
		}
		return out
	}
	find := func(kind string) *indexed {
		for i := range fit {
			if fit[i].spec.Kind == kind {
				return &fit[i]
			}
		}
		return nil
	}
	var pick *indexed
	if b := find(KindBrew); c.PreferBrew && b != nil && h.HasBin != nil && h.HasBin("brew") {
		pick = b
	}
	for _, k := range []string{KindUV, KindNode, KindBrew, KindGo} {
		if pick == nil {
			pick = find(k)
		}
	}
	if pick == nil {
		pick = &fit[0]
	}
	return append(out, opt(*pick))
}

// Eligible evaluates every skill and returns the eligible ones.
func Eligible(list []*Skill, c Config, h Host) []*Skill {
	var out []*Skill
	for _, s := range list {
		if Evaluate(s, c, h).Eligible {
			out = append(out, s)
		}
	}
	return out
}

// Prompt is the eligible skills' listing for the system prompt: the remote note
// (when nodes add tools), then an <available_skills> block with each skill's name,
// description and SKILL.md location, in name order; skills with
// disable-model-invocation are left out. No skills: "".
func Prompt(eligible []*Skill, h Host) string {
	var shown []*Skill
	for _, s := range eligible {
		if !s.DisableModelInvocation {
			shown = append(shown, s)
		}
	}
	sort.Slice(shown, func(i, j int) bool { return shown[i].Name < shown[j].Name })
	var b strings.Builder
	if h.Remote != nil && strings.TrimSpace(h.Remote.Note) != "" {
		b.WriteString(strings.TrimSpace(h.Remote.Note))
		b.WriteString("\n")
	}
	if len(shown) == 0 {
		return strings.TrimSpace(b.String())
	}
	b.WriteString("<available_skills>\n")
	for _, s := range shown {
		b.WriteString("  <skill>\n")
		b.WriteString("    <name>" + html.EscapeString(s.Name) + "</name>\n")
		b.WriteString("    <description>" + html.EscapeString(s.Description) + "</description>\n")
		b.WriteString("    <location>" + html.EscapeString(s.FilePath) + "</location>\n")
		b.WriteString("  </skill>\n")
	}
	b.WriteString("</available_skills>")
	return b.String()
}

// Bins lists every binary the skills mention (requires.bins, requires.anyBins,
// install[].bins), sorted and unique: what a node host reports it has.
func Bins(list []*Skill) []string {
	set := map[string]bool{}
	for _, s := range list {
		if s.Meta == nil {
			continue
		}
		for _, b := range append(append([]string{}, s.Meta.Requires.Bins...), s.Meta.Requires.AnyBins...) {
			set[strings.TrimSpace(b)] = true
		}
		for _, in := range s.Meta.Install {
			for _, b := range in.Bins {
				set[strings.TrimSpace(b)] = true
			}
		}
	}
	delete(set, "")
	out := make([]string, 0, len(set))
	for b := range set {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}
