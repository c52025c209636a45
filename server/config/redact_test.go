package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		secrets  []string // must appear in neither output
		keep     []string // must appear in both outputs
		wantRaw  string   // exact redacted raw, when given
		wantJSON string   // exact redacted config JSON, when given
	}{
		{
			name: "every named secret",
			raw: `{
  gateway: {
    mode: "local",
    auth: {mode: "token", token: "gw-token-1", password: "gw-pass-2"},
    remote: {url: "wss://remote.example", token: "remote-token-3", password: "remote-pass-4"},
  },
  telegram: {botToken: "123456:tg-bot-5", webhookSecret: "tg-hook-6", webhookUrl: "https://hook.example/tg"},
  hooks: {enabled: true, token: "hooks-token-7", path: "/hooks"},
}`,
			secrets: []string{"gw-token-1", "gw-pass-2", "remote-token-3", "remote-pass-4", "123456:tg-bot-5", "tg-hook-6", "hooks-token-7"},
			keep:    []string{"local", "wss://remote.example", "https://hook.example/tg", "/hooks"},
		},
		{
			name:    "comments, quoting and layout survive",
			raw:     "// top\n{\n  'gateway': {auth: {token: 'it\\'s', /* c */ password: \"p\\\"w\"}}, // end\n}\n",
			wantRaw: "// top\n{\n  'gateway': {auth: {token: \"__CLAWDBOT_REDACTED__\", /* c */ password: \"__CLAWDBOT_REDACTED__\"}}, // end\n}\n",
		},
		{
			name:     "pattern keys at any depth, case-insensitive, numbers too; bools and nulls kept",
			raw:      `{a: {MyAPIKey: "k1", api_key: 'k2', clientSecret: 42, PASSWORD: null, tokenCount: true, tokens: ["t1", "t2"], nested: {deep: {accessToken: "t3"}}}, plain: "visible"}`,
			secrets:  []string{"k1", "k2", "42", "t1", "t2", "t3"},
			keep:     []string{"visible"},
			wantJSON: `{"a":{"MyAPIKey":"__CLAWDBOT_REDACTED__","PASSWORD":null,"api_key":"__CLAWDBOT_REDACTED__","clientSecret":"__CLAWDBOT_REDACTED__","nested":{"deep":{"accessToken":"__CLAWDBOT_REDACTED__"}},"tokenCount":true,"tokens":["__CLAWDBOT_REDACTED__","__CLAWDBOT_REDACTED__"]},"plain":"visible"}`,
		},
		{
			name:    "secret inside an array of objects",
			raw:     `{hooks: {mappings: [{id: "m1", secret: "s1"}, {id: "m2"}]}}`,
			secrets: []string{"s1"},
			keep:    []string{"m1", "m2"},
		},
		{
			name:    "apiKey matches *apiKey*",
			raw:     `{models: {providers: {openai: {baseUrl: "http://x", apiKey: "sk-live-1", models: [{id: "gpt-4o-mini", name: "gpt-4o-mini"}]}}}}`,
			secrets: []string{"sk-live-1"},
			keep:    []string{"gpt-4o-mini"},
		},
		{
			name:     "no secrets: raw unchanged",
			raw:      "{gateway: {port: 0x10, bind: 'lan'}} ",
			wantRaw:  "{gateway: {port: 0x10, bind: 'lan'}} ",
			wantJSON: `{"gateway":{"bind":"lan","port":16}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := Parse("/c.json", []byte(tt.raw)) // schema issues don't matter here
			if f.Parsed == nil {
				t.Fatal("did not parse")
			}
			raw, js := Redact(f)
			if tt.wantRaw != "" && raw != tt.wantRaw {
				t.Errorf("raw:\n got  %q\n want %q", raw, tt.wantRaw)
			}
			if tt.wantJSON != "" && string(js) != tt.wantJSON {
				t.Errorf("json:\n got  %s\n want %s", js, tt.wantJSON)
			}
			for _, s := range tt.secrets {
				if strings.Contains(raw, s) || strings.Contains(string(js), s) {
					t.Errorf("secret %q leaked:\nraw: %s\njson: %s", s, raw, js)
				}
			}
			for _, s := range tt.keep {
				if !strings.Contains(raw, s) || !strings.Contains(string(js), s) {
					t.Errorf("non-secret %q lost:\nraw: %s\njson: %s", s, raw, js)
				}
			}
			// The redacted raw text is still JSON5 and has the same shape.
			rf, err := Parse("/c.json", []byte(raw))
			if rf.Parsed == nil {
				t.Fatalf("redacted raw does not parse: %v", err)
			}
			var fromJSON any
			if err := json.Unmarshal(js, &fromJSON); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rf.Parsed, fromJSON) {
				t.Errorf("redacted raw and JSON disagree:\n%v\n%v", rf.Parsed, fromJSON)
			}
			if string(f.Raw) != tt.raw {
				t.Error("Redact modified the file's Raw")
			}
		})
	}
}

func TestRedactEdgeFiles(t *testing.T) {
	missing := &File{Path: "/c.json"}
	if raw, js := Redact(missing); raw != "" || string(js) != "{}" {
		t.Errorf("missing: %q %s", raw, js)
	}
	if raw, js := Redact(nil); raw != "" || string(js) != "{}" {
		t.Errorf("nil: %q %s", raw, js)
	}
	broken, _ := Parse("/c.json", []byte(`{gateway: {auth: {token: "leak"`))
	if raw, js := Redact(broken); raw != Redacted || string(js) != "{}" {
		t.Errorf("unparsable: %q %s", raw, js)
	}
}

func TestRestoreRedacted(t *testing.T) {
	old, err := Parse("/c.json", []byte(`{gateway: {mode: "local", auth: {token: "real-token", password: "real-pass"}}, telegram: {botToken: "1:abc"}}`))
	if err != nil {
		t.Fatal(err)
	}
	red, _ := Redact(old)
	// An edit of the redacted view: the port is added, the password changed.
	edited := strings.Replace(red, `mode: "local"`, `mode: "local", port: 1234`, 1)
	edited = strings.Replace(edited, `password: "__CLAWDBOT_REDACTED__"`, `password: "new-pass"`, 1)
	got, err := RestoreRedacted([]byte(edited), old)
	if err != nil {
		t.Fatal(err)
	}
	want := `{gateway: {mode: "local", port: 1234, auth: {token: "real-token", password: "new-pass"}}, telegram: {botToken: "1:abc"}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	// A placeholder with nothing to restore is refused.
	if _, err := RestoreRedacted([]byte(`{hooks: {token: "__CLAWDBOT_REDACTED__"}}`), old); err == nil || !strings.Contains(err.Error(), "/hooks/token") {
		t.Errorf("err = %v", err)
	}
	// No placeholder: unchanged, even if it would not parse.
	if got, err := RestoreRedacted([]byte(`{x`), old); err != nil || string(got) != `{x` {
		t.Errorf("got %q, %v", got, err)
	}
	// A placeholder in broken text: the parse error.
	if _, err := RestoreRedacted([]byte(`{x: "__CLAWDBOT_REDACTED__"`), old); err == nil {
		t.Error("want a parse error")
	}
}
