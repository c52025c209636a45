package gatewayclient

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DeviceIdentity is a protocol-3 device: an Ed25519 key pair whose public key's SHA-256
// is the device id. The gateway pairs devices (local peers are approved at once) and
// issues each paired device a token, which the client stores in a DeviceTokenStore and
// presents on later connects instead of the shared gateway token.
type DeviceIdentity struct {
	ID         string // lowercase hex SHA-256 of the raw 32-byte public key
	PublicKey  ed25519.PublicKey
	PrivateKey ed25519.PrivateKey
}

// NewDeviceIdentity creates a fresh, unsaved identity.
func NewDeviceIdentity() (*DeviceIdentity, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("gatewayclient: generating device key: %w", err)
	}
	return &DeviceIdentity{ID: deviceID(pub), PublicKey: pub, PrivateKey: priv}, nil
}

func deviceID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])
}

// identityFile is the on-disk form, the same JSON the reference clients keep in
// ~/.clawdbot/identity/device.json.
type identityFile struct {
	Version       int    `json:"version"`
	DeviceID      string `json:"deviceId"`
	PublicKeyPem  string `json:"publicKeyPem"`
	PrivateKeyPem string `json:"privateKeyPem"`
	CreatedAtMs   int64  `json:"createdAtMs"`
}

// LoadOrCreateDeviceIdentity reads the identity kept at path, or creates one and saves
// it there (JSON with PEM keys, file mode 0600, parent directories 0700, written to a
// temporary file and renamed so a crash never leaves half a key). A file whose deviceId
// does not match its key is corrected on load.
func LoadOrCreateDeviceIdentity(path string) (*DeviceIdentity, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		return parseIdentity(path, b)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("gatewayclient: reading device identity: %w", err)
	}
	id, err := NewDeviceIdentity()
	if err != nil {
		return nil, err
	}
	if err := id.Save(path); err != nil {
		return nil, err
	}
	return id, nil
}

func parseIdentity(path string, b []byte) (*DeviceIdentity, error) {
	var f identityFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("gatewayclient: device identity %s: %w", path, err)
	}
	blk, _ := pem.Decode([]byte(f.PrivateKeyPem))
	if blk == nil {
		return nil, fmt.Errorf("gatewayclient: device identity %s: no PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("gatewayclient: device identity %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("gatewayclient: device identity %s: %T is not an Ed25519 key", path, k)
	}
	pub := priv.Public().(ed25519.PublicKey)
	id := &DeviceIdentity{ID: deviceID(pub), PublicKey: pub, PrivateKey: priv}
	if f.DeviceID != id.ID {
		if err := id.Save(path); err != nil {
			return nil, err
		}
	}
	return id, nil
}

// Save writes the identity to path (see LoadOrCreateDeviceIdentity for the format).
func (d *DeviceIdentity) Save(path string) error {
	der, err := x509.MarshalPKCS8PrivateKey(d.PrivateKey)
	if err != nil {
		return fmt.Errorf("gatewayclient: encoding device key: %w", err)
	}
	pubDer, err := x509.MarshalPKIXPublicKey(d.PublicKey)
	if err != nil {
		return fmt.Errorf("gatewayclient: encoding device key: %w", err)
	}
	f := identityFile{
		Version:       1,
		DeviceID:      d.ID,
		PublicKeyPem:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDer})),
		PrivateKeyPem: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		CreatedAtMs:   time.Now().UnixMilli(),
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// publicKeyString is the key as connect.device.publicKey carries it.
func (d *DeviceIdentity) publicKeyString() string {
	return base64.RawURLEncoding.EncodeToString(d.PublicKey)
}

// signaturePayload is the string a device signs (§11):
// v2|deviceId|clientId|clientMode|role|scopes,joined|signedAtMs|token|nonce, or v1|… without
// the nonce when the gateway sent no challenge.
func signaturePayload(deviceID, clientID, clientMode, role string, scopes []string, signedAtMs int64, token, nonce string) string {
	version := "v2"
	if nonce == "" {
		version = "v1"
	}
	parts := []string{version, deviceID, clientID, clientMode, role, strings.Join(scopes, ","), strconv.FormatInt(signedAtMs, 10), token}
	if nonce != "" {
		parts = append(parts, nonce)
	}
	return strings.Join(parts, "|")
}

func (d *DeviceIdentity) sign(payload string) string {
	return base64.RawURLEncoding.EncodeToString(ed25519.Sign(d.PrivateKey, []byte(payload)))
}

// DeviceToken is a per-device token issued in hello-ok.auth.
type DeviceToken struct {
	Token       string   `json:"token"`
	Role        string   `json:"role"`
	Scopes      []string `json:"scopes"`
	UpdatedAtMs int64    `json:"updatedAtMs"`
}

// DeviceTokenStore keeps the device tokens the gateway issues, per device and role.
// Implementations must be safe for concurrent use.
type DeviceTokenStore interface {
	// LoadDeviceToken returns the stored token; ok is false when there is none.
	LoadDeviceToken(deviceID, role string) (tok DeviceToken, ok bool, err error)
	// StoreDeviceToken saves (replaces) the token of deviceID and tok.Role.
	StoreDeviceToken(deviceID string, tok DeviceToken) error
	// DeleteDeviceToken forgets a token the gateway refused.
	DeleteDeviceToken(deviceID, role string) error
}

// NewMemoryTokenStore returns a DeviceTokenStore that lives as long as the process.
// Dial uses one when Options.Device is set without a store, so reconnects reuse the token.
func NewMemoryTokenStore() DeviceTokenStore {
	return &memoryStore{m: map[[2]string]DeviceToken{}}
}

type memoryStore struct {
	mu sync.Mutex
	m  map[[2]string]DeviceToken
}

func (s *memoryStore) LoadDeviceToken(deviceID, role string) (DeviceToken, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[[2]string{deviceID, role}]
	return t, ok, nil
}

func (s *memoryStore) StoreDeviceToken(deviceID string, tok DeviceToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[[2]string{deviceID, tok.Role}] = tok
	return nil
}

func (s *memoryStore) DeleteDeviceToken(deviceID, role string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, [2]string{deviceID, role})
	return nil
}

// NewFileTokenStore returns a DeviceTokenStore kept in one JSON file (mode 0600), the
// format of the reference clients' ~/.clawdbot/identity/device-auth.json: one device
// id and its tokens by role. Storing a token for another device id replaces the file's
// contents. Every change is written to a temporary file and renamed into place.
func NewFileTokenStore(path string) DeviceTokenStore { return &fileStore{path: path} }

type fileStore struct {
	mu   sync.Mutex
	path string
}

type tokenFile struct {
	Version  int                    `json:"version"`
	DeviceID string                 `json:"deviceId"`
	Tokens   map[string]DeviceToken `json:"tokens"`
}

func (s *fileStore) read() (tokenFile, error) {
	var f tokenFile
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return tokenFile{Version: 1, Tokens: map[string]DeviceToken{}}, nil
	}
	if err != nil {
		return f, fmt.Errorf("gatewayclient: reading device tokens: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("gatewayclient: device tokens %s: %w", s.path, err)
	}
	if f.Tokens == nil {
		f.Tokens = map[string]DeviceToken{}
	}
	return f, nil
}

func (s *fileStore) write(f tokenFile) error {
	f.Version = 1
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path, append(b, '\n'))
}

func (s *fileStore) LoadDeviceToken(deviceID, role string) (DeviceToken, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.read()
	if err != nil || f.DeviceID != deviceID {
		return DeviceToken{}, false, err
	}
	t, ok := f.Tokens[role]
	return t, ok && t.Token != "", nil
}

func (s *fileStore) StoreDeviceToken(deviceID string, tok DeviceToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.read()
	if err != nil {
		// A corrupt file is replaced: the token just issued is worth more than it.
		f = tokenFile{Tokens: map[string]DeviceToken{}}
	}
	if f.DeviceID != deviceID {
		f = tokenFile{DeviceID: deviceID, Tokens: map[string]DeviceToken{}}
	}
	tok.Scopes = slices.Clone(tok.Scopes)
	f.Tokens[tok.Role] = tok
	return s.write(f)
}

func (s *fileStore) DeleteDeviceToken(deviceID, role string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.read()
	if err != nil {
		return err
	}
	if f.DeviceID != deviceID {
		return nil
	}
	if _, ok := f.Tokens[role]; !ok {
		return nil
	}
	delete(f.Tokens, role)
	return s.write(f)
}

// writeFileAtomic writes b to path with mode 0600 through a synced temporary file and a
// rename, creating parent directories with mode 0700.
func writeFileAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("gatewayclient: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("gatewayclient: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("gatewayclient: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("gatewayclient: writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("gatewayclient: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("gatewayclient: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("gatewayclient: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
