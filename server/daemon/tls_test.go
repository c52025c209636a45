package daemon

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/gatewaytls"
)

// TestGatewayTLS: with gateway.tls.enabled the gateway makes a self-signed certificate
// under <state>/gateway/tls, serves wss:// and https:// on its one port (and nothing
// in plain text), and keeps the same certificate across restarts, so a pinned
// fingerprint stays valid.
func TestGatewayTLS(t *testing.T) {
	r := start(t, `{"gateway": {"tls": {"enabled": true}}}`)
	r.waitListening(t)
	cert, key := gatewaytls.DefaultPaths(filepath.Join(r.home, "state"))
	rt, err := gatewaytls.Load(gatewaytls.Options{CertPath: cert, KeyPath: key})
	if err != nil {
		t.Fatalf("the gateway made no certificate: %v", err)
	}
	r.waitOutput(t, "wss://127.0.0.1:")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func(url, pin string) (*gatewayclient.Client, error) {
		o := gatewayclient.Options{
			Client:    gatewayclient.ClientInfo{ID: protocol.ClientIDCli, Version: "1", Platform: "linux", Mode: "cli"},
			Reconnect: gatewayclient.ReconnectPolicy{Disabled: true},
		}
		if pin != "" {
			cfg, err := gatewaytls.PinnedConfig(pin)
			if err != nil {
				t.Fatal(err)
			}
			o.TLSConfig = cfg
		}
		return gatewayclient.Dial(ctx, url, o)
	}
	wss := fmt.Sprintf("wss://127.0.0.1:%d", r.port)
	c, err := dial(wss, rt.Fingerprint)
	if err != nil {
		t.Fatalf("wss with the certificate's pin: %v", err)
	}
	var health map[string]any
	if err := c.Call(ctx, "health", map[string]any{}, &health); err != nil || health["ok"] != true {
		t.Fatalf("health over wss: %v %v", health, err)
	}
	c.Close()

	if _, err := dial(wss, strings.Repeat("ab", 32)); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("wss with a wrong pin: %v, want a fingerprint mismatch", err)
	}
	if _, err := gatewaytest.TryDial(t, fmt.Sprintf("ws://127.0.0.1:%d", r.port), nil); err == nil {
		t.Fatal("plain ws:// must not be served when gateway.tls is on")
	}

	// The Control UI over https://, as a remote browser reaches it.
	pinned, _ := gatewaytls.PinnedConfig(rt.Fingerprint)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: pinned}, Timeout: 10 * time.Second}
	resp, err := hc.Get(fmt.Sprintf("https://127.0.0.1:%d/", r.port))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(body)), "<html") {
		t.Fatalf("GET / over https: %d %.200s", resp.StatusCode, body)
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("TLS state %+v", resp.TLS)
	}

	// Restart: same certificate, same pin.
	r.stop(t)
	r2 := startHome(t, r.home, "", nil)
	r2.waitListening(t)
	again, err := gatewaytls.Load(gatewaytls.Options{CertPath: cert, KeyPath: key})
	if err != nil || again.Fingerprint != rt.Fingerprint {
		t.Fatalf("after a restart: %v, fingerprint %s want %s", err, again.Fingerprint, rt.Fingerprint)
	}
	c, err = dial(fmt.Sprintf("wss://127.0.0.1:%d", r2.port), rt.Fingerprint)
	if err != nil {
		t.Fatalf("the old pin after a restart: %v", err)
	}
	c.Close()
}

// TestGatewayTLSRefusesToStartWithoutCertificate: TLS on, no certificate and
// autoGenerate off stops the start with the missing path named, as in the original; it
// never falls back to plain text.
func TestGatewayTLSRefusesToStartWithoutCertificate(t *testing.T) {
	r := start(t, `{"gateway": {"tls": {"enabled": true, "autoGenerate": false, "certPath": "~/certs/gw.pem", "keyPath": "~/certs/gw.key"}}}`)
	select {
	case err := <-r.done:
		want := filepath.Join(r.home, "certs", "gw.pem")
		if err == nil || !strings.Contains(err.Error(), "cert/key missing") || !strings.Contains(err.Error(), want) {
			t.Fatalf("Run: %v, want cert/key missing naming %s", err, want)
		}
		r.done <- err
	case <-time.After(15 * time.Second):
		t.Fatal("the gateway started without its certificate")
	}
}
