package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGoName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"runId", "RunID"},
		{"canvasHostUrl", "CanvasHostURL"},
		{"paramsJSON", "ParamsJSON"},
		{"payloadJSON", "PayloadJSON"},
		{"toJid", "ToJID"},
		{"minProtocol", "MinProtocol"},
		{"ip", "IP"},
		{"lastInputSeconds", "LastInputSeconds"},
		{"x-forwarded-for", "XForwardedFor"},
		{"$schema", "Schema"},
		{"2fa", "X2fa"},
		{"idempotencyKey", "IdempotencyKey"},
		{"qrDataUrl", "QRDataURL"},
	} {
		if got := GoName(tc.in); got != tc.want {
			t.Errorf("GoName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGoMethodName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"node.pair.request", "NodePairRequest"},
		{"system-presence", "SystemPresence"},
		{"health", "Health"},
		{"connect.challenge", "ConnectChallenge"},
	} {
		if got := GoMethodName(tc.in); got != tc.want {
			t.Errorf("GoMethodName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoadRealSchema(t *testing.T) {
	m, err := Load("../../../schema")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Methods) == 0 || len(m.Events) == 0 || len(m.Frames) != 4 {
		t.Fatalf("methods=%d events=%d frames=%d", len(m.Methods), len(m.Events), len(m.Frames))
	}
	send := m.Defs["methods/send.json#/$defs/paramsV2"]
	if send == nil || send.Into == nil || send.Into.Name != "SendParams" || send.Rename["provider"] != "channel" {
		t.Fatalf("send v2 params should decode into SendParams with provider→channel: %+v", send)
	}
	for _, me := range m.Methods {
		// last-heartbeat answers null before the first heartbeat; status never does.
		if want := me.Name == "last-heartbeat"; (me.Name == "last-heartbeat" || me.Name == "status") && me.NullableResult() != want {
			t.Errorf("%s NullableResult = %v, want %v", me.Name, me.NullableResult(), want)
		}
	}
	if f := m.Lookup("Frame"); f == nil || f.Schema.Discriminator != "type" || len(f.Schema.Variants) != 3 {
		t.Fatalf("Frame union not resolved: %+v", f)
	}
}

// TestLoadRejects shows that constructs outside the dialect fail with an error located
// by file and JSON Pointer (the same problems schemacheck lint lists).
func TestLoadRejects(t *testing.T) {
	base, err := os.ReadFile("../../../schema/defs.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"open object", `"required": ["presence", "health"],`, `"required": ["presence", "health"], "x": 1,`, `defs.json: /$defs/StateVersion/x: keyword "x" is not in the dialect`},
		{"no additionalProperties", `"title": "StateVersion",
      "description": "Monotonic counters of the presence list and the health snapshot. They start at 1 when the process starts, survive in-process restarts and only grow; clients ignore state older than what they hold.",
      "type": "object",
      "additionalProperties": false,`, `"title": "StateVersion",
      "description": "d",
      "type": "object",`, "defs.json: /$defs/StateVersion: object must state additionalProperties"},
		{"required undeclared", `"required": ["presence", "health"],`, `"required": ["presence", "health", "nope"],`, `defs.json: /$defs/StateVersion/required/2: "nope" is not a declared property`},
		{"bad ref", `{"$ref": "#/$defs/PresenceEntry"}`, `{"$ref": "#/$defs/Nope"}`, `$ref "#/$defs/Nope": defs.json has nothing at /$defs/Nope`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(base), tc.from) {
				t.Fatalf("fixture text not found in defs.json: %s", tc.from)
			}
			dir := t.TempDir()
			copyTree(t, "../../../schema", dir)
			mod := strings.Replace(string(base), tc.from, tc.to, 1)
			if err := os.WriteFile(filepath.Join(dir, "defs.json"), []byte(mod), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNullableOnlyResults: a nullable result is a method's "none yet"; params and event
// payloads cannot be null.
func TestNullableOnlyResults(t *testing.T) {
	for _, tc := range []struct{ name, file, from, to, want string }{
		{"event payload", "events/health.json", `"$ref": "../methods/health.json#/$defs/result",`, `"anyOf": [{"$ref": "../methods/health.json#/$defs/result"}, {"type": "null"}],`, "events/health.json: /$defs/payload: an event payload cannot be nullable"},
		{"params", "methods/last-heartbeat.json", `"type": "object",`, `"anyOf": [{"type": "object", "additionalProperties": false, "properties": {}}, {"type": "null"}],`, "methods/last-heartbeat.json: /$defs/params: method params must be an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, "../../../schema", dir)
			b, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tc.from) {
				t.Fatalf("fixture text not found in %s: %s", tc.file, tc.from)
			}
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(strings.Replace(string(b), tc.from, tc.to, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
