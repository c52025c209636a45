package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bridgeNode is a v2 node on the gateway process's TCP bridge.
type bridgeNode struct {
	t     *testing.T
	c     net.Conn
	lines chan map[string]any
}

func dialBridge(t *testing.T, port int) *bridgeNode {
	t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	n := &bridgeNode{t: t, c: c, lines: make(chan map[string]any, 100)}
	go func() {
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				n.lines <- m
			}
		}
		close(n.lines)
	}()
	return n
}

func (n *bridgeNode) send(v map[string]any) {
	b, _ := json.Marshal(v)
	if _, err := n.c.Write(append(b, '\n')); err != nil {
		n.t.Fatal(err)
	}
}

func (n *bridgeNode) expect(typ string) map[string]any {
	n.t.Helper()
	select {
	case m, ok := <-n.lines:
		if !ok {
			n.t.Fatalf("bridge closed, want %s", typ)
		}
		if m["type"] != typ {
			n.t.Fatalf("got %v, want %s", m, typ)
		}
		return m
	case <-time.After(15 * time.Second):
		n.t.Fatalf("no %s frame", typ)
	}
	return nil
}

// TestNodesHelpers runs `clawdbot nodes list|approve|reject|invoke` against a real
// gateway process with a node on its TCP bridge, then checks the bridge node stays
// connected across an in-process restart (SIGUSR1).
func TestNodesHelpers(t *testing.T) {
	bport := freePort(t)
	p := startProcConfig(t, fmt.Sprintf(`{"bridge": {"enabled": true, "bind": "loopback", "port": %d}}`, bport))
	p.waitOutput(t, "bridge listening")
	url := fmt.Sprintf("ws://127.0.0.1:%d", p.port)
	run := func(args ...string) (string, int) {
		cmd := exec.Command(binary, append(args, "--url", url)...)
		cmd.Env = append(os.Environ(), "HOME="+p.home, "CLAWDBOT_STATE_DIR="+filepath.Join(p.home, "state"),
			"CLAWDBOT_CONFIG_PATH="+filepath.Join(p.home, "clawdbot.json"))
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out) + string(ee.Stderr), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}

	_, op := p.client(t) // an operator: sees the bridge's pairing events and node presence
	n := dialBridge(t, bport)
	n.send(map[string]any{"type": "pair-request", "nodeId": "mac-1", "displayName": "Desk Mac", "platform": "macos", "commands": []string{"canvas.eval", "system.run"}})
	var listed struct {
		Nodes []struct {
			NodeID    string   `json:"nodeId"`
			Connected bool     `json:"connected"`
			Paired    bool     `json:"paired"`
			Commands  []string `json:"commands"`
		} `json:"nodes"`
		Pending []struct {
			RequestID string `json:"requestId"`
			NodeID    string `json:"nodeId"`
		} `json:"pending"`
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(listed.Pending) == 0 {
		out, code := run("nodes", "list", "--json")
		if code != 0 {
			t.Fatalf("nodes list: %d %s", code, out)
		}
		if err := json.Unmarshal([]byte(out), &listed); err != nil {
			t.Fatalf("nodes list --json: %v\n%s", err, out)
		}
		if time.Now().After(deadline) {
			t.Fatal("pairing request never listed")
		}
	}
	if listed.Pending[0].NodeID != "mac-1" {
		t.Fatalf("pending: %+v", listed.Pending)
	}
	waitFor(t, op.frames, `"event":"node.pair.requested"`)
	if out, code := run("nodes", "reject", "no-such-request"); code != 1 || !strings.Contains(out, "unknown requestId") {
		t.Fatalf("reject unknown: %d %s", code, out)
	}
	if out, code := run("nodes", "approve", listed.Pending[0].RequestID); code != 0 || !strings.Contains(out, "approved node mac-1") {
		t.Fatalf("approve: %d %s", code, out)
	}
	tok, _ := n.expect("pair-ok")["token"].(string)
	n.expect("hello-ok")
	// The pairing's resolution and the node's presence come from different places:
	// either may be first.
	waitForAll(t, op.frames, `"event":"node.pair.resolved"`, `"reason":"node-connected"`)
	if tok == "" {
		t.Fatalf("token %q", tok)
	}
	out, code := run("nodes", "list")
	if code != 0 || !strings.Contains(out, "mac-1  Desk Mac  connected paired  macos  commands: canvas.eval,system.run") {
		t.Fatalf("nodes list: %d %s", code, out)
	}

	// The node answers invocations.
	go func() {
		for m := range n.lines {
			if m["type"] == "invoke" {
				n.send(map[string]any{"type": "invoke-res", "id": m["id"], "ok": true, "payloadJSON": fmt.Sprintf(`{"echo":%s}`, m["paramsJSON"])})
			}
		}
	}()
	out, code = run("nodes", "invoke", "--node", "mac-1", "--command", "canvas.eval", "--params", `{"js":"1+1"}`)
	var res struct {
		Ok      bool           `json:"ok"`
		Payload map[string]any `json:"payload"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.Ok || res.Payload["echo"].(map[string]any)["js"] != "1+1" {
		t.Fatalf("nodes invoke: %d %s", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"nodes", "invoke", "--node", "nobody", "--command", "canvas.eval"}, 1, "node not connected"},
		{[]string{"nodes", "invoke", "--node", "mac-1", "--command", "camera.snap"}, 1, "node command not allowed"},
		{[]string{"nodes", "invoke", "--node", "mac-1"}, 2, "--node and --command are required"},
		{[]string{"nodes", "invoke", "--node", "mac-1", "--command", "canvas.eval", "--params", "{bad"}, 2, "not valid JSON"},
	} {
		if out, code := run(tc.args...); code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d (want %d): %s", tc.args, code, tc.code, out)
		}
	}

	// In-process restart: the bridge and its node survive; invoke works on the new server.
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	p.waitOutput(t, "restarting in process")
	deadline = time.Now().Add(20 * time.Second)
	for {
		out, code = run("nodes", "invoke", "--node", "mac-1", "--command", "canvas.eval", "--params", `2`)
		if code == 0 && strings.Contains(out, `"echo": 2`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("invoke after restart: %d %s", code, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
