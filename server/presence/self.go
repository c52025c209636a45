package presence

import (
	"net"
	"os"
	"runtime"
	"strings"
)

// SelfInfo describes the gateway's own presence row. Host is its key (lower-cased).
type SelfInfo struct {
	Host, IP, Version, Platform, DeviceFamily, ModelIdentifier string
}

// DefaultSelf describes this machine: host name, first non-loopback IPv4 (preferring
// en0, then eth0), platform ("linux <kernel release>" from /proc/sys/kernel/osrelease,
// "macos" on darwin, runtime.GOOS elsewhere), device family (Linux/Mac/Windows, else
// GOOS) and, like the reference on non-Mac hosts, the CPU architecture in Node.js
// spelling as model identifier (x64, arm64, ia32, …). An empty version becomes
// "unknown". It does I/O: call it once, before New.
func DefaultSelf(version string) SelfInfo {
	return defaultSelf(version, sysInfo{
		hostname:   os.Hostname,
		interfaces: localInterfaces,
		readFile:   os.ReadFile,
		goos:       runtime.GOOS,
		goarch:     runtime.GOARCH,
	})
}

// sysInfo is what defaultSelf reads from the machine; tests fake it.
type sysInfo struct {
	hostname   func() (string, error)
	interfaces func() []iface
	readFile   func(string) ([]byte, error)
	goos       string
	goarch     string
}

// iface is one network interface and its addresses.
type iface struct {
	name     string
	loopback bool
	addrs    []net.IP
}

func defaultSelf(version string, sys sysInfo) SelfInfo {
	if version == "" {
		version = "unknown"
	}
	host, err := sys.hostname()
	host = strings.TrimSpace(host)
	if err != nil || host == "" {
		host = "localhost"
	}
	return SelfInfo{
		Host:            host,
		IP:              primaryIPv4(sys.interfaces()),
		Version:         version,
		Platform:        platform(sys),
		DeviceFamily:    deviceFamily(sys.goos),
		ModelIdentifier: nodeArch(sys.goarch),
	}
}

// primaryIPv4 is the first non-loopback IPv4 address of en0, then eth0, then of any
// interface in the order given; "" if there is none.
func primaryIPv4(ifs []iface) string {
	first := func(f iface) string {
		if f.loopback {
			return ""
		}
		for _, a := range f.addrs {
			if v4 := a.To4(); v4 != nil && !v4.IsLoopback() {
				return v4.String()
			}
		}
		return ""
	}
	for _, want := range []string{"en0", "eth0"} {
		for _, f := range ifs {
			if f.name == want {
				if ip := first(f); ip != "" {
					return ip
				}
			}
		}
	}
	for _, f := range ifs {
		if ip := first(f); ip != "" {
			return ip
		}
	}
	return ""
}

func localInterfaces() []iface {
	nifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	out := make([]iface, 0, len(nifs))
	for _, n := range nifs {
		f := iface{name: n.Name, loopback: n.Flags&net.FlagLoopback != 0}
		addrs, err := n.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			switch v := a.(type) {
			case *net.IPNet:
				f.addrs = append(f.addrs, v.IP)
			case *net.IPAddr:
				f.addrs = append(f.addrs, v.IP)
			}
		}
		out = append(out, f)
	}
	return out
}

func platform(sys sysInfo) string {
	switch sys.goos {
	case "linux":
		b, err := sys.readFile("/proc/sys/kernel/osrelease")
		if rel := strings.TrimSpace(string(b)); err == nil && rel != "" {
			return "linux " + rel
		}
		return "linux"
	case "darwin":
		return "macos"
	default:
		return sys.goos
	}
}

func deviceFamily(goos string) string {
	switch goos {
	case "linux":
		return "Linux"
	case "darwin":
		return "Mac"
	case "windows":
		return "Windows"
	default:
		return goos
	}
}

// nodeArch spells GOARCH the way Node.js's os.arch() does, which the reference reports.
func nodeArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x64"
	case "386":
		return "ia32"
	case "ppc64le", "ppc64":
		return "ppc64"
	default:
		return goarch
	}
}
