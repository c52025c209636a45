package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clawgate/gateway/tools/protogen/gogen"
)

// TestLineLength holds the real output to gogen.MaxLine characters per line: the Go and
// Swift files generated from schema/ now, and the ones committed under gen/. (The
// bundled JSON Schema and the embedded config schema are data: their long description
// strings are not lines anyone reads in an editor.)
func TestLineLength(t *testing.T) {
	fresh := t.TempDir()
	if err := run("../../schema", fresh); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{fresh, "../../gen"} {
		n := 0
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".swift")) {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n++
			sc := bufio.NewScanner(bytes.NewReader(b))
			sc.Buffer(nil, 1<<20)
			for line := 1; sc.Scan(); line++ {
				if l := len([]rune(sc.Text())); l > gogen.MaxLine {
					rel, _ := filepath.Rel(root, p)
					t.Errorf("%s:%d: %d characters (max %d)", rel, line, l, gogen.MaxLine)
				}
			}
			return sc.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		if n < 10 {
			t.Fatalf("%s: only %d generated files; is this the output tree?", root, n)
		}
	}
}

// TestHeaderAndLayout: every generated Go file says so on its first line, and the
// protocol package is split by schema file and concern (no file holds everything).
func TestHeaderAndLayout(t *testing.T) {
	out := t.TempDir()
	if err := run("../../schema", out); err != nil {
		t.Fatal(err)
	}
	// The convention of https://go.dev/s/generatedcode (go-jsonschema writes its own
	// wording for gen/go/config).
	header := regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.\n`)
	files, _ := filepath.Glob(filepath.Join(out, "go", "*", "*.go"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if !header.Match(b) {
			t.Errorf("%s does not start with the generated-code header", f)
		}
	}
	for _, want := range []string{"protocol_gen.go", "mux_gen.go", "handlers_gen.go", "dispatch_gen.go", "client_gen.go",
		"manifest_gen.go", "events_gen.go", "errors_gen.go", "validate_gen.go", "defs_types_gen.go", "defs_codec_gen.go",
		"methods_send_types_gen.go", "methods_send_codec_gen.go", "events_tick_types_gen.go", "frames_frame_codec_gen.go"} {
		if _, err := os.Stat(filepath.Join(out, "go", "protocol", want)); err != nil {
			t.Errorf("missing %s: %v", want, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "go", "wire")); err == nil {
		t.Error("gen/go/wire exists: the runtime must be imported, not copied")
	}
}
