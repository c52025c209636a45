package openaihttp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/token"
)

// chatRequest is the part of a chat completions request the gateway reads; other
// fields (temperature, tools, …) are accepted and ignored, as in the original.
type chatRequest struct {
	Model    json.RawMessage   `json:"model"`
	Stream   json.RawMessage   `json:"stream"`
	Messages []json.RawMessage `json:"messages"`
	User     json.RawMessage   `json:"user"`
}

type chatMessage struct {
	Role    json.RawMessage `json:"role"`
	Content json.RawMessage `json:"content"`
	Name    json.RawMessage `json:"name"`
}

// jsonString is v when it is a JSON string, else "".
func jsonString(v json.RawMessage) string {
	var s string
	if len(v) == 0 || json.Unmarshal(v, &s) != nil {
		return ""
	}
	return s
}

// jsonTruthy is JavaScript's Boolean(v) for a JSON value (the original's `stream`).
func jsonTruthy(v json.RawMessage) bool {
	switch t := strings.TrimSpace(string(v)); t {
	case "", "null", "false", "0", `""`, "-0":
		return false
	default:
		return true
	}
}

// contentText is the text of a message's content: a string, or the text of its text
// and input_text parts joined by newlines.
func contentText(raw json.RawMessage) string {
	if s := jsonString(raw); s != "" {
		return s
	}
	var parts []map[string]json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var out []string
	for _, p := range parts {
		typ, text := jsonString(p["type"]), jsonString(p["text"])
		switch {
		case (typ == "text" || typ == "input_text") && text != "":
			out = append(out, text)
		case jsonString(p["input_text"]) != "":
			out = append(out, jsonString(p["input_text"]))
		}
	}
	return strings.Join(out, "\n")
}

// chatPrompt maps chat messages to the turn's prompt (see buildPrompt): roles other
// than system, developer, user, assistant, tool and function are skipped.
func chatPrompt(msgs []json.RawMessage) prompt {
	var system []string
	var entries []entry
	for _, raw := range msgs {
		var m chatMessage
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		role := strings.TrimSpace(jsonString(m.Role))
		content := strings.TrimSpace(contentText(m.Content))
		if role == "" || content == "" {
			continue
		}
		switch role {
		case "system", "developer":
			system = append(system, content)
			continue
		case "function":
			role = "tool"
		case "user", "assistant", "tool":
		default:
			continue
		}
		sender := map[string]string{"user": "User", "assistant": "Assistant", "tool": "Tool"}[role]
		if name := strings.TrimSpace(jsonString(m.Name)); role == "tool" && name != "" {
			sender = "Tool:" + name
		}
		entries = append(entries, entry{role: role, sender: sender, body: content})
	}
	return buildPrompt(system, entries)
}

// chatCompletion is the non-streaming answer.
type chatCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   chatUsage    `json:"usage"`
}

type chatChoice struct {
	Index        int              `json:"index"`
	Message      *chatOutMessage  `json:"message,omitempty"`
	Delta        *chatDeltaFields `json:"delta,omitempty"`
	FinishReason *string          `json:"finish_reason"`
}

type chatOutMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatDeltaFields struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

type chatUsage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

func usageOf(out agent.Outcome) chatUsage {
	if out.Usage == nil {
		return chatUsage{}
	}
	return chatUsage{out.Usage.PromptTokens, out.Usage.CompletionTokens, out.Usage.TotalTokens}
}

func strp(s string) *string { return &s }

func (h *Handler) chatCompletions(w http.ResponseWriter, r *http.Request, body json.RawMessage) {
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, errTypeInvalid, fmt.Sprintf("invalid request body: %v", err))
		return
	}
	model := jsonString(req.Model)
	if model == "" {
		model = DefaultModel
	}
	p := chatPrompt(req.Messages)
	if p.message == "" {
		writeError(w, http.StatusBadRequest, errTypeInvalid, "Missing user message in `messages`.")
		return
	}
	key, err := sessionKey(r, agentID(r, model), jsonString(req.User), "openai")
	if err != nil {
		writeError(w, http.StatusBadRequest, errTypeInvalid, "invalid "+HeaderSessionKey+": "+err.Error())
		return
	}
	id := "chatcmpl_" + token.UUID()
	t, err := h.start(r.Context(), id, key, p.message, p.system, sourceOpenAI)
	if err != nil {
		startError(w, err)
		return
	}
	if !jsonTruthy(req.Stream) {
		out, ok := h.waitRun(r.Context(), w, t)
		if !ok {
			return
		}
		if msg := runError(out); msg != "" {
			writeError(w, http.StatusInternalServerError, errTypeAPI, msg)
			return
		}
		writeJSON(w, http.StatusOK, chatCompletion{
			ID: id, Object: "chat.completion", Created: h.o.Now().Unix(), Model: model,
			Choices: []chatChoice{{Message: &chatOutMessage{Role: "assistant", Content: replyText(out)}, FinishReason: strp("stop")}},
			Usage:   usageOf(out),
		})
		return
	}
	h.streamChat(w, r, t, id, model)
}

// streamChat writes the turn as chat.completion.chunk events: the assistant role
// first, a chunk per batch of streamed text, the finish reason, then [DONE]. A run
// that streamed nothing sends its whole reply (or its error) as one chunk.
func (h *Handler) streamChat(w http.ResponseWriter, r *http.Request, t *turn, id, model string) {
	sse := newSSE(w, h)
	created := h.o.Now().Unix()
	chunk := func(d *chatDeltaFields, finish *string) bool {
		return sse.data(map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"choices": []chatChoice{{Delta: d, FinishReason: finish}},
		})
	}
	wroteRole, streamed := false, false
	send := func(text string) bool {
		if text == "" {
			return true
		}
		if !wroteRole {
			wroteRole = true
			if !chunk(&chatDeltaFields{Role: "assistant"}, nil) {
				return false
			}
		}
		streamed = true
		return chunk(&chatDeltaFields{Content: text}, nil)
	}
	for {
		select {
		case <-t.deltas.signal:
			if !send(t.deltas.take()) {
				return
			}
			continue
		case <-t.run.Done():
		case <-r.Context().Done():
			return // the caller left; the turn finishes into the session
		}
		break
	}
	if !send(t.deltas.take()) {
		return
	}
	out := t.run.Outcome()
	finish := "stop"
	if msg := runError(out); msg != "" {
		if !send("Error: " + msg) {
			return
		}
	} else if !streamed {
		if !send(replyText(out)) {
			return
		}
	}
	if out.FinishReason == "length" {
		finish = "length"
	}
	if chunk(&chatDeltaFields{}, &finish) {
		sse.done()
	}
}
