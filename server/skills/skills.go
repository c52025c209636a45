// Package skills finds an agent's skills — folders holding a SKILL.md whose
// frontmatter names the skill, describes it and (under metadata.clawdbot) lists what
// it needs: binaries, env vars, truthy config paths, platforms, installers — decides
// which are eligible and why not, lists the eligible ones for the system prompt,
// edits skills.entries in the config file and runs installers.
//
// Sources, lowest precedence first (a later skill of the same name wins):
// skills.load.extraDirs, the managed folder (<state dir>/skills), the workspace's
// skills folder. The original also ships bundled skills; this gateway ships none.
package skills

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Source names, as the original reports them.
const (
	SourceWorkspace = "clawdbot-workspace"
	SourceManaged   = "clawdbot-managed"
	SourceExtra     = "clawdbot-extra"
	SourceBundled   = "clawdbot-bundled"
)

// Limits.
const (
	// MaxSkills bounds the skills read from one folder.
	MaxSkills = 500
	// MaxDepth bounds how deep below a skills folder a SKILL.md is looked for.
	MaxDepth = 4
	// MaxSkillFileBytes bounds the SKILL.md read for its frontmatter.
	MaxSkillFileBytes = 256 << 10
)

// FileName is the file that makes a folder a skill.
const FileName = "SKILL.md"

// Skill is one skill found on disk.
type Skill struct {
	Name        string // frontmatter name, else the folder's name
	Description string
	Source      string
	FilePath    string // …/SKILL.md
	BaseDir     string // its folder
	Frontmatter Frontmatter
	Meta        *Metadata // nil: no clawdbot metadata
	// UserInvocable (user-invocable, default true) and DisableModelInvocation
	// (disable-model-invocation, default false: true keeps it out of the prompt).
	UserInvocable, DisableModelInvocation bool
}

// Key is the skill's key under skills.entries: metadata skillKey, else its name.
func (s *Skill) Key() string {
	if s.Meta != nil && s.Meta.SkillKey != "" {
		return s.Meta.SkillKey
	}
	return s.Name
}

// Dirs are the folders skills come from.
type Dirs struct {
	Workspace string   // the agent workspace; skills live in <Workspace>/skills
	Managed   string   // <state dir>/skills
	Extra     []string // skills.load.extraDirs (~ already expanded)
}

// Load reads the skills of every source, merged by name (extra < managed <
// workspace) and sorted by name. A missing folder has no skills; a SKILL.md without
// a description is skipped, as the original's loader does.
func Load(ctx context.Context, d Dirs) ([]*Skill, error) {
	return load(ctx, d, func(ctx context.Context, dir, source string) ([]*Skill, error) {
		return loadDir(ctx, dir, source, nil)
	})
}

func load(ctx context.Context, d Dirs, read func(ctx context.Context, dir, source string) ([]*Skill, error)) ([]*Skill, error) {
	byName := map[string]*Skill{}
	add := func(dir, source string) error {
		if dir == "" {
			return nil
		}
		found, err := read(ctx, dir, source)
		if err != nil {
			return err
		}
		for _, s := range found {
			byName[s.Name] = s
		}
		return nil
	}
	for _, e := range d.Extra {
		if err := add(e, SourceExtra); err != nil {
			return nil, err
		}
	}
	if err := add(d.Managed, SourceManaged); err != nil {
		return nil, err
	}
	if d.Workspace != "" {
		if err := add(filepath.Join(d.Workspace, "skills"), SourceWorkspace); err != nil {
			return nil, err
		}
	}
	out := make([]*Skill, 0, len(byName))
	for _, s := range byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// scan is what reading one folder saw: every folder walked and every SKILL.md read,
// with the stat that tells whether it changed since (Cache).
type scan struct {
	stamps map[string]stamp
	parsed func(file string) // called per SKILL.md parsed (nil: none)
	full   bool              // more than MaxScanStamps paths: not cacheable
}

// loadDir finds SKILL.md files below dir (not in dir itself, not below a skill's
// own folder, not in hidden folders or node_modules), at most MaxDepth deep and
// MaxSkills in all. sc, when set, records what was looked at.
func loadDir(ctx context.Context, dir, source string, sc *scan) ([]*Skill, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			if sc != nil {
				sc.record(dir, st)
			}
			return nil, nil
		}
		return nil, fmt.Errorf("skills folder %s: %w", dir, err)
	}
	var out []*Skill
	var walk func(d string, depth int) error
	walk = func(d string, depth int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if sc != nil {
			fi, _ := os.Stat(d)
			sc.record(d, fi)
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			return nil // unreadable subfolder: skipped, like a missing one
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || name == "node_modules" {
				continue
			}
			sub := filepath.Join(d, name)
			if !isDir(e, sub) {
				continue
			}
			file := filepath.Join(sub, FileName)
			if fi, err := os.Stat(file); err == nil && fi.Mode().IsRegular() {
				if len(out) >= MaxSkills {
					return nil
				}
				if sc != nil {
					sc.record(file, fi)
					if sc.parsed != nil {
						sc.parsed(file)
					}
				}
				if s := readSkill(file, sub, source); s != nil {
					out = append(out, s)
				}
				continue
			}
			if depth+1 < MaxDepth {
				if err := walk(sub, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(dir, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func isDir(e fs.DirEntry, path string) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink != 0 {
		st, err := os.Stat(path)
		return err == nil && st.IsDir()
	}
	return false
}

func readSkill(file, dir, source string) *Skill {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	buf := make([]byte, MaxSkillFileBytes)
	n, _ := io.ReadFull(f, buf)
	fm := ParseFrontmatter(string(buf[:n]))
	desc := strings.TrimSpace(fm["description"])
	if desc == "" {
		return nil
	}
	name := strings.TrimSpace(fm["name"])
	if name == "" {
		name = filepath.Base(dir)
	}
	return &Skill{
		Name: name, Description: desc, Source: source, FilePath: file, BaseDir: dir, Frontmatter: fm,
		Meta:                   ParseMetadata(fm),
		UserInvocable:          parseBool(fm["user-invocable"], true),
		DisableModelInvocation: parseBool(fm["disable-model-invocation"], false),
	}
}
