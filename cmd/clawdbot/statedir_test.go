package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
)

// The state-dir fault tests put the state dir on a tmpfs the test mounts (root with
// CAP_SYS_ADMIN, as on the dev machine) so that "read-only" and "full" are the kernel's
// EROFS and ENOSPC. Without mount rights the read-only test falls back to chmod (which
// root ignores, so as root without mount rights it is skipped) and the full-disk test
// is skipped; server/statefile covers the write path with an injected error.

// mountTmpfs mounts a tmpfs of size on dir, or reports why it can't.
func mountTmpfs(t *testing.T, dir, size string) error {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		return err
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return nil
}

// snapshot hashes every regular file under dir.
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = sha256.Sum256(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// seedState runs the gateway once on home and leaves a paired node and a transcript.
func seedState(t *testing.T, home string) {
	t.Helper()
	p := startOn(t, home, freePort(t))
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	c := goClient(ctx, t, p.port, false)
	pair(ctx, t, c, "seed-node")
	s := "seed"
	run, err := c.Agent(ctx, &protocol.AgentParams{Message: "seed message", SessionKey: &s})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	c.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("seed run exit: %v\n%s", err, p.out)
	}
}

func pair(ctx context.Context, t *testing.T, c *gatewayclient.Client, node string) {
	t.Helper()
	if err := tryPair(ctx, c, node); err != nil {
		t.Fatalf("pair %s: %v", node, err)
	}
}

func tryPair(ctx context.Context, c *gatewayclient.Client, node string) error {
	var req protocol.NodePairRequestResult
	if err := c.Call(ctx, "node.pair.request", &protocol.NodePairRequestParams{NodeID: node}, &req); err != nil {
		return err
	}
	return c.Call(ctx, "node.pair.approve", &protocol.NodePairApproveParams{RequestID: req.Request.RequestID}, nil)
}

// checkSeed checks the seeded state is intact through a running gateway.
func checkSeed(ctx context.Context, t *testing.T, c *gatewayclient.Client, nodes ...string) {
	t.Helper()
	var list protocol.NodePairListResult
	if err := c.Call(ctx, "node.pair.list", nil, &list); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, n := range list.Paired {
		have[n.NodeID] = true
	}
	for _, n := range append([]string{"seed-node"}, nodes...) {
		if !have[n] {
			t.Errorf("paired node %s missing: %+v", n, list.Paired)
		}
	}
	hist, err := historyTexts(ctx, c, "seed")
	if err != nil || len(hist) != 2 || hist[0] != "user: seed message" || hist[1] != "assistant: re: seed message" {
		t.Errorf("seed transcript: %q %v", hist, err)
	}
}

// TestReadOnlyStateDir: a gateway whose state dir is read-only refuses to start with a
// message that names the problem, exits non-zero, and changes nothing; once the dir is
// writable again it starts on the same state.
func TestReadOnlyStateDir(t *testing.T) {
	model := sseModel(t, time.Millisecond)
	home := t.TempDir()
	state := filepath.Join(home, "state")
	writeConfig(t, home, fmt.Sprintf(`{ agent: { backend: "openai", openai: { baseUrl: %q, model: "m" } } }`, model.URL+"/v1"))
	mounted := mountTmpfs(t, state, "16m") == nil
	if !mounted && os.Geteuid() == 0 {
		t.Skip("root without mount rights: chmod cannot make the state dir read-only")
	}
	seedState(t, home)
	before := snapshot(t, state)
	want := "read-only file system"
	if mounted {
		if err := syscall.Mount("", state, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			t.Fatal(err)
		}
	} else {
		want = "permission denied"
		chmodTree(t, state, 0o500, 0o400)
		// Writable again even if the test fails, so TempDir can be removed.
		t.Cleanup(func() {
			_ = filepath.WalkDir(state, func(p string, d fs.DirEntry, _ error) error { return os.Chmod(p, 0o700) })
		})
	}
	cmd := exec.Command(binary, "gateway", "--allow-unconfigured", "--port", fmt.Sprint(freePort(t)))
	cmd.Env = gatewayEnv(home)
	out, err := runBounded(cmd, 15*time.Second)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(out, want) || !strings.Contains(out, state) {
		t.Fatalf("start on a read-only state dir: err=%v, output:\n%s\nwant a non-zero exit naming %s and %q", err, out, state, want)
	}
	if after := snapshot(t, state); !sameFiles(before, after) {
		t.Fatal("state files changed while read-only")
	}
	if mounted {
		if err := syscall.Mount("", state, "", syscall.MS_REMOUNT, ""); err != nil {
			t.Fatal(err)
		}
	} else {
		chmodTree(t, state, 0o700, 0o600)
	}
	p := startOn(t, home, freePort(t))
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	c := goClient(ctx, t, p.port, false)
	defer c.Close()
	checkSeed(ctx, t, c)
}

// TestFullStateDir: the state dir's filesystem fills up while the gateway runs. Writes
// fail with a clear error (ENOSPC named) and change nothing; the gateway keeps serving;
// once space is freed the same requests work, and after a restart everything
// acknowledged is there and nothing is corrupt.
func TestFullStateDir(t *testing.T) {
	model := sseModel(t, time.Millisecond)
	home := t.TempDir()
	state := filepath.Join(home, "state")
	writeConfig(t, home, fmt.Sprintf(`{ agent: { backend: "openai", openai: { baseUrl: %q, model: "m" } } }`, model.URL+"/v1"))
	if err := mountTmpfs(t, state, "8m"); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): the ENOSPC path is covered in server/statefile", err)
	}
	seedState(t, home)
	p := startOn(t, home, freePort(t))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c := goClient(ctx, t, p.port, false)
	defer c.Close()

	filler := filepath.Join(state, "filler")
	fill(t, filler)
	pairedBefore, _ := os.ReadFile(filepath.Join(state, "gateway", "nodes", "paired.json"))
	err := tryPair(ctx, c, "while-full")
	var pe *gatewayclient.ProtocolError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("pairing on a full disk: %v (want an error naming ENOSPC)", err)
	}
	if after, _ := os.ReadFile(filepath.Join(state, "gateway", "nodes", "paired.json")); string(after) != string(pairedBefore) {
		t.Fatal("paired.json changed by a failed write")
	}
	// A transcript write may still fit in SQLite's preallocated WAL; if it fails, the
	// error must say why, and the run must not be reported ok.
	s := "full"
	run, err := c.Agent(ctx, &protocol.AgentParams{Message: "on a full disk", SessionKey: &s})
	if err == nil {
		_, err = run.Wait(ctx)
	}
	if err != nil && !strings.Contains(err.Error(), "full") && !strings.Contains(err.Error(), "no space") {
		t.Fatalf("agent run on a full disk: %v (want a disk-full error or success)", err)
	}
	t.Logf("agent run on a full disk: %v", err)
	if _, err := c.Calls.Status(ctx, nil); err != nil {
		t.Fatalf("gateway stopped serving on a full disk: %v", err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	pair(ctx, t, c, "after-full")
	c.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.out)
	}
	p = startOn(t, home, freePort(t))
	c2 := goClient(ctx, t, p.port, false)
	defer c2.Close()
	checkSeed(ctx, t, c2, "after-full")
}

// fill writes filler until the filesystem is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	// The last partial chunk: fill to the last byte.
	small := make([]byte, 512)
	for {
		if _, err := f.Write(small); err != nil {
			break
		}
	}
}

func chmodTree(t *testing.T, dir string, dirMode, fileMode os.FileMode) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, dirMode)
		}
		return os.Chmod(p, fileMode)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func sameFiles(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// runBounded runs cmd to completion and returns its combined output; it kills the
// process if it runs longer than d.
func runBounded(cmd *exec.Cmd, d time.Duration) (string, error) {
	out := &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("still running after %s", d)
	}
}

// TestStateFilesArePrivate: after a run with pairings, transcripts and sends, no
// state file is readable by group or others, and no state dir is listable by them.
func TestStateFilesArePrivate(t *testing.T) {
	model := sseModel(t, time.Millisecond)
	home := t.TempDir()
	writeConfig(t, home, fmt.Sprintf(`{ agent: { backend: "openai", openai: { baseUrl: %q, model: "m" } } }`, model.URL+"/v1"))
	seedState(t, home)
	n := 0
	err := filepath.WalkDir(filepath.Join(home, "state"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v, want no group/other access", p, fi.Mode().Perm())
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("only %d entries in the state dir", n)
	}
}
