package config

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The agent workspace's bootstrap files, written by `clawdbot setup` (the same
// file names the original uses; the text is this gateway's own).
//
//go:embed templates/*.md
var templates embed.FS

// BootstrapFiles are the workspace files setup creates when missing; BOOTSTRAP.md
// (first-run instructions) only in a brand-new workspace.
var BootstrapFiles = []string{"AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md", "HEARTBEAT.md"}

// FirstRunFile is written only into a workspace that has none of BootstrapFiles.
const FirstRunFile = "BOOTSTRAP.md"

// EnsureWorkspace creates dir (0755) and the bootstrap files it lacks (0644),
// never overwriting a file. It returns the files it wrote.
func EnsureWorkspace(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("workspace %s: %w", dir, err)
	}
	brandNew := true
	// Runs call this every time: files seen here are not opened again (an exclusive
	// create would only fail on them), so a complete workspace costs one stat a file.
	exists := make(map[string]bool, len(BootstrapFiles)+1)
	for _, name := range append([]string{FirstRunFile}, BootstrapFiles...) {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			brandNew = false
			exists[name] = true
		}
	}
	names := BootstrapFiles
	if brandNew {
		names = append(append([]string{}, BootstrapFiles...), FirstRunFile)
	}
	var wrote []string
	for _, name := range names {
		if exists[name] {
			continue
		}
		body, err := templates.ReadFile("templates/" + name)
		if err != nil {
			return wrote, err
		}
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return wrote, fmt.Errorf("workspace %s: %w", name, err)
		}
		_, werr := f.Write(body)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return wrote, fmt.Errorf("workspace %s: %w", name, werr)
		}
		wrote = append(wrote, name)
	}
	return wrote, nil
}
