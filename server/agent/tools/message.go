package tools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// MessageSend is one outbound message of the message tool.
type MessageSend struct {
	Channel   string
	To        string
	AccountID string
	Text      string
	MediaURL  string
	// MediaPath is a local file inside the allowed folders (resolved by
	// MessageOptions.ResolveMedia, symlinks followed); set instead of MediaURL.
	MediaPath   string
	GifPlayback bool
	// Buttons are Telegram inline keyboard rows (the buttons argument).
	Buttons [][]Button
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

// MessageReact is the react action: Emoji on message MessageID of chat To ("" removes
// the account's reaction).
type MessageReact struct {
	Channel, To, AccountID, MessageID, Emoji string
	// Participant and FromMe name the message's author (WhatsApp).
	Participant string
	FromMe      bool
}

// MessageDelete is the delete action.
type MessageDelete struct {
	Channel, To, AccountID, MessageID string
}

// MessagePoll is the poll action.
type MessagePoll struct {
	Channel, To, AccountID, Question string
	Options                          []string
	MaxSelections                    int
	IdempotencyKey                   string
}

// MessageActions carries out the actions besides send; without it the tool only sends.
type MessageActions interface {
	React(ctx context.Context, r MessageReact) error
	Delete(ctx context.Context, d MessageDelete) error
	Poll(ctx context.Context, p MessagePoll) (MessageSent, error)
}

// Message tool actions.
const (
	MessageActionSend   = "send"
	MessageActionReact  = "react"
	MessageActionDelete = "delete"
	MessageActionPoll   = "poll"
	// MessageActionBroadcast sends one message to several targets
	// (tools.message.broadcast.enabled, on by default).
	MessageActionBroadcast = "broadcast"
)

// CrossContext are tools.message's rules for sends that leave the conversation the run
// answers (its channel and chat). They apply only when the run has a current chat.
type CrossContext struct {
	// AllowAll is tools.message.allowCrossContextSend: no checks at all.
	AllowAll bool
	// DenyWithinProvider is crossContext.allowWithinProvider=false: another chat on
	// the same channel is refused (allowed by default).
	DenyWithinProvider bool
	// AllowAcrossProviders (crossContext.allowAcrossProviders, default false) allows
	// another channel.
	AllowAcrossProviders bool
	// Marker, when set, decorates the text of a send to another chat; "{channel}" in
	// Prefix and Suffix becomes the current chat.
	Marker *CrossContextMarker
	// BroadcastDisabled is tools.message.broadcast.enabled=false.
	BroadcastDisabled bool
}

// CrossContextMarker is crossContext.marker's prefix and suffix.
type CrossContextMarker struct{ Prefix, Suffix string }

// DefaultCrossContextPrefix is the marker's prefix when none is configured.
const DefaultCrossContextPrefix = "[from {channel}] "

// crossContextGuarded are the actions the cross-context rules apply to (sending new
// content; react and delete act on existing messages).
var crossContextGuarded = []string{MessageActionSend, MessageActionPoll}

// normalizeTarget is a target as compared for cross-context checks: trimmed, lower
// case, without a channel prefix, and for WhatsApp without "+" and a personal JID's
// server part, so "+1555…", "1555…" and "1555…@s.whatsapp.net" are one chat.
func normalizeTarget(channel, target string) string {
	t := strings.ToLower(strings.TrimSpace(target))
	for _, p := range []string{channel + ":", "tg:", "wa:"} {
		t = strings.TrimPrefix(t, p)
	}
	if channel == "whatsapp" {
		t = strings.TrimPrefix(t, "+")
		for _, suf := range []string{"@s.whatsapp.net", "@c.us"} {
			t = strings.TrimSuffix(t, suf)
		}
	}
	return t
}

// crossContext decides about action to channel/to: an error when the rules refuse it,
// else whether it leaves the current chat (and gets the marker).
func (o MessageOptions) crossContext(action, channel, to string) (cross bool, err error) {
	cur := strings.TrimSpace(o.CurrentTo)
	if cur == "" || !slices.Contains(crossContextGuarded, action) {
		return false, nil
	}
	other := o.CurrentChannel != "" && channel != o.CurrentChannel
	if !other {
		other = normalizeTarget(channel, to) != normalizeTarget(channel, cur)
	}
	if o.CrossContext.AllowAll {
		return other, nil
	}
	if o.CurrentChannel != "" && channel != o.CurrentChannel {
		if !o.CrossContext.AllowAcrossProviders {
			return false, fmt.Errorf("Cross-context messaging denied: action=%s target provider %q while bound to %q.", action, channel, o.CurrentChannel)
		}
		return true, nil
	}
	if other && o.CrossContext.DenyWithinProvider {
		return false, fmt.Errorf("Cross-context messaging denied: action=%s target=%q while bound to %q (channel=%s).", action, to, cur, channel)
	}
	return other, nil
}

// mark decorates text sent to another chat with the configured marker.
func (o MessageOptions) mark(text string) string {
	m := o.CrossContext.Marker
	if m == nil || text == "" {
		return text
	}
	label := strings.TrimSpace(o.CurrentTo)
	return strings.ReplaceAll(m.Prefix, "{channel}", label) + text + strings.ReplaceAll(m.Suffix, "{channel}", label)
}

// messageChannelActions are the actions each channel supports, as the reference's
// channel plugins list them (Telegram has no polls, WhatsApp no delete).
var messageChannelActions = map[string][]string{
	"telegram": {MessageActionSend, MessageActionReact, MessageActionDelete},
	"whatsapp": {MessageActionSend, MessageActionReact, MessageActionPoll},
}

// Message tool limits.
const (
	DefaultMessageDedupeTTL = 10 * time.Minute
	DefaultMessageDedupeMax = 1000
	// MinPollOptions is the fewest options a poll takes.
	MinPollOptions = 2
	// MaxBroadcastTargets bounds one broadcast's targets (per channel).
	MaxBroadcastTargets = 50
)

// MessageOptions configure the message tool.
type MessageOptions struct {
	Sender MessageSender
	// Actions carries out react, delete and poll (nil: only send is offered).
	Actions MessageActions
	// Scope makes idempotency keys unique per run (the run id); required for keys to
	// differ between runs that reuse a tool-call id.
	Scope string
	// CurrentChannel and CurrentTo are the conversation the run answers (defaults).
	CurrentChannel string
	CurrentTo      string
	AccountID      string
	// Channels are the channels that may be used (default whatsapp and telegram).
	Channels []string
	// CrossContext are the cross-context rules (tools.message.*).
	CrossContext CrossContext
	// Gate, when set, may refuse an action on a channel (an error the model sees):
	// channels.<id>.actions.* turn actions off. It is asked at call time (the config
	// may have changed) and when the description is written (refused actions are not
	// listed).
	Gate func(channel, action, accountID string) error
	// ButtonsGate, when set, may refuse a send with buttons to target on channel
	// (Telegram capabilities.inlineButtons); asked at call time.
	ButtonsGate func(channel, target, accountID string) error
	// ResolveMedia turns a local media ref (an absolute path, ./x relative to the
	// workspace, ~/x, file://…) into a real file path inside the allowed folders, or
	// an error; nil refuses local files.
	ResolveMedia func(ref string) (string, error)
	DedupeTTL    time.Duration
	DedupeMax    int
	Now          func() time.Time
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

// flexString takes a JSON string or number (models send message ids either way).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("expected a string or a number")
	}
	*f = flexString(n.String())
	return nil
}

// messageArgs are the message tool's parameters (the reference's names).
type messageArgs struct {
	Action      string     `json:"action"`
	Channel     string     `json:"channel"`
	Target      string     `json:"target"`
	To          string     `json:"to"`
	ChatID      flexString `json:"chatId"`
	ChatJID     string     `json:"chatJid"`
	AccountID   string     `json:"accountId"`
	Message     string     `json:"message"`
	Media       string     `json:"media"`
	Path        string     `json:"path"`
	FilePath    string     `json:"filePath"`
	GifPlayback bool       `json:"gifPlayback"`
	BestEffort  bool       `json:"bestEffort"`
	DryRun      bool       `json:"dryRun"`
	MessageID   flexString `json:"messageId"`
	Emoji       *string    `json:"emoji"`
	Remove      bool       `json:"remove"`
	Participant string     `json:"participant"`
	FromMe      bool       `json:"fromMe"`
	PollQ       string     `json:"pollQuestion"`
	PollOptions []string   `json:"pollOption"`
	PollMulti   bool       `json:"pollMulti"`
	PollHours   *float64   `json:"pollDurationHours"`
	Targets     []string   `json:"targets"`
	Buttons     [][]Button `json:"buttons"`
}

// Button is an inline keyboard button of a Telegram send.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// MessageTool returns the message tool: send (text, a URL or a local file), react,
// delete and poll, as each channel supports them.
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
	return withSchema(&Tool{Name: "message", Label: "Message", Description: messageDescription(o),
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a messageArgs
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			action := strings.TrimSpace(a.Action)
			switch action {
			case MessageActionSend, MessageActionReact, MessageActionDelete, MessageActionPoll:
			case MessageActionBroadcast:
				return messageBroadcast(ctx, o, d, a, call.ID)
			default:
				return Result{}, fmt.Errorf("Unsupported message action %q (supported: send, react, delete, poll, broadcast)", a.Action)
			}
			if action != MessageActionSend && o.Actions == nil {
				return Result{}, fmt.Errorf("Message action %s is not available here (supported: send)", action)
			}
			channel := strings.ToLower(strings.TrimSpace(a.Channel))
			if channel == "" {
				channel = o.CurrentChannel
			}
			to := firstNonEmpty(a.Target, a.To, string(a.ChatID), a.ChatJID)
			if to == "" && channel == o.CurrentChannel {
				to = o.CurrentTo
			}
			accountID := a.AccountID
			if accountID == "" {
				accountID = o.AccountID
			}
			if channel == "" {
				return Result{}, errors.New("channel required (no current channel)")
			}
			if !slices.Contains(o.Channels, channel) {
				return Result{}, fmt.Errorf("Unknown channel %q (available: %s)", channel, strings.Join(o.Channels, ", "))
			}
			if !slices.Contains(messageChannelActions[channel], action) {
				return Result{}, fmt.Errorf("Action %s is not supported for provider %s.", action, channel)
			}
			if to == "" {
				return Result{}, errors.New("target required")
			}
			cross, err := o.crossContext(action, channel, to)
			if err != nil {
				return Result{}, err
			}
			key := messageKey(o.Scope, call.ID)
			switch action {
			case MessageActionSend:
				if cross {
					a.Message = o.mark(a.Message)
				}
				return messageSend(ctx, o, d, a, channel, to, accountID, key)
			case MessageActionPoll:
				return messagePoll(ctx, o, d, a, channel, to, accountID, key)
			}
			mid := strings.TrimSpace(string(a.MessageID))
			if mid == "" {
				return Result{}, errors.New("messageId required")
			}
			var emoji string
			if action == MessageActionReact {
				if a.Emoji == nil && !a.Remove {
					return Result{}, errors.New("emoji required")
				}
				if a.Emoji != nil {
					emoji = strings.TrimSpace(*a.Emoji)
				}
				if a.Remove && emoji == "" {
					return Result{}, fmt.Errorf("Emoji is required to remove a %s reaction.", channelTitle(channel))
				}
			}
			if err := gate(o, channel, action, accountID); err != nil {
				return Result{}, err
			}
			if a.DryRun {
				return JSONResult(map[string]any{"ok": true, "dryRun": true, "channel": channel, "action": action}), nil
			}
			if action == MessageActionDelete {
				if err := o.Actions.Delete(ctx, MessageDelete{Channel: channel, To: to, AccountID: accountID, MessageID: mid}); err != nil {
					return Result{}, err
				}
				return JSONResult(map[string]any{"ok": true, "deleted": true}), nil
			}
			set := emoji
			if a.Remove {
				set = ""
			}
			if err := o.Actions.React(ctx, MessageReact{Channel: channel, To: to, AccountID: accountID, MessageID: mid, Emoji: set,
				Participant: strings.TrimSpace(a.Participant), FromMe: a.FromMe}); err != nil {
				return Result{}, err
			}
			if set != "" {
				return JSONResult(map[string]any{"ok": true, "added": set}), nil
			}
			return JSONResult(map[string]any{"ok": true, "removed": true}), nil
		}})
}

func gate(o MessageOptions, channel, action, accountID string) error {
	if o.Gate == nil {
		return nil
	}
	return o.Gate(channel, action, accountID)
}

func channelTitle(channel string) string {
	switch channel {
	case "telegram":
		return "Telegram"
	case "whatsapp":
		return "WhatsApp"
	}
	return channel
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// messageDescription lists the actions the channels offer now (gated ones left out),
// as the reference builds its description from the channels' action lists.
func messageDescription(o MessageOptions) string {
	var all []string
	var per []string
	for _, ch := range o.Channels {
		var acts []string
		for _, act := range messageChannelActions[ch] {
			if act != MessageActionSend && o.Actions == nil {
				continue
			}
			if gate(o, ch, act, o.AccountID) != nil {
				continue
			}
			acts = append(acts, act)
			if !slices.Contains(all, act) {
				all = append(all, act)
			}
		}
		if len(acts) > 0 {
			per = append(per, ch+": "+strings.Join(acts, ", "))
		}
	}
	if len(all) == 0 {
		all = []string{MessageActionSend}
	}
	return fmt.Sprintf("Send, delete, and manage messages via channel plugins. Supports actions: %s (%s). "+
		"send takes message and/or media (a URL, or a local file in the workspace via media, path or filePath); "+
		"react takes messageId and emoji (empty emoji or remove=true takes the reaction off); delete takes messageId; "+
		"poll takes pollQuestion and pollOption (2 or more).", strings.Join(all, ", "), strings.Join(per, "; "))
}

// messageSend is the send action: text, a URL or a local file inside the allowed
// folders (media, path or filePath).
func messageSend(ctx context.Context, o MessageOptions, d *msgDedupe, a messageArgs, channel, to, accountID, key string) (Result, error) {
	m := MessageSend{Channel: channel, To: to, AccountID: accountID, Text: a.Message, GifPlayback: a.GifPlayback, Buttons: a.Buttons}
	ref := firstNonEmpty(a.Media, a.Path, a.FilePath)
	if strings.TrimSpace(m.Text) == "" && ref == "" {
		return Result{}, errors.New("message required")
	}
	if ref != "" {
		if lower := strings.ToLower(ref); strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
			m.MediaURL = ref
		} else {
			if o.ResolveMedia == nil {
				return Result{}, fmt.Errorf("media %q: local files cannot be sent here (use an http(s) URL)", ref)
			}
			local := ref
			if strings.HasPrefix(local, "file://") {
				u, err := url.Parse(local)
				if err != nil {
					return Result{}, fmt.Errorf("media %q: %w", ref, err)
				}
				local = u.Path
			}
			p, err := o.ResolveMedia(local)
			if err != nil {
				return Result{}, err
			}
			m.MediaPath = p
		}
	}
	if err := gate(o, channel, MessageActionSend, accountID); err != nil {
		return Result{}, err
	}
	if len(a.Buttons) > 0 && o.ButtonsGate != nil {
		if err := o.ButtonsGate(channel, to, accountID); err != nil {
			return Result{}, err
		}
	}
	if a.DryRun {
		return JSONResult(map[string]any{"ok": true, "dryRun": true, "channel": channel, "action": "send", "to": to}), nil
	}
	m.IdempotencyKey = key
	res, err := d.once(ctx, key, o, func() (Result, error) {
		sent, err := o.Sender.SendMessage(ctx, m)
		if err != nil {
			return Result{}, err
		}
		var media any
		if ref != "" {
			media = ref
		}
		return JSONResult(map[string]any{"channel": channel, "to": to, "via": "direct", "mediaUrl": media, "result": sent}), nil
	})
	if err != nil && a.BestEffort {
		return JSONResult(map[string]any{"channel": channel, "to": to, "via": "direct", "ok": false, "error": err.Error()}), nil
	}
	return res, err
}

// messagePoll is the poll action: pollMulti lets voters pick up to every option (at
// least 2), as in the reference.
func messagePoll(ctx context.Context, o MessageOptions, d *msgDedupe, a messageArgs, channel, to, accountID, key string) (Result, error) {
	q := strings.TrimSpace(a.PollQ)
	if q == "" {
		return Result{}, errors.New("pollQuestion required")
	}
	var opts []string
	for _, s := range a.PollOptions {
		if s = strings.TrimSpace(s); s != "" {
			opts = append(opts, s)
		}
	}
	if len(opts) < MinPollOptions {
		return Result{}, errors.New("pollOption requires at least two values")
	}
	maxSel := 1
	if a.PollMulti {
		maxSel = max(2, len(opts))
	}
	var hours any
	if a.PollHours != nil {
		if *a.PollHours != float64(int(*a.PollHours)) {
			return Result{}, errors.New("pollDurationHours must be an integer")
		}
		hours = int(*a.PollHours)
	}
	if err := gate(o, channel, MessageActionPoll, accountID); err != nil {
		return Result{}, err
	}
	out := map[string]any{"channel": channel, "to": to, "question": q, "options": opts, "maxSelections": maxSel,
		"durationHours": hours, "via": "gateway"}
	if a.DryRun {
		out["dryRun"] = true
		return JSONResult(out), nil
	}
	return d.once(ctx, key, o, func() (Result, error) {
		sent, err := o.Actions.Poll(ctx, MessagePoll{Channel: channel, To: to, AccountID: accountID, Question: q, Options: opts,
			MaxSelections: maxSel, IdempotencyKey: key})
		if err != nil {
			return Result{}, err
		}
		out["result"] = sent
		return JSONResult(out), nil
	})
}

// messageBroadcast is the broadcast action: the message goes to every target on the
// named channel (or on every channel for "all" or none), each send under the same rules
// as a send of its own; failures are reported per target, not as the call's error.
func messageBroadcast(ctx context.Context, o MessageOptions, d *msgDedupe, a messageArgs, callID string) (Result, error) {
	if o.CrossContext.BroadcastDisabled {
		return Result{}, errors.New("Broadcast is disabled. Set tools.message.broadcast.enabled to true.")
	}
	var targets []string
	for _, t := range a.Targets {
		if t = strings.TrimSpace(t); t != "" {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return Result{}, errors.New("Broadcast requires at least one target in targets.")
	}
	if len(targets) > MaxBroadcastTargets {
		return Result{}, fmt.Errorf("Broadcast takes at most %d targets.", MaxBroadcastTargets)
	}
	channels := o.Channels
	if ch := strings.ToLower(strings.TrimSpace(a.Channel)); ch != "" && ch != "all" {
		if !slices.Contains(o.Channels, ch) {
			return Result{}, fmt.Errorf("Unknown channel %q (available: %s)", ch, strings.Join(o.Channels, ", "))
		}
		channels = []string{ch}
	}
	accountID := firstNonEmpty(a.AccountID, o.AccountID)
	type outcome struct {
		Channel string `json:"channel"`
		To      string `json:"to"`
		OK      bool   `json:"ok"`
		Error   string `json:"error,omitempty"`
		Result  any    `json:"result,omitempty"`
	}
	results := []outcome{}
	for _, ch := range channels {
		for _, to := range targets {
			if err := ctx.Err(); err != nil {
				return Result{}, err
			}
			one := a
			res, err := func() (Result, error) {
				cross, err := o.crossContext(MessageActionSend, ch, to)
				if err != nil {
					return Result{}, err
				}
				if cross {
					one.Message = o.mark(one.Message)
				}
				one.BestEffort = false
				return messageSend(ctx, o, d, one, ch, to, accountID, messageKey(o.Scope, callID+"\x00"+ch+"\x00"+to))
			}()
			if err != nil {
				results = append(results, outcome{Channel: ch, To: to, Error: err.Error()})
				continue
			}
			var sent any
			if m, ok := res.Details.(map[string]any); ok {
				sent = m["result"]
			}
			results = append(results, outcome{Channel: ch, To: to, OK: true, Result: sent})
		}
	}
	return JSONResult(map[string]any{"results": results}), nil
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
