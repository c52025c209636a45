package gateway

import (
	"io"
	"log/slog"
	"testing"

	"github.com/clawgate/gateway/server/configapi"
	"github.com/clawgate/gateway/server/devices"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/nodeapi"
	"github.com/clawgate/gateway/server/system"
)

// The tests here use the shared harness, server/gatewaytest, under short local names.
type (
	testClient = gatewaytest.Client
	frame      = gatewaytest.Frame
	device     = gatewaytest.Device
	rawConn    = gatewaytest.RawConn
)

var (
	dial       = gatewaytest.Dial
	dialHeader = gatewaytest.DialHeader
	dialRaw    = gatewaytest.DialRaw
	dialRawCLI = gatewaytest.DialRawCLI
	v2Connect  = gatewaytest.V2Connect
	v3Connect  = gatewaytest.V3Connect
	newDevice  = gatewaytest.NewDevice
)

// testGateway is a real server on a loopback port.
type testGateway struct {
	s   *Server
	url string
}

// startGateway builds a server with the core groups, runs setup on it and serves it
// on loopback until the test ends.
func startGateway(t *testing.T, o Options, setup ...func(*Server)) *testGateway {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	serveCore(s)
	for _, f := range setup {
		f(s)
	}
	return &testGateway{s: s, url: gatewaytest.Start(t, s).URL}
}

// serveCore hands the core groups to s as server/core does (which the tests here
// cannot import: it imports this package; the groups themselves do not).
func serveCore(s *Server) {
	o, m := s.Options(), s.Mux()
	m.SetSystem(system.New[*Conn](s, system.Options{LogFile: o.LogFile}))
	m.SetDevices(devices.New[*Conn](s, devices.Options{Store: o.Devices, Now: o.Now}))
	m.SetNodes(nodeapi.New[*Conn](s, nodeapi.Options{Store: o.Nodes, Live: o.LiveNodes, Now: o.Now, Logger: o.Logger}))
	m.SetConfig(configapi.New[*Conn](configapi.Options{
		Path: o.ConfigPath, HasSecret: o.Secrets.HasSecret, Version: o.Version, GeneratedAt: o.ProcessStart,
	}))
}
