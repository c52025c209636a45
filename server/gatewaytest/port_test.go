package gatewaytest

import (
	"net"
	"strconv"
	"testing"
)

// FreePort's port is below the ephemeral range, free, and bindable by the caller.
func TestFreePortOutsideEphemeralRange(t *testing.T) {
	lo := ephemeralLow()
	for range 20 {
		p := FreePort(t)
		if p < portFloor || p >= lo-portMargin {
			t.Fatalf("port %d outside [%d, %d)", p, portFloor, lo-portMargin)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d: %v", p, err)
		}
		ln.Close()
	}
}

// A port held by a listener is never handed out.
func TestFreePortSkipsBusyPorts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := bindable(ln.Addr().(*net.TCPAddr).Port); err == nil {
		t.Fatal("a listening port counts as bindable")
	}
	if _, err := freePortBelow(portFloor + portMargin); err == nil {
		t.Fatal("an empty range gave a port")
	}
}
