package openaihttp_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func tinyPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestResponsesImageAndFileInputs: /v1/responses input_image parts (base64 or URL)
// reach the model as image parts and input_file text as a <file> block of the system
// prompt, within gateway.http.endpoints.responses.images/files; a part outside them is
// refused with 400 before any run starts.
func TestResponsesImageAndFileInputs(t *testing.T) {
	m := newFakeModel(t)
	pic := tinyPNG(t)
	pics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/pic.png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(pic)
		case "/hop":
			http.Redirect(w, r, "/pic.png", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(pics.Close)
	g := startGatewayModels(t, m, `{responses: {enabled: true, images: {maxBytes: 4096, maxRedirects: 0}, files: {maxChars: 12, allowedMimes: ["text/plain", "application/pdf"]}}}`,
		`[{id: "m", name: "M", input: ["text", "image"]}]`)
	b64 := base64.StdEncoding.EncodeToString(pic)
	part := func(kind, source string) string {
		return fmt.Sprintf(`{"type":%q,"source":%s}`, kind, source)
	}
	body := func(parts ...string) []byte {
		return []byte(`{"model":"m","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"look"},` + strings.Join(parts, ",") + `]}]}`)
	}
	ok := func(name string, b []byte, check func(req string)) {
		t.Helper()
		resp := g.post(t, "/v1/responses", testToken, b, nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", name, resp.StatusCode)
		}
		check(string(m.lastBody()))
	}
	ok("base64 image", body(part("input_image", fmt.Sprintf(`{"type":"base64","media_type":"image/png","data":%q}`, b64))), func(req string) {
		if !strings.Contains(req, "data:image/png;base64,"+b64) {
			t.Fatalf("the model request has no image part: %.400s", req)
		}
	})
	ok("image by URL", body(part("input_image", fmt.Sprintf(`{"type":"url","url":%q}`, pics.URL+"/pic.png"))), func(req string) {
		if !strings.Contains(req, "data:image/png;base64,"+b64) {
			t.Fatalf("the fetched image is not in the model request: %.400s", req)
		}
	})
	file := base64.StdEncoding.EncodeToString([]byte("hello file content, long"))
	ok("text file", body(part("input_file", fmt.Sprintf(`{"type":"base64","media_type":"text/plain; charset=utf-8","data":%q,"filename":"notes.txt"}`, file))), func(req string) {
		var r struct {
			Messages []struct {
				Role    string          `json:"role"`
				Content json.RawMessage `json:"content"`
			} `json:"messages"`
		}
		if err := json.Unmarshal([]byte(req), &r); err != nil || len(r.Messages) == 0 || r.Messages[0].Role != "system" {
			t.Fatalf("model request %.300s", req)
		}
		var sys string
		_ = json.Unmarshal(r.Messages[0].Content, &sys)
		if !strings.Contains(sys, "<file name=\"notes.txt\">\nhello file c\n</file>") {
			t.Fatalf("system prompt lacks the file cut at maxChars: %q", sys)
		}
	})

	for _, tc := range []struct{ name, part, want string }{
		{"image over maxBytes", part("input_image", fmt.Sprintf(`{"type":"base64","media_type":"image/png","data":%q}`, base64.StdEncoding.EncodeToString(append(pic, make([]byte, 5000)...)))), "Image too large"},
		{"not an image", part("input_image", fmt.Sprintf(`{"type":"base64","media_type":"image/png","data":%q}`, base64.StdEncoding.EncodeToString([]byte("just text, not a picture")))), "Unsupported image MIME type: text/plain"},
		{"redirect past maxRedirects", part("input_image", fmt.Sprintf(`{"type":"url","url":%q}`, pics.URL+"/hop")), "redirects"},
		{"file type not allowed", part("input_file", fmt.Sprintf(`{"type":"base64","media_type":"text/csv","data":%q}`, file)), "Unsupported file MIME type: text/csv"},
		{"pdf", part("input_file", fmt.Sprintf(`{"type":"base64","media_type":"application/pdf","data":%q}`, file)), "PDF"},
		{"bad base64", part("input_file", `{"type":"base64","media_type":"text/plain","data":"%%%"}`), "base64"},
		{"unknown source type", part("input_image", `{"type":"file","url":"x"}`), "source.type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(m.bodies)
			resp := g.post(t, "/v1/responses", testToken, body(tc.part), nil)
			var e struct {
				Error struct{ Message, Type string } `json:"error"`
			}
			if resp.StatusCode != 400 || json.NewDecoder(resp.Body).Decode(&e) != nil || !strings.Contains(e.Error.Message, tc.want) || e.Error.Type != "invalid_request_error" {
				t.Fatalf("status %d error %+v, want 400 %q", resp.StatusCode, e.Error, tc.want)
			}
			resp.Body.Close()
			m.mu.Lock()
			n := len(m.bodies)
			m.mu.Unlock()
			if n != before {
				t.Fatal("a refused request reached the model")
			}
		})
	}
}
