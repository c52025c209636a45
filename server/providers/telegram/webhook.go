package telegram

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/mymmrac/telego"
)

// Webhook mode (channels.telegram.webhookUrl): Telegram posts each update to the
// public URL, which a reverse proxy forwards to the listener here, instead of the bot
// long-polling getUpdates.
const (
	// DefaultWebhookPath is where updates are posted (channels.telegram.webhookPath).
	DefaultWebhookPath = "/telegram-webhook"
	// DefaultWebhookListen is the original's listener: every interface, port 8787.
	DefaultWebhookListen = "0.0.0.0:8787"
	// WebhookHealthPath answers GET with "ok" for the proxy's health checks.
	WebhookHealthPath = "/healthz"
	// WebhookMaxBody caps one posted update (updates are a few KiB; files are fetched
	// separately); larger bodies get 413.
	WebhookMaxBody = 1 << 20
	// WebhookRecentIDs is how many update ids are remembered, so an update Telegram
	// posts again (it retries when an answer is lost) is handled once.
	WebhookRecentIDs = 1024
	// webhookSecretHeader carries channels.telegram.webhookSecret on every post.
	webhookSecretHeader = "X-Telegram-Bot-Api-Secret-Token"
)

// recentIDs is a bounded set of the latest update ids.
type recentIDs struct {
	ring []int64
	set  map[int64]bool
	next int
}

func newRecentIDs(n int) *recentIDs {
	return &recentIDs{ring: make([]int64, 0, n), set: map[int64]bool{}}
}

// add records id and reports whether it is new.
func (r *recentIDs) add(id int64) bool {
	if r.set[id] {
		return false
	}
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, id)
	} else {
		delete(r.set, r.ring[r.next])
		r.ring[r.next] = id
		r.next = (r.next + 1) % len(r.ring)
	}
	r.set[id] = true
	return true
}

// WebhookAddr is the address the webhook listener is bound to ("" until it listens).
func (p *Provider) WebhookAddr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hookAddr
}

// webhookHandler serves the update path and the health path. Each update is handled
// before it is answered, one at a time in arrival order: a 200 means it reached the
// album/debounce buffers or the agent's inbound queue, and anything else makes
// Telegram post it again, so a stop or a crash mid-way loses nothing.
func (p *Provider) webhookHandler(ctx context.Context, ab *albums) http.Handler {
	path := p.cfg.WebhookPath
	if path == "" {
		path = DefaultWebhookPath
	}
	secret := []byte(p.hookSecret)
	var mu sync.Mutex
	seen := newRecentIDs(WebhookRecentIDs)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == WebhookHealthPath && r.Method == http.MethodGet {
			_, _ = w.Write([]byte("ok"))
			return
		}
		if r.URL.Path != path || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if len(secret) > 0 && subtle.ConstantTimeCompare([]byte(r.Header.Get(webhookSecretHeader)), secret) != 1 {
			p.log.Warn("telegram webhook: post without the right secret token refused", "remote", r.RemoteAddr)
			http.Error(w, "secret token mismatch", http.StatusUnauthorized)
			return
		}
		var u telego.Update
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, WebhookMaxBody))
		if err := dec.Decode(&u); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, fmt.Sprintf("update larger than %d bytes", WebhookMaxBody), http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad update: "+err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			http.Error(w, "stopping", http.StatusServiceUnavailable)
			return
		}
		if !seen.add(int64(u.UpdateID)) {
			return // handled already: Telegram lost our answer
		}
		p.handle(ctx, u, ab)
	})
}

// serveWebhook listens, registers the webhook with setWebhook (the secret token too)
// and serves until ctx ends; a busy port or a failed registration is retried with the
// poller's backoff and shown in status.
func (p *Provider) serveWebhook(ctx context.Context, ab *albums, wait func() bool) {
	listen := p.cfg.WebhookListen
	if listen == "" {
		listen = DefaultWebhookListen
	}
	// Without a configured secret anyone who reaches the listener could post updates as
	// any user (the original accepts that); we register a random one for this run.
	p.hookSecret = p.cfg.WebhookSecret
	if p.hookSecret == "" {
		p.hookSecret = rand.Text()
	}
	var ln net.Listener
	for {
		var err error
		if ln, err = net.Listen("tcp", listen); err == nil {
			break
		}
		p.setState(false, fmt.Sprintf("telegram webhook: %v", err))
		p.log.Warn("telegram webhook listener failed", "listen", listen, "err", err)
		if !wait() {
			return
		}
	}
	srv := &http.Server{Handler: p.webhookHandler(ctx, ab), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: DefaultRequestTimeout + 30*time.Second, IdleTimeout: 2 * time.Minute}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Warn("telegram webhook server ended", "err", err)
		}
	}()
	p.mu.Lock()
	p.hookAddr = ln.Addr().String()
	p.mu.Unlock()
	defer func() {
		// In-flight posts finish (their updates are handled or refused, never half done).
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultRequestTimeout)
		_ = srv.Shutdown(sctx)
		cancel()
		<-served
		p.mu.Lock()
		p.hookAddr = ""
		p.mu.Unlock()
	}()
	for {
		rctx, cancel := context.WithTimeout(ctx, DefaultRequestTimeout)
		err := p.bot.SetWebhook(rctx, &telego.SetWebhookParams{URL: p.cfg.WebhookURL, SecretToken: p.hookSecret, AllowedUpdates: AllowedUpdates})
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		err = mapErr(err, "")
		p.setState(false, fmt.Sprintf("telegram setWebhook: %v", err))
		p.log.Warn("telegram setWebhook failed", "err", err)
		if errors.Is(err, ErrTokenRejected) || !wait() {
			return
		}
	}
	p.setState(true, "")
	p.log.Info("telegram bot receiving updates by webhook", "bot", p.Username(), "url", p.cfg.WebhookURL, "listen", p.hookAddr)
	<-ctx.Done()
}
