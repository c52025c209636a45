// Command protogen generates everything under gen/ from the JSON Schemas in schema/:
//
//	gen/go/protocol   Go types, validating decoders, encoders, manifest tables, handler interfaces,
//	                  the Mux, client calls (layout: see package gogen)
//	gen/go/config     config file types (go-jsonschema, models only)
//	gen/swift         GatewayModels.swift
//	gen/js            protocol.js, the constants the Control UI imports (embedded by package js)
//	gen/schema        protocol.schema.json, every schema bundled into one document
//
// The generated Go code imports the hand-written runtime beside this command,
// tools/protogen/runtime/wire (the JSON scanner and encoder) and
// tools/protogen/runtime/rpc (the wire error, the errors of dispatch, decode helpers),
// the way protobuf's generated code imports its runtime; nothing is copied into gen/.
//
// Output is deterministic: running it twice yields byte-identical files, which is what
// `make -f buf-like.mk check-generated` relies on.
package main

//go:generate go run . -schema ../../schema -out ../../gen

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/atombender/go-jsonschema/pkg/generator"
	"github.com/atombender/go-jsonschema/pkg/schemas"

	"github.com/clawgate/gateway/tools/protogen/bundle"
	"github.com/clawgate/gateway/tools/protogen/gogen"
	"github.com/clawgate/gateway/tools/protogen/jsgen"
	"github.com/clawgate/gateway/tools/protogen/model"
	"github.com/clawgate/gateway/tools/protogen/swiftgen"
)

func main() {
	schemaDir := flag.String("schema", "schema", "schema directory")
	out := flag.String("out", "gen", "output directory")
	flag.Parse()
	if err := run(*schemaDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "protogen:", err)
		os.Exit(1)
	}
}

func run(schemaDir, out string) error {
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
		if h, ok := m.Files[model.UIHintsFile]; ok {
			files["go/config/uihints.json"] = h
			files["go/config/uihints_gen.go"] = []byte("// " + gogen.Header + "\n\npackage config\n\nimport _ \"embed\"\n\n" +
				"// UIHintsJSON is schema/config/uihints.json: the config form's groups, labels, help and placeholders.\n//\n//go:embed uihints.json\nvar UIHintsJSON []byte\n")
		}
	}
	sw, err := swiftgen.Generate(m)
	if err != nil {
		return fmt.Errorf("swift: %w", err)
	}
	files["swift/GatewayModels.swift"] = sw
	js, err := jsgen.Generate(m)
	if err != nil {
		return err
	}
	files["js/protocol.js"] = js
	files["js/js_gen.go"] = []byte("// " + gogen.Header + "\n\n" +
		"// Package js carries the generated browser module protocol.js, which the Control UI serves.\n" +
		"package js\n\nimport _ \"embed\"\n\n" +
		"// ProtocolJS is protocol.js: the protocol's constants as an ES module.\n//\n//go:embed protocol.js\nvar ProtocolJS []byte\n")
	bu, err := bundle.Generate(m)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	files["schema/protocol.schema.json"] = bu
	return writeAll(out, files)
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
	full, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pruned, err := pruneImplemented(full)
	if err != nil {
		return nil, err
	}
	sch, err := schemas.FromJSONReader(bytes.NewReader(pruned))
	if err != nil {
		return nil, err
	}
	if err := g.AddFile(path, sch); err != nil {
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
