package config

import (
	"net"
	"strings"
	"testing"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

func noTailnet() (string, bool)   { return "", false }
func withTailnet() (string, bool) { return "100.101.102.103", true }

// cfg parses a JSON5 config for a test.
func cfg(t *testing.T, text string) *genconfig.ClawdbotConfig {
	t.Helper()
	c, issues, err := Validate([]byte(text))
	if err != nil || len(issues) > 0 {
		t.Fatalf("config %s: %v %v", text, issues, err)
	}
	return &c
}

func TestResolve(t *testing.T) {
	type env = map[string]string
	tests := []struct {
		name    string
		config  string
		env     env
		flags   Flags
		tailnet func() (string, bool)
		check   func(t *testing.T, r Resolved)
		wantErr string
	}{
		// Gateway port.
		{name: "all defaults", config: `{}`, check: func(t *testing.T, r Resolved) {
			want := Resolved{Port: 18789, Bind: "loopback", Host: "127.0.0.1", BridgePort: 18790, BrowserPort: 18791, CanvasPort: 18793,
				Auth: Auth{Mode: "none"}, TickInterval: 30 * time.Second, MaxPayload: 524288, MaxBufferedBytes: 1572864}
			if r != want {
				t.Errorf("got  %+v\nwant %+v", r, want)
			}
		}},
		{name: "port from config", config: `{gateway: {port: 20000}}`, check: ports(20000, 20001, 20002, 20004)},
		{name: "env port beats config", config: `{gateway: {port: 20000}}`, env: env{"CLAWDBOT_GATEWAY_PORT": "21000"}, check: ports(21000, 21001, 21002, 21004)},
		{name: "flag port beats env and config", config: `{gateway: {port: 20000}}`, env: env{"CLAWDBOT_GATEWAY_PORT": "21000"}, flags: Flags{Port: 22000}, check: ports(22000, 22001, 22002, 22004)},
		{name: "non-numeric env port is ignored", config: `{gateway: {port: 20000}}`, env: env{"CLAWDBOT_GATEWAY_PORT": "abc"}, check: ports(20000, 20001, 20002, 20004)},
		{name: "zero env port is ignored", env: env{"CLAWDBOT_GATEWAY_PORT": "0"}, check: ports(18789, 18790, 18791, 18793)},
		{name: "env port with spaces", env: env{"CLAWDBOT_GATEWAY_PORT": " 19001 "}, check: ports(19001, 19002, 19003, 19005)},
		{name: "env port above 65535", env: env{"CLAWDBOT_GATEWAY_PORT": "70000"}, wantErr: "invalid CLAWDBOT_GATEWAY_PORT=70000"},
		{name: "flag port above 65535", flags: Flags{Port: 65536}, wantErr: "invalid --port 65536"},
		{name: "negative flag port", flags: Flags{Port: -1}, wantErr: "invalid --port -1"},

		// Derived ports and their fallbacks.
		{name: "derived ports near the top fall back", flags: Flags{Port: 65534}, check: ports(65534, 65535, 18791, 18793)},
		{name: "all derived ports out of range", flags: Flags{Port: 65535}, check: ports(65535, 18790, 18791, 18793)},
		{name: "bridge port from config beats env", config: `{bridge: {port: 30000}}`, env: env{"CLAWDBOT_BRIDGE_PORT": "31000"}, check: func(t *testing.T, r Resolved) { wantInt(t, "bridge", r.BridgePort, 30000) }},
		{name: "bridge port from env", env: env{"CLAWDBOT_BRIDGE_PORT": "31000"}, check: func(t *testing.T, r Resolved) { wantInt(t, "bridge", r.BridgePort, 31000) }},
		{name: "invalid bridge env is derived", flags: Flags{Port: 1000}, env: env{"CLAWDBOT_BRIDGE_PORT": "x"}, check: func(t *testing.T, r Resolved) { wantInt(t, "bridge", r.BridgePort, 1001) }},
		{name: "bridge env above 65535 is derived", flags: Flags{Port: 1000}, env: env{"CLAWDBOT_BRIDGE_PORT": "99999"}, check: func(t *testing.T, r Resolved) { wantInt(t, "bridge", r.BridgePort, 1001) }},
		{name: "canvas env beats config", config: `{canvasHost: {port: 40000}}`, env: env{"CLAWDBOT_CANVAS_HOST_PORT": "41000"}, check: func(t *testing.T, r Resolved) { wantInt(t, "canvas", r.CanvasPort, 41000) }},
		{name: "canvas port from config", config: `{canvasHost: {port: 40000}}`, check: func(t *testing.T, r Resolved) { wantInt(t, "canvas", r.CanvasPort, 40000) }},
		{name: "invalid canvas env is derived, not config", config: `{canvasHost: {port: 40000}}`, flags: Flags{Port: 1000}, env: env{"CLAWDBOT_CANVAS_HOST_PORT": "nope"}, check: func(t *testing.T, r Resolved) { wantInt(t, "canvas", r.CanvasPort, 1004) }},
		{name: "browser port is not configurable", config: `{gateway: {port: 5000}}`, check: func(t *testing.T, r Resolved) { wantInt(t, "browser", r.BrowserPort, 5002) }},

		// Bind and host.
		{name: "bind from config", config: `{gateway: {bind: "lan", auth: {token: "t"}}}`, check: bind("lan", "0.0.0.0")},
		{name: "bind flag beats config", config: `{gateway: {bind: "lan"}}`, flags: Flags{Bind: "loopback"}, check: bind("loopback", "127.0.0.1")},
		{name: "tailnet", flags: Flags{Bind: "tailnet"}, tailnet: withTailnet, check: bind("tailnet", "100.101.102.103")},
		{name: "tailnet without an address", flags: Flags{Bind: "tailnet"}, wantErr: "no tailnet address found"},
		{name: "auto with tailnet", config: `{gateway: {bind: "auto"}}`, tailnet: withTailnet, check: bind("auto", "100.101.102.103")},
		{name: "auto without tailnet", config: `{gateway: {bind: "auto"}}`, check: bind("auto", "0.0.0.0")},
		{name: "invalid bind flag", flags: Flags{Bind: "wan"}, wantErr: `invalid bind "wan"`},

		// Auth (§2.3).
		{name: "config token beats --token and env", config: `{gateway: {auth: {token: "cfg"}}}`, flags: Flags{Token: "flag"}, env: env{"CLAWDBOT_GATEWAY_TOKEN": "env"}, check: auth("token", "cfg", "")},
		{name: "--token beats env", flags: Flags{Token: "flag"}, env: env{"CLAWDBOT_GATEWAY_TOKEN": "env"}, check: auth("token", "flag", "")},
		{name: "env token", env: env{"CLAWDBOT_GATEWAY_TOKEN": "env"}, check: auth("token", "env", "")},
		{name: "--password beats config and env", config: `{gateway: {auth: {password: "cfg"}}}`, flags: Flags{Password: "flag"}, env: env{"CLAWDBOT_GATEWAY_PASSWORD": "env"}, check: auth("password", "", "flag")},
		{name: "config password beats env", config: `{gateway: {auth: {password: "cfg"}}}`, env: env{"CLAWDBOT_GATEWAY_PASSWORD": "env"}, check: auth("password", "", "cfg")},
		{name: "env password", env: env{"CLAWDBOT_GATEWAY_PASSWORD": "env"}, check: auth("password", "", "env")},
		{name: "implied password when both exist", config: `{gateway: {auth: {token: "t", password: "p"}}}`, check: auth("password", "t", "p")},
		{name: "config mode token with both", config: `{gateway: {auth: {mode: "token", token: "t", password: "p"}}}`, check: auth("token", "t", "p")},
		{name: "--auth beats config mode", config: `{gateway: {auth: {mode: "password", token: "t", password: "p"}}}`, flags: Flags{Auth: "token"}, check: auth("token", "t", "")},
		{name: "--auth alone drops the config password", config: `{gateway: {auth: {password: "p"}}}`, flags: Flags{Auth: "password"}, wantErr: "no password was configured"},
		{name: "--auth alone keeps the env password", config: `{gateway: {auth: {password: "p"}}}`, flags: Flags{Auth: "password"}, env: env{"CLAWDBOT_GATEWAY_PASSWORD": "e"}, check: auth("password", "", "e")},
		{name: "--password alone drops the config mode", config: `{gateway: {auth: {mode: "token", token: "t"}}}`, flags: Flags{Password: "p"}, check: auth("password", "t", "p")},
		{name: "mode token without token", config: `{gateway: {auth: {mode: "token"}}}`, wantErr: "gateway auth mode is token, but no token was configured"},
		{name: "mode password without password", config: `{gateway: {auth: {mode: "password"}}}`, wantErr: "gateway auth mode is password, but no password was configured"},
		{name: "--auth token without token", flags: Flags{Auth: "token"}, wantErr: "no token was configured"},
		{name: "invalid --auth", flags: Flags{Auth: "none"}, wantErr: `invalid --auth "none"`},
		{name: "empty config token counts as unset", config: `{gateway: {auth: {token: ""}}}`, env: env{"CLAWDBOT_GATEWAY_TOKEN": "env"}, check: auth("token", "env", "")},
		{name: "allowTailscale", config: `{gateway: {auth: {allowTailscale: true}}}`, check: func(t *testing.T, r Resolved) {
			if !r.Auth.AllowTailscale {
				t.Error("AllowTailscale = false")
			}
		}},

		// Policy.
		{name: "policy from config", config: `{gateway: {tickIntervalMs: 5000, maxPayload: 2048, maxBufferedBytes: 4096}}`, check: func(t *testing.T, r Resolved) {
			if r.TickInterval != 5*time.Second || r.MaxPayload != 2048 || r.MaxBufferedBytes != 4096 {
				t.Errorf("policy = %v %d %d", r.TickInterval, r.MaxPayload, r.MaxBufferedBytes)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *genconfig.ClawdbotConfig
			if tt.config != "" {
				c = cfg(t, tt.config)
			}
			tn := tt.tailnet
			if tn == nil {
				tn = noTailnet
			}
			r, err := resolve(c, MapEnv(tt.env), tt.flags, tn)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

func wantInt(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d, want %d", what, got, want)
	}
}

func ports(gw, bridge, browser, canvas int) func(*testing.T, Resolved) {
	return func(t *testing.T, r Resolved) {
		t.Helper()
		if r.Port != gw || r.BridgePort != bridge || r.BrowserPort != browser || r.CanvasPort != canvas {
			t.Errorf("ports = %d/%d/%d/%d, want %d/%d/%d/%d", r.Port, r.BridgePort, r.BrowserPort, r.CanvasPort, gw, bridge, browser, canvas)
		}
	}
}

func bind(mode, host string) func(*testing.T, Resolved) {
	return func(t *testing.T, r Resolved) {
		t.Helper()
		if r.Bind != mode || r.Host != host {
			t.Errorf("bind = %s/%s, want %s/%s", r.Bind, r.Host, mode, host)
		}
	}
}

func auth(mode, token, password string) func(*testing.T, Resolved) {
	return func(t *testing.T, r Resolved) {
		t.Helper()
		if want := (Auth{Mode: mode, Token: token, Password: password}); r.Auth != want {
			t.Errorf("auth = %+v, want %+v", r.Auth, want)
		}
	}
}

func TestResolvePublic(t *testing.T) {
	// Resolve with a nil config and env uses the real interfaces only for tailnet/auto.
	r, err := Resolve(nil, nil, Flags{})
	if err != nil || r.Port != DefaultGatewayPort || r.Host != "127.0.0.1" {
		t.Fatalf("Resolve = %+v, %v", r, err)
	}
}

func TestCheckBind(t *testing.T) {
	tests := []struct {
		host, mode string
		wantErr    string
	}{
		{"127.0.0.1", "none", ""},
		{"127.0.0.2", "none", ""},
		{"::1", "none", ""},
		{"::ffff:127.0.0.1", "none", ""},
		{"0.0.0.0", "token", ""},
		{"100.101.102.103", "password", ""},
		{"0.0.0.0", "none", "refusing to bind gateway to 0.0.0.0:18789 without auth (set gateway.auth.token or CLAWDBOT_GATEWAY_TOKEN, or pass --token)"},
		{"100.101.102.103", "none", "refusing to bind gateway to 100.101.102.103:18789 without auth"},
		{"localhost", "none", "refusing to bind gateway to localhost:18789"},
	}
	for _, tt := range tests {
		t.Run(tt.host+"/"+tt.mode, func(t *testing.T) {
			err := Resolved{Host: tt.host, Port: 18789, Auth: Auth{Mode: tt.mode}}.CheckBind()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestModeGuard(t *testing.T) {
	const missing = "Missing config. Run `clawdbot setup` or set gateway.mode=local (or pass --allow-unconfigured)."
	const blocked = "Gateway start blocked: set gateway.mode=local (or pass --allow-unconfigured)."
	parsed := func(text string) *File {
		f, err := Parse("/c.json", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		name  string
		f     *File
		allow bool
		want  string
	}{
		{"missing file", &File{Path: "/c.json"}, false, missing},
		{"nil file", nil, false, missing},
		{"missing file, allowed", &File{Path: "/c.json"}, true, ""},
		{"no mode", parsed(`{}`), false, blocked},
		{"mode remote", parsed(`{gateway: {mode: "remote"}}`), false, blocked},
		{"mode remote, allowed", parsed(`{gateway: {mode: "remote"}}`), true, ""},
		{"mode local", parsed(`{gateway: {mode: "local"}}`), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ModeGuard(tt.f, tt.allow)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTailnetIPv4Match(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.IPNet{IP: net.ParseIP("100.64.0.1"), Mask: net.CIDRMask(32, 32)}, "100.64.0.1"},
		{&net.IPNet{IP: net.ParseIP("100.127.255.254"), Mask: net.CIDRMask(32, 32)}, "100.127.255.254"},
		{&net.IPAddr{IP: net.ParseIP("100.100.1.1")}, "100.100.1.1"},
		{&net.IPNet{IP: net.ParseIP("100.128.0.1")}, ""},
		{&net.IPNet{IP: net.ParseIP("100.63.255.255")}, ""},
		{&net.IPNet{IP: net.ParseIP("192.168.1.1")}, ""},
		{&net.IPNet{IP: net.ParseIP("fd7a:115c:a1e0::1")}, ""},
	}
	for _, tt := range tests {
		got, ok := tailnetIPv4(tt.addr)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%v: got %q %v, want %q", tt.addr, got, ok, tt.want)
		}
	}
}
