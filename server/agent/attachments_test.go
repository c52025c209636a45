package agent

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/sessions"
)

var tinyPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")

func att(fields map[string]any) json.RawMessage {
	b, _ := json.Marshal(fields)
	return b
}

func TestParseAttachments(t *testing.T) {
	png64 := base64.StdEncoding.EncodeToString(tinyPNG)
	gif64 := base64.StdEncoding.EncodeToString([]byte("GIF89a\x01\x00\x01\x00"))
	many := make([]json.RawMessage, MaxAttachments+1)
	for i := range many {
		many[i] = att(map[string]any{"content": png64})
	}
	for _, tc := range []struct {
		name    string
		in      []json.RawMessage
		wantErr string
		types   []string
	}{
		{name: "png, declared jpeg: sniff wins", in: []json.RawMessage{att(map[string]any{"mimeType": "image/jpeg", "content": png64})}, types: []string{"image/png"}},
		{name: "data URL", in: []json.RawMessage{att(map[string]any{"content": "data:image/gif;base64," + gif64})}, types: []string{"image/gif"}},
		{name: "two", in: []json.RawMessage{att(map[string]any{"content": png64}), att(map[string]any{"content": gif64})}, types: []string{"image/png", "image/gif"}},
		{name: "not an image", in: []json.RawMessage{att(map[string]any{"fileName": "a.pdf", "mimeType": "image/png", "content": base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 x"))})}, wantErr: "attachment a.pdf: only images"},
		{name: "bad base64", in: []json.RawMessage{att(map[string]any{"type": "image", "content": "@@@"})}, wantErr: "attachment image: invalid base64"},
		{name: "empty", in: []json.RawMessage{att(map[string]any{"content": ""})}, wantErr: "attachment attachment-1: exceeds size limit (0"},
		{name: "content not a string", in: []json.RawMessage{att(map[string]any{"fileName": "n", "content": 5})}, wantErr: "attachment n: content must be base64 string"},
		{name: "not an object", in: []json.RawMessage{json.RawMessage(`"x"`)}, wantErr: "attachment 1: must be an object"},
		{name: "too large", in: []json.RawMessage{att(map[string]any{"fileName": "big.png", "content": base64.StdEncoding.EncodeToString(append(tinyPNG, make([]byte, MaxAttachmentBytes)...))})}, wantErr: "attachment big.png: exceeds size limit"},
		{name: "too many", in: many, wantErr: "too many attachments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, err := ParseAttachments(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) != len(tc.types) {
				t.Fatalf("parts %d", len(parts))
			}
			for i, p := range parts {
				if p.Type != llm.PartImage || p.MimeType != tc.types[i] {
					t.Fatalf("part %d: %s %s", i, p.Type, p.MimeType)
				}
			}
		})
	}
}

// TestPromptEntryBounded: a prompt with images is stored with them while the body fits
// the store's bound; beyond it the images become a note in the transcript, and the
// run's own prompt still carries them.
func TestPromptEntryBounded(t *testing.T) {
	st, err := sessions.Open(t.Context(), sessions.Options{Path: filepath.Join(t.TempDir(), "s.db"), MaxBodyBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	small := llm.ImagePart("image/png", base64.StdEncoding.EncodeToString(tinyPNG))
	big := llm.ImagePart("image/png", base64.StdEncoding.EncodeToString(make([]byte, 8000)))
	now := time.UnixMilli(1_700_000_000_000)

	e := promptEntry(st, Request{Message: "look", Images: []llm.Part{small}}, "r1", now)
	var m llm.Message
	if err := json.Unmarshal(e.Body, &m); err != nil || len(m.Content) != 2 || m.Content[1].Type != llm.PartImage || m.Content[1].Data != small.Data || e.Text != "look" {
		t.Fatalf("small image entry: %s %v", e.Body, err)
	}
	e = promptEntry(st, Request{Message: "look", Images: []llm.Part{big}}, "r2", now)
	if len(e.Body) > 4096 || strings.Contains(string(e.Body), big.Data) || !strings.Contains(string(e.Body), "image omitted from the transcript: 8000 bytes") {
		t.Fatalf("big image entry (%d bytes): %.300s", len(e.Body), e.Body)
	}
	if _, _, err := st.Append(t.Context(), "main", e); err != nil {
		t.Fatalf("bounded entry not storable: %v", err)
	}
	if p := promptParts(Request{Message: "look", Images: []llm.Part{big}}); len(p) != 2 || p[1].Data != big.Data {
		t.Fatal("the run's prompt lost its image")
	}
	if e := promptEntry(st, Request{Message: "plain"}, "r3", now); e.Body != nil {
		t.Fatal("a text prompt got a body")
	}
}

func TestHistoryImages(t *testing.T) {
	small := base64.StdEncoding.EncodeToString(tinyPNG)
	large := base64.StdEncoding.EncodeToString(make([]byte, ChatHistoryInlineImageBytes+3))
	body := func(data string) json.RawMessage {
		b, _ := json.Marshal(llm.Message{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart("hi"), llm.ImagePart("image/png", data)}, Timestamp: 1})
		return b
	}
	if got := historyImages(body(small)); string(got) != string(body(small)) {
		t.Fatalf("small image changed: %s", got)
	}
	got := historyImages(body(large))
	var m struct {
		Role    string
		Content []map[string]any
	}
	if err := json.Unmarshal(got, &m); err != nil || len(got) > 1024 || m.Role != "user" || len(m.Content) != 2 {
		t.Fatalf("large image: %.300s %v", got, err)
	}
	if p := m.Content[1]; p["type"] != "image" || p["omitted"] != true || p["mimeType"] != "image/png" || p["bytes"] != float64(ChatHistoryInlineImageBytes+3) {
		t.Fatalf("stub: %v", p)
	}
}
