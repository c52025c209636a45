// Package nodeevents acts on the events nodes send the gateway (node.event over the
// WebSocket, event frames over the bridge), as the original does: agent.request and
// voice.transcript run agent turns, chat.subscribe / chat.unsubscribe stream a
// session's chat and agent events back to the node, and exec.started / finished /
// denied from node hosts become system notes in the session and wake the heartbeat.
// Malformed or oversized payloads are dropped with a log line; a node event has no
// answer to carry an error.
package nodeevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/nodes/live"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/token"
)

// Limits.
const (
	// MaxTextChars bounds an agent.request message or a voice transcript (the
	// original's 20 000 characters); longer ones are dropped.
	MaxTextChars = 20_000
	// DefaultMaxSubscriptions bounds the sessions one node may subscribe to.
	DefaultMaxSubscriptions = 64
	// DefaultMaxPayloadBytes bounds a node event's payload before it is parsed.
	DefaultMaxPayloadBytes = 256 << 10
)

// Agent starts agent turns (agent.Runtime).
type Agent interface {
	Start(ctx context.Context, req agent.Request) (*agent.Run, bool, error)
}

// Options wire the handler.
type Options struct {
	Agent Agent
	// MainKey is the canonical main session (voice transcripts without a session).
	MainKey func() string
	// Note appends a system note to a session's transcript (exec events).
	Note func(ctx context.Context, sessionKey, text string) error
	// Heartbeat asks for a heartbeat turn soon (nil: none).
	Heartbeat func(reason string)
	// Send queues an event to a connected node (live.Registry.SendEvent).
	Send func(nodeID string, ev protocol.Event) error
	// MaxSubscriptions per node (default DefaultMaxSubscriptions).
	MaxSubscriptions int
	// MaxPayloadBytes per event (default DefaultMaxPayloadBytes).
	MaxPayloadBytes int
	Logger          *slog.Logger
}

// Handler dispatches node events and fans chat events out to subscribed nodes.
type Handler struct {
	o    Options
	log  *slog.Logger
	base context.Context

	mu   sync.Mutex
	subs map[string]map[string]struct{} // session key → node ids
	byNd map[string]int                 // node id → subscription count
}

// New builds a handler; base bounds the agent turns it starts (the daemon's lifetime).
func New(base context.Context, o Options) (*Handler, error) {
	if o.Agent == nil || o.MainKey == nil || o.Note == nil || o.Send == nil {
		return nil, errors.New("nodeevents: Agent, MainKey, Note and Send are required")
	}
	if o.MaxSubscriptions <= 0 {
		o.MaxSubscriptions = DefaultMaxSubscriptions
	}
	if o.MaxPayloadBytes <= 0 {
		o.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{o: o, log: log.With("subsystem", "node-events"), base: base,
		subs: map[string]map[string]struct{}{}, byNd: map[string]int{}}, nil
}

// Handle acts on one node event (live.EventHandler). It does not block on agent turns.
func (h *Handler) Handle(nodeID, event string, payloadJSON *string) {
	if payloadJSON == nil {
		return
	}
	if len(*payloadJSON) > h.o.MaxPayloadBytes {
		h.log.Warn("node event payload too large", "node", nodeID, "event", event, "bytes", len(*payloadJSON), "limit", h.o.MaxPayloadBytes)
		return
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(*payloadJSON), &obj); err != nil || obj == nil {
		h.log.Info("node event payload is not a JSON object", "node", nodeID, "event", event)
		return
	}
	switch event {
	case "voice.transcript":
		h.voice(nodeID, obj)
	case "agent.request":
		h.agentRequest(nodeID, obj)
	case "chat.subscribe":
		if key := str(obj, "sessionKey"); key != "" {
			h.subscribe(nodeID, key)
		}
	case "chat.unsubscribe":
		if key := str(obj, "sessionKey"); key != "" {
			h.unsubscribe(nodeID, key)
		}
	case "exec.started", "exec.finished", "exec.denied":
		h.exec(nodeID, event, obj)
	default:
		h.log.Debug("node event ignored", "node", nodeID, "event", event)
	}
}

func str(obj map[string]any, k string) string {
	s, _ := obj[k].(string)
	return strings.TrimSpace(s)
}

func canonical(key string) string {
	if c, err := sessions.Canonical(key); err == nil {
		return c
	}
	return key
}

func (h *Handler) start(nodeID string, req agent.Request) {
	req.Source = "node"
	if _, _, err := h.o.Agent.Start(h.base, req); err != nil {
		h.log.Warn("agent failed", "node", nodeID, "session", req.SessionKey, "err", err)
	}
}

// voice runs the transcript as a turn in its session (default: main), not delivered:
// the answer reaches the node through its chat subscription.
func (h *Handler) voice(nodeID string, obj map[string]any) {
	text := str(obj, "text")
	if text == "" || len([]rune(text)) > MaxTextChars {
		return
	}
	key := str(obj, "sessionKey")
	if key == "" {
		key = h.o.MainKey()
	}
	h.start(nodeID, agent.Request{RunID: "voice-" + token.UUID(), SessionKey: canonical(key), Message: text})
}

// agentRequest runs a deep-link style request (default session node-<id>); it is
// delivered only when it names a channel, as in the original.
func (h *Handler) agentRequest(nodeID string, obj map[string]any) {
	msg := str(obj, "message")
	if msg == "" || len([]rune(msg)) > MaxTextChars {
		return
	}
	key := str(obj, "sessionKey")
	if key == "" {
		key = "node-" + nodeID
	}
	channel := strings.ToLower(str(obj, "channel"))
	deliver, _ := obj["deliver"].(bool)
	req := agent.Request{RunID: token.UUID(), SessionKey: canonical(key), Message: msg,
		Deliver: deliver && channel != "", Channel: channel, To: str(obj, "to")}
	if s, ok := obj["timeoutSeconds"].(float64); ok && s > 0 && !math.IsInf(s, 0) {
		req.Timeout = time.Duration(min(s, 24*3600) * float64(time.Second))
	}
	h.start(nodeID, req)
}

// exec turns a node host's exec event into a system note for the session (default
// node-<id>) and asks for a heartbeat, as the original does.
func (h *Handler) exec(nodeID, event string, obj map[string]any) {
	key := "node-" + nodeID
	if _, ok := obj["sessionKey"].(string); ok {
		key = str(obj, "sessionKey")
	}
	if key == "" {
		return
	}
	runID, command, output, reason := str(obj, "runId"), str(obj, "command"), str(obj, "output"), str(obj, "reason")
	id := ""
	if runID != "" {
		id = " id=" + runID
	}
	var text string
	switch event {
	case "exec.started":
		text = fmt.Sprintf("Exec started (node=%s%s)", nodeID, id)
		if command != "" {
			text += ": " + command
		}
	case "exec.finished":
		label := "code ?"
		if to, _ := obj["timedOut"].(bool); to {
			label = "timeout"
		} else if c, ok := obj["exitCode"].(float64); ok && !math.IsInf(c, 0) {
			label = fmt.Sprintf("code %v", c)
		}
		text = fmt.Sprintf("Exec finished (node=%s%s, %s)", nodeID, id, label)
		if output != "" {
			text += "\n" + output
		}
	default:
		text = fmt.Sprintf("Exec denied (node=%s%s", nodeID, id)
		if reason != "" {
			text += ", " + reason
		}
		text += ")"
		if command != "" {
			text += ": " + command
		}
	}
	if err := h.o.Note(h.base, canonical(key), text); err != nil {
		h.log.Warn("exec event not recorded", "node", nodeID, "event", event, "err", err)
		return
	}
	if h.o.Heartbeat != nil {
		h.o.Heartbeat("exec-event")
	}
}

func (h *Handler) subscribe(nodeID, key string) {
	key = canonical(key)
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.subs[key]
	if _, ok := set[nodeID]; ok {
		return
	}
	if h.byNd[nodeID] >= h.o.MaxSubscriptions {
		h.log.Warn("chat.subscribe refused: too many subscriptions", "node", nodeID, "limit", h.o.MaxSubscriptions)
		return
	}
	if set == nil {
		set = map[string]struct{}{}
		h.subs[key] = set
	}
	set[nodeID] = struct{}{}
	h.byNd[nodeID]++
}

func (h *Handler) unsubscribe(nodeID, key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unsubscribeLocked(nodeID, canonical(key))
}

func (h *Handler) unsubscribeLocked(nodeID, key string) {
	set := h.subs[key]
	if _, ok := set[nodeID]; !ok {
		return
	}
	delete(set, nodeID)
	if len(set) == 0 {
		delete(h.subs, key)
	}
	if h.byNd[nodeID]--; h.byNd[nodeID] <= 0 {
		delete(h.byNd, nodeID)
	}
}

// Forget drops every subscription of a node (it disconnected).
func (h *Handler) Forget(nodeID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for key := range h.subs {
		h.unsubscribeLocked(nodeID, key)
	}
}

// Subscribers lists the nodes subscribed to a session (sorted).
func (h *Handler) Subscribers(key string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.subs[key]))
	for id := range h.subs[key] {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Forward sends a chat or agent event to the nodes subscribed to its session. Nodes
// that are gone lose their subscriptions.
func (h *Handler) Forward(ev protocol.Event) {
	var key string
	switch e := ev.(type) {
	case *protocol.ChatEvent:
		key = e.SessionKey
	case interface{ GetSessionKey() string }:
		// protocol.AgentEvent, or the agent runtime's pre-encoded agent.AgentEvent.
		if ev.EventName() != "agent" {
			return
		}
		key = e.GetSessionKey()
	default:
		return
	}
	if key == "" {
		return
	}
	for _, id := range h.Subscribers(key) {
		if err := h.o.Send(id, ev); errors.Is(err, live.ErrNotConnected) {
			h.Forget(id)
		} else if err != nil {
			h.log.Debug("chat event not sent to node", "node", id, "err", err)
		}
	}
}
