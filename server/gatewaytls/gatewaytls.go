// Package gatewaytls serves the gateway's one port over TLS (gateway.tls): it loads the
// configured certificate, or makes and keeps a self-signed one under the state dir, and
// names the certificate's SHA-256 fingerprint that clients pin (discovery TXT
// gatewayTlsSha256, gateway.remote.tlsFingerprint, the CLI's local calls).
//
// Why it matters: a browser gives WebCrypto (the Control UI's Ed25519 device identity)
// only to secure contexts, so a Control UI opened from another machine needs HTTPS to
// pair as a device instead of relying on gateway.controlUi.allowInsecureAuth.
package gatewaytls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/config"
)

// CommonName is the subject of a generated certificate, as in the original.
const CommonName = "clawdbot-gateway"

// Validity of a generated certificate (the original's openssl call: 3650 days).
const Validity = 3650 * 24 * time.Hour

// Options are gateway.tls with the paths already resolved.
type Options struct {
	CertPath string // PEM certificate (chain); default <state>/gateway/tls/gateway-cert.pem
	KeyPath  string // PEM private key; default <state>/gateway/tls/gateway-key.pem
	CAPath   string // optional PEM bundle: intermediates served after the certificate
	// AutoGenerate makes a self-signed certificate when neither file exists (default
	// true in the config).
	AutoGenerate bool
	// Hosts are extra names and addresses for a generated certificate's SANs
	// (localhost, 127.0.0.1 and ::1 are always in it).
	Hosts []string
	Now   func() time.Time // clock for a generated certificate; nil: time.Now
}

// DefaultPaths are the certificate and key paths the original uses under the state dir.
func DefaultPaths(stateDir string) (cert, key string) {
	dir := filepath.Join(stateDir, "gateway", "tls")
	return filepath.Join(dir, "gateway-cert.pem"), filepath.Join(dir, "gateway-key.pem")
}

// Runtime is a loaded certificate ready to serve.
type Runtime struct {
	Config      *tls.Config
	Fingerprint string // lowercase hex SHA-256 of the leaf certificate's DER
	CertPath    string
	KeyPath     string
	Generated   bool // this Load made the certificate
}

// Load reads the certificate and key, making a self-signed pair first when both are
// missing and AutoGenerate is set. Every failure names the path and stops the start:
// a gateway asked to serve TLS must not fall back to plain text.
func Load(o Options) (*Runtime, error) {
	if o.CertPath == "" || o.KeyPath == "" {
		return nil, errors.New("gateway tls: certificate and key paths are required")
	}
	hasCert, hasKey := exists(o.CertPath), exists(o.KeyPath)
	generated := false
	if !hasCert && !hasKey && o.AutoGenerate {
		if err := Generate(o); err != nil {
			return nil, fmt.Errorf("gateway tls: failed to generate a certificate: %w", err)
		}
		generated = true
	} else if !hasCert || !hasKey {
		missing := o.CertPath
		if hasCert {
			missing = o.KeyPath
		}
		return nil, fmt.Errorf("gateway tls: cert/key missing (%s)", missing)
	}
	certPEM, err := os.ReadFile(o.CertPath)
	if err != nil {
		return nil, fmt.Errorf("gateway tls: %w", err)
	}
	keyPEM, err := os.ReadFile(o.KeyPath)
	if err != nil {
		return nil, fmt.Errorf("gateway tls: %w", err)
	}
	if o.CAPath != "" {
		ca, err := os.ReadFile(o.CAPath)
		if err != nil {
			return nil, fmt.Errorf("gateway tls: caPath: %w", err)
		}
		certPEM = append(append(certPEM, '\n'), ca...)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("gateway tls: failed to load %s with %s: %w", o.CertPath, o.KeyPath, err)
	}
	sum := sha256.Sum256(pair.Certificate[0])
	return &Runtime{
		Config: &tls.Config{
			Certificates: []tls.Certificate{pair},
			MinVersion:   tls.VersionTLS12, // as the original
		},
		Fingerprint: hex.EncodeToString(sum[:]),
		CertPath:    o.CertPath,
		KeyPath:     o.KeyPath,
		Generated:   generated,
	}, nil
}

// Generate writes a self-signed ECDSA P-256 certificate and its key (mode 0600, in
// directories of mode 0700). The original shells out to openssl for an RSA-2048 pair
// without SANs; we need no openssl and name localhost and the loopback addresses, so
// a browser on the same machine can be told to trust it.
func Generate(o Options) error {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	start := now().Add(-time.Hour) // a little slack for clocks behind ours
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: CommonName},
		NotBefore:             start,
		NotAfter:              start.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range append([]string{"localhost", "127.0.0.1", "::1"}, o.Hosts...) {
		h = strings.TrimSpace(h)
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(o.KeyPath, "PRIVATE KEY", keyDER); err != nil {
		return err
	}
	return writePEM(o.CertPath, "CERTIFICATE", der)
}

func writePEM(path, typ string, der []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}

var notHex = regexp.MustCompile(`[^a-fA-F0-9]`)

// NormalizeFingerprint reads a pinned fingerprint as the original does: an optional
// "sha256:"/"sha-256" prefix, any separators, any case.
func NormalizeFingerprint(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 6 && strings.EqualFold(s[:6], "sha256") {
		s = s[6:]
	} else if len(s) >= 7 && strings.EqualFold(s[:7], "sha-256") {
		s = s[7:]
	}
	return strings.ToLower(notHex.ReplaceAllString(s, ""))
}

// PinnedConfig is a client TLS config that trusts exactly the certificate whose SHA-256
// is fingerprint (a self-signed gateway has no CA to verify against). The whole digest
// must match: a shortened pin is refused, not matched as a prefix.
func PinnedConfig(fingerprint string) (*tls.Config, error) {
	want := NormalizeFingerprint(fingerprint)
	if len(want) != sha256.Size*2 {
		return nil, fmt.Errorf("gateway tls: fingerprint %q is not a SHA-256 (64 hex digits)", fingerprint)
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("gateway tls: server sent no certificate")
			}
			sum := sha256.Sum256(raw[0])
			if got := hex.EncodeToString(sum[:]); got != want {
				return fmt.Errorf("gateway tls: certificate fingerprint %s does not match the pinned %s", got, want)
			}
			return nil
		},
	}, nil
}

// FromConfig turns gateway.tls into Options (paths under stateDir by default, "~"
// expanded with home, autoGenerate true unless the file says false); ok is false when
// TLS is off.
func FromConfig(f *config.File, stateDir, home string) (o Options, ok bool) {
	if f == nil || f.Config.Gateway == nil || f.Config.Gateway.Tls == nil || !f.Config.Gateway.Tls.Enabled {
		return Options{}, false
	}
	t := f.Config.Gateway.Tls
	o.CertPath, o.KeyPath = DefaultPaths(stateDir)
	o.AutoGenerate = t.AutoGenerate || !f.IsSet("/gateway/tls/autoGenerate")
	path := func(p *string, into *string) {
		if p != nil && strings.TrimSpace(*p) != "" {
			*into = expandHome(strings.TrimSpace(*p), home)
		}
	}
	path(t.CertPath, &o.CertPath)
	path(t.KeyPath, &o.KeyPath)
	path(t.CaPath, &o.CAPath)
	return o, true
}

func expandHome(p, home string) string {
	if p == "~" {
		return home
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok && home != "" {
		return filepath.Join(home, rest)
	}
	return p
}
