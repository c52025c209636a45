package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	waLog "go.mau.fi/whatsmeow/util/log"
	_ "modernc.org/sqlite" // driver "sqlite" for the device store

	"github.com/clawgate/gateway/server/providers/dedupe"

	"github.com/clawgate/gateway/server/statefile"
)

// Client is the part of *whatsmeow.Client the provider uses. WhatsApp's servers are
// unreachable from tests and whatsmeow cannot be pointed at a fake server (its
// handshake pins the server key), so tests fake this interface while the real
// implementation below stays a thin pass-through.
type Client interface {
	// Linked reports whether the device has credentials (Store.ID != nil).
	Linked() bool
	// OwnJID is the linked account (zero when not linked).
	OwnJID() types.JID
	// OwnLID is the linked account's LID (zero when unknown): group mentions may
	// name it instead of the phone JID.
	OwnLID() types.JID
	Connect() error
	Disconnect()
	IsConnected() bool
	// GetQRChannel must be called before Connect, only when not linked.
	GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error)
	SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message) (id string, err error)
	// SendChatPresence shows (composing) or clears (paused) the typing indicator.
	SendChatPresence(ctx context.Context, to types.JID, state types.ChatPresence) error
	Upload(ctx context.Context, data []byte, kind whatsmeow.MediaType) (whatsmeow.UploadResponse, error)
	// Download fetches and decrypts a received message's media.
	Download(ctx context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error)
	BuildPollCreation(question string, options []string, maxSelections int) *waE2E.Message
	// Logout unlinks the device on WhatsApp's side and deletes the local credentials.
	Logout(ctx context.Context) error
	// DeleteLocal deletes the local credentials only (when the server is unreachable).
	DeleteLocal(ctx context.Context) error
	AddEventHandler(h func(evt any))
}

// Store hands out clients over the device store.
type Store interface {
	// Client returns a client over the stored device, or over a new unlinked device
	// when none is stored.
	Client(ctx context.Context) (Client, error)
	Close() error
}

// SessionDBName is the device store's file name under <state>/whatsapp/.
const SessionDBName = "session.db"

// SessionPath is the device store file for a state directory.
func SessionPath(stateDir string) string {
	return filepath.Join(stateDir, "whatsapp", SessionDBName)
}

// SQLStore is the real device store: whatsmeow's sqlstore over pure-Go SQLite.
type SQLStore struct {
	c   *sqlstore.Container
	log waLog.Logger
}

// OpenStore opens (creating and migrating) the device store at path.
func OpenStore(ctx context.Context, path string, log *slog.Logger) (*SQLStore, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("whatsapp: store dir: %w", err)
	}
	if err := statefile.PrivateFile(path, 0o600); err != nil {
		return nil, fmt.Errorf("whatsapp: open device store %s: %w", path, err)
	}
	wl := slogAdapter{l: logOrDiscard(log)}
	c, err := sqlstore.New(ctx, "sqlite", dedupe.DSN(path), wl.Sub("store"))
	if err != nil {
		return nil, fmt.Errorf("whatsapp: open device store %s: %w", path, err)
	}
	return &SQLStore{c: c, log: wl}, nil
}

// Client implements Store.
func (s *SQLStore) Client(ctx context.Context) (Client, error) {
	dev, err := s.c.GetFirstDevice(ctx)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: load device: %w", err)
	}
	return &realClient{cli: whatsmeow.NewClient(dev, s.log.Sub("client"))}, nil
}

// Close implements Store.
func (s *SQLStore) Close() error { return s.c.Close() }

type realClient struct{ cli *whatsmeow.Client }

func (r *realClient) Linked() bool { return r.cli.Store.ID != nil }
func (r *realClient) OwnJID() types.JID {
	if r.cli.Store.ID == nil {
		return types.EmptyJID
	}
	return r.cli.Store.ID.ToNonAD()
}
func (r *realClient) OwnLID() types.JID { return r.cli.Store.LID.ToNonAD() }
func (r *realClient) SendChatPresence(ctx context.Context, to types.JID, state types.ChatPresence) error {
	return r.cli.SendChatPresence(ctx, to, state, types.ChatPresenceMediaText)
}
func (r *realClient) Connect() error    { return r.cli.Connect() }
func (r *realClient) Disconnect()       { r.cli.Disconnect() }
func (r *realClient) IsConnected() bool { return r.cli.IsConnected() }
func (r *realClient) GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error) {
	return r.cli.GetQRChannel(ctx)
}
func (r *realClient) SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message) (string, error) {
	resp, err := r.cli.SendMessage(ctx, to, msg)
	if err != nil {
		return "", err
	}
	return resp.ID, nil
}
func (r *realClient) Upload(ctx context.Context, data []byte, kind whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	return r.cli.Upload(ctx, data, kind)
}
func (r *realClient) Download(ctx context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error) {
	return r.cli.Download(ctx, msg)
}
func (r *realClient) BuildPollCreation(q string, opts []string, max int) *waE2E.Message {
	return r.cli.BuildPollCreation(q, opts, max)
}
func (r *realClient) Logout(ctx context.Context) error {
	if err := r.cli.Logout(ctx); err != nil {
		if errors.Is(err, whatsmeow.ErrNotLoggedIn) {
			return nil
		}
		return err
	}
	return nil
}
func (r *realClient) DeleteLocal(ctx context.Context) error {
	if r.cli.Store.ID == nil {
		return nil
	}
	r.cli.Disconnect()
	return r.cli.Store.Delete(ctx)
}
func (r *realClient) AddEventHandler(h func(evt any)) { r.cli.AddEventHandler(h) }

func logOrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// slogAdapter routes whatsmeow's logs to slog (its debug output stays at debug).
type slogAdapter struct {
	l   *slog.Logger
	mod string
}

func (a slogAdapter) Warnf(msg string, args ...any) {
	a.l.Warn(fmt.Sprintf(msg, args...), "module", a.mod)
}
func (a slogAdapter) Errorf(msg string, args ...any) {
	a.l.Error(fmt.Sprintf(msg, args...), "module", a.mod)
}
func (a slogAdapter) Infof(msg string, args ...any) {
	a.l.Info(fmt.Sprintf(msg, args...), "module", a.mod)
}
func (a slogAdapter) Debugf(msg string, args ...any) {
	if a.l.Enabled(context.Background(), slog.LevelDebug) {
		a.l.Debug(fmt.Sprintf(msg, args...), "module", a.mod)
	}
}
func (a slogAdapter) Sub(mod string) waLog.Logger {
	if a.mod != "" {
		mod = a.mod + "/" + mod
	}
	return slogAdapter{l: a.l, mod: mod}
}
