package discovery

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/mdns"
	"github.com/miekg/dns"
)

func TestNamesAndTXT(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		inst string
		txt  []string
	}{
		{"plain host", Options{Hostname: "Mac.localdomain", GatewayPort: 18789},
			"Mac (Clawdbot)", []string{"role=gateway", "gatewayPort=18789", "lanHost=Mac.local", "displayName=Mac", "sshPort=22", "transport=gateway"}},
		{"every key", Options{Hostname: "box.local", GatewayPort: 19001, CanvasPort: 19005, SSHPort: 2222, TLS: true, TLSFingerprint: "ab:cd", TailnetDNS: " box.tail.ts.net ", CLIPath: "/usr/local/bin/clawdbot"},
			"box (Clawdbot)", []string{"role=gateway", "gatewayPort=19001", "lanHost=box.local", "displayName=box", "gatewayTls=1", "gatewayTlsSha256=ab:cd", "canvasPort=19005", "tailnetDns=box.tail.ts.net", "cliPath=/usr/local/bin/clawdbot", "sshPort=2222", "transport=gateway"}},
		{"display name with clawdbot", Options{Hostname: "", DisplayName: "My  Clawdbot", GatewayPort: 1},
			"My  Clawdbot", []string{"role=gateway", "gatewayPort=1", "lanHost=clawdbot.local", "displayName=My Clawdbot", "sshPort=22", "transport=gateway"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.o.InstanceName(); got != tc.inst {
				t.Errorf("instance %q, want %q", got, tc.inst)
			}
			if got := tc.o.TXT(); !slices.Equal(got, tc.txt) {
				t.Errorf("txt %q\nwant %q", got, tc.txt)
			}
		})
	}
	if _, err := (Options{GatewayPort: 0, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}).Zone(); err == nil {
		t.Error("port 0 accepted")
	}
	if _, err := (Options{GatewayPort: 80}).Zone(); err == nil {
		t.Error("no addresses accepted")
	}
}

// TestZoneAnswers asks the responder's zone what a browser asks: PTR for the
// service type, then SRV and TXT for the instance.
func TestZoneAnswers(t *testing.T) {
	o := Options{Hostname: "gw", GatewayPort: 18789, CanvasPort: 18793, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}
	z, err := o.Zone()
	if err != nil {
		t.Fatal(err)
	}
	ptr := z.Records(dns.Question{Name: Service + "." + Domain, Qtype: dns.TypePTR, Qclass: dns.ClassINET})
	var inst string
	for _, rr := range ptr {
		if p, ok := rr.(*dns.PTR); ok {
			inst = p.Ptr
		}
	}
	if inst != "gw (Clawdbot)."+Service+"."+Domain {
		t.Fatalf("PTR answer %v", ptr)
	}
	var port uint16
	var txt []string
	for _, rr := range z.Records(dns.Question{Name: inst, Qtype: dns.TypeANY, Qclass: dns.ClassINET}) {
		switch r := rr.(type) {
		case *dns.SRV:
			port = r.Port
		case *dns.TXT:
			txt = r.Txt
		}
	}
	if port != 18789 || !slices.Contains(txt, "canvasPort=18793") || !slices.Contains(txt, "role=gateway") {
		t.Fatalf("SRV port %d, TXT %q", port, txt)
	}
}

// TestAdvertiseLoopback runs the real responder on the loopback interface and browses
// for it with the library's client, as the apps do on the LAN: the instance, its port
// and address, and the whole TXT set the original's apps read (bonjour.ts keys).
func TestAdvertiseLoopback(t *testing.T) {
	lo := loopback(t)
	a, err := Advertise(Options{Hostname: "gw.localdomain", GatewayPort: 18789, CanvasPort: 18793, SSHPort: 2222,
		CLIPath: "/usr/local/bin/clawdbot", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Iface: lo})
	if err != nil {
		t.Skipf("no multicast on loopback here: %v", err)
	}
	defer a.Close()
	entries := make(chan *mdns.ServiceEntry, 8)
	err = mdns.Query(&mdns.QueryParam{Service: Service, Domain: "local", Timeout: 3 * time.Second, Interface: lo, Entries: entries, DisableIPv6: true})
	close(entries)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	want := []string{"role=gateway", "gatewayPort=18789", "lanHost=gw.local", "displayName=gw",
		"canvasPort=18793", "cliPath=/usr/local/bin/clawdbot", "sshPort=2222", "transport=gateway"}
	for e := range entries {
		if !strings.HasPrefix(e.Name, `gw\ \(Clawdbot\)._clawdbot-gw._tcp.local`) {
			t.Logf("other entry %+v", e)
			continue
		}
		got := slices.Clone(e.InfoFields)
		slices.Sort(got)
		slices.Sort(want)
		if e.Port != 18789 || !e.AddrV4.Equal(net.IPv4(127, 0, 0, 1)) || !slices.Equal(got, want) {
			t.Fatalf("entry port %d addr %v TXT %q\nwant TXT %q", e.Port, e.AddrV4, e.InfoFields, want)
		}
		return
	}
	t.Fatal("gateway not found")
}

func loopback(t *testing.T) *net.Interface {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 {
			return &ifc
		}
	}
	t.Skip("no loopback interface")
	return nil
}
