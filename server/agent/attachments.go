package agent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/media"
	"github.com/clawgate/gateway/server/sessions"
)

// Limits of chat.send / agent attachments.
const (
	// MaxAttachmentBytes is the largest decoded attachment (the original's 5 000 000
	// bytes). The WebSocket frame limit (gateway.DefaultMaxPayload) is lower, so over
	// the wire the frame bound usually applies first.
	MaxAttachmentBytes = 5_000_000
	// MaxAttachments bounds the attachments of one request (the original has none; a
	// request's frame is bounded anyway, this keeps a run's prompt reasonable).
	MaxAttachments = 16
	// ChatHistoryInlineImageBytes: chat.history returns a stored image inline when its
	// decoded size is at most this; larger ones are returned as an image stub without
	// data ({type:"image", mimeType, omitted:true, bytes}) so one photo cannot crowd the
	// rest of the history out of MaxChatHistoryBytes.
	ChatHistoryInlineImageBytes = 256 << 10
)

// attachment is one chat.send / agent attachment in the original's shape.
type attachment struct {
	Type     string          `json:"type"`
	MimeType string          `json:"mimeType"`
	FileName string          `json:"fileName"`
	Content  json.RawMessage `json:"content"`
}

var dataURL = regexp.MustCompile(`^data:[^;,]+;base64,(.*)$`)

// ParseAttachments turns chat.send / agent attachments into model image parts. Every
// attachment must be base64 (a data: URL is accepted), decode to 1..MaxAttachmentBytes
// bytes and sniff as an image type models take (JPEG, PNG, GIF, WebP); the sniffed type
// wins over the declared one. Anything else is an error naming the attachment, so a
// client never believes the model saw a file it did not (the original drops non-images
// with a log line).
func ParseAttachments(raw []json.RawMessage) ([]llm.Part, error) {
	if len(raw) > MaxAttachments {
		return nil, fmt.Errorf("too many attachments: %d, limit %d", len(raw), MaxAttachments)
	}
	var parts []llm.Part
	for i, r := range raw {
		var a attachment
		if err := json.Unmarshal(r, &a); err != nil {
			return nil, fmt.Errorf("attachment %d: must be an object {type?, mimeType?, fileName?, content}", i+1)
		}
		label := a.FileName
		if label == "" {
			label = a.Type
		}
		if label == "" {
			label = fmt.Sprintf("attachment-%d", i+1)
		}
		var content string
		if len(a.Content) == 0 || json.Unmarshal(a.Content, &content) != nil {
			return nil, fmt.Errorf("attachment %s: content must be base64 string", label)
		}
		b64 := strings.TrimSpace(content)
		if m := dataURL.FindStringSubmatch(b64); m != nil {
			b64 = m[1]
		}
		if len(b64) > base64.StdEncoding.EncodedLen(MaxAttachmentBytes) {
			return nil, fmt.Errorf("attachment %s: exceeds size limit (%d > %d bytes)", label, base64.StdEncoding.DecodedLen(len(b64)), MaxAttachmentBytes)
		}
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("attachment %s: invalid base64 content", label)
		}
		if len(data) == 0 || len(data) > MaxAttachmentBytes {
			return nil, fmt.Errorf("attachment %s: exceeds size limit (%d > %d bytes)", label, len(data), MaxAttachmentBytes)
		}
		ct := media.DetectType(data[:min(len(data), 512)], a.MimeType, a.FileName)
		if !media.ModelImageType(ct) {
			return nil, fmt.Errorf("attachment %s: only images (jpeg, png, gif, webp) are supported; content is %s", label, ct)
		}
		parts = append(parts, llm.ImagePart(ct, base64.StdEncoding.EncodeToString(data)))
	}
	return parts, nil
}

// imageCapable is implemented by models that know whether they take images
// (*llm.Model, *llm.Fallback).
type imageCapable interface{ AcceptsImages() bool }

// CheckImages reports, as an INVALID_REQUEST naming the model, when the model that
// would answer the session (its sessions.patch override, else the agent's primary)
// does not accept images: models.providers.*.models[].input must list "image", as in
// the original's catalog. CLI backends take text only.
func (rt *Runtime) CheckImages(ctx context.Context, sessionKey string) error {
	mc := rt.modelConfig()
	if mc.Engine == nil {
		return protocol.ErrorCodeInvalidRequest.Errorf("model %s does not accept images (a CLI backend takes text only)", cmp(mc.Ref, mc.Model))
	}
	e := mc.Engine
	m, ref := e.Model, e.Primary
	if sessionKey != "" {
		ss, err := rt.opts.Store.Get(ctx, sessionKey)
		switch {
		case err == nil && e.overrideAllowed(ss.Model) && e.ModelFor != nil:
			om, canon, err := e.ModelFor(ss.Model)
			if err != nil {
				return protocol.ErrorCodeInvalidRequest.Errorf("session model %q: %v", ss.Model, err)
			}
			m, ref = om, canon
		case err != nil && !errors.Is(err, sessions.ErrNotFound):
			return err
		}
	}
	if ic, ok := m.(imageCapable); ok && !ic.AcceptsImages() {
		if ref == "" {
			ref = mc.Model
		}
		return protocol.ErrorCodeInvalidRequest.Errorf("model %s does not accept images (add \"image\" to its input in models.providers.*.models, or switch the session to a vision model)", ref)
	}
	return nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	if b != "" {
		return b
	}
	return "(default)"
}

// historyImages bounds the image parts of a chat.history entry (see
// ChatHistoryInlineImageBytes); other entries are returned unchanged.
func historyImages(body json.RawMessage) json.RawMessage {
	if !strings.Contains(string(body), `"image"`) {
		return body
	}
	return rewriteParts(body, func(p map[string]any) (map[string]any, bool) {
		if p["type"] != "image" {
			return p, false
		}
		data, _ := p["data"].(string)
		if n := decodedLen(data); n > ChatHistoryInlineImageBytes {
			return map[string]any{"type": "image", "mimeType": p["mimeType"], "omitted": true, "bytes": n}, true
		}
		return p, false
	})
}

// rewriteParts applies f to each content part of a stored message body
// ({"content": [parts…], …}); the body is re-encoded only when f changed a part, and
// returned as it is when it is not of that shape.
func rewriteParts(body json.RawMessage, f func(part map[string]any) (map[string]any, bool)) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	var content []map[string]any
	if json.Unmarshal(m["content"], &content) != nil {
		return body
	}
	changed := false
	for i, p := range content {
		if np, ok := f(p); ok {
			content[i], changed = np, true
		}
	}
	if !changed {
		return body
	}
	c, err := json.Marshal(content)
	if err != nil {
		return body
	}
	m["content"] = c
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// decodedLen is the exact decoded size of padded base64 text.
func decodedLen(s string) int {
	n := len(s) / 4 * 3
	if strings.HasSuffix(s, "==") {
		n -= 2
	} else if strings.HasSuffix(s, "=") {
		n--
	}
	return max(n, 0)
}
