package gogen_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgate/gateway/tools/protogen/gogen"
	"github.com/clawgate/gateway/tools/protogen/model"
)

const schemaDir = "../../../schema"

func TestDeterministic(t *testing.T) {
	m1, err := model.Load(schemaDir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := gogen.Generate(m1)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := model.Load(schemaDir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := gogen.Generate(m2)
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	if len(a) != len(b) {
		t.Errorf("%d files, then %d", len(a), len(b))
	}
}

// TestDecodeOnce: each method's params are decoded by one function, which DecodeParams
// and the Mux both call; nothing else decodes params.
func TestDecodeOnce(t *testing.T) {
	m, err := model.Load(schemaDir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := gogen.Generate(m)
	if err != nil {
		t.Fatal(err)
	}
	dispatch, mux := string(files["dispatch_gen.go"]), string(files["mux_gen.go"])
	for _, me := range m.Methods {
		fn := "decode" + me.GoName + "Params(d, v)"
		if n := strings.Count(dispatch, "func decode"+me.GoName+"Params("); n != 1 {
			t.Errorf("%s: %d params decoders in dispatch_gen.go, want 1", me.Name, n)
		}
		if !strings.Contains(dispatch, "return "+fn) && !strings.Contains(dispatch, ":= "+fn) {
			t.Errorf("%s: DecodeParams does not call %s", me.Name, fn)
		}
		if me.Group != "handshake" && !strings.Contains(mux, ":= "+fn) {
			t.Errorf("%s: the Mux does not call %s", me.Name, fn)
		}
	}
	if strings.Contains(mux, "DecodeJSON") {
		t.Error("mux_gen.go decodes params itself")
	}
	for name, b := range files {
		if name != "dispatch_gen.go" && strings.Contains(string(b), "errParams(") && name != "errors_gen.go" {
			t.Errorf("%s reports params errors; only the per-method decoders should", name)
		}
	}
}

// TestNewMethodNeedsHandler shows the schema-first contract: adding a method to the
// schemas makes every handler that does not serve it fail to compile, and writing the
// handler method fixes the build.
func TestNewMethodNeedsHandler(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scratch module")
	}
	scratch := t.TempDir()
	copyDir(t, schemaDir, filepath.Join(scratch, "schema"))
	mod := filepath.Join(scratch, "mod")
	writeFile(t, filepath.Join(mod, "go.mod"), "module github.com/clawgate/gateway\n\ngo 1.26.8\n")
	copyRuntime(t, mod)

	m := generate(t, filepath.Join(scratch, "schema"), mod)
	writeFile(t, filepath.Join(mod, "handler", "h.go"), handlerSource(m, ""))
	if out, err := build(mod); err != nil {
		t.Fatalf("baseline handler does not build: %v\n%s", err, out)
	}

	// A new method in the system group.
	manifestPath := filepath.Join(scratch, "schema", "manifest.json")
	var man map[string]any
	raw, _ := os.ReadFile(manifestPath)
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	man["methods"] = append(man["methods"].([]any), map[string]any{
		"name": "test.echo", "schema": "methods/test.echo.json", "group": "system",
		"protocols": []int{2, 3}, "scope": "read", "advertise": true,
	})
	b, _ := json.MarshalIndent(man, "", "  ")
	writeFile(t, manifestPath, string(b))
	writeFile(t, filepath.Join(scratch, "schema", "methods", "test.echo.json"), `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://schema.clawgate.dev/methods/test.echo.json",
  "title": "test.echo", "description": "Echo for the test.",
  "$defs": {
    "params": {"title": "TestEchoParams", "description": "p", "type": "object", "additionalProperties": false,
      "required": ["text"], "properties": {"text": {"type": "string"}}, "examples": [{"text": "hi"}]},
    "result": {"title": "TestEchoResult", "description": "r", "type": "object", "additionalProperties": false,
      "required": ["text"], "properties": {"text": {"type": "string"}}, "examples": [{"text": "hi"}]}
  }
}`)
	generate(t, filepath.Join(scratch, "schema"), mod)
	out, err := build(mod)
	if err == nil {
		t.Fatal("handler without TestEcho still builds")
	}
	if !strings.Contains(out, "missing method TestEcho") {
		t.Fatalf("build failed, but not for the missing handler method:\n%s", out)
	}
	t.Logf("compile error as expected:\n%s", firstLines(out, 3))

	m = generate(t, filepath.Join(scratch, "schema"), mod)
	writeFile(t, filepath.Join(mod, "handler", "h.go"), handlerSource(m, ""))
	if out, err := build(mod); err != nil {
		t.Fatalf("handler with TestEcho does not build: %v\n%s", err, out)
	}
}

func generate(t *testing.T, schema, mod string) *model.Model {
	t.Helper()
	m, err := model.Load(schema)
	if err != nil {
		t.Fatal(err)
	}
	files, err := gogen.Generate(m)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		writeFile(t, filepath.Join(mod, "gen", "go", "protocol", name), string(b))
	}
	return m
}

// handlerSource writes a handler that serves every dispatched method of m and hands
// it to a Mux, one setter per group.
func handlerSource(m *model.Model, _ string) string {
	var b strings.Builder
	b.WriteString("package handler\n\nimport (\n\t\"context\"\n\t\"errors\"\n\n\t\"github.com/clawgate/gateway/gen/go/protocol\"\n)\n\n")
	b.WriteString("type H struct{}\n\nfunc Mux() *protocol.Mux[int] {\n\tm := protocol.NewMux[int]()\n")
	seen := map[string]bool{}
	for _, me := range m.Methods {
		if me.Group == "handshake" || seen[me.Group] {
			continue
		}
		seen[me.Group] = true
		fmt.Fprintf(&b, "\tm.Set%s(H{})\n", model.GoMethodName(me.Group))
	}
	b.WriteString("\treturn m\n}\n\n")
	for _, me := range m.Methods {
		if me.Group == "handshake" {
			continue
		}
		fmt.Fprintf(&b, "func (H) %s(context.Context, int, *protocol.%s) (*protocol.%s, error) {\n\treturn nil, errors.New(\"x\")\n}\n\n",
			me.GoName, me.Params.Name, me.Result.Name)
	}
	return b.String()
}

func build(dir string) (string, error) {
	cmd := exec.Command("go", "build", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// copyRuntime copies the hand-written runtime the generated code imports into the
// scratch module, at the same import paths.
func copyRuntime(t *testing.T, mod string) {
	t.Helper()
	for _, pkg := range []string{"wire", "rpc"} {
		src := filepath.Join("..", "runtime", pkg)
		ents, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), "_test.go") || !strings.HasSuffix(e.Name(), ".go") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(mod, "tools", "protogen", "runtime", pkg, e.Name()), string(b))
		}
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
