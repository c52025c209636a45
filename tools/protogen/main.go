// Command protogen generates everything under gen/ from the JSON Schemas in schema/:
//
//	gen/go/protocol   Go types, validating decoders, encoders, dispatch, handler interfaces, client calls
//	gen/go/wire       the JSON scanner/encoder runtime the generated code uses (copied from tools/protogen/runtime/wire)
//	gen/go/config     config file types (go-jsonschema, models only)
//	gen/swift         GatewayModels.swift
//	gen/schema        protocol.schema.json, every schema bundled into one document
//
// Output is deterministic: running it twice yields byte-identical files, which is what
// `make -f buf-like.mk check-generated` relies on.
package main

//go:generate go run . -schema ../../schema -out ../../gen -runtime runtime/wire

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/atombender/go-jsonschema/pkg/generator"

	"github.com/clawgate/gateway/tools/protogen/bundle"
	"github.com/clawgate/gateway/tools/protogen/gogen"
	"github.com/clawgate/gateway/tools/protogen/model"
	"github.com/clawgate/gateway/tools/protogen/swiftgen"
)

func main() {
	schemaDir := flag.String("schema", "schema", "schema directory")
	out := flag.String("out", "gen", "output directory")
	runtimeDir := flag.String("runtime", "tools/protogen/runtime/wire", "source of the wire runtime package")
	flag.Parse()
	if err := run(*schemaDir, *out, *runtimeDir); err != nil {
		fmt.Fprintln(os.Stderr, "protogen:", err)
		os.Exit(1)
	}
}

func run(schemaDir, out, runtimeDir string) error {
	m, err := model.Load(schemaDir)
	if err != nil {
		return err
	}
	files := map[string][]byte{}
	goFiles, err := gogen.Generate(m)
	if err != nil {
		return err
	}
	for name, b := range goFiles {
		files["go/protocol/"+name] = b
	}
	if err := copyRuntime(runtimeDir, files); err != nil {
		return err
	}
	if m.Config != nil {
		b, err := configTypes(filepath.Join(schemaDir, model.ConfigFile))
		if err != nil {
			return fmt.Errorf("config types: %w", err)
		}
		files["go/config/config_gen.go"] = b
		// The schema itself travels with the types, so the gateway validates a config
		// file against exactly the schema its types came from.
		files["go/config/schema.json"] = m.Files[model.ConfigFile]
		files["go/config/schema_gen.go"] = []byte("// " + gogen.Header + "\n\npackage config\n\nimport _ \"embed\"\n\n" +
			"// SchemaJSON is schema/config/clawdbot.json, the JSON Schema of the config file.\n//\n//go:embed schema.json\nvar SchemaJSON []byte\n")
	}
	sw, err := swiftgen.Generate(m)
	if err != nil {
		return fmt.Errorf("swift: %w", err)
	}
	files["swift/GatewayModels.swift"] = sw
	bu, err := bundle.Generate(m)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	files["schema/protocol.schema.json"] = bu
	return writeAll(out, files)
}

// copyRuntime copies the wire runtime's non-test sources into gen/go/wire, so the
// generated code depends on nothing outside gen/ and the standard library.
func copyRuntime(dir string, files map[string][]byte) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("runtime: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		hdr := "// " + gogen.Header + "\n// Copied from tools/protogen/runtime/wire/" + name + "; edit it there.\n\n"
		files["go/wire/"+strings.TrimSuffix(name, ".go")+"_gen.go"] = append([]byte(hdr), b...)
	}
	return nil
}

func configTypes(path string) ([]byte, error) {
	const pkg = "github.com/clawgate/gateway/gen/go/config"
	g, err := generator.New(generator.Config{
		OnlyModels:          true,
		StructNameFromTitle: true,
		DefaultPackageName:  pkg,
		DefaultOutputName:   "config_gen.go",
		Tags:                []string{"json"},
		Capitalizations:     []string{"ID", "URL", "JSON", "API", "UI", "IP"},
		SchemaMappings: []generator.SchemaMapping{{
			SchemaID: model.IDBase + model.ConfigFile, PackageName: pkg, OutputName: "config_gen.go", RootType: "Config",
		}},
		Warner: func(msg string) { slog.Debug("go-jsonschema", "warning", msg) },
	})
	if err != nil {
		return nil, err
	}
	if err := g.DoFile(path); err != nil {
		return nil, err
	}
	srcs, err := g.Sources()
	if err != nil {
		return nil, err
	}
	var names []string
	for k := range srcs {
		names = append(names, k)
	}
	if len(names) != 1 {
		return nil, fmt.Errorf("expected one config source file, got %v", names)
	}
	return format.Source(srcs[names[0]])
}

// writeAll writes files under out and removes generated files that are no longer produced.
func writeAll(out string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for k := range files {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		p := filepath.Join(out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, files[name]) {
			continue
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return err
		}
	}
	// Remove stale outputs.
	return filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		if _, ok := files[filepath.ToSlash(rel)]; !ok {
			slog.Info("removing stale generated file", "path", p)
			return os.Remove(p)
		}
		return nil
	})
}
