package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/execapprove"
)

// NodeInfo is one node as node.list reports it.
type NodeInfo struct {
	NodeID      string   `json:"nodeId"`
	DisplayName string   `json:"displayName,omitempty"`
	Platform    string   `json:"platform,omitempty"`
	RemoteIP    string   `json:"remoteIp,omitempty"`
	Caps        []string `json:"caps,omitempty"`
	Commands    []string `json:"commands,omitempty"`
	Paired      bool     `json:"paired,omitempty"`
	Connected   bool     `json:"connected,omitempty"`
}

// InvokeRequest is one node.invoke.
type InvokeRequest struct {
	NodeID         string
	Command        string
	Params         any
	Timeout        time.Duration
	IdempotencyKey string
}

// Nodes is what the nodes, canvas and exec (host=node) tools need from the gateway's
// node registry. Invoke returns the node's payload; the gateway applies its node command
// allowlist there as for any client.
type Nodes interface {
	List(ctx context.Context) ([]NodeInfo, error)
	Describe(ctx context.Context, nodeID string) (json.RawMessage, error)
	PairList(ctx context.Context) (json.RawMessage, error)
	PairApprove(ctx context.Context, requestID string) (json.RawMessage, error)
	PairReject(ctx context.Context, requestID string) (json.RawMessage, error)
	Invoke(ctx context.Context, req InvokeRequest) (json.RawMessage, error)
}

// NodeApprovals is optionally implemented by a Nodes: the node's own exec approvals file
// (exec.approvals.node.get), so its allowlist is honoured before asking a person.
type NodeApprovals interface {
	NodeApprovalsFile(ctx context.Context, nodeID string) (*execapprove.File, error)
}

var nodeKeyRe = regexp.MustCompile(`[^a-z0-9]+`)

func normalizeNodeKey(s string) string {
	return strings.Trim(nodeKeyRe.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

func findNode(nodes []NodeInfo, id string) NodeInfo {
	for _, n := range nodes {
		if n.NodeID == id {
			return n
		}
	}
	return NodeInfo{}
}

func nodeLabel(n NodeInfo) string {
	switch {
	case n.DisplayName != "":
		return n.DisplayName
	case n.RemoteIP != "":
		return n.RemoteIP
	}
	return n.NodeID
}

// ResolveNode picks the node query names (id, IP, display name, or an id prefix of six
// or more characters). With an empty query and allowDefault, the only (connected) node
// with a canvas is picked.
func ResolveNode(nodes []NodeInfo, query string, allowDefault bool) (string, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		if allowDefault {
			var withCanvas, connected []NodeInfo
			for _, n := range nodes {
				if len(n.Caps) == 0 || slices.Contains(n.Caps, "canvas") {
					withCanvas = append(withCanvas, n)
					if n.Connected {
						connected = append(connected, n)
					}
				}
			}
			cands := withCanvas
			if len(connected) > 0 {
				cands = connected
			}
			if len(cands) == 1 {
				return cands[0].NodeID, nil
			}
		}
		return "", errors.New("node required")
	}
	qn := normalizeNodeKey(q)
	var matches []NodeInfo
	for _, n := range nodes {
		if n.NodeID == q || (n.RemoteIP != "" && n.RemoteIP == q) || (n.DisplayName != "" && normalizeNodeKey(n.DisplayName) == qn) ||
			(len(q) >= 6 && strings.HasPrefix(n.NodeID, q)) {
			matches = append(matches, n)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0].NodeID, nil
	case 0:
		var known []string
		for _, n := range nodes {
			known = append(known, nodeLabel(n))
		}
		if len(known) > 0 {
			return "", fmt.Errorf("unknown node: %s (known: %s)", q, strings.Join(known, ", "))
		}
		return "", fmt.Errorf("unknown node: %s", q)
	}
	var names []string
	for _, n := range matches {
		names = append(names, nodeLabel(n))
	}
	return "", fmt.Errorf("ambiguous node: %s (matches: %s)", q, strings.Join(names, ", "))
}

// NodesOptions configure the nodes tool.
type NodesOptions struct {
	Nodes Nodes
	// Gate approves system.run exactly as exec on the gateway; required for run.
	Gate       *execapprove.Gate
	Security   execapprove.Security
	Ask        execapprove.Ask
	AgentID    string
	SessionKey string
	// DefaultTimeout bounds a node call without timeoutMs (default 30 s).
	DefaultTimeout time.Duration
}

type nodesArgs struct {
	Action               string   `json:"action"`
	Node                 string   `json:"node"`
	RequestID            string   `json:"requestId"`
	TimeoutMs            *float64 `json:"timeoutMs"`
	Title                string   `json:"title"`
	Body                 string   `json:"body"`
	Sound                string   `json:"sound"`
	Priority             string   `json:"priority"`
	Delivery             string   `json:"delivery"`
	Facing               string   `json:"facing"`
	MaxWidth             *float64 `json:"maxWidth"`
	Quality              *float64 `json:"quality"`
	DelayMs              *float64 `json:"delayMs"`
	DeviceID             string   `json:"deviceId"`
	Duration             string   `json:"duration"`
	DurationMs           *float64 `json:"durationMs"`
	IncludeAudio         *bool    `json:"includeAudio"`
	FPS                  *float64 `json:"fps"`
	ScreenIndex          *float64 `json:"screenIndex"`
	MaxAgeMs             *float64 `json:"maxAgeMs"`
	LocationTimeoutMs    *float64 `json:"locationTimeoutMs"`
	DesiredAccuracy      string   `json:"desiredAccuracy"`
	Command              []string `json:"command"`
	Cwd                  string   `json:"cwd"`
	Env                  []string `json:"env"`
	CommandTimeoutMs     *float64 `json:"commandTimeoutMs"`
	InvokeTimeoutMs      *float64 `json:"invokeTimeoutMs"`
	NeedsScreenRecording *bool    `json:"needsScreenRecording"`
}

func msOr(v *float64, d time.Duration) time.Duration {
	if v != nil && *v > 0 {
		return time.Duration(*v) * time.Millisecond
	}
	return d
}

func numOrNil(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// parseDurationMs reads "10s", "1500ms", "2m" or a bare number of milliseconds.
func parseDurationMs(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return n, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return float64(d.Milliseconds()), nil
}

// NodesTool returns the nodes tool.
func NodesTool(o NodesOptions) (*Tool, error) {
	if o.Nodes == nil {
		return nil, errors.New("tools: nodes needs a node registry")
	}
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = 30 * time.Second
	}
	return withSchema(&Tool{Name: "nodes", Label: "Nodes",
		Description: "Discover and control paired nodes (status/describe/pairing/notify/camera/screen/location/run).",
		Timeout:     execapprove.DefaultApprovalTimeout + 10*time.Minute,
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a nodesArgs
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			res, err := o.run(ctx, a)
			if err != nil {
				node := strings.TrimSpace(a.Node)
				if node == "" {
					node = "auto"
				}
				agent := o.AgentID
				if agent == "" {
					agent = "unknown"
				}
				return Result{}, fmt.Errorf("agent=%s node=%s action=%s: %w", agent, node, a.Action, err)
			}
			return res, nil
		}})
}

func (o *NodesOptions) nodeID(ctx context.Context, q string, allowDefault bool) (string, []NodeInfo, error) {
	if strings.TrimSpace(q) == "" && !allowDefault {
		return "", nil, errors.New("node required")
	}
	nodes, err := o.Nodes.List(ctx)
	if err != nil {
		return "", nil, err
	}
	id, err := ResolveNode(nodes, q, allowDefault)
	return id, nodes, err
}

func (o *NodesOptions) invoke(ctx context.Context, a nodesArgs, nodeID, command string, params any) (json.RawMessage, error) {
	t := msOr(a.TimeoutMs, o.DefaultTimeout)
	ictx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	if m, ok := params.(map[string]any); ok {
		dropNils(m)
	}
	return o.Nodes.Invoke(ictx, InvokeRequest{NodeID: nodeID, Command: command, Params: params, Timeout: t, IdempotencyKey: newIdempotencyKey()})
}

func rawJSONResult(raw json.RawMessage) Result {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		v = map[string]any{}
	}
	return JSONResult(v)
}

func (o *NodesOptions) run(ctx context.Context, a nodesArgs) (Result, error) {
	switch a.Action {
	case "status":
		nodes, err := o.Nodes.List(ctx)
		if err != nil {
			return Result{}, err
		}
		if nodes == nil {
			nodes = []NodeInfo{}
		}
		return JSONResult(map[string]any{"nodes": nodes}), nil
	case "describe":
		id, _, err := o.nodeID(ctx, a.Node, false)
		if err != nil {
			return Result{}, err
		}
		raw, err := o.Nodes.Describe(ctx, id)
		if err != nil {
			return Result{}, err
		}
		return rawJSONResult(raw), nil
	case "pending":
		raw, err := o.Nodes.PairList(ctx)
		if err != nil {
			return Result{}, err
		}
		return rawJSONResult(raw), nil
	case "approve", "reject":
		if strings.TrimSpace(a.RequestID) == "" {
			return Result{}, errors.New("requestId required")
		}
		var raw json.RawMessage
		var err error
		if a.Action == "approve" {
			raw, err = o.Nodes.PairApprove(ctx, a.RequestID)
		} else {
			raw, err = o.Nodes.PairReject(ctx, a.RequestID)
		}
		if err != nil {
			return Result{}, err
		}
		return rawJSONResult(raw), nil
	case "notify":
		id, _, err := o.nodeID(ctx, a.Node, false)
		if err != nil {
			return Result{}, err
		}
		title, body := strings.TrimSpace(a.Title), strings.TrimSpace(a.Body)
		if title == "" && body == "" {
			return Result{}, errors.New("title or body required")
		}
		p := map[string]any{}
		for k, v := range map[string]string{"title": title, "body": body, "sound": a.Sound, "priority": a.Priority, "delivery": a.Delivery} {
			if v != "" {
				p[k] = v
			}
		}
		if _, err := o.invoke(ctx, a, id, "system.notify", p); err != nil {
			return Result{}, err
		}
		return JSONResult(map[string]any{"ok": true}), nil
	case "camera_snap":
		id, _, err := o.nodeID(ctx, a.Node, false)
		if err != nil {
			return Result{}, err
		}
		facing := strings.ToLower(a.Facing)
		var facings []string
		switch facing {
		case "", "both":
			facings = []string{"front", "back"}
		case "front", "back":
			facings = []string{facing}
		default:
			return Result{}, errors.New("invalid facing (front|back|both)")
		}
		var content []llm.Part
		var details []map[string]any
		for _, f := range facings {
			p := map[string]any{"facing": f, "format": "jpg", "maxWidth": numOrNil(a.MaxWidth), "quality": numOrNil(a.Quality), "delayMs": numOrNil(a.DelayMs)}
			if a.DeviceID != "" {
				p["deviceId"] = a.DeviceID
			}
			raw, err := o.invoke(ctx, a, id, "camera.snap", p)
			if err != nil {
				return Result{}, err
			}
			var snap struct {
				Format string   `json:"format"`
				Base64 string   `json:"base64"`
				Width  *float64 `json:"width"`
				Height *float64 `json:"height"`
			}
			if json.Unmarshal(raw, &snap) != nil || snap.Format == "" || snap.Base64 == "" || snap.Width == nil || snap.Height == nil {
				return Result{}, errors.New("invalid camera.snap payload")
			}
			mime := ""
			switch strings.ToLower(snap.Format) {
			case "jpg", "jpeg":
				mime = "image/jpeg"
			case "png":
				mime = "image/png"
			default:
				return Result{}, fmt.Errorf("unsupported camera.snap format: %s", snap.Format)
			}
			content = append(content, llm.TextPart(fmt.Sprintf("camera %s (%vx%v)", f, *snap.Width, *snap.Height)), llm.ImagePart(mime, snap.Base64))
			details = append(details, map[string]any{"facing": f, "width": *snap.Width, "height": *snap.Height})
		}
		return Result{Content: content, Details: details}, nil
	case "camera_list":
		id, _, err := o.nodeID(ctx, a.Node, false)
		if err != nil {
			return Result{}, err
		}
		raw, err := o.invoke(ctx, a, id, "camera.list", map[string]any{})
		if err != nil {
			return Result{}, err
		}
		return rawJSONResult(raw), nil
	case "camera_clip", "screen_record":
		id, _, err := o.nodeID(ctx, a.Node, false)
		if err != nil {
			return Result{}, err
		}
		dur := 3000.0
		if a.Action == "screen_record" {
			dur = 10_000
		}
		if a.DurationMs != nil {
			dur = *a.DurationMs
		} else if a.Duration != "" {
			if dur, err = parseDurationMs(a.Duration); err != nil {
				return Result{}, err
			}
		}
		audio := true
		if a.IncludeAudio != nil {
			audio = *a.IncludeAudio
		}
		var cmd string
		var p map[string]any
		if a.Action == "camera_clip" {
			facing := strings.ToLower(a.Facing)
			if facing == "" {
				facing = "front"
			}
			if facing != "front" && facing != "back" {
				return Result{}, errors.New("invalid facing (front|back)")
			}
			cmd, p = "camera.clip", map[string]any{"facing": facing, "durationMs": dur, "includeAudio": audio, "format": "mp4"}
			if a.DeviceID != "" {
				p["deviceId"] = a.DeviceID
			}
		} else {
			fps, screen := 10.0, 0.0
			if a.FPS != nil {
				fps = *a.FPS
			}
			if a.ScreenIndex != nil {
				screen = *a.ScreenIndex
			}
			cmd, p = "screen.record", map[string]any{"durationMs": dur, "screenIndex": screen, "fps": fps, "format": "mp4", "includeAudio": audio}
		}
		raw, err := o.invoke(ctx, a, id, cmd, p)
		if err != nil {
			return Result{}, err
		}
		// The clip stays with the node's payload; only its metadata goes to the model.
		var meta map[string]any
		_ = json.Unmarshal(raw, &meta)
		delete(meta, "base64")
		return JSONResult(meta), nil
	case "location_get":
		id, _, err := o.nodeID(ctx, a.Node, false)
		if err != nil {
			return Result{}, err
		}
		p := map[string]any{"maxAgeMs": numOrNil(a.MaxAgeMs), "timeoutMs": numOrNil(a.LocationTimeoutMs)}
		switch a.DesiredAccuracy {
		case "coarse", "balanced", "precise":
			p["desiredAccuracy"] = a.DesiredAccuracy
		}
		raw, err := o.invoke(ctx, a, id, "location.get", p)
		if err != nil {
			return Result{}, err
		}
		return rawJSONResult(raw), nil
	case "run":
		return o.runCommand(ctx, a)
	}
	return Result{}, fmt.Errorf("Unknown action: %s", a.Action)
}

// runCommand is system.run on a node, after the exec approvals gate.
func (o *NodesOptions) runCommand(ctx context.Context, a nodesArgs) (Result, error) {
	if strings.TrimSpace(a.Node) == "" {
		return Result{}, errors.New("node required")
	}
	nodes, err := o.Nodes.List(ctx)
	if err != nil {
		return Result{}, err
	}
	if len(nodes) == 0 {
		return Result{}, errors.New("system.run requires a paired companion app or node host (no nodes available).")
	}
	id, err := ResolveNode(nodes, a.Node, false)
	if err != nil {
		return Result{}, err
	}
	if !slices.Contains(findNode(nodes, id).Commands, "system.run") {
		return Result{}, errors.New("system.run requires a companion app or node host; the selected node does not support system.run.")
	}
	if len(a.Command) == 0 {
		return Result{}, errors.New("command required (argv array, e.g. ['echo', 'Hello'])")
	}
	env := map[string]string{}
	for _, kv := range a.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return Result{}, fmt.Errorf("invalid env pair %q (want KEY=VALUE)", kv)
		}
		env[strings.TrimSpace(k)] = v
	}
	if o.Gate == nil {
		return Result{}, errors.New("exec denied: no exec approvals gate is configured")
	}
	allow := []execapprove.AllowlistEntry{}
	if na, ok := o.Nodes.(NodeApprovals); ok {
		if f, err := na.NodeApprovalsFile(ctx, id); err == nil && f != nil {
			allow = execapprove.Resolve(*f, o.AgentID, execapprove.Overrides{Security: execapprove.SecurityAllowlist}).Allowlist
		}
	}
	ap, err := o.Gate.Check(ctx, execapprove.Request{Argv: a.Command, Cwd: a.Cwd, Host: execapprove.HostNode, NodeID: id,
		AgentID: o.AgentID, SessionKey: o.SessionKey, Security: o.Security, Ask: o.Ask, Allowlist: allow, SafeBins: []string{}})
	if err != nil {
		return Result{}, err
	}
	p := map[string]any{"command": a.Command, "agentId": o.AgentID, "sessionKey": o.SessionKey, "approved": ap.Asked && ap.Decision != ""}
	if a.Cwd != "" {
		p["cwd"] = a.Cwd
	}
	if len(env) > 0 {
		p["env"] = env
	}
	if a.CommandTimeoutMs != nil {
		p["timeoutMs"] = *a.CommandTimeoutMs
	}
	if a.NeedsScreenRecording != nil {
		p["needsScreenRecording"] = *a.NeedsScreenRecording
	}
	if ap.Decision == execapprove.AllowOnce || ap.Decision == execapprove.AllowAlways {
		p["approvalDecision"] = string(ap.Decision)
	}
	t := msOr(a.InvokeTimeoutMs, msOr(a.TimeoutMs, o.DefaultTimeout))
	ictx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	raw, err := o.Nodes.Invoke(ictx, InvokeRequest{NodeID: id, Command: "system.run", Params: p, Timeout: t, IdempotencyKey: newIdempotencyKey()})
	if err != nil {
		return Result{}, err
	}
	return rawJSONResult(raw), nil
}

// CanvasTool returns the canvas tool (node canvases through node.invoke).
func CanvasTool(n Nodes) (*Tool, error) {
	if n == nil {
		return nil, errors.New("tools: canvas needs a node registry")
	}
	o := &NodesOptions{Nodes: n, DefaultTimeout: 30 * time.Second}
	return withSchema(&Tool{Name: "canvas", Label: "Canvas",
		Description: "Control node canvases (present/hide/navigate/eval/snapshot/A2UI). Use snapshot to capture the rendered UI.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				nodesArgs
				Target       string   `json:"target"`
				X            *float64 `json:"x"`
				Y            *float64 `json:"y"`
				Width        *float64 `json:"width"`
				Height       *float64 `json:"height"`
				URL          string   `json:"url"`
				JavaScript   string   `json:"javaScript"`
				OutputFormat string   `json:"outputFormat"`
				JSONL        string   `json:"jsonl"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			id, _, err := o.nodeID(ctx, a.Node, true)
			if err != nil {
				return Result{}, err
			}
			inv := func(cmd string, p any) (json.RawMessage, error) { return o.invoke(ctx, a.nodesArgs, id, cmd, p) }
			ok := JSONResult(map[string]any{"ok": true})
			switch a.Action {
			case "present":
				p := map[string]any{}
				if t := strings.TrimSpace(a.Target); t != "" {
					p["url"] = t
				}
				if a.X != nil || a.Y != nil || a.Width != nil || a.Height != nil {
					p["placement"] = map[string]any{"x": numOrNil(a.X), "y": numOrNil(a.Y), "width": numOrNil(a.Width), "height": numOrNil(a.Height)}
				}
				_, err = inv("canvas.present", p)
				return ok, err
			case "hide":
				_, err = inv("canvas.hide", nil)
				return ok, err
			case "navigate":
				if strings.TrimSpace(a.URL) == "" {
					return Result{}, errors.New("url required")
				}
				_, err = inv("canvas.navigate", map[string]any{"url": a.URL})
				return ok, err
			case "eval":
				if strings.TrimSpace(a.JavaScript) == "" {
					return Result{}, errors.New("javaScript required")
				}
				raw, err := inv("canvas.eval", map[string]any{"javaScript": a.JavaScript})
				if err != nil {
					return Result{}, err
				}
				var r struct {
					Result string `json:"result"`
				}
				if json.Unmarshal(raw, &r) == nil && r.Result != "" {
					return TextResult(r.Result, map[string]any{"result": r.Result}), nil
				}
				return ok, nil
			case "snapshot":
				format := "png"
				if f := strings.ToLower(a.OutputFormat); f == "jpg" || f == "jpeg" {
					format = "jpeg"
				}
				raw, err := inv("canvas.snapshot", map[string]any{"format": format, "maxWidth": numOrNil(a.MaxWidth), "quality": numOrNil(a.Quality)})
				if err != nil {
					return Result{}, err
				}
				var snap struct {
					Format string `json:"format"`
					Base64 string `json:"base64"`
				}
				if json.Unmarshal(raw, &snap) != nil || snap.Format == "" || snap.Base64 == "" {
					return Result{}, errors.New("invalid canvas.snapshot payload")
				}
				mime := "image/png"
				if snap.Format == "jpeg" || snap.Format == "jpg" {
					mime = "image/jpeg"
				}
				return Result{Content: []llm.Part{llm.TextPart("canvas snapshot [" + mime + "]"), llm.ImagePart(mime, snap.Base64)},
					Details: map[string]any{"format": snap.Format}}, nil
			case "a2ui_push":
				if strings.TrimSpace(a.JSONL) == "" {
					return Result{}, errors.New("jsonl required")
				}
				_, err = inv("canvas.a2ui.pushJSONL", map[string]any{"jsonl": a.JSONL})
				return ok, err
			case "a2ui_reset":
				_, err = inv("canvas.a2ui.reset", nil)
				return ok, err
			}
			return Result{}, fmt.Errorf("Unknown action: %s", a.Action)
		}})
}

// dropNils removes absent optional values, which the original leaves out of the JSON.
func dropNils(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			dropNils(x)
		}
	}
}
