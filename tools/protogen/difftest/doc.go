// Package difftest checks the generated validating decoders of gen/go/protocol
// against an independent JSON Schema implementation (kaptinlin/jsonschema, the
// oracle): a deterministic differential test over generated and mutated
// documents, fuzz targets, and benchmarks of the server's hot path.
//
// Everything lives in the package's tests; this file only names the package.
package difftest
