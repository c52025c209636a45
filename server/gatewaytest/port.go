package gatewaytest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Bounds of the ports FreePort hands out.
const (
	// portFloor is the lowest port FreePort picks (clear of well-known and
	// registered service ports tests could meet on a developer machine).
	portFloor = 20000
	// portMargin keeps the picked port this far below the ephemeral range: the gateway
	// derives ports from its own (bridge +1, browser control +2, canvas +4).
	portMargin = 16
	// portTries bounds the attempts to find a free port.
	portTries = 200
	// ephemeralRangeFile is where Linux keeps the ephemeral port range.
	ephemeralRangeFile = "/proc/sys/net/ipv4/ip_local_port_range"
	// defaultEphemeralLow is Linux's default start of that range (used when the file
	// cannot be read; other systems' ranges start higher).
	defaultEphemeralLow = 32768
)

// FreePort returns a TCP port free on 127.0.0.1 and on the wildcard address, outside
// the kernel's ephemeral range, for a gateway a test starts, stops and starts again on
// the same port (a restart, --force taking over from another process). A port from
// Listen(":0") is in the ephemeral range: once its holder lets go, the kernel may hand
// it to any outgoing connection on the machine as its source port, and that socket
// (in TIME_WAIT for a minute after it closes) makes the next bind fail with "address
// in use" although nothing listens. Outside the range only an explicit bind can take
// it.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePortBelow(ephemeralLow())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ephemeralLow is the first port of the ephemeral range.
func ephemeralLow() int {
	b, err := os.ReadFile(ephemeralRangeFile)
	if err != nil {
		return defaultEphemeralLow
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return defaultEphemeralLow
	}
	lo, err := strconv.Atoi(f[0])
	if err != nil || lo <= portFloor+portMargin {
		return defaultEphemeralLow
	}
	return lo
}

// freePortBelow picks random ports in [portFloor, limit-portMargin) until one binds
// on both addresses.
func freePortBelow(limit int) (int, error) {
	n := limit - portMargin - portFloor
	if n <= 0 {
		return 0, fmt.Errorf("gatewaytest: no port range below %d", limit)
	}
	var last error
	for range portTries {
		p := portFloor + rand.IntN(n)
		if err := bindable(p); err != nil {
			last = err
			continue
		}
		return p, nil
	}
	return 0, fmt.Errorf("gatewaytest: no free port below %d after %d tries: %w", limit, portTries, last)
}

// bindable reports whether port p can be listened on at 127.0.0.1 and the wildcard.
func bindable(p int) error {
	var errs []error
	for _, host := range []string{"127.0.0.1", ""} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ln.Close()
	}
	return errors.Join(errs...)
}
