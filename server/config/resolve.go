package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

// Defaults (runbook §8.2 and the config schema).
const (
	DefaultGatewayPort      = 18789
	DefaultBridgePort       = 18790
	DefaultBrowserPort      = 18791
	DefaultCanvasPort       = 18793
	DefaultBind             = "loopback"
	DefaultTickInterval     = 30 * time.Second
	DefaultMaxPayload       = 524288
	DefaultMaxBufferedBytes = 1572864
	DefaultReloadDebounce   = 300 * time.Millisecond
)

// Auth modes.
const (
	AuthNone     = "none"
	AuthToken    = "token"
	AuthPassword = "password"
)

// Bind modes.
const (
	BindLoopback = "loopback"
	BindLAN      = "lan"
	BindTailnet  = "tailnet"
	BindAuto     = "auto"
)

// ErrNoTailnet: bind tailnet was asked for and no interface has a 100.64.0.0/10 address.
var ErrNoTailnet = errors.New("no tailnet address found")

// Auth is the effective connect authentication (§2.3).
type Auth struct {
	Mode     string // none | token | password
	Token    string
	Password string
	// AllowTailscale is gateway.auth.allowTailscale; false when unset (the
	// reference defaults it to true only with tailscale serve, which this
	// config has no key for).
	AllowTailscale bool
}

// Resolved are the effective settings the gateway starts with.
type Resolved struct {
	Port        int    // --port → CLAWDBOT_GATEWAY_PORT → gateway.port → 18789
	Bind        string // --bind → gateway.bind → loopback
	Host        string // the listen address Bind means
	BridgePort  int    // bridge.port → CLAWDBOT_BRIDGE_PORT → Port+1
	BrowserPort int    // Port+2
	CanvasPort  int    // CLAWDBOT_CANVAS_HOST_PORT → canvasHost.port → Port+4
	Auth        Auth

	TickInterval     time.Duration // gateway.tickIntervalMs → 30s
	MaxPayload       int           // gateway.maxPayload → 524288
	MaxBufferedBytes int           // gateway.maxBufferedBytes → 1572864
}

// Flags are the `clawdbot gateway` overrides; zero values mean unset.
type Flags struct {
	Port     int
	Bind     string
	Token    string // --token: stands in for CLAWDBOT_GATEWAY_TOKEN, so a config token still wins
	Password string
	Auth     string // token | password
}

// Resolve computes the effective settings from config, environment and flags.
//
//   - Port: Flags.Port → $CLAWDBOT_GATEWAY_PORT → gateway.port → 18789. An env
//     value that is not an integer (or <= 0) is ignored; a flag or env port
//     above 65535 is an error.
//   - Bind/Host: Flags.Bind → gateway.bind → loopback; loopback 127.0.0.1, lan
//     0.0.0.0, tailnet the first 100.64.0.0/10 IPv4 (ErrNoTailnet if none),
//     auto that address else 0.0.0.0.
//   - BridgePort: bridge.port → $CLAWDBOT_BRIDGE_PORT → Port+1; CanvasPort:
//     $CLAWDBOT_CANVAS_HOST_PORT → canvasHost.port → Port+4. As in the
//     reference, an env var that is set but not a valid port selects the
//     derived port (it does not fall back to the config). BrowserPort: Port+2.
//     A derived port outside 1..65535 is 18790 / 18791 / 18793.
//   - Auth (§2.3): token = gateway.auth.token → Flags.Token → $CLAWDBOT_GATEWAY_TOKEN;
//     password = gateway.auth.password → $CLAWDBOT_GATEWAY_PASSWORD, where
//     --auth/--password replace the config's {mode, password} pair as a whole
//     (so --auth alone drops a config password and --password alone drops a
//     config mode); mode = that mode → implied (password if a password, else
//     token if a token, else none). Mode token without a token or password
//     without a password is an error. Empty strings count as unset.
func Resolve(c *genconfig.ClawdbotConfig, env Env, f Flags) (Resolved, error) {
	return resolve(c, env, f, TailnetIPv4)
}

func resolve(c *genconfig.ClawdbotConfig, env Env, f Flags, tailnet func() (string, bool)) (Resolved, error) {
	if c == nil {
		c = &genconfig.ClawdbotConfig{}
	}
	gw := c.Gateway
	if gw == nil {
		gw = &genconfig.ConfigGateway{}
	}
	var r Resolved

	// Gateway port.
	switch {
	case f.Port < 0 || f.Port > 65535:
		return r, fmt.Errorf("invalid --port %d (use 1-65535)", f.Port)
	case f.Port > 0:
		r.Port = f.Port
	}
	if r.Port == 0 {
		if s := env.get(EnvGatewayPort); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				if n > 65535 {
					return r, fmt.Errorf("invalid %s=%s (use 1-65535)", EnvGatewayPort, s)
				}
				r.Port = n
			}
		}
	}
	if r.Port == 0 && gw.Port > 0 {
		r.Port = gw.Port
	}
	if r.Port == 0 {
		r.Port = DefaultGatewayPort
	}

	// Bind and host.
	r.Bind = f.Bind
	if r.Bind == "" {
		r.Bind = string(gw.Bind)
	}
	if r.Bind == "" {
		r.Bind = DefaultBind
	}
	switch r.Bind {
	case BindLoopback:
		r.Host = "127.0.0.1"
	case BindLAN:
		r.Host = "0.0.0.0"
	case BindTailnet:
		ip, ok := tailnet()
		if !ok {
			return r, fmt.Errorf("gateway bind is tailnet, but %w; refusing to start gateway", ErrNoTailnet)
		}
		r.Host = ip
	case BindAuto:
		r.Host = "0.0.0.0"
		if ip, ok := tailnet(); ok {
			r.Host = ip
		}
	default:
		return r, fmt.Errorf("invalid bind %q (use \"loopback\", \"tailnet\", \"lan\", or \"auto\")", r.Bind)
	}

	// Derived ports.
	r.BridgePort = derivePort(r.Port, 1, DefaultBridgePort)
	if c.Bridge != nil && c.Bridge.Port != nil && *c.Bridge.Port > 0 {
		r.BridgePort = *c.Bridge.Port
	} else if p, set := envPort(env, EnvBridgePort); set && p > 0 {
		r.BridgePort = p
	}
	r.BrowserPort = derivePort(r.Port, 2, DefaultBrowserPort)
	r.CanvasPort = derivePort(r.Port, 4, DefaultCanvasPort)
	if p, set := envPort(env, EnvCanvasHostPort); set {
		if p > 0 {
			r.CanvasPort = p
		}
	} else if c.CanvasHost != nil && c.CanvasHost.Port != nil && *c.CanvasHost.Port > 0 {
		r.CanvasPort = *c.CanvasHost.Port
	}

	// Auth.
	var a struct{ mode, token, password string }
	if au := gw.Auth; au != nil {
		if au.Mode != nil {
			a.mode = string(*au.Mode)
		}
		a.token = deref(au.Token)
		a.password = deref(au.Password)
		r.Auth.AllowTailscale = au.AllowTailscale != nil && *au.AllowTailscale
	}
	if f.Auth != "" && f.Auth != AuthToken && f.Auth != AuthPassword {
		return r, fmt.Errorf("invalid --auth %q (use \"token\" or \"password\")", f.Auth)
	}
	if f.Auth != "" || f.Password != "" {
		a.mode, a.password = f.Auth, f.Password
	}
	r.Auth.Token = firstNonEmpty(a.token, f.Token, env.get(EnvGatewayToken))
	r.Auth.Password = firstNonEmpty(a.password, env.get(EnvGatewayPass))
	switch {
	case a.mode != "":
		r.Auth.Mode = a.mode
	case r.Auth.Password != "":
		r.Auth.Mode = AuthPassword
	case r.Auth.Token != "":
		r.Auth.Mode = AuthToken
	default:
		r.Auth.Mode = AuthNone
	}
	switch r.Auth.Mode {
	case AuthToken:
		if r.Auth.Token == "" {
			return r, errors.New("gateway auth mode is token, but no token was configured (set gateway.auth.token or CLAWDBOT_GATEWAY_TOKEN)")
		}
	case AuthPassword:
		if r.Auth.Password == "" {
			return r, errors.New("gateway auth mode is password, but no password was configured (set gateway.auth.password or CLAWDBOT_GATEWAY_PASSWORD)")
		}
	case AuthNone:
	default: // the schema restricts gateway.auth.mode; only a hand-built config gets here
		return r, fmt.Errorf("invalid gateway.auth.mode %q (use \"token\" or \"password\")", r.Auth.Mode)
	}

	// Policy.
	r.TickInterval = DefaultTickInterval
	if gw.TickIntervalMs > 0 {
		r.TickInterval = time.Duration(gw.TickIntervalMs) * time.Millisecond
	}
	r.MaxPayload = DefaultMaxPayload
	if gw.MaxPayload > 0 {
		r.MaxPayload = gw.MaxPayload
	}
	r.MaxBufferedBytes = DefaultMaxBufferedBytes
	if gw.MaxBufferedBytes > 0 {
		r.MaxBufferedBytes = gw.MaxBufferedBytes
	}
	return r, nil
}

// CheckBind refuses a non-loopback bind without auth.
func (r Resolved) CheckBind() error {
	if !IsLoopbackHost(r.Host) && r.Auth.Mode == AuthNone {
		return fmt.Errorf("refusing to bind gateway to %s:%d without auth (set gateway.auth.token or CLAWDBOT_GATEWAY_TOKEN, or pass --token)", r.Host, r.Port)
	}
	return nil
}

// IsLoopbackHost reports whether host is a loopback address (127.0.0.0/8, ::1,
// ::ffff:127.x) — "localhost" is a name, not an address, and is not.
func IsLoopbackHost(host string) bool {
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.Unmap().IsLoopback()
}

// ModeGuard enforces gateway.mode=local unless allowUnconfigured (§8.5).
func ModeGuard(f *File, allowUnconfigured bool) error {
	if allowUnconfigured {
		return nil
	}
	if f != nil && f.Config.Gateway != nil && f.Config.Gateway.Mode != nil && *f.Config.Gateway.Mode == genconfig.ConfigGatewayModeLocal {
		return nil
	}
	if f == nil || !f.Exists {
		return errors.New("Missing config. Run `clawdbot setup` or set gateway.mode=local (or pass --allow-unconfigured).")
	}
	return errors.New("Gateway start blocked: set gateway.mode=local (or pass --allow-unconfigured).")
}

// TailnetIPv4 returns the first IPv4 address in 100.64.0.0/10 (Tailscale's
// range) on a non-loopback interface.
func TailnetIPv4() (string, bool) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return "", false
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ip, ok := tailnetIPv4(a); ok {
				return ip, true
			}
		}
	}
	return "", false
}

var tailnetPrefix = netip.MustParsePrefix("100.64.0.0/10")

func tailnetIPv4(a net.Addr) (string, bool) {
	var ip net.IP
	switch t := a.(type) {
	case *net.IPNet:
		ip = t.IP
	case *net.IPAddr:
		ip = t.IP
	}
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return "", false
	}
	addr = addr.Unmap()
	if addr.Is4() && tailnetPrefix.Contains(addr) {
		return addr.String(), true
	}
	return "", false
}

// Features are on/off switches and durations whose schema default is not the
// zero value. The generated struct can't tell "unset" from an explicit false
// (or 0) for them, so they are read from the parsed file.
type Features struct {
	ControlUI        bool          // gateway.controlUi.enabled → true
	Bridge           bool          // bridge.enabled → CLAWDBOT_BRIDGE_ENABLED != "0" → true
	CanvasHost       bool          // CLAWDBOT_SKIP_CANVAS_HOST != "1" && canvasHost.enabled → true
	CanvasLiveReload bool          // canvasHost.liveReload → true
	ReloadDebounce   time.Duration // gateway.reload.debounceMs (0 allowed) → 300ms
}

// Features resolves f's feature switches (f may be nil: all defaults).
func (f *File) Features(env Env) Features {
	boolAt := func(ptr string, def bool) bool {
		if v, ok := f.Lookup(ptr); ok {
			if b, ok := v.(bool); ok {
				return b
			}
		}
		return def
	}
	out := Features{
		ControlUI:        boolAt("/gateway/controlUi/enabled", true),
		CanvasHost:       boolAt("/canvasHost/enabled", true),
		CanvasLiveReload: boolAt("/canvasHost/liveReload", true),
		ReloadDebounce:   DefaultReloadDebounce,
	}
	if _, set := f.Lookup("/bridge/enabled"); set {
		out.Bridge = boolAt("/bridge/enabled", true)
	} else {
		out.Bridge = env.get(EnvBridgeEnabled) != "0"
	}
	if env.get(EnvSkipCanvasHost) == "1" {
		out.CanvasHost = false
	}
	if v, ok := f.Lookup("/gateway/reload/debounceMs"); ok {
		if n, ok := v.(float64); ok && n >= 0 {
			out.ReloadDebounce = time.Duration(n) * time.Millisecond
		}
	}
	return out
}

// derivePort is base+offset, or fallback when that is not a valid port.
func derivePort(base, offset, fallback int) int {
	if p := base + offset; p > 0 && p <= 65535 {
		return p
	}
	return fallback
}

// envPort parses a port env var: set reports whether the variable exists at
// all; p is 0 when its value is not an integer in 1..65535.
func envPort(env Env, key string) (p int, set bool) {
	v, ok := env.lookup(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 || n > 65535 {
		return 0, true
	}
	return n, true
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
