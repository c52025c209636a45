package presence

import (
	"errors"
	"net"
	"runtime"
	"testing"
)

func TestDefaultSelfWith(t *testing.T) {
	lo := iface{name: "lo", loopback: true, addrs: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}}
	docker := iface{name: "docker0", addrs: []net.IP{net.ParseIP("172.17.0.1")}}
	eth0 := iface{name: "eth0", addrs: []net.IP{net.ParseIP("fe80::1"), net.ParseIP("10.1.2.3")}}
	en0 := iface{name: "en0", addrs: []net.IP{net.ParseIP("192.168.1.7")}}
	v6only := iface{name: "eth0", addrs: []net.IP{net.ParseIP("2001:db8::1")}}
	release := func(b string, err error) func(string) ([]byte, error) {
		return func(path string) ([]byte, error) {
			if path != "/proc/sys/kernel/osrelease" {
				return nil, errors.New("unexpected path " + path)
			}
			return []byte(b), err
		}
	}
	host := func(h string, err error) func() (string, error) { return func() (string, error) { return h, err } }
	tests := []struct {
		name    string
		version string
		sys     sysInfo
		want    SelfInfo
	}{
		{
			name: "linux prefers eth0 over earlier interfaces", version: "2026.1.5",
			sys:  sysInfo{hostname: host("box", nil), interfaces: func() []iface { return []iface{lo, docker, eth0} }, readFile: release("6.1.0-18-amd64\n", nil), goos: "linux", goarch: "amd64"},
			want: SelfInfo{Host: "box", IP: "10.1.2.3", Version: "2026.1.5", Platform: "linux 6.1.0-18-amd64", DeviceFamily: "Linux", ModelIdentifier: "x64"},
		},
		{
			name: "en0 beats eth0",
			sys:  sysInfo{hostname: host("Mac.local", nil), interfaces: func() []iface { return []iface{eth0, en0} }, readFile: release("", nil), goos: "darwin", goarch: "arm64"},
			want: SelfInfo{Host: "Mac.local", IP: "192.168.1.7", Version: "unknown", Platform: "macos", DeviceFamily: "Mac", ModelIdentifier: "arm64"},
		},
		{
			name: "falls back to any non-loopback IPv4",
			sys:  sysInfo{hostname: host("w", nil), interfaces: func() []iface { return []iface{lo, v6only, docker} }, readFile: release("", nil), goos: "windows", goarch: "386"},
			want: SelfInfo{Host: "w", IP: "172.17.0.1", Version: "unknown", Platform: "windows", DeviceFamily: "Windows", ModelIdentifier: "ia32"},
		},
		{
			name: "no address, unreadable release, hostname error",
			sys:  sysInfo{hostname: host("", errors.New("boom")), interfaces: func() []iface { return []iface{lo} }, readFile: release("", errors.New("nope")), goos: "linux", goarch: "riscv64"},
			want: SelfInfo{Host: "localhost", Version: "unknown", Platform: "linux", DeviceFamily: "Linux", ModelIdentifier: "riscv64"},
		},
		{
			name: "other OS",
			sys:  sysInfo{hostname: host(" bsd ", nil), interfaces: func() []iface { return nil }, readFile: release("", nil), goos: "freebsd", goarch: "amd64"},
			want: SelfInfo{Host: "bsd", Version: "unknown", Platform: "freebsd", DeviceFamily: "freebsd", ModelIdentifier: "x64"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultSelf(tt.version, tt.sys); got != tt.want {
				t.Fatalf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDefaultSelfOnThisMachine(t *testing.T) {
	s := DefaultSelf("v")
	if s.Host == "" || s.Version != "v" || s.DeviceFamily == "" || s.Platform == "" {
		t.Fatalf("DefaultSelf = %+v", s)
	}
	if runtime.GOOS == "linux" && (s.DeviceFamily != "Linux" || len(s.Platform) <= len("linux ")) {
		t.Fatalf("linux DefaultSelf = %+v", s)
	}
	if s.IP != "" {
		if ip := net.ParseIP(s.IP); ip == nil || ip.To4() == nil || ip.IsLoopback() {
			t.Fatalf("IP %q is not a non-loopback IPv4", s.IP)
		}
	}
}
