package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	// SchemaURI is the only $schema the dialect accepts.
	SchemaURI = "https://json-schema.org/draft/2020-12/schema"
	// IDBase prefixes every schema file's $id; the rest is the path relative to schema/.
	IDBase = "https://schema.clawgate.dev/"
	// ManifestFile is the index of methods and events.
	ManifestFile = "manifest.json"
	// ManifestSchemaFile describes manifest.json; it is not a protocol schema.
	ManifestSchemaFile = "manifest.schema.json"
	// ConfigFile is the config schema's path under schema/.
	ConfigFile = "config/clawdbot.json"
	// UIHintsFile holds the config form's labels, groups and placeholders
	// (config.schema uiHints); it is not a schema. Its paths are checked against
	// ConfigFile.
	UIHintsFile = "config/uihints.json"
)

// Files maps a slash-separated path relative to the schema directory to the file's
// contents. Only .json files matter.
type Files map[string][]byte

// ReadDir reads every .json file under dir.
func ReadDir(dir string) (Files, error) {
	files := Files{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// parseJSON decodes one JSON value (numbers kept as json.Number) and rejects trailing
// data and duplicate object keys, so what a reader sees is what every JSON parser sees.
func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid JSON at line %d: %v", lineOf(data, se.Offset), err)
		}
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the top-level value")
	}
	if ptr, key, ok := findDuplicateKey(data); ok {
		return nil, fmt.Errorf("invalid JSON: duplicate key %q in the object at %s", key, showPtr(ptr))
	}
	return v, nil
}

func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// findDuplicateKey walks the token stream of a well-formed document and reports the
// first object holding the same key twice.
func findDuplicateKey(data []byte) (ptr, key string, found bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func(p string) bool
	walk = func(p string) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return false
		}
		switch d {
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return false
				}
				k, _ := kt.(string)
				if seen[k] {
					ptr, key, found = p, k, true
					return true
				}
				seen[k] = true
				if walk(p + "/" + escape(k)) {
					return true
				}
			}
		case '[':
			for i := 0; dec.More(); i++ {
				if walk(p + "/" + strconv.Itoa(i)) {
					return true
				}
			}
		}
		_, _ = dec.Token() // closing delimiter
		return false
	}
	walk("")
	return
}

// escape encodes one JSON Pointer reference token.
func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

func unescape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

// splitPtr splits a JSON Pointer ("" is the root) into unescaped tokens.
func splitPtr(ptr string) []string {
	if ptr == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, p := range parts {
		parts[i] = unescape(p)
	}
	return parts
}

// lookup follows a JSON Pointer inside v.
func lookup(v any, ptr string) (any, bool) {
	if ptr != "" && !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	for _, tok := range splitPtr(ptr) {
		switch c := v.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) || strconv.Itoa(i) != tok {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// refTarget turns a $ref written in file into a file and a pointer inside the
// directory, without checking that they exist.
func refTarget(file, ref string) (target, ptr string, err error) {
	rel, frag, _ := strings.Cut(ref, "#")
	if strings.Contains(rel, ":") || strings.HasPrefix(rel, "/") {
		return "", "", fmt.Errorf("$ref %q must be a relative reference", ref)
	}
	if frag != "" && !strings.HasPrefix(frag, "/") {
		return "", "", fmt.Errorf("$ref %q: the fragment must be a JSON pointer", ref)
	}
	target = file
	if rel != "" {
		target = path.Clean(path.Join(path.Dir(file), rel))
		if target == ".." || strings.HasPrefix(target, "../") {
			return "", "", fmt.Errorf("$ref %q points outside the schema directory", ref)
		}
	}
	return target, frag, nil
}

// SchemaPointer reports whether ptr names a schema position in file: a $defs entry (or
// the root of the config file) followed by properties/<name>, items,
// additionalProperties, anyOf/<i> or oneOf/<i>.
func SchemaPointer(file, ptr string) bool {
	toks := splitPtr(ptr)
	switch {
	case len(toks) >= 2 && toks[0] == "$defs":
		toks = toks[2:]
	case IsConfig(file):
	default:
		return false
	}
	for len(toks) > 0 {
		switch toks[0] {
		case "items", "additionalProperties":
			toks = toks[1:]
		case "properties", "anyOf", "oneOf", "$defs":
			if len(toks) < 2 {
				return false
			}
			toks = toks[2:]
		default:
			return false
		}
	}
	return true
}

// IsConfig reports whether file holds a root schema (the config file) rather than
// $defs only.
func IsConfig(file string) bool { return strings.HasPrefix(file, "config/") }

// IsMeta reports files in the schema directory that are not protocol schemas.
func IsMeta(file string) bool {
	return file == ManifestFile || file == ManifestSchemaFile || file == UIHintsFile
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func num(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}
