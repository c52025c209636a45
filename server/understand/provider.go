package understand

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strings"
)

// Endpoint is where a provider's OpenAI-compatible API is and how to authenticate.
type Endpoint struct {
	BaseURL string // e.g. https://api.openai.com/v1
	APIKey  string // sent as a bearer token unless Headers set Authorization
	Headers map[string]string
}

// BuiltinBaseURLs are the OpenAI-compatible endpoints of the providers the gateway
// can reach without models.providers saying where they are.
var BuiltinBaseURLs = map[string]string{
	"openai": "https://api.openai.com/v1",
	"groq":   "https://api.groq.com/openai/v1",
}

// maxErrorChars bounds the server's error text quoted in an attempt's failure.
const maxErrorChars = 300

// errSkip marks an attempt skipped rather than failed (an attachment over maxBytes);
// either way the next entry is tried.
var errSkip = errors.New("skipped")

func (r *Runner) post(ctx context.Context, url string, ep Endpoint, contentType string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range ep.Headers {
		req.Header.Set(k, v)
	}
	if req.Header.Get("Authorization") == "" && ep.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+ep.APIKey)
	}
	client := r.opts.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, CLIOutputMaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > CLIOutputMaxBytes {
		return nil, fmt.Errorf("response over %d bytes", CLIOutputMaxBytes)
	}
	if res.StatusCode/100 != 2 {
		detail := strings.Join(strings.Fields(string(data)), " ")
		if r := []rune(detail); len(r) > maxErrorChars {
			detail = string(r[:maxErrorChars]) + "…"
		}
		if detail != "" {
			detail = ": " + detail
		}
		return nil, fmt.Errorf("HTTP %d%s", res.StatusCode, detail)
	}
	return data, nil
}

// transcribe posts an audio file to <base>/audio/transcriptions (multipart: file,
// model, language, prompt) and returns the "text" of the JSON answer.
func (r *Runner) transcribe(ctx context.Context, ep Endpoint, data []byte, name, mime, model, language, prompt string) (string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	if mime == "" {
		mime = "application/octet-stream"
	}
	h.Set("Content-Type", mime)
	fw, err := w.CreatePart(h)
	if err != nil {
		return "", err
	}
	fw.Write(data)
	_ = w.WriteField("model", model)
	if l := strings.TrimSpace(language); l != "" {
		_ = w.WriteField("language", l)
	}
	if p := strings.TrimSpace(prompt); p != "" {
		_ = w.WriteField("prompt", p)
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	out, err := r.post(ctx, strings.TrimRight(ep.BaseURL, "/")+"/audio/transcriptions", ep, w.FormDataContentType(), buf.Bytes())
	if err != nil {
		return "", fmt.Errorf("audio transcription failed (%w)", err)
	}
	var res struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return "", fmt.Errorf("audio transcription: bad response: %w", err)
	}
	if strings.TrimSpace(res.Text) == "" {
		return "", errors.New("audio transcription response missing text")
	}
	return res.Text, nil
}

// describeImage asks <base>/chat/completions for a description: one user message
// with the prompt and the picture as a data URL.
func (r *Runner) describeImage(ctx context.Context, ep Endpoint, data []byte, mime, model, prompt string) (string, error) {
	if mime == "" {
		mime = "image/jpeg"
	}
	req := map[string]any{
		"model":      model,
		"max_tokens": ImageMaxTokens,
		"messages": []any{map[string]any{
			"role": "user",
			"content": []any{
				map[string]any{"type": "text", "text": prompt},
				map[string]any{"type": "image_url", "image_url": map[string]any{"url": "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(data)}},
			},
		}},
	}
	body, _ := json.Marshal(req)
	out, err := r.post(ctx, strings.TrimRight(ep.BaseURL, "/")+"/chat/completions", ep, "application/json", body)
	if err != nil {
		return "", fmt.Errorf("image description failed (%w)", err)
	}
	var res struct {
		Choices []struct {
			Message struct {
				Content json.RawMessage `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return "", fmt.Errorf("image description: bad response: %w", err)
	}
	if len(res.Choices) == 0 {
		return "", errors.New("image description: no choices")
	}
	text := contentText(res.Choices[0].Message.Content)
	if strings.TrimSpace(text) == "" {
		return "", errors.New("image description: empty response")
	}
	return text, nil
}

// contentText reads a chat message's content: a string, or an array of text parts.
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Text != "" {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// fileName is the name an endpoint sees (it identifies the format by extension).
func fileName(a Attachment) string {
	n := filepath.Base(a.Path)
	if n == "." || n == "/" || n == "" {
		n = "audio"
	}
	return n
}
