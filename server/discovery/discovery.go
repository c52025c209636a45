// Package discovery advertises the gateway on the local network over Bonjour/mDNS so
// the original's apps (macOS, iOS, Android) find it: one service of type
// _clawdbot-gw._tcp in local., named "<host> (Clawdbot)", with the TXT keys the apps'
// browsers read (role, gatewayPort, lanHost, displayName, sshPort, transport, and
// when known canvasPort, gatewayTls, gatewayTlsSha256, tailnetDns, cliPath).
package discovery

import (
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/mdns"
)

// Service is the DNS-SD service type the original advertises and its apps browse.
const (
	Service = "_clawdbot-gw._tcp"
	Domain  = "local."
)

// Options describe what is advertised.
type Options struct {
	// Hostname is the machine's name; only its first label is used ("clawdbot" when
	// empty), as the original does: dots confuse some browsers.
	Hostname string
	// DisplayName overrides the instance name (default "<host> (Clawdbot)").
	DisplayName string
	GatewayPort int
	CanvasPort  int // 0: not advertised
	SSHPort     int // 0: 22
	TLS         bool
	// TLSFingerprint is the gateway certificate's SHA-256 (with TLS).
	TLSFingerprint string
	TailnetDNS     string
	CLIPath        string
	// IPs are the addresses the host record answers with (required: the library would
	// otherwise resolve the .local name through the system resolver).
	IPs []net.IP
	// Iface binds the responder to one interface (nil: the system's multicast default).
	Iface  *net.Interface
	Logger *slog.Logger
}

var (
	trailingLocal = regexp.MustCompile(`(?i)\.local$`)
	clawdbotWord  = regexp.MustCompile(`(?i)clawdbot`)
	suffix        = regexp.MustCompile(`(?i)\s+\(Clawdbot\)\s*$`)
	spaces        = regexp.MustCompile(`\s+`)
)

// ShortHost is the first DNS label of a host name, without .local.
func ShortHost(h string) string {
	h = strings.TrimSpace(strings.Split(trailingLocal.ReplaceAllString(strings.TrimSpace(h), ""), ".")[0])
	if h == "" {
		return "clawdbot"
	}
	return h
}

// InstanceName is the advertised service name: the display name with " (Clawdbot)"
// appended unless it already mentions Clawdbot.
func (o Options) InstanceName() string {
	name := strings.TrimSpace(o.DisplayName)
	if name == "" {
		name = ShortHost(o.Hostname)
	}
	if clawdbotWord.MatchString(name) {
		return name
	}
	return name + " (Clawdbot)"
}

// TXT is the TXT record, key=value pairs in a stable order.
func (o Options) TXT() []string {
	host := ShortHost(o.Hostname)
	inst := spaces.ReplaceAllString(o.InstanceName(), " ")
	display := strings.TrimSpace(suffix.ReplaceAllString(inst, ""))
	if display == "" {
		display = inst
	}
	ssh := o.SSHPort
	if ssh <= 0 {
		ssh = 22
	}
	txt := []string{
		"role=gateway",
		"gatewayPort=" + strconv.Itoa(o.GatewayPort),
		"lanHost=" + host + ".local",
		"displayName=" + display,
	}
	if o.TLS {
		txt = append(txt, "gatewayTls=1")
		if o.TLSFingerprint != "" {
			txt = append(txt, "gatewayTlsSha256="+o.TLSFingerprint)
		}
	}
	if o.CanvasPort > 0 {
		txt = append(txt, "canvasPort="+strconv.Itoa(o.CanvasPort))
	}
	if s := strings.TrimSpace(o.TailnetDNS); s != "" {
		txt = append(txt, "tailnetDns="+s)
	}
	if s := strings.TrimSpace(o.CLIPath); s != "" {
		txt = append(txt, "cliPath="+s)
	}
	return append(txt, "sshPort="+strconv.Itoa(ssh), "transport=gateway")
}

// Zone is the DNS-SD zone answered for the gateway (PTR, SRV, TXT, A/AAAA).
func (o Options) Zone() (*mdns.MDNSService, error) {
	if o.GatewayPort <= 0 || o.GatewayPort > 65535 {
		return nil, fmt.Errorf("discovery: gateway port %d out of range", o.GatewayPort)
	}
	if len(o.IPs) == 0 {
		return nil, errors.New("discovery: no address to advertise")
	}
	host := ShortHost(o.Hostname) + "." + Domain
	z, err := mdns.NewMDNSService(o.InstanceName(), Service, Domain, host, o.GatewayPort, o.IPs, o.TXT())
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	return z, nil
}

// Advertiser answers mDNS queries for the gateway until Close.
type Advertiser struct{ srv *mdns.Server }

// Advertise starts answering on UDP 5353 (multicast).
func Advertise(o Options) (*Advertiser, error) {
	z, err := o.Zone()
	if err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv, err := mdns.NewServer(&mdns.Config{Zone: z, Iface: o.Iface, Logger: slogWriter(log)})
	if err != nil {
		return nil, fmt.Errorf("discovery: mdns responder: %w", err)
	}
	return &Advertiser{srv: srv}, nil
}

// Close stops answering.
func (a *Advertiser) Close() error {
	if a == nil {
		return nil
	}
	return a.srv.Shutdown()
}

// slogWriter adapts the library's *log.Logger to slog at debug level.
func slogWriter(l *slog.Logger) *log.Logger {
	return log.New(writerFunc(func(p []byte) (int, error) {
		l.Debug("mdns: " + strings.TrimSpace(string(p)))
		return len(p), nil
	}), "", 0)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

var _ io.Writer = writerFunc(nil)

// LANAddrs are the machine's up, non-loopback unicast addresses (what the host record
// advertises when the gateway listens on all interfaces).
func LANAddrs() []net.IP {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []net.IP
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				out = append(out, n.IP)
			}
		}
	}
	return out
}
