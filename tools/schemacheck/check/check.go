// Package check lints the gateway's JSON Schema files (schema/) and detects breaking
// changes between two versions of them. It reads the schemas only through
// tools/protogen/model, the reader the generator uses: lint reports the model's
// problems, and the breaking check compares two models. A schema lints clean exactly
// when the generator accepts it.
package check

import "github.com/clawgate/gateway/tools/protogen/model"

// Files maps a slash-separated path relative to the schema directory to the file's
// contents.
type Files = model.Files

// Problem is one lint finding: a file, a JSON Pointer into it and a message.
type Problem = model.Problem

const (
	// ManifestFile is the index of methods and events.
	ManifestFile = model.ManifestFile
	// ManifestSchemaFile describes manifest.json; it is not a protocol schema.
	ManifestSchemaFile = model.ManifestSchemaFile
)

// LoadDir reads every .json file under dir.
func LoadDir(dir string) (Files, error) { return model.ReadDir(dir) }

// ParseManifest decodes manifest.json strictly (unknown fields are errors).
func ParseManifest(data []byte) (*model.Manifest, error) { return model.ParseManifest(data) }

// Lint checks a schema directory against the dialect, the naming rules and the
// manifest. The result is sorted by file.
func Lint(files Files) []Problem {
	_, problems := model.Read(files)
	return problems
}

// Pascal turns a wire name into its type-name stem: node.pair.request →
// NodePairRequest, system-presence → SystemPresence.
func Pascal(name string) string { return model.GoMethodName(name) }
