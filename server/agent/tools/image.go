package tools

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/clawgate/gateway/server/media"
)

// DefaultImagePrompt is asked when the call gives no prompt.
const DefaultImagePrompt = "Describe the image."

// Vision asks an image model about one picture (agents.defaults.imageModel; model
// "" = the configured chain) and returns its answer.
type Vision func(ctx context.Context, model, prompt, mimeType string, data []byte) (string, error)

// ImageOptions configure the image tool.
type ImageOptions struct {
	Workspace *Workspace   // paths are read from here (and only here)
	Client    *http.Client // http(s) images; default media.HTTPClient (no link-local / metadata addresses)
	Vision    Vision
	MaxBytes  int64 // default: the workspace's image limit (DefaultMaxImageBytes)
}

var schemeRe = regexp.MustCompile(`(?i)^[a-z][a-z0-9+.-]*:`)

// ImageTool is the image tool: a picture from the workspace, a data: URL or the web,
// sent with a prompt to the image model; the model's answer is the result.
func ImageTool(o ImageOptions) (*Tool, error) {
	if o.Vision == nil || o.Workspace == nil {
		return nil, errors.New("tools: image needs a workspace and an image model")
	}
	if o.Client == nil {
		o.Client = media.HTTPClient(DefaultFetchTimeout)
	}
	return withSchema(&Tool{Name: "image", Label: "Image",
		Description: "Analyze an image with the configured image model (agents.defaults.imageModel). Provide a prompt and image path or URL.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				Prompt     string   `json:"prompt"`
				Image      string   `json:"image"`
				Model      string   `json:"model"`
				MaxBytesMb *float64 `json:"maxBytesMb"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			raw := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(a.Image), "@"))
			if raw == "" {
				return Result{}, errors.New("image required")
			}
			max := o.MaxBytes
			if max <= 0 {
				max = o.Workspace.maxImage()
			}
			if a.MaxBytesMb != nil && *a.MaxBytesMb > 0 {
				if n := int64(*a.MaxBytesMb * (1 << 20)); n < max {
					max = n
				}
			}
			lower := strings.ToLower(raw)
			var data []byte
			var declared, name string
			switch {
			case strings.HasPrefix(lower, "data:"):
				head, b64, ok := strings.Cut(raw[len("data:"):], ",")
				if !ok || !strings.HasSuffix(strings.ToLower(head), ";base64") {
					return Result{}, errors.New("data: URL must be base64")
				}
				d, err := base64.StdEncoding.DecodeString(b64)
				if err != nil {
					return Result{}, fmt.Errorf("data: URL: %w", err)
				}
				data, declared = d, strings.TrimSuffix(head, ";base64")
			case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
				f, err := media.Fetch(ctx, o.Client, raw, max)
				if err != nil {
					return Result{}, fmt.Errorf("image: %w", err)
				}
				data, declared, name = f.Data, f.Declared, f.FileName
			case strings.HasPrefix(lower, "file://"):
				raw = raw[len("file://"):]
				fallthrough
			case !schemeRe.MatchString(raw):
				d, err := o.Workspace.readLimited(raw, max)
				if err != nil {
					return Result{}, err
				}
				data, name = d, raw
			default:
				return TextResult(fmt.Sprintf("Unsupported image reference: %s. Use a file path, a file:// URL, a data: URL, or an http(s) URL.", a.Image),
					map[string]any{"error": "unsupported_image_reference", "image": a.Image}), nil
			}
			if int64(len(data)) > max {
				return Result{}, fmt.Errorf("image is %s, more than the %s limit", formatSize(int64(len(data))), formatSize(max))
			}
			ct := media.DetectType(data[:min(len(data), 512)], declared, name)
			if media.KindOf(ct) != media.Image {
				return Result{}, fmt.Errorf("Unsupported media type: %s", ct)
			}
			prompt := strings.TrimSpace(a.Prompt)
			if prompt == "" {
				prompt = DefaultImagePrompt
			}
			text, err := o.Vision(ctx, strings.TrimSpace(a.Model), prompt, ct, data)
			if err != nil {
				return Result{}, err
			}
			return TextResult(text, map[string]any{"mimeType": ct, "bytes": len(data)}), nil
		}})
}

// readLimited reads a workspace file of at most max bytes.
func (w *Workspace) readLimited(p string, max int64) ([]byte, error) {
	rel, err := w.Rel(p)
	if err != nil {
		return nil, err
	}
	f, err := w.root.Open(rel)
	if err != nil {
		return nil, wrapFSErr(p, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, wrapFSErr(p, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is more than the %s limit", p, formatSize(max))
	}
	return b, nil
}
