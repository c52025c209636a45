package tools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// MessageSend is one outbound message of the message tool.
type MessageSend struct {
	Channel     string
	To          string
	AccountID   string
	Text        string
	MediaURL    string
	GifPlayback bool
	// IdempotencyKey is stable for a tool call: the gateway's send deduplication (which
	// survives restarts) must deliver a key at most once.
	IdempotencyKey string
}

// MessageSent is what the channel reported.
type MessageSent struct {
	MessageID string `json:"messageId,omitempty"`
	ChatID    string `json:"chatId,omitempty"`
	ToJID     string `json:"toJid,omitempty"`
}

// MessageSender delivers through the gateway's providers, deduplicated by key.
type MessageSender interface {
	SendMessage(ctx context.Context, m MessageSend) (MessageSent, error)
}

// Message tool limits.
const (
	DefaultMessageDedupeTTL = 10 * time.Minute
	DefaultMessageDedupeMax = 1000
)

// MessageOptions configure the message tool.
type MessageOptions struct {
	Sender MessageSender
	// Scope makes idempotency keys unique per run (the run id); required for keys to
	// differ between runs that reuse a tool-call id.
	Scope string
	// CurrentChannel and CurrentTo are the conversation the run answers (defaults).
	CurrentChannel string
	CurrentTo      string
	AccountID      string
	// Channels are the channels that may be used (default whatsapp and telegram).
	Channels []string
	// AllowAcrossProviders allows sending on another channel than the current one
	// (tools.message.crossContext.allowAcrossProviders, default false).
	AllowAcrossProviders bool
	// SendGate, when set, may refuse a send on a channel (an error the model sees):
	// channels.telegram.actions.sendMessage false turns Telegram sends off.
	SendGate  func(channel string) error
	DedupeTTL time.Duration
	DedupeMax int
	Now       func() time.Time
}

type msgDedupe struct {
	mu      sync.Mutex
	entries map[string]*msgEntry
	order   []string
}

type msgEntry struct {
	done chan struct{}
	res  Result
	err  error
	at   time.Time
}

// MessageTool returns the message tool (action "send").
func MessageTool(o MessageOptions) (*Tool, error) {
	if o.Sender == nil {
		return nil, errors.New("tools: message needs a sender")
	}
	if len(o.Channels) == 0 {
		o.Channels = []string{"whatsapp", "telegram"}
	}
	if o.DedupeTTL <= 0 {
		o.DedupeTTL = DefaultMessageDedupeTTL
	}
	if o.DedupeMax <= 0 {
		o.DedupeMax = DefaultMessageDedupeMax
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	d := &msgDedupe{entries: map[string]*msgEntry{}}
	return withSchema(&Tool{Name: "message", Label: "Message",
		Description: fmt.Sprintf("Send messages through the gateway's channels (%s). Supports actions: send.", strings.Join(o.Channels, ", ")),
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				Action      string `json:"action"`
				Channel     string `json:"channel"`
				Target      string `json:"target"`
				To          string `json:"to"`
				AccountID   string `json:"accountId"`
				Message     string `json:"message"`
				Media       string `json:"media"`
				GifPlayback bool   `json:"gifPlayback"`
				BestEffort  bool   `json:"bestEffort"`
				DryRun      bool   `json:"dryRun"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			if a.Action != "send" {
				return Result{}, fmt.Errorf("Unsupported message action %q (supported: send)", a.Action)
			}
			m := MessageSend{Channel: strings.ToLower(strings.TrimSpace(a.Channel)), To: strings.TrimSpace(a.Target), AccountID: a.AccountID,
				Text: a.Message, MediaURL: strings.TrimSpace(a.Media), GifPlayback: a.GifPlayback}
			if m.To == "" {
				m.To = strings.TrimSpace(a.To)
			}
			if m.Channel == "" {
				m.Channel = o.CurrentChannel
			}
			if m.To == "" && m.Channel == o.CurrentChannel {
				m.To = o.CurrentTo
			}
			if m.AccountID == "" {
				m.AccountID = o.AccountID
			}
			if m.Channel == "" {
				return Result{}, errors.New("channel required (no current channel)")
			}
			known := false
			for _, c := range o.Channels {
				known = known || c == m.Channel
			}
			if !known {
				return Result{}, fmt.Errorf("Unknown channel %q (available: %s)", m.Channel, strings.Join(o.Channels, ", "))
			}
			if o.CurrentChannel != "" && m.Channel != o.CurrentChannel && !o.AllowAcrossProviders {
				return Result{}, fmt.Errorf("Cross-context messaging denied: this conversation is on %s; sending on %s needs tools.message.crossContext.allowAcrossProviders=true.", o.CurrentChannel, m.Channel)
			}
			if m.To == "" {
				return Result{}, errors.New("target required")
			}
			if strings.TrimSpace(m.Text) == "" && m.MediaURL == "" {
				return Result{}, errors.New("message required")
			}
			if o.SendGate != nil {
				if err := o.SendGate(m.Channel); err != nil {
					return Result{}, err
				}
			}
			if a.DryRun {
				return JSONResult(map[string]any{"ok": true, "dryRun": true, "channel": m.Channel, "action": "send", "to": m.To}), nil
			}
			m.IdempotencyKey = messageKey(o.Scope, call.ID)
			res, err := d.once(ctx, m.IdempotencyKey, o, func() (Result, error) {
				sent, err := o.Sender.SendMessage(ctx, m)
				if err != nil {
					return Result{}, err
				}
				var media any
				if m.MediaURL != "" {
					media = m.MediaURL
				}
				return JSONResult(map[string]any{"channel": m.Channel, "to": m.To, "via": "direct", "mediaUrl": media, "result": sent}), nil
			})
			if err != nil && a.BestEffort {
				return JSONResult(map[string]any{"channel": m.Channel, "to": m.To, "via": "direct", "ok": false, "error": err.Error()}), nil
			}
			return res, err
		}})
}

// messageKey derives the send's idempotency key from the run and the tool call.
func messageKey(scope, callID string) string {
	if callID == "" {
		return "agent-msg:" + randHex(16)
	}
	h := sha256.Sum256([]byte(scope + "\x00" + callID))
	return "agent-msg:" + hex.EncodeToString(h[:16])
}

// once runs send at most once per key: a retried or concurrent call with the same key
// gets the first call's result. Failures are not remembered, so a retry after a fixed
// outage sends.
func (d *msgDedupe) once(ctx context.Context, key string, o MessageOptions, send func() (Result, error)) (Result, error) {
	now := o.Now()
	d.mu.Lock()
prune:
	for len(d.order) > 0 {
		k := d.order[0]
		e := d.entries[k]
		if e == nil {
			d.order = d.order[1:]
			continue
		}
		if now.Sub(e.at) < o.DedupeTTL && len(d.order) <= o.DedupeMax {
			break
		}
		select {
		case <-e.done:
			delete(d.entries, k)
			d.order = d.order[1:]
		default: // still in flight: it stays until it finishes
			break prune
		}
	}
	if e, ok := d.entries[key]; ok {
		d.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
		if e.err == nil {
			return e.res, nil
		}
		return Result{}, e.err
	}
	e := &msgEntry{done: make(chan struct{}), at: now}
	d.entries[key] = e
	d.order = append(d.order, key)
	d.mu.Unlock()
	e.res, e.err = send()
	if e.err != nil {
		d.mu.Lock()
		delete(d.entries, key)
		d.mu.Unlock()
	}
	close(e.done)
	return e.res, e.err
}
