package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/tools/schemacheck/check"
)

const validDir = "testdata/valid"

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestRealSchema lints the repository's schema directory. While the method
// and event files named by the manifest are still being written it skips.
func TestRealSchema(t *testing.T) {
	const dir = "../../schema"
	files, err := check.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if data, ok := files[check.ManifestFile]; ok {
		if m, err := check.ParseManifest(data); err == nil {
			var missing []string
			for _, me := range m.Methods {
				if files[me.Schema] == nil {
					missing = append(missing, me.Schema)
				}
			}
			for _, ev := range m.Events {
				if files[ev.Schema] == nil {
					missing = append(missing, ev.Schema)
				}
			}
			if len(missing) > 0 {
				t.Skipf("%d schema files named by the manifest do not exist yet (first: %s)", len(missing), missing[0])
			}
		}
	}
	for _, p := range check.Lint(files) {
		t.Error(p)
	}
}

func TestLintCommand(t *testing.T) {
	if code, out, errs := runCLI(t, "lint", "-dir", validDir); code != 0 || out != "" {
		t.Errorf("valid dir: code %d, stdout %q, stderr %q", code, out, errs)
	}

	dir := t.TempDir()
	copyDir(t, validDir, dir)
	p := filepath.Join(dir, "defs.json")
	data, _ := os.ReadFile(p)
	data = bytes.Replace(data, []byte(`"minLength": 1, "maxLength": 64`), []byte(`"minLength": 1, "maxLength": 64, "format": "email"`), 1)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "lint", "-dir", dir)
	want := `defs.json: /$defs/Name/format: keyword "format" is not in the dialect` + "\n"
	if code != 1 || out != want {
		t.Errorf("code %d, stdout %q; want 1, %q", code, out, want)
	}

	if code, _, _ := runCLI(t, "lint", "-dir", filepath.Join(dir, "nope")); code != 2 {
		t.Errorf("missing dir: code %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "lint", "extra"); code != 2 {
		t.Errorf("extra argument: code %d, want 2", code)
	}
	if code, _, _ := runCLI(t); code != 2 {
		t.Errorf("no command: code %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "frobnicate"); code != 2 {
		t.Errorf("unknown command: code %d, want 2", code)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	args = append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBreakingCommand(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	schema := filepath.Join(repo, "schema")
	git(t, repo, "init", "-q")
	copyDir(t, validDir, schema)
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "schemas")

	// A single commit: HEAD~1 does not exist.
	code, out, errs := runCLI(t, "breaking", "-dir", schema, "-against", "HEAD~1")
	if code != 0 || !strings.Contains(out, "nothing to compare") {
		t.Errorf("single commit: code %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, _ = runCLI(t, "breaking", "-dir", schema, "-against", "")
	if code != 0 || !strings.Contains(out, "no ref given: nothing to compare") {
		t.Errorf("empty ref: code %d, stdout %q", code, out)
	}
	if code, _, _ := runCLI(t, "breaking", "-dir", schema); code != 2 {
		t.Errorf("no -against: code %d, want 2", code)
	}

	// Unchanged working tree.
	code, out, _ = runCLI(t, "breaking", "-dir", schema, "-against", "HEAD")
	if code != 0 || !strings.Contains(out, "no breaking changes against HEAD") {
		t.Errorf("unchanged: code %d, stdout %q", code, out)
	}

	// A breaking change in the working tree.
	thing := filepath.Join(schema, "methods", "thing.do.json")
	editFile(t, thing, `"code": {"type": "string", "pattern": "^[a-z]+$"},`, "")
	editFile(t, thing, `"count": {"type": "integer", "minimum": 0, "maximum": 100}`, `"count": {"type": "integer", "minimum": 0, "maximum": 10}`)
	want := "methods/thing.do.json#/$defs/params/properties/code: property removed\n" +
		"methods/thing.do.json#/$defs/params/properties/count: maximum decreased from 100 to 10\n"
	code, out, errs = runCLI(t, "breaking", "-dir", schema, "-against", "HEAD")
	if code != 1 || out != want || !strings.Contains(errs, "2 breaking change(s) against HEAD") {
		t.Errorf("breaking: code %d, stdout %q, stderr %q; want 1, %q", code, out, errs, want)
	}

	// -allow-version-bump only helps when protocol.max went up.
	code, _, errs = runCLI(t, "breaking", "-dir", schema, "-against", "HEAD", "-allow-version-bump")
	if code != 1 || !strings.Contains(errs, "does not apply") {
		t.Errorf("no bump: code %d, stderr %q", code, errs)
	}
	editFile(t, filepath.Join(schema, "manifest.json"), `"max": 3`, `"max": 4`)
	code, out, _ = runCLI(t, "breaking", "-dir", schema, "-against", "HEAD", "-allow-version-bump")
	if code != 0 || !strings.Contains(out, "warning: methods/thing.do.json#/$defs/params/properties/code: property removed") ||
		!strings.Contains(out, "protocol.max raised from 3 to 4") {
		t.Errorf("bump: code %d, stdout %q", code, out)
	}

	// A ref that does not resolve in a repository with history is an error.
	git(t, repo, "commit", "-q", "-am", "second")
	if code, _, errs := runCLI(t, "breaking", "-dir", schema, "-against", "no-such-ref"); code != 2 || !strings.Contains(errs, "does not resolve") {
		t.Errorf("bad ref: code %d, stderr %q", code, errs)
	}
	// Against the first commit the committed change is still breaking.
	if code, out, _ := runCLI(t, "breaking", "-dir", schema, "-against", "HEAD~1"); code != 1 || !strings.Contains(out, "property removed") {
		t.Errorf("HEAD~1: code %d, stdout %q", code, out)
	}
}

func TestBreakingCommandNoSchemaAtRef(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	git(t, repo, "init", "-q")
	if err := os.WriteFile(filepath.Join(repo, "README"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "first")
	schema := filepath.Join(repo, "schema")
	copyDir(t, validDir, schema)
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "schemas")
	code, out, errs := runCLI(t, "breaking", "-dir", schema, "-against", "HEAD~1")
	if code != 0 || !strings.Contains(out, "HEAD~1 has no schema directory: nothing to compare") {
		t.Errorf("code %d, stdout %q, stderr %q", code, out, errs)
	}
	// Outside any repository.
	if code, _, _ := runCLI(t, "breaking", "-dir", t.TempDir(), "-against", "HEAD"); code != 2 {
		t.Errorf("outside a repository: code %d, want 2", code)
	}
}
