package openaihttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/token"
)

// responsesFields are the request fields the original's schema accepts; any other is
// refused (its schema is strict). Those after "user" are accepted and ignored.
var responsesFields = []string{"model", "input", "instructions", "tools", "tool_choice", "stream",
	"max_output_tokens", "max_tool_calls", "user",
	"temperature", "top_p", "metadata", "store", "previous_response_id", "reasoning", "truncation"}

type responsesRequest struct {
	Model        *string           `json:"model"`
	Input        json.RawMessage   `json:"input"`
	Instructions *string           `json:"instructions"`
	Tools        []json.RawMessage `json:"tools"`
	ToolChoice   json.RawMessage   `json:"tool_choice"`
	Stream       *bool             `json:"stream"`
	User         *string           `json:"user"`
}

type inputItem struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	CallID  string          `json:"call_id"`
	Output  *string         `json:"output"`
}

type inputPart struct {
	Type   string          `json:"type"`
	Text   *string         `json:"text"`
	Source json.RawMessage `json:"source"`
}

// badRequest is a request the endpoint refuses with 400 and this message.
type badRequest string

func (b badRequest) Error() string { return string(b) }

// parseResponsesRequest validates a /v1/responses body the way the original's schema
// does for what this gateway serves, and returns the turn's prompt.
func parseResponsesRequest(body json.RawMessage) (responsesRequest, prompt, error) {
	var req responsesRequest
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return req, prompt{}, badRequest("request body must be a JSON object")
	}
	var unknown []string
	for k := range fields {
		if !slices.Contains(responsesFields, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return req, prompt{}, badRequest(fmt.Sprintf("unrecognized key(s) in object: %s", strings.Join(unknown, ", ")))
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return req, prompt{}, badRequest(fmt.Sprintf("invalid request body: %v", err))
	}
	if req.Model == nil {
		return req, prompt{}, badRequest("model: Required")
	}
	if len(req.Input) == 0 || bytes.Equal(req.Input, []byte("null")) {
		return req, prompt{}, badRequest("input: Required")
	}
	if err := checkTools(req); err != nil {
		return req, prompt{}, err
	}
	p, err := responsesPrompt(req.Input)
	if err != nil {
		return req, prompt{}, err
	}
	if req.Instructions != nil && *req.Instructions != "" {
		p.system = strings.Trim(*req.Instructions+"\n\n"+p.system, "\n")
	}
	if p.message == "" {
		return req, prompt{}, badRequest("Missing user message in `input`.")
	}
	return req, p, nil
}

// checkTools refuses client tools: the agent runtime has no way to hand a call back to
// the caller, and pretending the tools exist would have the model call nothing.
// tool_choice "none" switches them off, so such a request is served.
func checkTools(req responsesRequest) error {
	choice := jsonString(req.ToolChoice)
	if choice == "required" && len(req.Tools) == 0 {
		return badRequest("tool_choice=required but no tools were provided")
	}
	if len(req.Tools) > 0 && choice != "none" {
		return badRequest("tools: client tools are not supported by this gateway (send tool_choice \"none\" or leave tools out)")
	}
	return nil
}

// responsesPrompt maps `input` to the turn's prompt (see buildPrompt).
func responsesPrompt(input json.RawMessage) (prompt, error) {
	var s string
	if json.Unmarshal(input, &s) == nil {
		return prompt{message: s}, nil
	}
	var items []inputItem
	if err := json.Unmarshal(input, &items); err != nil {
		return prompt{}, badRequest("input: Expected string or array of items")
	}
	var system []string
	var entries []entry
	var atts []attachment
	for i, it := range items {
		if it.Type == "" && it.Role != "" {
			// OpenAI's easy input message ({role, content}) leaves the type out; the
			// original refuses it, OpenAI and its SDKs send it.
			it.Type = "message"
		}
		switch it.Type {
		case "message":
			text, parts, err := itemText(it.Content)
			if err != nil {
				return prompt{}, badRequest(fmt.Sprintf("input.%d.content: %v", i, err))
			}
			atts = append(atts, parts...)
			text = strings.TrimSpace(text)
			switch it.Role {
			case "system", "developer":
				if text != "" {
					system = append(system, text)
				}
			case "user", "assistant":
				if text != "" {
					sender := map[string]string{"user": "User", "assistant": "Assistant"}[it.Role]
					entries = append(entries, entry{role: it.Role, sender: sender, body: text})
				}
			default:
				return prompt{}, badRequest(fmt.Sprintf("input.%d.role: Invalid enum value %q", i, it.Role))
			}
		case "function_call_output":
			if it.Output == nil || it.CallID == "" {
				return prompt{}, badRequest(fmt.Sprintf("input.%d: function_call_output needs call_id and output", i))
			}
			entries = append(entries, entry{role: "tool", sender: "Tool:" + it.CallID, body: *it.Output})
		case "function_call", "reasoning", "item_reference":
			// Earlier output the caller echoes back: not part of the prompt (as the original).
		default:
			return prompt{}, badRequest(fmt.Sprintf("input.%d.type: Invalid discriminator value %q", i, it.Type))
		}
	}
	p := buildPrompt(system, entries)
	p.attachments = atts
	return p, nil
}

// itemText is the text of a message item's content (a string or text parts) and its
// image and file parts, read later (inputs.go).
func itemText(raw json.RawMessage) (string, []attachment, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil, nil
	}
	var parts []inputPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", nil, fmt.Errorf("expected string or array of content parts")
	}
	var atts []attachment
	var out []string
	for _, p := range parts {
		switch p.Type {
		case "input_text", "output_text":
			if p.Text == nil {
				return "", nil, fmt.Errorf("%s part needs text", p.Type)
			}
			if *p.Text != "" {
				out = append(out, *p.Text)
			}
		case "input_image", "input_file":
			src, err := partSource(p.Source)
			if err != nil {
				return "", nil, fmt.Errorf("%s part: %v", p.Type, err)
			}
			atts = append(atts, attachment{kind: p.Type, source: src})
		default:
			return "", nil, fmt.Errorf("invalid content part type %q", p.Type)
		}
	}
	return strings.Join(out, "\n"), atts, nil
}

// Response resource shapes (OpenResponses).
type responseResource struct {
	ID        string          `json:"id"`
	Object    string          `json:"object"`
	CreatedAt int64           `json:"created_at"`
	Status    string          `json:"status"`
	Model     string          `json:"model"`
	Output    []outputItem    `json:"output"`
	Usage     responsesUsage  `json:"usage"`
	Error     *responsesError `json:"error,omitempty"`
}

type outputItem struct {
	Type    string       `json:"type"`
	ID      string       `json:"id"`
	Role    string       `json:"role"`
	Content []outputPart `json:"content"`
	Status  string       `json:"status,omitempty"`
}

type outputPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type responsesUsage struct {
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	TotalTokens  int64 `json:"total_tokens"`
}

type responsesError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func responsesUsageOf(out agent.Outcome) responsesUsage {
	u := usageOf(out)
	return responsesUsage{u.PromptTokens, u.CompletionTokens, u.TotalTokens}
}

func assistantItem(id, text, status string) outputItem {
	return outputItem{Type: "message", ID: id, Role: "assistant", Content: []outputPart{{Type: "output_text", Text: text}}, Status: status}
}

func (h *Handler) responses(w http.ResponseWriter, r *http.Request, body json.RawMessage) {
	req, p, err := parseResponsesRequest(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, errTypeInvalid, err.Error())
		return
	}
	model := *req.Model
	user := ""
	if req.User != nil {
		user = *req.User
	}
	key, err := sessionKey(r, agentID(r, model), user, "openresponses")
	if err != nil {
		writeError(w, http.StatusBadRequest, errTypeInvalid, "invalid "+HeaderSessionKey+": "+err.Error())
		return
	}
	id := "resp_" + token.UUID()
	itemID := "msg_" + token.UUID()
	in, err := readInputs(r.Context(), p.attachments, h.o.ResponsesImages, h.o.ResponsesFiles)
	if err != nil {
		writeError(w, http.StatusBadRequest, errTypeInvalid, err.Error())
		return
	}
	system := p.system
	if len(in.files) > 0 {
		system = strings.Trim(system+"\n\n"+strings.Join(in.files, "\n\n"), "\n")
	}
	t, err := h.start(r.Context(), id, key, p.message, system, sourceResponses, in.images...)
	if err != nil {
		startError(w, err)
		return
	}
	resource := func(status string, output []outputItem, out agent.Outcome) responseResource {
		if output == nil {
			output = []outputItem{}
		}
		return responseResource{ID: id, Object: "response", CreatedAt: h.o.Now().Unix(), Status: status, Model: model, Output: output, Usage: responsesUsageOf(out)}
	}
	if req.Stream == nil || !*req.Stream {
		out, ok := h.waitRun(r.Context(), w, t)
		if !ok {
			return
		}
		if msg := runError(out); msg != "" {
			res := resource("failed", nil, out)
			res.Error = &responsesError{Code: errTypeAPI, Message: msg}
			writeJSON(w, http.StatusInternalServerError, res)
			return
		}
		writeJSON(w, http.StatusOK, resource("completed", []outputItem{assistantItem(itemID, replyText(out), "completed")}, out))
		return
	}

	sse := newSSE(w, h)
	ev := func(v map[string]any) bool { return sse.event(v["type"].(string), v) }
	initial := resource("in_progress", nil, agent.Outcome{})
	part := outputPart{Type: "output_text", Text: ""}
	if !ev(map[string]any{"type": "response.created", "response": initial}) ||
		!ev(map[string]any{"type": "response.in_progress", "response": initial}) ||
		!ev(map[string]any{"type": "response.output_item.added", "output_index": 0, "item": assistantItem(itemID, "", "in_progress")}) ||
		!ev(map[string]any{"type": "response.content_part.added", "item_id": itemID, "output_index": 0, "content_index": 0, "part": part}) {
		return
	}
	var text strings.Builder
	delta := func(s string) bool {
		if s == "" {
			return true
		}
		text.WriteString(s)
		return ev(map[string]any{"type": "response.output_text.delta", "item_id": itemID, "output_index": 0, "content_index": 0, "delta": s})
	}
	for {
		select {
		case <-t.deltas.signal:
			if !delta(t.deltas.take()) {
				return
			}
			continue
		case <-t.run.Done():
		case <-r.Context().Done():
			return
		}
		break
	}
	if !delta(t.deltas.take()) {
		return
	}
	out := t.run.Outcome()
	if msg := runError(out); msg != "" {
		res := resource("failed", nil, out)
		res.Error = &responsesError{Code: errTypeAPI, Message: msg}
		if ev(map[string]any{"type": "response.failed", "response": res}) {
			sse.done()
		}
		return
	}
	if text.Len() == 0 && !delta(replyText(out)) {
		return
	}
	final := text.String()
	done := assistantItem(itemID, final, "completed")
	if ev(map[string]any{"type": "response.output_text.done", "item_id": itemID, "output_index": 0, "content_index": 0, "text": final}) &&
		ev(map[string]any{"type": "response.content_part.done", "item_id": itemID, "output_index": 0, "content_index": 0, "part": outputPart{Type: "output_text", Text: final}}) &&
		ev(map[string]any{"type": "response.output_item.done", "output_index": 0, "item": done}) &&
		ev(map[string]any{"type": "response.completed", "response": resource("completed", []outputItem{done}, out)}) {
		sse.done()
	}
}
