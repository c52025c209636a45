package daemon

import (
	"os"

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
