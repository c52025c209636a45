package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/grouphistory"
	"github.com/clawgate/gateway/server/hooks"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/token"
)

// The runtime is the providers.Inbound of the gateway and the hooks.Runner of its
// webhooks: every way of starting a run ends in Start.
var (
	_ providers.Inbound = (*Runtime)(nil)
	_ hooks.Runner      = (*Runtime)(nil)
)

// InboundKey is the session an inbound message belongs to: Options.Route's answer
// (bindings), else one per sender (direct chats) or per group, or the main session
// with GlobalScope.
func (rt *Runtime) InboundKey(m providers.Message) string {
	if rt.opts.Route != nil {
		if k, err := sessions.Canonical(rt.opts.Route(m)); err == nil {
			return k
		}
	}
	if rt.opts.GlobalScope {
		return rt.MainSessionKey()
	}
	ch := m.Channel
	if ch == "" {
		ch = providers.WhatsApp
	}
	return sessions.SenderKey(ch, m.From, m.ChatID, m.Group)
}

// Inbound auto-replies to a message from an allowed sender: the run goes into the
// sender's session and the reply back to the chat it came from, through the same
// channel. The run id derives from the message id, so a message delivered twice is
// answered once. It returns once the run is queued.
func (rt *Runtime) Inbound(ctx context.Context, m providers.Message) {
	if _, err := rt.HandleInbound(ctx, m); err != nil {
		rt.log.Warn("agent: inbound message not answered", "channel", m.Channel, "from", m.From, "err", err)
	}
}

// HandleInbound is Inbound with the run (or the reason there is none).
func (rt *Runtime) HandleInbound(ctx context.Context, m providers.Message) (*Run, error) {
	if strings.TrimSpace(m.Text) == "" {
		return nil, errors.New("empty message")
	}
	ch := m.Channel
	if ch == "" {
		ch = providers.WhatsApp
	}
	to := m.ChatID
	if to == "" {
		to = m.From
	}
	if to == "" {
		return nil, errors.New("message has neither chat id nor sender")
	}
	if rt.opts.Broadcast != nil {
		if keys, sequential := rt.opts.Broadcast(m); len(keys) > 0 {
			return rt.broadcastInbound(ctx, m, ch, to, keys, sequential)
		}
	}
	return rt.inboundTo(ctx, m, rt.InboundKey(m), ch, to, "")
}

// broadcastInbound answers m in each session of keys (a broadcast group): every
// agent runs in its own session and delivers its own reply. The runs' ids carry the
// agent, so the message is answered once per agent (and still once when delivered
// twice). Sequential runs start one after the other finished, in a goroutine, so the
// channel's receive loop is not held; a failing agent does not stop the others. The
// first run started is returned.
func (rt *Runtime) broadcastInbound(ctx context.Context, m providers.Message, ch, to string, keys []string, sequential bool) (*Run, error) {
	rt.log.Info("agent: broadcasting an inbound message", "channel", ch, "agents", len(keys), "sequential", sequential)
	var first *Run
	var firstErr error
	for i, key := range keys {
		canon, err := sessions.Canonical(key)
		if err != nil {
			rt.log.Warn("agent: broadcast session not usable", "session", key, "err", err)
			continue
		}
		if sequential && first != nil {
			go rt.broadcastRest(m, ch, to, keys[i:], first)
			return first, nil
		}
		r, err := rt.inboundTo(ctx, m, canon, ch, to, "#"+broadcastSuffix(canon))
		if err != nil {
			rt.log.Warn("agent: broadcast agent not answered", "session", canon, "err", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if first == nil && r != nil {
			first = r
		}
	}
	if first == nil {
		return nil, firstErr
	}
	return first, nil
}

// broadcastRest starts the remaining sequential broadcast runs, each once the one
// before it has finished (or the runtime shuts down).
func (rt *Runtime) broadcastRest(m providers.Message, ch, to string, keys []string, prev *Run) {
	for _, key := range keys {
		if prev != nil {
			select {
			case <-prev.Done():
			case <-rt.base.Done():
				return
			}
		}
		canon, err := sessions.Canonical(key)
		if err != nil {
			rt.log.Warn("agent: broadcast session not usable", "session", key, "err", err)
			continue
		}
		r, err := rt.inboundTo(rt.base, m, canon, ch, to, "#"+broadcastSuffix(canon))
		if err != nil {
			rt.log.Warn("agent: broadcast agent not answered", "session", canon, "err", err)
		}
		prev = r
	}
}

// broadcastSuffix names a broadcast run's agent: the agent segment of its session
// key (agent:<id>:…), else the whole key.
func broadcastSuffix(key string) string {
	if rest, ok := strings.CutPrefix(key, "agent:"); ok {
		if id, _, ok := strings.Cut(rest, ":"); ok {
			return id
		}
	}
	return key
}

// inboundTo answers m in the session key; runSuffix sets broadcast runs apart.
func (rt *Runtime) inboundTo(ctx context.Context, m providers.Message, key, ch, to, runSuffix string) (*Run, error) {
	// A stale session starts over before this message touches it (recording the route
	// would make it look fresh).
	var previous time.Time // when the session last changed: the envelope's "+5m"
	if ss, err := rt.opts.Store.Get(ctx, key); err == nil {
		if err := rt.resetIfStale(ctx, key, ss, ch, 0); err != nil {
			return nil, err
		}
		if ss.UpdatedAt > 0 {
			previous = time.UnixMilli(ss.UpdatedAt)
		}
	} else if !errors.Is(err, sessions.ErrNotFound) {
		return nil, fmt.Errorf("session: %w", err)
	}
	ss, err := rt.opts.Store.SetRoute(ctx, key, sessions.Route{Channel: ch, To: to, AccountID: m.AccountID}, m.SenderName)
	if err != nil {
		return nil, fmt.Errorf("session route: %w", err)
	}
	if handled, cont, err := rt.inboundCommand(ctx, m, key, ch, to); err != nil || (handled && cont == "") {
		return nil, err
	} else if handled {
		m.Text = cont
	}
	if rt.sendDenied(ss, key, ch) {
		// As the original: gateway commands above still answer; the agent does not.
		rt.log.Info("agent: message not answered: send blocked by session policy", "session", key, "channel", ch)
		return nil, nil
	}
	if rt.queueMode(ch) == QueueInterrupt && rt.Active(key) {
		// messages.queue "interrupt": the new message replaces what the session was doing.
		if ids, err := rt.Abort(key, ""); err == nil && len(ids) > 0 {
			rt.log.Info("agent: busy session interrupted by a new message", "session", key, "aborted", len(ids))
		}
	}
	// What a queue overflow summary quotes: the message as written, without the
	// prefix or the envelope header the model gets.
	summary := m.Text
	if m.Group {
		_, summary = grouphistory.Split(m.Text)
	}
	m.Text = withBodyPrefix(m.BodyPrefix, m.Text, m.Group)
	if rt.opts.Envelope != nil {
		m.Text, _ = withEnvelope(m, ch, previous, rt.opts.Envelope())
		if id := strings.TrimSpace(m.MessageID); id != "" {
			// As the original: the model learns the message's id, which a reply tag
			// ([[reply_to:<id>]]) may name. It goes with the envelope: without one the
			// model gets the bare text.
			m.Text += "\n" + MessageIDHint(id)
		}
	}
	id := token.UUID()
	if m.MessageID != "" {
		id = ch + ":" + m.AccountID + ":" + to + ":" + m.MessageID
	}
	id += runSuffix
	var images []llm.Part
	for _, im := range m.Images {
		images = append(images, llm.ImagePart(im.MimeType, im.Data))
	}
	// A text-only model gets the images replaced by a note by the model layer: an
	// inbound photo is answered, not refused.
	r, _, err := rt.Start(ctx, Request{
		RunID: id, SessionKey: key, Message: m.Text, Summary: summary, Images: images,
		Deliver: true, Channel: ch, To: to, AccountID: m.AccountID, Source: "inbound",
		Group: m.Group, Mentioned: m.Mentioned, ExtraSystemPrompt: m.SystemPrompt, InboundAudio: m.Audio,
		MessageID: strings.TrimSpace(m.MessageID), Owners: m.Owners,
	})
	return r, err
}

// MessageIDHint is the line that tells the model an inbound message's id.
func MessageIDHint(id string) string { return "[message_id: " + id + "]" }

// withBodyPrefix puts an inbound prefix (providers.Message.BodyPrefix) and a space
// before the message's own text: in a group message that carries unanswered history,
// before the current message after the history.
func withBodyPrefix(prefix, text string, group bool) string {
	if prefix == "" {
		return text
	}
	if group {
		history, cur := grouphistory.Split(text)
		return history + prefix + " " + cur
	}
	return prefix + " " + text
}

// Wake queues a system note into the main session's transcript; mode "now" then runs
// a heartbeat turn there (an ephemeral prompt asking the model to look at the notes),
// whose reply stays in the transcript and is not delivered. "next-heartbeat" only
// queues the note: the next turn in the main session sees it.
func (rt *Runtime) Wake(ctx context.Context, text, mode string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return errors.New("wake: text is empty")
	}
	if max := rt.opts.Store.MaxMessageBytes(); len(text) > max {
		return fmt.Errorf("wake: text too large: %d bytes, limit %d", len(text), max)
	}
	key := rt.MainSessionKey()
	if _, _, err := rt.opts.Store.Append(ctx, key, sessions.Message{Role: "system", Text: "System note: " + text}); err != nil {
		return fmt.Errorf("wake: %w", err)
	}
	if mode != "now" {
		return nil
	}
	_, _, err := rt.Start(ctx, Request{RunID: "heartbeat-" + token.UUID(), SessionKey: key, Message: HeartbeatPrompt, Ephemeral: true, Source: "wake"})
	if err != nil {
		// The note is queued; the heartbeat is best effort (e.g. the session is busy,
		// and its running turn or the next one sees the note anyway).
		rt.log.Info("agent: wake heartbeat not started", "err", err)
	}
	return nil
}

// StartAgent starts an isolated hook turn (hooks.Runner): its own session
// (default hook:<uuid>), delivered when asked. WakeMode is not used: hook turns always
// run at once.
func (rt *Runtime) StartAgent(ctx context.Context, hr hooks.AgentRequest) (string, error) {
	key := hr.SessionKey
	if key == "" {
		key = "hook:" + token.UUID()
	}
	canon, err := sessions.Canonical(key)
	if err != nil {
		return "", err
	}
	name := hr.Name
	if name == "" {
		name = "Hook"
	}
	r, _, err := rt.Start(ctx, Request{
		RunID: token.UUID(), SessionKey: canon, Message: hr.Message,
		ExtraSystemPrompt: "This message was sent by the webhook \"" + name + "\".",
		Timeout:           hr.Timeout, Deliver: hr.Deliver, Channel: hr.Channel, To: hr.To, Source: "hook",
	})
	if err != nil {
		return "", err
	}
	if hr.SessionKey == "" {
		rt.pruneHookSessions(ctx)
	}
	return r.ID, nil
}

// DefaultMaxHookSessions bounds the sessions hook calls without a sessionKey create
// (one each, hook:<uuid>): beyond it the least recently used idle ones are deleted,
// their transcripts archived like any deleted session's (bounded by the store).
const DefaultMaxHookSessions = 500

// pruneHookSessions deletes the oldest idle hook sessions beyond MaxHookSessions. A
// failure only logs: the run itself was started.
func (rt *Runtime) pruneHookSessions(ctx context.Context) {
	prefix, err := sessions.Canonical("hook:")
	if err != nil {
		return
	}
	keys, err := rt.opts.Store.OldestBeyond(ctx, prefix, rt.opts.MaxHookSessions)
	if err != nil {
		rt.log.Warn("agent: listing hook sessions", "err", err)
		return
	}
	for _, k := range keys {
		rt.mu.Lock()
		busy := rt.lanes[k] != nil
		rt.mu.Unlock()
		if busy {
			continue
		}
		if _, _, err := rt.opts.Store.Delete(ctx, k); err != nil {
			rt.log.Warn("agent: deleting an old hook session", "session", k, "err", err)
			return
		}
	}
}

// withEnvelope puts the original's envelope header in front of an inbound message
// (package envelope): the channel, who wrote, the time since the session's previous
// message and the time. In a group the author's label prefixes the body, and the
// unanswered messages before it (grouphistory.Context) stay in front, unwrapped: each
// of them already carries its own header. current is the message as written.
func withEnvelope(m providers.Message, ch string, previous time.Time, o envelope.Options) (text, current string) {
	history := ""
	current = m.Text
	if m.Group {
		history, current = grouphistory.Split(m.Text)
	}
	e := envelope.Message{Channel: channelLabel(ch), Body: current, Time: m.Time, Previous: previous, Group: m.Group}
	switch {
	case ch == providers.Telegram && m.Group:
		e.From = "group:" + m.ChatID
		if t := strings.TrimSpace(m.ChatTitle); t != "" {
			e.From = t + " id:" + m.ChatID
		}
		e.Sender = envelope.SenderLabel(orElse(m.SenderName, m.SenderUsername), m.From)
	case ch == providers.Telegram:
		e.From = envelope.TelegramLabel(m.SenderName, m.SenderUsername, m.From)
	case m.Group:
		e.From = m.ChatID
		if t := strings.TrimSpace(m.ChatTitle); t != "" {
			e.From = t + " id:" + m.ChatID
		}
		e.Sender = envelope.SenderLabel(m.SenderName, m.From)
	default:
		e.From = m.From
	}
	return history + envelope.Format(e, o), current
}

// channelLabel is a channel's name as envelopes show it.
func channelLabel(ch string) string {
	switch ch {
	case providers.Telegram:
		return "Telegram"
	case providers.WhatsApp:
		return "WhatsApp"
	}
	if ch == "" {
		return "Channel"
	}
	return strings.ToUpper(ch[:1]) + ch[1:]
}

func orElse(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
