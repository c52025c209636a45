package daemon

import (
	"log/slog"
	"net/netip"
	"os"

	"github.com/clawgate/gateway/server/auth"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/gatewaytls"
)

// gatewayTLS loads gateway.tls for the gateway's port; nil when it is off. The
// original refuses to start when TLS is enabled but cannot be loaded, and so do we: a
// gateway asked for TLS never serves plain text instead.
func gatewayTLS(f *config.File, stateDir string) (*gatewaytls.Runtime, error) {
	home, _ := os.UserHomeDir()
	o, ok := gatewaytls.FromConfig(f, stateDir, home)
	if !ok {
		return nil, nil
	}
	if h, err := os.Hostname(); err == nil {
		o.Hosts = append(o.Hosts, h)
	}
	return gatewaytls.Load(o)
}

// trustedProxies is gateway.trustedProxies; entries that are neither an address nor a
// prefix are left out with a warning (the gateway still starts).
func trustedProxies(f *config.File, log *slog.Logger) []netip.Prefix {
	if f.Config.Gateway == nil || len(f.Config.Gateway.TrustedProxies) == 0 {
		return nil
	}
	trusted, bad := auth.ParseTrustedProxies(f.Config.Gateway.TrustedProxies)
	if len(bad) > 0 {
		log.Warn("gateway.trustedProxies: entries that are not an address or prefix are ignored", "entries", bad)
	}
	return trusted
}
