// Package openaihttp serves the OpenAI-compatible HTTP endpoints on the gateway port:
// `POST /v1/chat/completions` (chat completions, streamed as chat.completion.chunk
// server-sent events or answered whole) and `POST /v1/responses` (the OpenResponses
// shape, streamed as typed events or answered whole). Each request is one real agent
// turn in a gateway session, started through the agent runtime like `agent` and
// hooks, so the exchange lands in the session's transcript (chat.history) and its
// `agent`/`chat` events reach WebSocket clients.
//
// Why a package of its own: the endpoints speak OpenAI's wire, not the gateway's, and
// need nothing of the transport but the shared-secret check, so the daemon mounts them
// on the gateway's HTTP mux next to hooks and the Control UI. Both are off unless
// gateway.http.endpoints.chatCompletions.enabled / responses.enabled say otherwise,
// as in the original.
package openaihttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/token"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

// Paths served.
const (
	ChatCompletionsPath = "/v1/chat/completions"
	ResponsesPath       = "/v1/responses"
)

// Limits and defaults (the original's where it has them).
const (
	// DefaultChatMaxBodyBytes caps a /v1/chat/completions request body (the original's
	// 1 MiB; it has no config key).
	DefaultChatMaxBodyBytes = 1 << 20
	// DefaultResponsesMaxBodyBytes caps a /v1/responses body when
	// gateway.http.endpoints.responses.maxBodyBytes is unset (the original's 20 MB).
	DefaultResponsesMaxBodyBytes = 20 << 20
	// DefaultWriteTimeout bounds each write to the caller (a chunk, or the whole answer).
	// The gateway port's server-wide write timeout would cut a long turn off, so the
	// handler replaces it with this per-write deadline.
	DefaultWriteTimeout = 30 * time.Second
	// DefaultMaxEphemeralSessions is the default of Options.MaxEphemeralSessions.
	DefaultMaxEphemeralSessions = 500
	// DefaultModel is the model name answered when a request names none.
	DefaultModel = "clawdbot"
	// noResponse is the reply text of a turn that produced none (the original's words).
	noResponse = "No response from Clawdbot."
)

// Headers read from requests (the original's).
const (
	HeaderAgentID    = "X-Clawdbot-Agent-Id"
	HeaderAgent      = "X-Clawdbot-Agent"
	HeaderSessionKey = "X-Clawdbot-Session-Key"
)

const (
	defaultAgentID     = sessions.DefaultAgentID
	sourceOpenAI       = "openai"
	sourceResponses    = "openresponses"
	maxAgentIDLength   = 64
	errTypeInvalid     = "invalid_request_error"
	errTypeAPI         = "api_error"
	errTypeUnauth      = "unauthorized"
	errTypeTooLarge    = "request_too_large"
	errTypeUnavailable = "unavailable"
)

// Runner starts agent turns: the agent runtime.
type Runner interface {
	Start(ctx context.Context, req agent.Request) (run *agent.Run, dup bool, err error)
}

// sessionOwner is the part of the runtime that prunes one-off sessions; a Runner
// without it leaves them be.
type sessionOwner interface {
	Store() *sessions.Store
	Active(sessionKey string) bool
}

// Options configure a Handler.
type Options struct {
	// Runner runs the turns; nil answers 503.
	Runner Runner
	// Secrets is the gateway's shared-secret auth; the bearer token is checked as both
	// token and password, as the original does.
	Secrets auth.Secrets
	// Throttle brakes secret guessing (the gateway's, shared with the WebSocket
	// handshake); nil makes a private one.
	Throttle *auth.Throttle

	ChatCompletions bool // gateway.http.endpoints.chatCompletions.enabled
	Responses       bool // gateway.http.endpoints.responses.enabled

	// ChatMaxBodyBytes and ResponsesMaxBodyBytes cap request bodies (defaults above);
	// a larger body is refused with 413.
	ChatMaxBodyBytes      int64
	ResponsesMaxBodyBytes int64
	// ResponsesImages and ResponsesFiles bound /v1/responses input_image and input_file
	// parts (gateway.http.endpoints.responses.images / files; zero: the defaults).
	ResponsesImages, ResponsesFiles InputLimits
	// RunTimeout is the turn deadline (0: the runtime's agents.defaults.timeoutSeconds).
	RunTimeout time.Duration
	// WriteTimeout bounds each write to the caller (DefaultWriteTimeout).
	WriteTimeout time.Duration
	// MaxEphemeralSessions bounds the one-off sessions of requests that name neither a
	// user nor a session (DefaultMaxEphemeralSessions per agent and endpoint): beyond
	// it the least recently used idle ones are deleted, as for hook sessions.
	MaxEphemeralSessions int

	// Now stamps answers (created, created_at); default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Handler serves the endpoints that are enabled. Claims says which requests are its.
type Handler struct {
	o   Options
	log *slog.Logger
}

// New builds a Handler.
func New(o Options) *Handler {
	if o.ResponsesImages.MaxBytes <= 0 {
		o.ResponsesImages = DefaultImageLimits()
	}
	if o.ResponsesFiles.MaxBytes <= 0 {
		o.ResponsesFiles = DefaultFileLimits()
	}
	if o.ChatMaxBodyBytes <= 0 {
		o.ChatMaxBodyBytes = DefaultChatMaxBodyBytes
	}
	if o.ResponsesMaxBodyBytes <= 0 {
		o.ResponsesMaxBodyBytes = DefaultResponsesMaxBodyBytes
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.MaxEphemeralSessions <= 0 {
		o.MaxEphemeralSessions = DefaultMaxEphemeralSessions
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Throttle == nil {
		o.Throttle = auth.NewThrottle(auth.ThrottleOptions{})
	}
	if o.Secrets.Mode == "" {
		o.Secrets.Mode = auth.ModeNone
	}
	return &Handler{o: o, log: o.Logger.With("component", "openai-http")}
}

// Claims reports whether r is for an enabled endpoint. Disabled endpoints are not
// claimed: the request falls through to the rest of the port, as in the original.
func (h *Handler) Claims(r *http.Request) bool {
	switch r.URL.Path {
	case ChatCompletionsPath:
		return h.o.ChatCompletions
	case ResponsesPath:
		return h.o.Responses
	}
	return false
}

// ServeHTTP serves a claimed request: method, auth, body, then the endpoint.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.Claims(r) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	if !h.authorized(r) {
		writeError(w, http.StatusUnauthorized, errTypeUnauth, "Unauthorized")
		return
	}
	limit := h.o.ChatMaxBodyBytes
	if r.URL.Path == ResponsesPath {
		limit = h.o.ResponsesMaxBodyBytes
	}
	body, status, err := readBody(w, r, limit)
	if err != nil {
		typ := errTypeInvalid
		if status == http.StatusRequestEntityTooLarge {
			typ = errTypeTooLarge
		}
		writeError(w, status, typ, err.Error())
		return
	}
	switch r.URL.Path {
	case ChatCompletionsPath:
		h.chatCompletions(w, r, body)
	case ResponsesPath:
		h.responses(w, r, body)
	}
}

// authorized checks the bearer token against the gateway's secret (auth.CheckBearer).
func (h *Handler) authorized(r *http.Request) bool {
	return auth.CheckBearer(r, h.o.Secrets, h.o.Throttle)
}

// readBody reads at most limit bytes of JSON (see checkJSON). An empty body is {}
// (as the original).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) (json.RawMessage, int, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("payload too large: limit %d bytes", limit)
		}
		return nil, http.StatusBadRequest, fmt.Errorf("reading request body: %w", err)
	}
	trimmed := strings.TrimSpace(string(data))
	if trimmed == "" {
		return json.RawMessage("{}"), 0, nil
	}
	if err := checkJSON([]byte(trimmed)); err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("invalid JSON: %w", err)
	}
	return json.RawMessage(trimmed), 0, nil
}

// apiError is OpenAI's error object.
type apiError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	var e apiError
	e.Error.Message, e.Error.Type = msg, typ
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"message":"encoding the answer failed","type":"api_error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// startError answers a run the runtime refused: bad input is 400, a busy session or
// runtime 503 with Retry-After, anything else 500.
func startError(w http.ResponseWriter, err error) {
	var re *rpc.Error
	if errors.As(err, &re) {
		switch re.Code {
		case string(protocol.ErrorCodeInvalidRequest):
			writeError(w, http.StatusBadRequest, errTypeInvalid, re.Message)
			return
		case string(protocol.ErrorCodeUnavailable):
			if re.RetryAfterMs > 0 {
				w.Header().Set("Retry-After", fmt.Sprint((re.RetryAfterMs+999)/1000))
			}
			writeError(w, http.StatusServiceUnavailable, errTypeUnavailable, re.Message)
			return
		}
	}
	writeError(w, http.StatusInternalServerError, errTypeAPI, err.Error())
}

// agentIDPattern is what the original takes as an agent id from a header or model.
var (
	agentIDPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	modelAgentRef   = regexp.MustCompile(`(?i)^(?:clawdbot[:/]|agent:)([a-z0-9][a-z0-9_-]{0,63})$`)
	agentIDInvalids = regexp.MustCompile(`[^a-z0-9_-]+`)
)

// normalizeAgentID keeps an agent id path-safe as the original does: lower case, runs
// of other characters become "-", at most 64 characters, "main" when nothing is left.
func normalizeAgentID(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" {
		return defaultAgentID
	}
	if agentIDPattern.MatchString(v) {
		return v
	}
	v = strings.Trim(agentIDInvalids.ReplaceAllString(v, "-"), "-")
	if len(v) > maxAgentIDLength {
		v = v[:maxAgentIDLength]
	}
	if v == "" {
		return defaultAgentID
	}
	return v
}

// agentID is the agent a request addresses: the X-Clawdbot-Agent-Id (or
// X-Clawdbot-Agent) header, else a model named "clawdbot:<id>", "clawdbot/<id>" or
// "agent:<id>", else main.
func agentID(r *http.Request, model string) string {
	if v := strings.TrimSpace(r.Header.Get(HeaderAgentID)); v != "" {
		return normalizeAgentID(v)
	}
	if v := strings.TrimSpace(r.Header.Get(HeaderAgent)); v != "" {
		return normalizeAgentID(v)
	}
	if m := modelAgentRef.FindStringSubmatch(strings.TrimSpace(model)); m != nil {
		return normalizeAgentID(m[1])
	}
	return defaultAgentID
}

// sessionKey is the session a request runs in: the X-Clawdbot-Session-Key header as
// given; else agent:<agent>:<prefix>-user:<user> for a request naming a `user` (so one
// caller's requests share a session); else a fresh agent:<agent>:<prefix>:<uuid>.
func sessionKey(r *http.Request, agent, user, prefix string) (string, error) {
	if v := strings.TrimSpace(r.Header.Get(HeaderSessionKey)); v != "" {
		return sessions.Canonical(v)
	}
	if u := strings.TrimSpace(user); u != "" {
		return sessions.Canonical("agent:" + agent + ":" + strings.ToLower(prefix+"-user:"+u))
	}
	return sessions.Canonical(ephemeralPrefix(agent, prefix) + token.UUID())
}

// ephemeralPrefix starts the keys of one-off sessions.
func ephemeralPrefix(agent, prefix string) string { return "agent:" + agent + ":" + prefix + ":" }

// pruneEphemeral deletes the least recently used idle one-off sessions of the agent
// and endpoint beyond MaxEphemeralSessions (their transcripts are archived like any
// deleted session's). A failure only logs: the request's run was started.
func (h *Handler) pruneEphemeral(ctx context.Context, key string) {
	owner, ok := h.o.Runner.(sessionOwner)
	if !ok {
		return
	}
	rest, ok := strings.CutPrefix(key, "agent:")
	if !ok {
		return
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 || (parts[1] != "openai" && parts[1] != "openresponses") {
		return // a user's or a named session
	}
	prefix := ephemeralPrefix(parts[0], parts[1])
	keys, err := owner.Store().OldestBeyond(ctx, prefix, h.o.MaxEphemeralSessions)
	if err != nil {
		h.log.Warn("listing one-off sessions", "prefix", prefix, "err", err)
		return
	}
	for _, k := range keys {
		if owner.Active(k) {
			continue
		}
		if _, _, err := owner.Store().Delete(ctx, k); err != nil {
			h.log.Warn("deleting an old one-off session", "session", k, "err", err)
			return
		}
	}
}

// turn is one started run with its streamed text.
type turn struct {
	run    *agent.Run
	deltas *deltaQueue
}

// start starts the agent turn of a request.
func (h *Handler) start(ctx context.Context, runID, key, message, extra, source string, images ...llm.Part) (*turn, error) {
	if h.o.Runner == nil {
		return nil, &rpc.Error{Code: string(protocol.ErrorCodeUnavailable), Message: "agent runtime unavailable"}
	}
	q := newDeltaQueue()
	run, _, err := h.o.Runner.Start(ctx, agent.Request{
		RunID: runID, SessionKey: key, Message: message, ExtraSystemPrompt: extra, Images: images,
		Timeout: h.o.RunTimeout, Channel: agent.ChannelWebchat, Source: source, OnDelta: q.push,
	})
	if err != nil {
		return nil, err
	}
	h.log.Debug("turn started", "run", runID, "session", key, "source", source)
	h.pruneEphemeral(ctx, key)
	return &turn{run: run, deltas: q}, nil
}

// writeDeadline moves the connection's write deadline to one WriteTimeout from now
// (the real clock: the deadline is the socket's; Options.Now only stamps answers).
func (h *Handler) writeDeadline(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(h.o.WriteTimeout))
}

// waitRun waits for the run to finish, with the connection's write deadline lifted
// meanwhile (nothing is written until the answer). ok is false when the caller left.
func (h *Handler) waitRun(ctx context.Context, w http.ResponseWriter, t *turn) (agent.Outcome, bool) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	select {
	case <-t.run.Done():
		h.writeDeadline(w)
		return t.run.Outcome(), true
	case <-ctx.Done():
		return agent.Outcome{}, false
	}
}

// replyText is the answer text of a finished run as the caller sees it: without reply
// tags, and noResponse for a silent reply (NO_REPLY) or none, as the original's.
func replyText(out agent.Outcome) string {
	text := agent.VisibleReply(out.Text)
	if strings.TrimSpace(text) == "" {
		return noResponse
	}
	return text
}

// runError is the error text of a run that did not end ok ("" when it did).
func runError(out agent.Outcome) string {
	switch out.Status {
	case agent.StatusOK:
		return ""
	case agent.StatusAborted:
		return "run aborted"
	}
	if out.Err != "" {
		return out.Err
	}
	return "agent run failed"
}
