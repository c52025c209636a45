package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/server/pairing"
)

// runPairing runs `clawdbot <args>` in-process against the state dir in the env.
func runPairing(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestPairingCLI(t *testing.T) {
	state := t.TempDir()
	t.Setenv("CLAWDBOT_STATE_DIR", state)
	t.Setenv(pairing.EnvCredentialsDir, "")
	st, err := pairing.New(pairing.Options{Dir: filepath.Join(state, "credentials")})
	if err != nil {
		t.Fatal(err)
	}
	code, created, err := st.Upsert("telegram", "4242", map[string]string{"username": "ann"})
	if err != nil || !created {
		t.Fatal(err)
	}
	code2, _, _ := st.Upsert("telegram", "777", nil)

	out, err := runPairing(t, "pairing", "list", "telegram")
	if err != nil || !strings.Contains(out, code) || !strings.Contains(out, "4242") || !strings.Contains(out, "telegramUserId") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, err = runPairing(t, "pairing", "list", "--channel", "telegram", "--json")
	var js struct {
		Channel  string
		Requests []pairing.Request
	}
	if err != nil || json.Unmarshal([]byte(out), &js) != nil || js.Channel != "telegram" || len(js.Requests) != 2 {
		t.Fatalf("list --json: %v\n%s", err, out)
	}

	out, err = runPairing(t, "pairing", "approve", "telegram", strings.ToLower(code))
	if err != nil || !strings.Contains(out, "Approved telegram sender 4242") {
		t.Fatalf("approve: %v\n%s", err, out)
	}
	if ok, _ := st.Allowed("telegram", "4242"); !ok {
		t.Fatal("approved sender not in the allow-from store")
	}
	if _, err = runPairing(t, "pairing", "approve", "telegram", code); err == nil {
		t.Fatal("approving a used code must fail")
	} else if ee := (*exitError)(nil); !errors.As(err, &ee) || ee.code != exitRemote {
		t.Fatalf("exit code: %v", err)
	}

	out, err = runPairing(t, "pairing", "reject", "--channel", "telegram", code2)
	if err != nil || !strings.Contains(out, "Rejected telegram sender 777") {
		t.Fatalf("reject: %v\n%s", err, out)
	}
	if ok, _ := st.Allowed("telegram", "777"); ok {
		t.Fatal("rejected sender allowed")
	}
	out, _ = runPairing(t, "pairing", "list", "telegram")
	if !strings.Contains(out, "No pending telegram pairing requests.") {
		t.Fatalf("list after decisions:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(state, "credentials", "telegram-allowFrom.json"))
	if err != nil || !strings.Contains(string(b), `"4242"`) {
		t.Fatalf("store file: %v %s", err, b)
	}
}

func TestPairingCLIUsage(t *testing.T) {
	t.Setenv("CLAWDBOT_STATE_DIR", t.TempDir())
	for _, args := range [][]string{
		{"pairing", "list"},
		{"pairing", "approve", "telegram"},
		{"pairing", "approve", "--channel", "telegram", "telegram", "CODE"},
	} {
		_, err := runPairing(t, args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			t.Errorf("%v: %v", args, err)
		}
	}
	if _, err := runPairing(t, "pairing", "list", "../etc"); err == nil {
		t.Error("bad channel accepted")
	}
}
