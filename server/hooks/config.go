package hooks

import (
	"errors"
	"fmt"
	"strings"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

// Defaults of hooks.* (§10.1).
const (
	DefaultPath         = "/hooks"
	DefaultMaxBodyBytes = 256 * 1024
)

// ErrNoToken is the startup error when hooks are enabled without a token: an open
// webhook endpoint would let anyone start agent runs.
var ErrNoToken = errors.New("hooks.enabled requires hooks.token")

// Config is the resolved hooks.* section.
type Config struct {
	Enabled      bool
	Path         string // leading slash, no trailing slash, never "/"
	Token        string
	MaxBodyBytes int64
	Mappings     []Mapping // custom mappings first, then presets
}

// Resolve turns hooks.* into a Config. Disabled hooks resolve to a zero Config with
// Enabled=false and no error; enabled hooks need a token and a usable path.
func Resolve(c *genconfig.ConfigHooks) (Config, error) {
	if c == nil || !c.Enabled {
		return Config{}, nil
	}
	cfg := Config{Enabled: true, MaxBodyBytes: DefaultMaxBodyBytes}
	if c.Token == nil || strings.TrimSpace(*c.Token) == "" {
		return Config{}, ErrNoToken
	}
	cfg.Token = strings.TrimSpace(*c.Token)
	p, err := NormalizePath(c.Path)
	if err != nil {
		return Config{}, err
	}
	cfg.Path = p
	if c.MaxBodyBytes > 0 {
		cfg.MaxBodyBytes = int64(c.MaxBodyBytes)
	}
	maps, err := ResolveMappings(c.Mappings, c.Presets)
	if err != nil {
		return Config{}, err
	}
	cfg.Mappings = maps
	return cfg, nil
}

// NormalizePath gives the base path a leading slash and no trailing slash; "" means
// the default, and "/" is refused (the hooks would shadow the whole port).
func NormalizePath(p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return DefaultPath, nil
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "", fmt.Errorf("hooks.path may not be %q", "/")
	}
	if strings.ContainsAny(p, "?#{} ") {
		return "", fmt.Errorf("hooks.path %q: only a plain path is allowed", p)
	}
	return p, nil
}
