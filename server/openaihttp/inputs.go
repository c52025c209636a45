package openaihttp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clawgate/gateway/server/agent/llm"
	"github.com/clawgate/gateway/server/media"
)

// /v1/responses input_image and input_file parts (gateway.http.endpoints.responses.
// images / files): images go to the model as image parts, text files are given to it as
// <file name="…"> blocks in the turn's extra system prompt, as the original does.

// InputLimits bound one kind of input part.
type InputLimits struct {
	AllowURL     bool     // fetch source.url (default true)
	AllowedMimes []string // accepted media types
	MaxBytes     int64    // decoded size
	MaxChars     int      // files: text kept (the rest is cut)
	MaxRedirects int      // URL sources
	Timeout      time.Duration
}

// The original's defaults.
var (
	DefaultImageMimes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}
	DefaultFileMimes  = []string{"text/plain", "text/markdown", "text/html", "text/csv", "application/json", "application/pdf"}
)

const (
	DefaultInputImageMaxBytes = 10 << 20
	DefaultInputFileMaxBytes  = 5 << 20
	DefaultInputFileMaxChars  = 200_000
	DefaultInputMaxRedirects  = 3
	DefaultInputTimeout       = 10 * time.Second
	// MaxInputParts bounds the image and file parts of one request.
	MaxInputParts = 16
)

// DefaultImageLimits and DefaultFileLimits are the limits without configuration.
func DefaultImageLimits() InputLimits {
	return InputLimits{AllowURL: true, AllowedMimes: DefaultImageMimes, MaxBytes: DefaultInputImageMaxBytes,
		MaxRedirects: DefaultInputMaxRedirects, Timeout: DefaultInputTimeout}
}

func DefaultFileLimits() InputLimits {
	return InputLimits{AllowURL: true, AllowedMimes: DefaultFileMimes, MaxBytes: DefaultInputFileMaxBytes,
		MaxChars: DefaultInputFileMaxChars, MaxRedirects: DefaultInputMaxRedirects, Timeout: DefaultInputTimeout}
}

// inputSource is an input part's source.
type inputSource struct {
	Type      string `json:"type"` // url | base64
	URL       string `json:"url"`
	Data      string `json:"data"`
	MediaType string `json:"media_type"`
	Filename  string `json:"filename"`
}

// attachment is an input_image or input_file part waiting to be read.
type attachment struct {
	kind   string // input_image | input_file
	source inputSource
}

// inputs are a request's resolved attachments.
type inputs struct {
	images []llm.Part
	files  []string // <file> blocks
}

func mediaType(s string) string {
	t, _, err := mime.ParseMediaType(s)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.Split(s, ";")[0]))
	}
	return t
}

// read resolves the attachments with the limits; any failure is the caller's 400.
func readInputs(ctx context.Context, atts []attachment, images, files InputLimits) (inputs, error) {
	var out inputs
	if len(atts) > MaxInputParts {
		return out, badRequest(fmt.Sprintf("too many image and file parts: %d (limit %d)", len(atts), MaxInputParts))
	}
	for _, a := range atts {
		lim := files
		if a.kind == "input_image" {
			lim = images
		}
		data, declared, err := readSource(ctx, a.kind, a.source, lim)
		if err != nil {
			return out, err
		}
		mt := mediaType(declared)
		if a.kind == "input_image" {
			// The bytes decide: a declared image/png that is not a picture is refused.
			mt = mediaType(http.DetectContentType(data))
			if !slices.Contains(lim.AllowedMimes, mt) {
				return out, badRequest("Unsupported image MIME type: " + mt)
			}
			out.images = append(out.images, llm.ImagePart(mt, base64.StdEncoding.EncodeToString(data)))
			continue
		}
		if mt == "" {
			return out, badRequest("input_file missing media type")
		}
		if !slices.Contains(lim.AllowedMimes, mt) {
			return out, badRequest("Unsupported file MIME type: " + mt)
		}
		if mt == "application/pdf" {
			return out, badRequest("input_file: PDF files are not supported by this gateway (send the text)")
		}
		if !utf8.Valid(data) {
			return out, badRequest("input_file: " + mt + " content is not UTF-8 text")
		}
		text := string(data)
		if lim.MaxChars > 0 && utf8.RuneCountInString(text) > lim.MaxChars {
			text = string([]rune(text)[:lim.MaxChars])
		}
		name := a.source.Filename
		if name == "" {
			name = "file"
		}
		if strings.TrimSpace(text) != "" {
			out.files = append(out.files, fmt.Sprintf("<file name=%q>\n%s\n</file>", name, text))
		}
	}
	return out, nil
}

// readSource returns a source's bytes and declared media type.
func readSource(ctx context.Context, kind string, s inputSource, lim InputLimits) ([]byte, string, error) {
	switch s.Type {
	case "base64":
		if s.Data == "" {
			return nil, "", badRequest(kind + " base64 source missing 'data' field")
		}
		if int64(base64.StdEncoding.DecodedLen(len(s.Data))) > lim.MaxBytes+3 {
			return nil, "", badRequest(fmt.Sprintf("%s too large: over %d bytes", kindNoun(kind), lim.MaxBytes))
		}
		data, err := base64.StdEncoding.DecodeString(s.Data)
		if err != nil {
			return nil, "", badRequest(kind + " base64 source: " + err.Error())
		}
		if int64(len(data)) > lim.MaxBytes {
			return nil, "", badRequest(fmt.Sprintf("%s too large: %d bytes (limit: %d bytes)", kindNoun(kind), len(data), lim.MaxBytes))
		}
		return data, s.MediaType, nil
	case "url":
		if s.URL == "" {
			break
		}
		if !lim.AllowURL {
			return nil, "", badRequest(kind + " URL sources are disabled by config")
		}
		hc := media.HTTPClient(lim.Timeout)
		hc.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
			if len(via) > lim.MaxRedirects {
				return fmt.Errorf("more than %d redirects", lim.MaxRedirects)
			}
			return nil
		}
		fctx, cancel := context.WithTimeout(ctx, lim.Timeout)
		defer cancel()
		f, err := media.Fetch(fctx, hc, s.URL, lim.MaxBytes)
		if errors.Is(err, media.ErrTooLarge) {
			return nil, "", badRequest(fmt.Sprintf("%s too large: %v", kindNoun(kind), err))
		}
		if err != nil {
			return nil, "", badRequest(fmt.Sprintf("%s URL source: %v", kind, err))
		}
		return f.Data, f.Declared, nil
	}
	return nil, "", badRequest(kind + " must have 'source.url' or 'source.data'")
}

func kindNoun(kind string) string {
	if kind == "input_image" {
		return "Image"
	}
	return "File"
}

// partSource is the source of an input_image/input_file part (nil when missing).
func partSource(raw json.RawMessage) (inputSource, error) {
	var s inputSource
	if len(raw) == 0 || string(raw) == "null" {
		return s, errors.New("missing source")
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("source: %v", err)
	}
	if s.Type != "url" && s.Type != "base64" {
		return s, fmt.Errorf("source.type: Invalid discriminator value %q", s.Type)
	}
	return s, nil
}
