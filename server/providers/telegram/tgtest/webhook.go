package tgtest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// WebhookRetry is how long the fake waits before it posts an update again after the
// webhook refused it or could not be reached (Telegram retries too, more slowly).
const WebhookRetry = 50 * time.Millisecond

// Webhook is what setWebhook registered.
type Webhook struct {
	URL, Secret string
	// Delivered counts the POSTs the webhook answered 200; Refused counts the others
	// (non-200 or unreachable), each retried.
	Delivered, Refused int
}

// WebhookInfo returns the registered webhook ("" URL when none).
func (s *Server) WebhookInfo() Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hook
}

// setWebhook registers the webhook and starts delivering queued updates to it, in
// order, each until the webhook answers 200, as the Bot API does.
func (s *Server) setWebhook(p map[string]string) (any, *apiError) {
	if p["url"] == "" {
		return nil, &apiError{400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"}
	}
	allowed, aerr := parseAllowed(p)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	s.setAllowedLocked(allowed)
	s.hook = Webhook{URL: p["url"], Secret: p["secret_token"]}
	s.hookGen++
	gen := s.hookGen
	s.notifyLocked()
	s.mu.Unlock()
	go s.deliverHook(gen)
	return true, nil
}

func (s *Server) deleteWebhook() {
	s.mu.Lock()
	s.hook = Webhook{}
	s.hookGen++
	s.notifyLocked()
	s.mu.Unlock()
}

// webhookActive reports whether getUpdates must be refused (Bot API: 409 Conflict).
func (s *Server) webhookActive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hook.URL != ""
}

// deliverHook posts the oldest queued update until the webhook takes it, then the next,
// while webhook generation gen is the registered one.
func (s *Server) deliverHook(gen int) {
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		s.mu.Lock()
		if s.hookGen != gen {
			s.mu.Unlock()
			return
		}
		hook, wake := s.hook, s.wake
		s.dropUnwantedLocked()
		var next json.RawMessage
		if len(s.updates) > 0 {
			next = s.updates[0]
		}
		s.mu.Unlock()
		if next == nil {
			select {
			case <-wake:
				continue
			case <-s.quit:
				return
			}
		}
		ok := s.postHook(client, hook, next)
		s.mu.Lock()
		if s.hookGen == gen && ok && len(s.updates) > 0 && bytes.Equal(s.updates[0], next) {
			s.updates = s.updates[1:]
			s.hook.Delivered++
		} else if s.hookGen == gen && !ok {
			s.hook.Refused++
		}
		s.notifyLocked()
		s.mu.Unlock()
		if !ok {
			select {
			case <-time.After(WebhookRetry):
			case <-s.quit:
				return
			}
		}
	}
}

func (s *Server) postHook(client *http.Client, hook Webhook, body []byte) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	if hook.Secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hook.Secret)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// WaitHook waits until cond holds for the webhook state (or ctx ends).
func (s *Server) WaitHook(ctx context.Context, cond func(Webhook) bool) (Webhook, error) {
	for {
		s.mu.Lock()
		h, w := s.hook, s.wake
		s.mu.Unlock()
		if cond(h) {
			return h, nil
		}
		select {
		case <-w:
		case <-ctx.Done():
			return h, ctx.Err()
		}
	}
}
