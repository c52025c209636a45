package tools

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func tinyPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestImageTool: workspace paths (also @path and file://), data: URLs and http(s)
// URLs reach the vision model with their bytes and type; the default prompt and a
// model override pass through; other schemes get an answer naming what works; paths
// outside the workspace, non-images and oversized files are errors.
func TestImageTool(t *testing.T) {
	dir := t.TempDir()
	pic := tinyPNG(t)
	for name, data := range map[string][]byte{"a.png": pic, "notes.txt": []byte("just text here")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := OpenWorkspace(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pic) }))
	defer srv.Close()
	type seen struct{ model, prompt, mime string }
	var got seen
	var gotData []byte
	tool, err := ImageTool(ImageOptions{Workspace: ws, Client: srv.Client(), Vision: func(_ context.Context, model, prompt, mime string, data []byte) (string, error) {
		got, gotData = seen{model, prompt, mime}, data
		return "a tiny black square", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	dataURL := "data:image/png;base64," + base64.StdEncoding.EncodeToString(pic)
	cases := []struct {
		name, args, errSub, text string
		want                     seen
	}{
		{"workspace path", `{"image":"a.png","prompt":"what?"}`, "", "a tiny black square", seen{"", "what?", "image/png"}},
		{"at path and default prompt", `{"image":"@a.png","model":"fake/v2"}`, "", "a tiny black square", seen{"fake/v2", DefaultImagePrompt, "image/png"}},
		{"file url", `{"image":"file://` + filepath.Join(dir, "a.png") + `"}`, "", "a tiny black square", seen{"", DefaultImagePrompt, "image/png"}},
		{"data url", `{"image":"` + dataURL + `"}`, "", "a tiny black square", seen{"", DefaultImagePrompt, "image/png"}},
		{"http url", `{"image":"` + srv.URL + `/x.png"}`, "", "a tiny black square", seen{"", DefaultImagePrompt, "image/png"}},
		{"other scheme", `{"image":"image:0"}`, "", "Unsupported image reference: image:0.", seen{}},
		{"outside", `{"image":"/etc/passwd"}`, "outside the workspace", "", seen{}},
		{"not an image", `{"image":"notes.txt"}`, "Unsupported media type", "", seen{}},
		{"too large", `{"image":"a.png","maxBytesMb":0.00001}`, "limit", "", seen{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, gotData = seen{}, nil
			res, err := tool.Execute(context.Background(), Call{Args: json.RawMessage(c.args)})
			if c.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), c.errSub) || gotData != nil {
					t.Fatalf("err %v (vision called: %v)", err, gotData != nil)
				}
				return
			}
			if err != nil || !strings.HasPrefix(res.Content[0].Text, c.text) || got != c.want {
				t.Fatalf("res %+v err %v seen %+v", res, err, got)
			}
			if c.want.mime != "" && !bytes.Equal(gotData, pic) {
				t.Fatal("the picture's bytes did not reach the model")
			}
		})
	}
}
