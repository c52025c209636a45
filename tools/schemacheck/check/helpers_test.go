package check

import (
	"bytes"
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"testing"
)

// validDir is a small schema directory that lints clean.
const validDir = "../testdata/valid"

func loadValid(t *testing.T) Files {
	t.Helper()
	files, err := LoadDir(validDir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// splitPtr splits a JSON pointer ("" is the root) into unescaped tokens.
func splitPtr(ptr string) []string {
	if ptr == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts
}

// edit changes one file of a schema directory.
type edit func(t *testing.T, f Files)

func decode(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return v
}

// patch applies fn to the parent of the location ptr in file.
func patch(file, ptr string, fn func(t *testing.T, parent any, key string) any) edit {
	return func(t *testing.T, f Files) {
		t.Helper()
		data, ok := f[file]
		if !ok {
			t.Fatalf("no file %s", file)
		}
		doc := decode(t, data)
		toks := splitPtr(ptr)
		var rec func(v any, toks []string) any
		rec = func(v any, toks []string) any {
			if len(toks) == 1 {
				return fn(t, v, toks[0])
			}
			switch c := v.(type) {
			case map[string]any:
				c[toks[0]] = rec(c[toks[0]], toks[1:])
				return c
			case []any:
				i, _ := strconv.Atoi(toks[0])
				c[i] = rec(c[i], toks[1:])
				return c
			}
			t.Fatalf("%s: nothing at %s", file, ptr)
			return nil
		}
		doc = rec(doc, toks)
		out, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		f[file] = out
	}
}

// set puts the JSON value at ptr (an array index equal to the length
// appends).
func set(file, ptr, value string) edit {
	return patch(file, ptr, func(t *testing.T, parent any, key string) any {
		v := decode(t, []byte(value))
		switch c := parent.(type) {
		case map[string]any:
			c[key] = v
			return c
		case []any:
			i, _ := strconv.Atoi(key)
			if i == len(c) {
				return append(c, v)
			}
			c[i] = v
			return c
		}
		t.Fatalf("%s: cannot set %s", file, ptr)
		return nil
	})
}

// del removes the member or array element at ptr.
func del(file, ptr string) edit {
	return patch(file, ptr, func(t *testing.T, parent any, key string) any {
		switch c := parent.(type) {
		case map[string]any:
			if _, ok := c[key]; !ok {
				t.Fatalf("%s: nothing at %s", file, ptr)
			}
			delete(c, key)
			return c
		case []any:
			i, _ := strconv.Atoi(key)
			return append(c[:i:i], c[i+1:]...)
		}
		t.Fatalf("%s: cannot delete %s", file, ptr)
		return nil
	})
}

// raw replaces a whole file; "" removes it.
func raw(file, content string) edit {
	return func(t *testing.T, f Files) {
		if content == "" {
			delete(f, file)
			return
		}
		f[file] = []byte(content)
	}
}

func apply(t *testing.T, base Files, edits ...edit) Files {
	t.Helper()
	f := maps.Clone(base)
	for _, e := range edits {
		e(t, f)
	}
	return f
}
