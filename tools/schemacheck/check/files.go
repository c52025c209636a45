// Package check lints the gateway's JSON Schema files (schema/) and detects
// breaking changes between two versions of them.
package check

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
	"sort"
	"strconv"
	"strings"
)

const (
	// SchemaURI is the only $schema the dialect accepts.
	SchemaURI = "https://json-schema.org/draft/2020-12/schema"
	// IDBase prefixes every file's $id; the rest is the path relative to schema/.
	IDBase = "https://schema.clawgate.dev/"
	// ManifestFile is the index of methods and events.
	ManifestFile = "manifest.json"
	// ManifestSchemaFile describes manifest.json; it is not a protocol schema.
	ManifestSchemaFile = "manifest.schema.json"
)

// Files maps a slash-separated path relative to the schema directory to the
// file's contents. Only .json files matter.
type Files map[string][]byte

// LoadDir reads every .json file under dir.
func LoadDir(dir string) (Files, error) {
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

// schemaSet is a parsed schema directory.
type schemaSet struct {
	docs  map[string]any   // parsed files
	errs  map[string]error // files that are not well-formed JSON
	paths []string         // every .json path, sorted
}

func parseSet(files Files) *schemaSet {
	s := &schemaSet{docs: map[string]any{}, errs: map[string]error{}}
	for p, data := range files {
		if !strings.HasSuffix(p, ".json") {
			continue
		}
		s.paths = append(s.paths, p)
		v, err := parseJSON(data)
		if err != nil {
			s.errs[p] = err
			continue
		}
		s.docs[p] = v
	}
	sort.Strings(s.paths)
	return s
}

// parseJSON decodes one JSON value (numbers kept as json.Number) and rejects
// trailing data and duplicate object keys.
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

// findDuplicateKey walks the token stream of a well-formed document and
// reports the first object holding the same key twice.
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

// escape encodes one JSON pointer reference token.
func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

func unescape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

func showPtr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// splitPtr splits a JSON pointer ("" is the root) into unescaped tokens.
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

// lookup follows a JSON pointer inside v.
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

// refTarget turns a $ref written in file into a file and pointer inside the
// set, without checking that they exist.
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

// resolve follows one $ref from file and returns the target node.
func (s *schemaSet) resolve(file, ref string) (target, ptr string, node any, err error) {
	target, ptr, err = refTarget(file, ref)
	if err != nil {
		return "", "", nil, err
	}
	doc, ok := s.docs[target]
	if !ok {
		if _, bad := s.errs[target]; bad {
			return "", "", nil, fmt.Errorf("$ref %q: %s is not well-formed JSON", ref, target)
		}
		return "", "", nil, fmt.Errorf("$ref %q: file %s does not exist", ref, target)
	}
	node, ok = lookup(doc, ptr)
	if !ok {
		return "", "", nil, fmt.Errorf("$ref %q: %s has nothing at %s", ref, target, showPtr(ptr))
	}
	return target, ptr, node, nil
}

// deref follows a chain of $ref-only nodes (type aliases) to the schema
// they name.
func (s *schemaSet) deref(file, ptr string, node any) (string, string, map[string]any, error) {
	for range 32 {
		m, ok := node.(map[string]any)
		if !ok {
			return "", "", nil, fmt.Errorf("%s#%s is not a schema", file, ptr)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return file, ptr, m, nil
		}
		var err error
		file, ptr, node, err = s.resolve(file, ref)
		if err != nil {
			return "", "", nil, err
		}
	}
	return "", "", nil, fmt.Errorf("%s#%s: $ref chain too long", file, ptr)
}

// defsOf returns the $defs object of a file (nil when absent).
func (s *schemaSet) defsOf(file string) map[string]any {
	doc, _ := s.docs[file].(map[string]any)
	defs, _ := doc["$defs"].(map[string]any)
	return defs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// isConfig reports whether file holds a root schema (the config file) rather
// than $defs only.
func isConfig(file string) bool { return strings.HasPrefix(file, "config/") }

// isMeta reports files in the schema directory that are not protocol schemas.
func isMeta(file string) bool { return file == ManifestFile || file == ManifestSchemaFile }

// Pascal turns a wire name into its type-name stem: node.pair.request →
// NodePairRequest, system-presence → SystemPresence.
func Pascal(name string) string {
	var b strings.Builder
	for _, seg := range strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '-' }) {
		b.WriteString(strings.ToUpper(seg[:1]))
		b.WriteString(seg[1:])
	}
	return b.String()
}

func num(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}
