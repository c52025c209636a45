package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

func ptr[T any](v T) *T { return &v }

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "clawdbot.json")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadJSON5(t *testing.T) {
	tests := []struct {
		name string
		text string
		want genconfig.ClawdbotConfig
	}{
		{
			name: "plain JSON",
			text: `{"gateway": {"mode": "local", "port": 18789}}`,
			want: genconfig.ClawdbotConfig{Gateway: &genconfig.ConfigGateway{Mode: ptr(genconfig.ConfigGatewayModeLocal), Port: 18789}},
		},
		{
			name: "comments",
			text: "// line comment\n{\n  /* block\n comment */ \"gateway\": {\"port\": 1234 // trailing\n}}\n// end",
			want: genconfig.ClawdbotConfig{Gateway: &genconfig.ConfigGateway{Port: 1234}},
		},
		{
			name: "trailing commas",
			text: `{"whatsapp": {"allowFrom": ["+1", "+2",],},}`,
			want: genconfig.ClawdbotConfig{Channels: &genconfig.ConfigChannels{Whatsapp: &genconfig.ConfigChannelsWhatsapp{AllowFrom: []string{"+1", "+2"}}}}, // legacy key, migrated
		},
		{
			name: "unquoted keys",
			text: `{gateway: {auth: {mode: "token", token: "t0k"}, bind: "lan"}}`,
			want: genconfig.ClawdbotConfig{Gateway: &genconfig.ConfigGateway{Bind: genconfig.ConfigGatewayBindLan, Auth: &genconfig.ConfigGatewayAuth{Mode: ptr(genconfig.ConfigGatewayAuthModeToken), Token: ptr("t0k")}}},
		},
		{
			name: "single quotes and escapes",
			text: `{'channels': {telegram: {'botToken': 'it\'s "quoted"', apiBaseUrl: "https://x/\u0041"}}}`,
			want: genconfig.ClawdbotConfig{Channels: &genconfig.ConfigChannels{Telegram: &genconfig.ConfigChannelsTelegram{BotToken: ptr(`it's "quoted"`), APIBaseURL: ptr("https://x/A")}}},
		},
		{
			name: "hex, leading plus, trailing dot, leading dot",
			text: `{gateway: {port: 0x4A3B}, agents: {defaults: {maxConcurrent: +2, timeoutSeconds: 60., models: {"a/b": {params: {temperature: .5}}}}}}`,
			want: genconfig.ClawdbotConfig{
				Gateway: &genconfig.ConfigGateway{Port: 0x4A3B},
				Agents: &genconfig.ConfigAgents{Defaults: &genconfig.ConfigAgentsDefaults{MaxConcurrent: 2, TimeoutSeconds: 60,
					Models: genconfig.ConfigAgentsDefaultsModels{"a/b": {Params: genconfig.ConfigAgentsDefaultsModelsValueParams{"temperature": 0.5}}}}},
			},
		},
		{
			name: "multi-line string continuation",
			text: "{agents: {defaults: {systemPrompt: 'one \\\ntwo'}}}",
			want: genconfig.ClawdbotConfig{Agents: &genconfig.ConfigAgents{Defaults: &genconfig.ConfigAgentsDefaults{SystemPrompt: ptr("one two")}}},
		},
		{
			name: "byte-order mark",
			text: "\uFEFF{gateway: {port: 1}}",
			want: genconfig.ClawdbotConfig{Gateway: &genconfig.ConfigGateway{Port: 1}},
		},
		{
			name: "empty object",
			text: "{}",
			want: genconfig.ClawdbotConfig{},
		},
		{
			name: "nested arrays of objects",
			text: `{hooks: {enabled: true, token: 'h', mappings: [{match: {path: 'github'}, action: 'wake', timeoutSeconds: 5,},],}}`,
			want: genconfig.ClawdbotConfig{Hooks: &genconfig.ConfigHooks{Enabled: true, Token: ptr("h"), Mappings: []genconfig.ConfigHooksMappingsElem{
				{Match: &genconfig.ConfigHooksMappingsElemMatch{Path: ptr("github")}, Action: genconfig.ConfigHooksMappingsElemActionWake, TimeoutSeconds: ptr(5)},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.text)
			f, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if !f.Exists || f.Path != p || string(f.Raw) != tt.text || !f.Valid() {
				t.Errorf("file = %+v", f)
			}
			sum := sha256.Sum256([]byte(tt.text))
			if f.Hash != hex.EncodeToString(sum[:]) {
				t.Errorf("Hash = %s", f.Hash)
			}
			if !reflect.DeepEqual(f.Config, tt.want) {
				t.Errorf("config:\n got  %s\n want %s", mustJSON(t, f.Config), mustJSON(t, tt.want))
			}
			// Validate (config.set's entry point) agrees with Load.
			cfg, issues, err := Validate([]byte(tt.text))
			if err != nil || len(issues) > 0 || !reflect.DeepEqual(cfg, tt.want) {
				t.Errorf("Validate = %v, %v, %v", cfg, issues, err)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := toJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadInvalidListsEveryIssue(t *testing.T) {
	text := `{
  // four kinds of violation, in several places
  gateway: {
    port: 70000,          // out of range
    bind: "wan",          // bad enum
    auth: {token: 5},     // wrong type
    bogus: true,          // unknown key
    tickIntervalMs: 1500.5, // not an integer
  },
  extra: 1,               // unknown top-level key
  hooks: {mappings: [{action: "x"}, {timeoutSeconds: 0}]},
  agents: {defaults: {cliBackends: {x: {command: "c", env: {A: 1}}}, timeoutSeconds: 0}},
  models: {providers: {p: {models: []}}},
}`
	want := []Issue{
		{"/agents/defaults/cliBackends/x/env/A", "must be string, got integer"},
		{"/agents/defaults/timeoutSeconds", "must be > 0"},
		{"/extra", "unknown key"},
		{"/gateway/auth/token", "must be string, got integer"},
		{"/gateway/bind", `must be one of auto, lan, loopback, custom, tailnet (got "wan")`},
		{"/gateway/bogus", "unknown key"},
		{"/gateway/port", "must be <= 65535"},
		{"/gateway/tickIntervalMs", "must be integer, got number"},
		{"/hooks/mappings/0/action", `must be one of wake, agent (got "x")`},
		{"/hooks/mappings/1/timeoutSeconds", "must be > 0"},
		{"/models/providers/p", "missing required key baseUrl"},
	}
	p := writeFile(t, text)
	f, err := Load(p)
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v (%T), want *InvalidError", err, err)
	}
	if inv.Path != p || !reflect.DeepEqual(inv.Issues, want) {
		t.Errorf("issues:\n got  %v\n want %v", inv.Issues, want)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "invalid config "+p+":\n  ") {
		t.Errorf("message starts %q", msg[:min(len(msg), 60)])
	}
	for _, is := range want {
		if !strings.Contains(msg, "\n  "+is.Path+": "+is.Message) {
			t.Errorf("message lacks %q:\n%s", is.Path, msg)
		}
	}
	if strings.Count(msg, "\n") != len(want) {
		t.Errorf("want one line per issue:\n%s", msg)
	}
	// The file is still described, for config.get.
	if f == nil || !f.Exists || f.Valid() || f.Parsed == nil || !reflect.DeepEqual(f.Issues, want) || f.Config.Gateway != nil {
		t.Errorf("file = %+v", f)
	}
	_, issues, err := Validate([]byte(text))
	if err != nil || !reflect.DeepEqual(issues, want) {
		t.Errorf("Validate: %v, %v", issues, err)
	}
}

func TestValidateEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Issue
	}{
		{"root not an object", `[1, 2]`, []Issue{{"", "must be object, got array"}}},
		{"null section", `{gateway: null}`, []Issue{{"/gateway", "must be object, got null"}}},
		{"key needing pointer escapes", `{"a/b~c": 1}`, []Issue{{"/a~1b~0c", "unknown key"}}},
		{"NaN and Infinity", `{gateway: {port: NaN, maxPayload: -Infinity}}`, []Issue{
			{"/gateway/maxPayload", "must be a finite number (NaN and Infinity are not allowed)"},
			{"/gateway/port", "must be a finite number (NaN and Infinity are not allowed)"},
		}},
		{"NaN alongside a schema error", `{gateway: {port: Infinity, bind: 1}}`, []Issue{
			{"/gateway/bind", `must be one of auto, lan, loopback, custom, tailnet (got "1")`},
			{"/gateway/bind", "must be string, got integer"},
			{"/gateway/port", "must be a finite number (NaN and Infinity are not allowed)"},
		}},
		{"integer beyond int", `{gateway: {tickIntervalMs: 1e30}}`, []Issue{{"/gateway/tickIntervalMs", "value number 1e+30 is out of range"}}},
		{"string where a number belongs", `{gateway: {port: "18789"}}`, []Issue{{"/gateway/port", "must be integer, got string"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, issues, err := Validate([]byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(issues, tt.want) {
				t.Errorf("issues:\n got  %q\n want %q", issues, tt.want)
			}
			if !reflect.DeepEqual(cfg, genconfig.ClawdbotConfig{}) {
				t.Errorf("config not zero: %+v", cfg)
			}
		})
	}
}

func TestLoadParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		line, col int
		msg       string
	}{
		{"missing comma", "{\n  a: 1\n  b: 2\n}", 3, 3, "invalid character 'b'"},
		{"double comma", "{a: 1,, }", 1, 7, "invalid character ','"},
		{"unterminated string", "{\n a: 'x}", 2, 8, "unexpected end of JSON input"},
		{"empty file", "", 1, 1, "unexpected end of JSON input"},
		{"garbage after value", "{} x", 1, 4, "after top-level value"},
		{"hex too large", "{a: 0xFFFFFFFFFFFFFFFFFF}", 1, 24, "out of range"},
		{"column counts characters", "{ä: 1}", 1, 2, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.text)
			f, err := Load(p)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want *ParseError", err, err)
			}
			if pe.Line != tt.line || pe.Column != tt.col || !strings.Contains(pe.Msg, tt.msg) || pe.Path != p {
				t.Errorf("got %+v, want line %d col %d msg ~%q", pe, tt.line, tt.col, tt.msg)
			}
			if want := "line " + strconv.Itoa(tt.line) + ", column " + strconv.Itoa(tt.col); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), p) {
				t.Errorf("Error() = %q, want it to mention %q and the path", err, want)
			}
			if f == nil || !f.Exists || f.Parsed != nil || string(f.Raw) != tt.text || f.Valid() {
				t.Errorf("file = %+v", f)
			}
			if _, _, err := Validate([]byte(tt.text)); !errors.As(err, &pe) || pe.Path != "" || !strings.HasPrefix(err.Error(), "JSON5 parse error: ") {
				t.Errorf("Validate err = %v", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope", "clawdbot.json")
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Exists || f.Path != p || f.Raw != nil || f.Parsed != nil || !f.Valid() || !reflect.DeepEqual(f.Config, genconfig.ClawdbotConfig{}) {
		t.Errorf("file = %+v", f)
	}
	if f.Hash != hashRaw(nil) {
		t.Errorf("Hash = %q", f.Hash)
	}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir() // a directory is not a readable file, even for root
	if _, err := Load(dir); err == nil {
		t.Fatal("want an error")
	}
}

func TestLookupAndFeatures(t *testing.T) {
	f, err := Parse("x", []byte(`{bridge: {enabled: false}, canvasHost: {liveReload: false}, gateway: {reload: {debounceMs: 0}, controlUi: {enabled: false}}, whatsapp: {allowFrom: ["a/b"]}}`)) // legacy whatsapp: Lookup sees channels.whatsapp
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := f.Lookup("/channels/whatsapp/allowFrom/0"); !ok || v != "a/b" {
		t.Errorf("Lookup = %v, %v", v, ok)
	}
	if f.IsSet("/bridge/port") || !f.IsSet("/bridge/enabled") || f.IsSet("/channels/whatsapp/allowFrom/1") || f.IsSet("/whatsapp") || f.IsSet("channels") {
		t.Error("IsSet wrong")
	}
	// The generated struct can't tell these explicit values from "unset".
	if f.Config.Bridge.Enabled || f.Config.Gateway.Reload.DebounceMs != 0 {
		t.Fatal("unexpected decode")
	}
	tests := []struct {
		name string
		f    *File
		env  map[string]string
		want Features
	}{
		{"explicit values", f, nil, Features{ControlUI: false, Bridge: false, CanvasHost: true, CanvasLiveReload: false, ReloadDebounce: 0}},
		{"explicit bridge beats env", f, map[string]string{"CLAWDBOT_BRIDGE_ENABLED": "1"}, Features{Bridge: false, CanvasHost: true}},
		{"defaults", nil, nil, Features{ControlUI: true, Bridge: true, CanvasHost: true, CanvasLiveReload: true, ReloadDebounce: DefaultReloadDebounce}},
		{"env knobs", &File{}, map[string]string{"CLAWDBOT_BRIDGE_ENABLED": "0", "CLAWDBOT_SKIP_CANVAS_HOST": "1"}, Features{ControlUI: true, Bridge: false, CanvasHost: false, CanvasLiveReload: true, ReloadDebounce: DefaultReloadDebounce}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Features(MapEnv(tt.env)); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// The shared validator is used from many goroutines at once (run with -race).
func TestValidateConcurrent(t *testing.T) {
	docs := []string{
		`{gateway: {port: 1, bind: 'lan', auth: {token: 'x'}}}`,
		`{gateway: {port: 70000}, bogus: 1}`,
		`{hooks: {mappings: [{action: 'wake'}]}}`,
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				if _, _, err := Validate([]byte(docs[(i+j)%len(docs)])); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestValidatorRejectsUnresolvableRef(t *testing.T) {
	_, err := newValidator([]byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","$ref":"https://example.invalid/other.json"}`))
	if err == nil {
		t.Fatal("want an error for a $ref that would need the network")
	}
}
