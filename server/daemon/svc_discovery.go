package daemon

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/discovery"
	"github.com/clawgate/gateway/server/gateway"
)

// discoveryService advertises the gateway over Bonjour/mDNS (_clawdbot-gw._tcp) so
// the apps find it on the LAN. The original advertises whatever the bind; we do only
// when the gateway listens beyond loopback (an advertised loopback address helps no
// one), and never with CLAWDBOT_DISABLE_BONJOUR set.
type discoveryService struct{ adv *discovery.Advertiser }

// bonjourPlan decides whether to advertise and says why not.
func bonjourPlan(env config.Env, host string) (bool, string) {
	if v, _ := env("CLAWDBOT_DISABLE_BONJOUR"); truthyEnv(v) {
		return false, "CLAWDBOT_DISABLE_BONJOUR"
	}
	if config.IsLoopbackHost(host) {
		return false, "loopback bind"
	}
	return true, ""
}

// truthyEnv is the original's reading of boolean environment values.
func truthyEnv(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func buildDiscovery(ctx context.Context, s *services) (component, error) {
	res, err := config.Resolve(&s.file.Config, s.env, s.flags)
	if err != nil {
		return nil, nil // the gateway itself reports a bad config
	}
	if ok, why := bonjourPlan(s.env, res.Host); !ok {
		s.log.Info("bonjour: not advertising", "reason", why)
		return nil, nil
	}
	o := s.discoveryOptions(res.Host, res.Port, res.CanvasPort)
	adv, err := discovery.Advertise(o)
	if err != nil {
		// Discovery is a convenience: the gateway runs without it, as in the original.
		s.log.Warn("bonjour advertising failed", "err", err)
		return nil, nil
	}
	s.log.Info("bonjour: advertising", "service", discovery.Service, "instance", o.InstanceName(), "port", res.Port)
	return &discoveryService{adv: adv}, nil
}

func (d *discoveryService) attach(*gateway.Server, *methods) error { return nil }

func (d *discoveryService) close(context.Context) error { return d.adv.Close() }

// discoveryOptions is what the gateway advertises: its port, canvas port, TLS
// fingerprint (gateway.tls), SSH port and CLI path, on the bound address or the LAN's.
func (s *services) discoveryOptions(bindHost string, port, canvasPort int) discovery.Options {
	host, _ := os.Hostname()
	o := discovery.Options{Hostname: host, GatewayPort: port, Logger: s.log.With("subsystem", "discovery")}
	if s.file.Features(s.env).CanvasHost {
		o.CanvasPort = canvasPort
	}
	if rt, err := gatewayTLS(s.file, s.paths.StateDir); err == nil && rt != nil {
		o.TLS, o.TLSFingerprint = true, rt.Fingerprint
	}
	if v, _ := s.env("CLAWDBOT_SSH_PORT"); v != "" {
		if p, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && p > 0 {
			o.SSHPort = p
		}
	}
	if v, _ := s.env("CLAWDBOT_CLI_PATH"); strings.TrimSpace(v) != "" {
		o.CLIPath = v
	} else if exe, err := os.Executable(); err == nil {
		o.CLIPath = exe
	}
	if ip := net.ParseIP(bindHost); ip != nil && !ip.IsUnspecified() {
		o.IPs = []net.IP{ip}
	} else {
		o.IPs = discovery.LANAddrs()
	}
	return o
}
