package skills

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/titanous/json5"
)

// Frontmatter is a SKILL.md header as flat strings (objects and lists as JSON).
type Frontmatter map[string]string

var lineKey = regexp.MustCompile(`^([\w-]+):\s*(.*)$`)

// ParseFrontmatter reads the "---" block at the start of content, as the original:
// YAML first (scalars as strings, objects and lists as JSON); where the YAML does not
// parse, a line reader ("key: value", indented continuation lines, quotes stripped)
// stands in; and a line whose raw value starts with { or [ keeps that raw text, so a
// JSON5 metadata object survives YAML's reading of it. No block: empty.
func ParseFrontmatter(content string) Frontmatter {
	s := strings.ReplaceAll(strings.ReplaceAll(content, "\r\n", "\n"), "\r", "\n")
	if !strings.HasPrefix(s, "---") {
		return Frontmatter{}
	}
	end := strings.Index(s[3:], "\n---")
	if end < 0 {
		return Frontmatter{}
	}
	end += 3
	block := ""
	if end > 4 {
		block = s[4:end]
	}
	lines := lineFrontmatter(block)
	y, ok := yamlFrontmatter(block)
	if !ok {
		return lines
	}
	for k, v := range lines {
		if strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") {
			y[k] = v
		}
	}
	return y
}

func yamlFrontmatter(block string) (Frontmatter, bool) {
	var m map[string]any
	if err := yaml.Unmarshal([]byte(block), &m); err != nil || m == nil {
		return nil, false
	}
	out := Frontmatter{}
	for k, v := range m {
		k = strings.TrimSpace(k)
		if k == "" || v == nil {
			continue
		}
		switch x := v.(type) {
		case string:
			out[k] = strings.TrimSpace(x)
		case bool:
			out[k] = strconv.FormatBool(x)
		case int, int64, uint64, float64:
			out[k] = fmt.Sprint(x)
		default:
			b, err := json.Marshal(x)
			if err != nil {
				continue
			}
			out[k] = string(b)
		}
	}
	return out, true
}

func lineFrontmatter(block string) Frontmatter {
	out := Frontmatter{}
	lines := strings.Split(block, "\n")
	for i := 0; i < len(lines); i++ {
		m := lineKey.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		key, inline := m[1], strings.TrimSpace(m[2])
		if inline == "" && i+1 < len(lines) && isIndented(lines[i+1]) {
			var vals []string
			j := i + 1
			for ; j < len(lines); j++ {
				if lines[j] != "" && !isIndented(lines[j]) {
					break
				}
				vals = append(vals, lines[j])
			}
			if v := strings.TrimSpace(strings.Join(vals, "\n")); v != "" {
				out[key] = v
			}
			i = j - 1
			continue
		}
		if len(inline) >= 2 && (inline[0] == '"' && inline[len(inline)-1] == '"' || inline[0] == '\'' && inline[len(inline)-1] == '\'') {
			inline = inline[1 : len(inline)-1]
		}
		if inline != "" {
			out[key] = inline
		}
	}
	return out
}

func isIndented(l string) bool { return strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") }

// Installer kinds.
const (
	KindBrew     = "brew"
	KindNode     = "node"
	KindGo       = "go"
	KindUV       = "uv"
	KindDownload = "download"
)

// InstallSpec is one way to install what a skill needs (metadata.clawdbot.install[]).
type InstallSpec struct {
	ID, Kind, Label string
	Bins, OS        []string
	Formula         string // brew
	Package         string // node, uv
	Module          string // go
	URL, Archive    string // download
	Extract         *bool
	StripComponents *int
	TargetDir       string
}

// Requires are a skill's requirements (metadata.clawdbot.requires).
type Requires struct {
	Bins, AnyBins, Env, Config []string
}

// Metadata is the clawdbot part of a skill's metadata frontmatter.
type Metadata struct {
	Always     bool
	SkillKey   string
	PrimaryEnv string
	Emoji      string
	Homepage   string
	OS         []string
	Requires   Requires
	Install    []InstallSpec
}

// ParseMetadata reads the metadata frontmatter value (JSON5) and returns its
// "clawdbot" object; nil when absent or unreadable (the skill then has no
// requirements, as in the original). Lists may be arrays or comma-separated strings;
// install entries of an unknown kind are dropped.
func ParseMetadata(fm Frontmatter) *Metadata {
	raw, ok := fm["metadata"]
	if !ok || raw == "" {
		return nil
	}
	var top map[string]any
	if err := json5.Unmarshal([]byte(raw), &top); err != nil {
		return nil
	}
	cb, ok := top["clawdbot"].(map[string]any)
	if !ok {
		return nil
	}
	md := &Metadata{
		SkillKey:   str(cb["skillKey"]),
		PrimaryEnv: str(cb["primaryEnv"]),
		Emoji:      str(cb["emoji"]),
		Homepage:   str(cb["homepage"]),
		OS:         list(cb["os"]),
	}
	if b, ok := cb["always"].(bool); ok {
		md.Always = b
	}
	if req, ok := cb["requires"].(map[string]any); ok {
		md.Requires = Requires{Bins: list(req["bins"]), AnyBins: list(req["anyBins"]), Env: list(req["env"]), Config: list(req["config"])}
	}
	if inst, ok := cb["install"].([]any); ok {
		for _, e := range inst {
			if s, ok := parseInstall(e); ok {
				md.Install = append(md.Install, s)
			}
		}
	}
	return md
}

func parseInstall(v any) (InstallSpec, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return InstallSpec{}, false
	}
	kind := str(m["kind"])
	if kind == "" {
		kind = str(m["type"])
	}
	kind = strings.ToLower(strings.TrimSpace(kind))
	switch kind {
	case KindBrew, KindNode, KindGo, KindUV, KindDownload:
	default:
		return InstallSpec{}, false
	}
	s := InstallSpec{Kind: kind, ID: str(m["id"]), Label: str(m["label"]), Bins: list(m["bins"]), OS: list(m["os"]),
		Formula: str(m["formula"]), Package: str(m["package"]), Module: str(m["module"]), URL: str(m["url"]),
		Archive: str(m["archive"]), TargetDir: str(m["targetDir"])}
	if b, ok := m["extract"].(bool); ok {
		s.Extract = &b
	}
	if f, ok := m["stripComponents"].(float64); ok {
		n := int(f)
		s.StripComponents = &n
	}
	return s, true
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// list reads an array (each element as text) or a comma-separated string,
// trimmed, blanks dropped.
func list(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			var s string
			switch y := e.(type) {
			case string:
				s = y
			case nil:
				continue
			default:
				s = fmt.Sprint(y)
			}
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case string:
		for _, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseBool reads true/1/yes/on and false/0/no/off (any case); else def.
func parseBool(s string, def bool) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true
	case "false", "0", "no", "off":
		return false
	}
	return def
}
