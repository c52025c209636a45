package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"
)

// The gateway tool's restart delay: the original's default and ceiling (a negative
// delay is 0).
const (
	GatewayRestartDefaultDelay = 2 * time.Second
	GatewayRestartMaxDelay     = 60 * time.Second
	// gatewayReasonMax bounds restart's reason, as the original does.
	gatewayReasonMax = 200
)

// ErrGatewayRestartDisabled is restart's refusal while commands.restart is not true,
// worded as the original's.
var ErrGatewayRestartDisabled = errors.New("Gateway restart is disabled. Set commands.restart=true to enable.") //nolint:staticcheck // the original's text

// GatewayRestart is one restart the gateway tool asks for.
type GatewayRestart struct {
	Delay      time.Duration // wait before restarting
	Reason     string        // why ("" = none)
	SessionKey string        // the session told once the gateway is back ("" = none)
	Note       string        // the notice's text (the note, else the reason)
}

// GatewayBackend is the running gateway as the gateway tool sees it. The tool runs in
// the gateway's own process, so instead of dialling its WebSocket (the original's
// gatewayUrl/gatewayToken) it calls the methods' handlers directly.
type GatewayBackend interface {
	// Call runs the wire method (config.get, config.schema, config.apply,
	// config.patch, update.run) with params (its JSON params object) through the same
	// handler the wire uses, and returns its result as JSON.
	Call(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error)
	// Restart schedules an in-process restart (what SIGUSR1 and /restart do) and
	// queues the restart notice.
	Restart(ctx context.Context, r GatewayRestart) error
}

// GatewayOptions configure the gateway tool of one run.
type GatewayOptions struct {
	Backend GatewayBackend
	// RestartEnabled is commands.restart (absent = false, as the original): without it
	// the restart action is refused.
	RestartEnabled bool
	// SessionKey is the run's session, the default session of the restart notice.
	SessionKey string
}

// GatewayTool is the original's gateway tool: restart the gateway, read and write its
// config (config.get/schema/apply/patch) and run update.run. Results are
// {ok: true, result} around the method's result, and restart's schedule as it is.
func GatewayTool(o GatewayOptions) (*Tool, error) {
	if o.Backend == nil {
		return nil, errors.New("tools: gateway needs the gateway backend")
	}
	return withSchema(&Tool{Name: "gateway", Label: "Gateway",
		Description: "Restart the gateway in place, read or change its config, or run an update. " +
			"Use config.patch for partial config changes (merged into the file); config.apply only to replace the whole config. " +
			"A change that needs it restarts the gateway after writing.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				Action         string   `json:"action"`
				DelayMs        *float64 `json:"delayMs"`
				Reason         string   `json:"reason"`
				TimeoutMs      *float64 `json:"timeoutMs"`
				Raw            *string  `json:"raw"`
				BaseHash       string   `json:"baseHash"`
				SessionKey     string   `json:"sessionKey"`
				Note           string   `json:"note"`
				RestartDelayMs *float64 `json:"restartDelayMs"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			sessionKey := strings.TrimSpace(a.SessionKey)
			if sessionKey == "" {
				sessionKey = strings.TrimSpace(o.SessionKey)
			}
			note := strings.TrimSpace(a.Note)
			call1 := func(method string, params map[string]any) (json.RawMessage, error) {
				b, err := json.Marshal(params)
				if err != nil {
					return nil, err
				}
				return o.Backend.Call(ctx, method, b)
			}
			wrap := func(out json.RawMessage, err error) (Result, error) {
				if err != nil {
					return Result{}, err
				}
				var v any
				if err := json.Unmarshal(out, &v); err != nil {
					return Result{}, fmt.Errorf("gateway: result: %w", err)
				}
				return JSONResult(map[string]any{"ok": true, "result": v}), nil
			}
			switch action := strings.TrimSpace(a.Action); action {
			case "restart":
				if !o.RestartEnabled {
					return Result{}, ErrGatewayRestartDisabled
				}
				delay := GatewayRestartDefaultDelay
				if ms, ok := finite(a.DelayMs); ok {
					delay = time.Duration(math.Floor(ms)) * time.Millisecond
				}
				delay = min(max(delay, 0), GatewayRestartMaxDelay)
				reason := strings.TrimSpace(a.Reason)
				if r := []rune(reason); len(r) > gatewayReasonMax {
					reason = string(r[:gatewayReasonMax])
				}
				msg := note
				if msg == "" {
					msg = reason
				}
				if err := o.Backend.Restart(ctx, GatewayRestart{Delay: delay, Reason: reason, SessionKey: sessionKey, Note: msg}); err != nil {
					return Result{}, err
				}
				out := map[string]any{"ok": true, "pid": os.Getpid(), "signal": "SIGUSR1",
					"delayMs": delay.Milliseconds(), "mode": "emit"}
				if reason != "" {
					out["reason"] = reason
				}
				return JSONResult(out), nil
			case "config.get", "config.schema":
				return wrap(call1(action, map[string]any{}))
			case "config.apply", "config.patch":
				if a.Raw == nil || strings.TrimSpace(*a.Raw) == "" {
					return Result{}, errors.New("raw required")
				}
				baseHash := strings.TrimSpace(a.BaseHash)
				if baseHash == "" {
					// As the original: the hash of the file as it is now.
					snap, err := call1("config.get", map[string]any{})
					if err != nil {
						return Result{}, err
					}
					var s struct {
						Hash *string `json:"hash"`
					}
					if err := json.Unmarshal(snap, &s); err == nil && s.Hash != nil {
						baseHash = *s.Hash
					}
				}
				p := map[string]any{"raw": *a.Raw}
				if baseHash != "" {
					p["baseHash"] = baseHash
				}
				if action == "config.apply" {
					// config.patch writes the file and the reload watcher applies it
					// (hot or with a restart); only config.apply takes the notice.
					addNotice(p, sessionKey, note, a.RestartDelayMs)
				}
				return wrap(call1(action, p))
			case "update.run":
				p := map[string]any{}
				addNotice(p, sessionKey, note, a.RestartDelayMs)
				if ms, ok := finite(a.TimeoutMs); ok {
					p["timeoutMs"] = max(1, int64(math.Floor(ms)))
				}
				return wrap(call1(action, p))
			default:
				return Result{}, fmt.Errorf("Unknown action: %s", action) //nolint:staticcheck // the original's text
			}
		}})
}

// addNotice puts the restart notice's fields into a method's params.
func addNotice(p map[string]any, sessionKey, note string, restartDelayMs *float64) {
	if sessionKey != "" {
		p["sessionKey"] = sessionKey
	}
	if note != "" {
		p["note"] = note
	}
	if ms, ok := finite(restartDelayMs); ok {
		p["restartDelayMs"] = int64(math.Floor(ms))
	}
}

// finite returns *v when it is a finite number.
func finite(v *float64) (float64, bool) {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return 0, false
	}
	return *v, true
}
