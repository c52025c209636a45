package skills

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/config"
)

// Install limits.
const (
	DefaultInstallTimeout = 300 * time.Second
	MinInstallTimeout     = time.Second
	MaxInstallTimeout     = 900 * time.Second
	// MaxInstallOutput caps the stdout and stderr kept from an installer (each).
	MaxInstallOutput = 64 << 10
	// MaxDownloadBytes caps a download installer's file.
	MaxDownloadBytes = 512 << 20
	// maxSummary caps the failure line taken from an installer's output.
	maxSummary = 200
)

// InstallResult is what an installer did (skills.install's result).
type InstallResult struct {
	OK      bool
	Message string
	Stdout  string
	Stderr  string
	Code    *int // exit code; nil when it did not run or was killed
}

func failed(msg string) InstallResult { return InstallResult{Message: msg} }

// Installer runs skill installers. Its zero value uses this machine's PATH and
// environment; set ToolsDir for download installers.
type Installer struct {
	// HasBin reports a program on PATH (default exec.LookPath).
	HasBin func(name string) bool
	// Env is the installers' environment (default os.Environ()); the program is
	// looked up on this PATH by exec.
	Env []string
	// ToolsDir is where a download without targetDir goes: <ToolsDir>/<skillKey>
	// (the original's <state dir>/tools).
	ToolsDir string
	// Home expands ~ in a download's targetDir.
	Home string
	// HTTP fetches downloads (default a client without its own timeout; the
	// install timeout bounds it).
	HTTP *http.Client
	// MaxDownload caps a download (≤0: MaxDownloadBytes).
	MaxDownload int64
}

func (in *Installer) hasBin(b string) bool {
	if in.HasBin != nil {
		return in.HasBin(b)
	}
	_, err := in.lookPath(b)
	return err == nil
}

// lookPath finds a program on the installers' PATH (Env's, else the gateway's).
func (in *Installer) lookPath(name string) (string, error) {
	for _, kv := range in.Env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			return lookPathIn(name, p)
		}
	}
	return exec.LookPath(name)
}

// ClampTimeout applies the default (0) and bounds to a requested timeout.
func ClampTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultInstallTimeout
	}
	return min(max(d, MinInstallTimeout), MaxInstallTimeout)
}

// Install runs the installer installID of the skill called name among list. The
// installer's tool must be on PATH (brew for brew; npm, pnpm, yarn or bun per
// skills.install.nodeManager for node; go and uv, each installed through brew
// first when missing and brew is there, as the original does); otherwise it fails
// with a message naming what is missing and runs nothing. The whole install,
// downloads included, is bounded by timeout (see ClampTimeout).
func (in *Installer) Install(ctx context.Context, list []*Skill, c Config, name, installID string, timeout time.Duration) InstallResult {
	var s *Skill
	for _, x := range list {
		if x.Name == name {
			s = x
			break
		}
	}
	if s == nil {
		return failed("Skill not found: " + name)
	}
	var spec *InstallSpec
	if s.Meta != nil {
		for i, sp := range s.Meta.Install {
			if InstallID(sp, i) == installID {
				spec = &s.Meta.Install[i]
				break
			}
		}
	}
	if spec == nil {
		return failed("Installer not found: " + installID)
	}
	ctx, cancel := context.WithTimeout(ctx, ClampTimeout(timeout))
	defer cancel()
	if spec.Kind == KindDownload {
		return in.download(ctx, s, spec)
	}
	var argv []string
	switch spec.Kind {
	case KindBrew:
		if spec.Formula == "" {
			return failed("missing brew formula")
		}
		argv = []string{"brew", "install", spec.Formula}
	case KindNode:
		if spec.Package == "" {
			return failed("missing node package")
		}
		switch c.NodeManager {
		case "pnpm":
			argv = []string{"pnpm", "add", "-g", spec.Package}
		case "yarn":
			argv = []string{"yarn", "global", "add", spec.Package}
		case "bun":
			argv = []string{"bun", "add", "-g", spec.Package}
		default:
			argv = []string{"npm", "install", "-g", spec.Package}
		}
	case KindGo:
		if spec.Module == "" {
			return failed("missing go module")
		}
		argv = []string{"go", "install", spec.Module}
	case KindUV:
		if spec.Package == "" {
			return failed("missing uv package")
		}
		argv = []string{"uv", "tool", "install", spec.Package}
	default:
		return failed("unsupported installer")
	}
	brew := in.hasBin("brew")
	if spec.Kind == KindBrew && !brew {
		return failed("brew not installed")
	}
	var extraEnv []string
	if spec.Kind == KindGo || spec.Kind == KindUV {
		tool := argv[0]
		if !in.hasBin(tool) {
			if !brew {
				return failed(tool + " not installed (install via brew)")
			}
			r := in.run(ctx, []string{"brew", "install", tool}, nil)
			if !r.OK {
				r.Message = "Failed to install " + tool + " (brew)"
				return r
			}
		}
		if spec.Kind == KindGo && brew {
			// Binaries land next to brew's, on PATH, as the original arranges.
			if p := in.run(ctx, []string{"brew", "--prefix"}, nil); p.OK && strings.TrimSpace(p.Stdout) != "" {
				extraEnv = append(extraEnv, "GOBIN="+filepath.Join(strings.TrimSpace(p.Stdout), "bin"))
			}
		}
	}
	if spec.Kind == KindNode && !in.hasBin(argv[0]) {
		return failed(argv[0] + " not installed (set skills.install.nodeManager to a node package manager on PATH)")
	}
	r := in.run(ctx, argv, extraEnv)
	if r.OK {
		r.Message = "Installed"
	}
	return r
}

// run executes argv with the installer environment plus extra, keeping at most
// MaxInstallOutput of each stream.
func (in *Installer) run(ctx context.Context, argv, extra []string) InstallResult {
	prog, err := in.lookPath(argv[0])
	if err != nil {
		return InstallResult{Message: argv[0] + " not found on PATH", Stderr: err.Error()}
	}
	cmd := exec.CommandContext(ctx, prog, argv[1:]...)
	env := in.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(append([]string{}, env...), extra...)
	var stdout, stderr capped
	stdout.max, stderr.max = MaxInstallOutput, MaxInstallOutput
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Run()
	res := InstallResult{Stdout: strings.TrimSpace(stdout.String()), Stderr: strings.TrimSpace(stderr.String())}
	var ee *exec.ExitError
	switch {
	case err == nil:
		code := 0
		res.Code, res.OK = &code, true
	case ctx.Err() != nil:
		res.Message = "Install timed out (" + argv[0] + ")"
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		code := ee.ExitCode()
		res.Code = &code
		res.Message = failureMessage(res)
	default:
		if res.Stderr == "" {
			res.Stderr = err.Error()
		}
		res.Message = failureMessage(res)
	}
	return res
}

func lookPathIn(name, pathEnv string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// capped is a bytes.Buffer that keeps only the first max bytes.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		if len(p) > room {
			c.Buffer.Write(p[:room])
		} else {
			c.Buffer.Write(p)
		}
	}
	return len(p), nil
}

var (
	errorLine  = regexp.MustCompile(`(?i)^error\b`)
	errorWords = regexp.MustCompile(`(?i)\berr!|\berror:|\bfailed\b`)
	blanks     = regexp.MustCompile(`\s+`)
)

// summary picks the telling line of installer output: the first starting with
// "error", else the first mentioning err!/error:/failed, else the last. (The
// original's pattern cannot match "err!" before a space; this one does.)
func summary(text string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	pick := lines[len(lines)-1]
	found := false
	for _, l := range lines {
		if errorLine.MatchString(l) {
			pick, found = l, true
			break
		}
	}
	if !found {
		for _, l := range lines {
			if errorWords.MatchString(l) {
				pick = l
				break
			}
		}
	}
	pick = blanks.ReplaceAllString(pick, " ")
	if r := []rune(pick); len(r) > maxSummary {
		pick = string(r[:maxSummary-1]) + "…"
	}
	return pick
}

func failureMessage(r InstallResult) string {
	code := "unknown exit"
	if r.Code != nil {
		code = "exit " + strconv.Itoa(*r.Code)
	}
	s := summary(r.Stderr)
	if s == "" {
		s = summary(r.Stdout)
	}
	if s == "" {
		return "Install failed (" + code + ")"
	}
	return "Install failed (" + code + "): " + s
}

// download fetches spec.URL into the target folder and unpacks a recognised
// archive (tar.gz, tar.bz2, zip) with tar or unzip from PATH.
func (in *Installer) download(ctx context.Context, s *Skill, spec *InstallSpec) InstallResult {
	raw := strings.TrimSpace(spec.URL)
	if raw == "" {
		return failed("missing download url")
	}
	name := ""
	if u, err := url.Parse(raw); err == nil {
		name = filepath.Base(u.Path)
	}
	if name == "" || name == "." || name == "/" || name == ".." {
		name = "download"
	}
	dir := strings.TrimSpace(spec.TargetDir)
	switch {
	case dir != "":
		dir = config.ExpandHome(dir, in.Home)
	case in.ToolsDir != "":
		dir = filepath.Join(in.ToolsDir, s.Key())
	default:
		return failed("no tools folder configured for downloads")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return InstallResult{Message: err.Error(), Stderr: err.Error()}
	}
	dest := filepath.Join(dir, name)
	n, err := in.fetch(ctx, raw, dest)
	if err != nil {
		return InstallResult{Message: err.Error(), Stderr: err.Error()}
	}
	archive := strings.ToLower(strings.TrimSpace(spec.Archive))
	if archive == "" {
		lower := strings.ToLower(name)
		switch {
		case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
			archive = "tar.gz"
		case strings.HasSuffix(lower, ".tar.bz2"), strings.HasSuffix(lower, ".tbz2"):
			archive = "tar.bz2"
		case strings.HasSuffix(lower, ".zip"):
			archive = "zip"
		}
	}
	extract := archive != ""
	if spec.Extract != nil {
		extract = *spec.Extract
	}
	if !extract {
		code := 0
		return InstallResult{OK: true, Message: "Downloaded to " + dest, Stdout: "downloaded=" + strconv.FormatInt(n, 10), Code: &code}
	}
	if archive == "" {
		return failed("extract requested but archive type could not be detected")
	}
	var argv []string
	if archive == "zip" {
		if !in.hasBin("unzip") {
			return InstallResult{Message: "Install failed (unknown exit): unzip not found on PATH", Stderr: "unzip not found on PATH"}
		}
		argv = []string{"unzip", "-q", "-o", dest, "-d", dir}
	} else {
		if !in.hasBin("tar") {
			return InstallResult{Message: "Install failed (unknown exit): tar not found on PATH", Stderr: "tar not found on PATH"}
		}
		argv = []string{"tar", "xf", dest, "-C", dir}
		if spec.StripComponents != nil {
			argv = append(argv, "--strip-components", strconv.Itoa(max(0, *spec.StripComponents)))
		}
	}
	r := in.run(ctx, argv, nil)
	if r.OK {
		r.Message = "Downloaded and extracted to " + dir
	}
	return r
}

// fetch writes url's body to dest (through a temp file, renamed when complete),
// refusing bodies over the cap.
func (in *Installer) fetch(ctx context.Context, rawURL, dest string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, fmt.Errorf("download %s: %w", rawURL, err)
	}
	hc := in.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("download failed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return 0, fmt.Errorf("Download failed (%d %s)", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	limit := in.MaxDownload
	if limit <= 0 {
		limit = MaxDownloadBytes
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".download-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, limit+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("download failed: %w", err)
	}
	if n > limit {
		return 0, fmt.Errorf("download failed: larger than %d bytes", limit)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return 0, err
	}
	return n, nil
}
