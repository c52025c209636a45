package gatewaytls

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func paths(t *testing.T) Options {
	t.Helper()
	cert, key := DefaultPaths(t.TempDir())
	return Options{CertPath: cert, KeyPath: key, AutoGenerate: true}
}

func TestLoadGeneratesOnceAndKeepsTheCertificate(t *testing.T) {
	o := paths(t)
	first, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Generated || len(first.Fingerprint) != 64 {
		t.Fatalf("first load: generated=%v fingerprint=%q", first.Generated, first.Fingerprint)
	}
	for _, p := range []string{o.CertPath, o.KeyPath} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, st.Mode().Perm())
		}
	}
	again, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	if again.Generated || again.Fingerprint != first.Fingerprint {
		t.Fatalf("second load: generated=%v fingerprint %s, want the kept %s", again.Generated, again.Fingerprint, first.Fingerprint)
	}
	leaf := again.Config.Certificates[0].Leaf
	if leaf.Subject.CommonName != CommonName || leaf.NotAfter.Sub(leaf.NotBefore) != Validity {
		t.Errorf("leaf %q valid %v", leaf.Subject.CommonName, leaf.NotAfter.Sub(leaf.NotBefore))
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("generated certificate does not name 127.0.0.1: %v", err)
	}
	if again.Config.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion %x", again.Config.MinVersion)
	}
}

func TestLoadRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, o *Options)
		want  string
	}{
		{"both missing without autoGenerate", func(t *testing.T, o *Options) { o.AutoGenerate = false }, "cert/key missing"},
		{"key missing", func(t *testing.T, o *Options) {
			if err := Generate(*o); err != nil {
				t.Fatal(err)
			}
			_ = os.Remove(o.KeyPath)
		}, "cert/key missing ("},
		{"not PEM", func(t *testing.T, o *Options) {
			_ = os.MkdirAll(filepath.Dir(o.CertPath), 0o700)
			_ = os.WriteFile(o.CertPath, []byte("junk"), 0o600)
			_ = os.WriteFile(o.KeyPath, []byte("junk"), 0o600)
		}, "failed to load"},
		{"caPath missing", func(t *testing.T, o *Options) { o.CAPath = filepath.Join(t.TempDir(), "nope.pem") }, "caPath"},
		{"no paths", func(t *testing.T, o *Options) { o.CertPath = "" }, "paths are required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := paths(t)
			tc.setup(t, &o)
			_, err := Load(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCAPathIsServedAfterTheLeaf(t *testing.T) {
	o := paths(t)
	ca := paths(t)
	if err := Generate(ca); err != nil {
		t.Fatal(err)
	}
	o.CAPath = ca.CertPath
	rt, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Load(Options{CertPath: o.CertPath, KeyPath: o.KeyPath})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rt.Config.Certificates[0].Certificate); n != 2 {
		t.Fatalf("chain of %d certificates, want leaf + CA", n)
	}
	if rt.Fingerprint != plain.Fingerprint {
		t.Fatal("the fingerprint must be the leaf's, whatever the chain")
	}
}

func TestNormalizeFingerprint(t *testing.T) {
	for in, want := range map[string]string{
		"AB:CD:ef":         "abcdef",
		"sha256:AB CD":     "abcd",
		"SHA-256 ab:cd":    "abcd",
		"  sha256 ab-cd  ": "abcd",
		"":                 "",
	} {
		if got := NormalizeFingerprint(in); got != want {
			t.Errorf("NormalizeFingerprint(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPinnedConfig handshakes over loopback: the right pin connects, a wrong or short
// one does not.
func TestPinnedConfig(t *testing.T) {
	rt, err := Load(paths(t))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", rt.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				_ = c.(*tls.Conn).Handshake()
				_ = c.Close()
			}()
		}
	}()
	colons := strings.ToUpper(rt.Fingerprint[:2]) + ":" + rt.Fingerprint[2:]
	wrong := strings.Repeat("0", 64)
	for _, tc := range []struct {
		pin, wantErr string
	}{
		{rt.Fingerprint, ""},
		{"sha256:" + colons, ""},
		{wrong, "does not match"},
	} {
		cfg, err := PinnedConfig(tc.pin)
		if err != nil {
			t.Fatal(err)
		}
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		err = tls.Client(nc, cfg).Handshake()
		_ = nc.Close()
		if tc.wantErr == "" && err != nil {
			t.Errorf("pin %s: %v", tc.pin, err)
		}
		if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("pin %s: err %v, want %q", tc.pin, err, tc.wantErr)
		}
	}
	if _, err := PinnedConfig(rt.Fingerprint[:40]); err == nil {
		t.Error("a shortened pin must be refused")
	}
}
