package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLogsCommand runs `clawdbot logs` against a real gateway process: the text form
// (time level subsystem message) and the --json line stream of the original, then
// --follow picking up lines written after it started.
func TestLogsCommand(t *testing.T) {
	// At logging.level debug the file also gets the "client connected" lines --follow
	// waits for below (the default file level, info, leaves them out as the original).
	p := startProcConfig(t, `{"logging":{"level":"debug"}}`)
	p.waitOutput(t, "gateway listening")
	url := fmt.Sprintf("ws://127.0.0.1:%d", p.port)
	env := append(os.Environ(), "HOME="+p.home, "CLAWDBOT_STATE_DIR="+filepath.Join(p.home, "state"),
		"CLAWDBOT_CONFIG_PATH="+filepath.Join(p.home, "clawdbot.json"))
	run := func(args ...string) string {
		cmd := exec.Command(binary, append(args, "--url", url)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}

	out := run("logs", "--limit", "500")
	if !strings.HasPrefix(out, "Log file: ") || !strings.Contains(out, " info gateway gateway listening addr=ws://") {
		t.Fatalf("logs:\n%s", out)
	}

	out = run("logs", "--json", "--limit", "500")
	sc := bufio.NewScanner(strings.NewReader(out))
	var meta, found bool
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		switch m["type"] {
		case "meta":
			meta = m["file"] != "" && m["cursor"] != nil
		case "log":
			if m["level"] == "info" && m["subsystem"] == "gateway" && strings.Contains(fmt.Sprint(m["message"]), "gateway listening") && m["time"] != nil && m["raw"] != nil {
				found = true
			}
		}
	}
	if !meta || !found {
		t.Fatalf("logs --json (meta %v, found %v):\n%s", meta, found, out)
	}
	if out, err := exec.Command(binary, "logs", "--limit", "0", "--url", url).CombinedOutput(); err == nil || !strings.Contains(string(out), "--limit") {
		t.Fatalf("--limit 0 accepted: %s", out)
	}

	// --follow: lines logged after the first poll arrive (a client connecting logs one).
	cmd := exec.Command(binary, "logs", "--follow", "--json", "--interval", "50ms", "--limit", "1", "--url", url)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	// The first poll answers exactly one line (--limit 1, the file is not empty);
	// every log line after it came from a later poll.
	deadline := time.After(20 * time.Second)
	logLines := 0
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("logs --follow exited")
			}
			if !strings.Contains(l, `"type":"log"`) {
				continue
			}
			if logLines++; logLines == 1 {
				p.client(t) // a new connection: logged after the first poll
			} else {
				return
			}
		case <-deadline:
			t.Fatal("no followed line")
		}
	}
}
