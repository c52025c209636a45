package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
)

// LoginQR is what web.login.start returns.
type LoginQR struct {
	Code    string // raw QR payload ("" when already linked)
	Text    string // the code drawn for a terminal
	DataURL string // data:image/png;base64,…
	Message string
}

// loginSession is one QR login: the unlinked client, its QR channel reader and the
// outcome. Codes rotate (WhatsApp sends a new one every ~20 s); Code is the latest.
type loginSession struct {
	ctx    context.Context
	cancel context.CancelFunc
	client Client

	mu        sync.Mutex
	code      string
	changed   chan struct{} // closed when code or outcome changes
	done      bool
	connected bool
	message   string
}

func (s *loginSession) snapshot() (code string, done, connected bool, msg string, changed chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.code, s.done, s.connected, s.message, s.changed
}

func (s *loginSession) update(f func()) {
	s.mu.Lock()
	f()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// LoginStart begins a QR login and waits up to timeout for the first code. When a
// device is already linked it answers so (no QR) unless force, which unlinks first.
// A login already in progress is reused (its current code is returned).
func (p *Provider) LoginStart(ctx context.Context, force bool, timeout time.Duration) (LoginQR, error) {
	if timeout <= 0 {
		timeout = DefaultLoginTimeout
	}
	p.mu.Lock()
	if !p.started {
		p.mu.Unlock()
		return LoginQR{}, errors.New("whatsapp: provider is not running")
	}
	if p.client != nil && p.client.Linked() && !force {
		self := p.client.OwnJID().User
		p.mu.Unlock()
		return LoginQR{Message: "already linked (+" + self + "); use force to link again"}, nil
	}
	sess := p.login
	if sess != nil && !force {
		if code, done, _, _, _ := sess.snapshot(); !done && code != "" {
			p.mu.Unlock()
			return renderLogin(code, "QR code ready: scan it in WhatsApp → Linked devices (login already in progress)")
		}
	}
	old := p.client
	p.client = nil
	p.login = nil
	p.mu.Unlock()

	if sess != nil {
		sess.cancel()
	}
	if old != nil {
		if old.Linked() {
			if err := p.unlink(ctx, old); err != nil {
				p.log.Warn("whatsapp: unlink before relogin", "err", err)
			}
		}
		old.Disconnect()
	}

	p.mu.Lock()
	if !p.started {
		p.mu.Unlock()
		return LoginQR{}, errors.New("whatsapp: provider stopped")
	}
	c, err := p.store.Client(ctx)
	if err != nil {
		p.mu.Unlock()
		return LoginQR{}, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	qr, err := c.GetQRChannel(sctx)
	if err != nil {
		cancel()
		p.adoptLocked(c)
		p.mu.Unlock()
		return LoginQR{}, fmt.Errorf("whatsapp: start QR login: %w", err)
	}
	sess = &loginSession{ctx: sctx, cancel: cancel, client: c, changed: make(chan struct{})}
	p.adoptLocked(c)
	p.login = sess
	p.linkedAt = time.Time{}
	p.setStateLocked(StateLinking, "")
	p.mu.Unlock()
	if p.cfg.OnChange != nil {
		p.cfg.OnChange()
	}

	p.wg.Add(1)
	go p.runLogin(sess, qr)
	if err := c.Connect(); err != nil {
		cancel()
		return LoginQR{}, fmt.Errorf("whatsapp: connect for QR login: %w", err)
	}

	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		code, done, connected, msg, changed := sess.snapshot()
		switch {
		case code != "":
			return renderLogin(code, "scan this QR code in WhatsApp → Settings → Linked devices")
		case done && connected:
			return LoginQR{Message: "linked"}, nil
		case done:
			return LoginQR{}, errors.New("whatsapp: " + msg)
		}
		select {
		case <-changed:
		case <-t.C:
			return LoginQR{}, fmt.Errorf("whatsapp: no QR code within %s", timeout)
		case <-ctx.Done():
			return LoginQR{}, ctx.Err()
		}
	}
}

func renderLogin(code, msg string) (LoginQR, error) {
	text, err := RenderQRText(code)
	if err != nil {
		return LoginQR{}, err
	}
	data, err := QRDataURL(code)
	if err != nil {
		return LoginQR{}, err
	}
	return LoginQR{Code: code, Text: text, DataURL: data, Message: msg}, nil
}

// runLogin follows the QR channel until success, expiry or error.
func (p *Provider) runLogin(s *loginSession, qr <-chan whatsmeow.QRChannelItem) {
	defer p.wg.Done()
	finish := func(connected bool, msg string) {
		s.update(func() { s.done, s.connected, s.message, s.code = true, connected, msg, "" })
	}
	for {
		var item whatsmeow.QRChannelItem
		select {
		case it, ok := <-qr:
			if !ok {
				finish(false, "login cancelled")
				p.endLogin(s)
				return
			}
			item = it
		case <-s.ctx.Done():
			finish(false, "login cancelled")
			p.endLogin(s)
			return
		}
		switch item.Event {
		case whatsmeow.QRChannelEventCode:
			s.update(func() { s.code = item.Code })
		case whatsmeow.QRChannelSuccess.Event:
			finish(true, "linked")
			p.log.Info("whatsapp login succeeded")
			p.mu.Lock()
			if p.login == s {
				p.login = nil
				// whatsmeow reconnects after pairing; the Connected event may already
				// have been handled.
				if s.client.IsConnected() {
					p.setStateLocked(StateConnected, "")
				} else {
					p.setStateLocked(StateConnecting, "")
				}
			}
			p.mu.Unlock()
			if p.cfg.OnChange != nil {
				p.cfg.OnChange()
			}
			return
		case whatsmeow.QRChannelTimeout.Event:
			finish(false, "the QR code expired before it was scanned; start the login again")
			p.endLogin(s)
			return
		case whatsmeow.QRChannelEventError:
			finish(false, fmt.Sprintf("pairing failed: %v", item.Error))
			p.endLogin(s)
			return
		default:
			finish(false, "login failed: "+item.Event)
			p.endLogin(s)
			return
		}
	}
}

func (p *Provider) endLogin(s *loginSession) {
	s.client.Disconnect()
	p.mu.Lock()
	if p.login == s {
		p.login = nil
		p.setStateLocked(StateNotLinked, "")
	}
	p.mu.Unlock()
	if p.cfg.OnChange != nil {
		p.cfg.OnChange()
	}
}

// LoginWait waits up to timeout for the login started by LoginStart to finish.
func (p *Provider) LoginWait(ctx context.Context, timeout time.Duration) (connected bool, message string, err error) {
	if timeout <= 0 {
		timeout = DefaultLoginTimeout
	}
	p.mu.Lock()
	sess := p.login
	linked := p.client != nil && p.client.Linked()
	p.mu.Unlock()
	if sess == nil {
		if linked {
			return true, "linked", nil
		}
		return false, "no login in progress; call web.login.start first", nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		_, done, ok, msg, changed := sess.snapshot()
		if done {
			return ok, msg, nil
		}
		select {
		case <-changed:
		case <-t.C:
			return false, "still waiting for the QR code to be scanned", nil
		case <-ctx.Done():
			return false, "", ctx.Err()
		}
	}
}

// Logout unlinks the device (on WhatsApp's side when connected, locally always) and
// leaves the provider not linked. cleared reports whether credentials existed.
func (p *Provider) Logout(ctx context.Context) (cleared bool, err error) {
	p.mu.Lock()
	if !p.started {
		p.mu.Unlock()
		return false, errors.New("whatsapp: provider is not running")
	}
	c, sess := p.client, p.login
	p.login = nil
	p.mu.Unlock()
	if sess != nil {
		sess.cancel()
	}
	if c == nil || !c.Linked() {
		return false, nil
	}
	err = p.unlink(ctx, c)
	c.Disconnect()
	fresh, cerr := p.store.Client(ctx)
	p.mu.Lock()
	if cerr == nil && p.started {
		p.adoptLocked(fresh)
	}
	p.linkedAt = time.Time{}
	p.removeLinkedAt()
	p.setStateLocked(StateNotLinked, "")
	p.mu.Unlock()
	if p.cfg.OnChange != nil {
		p.cfg.OnChange()
	}
	if err != nil {
		return true, err
	}
	return true, cerr
}

// unlink tells WhatsApp to remove the companion device when connected, and always
// deletes the local credentials.
func (p *Provider) unlink(ctx context.Context, c Client) error {
	var errs []error
	if c.IsConnected() {
		if err := c.Logout(ctx); err != nil {
			errs = append(errs, fmt.Errorf("whatsapp: server logout: %w", err))
		}
	}
	if c.Linked() {
		if err := c.DeleteLocal(ctx); err != nil {
			errs = append(errs, fmt.Errorf("whatsapp: delete credentials: %w", err))
		}
	}
	return errors.Join(errs...)
}
