package check

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/clawgate/gateway/tools/protogen/model"
)

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return out.String(), nil
}

// LoadGit reads the .json files of the schema directory dir as they are at
// the git ref, from the repository that contains dir: it extracts that tree into
// a temporary directory and reads it back with the model's reader, exactly as the
// working tree is read. When there is nothing to compare against (empty ref, a ref
// that does not resolve in a repository with a single commit, or no schema
// directory at ref) it returns nil files and the reason.
func LoadGit(dir, ref string) (files Files, nothing string, err error) {
	if ref == "" {
		return nil, "no ref given", nil
	}
	top, err := git(dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, "", err
	}
	top = strings.TrimSpace(top)
	rel, err := relTo(top, dir)
	if err != nil {
		return nil, "", err
	}
	commit, err := git(top, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		count, cerr := git(top, "rev-list", "--count", "HEAD")
		n, _ := strconv.Atoi(strings.TrimSpace(count))
		if cerr != nil || n <= 1 {
			return nil, fmt.Sprintf("ref %q does not resolve and the repository has %d commit(s)", ref, n), nil
		}
		return nil, "", fmt.Errorf("ref %q does not resolve to a commit", ref)
	}
	commit = strings.TrimSpace(commit)
	list, err := git(top, "ls-tree", "-r", "-z", "--name-only", commit, "--", rel)
	if err != nil {
		return nil, "", err
	}
	prefix := rel + "/"
	if rel == "." {
		prefix = ""
	}
	tmp, err := os.MkdirTemp("", "schemacheck-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(tmp)
	n := 0
	for name := range strings.SplitSeq(list, "\x00") {
		if !strings.HasSuffix(name, ".json") || !strings.HasPrefix(name, prefix) {
			continue
		}
		data, err := git(top, "cat-file", "blob", commit+":"+name)
		if err != nil {
			return nil, "", err
		}
		dst := filepath.Join(tmp, filepath.FromSlash(strings.TrimPrefix(name, prefix)))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, "", err
		}
		if err := os.WriteFile(dst, []byte(data), 0o644); err != nil {
			return nil, "", err
		}
		n++
	}
	if n == 0 {
		return nil, fmt.Sprintf("%s has no %s directory", ref, rel), nil
	}
	files, err = model.ReadDir(tmp)
	if err != nil {
		return nil, "", err
	}
	return files, "", nil
}

// relTo returns dir relative to the repository root top, slash-separated.
func relTo(top, dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if real, err := filepath.EvalSymlinks(top); err == nil {
		top = real
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is not inside the repository %s", dir, top)
	}
	return filepath.ToSlash(rel), nil
}
