package skills

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseFrontmatter(t *testing.T) {
	tests := []struct {
		name, in string
		want     Frontmatter
	}{
		{"none", "# title\n", Frontmatter{}},
		{"unterminated", "---\nname: x\n", Frontmatter{}},
		{"yaml scalars", "---\nname: github\ndescription: \"Use `gh`: issues, PRs.\"\nalways: true\nn: 3\n---\nbody", Frontmatter{"name": "github", "description": "Use `gh`: issues, PRs.", "always": "true", "n": "3"}},
		{"crlf", "---\r\nname: a\r\ndescription: b\r\n---\r\n", Frontmatter{"name": "a", "description": "b"}},
		{"json metadata kept raw", "---\nname: op\ndescription: d\nmetadata: {\"clawdbot\":{\"requires\":{\"bins\":[\"op\"]}}}\n---\n",
			Frontmatter{"name": "op", "description": "d", "metadata": `{"clawdbot":{"requires":{"bins":["op"]}}}`}},
		{"yaml object as json", "---\nname: a\ndescription: b\nmetadata:\n  clawdbot:\n    emoji: x\n---\n", Frontmatter{"name": "a", "description": "b", "metadata": `{"clawdbot":{"emoji":"x"}}`}},
		{"bad yaml falls back to lines", "---\nname: a\ndescription: 'quoted'\nmetadata: {clawdbot: {os: [darwin]}, }\n: broken: [\n---\n",
			Frontmatter{"name": "a", "description": "quoted", "metadata": "{clawdbot: {os: [darwin]}, }"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseFrontmatter(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestParseMetadata(t *testing.T) {
	yes := true
	two := 2
	tests := []struct {
		name, meta string
		want       *Metadata
	}{
		{"absent", "", nil},
		{"not json5", "{nope", nil},
		{"no clawdbot", `{"other":{}}`, nil},
		{"json5 with lists as strings", `{clawdbot: {always: true, skillKey: "k", primaryEnv: "API", emoji: "🔐", os: "darwin, linux", requires: {bins: ["op", " "], anyBins: "a,b", env: ["API"], config: ["browser.enabled"]}}}`,
			&Metadata{Always: true, SkillKey: "k", PrimaryEnv: "API", Emoji: "🔐", OS: []string{"darwin", "linux"}, Requires: Requires{Bins: []string{"op"}, AnyBins: []string{"a", "b"}, Env: []string{"API"}, Config: []string{"browser.enabled"}}}},
		{"install kinds", `{"clawdbot":{"install":[{"id":"b","kind":"brew","formula":"f","bins":["x"]},{"type":"NODE","package":"p"},{"kind":"apt"},{"kind":"download","url":"http://h/a.tgz","extract":true,"stripComponents":2,"targetDir":"~/t"}]}}`,
			&Metadata{Install: []InstallSpec{{ID: "b", Kind: "brew", Formula: "f", Bins: []string{"x"}}, {Kind: "node", Package: "p"}, {Kind: "download", URL: "http://h/a.tgz", Extract: &yes, StripComponents: &two, TargetDir: "~/t"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseMetadata(Frontmatter{"metadata": tc.meta})
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func host(bins ...string) Host {
	have := map[string]bool{}
	for _, b := range bins {
		have[b] = true
	}
	return Host{Platform: "linux", HasBin: func(b string) bool { return have[b] }, Getenv: func(k string) string {
		if k == "HOME_API" {
			return "set"
		}
		return ""
	}}
}

func TestEvaluate(t *testing.T) {
	f := false
	sk := func(md *Metadata) *Skill {
		return &Skill{Name: "s", Description: "d", Source: SourceWorkspace, Meta: md, Frontmatter: Frontmatter{}}
	}
	tree := map[string]any{"channels": map[string]any{"telegram": map[string]any{"botToken": "x"}}, "zero": 0.0}
	tests := []struct {
		name     string
		skill    *Skill
		cfg      Config
		host     Host
		eligible bool
		missing  Requirements
		disabled bool
	}{
		{"no metadata", sk(nil), Config{}, host(), true, Requirements{}, false},
		{"missing bin", sk(&Metadata{Requires: Requires{Bins: []string{"gh", "jq"}}}), Config{}, host("jq"), false, Requirements{Bins: []string{"gh"}}, false},
		{"bin on a node", sk(&Metadata{Requires: Requires{Bins: []string{"gh"}}}), Config{}, Host{Platform: "linux", HasBin: func(string) bool { return false }, Remote: &Remote{HasBin: func(b string) bool { return b == "gh" }}}, true, Requirements{}, false},
		{"anyBins none", sk(&Metadata{Requires: Requires{AnyBins: []string{"a", "b"}}}), Config{}, host(), false, Requirements{AnyBins: []string{"a", "b"}}, false},
		{"anyBins one", sk(&Metadata{Requires: Requires{AnyBins: []string{"a", "b"}}}), Config{}, host("b"), true, Requirements{}, false},
		{"env from process, entry env, apiKey", sk(&Metadata{PrimaryEnv: "KEY", Requires: Requires{Env: []string{"HOME_API", "E2", "KEY", "NOPE"}}}),
			Config{Entries: map[string]Entry{"s": {APIKey: "k", Env: map[string]string{"E2": "v"}}}}, host(), false, Requirements{Env: []string{"NOPE"}}, false},
		{"config paths", sk(&Metadata{Requires: Requires{Config: []string{"channels.telegram.botToken", "browser.enabled", "zero", "nope.x"}}}), Config{Tree: tree}, host(), false, Requirements{Config: []string{"zero", "nope.x"}}, false},
		{"os filter", sk(&Metadata{OS: []string{"darwin"}}), Config{}, host(), false, Requirements{OS: []string{"darwin"}}, false},
		{"os on a node", sk(&Metadata{OS: []string{"darwin"}}), Config{}, Host{Platform: "linux", Remote: &Remote{Platforms: []string{"darwin"}}}, true, Requirements{}, false},
		{"always ignores requirements", sk(&Metadata{Always: true, Requires: Requires{Bins: []string{"zz"}}}), Config{}, host(), true, Requirements{}, false},
		{"disabled", sk(nil), Config{Entries: map[string]Entry{"s": {Enabled: &f}}}, host(), false, Requirements{}, true},
		{"skillKey names the entry", sk(&Metadata{SkillKey: "other"}), Config{Entries: map[string]Entry{"other": {Enabled: &f}}}, host(), false, Requirements{}, true},
	}
	norm := func(r Requirements) Requirements {
		n := func(s []string) []string {
			if len(s) == 0 {
				return nil
			}
			return s
		}
		return Requirements{n(r.Bins), n(r.AnyBins), n(r.Env), n(r.Config), n(r.OS)}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := Evaluate(tc.skill, tc.cfg, tc.host)
			if st.Eligible != tc.eligible || st.Disabled != tc.disabled || !reflect.DeepEqual(norm(st.Missing), norm(tc.missing)) {
				t.Fatalf("eligible=%v disabled=%v missing=%+v; want %v %v %+v", st.Eligible, st.Disabled, st.Missing, tc.eligible, tc.disabled, tc.missing)
			}
		})
	}
}

func TestInstallOptions(t *testing.T) {
	specs := []InstallSpec{{Kind: KindGo, Module: "m"}, {Kind: KindBrew, Formula: "f", ID: "brew"}, {Kind: KindNode, Package: "p"}, {Kind: KindUV, Package: "u", OS: []string{"darwin"}}}
	s := &Skill{Name: "s", Meta: &Metadata{Install: specs}}
	tests := []struct {
		name string
		cfg  Config
		h    Host
		want []InstallOption
	}{
		{"brew preferred and present", Config{PreferBrew: true, NodeManager: "npm"}, host("brew"), []InstallOption{{ID: "brew", Kind: "brew", Label: "Install f (brew)", Bins: []string{}}}},
		{"brew absent: node (uv is darwin-only)", Config{PreferBrew: true, NodeManager: "pnpm"}, host(), []InstallOption{{ID: "node-2", Kind: "node", Label: "Install p (pnpm)", Bins: []string{}}}},
		{"uv first on darwin", Config{NodeManager: "npm"}, Host{Platform: "darwin"}, []InstallOption{{ID: "uv-3", Kind: "uv", Label: "Install u (uv)", Bins: []string{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := installOptions(s, tc.cfg, tc.h); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v want %+v", got, tc.want)
			}
		})
	}
	dl := &Skill{Name: "d", Meta: &Metadata{Install: []InstallSpec{{Kind: KindDownload, URL: "https://h/x/tool.tgz"}, {Kind: KindDownload, URL: "https://h/"}}}}
	got := installOptions(dl, Config{}, host())
	if len(got) != 2 || got[0].Label != "Download tool.tgz" || got[1].Label != "Download https://h/" || got[1].ID != "download-1" {
		t.Fatalf("downloads: %+v", got)
	}
}

func writeSkill(t *testing.T, dir, folder, body string) string {
	t.Helper()
	p := filepath.Join(dir, folder)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, FileName), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(p, FileName)
}

func TestLoadPrecedenceAndPrompt(t *testing.T) {
	root := t.TempDir()
	ws, managed, extra := filepath.Join(root, "ws"), filepath.Join(root, "managed"), filepath.Join(root, "extra")
	writeSkill(t, extra, "weather", "---\nname: weather\ndescription: extra weather\n---\n")
	writeSkill(t, managed, "weather", "---\nname: weather\ndescription: managed weather\n---\n")
	wsWeather := writeSkill(t, filepath.Join(ws, "skills"), "weather", "---\nname: weather\ndescription: workspace <weather> & more\n---\n")
	writeSkill(t, managed, "nested/deep", "---\ndescription: folder name is the name\n---\n")
	writeSkill(t, managed, "nodesc", "---\nname: nodesc\n---\n")
	writeSkill(t, managed, ".hidden", "---\nname: hidden\ndescription: x\n---\n")
	writeSkill(t, managed, "hiddenfrommodel", "---\nname: quiet\ndescription: q\ndisable-model-invocation: yes\n---\n")
	writeSkill(t, managed, "needs", "---\nname: needs\ndescription: n\nmetadata: {\"clawdbot\":{\"requires\":{\"bins\":[\"definitely-not-here\"]},\"install\":[{\"kind\":\"brew\",\"formula\":\"nh\",\"bins\":[\"nh\"]}]}}\n---\n")

	list, err := Load(context.Background(), Dirs{Workspace: ws, Managed: managed, Extra: []string{extra, filepath.Join(root, "missing")}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list {
		names = append(names, s.Name+"@"+s.Source)
	}
	want := []string{"deep@clawdbot-managed", "needs@clawdbot-managed", "quiet@clawdbot-managed", "weather@clawdbot-workspace"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("skills %v, want %v", names, want)
	}
	el := Eligible(list, Config{}, host())
	if len(el) != 3 {
		t.Fatalf("eligible %d", len(el))
	}
	p := Prompt(el, host())
	wantPrompt := "<available_skills>\n  <skill>\n    <name>deep</name>\n    <description>folder name is the name</description>\n    <location>" + filepath.Join(managed, "nested", "deep", FileName) + "</location>\n  </skill>\n" +
		"  <skill>\n    <name>weather</name>\n    <description>workspace &lt;weather&gt; &amp; more</description>\n    <location>" + wsWeather + "</location>\n  </skill>\n</available_skills>"
	if p != wantPrompt {
		t.Fatalf("prompt:\n%s\nwant:\n%s", p, wantPrompt)
	}
	if got := Prompt(nil, Host{Remote: &Remote{Note: " node mac has brew "}}); got != "node mac has brew" {
		t.Fatalf("remote note only: %q", got)
	}
	if got := Bins(list); !reflect.DeepEqual(got, []string{"definitely-not-here", "nh"}) {
		t.Fatalf("bins %v", got)
	}
}

func TestConfigFrom(t *testing.T) {
	tree := map[string]any{"skills": map[string]any{
		"allowBundled": []any{"a"},
		"load":         map[string]any{"extraDirs": []any{"~/x"}},
		"install":      map[string]any{"preferBrew": false, "nodeManager": "Bun"},
		"entries":      map[string]any{"w": map[string]any{"enabled": false, "apiKey": "k", "env": map[string]any{"A": "1"}}, "bad": "x"},
	}}
	c := ConfigFrom(tree)
	if c.PreferBrew || c.NodeManager != "bun" || !reflect.DeepEqual(c.ExtraDirs, []string{"~/x"}) || !reflect.DeepEqual(c.AllowBundled, []string{"a"}) {
		t.Fatalf("config %+v", c)
	}
	e := c.Entries["w"]
	if e.Enabled == nil || *e.Enabled || e.APIKey != "k" || e.Env["A"] != "1" || len(c.Entries) != 1 {
		t.Fatalf("entries %+v", c.Entries)
	}
	if d := ConfigFrom(nil); !d.PreferBrew || d.NodeManager != "npm" {
		t.Fatalf("defaults %+v", d)
	}
}
