// Package toolshttp is POST /tools/invoke on the gateway's HTTP port: one agent tool
// invoked directly, behind the gateway's shared-secret auth, with the tool set a run of
// the named session gets — the same tool policy (a tool the policy removes is not
// found) and the same exec approvals gate (an exec that needs approval waits for an
// operator, and a denied one never runs).
//
// Request: {"tool": "<name>", "action"?: "<action>", "args"?: {...}, "sessionKey"?:
// "<key>"} with "Authorization: Bearer <token or password>"; optional headers
// x-clawdbot-message-channel and x-clawdbot-account-id. Answers: 200 {"ok": true,
// "result": {"content": [...], "details": ...}}; 404 {"ok": false, "error": {"type":
// "not_found", ...}} for a tool the policy does not offer; 400 {"ok": false, "error":
// {"type": "tool_error", ...}} when the tool fails; 401 without valid auth; 400
// invalid_request_error for a bad body; 405 for other methods.
package toolshttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/sessions"
)

// Path is the endpoint.
const Path = "/tools/invoke"

// Limits.
const (
	// DefaultMaxBodyBytes bounds a request body (the original's 2 MiB).
	DefaultMaxBodyBytes = 2 << 20
	// DefaultTimeout bounds one invocation, including an exec's wait for approval
	// (the approval itself times out as denied first, by its own bound).
	DefaultTimeout = 10 * time.Minute
)

// ToolSets builds the tool set of a session (agent.Runtime.ToolSet).
type ToolSets interface {
	ToolSet(ctx context.Context, callID, sessionKey, channel, accountID string) (*tools.Set, func(), error)
	MainSessionKey() string
}

// Options configure a Handler.
type Options struct {
	// Secrets is the gateway's shared-secret auth; the bearer token is checked as both
	// token and password, as the original does.
	Secrets auth.Secrets
	// Throttle brakes secret guessing (shared with the WebSocket handshake).
	Throttle *auth.Throttle
	// Tools is the agent runtime; nil answers 503.
	Tools        ToolSets
	MaxBodyBytes int64
	Timeout      time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
}

// Handler serves Path.
type Handler struct {
	o   Options
	seq atomic.Int64
}

// New returns a handler with defaults filled in.
func New(o Options) *Handler {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
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
	return &Handler{o: o}
}

// Claims reports whether r is for this endpoint.
func (h *Handler) Claims(r *http.Request) bool { return r.URL.Path == Path }

type body struct {
	Tool       json.RawMessage `json:"tool"`
	Action     json.RawMessage `json:"action"`
	Args       json.RawMessage `json:"args"`
	SessionKey json.RawMessage `json:"sessionKey"`
}

// jsonString is v when it is a JSON string, else "" (the original ignores values of
// other types).
func jsonString(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// ServeHTTP answers one invocation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	if !h.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{"message": "Unauthorized", "type": "unauthorized"}})
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			invalid(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("payload too large: limit %d bytes", h.o.MaxBodyBytes))
			return
		}
		invalid(w, http.StatusBadRequest, "reading request body: "+err.Error())
		return
	}
	var b body
	if s := strings.TrimSpace(string(data)); s != "" && s != "null" {
		if err := json.Unmarshal(data, &b); err != nil {
			invalid(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
			return
		}
	}
	name := jsonString(b.Tool)
	if name == "" {
		invalid(w, http.StatusBadRequest, "tools.invoke requires body.tool")
		return
	}
	if h.o.Tools == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "error": map[string]string{"type": "unavailable", "message": "the agent runtime is not running"}})
		return
	}
	// args: an object, anything else is {} (as the original).
	args := map[string]json.RawMessage{}
	if len(b.Args) > 0 && b.Args[0] == '{' {
		if err := json.Unmarshal(b.Args, &args); err != nil {
			invalid(w, http.StatusBadRequest, "invalid args: "+err.Error())
			return
		}
	}
	key := jsonString(b.SessionKey)
	if key == "" || key == "main" {
		key = h.o.Tools.MainSessionKey()
	} else if key, err = sessions.Canonical(key); err != nil {
		invalid(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.o.Timeout)
	defer cancel()
	callID := "http-" + strconv.FormatInt(h.o.Now().UnixMilli(), 10) + "-" + strconv.FormatInt(h.seq.Add(1), 10)
	set, cleanup, err := h.o.Tools.ToolSet(ctx, callID, key, strings.TrimSpace(r.Header.Get("X-Clawdbot-Message-Channel")),
		strings.TrimSpace(r.Header.Get("X-Clawdbot-Account-Id")))
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "error": map[string]string{"type": "unavailable", "message": err.Error()}})
		return
	}
	defer cleanup()
	t, ok := set.Get(name)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": map[string]string{"type": "not_found", "message": "Tool not available: " + name}})
		return
	}
	if action := jsonString(b.Action); action != "" && args["action"] == nil && schemaHasAction(t.Parameters) {
		args["action"], _ = json.Marshal(action)
	}
	argBytes, _ := json.Marshal(args)
	if err := t.Validate(argBytes); err != nil {
		toolError(w, err.Error())
		return
	}
	if t.Timeout > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, t.Timeout)
		defer c2()
	}
	res, err := t.Execute(ctx, tools.Call{ID: callID, Args: argBytes})
	if err != nil {
		h.o.Logger.Info("tools/invoke: tool failed", "tool", t.Name, "session", key, "err", err)
		toolError(w, err.Error())
		return
	}
	if res.IsError {
		toolError(w, partsText(res.Content))
		return
	}
	content := res.Content
	if content == nil {
		content = []llm.Part{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": map[string]any{"content": content, "details": res.Details}})
}

// schemaHasAction reports whether a tool's parameters schema has an "action" property.
func schemaHasAction(schema json.RawMessage) bool {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	return json.Unmarshal(schema, &s) == nil && s.Properties["action"] != nil
}

func partsText(ps []llm.Part) string {
	var sb strings.Builder
	for _, p := range ps {
		if p.Type == llm.PartText {
			if sb.Len() > 0 {
				sb.WriteByte('\n')
			}
			sb.WriteString(p.Text)
		}
	}
	if sb.Len() == 0 {
		return "tool failed"
	}
	return sb.String()
}

// authorized checks the bearer token against the gateway's secret (auth.CheckBearer).
func (h *Handler) authorized(r *http.Request) bool {
	return auth.CheckBearer(r, h.o.Secrets, h.o.Throttle)
}

func invalid(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"message": msg, "type": "invalid_request_error"}})
}

func toolError(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": map[string]string{"type": "tool_error", "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"ok":false,"error":{"type":"tool_error","message":"encoding the result failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
