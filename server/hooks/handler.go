package hooks

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	secret "github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/token"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// ErrUnavailable is what a Runner returns (wrapped or not) when it cannot take work
// right now; the caller gets 503 and may retry.
var ErrUnavailable = errors.New("agent runtime unavailable")

// Channels a hook may deliver through (§10.1); "imsg" is an alias of imessage.
var channels = []string{"last", "whatsapp", "telegram", "discord", "slack", "signal", "imessage"}

// Handler serves POST <path>/wake, <path>/agent and mapped sub-paths. Its Config can be
// swapped at run time (hooks.* is hot-reloadable), so it is mounted once in front of
// the other HTTP routes and claims requests with Claims.
type Handler struct {
	cfg      atomic.Pointer[Config]
	runner   Runner
	log      *slog.Logger
	now      func() time.Time
	throttle *secret.Throttle
}

// Options configure a Handler.
type Options struct {
	// Runner starts the work; nil answers every valid call with 503.
	Runner Runner
	Logger *slog.Logger
	Now    func() time.Time
	// Throttle slows down guessing of hooks.token across every address, the same brake
	// as the WebSocket's shared secret (auth.Throttle; its own budget, since it guards
	// another secret). nil makes one with the defaults.
	Throttle *secret.Throttle
}

// NewHandler serves cfg with the given runner.
func NewHandler(cfg Config, o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Throttle == nil {
		o.Throttle = secret.NewThrottle(secret.ThrottleOptions{})
	}
	h := &Handler{runner: o.Runner, log: o.Logger, now: o.Now, throttle: o.Throttle}
	h.SetConfig(cfg)
	return h
}

// SetConfig replaces the configuration (config hot reload).
func (h *Handler) SetConfig(cfg Config) { h.cfg.Store(&cfg) }

// Config is the configuration in use.
func (h *Handler) Config() Config { return *h.cfg.Load() }

// Claims reports whether r is for the hooks: enabled, and the path is the base path or
// under it. Everything else falls through to the next route (§10 routing order).
func (h *Handler) Claims(r *http.Request) bool {
	cfg := h.cfg.Load()
	if !cfg.Enabled {
		return false
	}
	return r.URL.Path == cfg.Path || strings.HasPrefix(r.URL.Path, cfg.Path+"/")
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := h.cfg.Load()
	if !cfg.Enabled {
		writeJSON(w, http.StatusNotFound, errBody("not found"))
		return
	}
	// 1. token first: a caller without it learns nothing about methods or paths. The
	// throttle decides before the comparison whether the answer may leave at once; a
	// right token is always accepted (see auth.Throttle).
	att := h.throttle.Begin()
	ok := tokenOK(requestToken(r), cfg.Token)
	secret.Wait(r.Context(), att.Done(ok))
	if !ok {
		writeJSON(w, http.StatusUnauthorized, errBody("unauthorized"))
		return
	}
	// 2. method.
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errBody("method not allowed"))
		return
	}
	// 3. sub-path.
	sub := strings.Trim(strings.TrimPrefix(r.URL.Path, cfg.Path), "/")
	if sub == "" {
		writeJSON(w, http.StatusNotFound, errBody("not found"))
		return
	}
	// 4. body.
	body, status, err := readBody(w, r, cfg.MaxBodyBytes)
	if err != nil {
		writeJSON(w, status, errBody(err.Error()))
		return
	}
	payload, _ := body.(map[string]any)
	if payload == nil {
		payload = map[string]any{}
	}
	switch sub {
	case "wake":
		text, _ := payload["text"].(string)
		text = strings.TrimSpace(text)
		if text == "" {
			writeJSON(w, http.StatusBadRequest, errBody("text required"))
			return
		}
		mode := "now"
		if m, _ := payload["mode"].(string); m == "next-heartbeat" {
			mode = m
		}
		h.wake(w, r, text, mode)
	case "agent":
		req, msg := agentRequest(payload)
		if msg != "" {
			writeJSON(w, http.StatusBadRequest, errBody(msg))
			return
		}
		h.agent(w, r, req)
	default:
		h.mapped(w, r, cfg, sub, payload)
	}
}

func (h *Handler) mapped(w http.ResponseWriter, r *http.Request, cfg *Config, sub string, payload map[string]any) {
	headers := make(map[string]string, len(r.Header))
	for k, v := range r.Header {
		if len(v) > 0 {
			headers[strings.ToLower(k)] = v[0]
		}
	}
	a, ok, err := Match(cfg.Mappings, &Context{Payload: payload, Headers: headers, Query: r.URL.Query(), Path: sub, Now: h.now()})
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, errBody("not found"))
	case err != nil:
		var me mappingError
		if errors.As(err, &me) {
			writeJSON(w, http.StatusBadRequest, errBody(me.Error()))
			return
		}
		h.log.Warn("hook mapping failed", "mapping", a.MappingID, "err", err)
		writeJSON(w, http.StatusInternalServerError, errBody("hook mapping failed"))
	case a.Wake != nil:
		h.wake(w, r, a.Wake.Text, a.Wake.Mode)
	default:
		req := *a.Agent
		if req.Name == "" {
			req.Name = "Hook"
		}
		if req.SessionKey == "" {
			req.SessionKey = "hook:" + token.UUID()
		}
		if req.WakeMode != "next-heartbeat" {
			req.WakeMode = "now"
		}
		if req.Channel == "" {
			req.Channel = "last"
		}
		h.agent(w, r, req)
	}
}

func (h *Handler) wake(w http.ResponseWriter, r *http.Request, text, mode string) {
	if h.runner == nil {
		writeJSON(w, http.StatusServiceUnavailable, errBody(ErrUnavailable.Error()))
		return
	}
	if err := h.runner.Wake(r.Context(), text, mode); err != nil {
		h.runnerError(w, "wake", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "mode": mode})
}

func (h *Handler) agent(w http.ResponseWriter, r *http.Request, req AgentRequest) {
	if h.runner == nil {
		writeJSON(w, http.StatusServiceUnavailable, errBody(ErrUnavailable.Error()))
		return
	}
	runID, err := h.runner.StartAgent(r.Context(), req)
	if err != nil {
		h.runnerError(w, "agent", err)
		return
	}
	h.log.Info("hook agent run started", "name", req.Name, "sessionKey", req.SessionKey, "runId", runID)
	writeJSON(w, http.StatusAccepted, map[string]any{"ok": true, "runId": runID})
}

func (h *Handler) runnerError(w http.ResponseWriter, what string, err error) {
	if errors.Is(err, ErrUnavailable) {
		writeJSON(w, http.StatusServiceUnavailable, errBody(err.Error()))
		return
	}
	h.log.Warn("hook dispatch failed", "hook", what, "err", err)
	writeJSON(w, http.StatusInternalServerError, errBody(what+" failed: "+err.Error()))
}

// agentRequest validates a /agent body; msg is the 400 text when it is unusable.
func agentRequest(p map[string]any) (AgentRequest, string) {
	str := func(k string) string {
		s, _ := p[k].(string)
		return strings.TrimSpace(s)
	}
	req := AgentRequest{Message: str("message"), Name: str("name"), SessionKey: str("sessionKey"), To: str("to"), Thinking: str("thinking")}
	if req.Message == "" {
		return req, "message required"
	}
	if req.Name == "" {
		req.Name = "Hook"
	}
	if req.SessionKey == "" {
		req.SessionKey = "hook:" + token.UUID()
	}
	req.WakeMode = "now"
	if str("wakeMode") == "next-heartbeat" {
		req.WakeMode = "next-heartbeat"
	}
	req.Deliver = p["deliver"] == true
	// v3 calls it channel, v2 provider; either is accepted.
	ch, field := str("channel"), "channel"
	if _, set := p["channel"]; !set {
		ch, field = str("provider"), "provider"
	}
	switch ch {
	case "":
		ch = "last"
	case "imsg":
		ch = "imessage"
	}
	known := false
	for _, c := range channels {
		known = known || c == ch
	}
	if !known {
		return req, field + " must be " + strings.Join(channels, "|")
	}
	req.Channel = ch
	if t, ok := p["timeoutSeconds"].(float64); ok && t > 0 && !math.IsInf(t, 0) {
		req.Timeout = time.Duration(math.Floor(t)) * time.Second
	}
	return req, ""
}

// requestToken takes the token from Authorization: Bearer, X-Clawdbot-Token or ?token=.
func requestToken(r *http.Request) string {
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	if t := strings.TrimSpace(r.Header.Get("X-Clawdbot-Token")); t != "" {
		return t
	}
	return strings.TrimSpace(r.URL.Query().Get("token"))
}

// tokenOK compares in constant time (the original used ==). Hashing both sides first
// keeps the comparison independent of the token's length.
func tokenOK(got, want string) bool {
	if got == "" || want == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// readBody reads at most max bytes of JSON. Empty → {}; a scalar or null → {}.
func readBody(w http.ResponseWriter, r *http.Request, max int64) (any, int, error) {
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	if r.ContentLength > max {
		return nil, http.StatusRequestEntityTooLarge, errors.New("payload too large")
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, errors.New("payload too large")
		}
		return nil, http.StatusBadRequest, err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return map[string]any{}, 0, nil
	}
	v, err := decodeStrict(b)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	switch v.(type) {
	case map[string]any, []any:
		return v, 0, nil
	}
	return map[string]any{}, 0, nil
}

// decodeStrict decodes a JSON body with the WebSocket's decoder (gen/go/wire) and its
// rules: duplicate keys at any depth, invalid UTF-8, lone surrogate escapes and nesting
// deeper than wire.MaxDepth are refused, so a body never means two things to two
// parsers. Numbers become float64, as with encoding/json.
func decodeStrict(b []byte) (any, error) {
	var d wire.Decoder
	d.Reset(b)
	v, err := decodeValue(&d)
	if err == nil {
		err = d.End()
	}
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return v, nil
}

func decodeValue(d *wire.Decoder) (any, error) {
	switch d.Peek() {
	case wire.KindObject:
		if err := d.BeginObject(); err != nil {
			return nil, err
		}
		m := map[string]any{}
		for {
			k, more, err := d.NextKey()
			if err != nil {
				return nil, err
			}
			if !more {
				return m, nil
			}
			key := string(k)
			if _, dup := m[key]; dup {
				return nil, fmt.Errorf("duplicate property %q", key)
			}
			if m[key], err = decodeValue(d); err != nil {
				return nil, err
			}
		}
	case wire.KindArray:
		if err := d.BeginArray(); err != nil {
			return nil, err
		}
		a := []any{}
		for {
			more, err := d.NextElem()
			if err != nil {
				return nil, err
			}
			if !more {
				return a, nil
			}
			e, err := decodeValue(d)
			if err != nil {
				return nil, err
			}
			a = append(a, e)
		}
	case wire.KindString:
		return d.String()
	case wire.KindNumber:
		return d.Float()
	case wire.KindBool:
		return d.Bool()
	case wire.KindNull:
		return nil, d.Null()
	}
	return nil, d.Skip() // reports the syntax error
}

func errBody(msg string) map[string]any { return map[string]any{"ok": false, "error": msg} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
