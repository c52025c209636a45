package config

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestMergePatch: the examples of RFC 7396 appendix A.
func TestMergePatch(t *testing.T) {
	for _, tc := range []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	} {
		var target, patch, want any
		for _, p := range []struct {
			s string
			v *any
		}{{tc.target, &target}, {tc.patch, &patch}, {tc.want, &want}} {
			if err := json.Unmarshal([]byte(p.s), p.v); err != nil {
				t.Fatal(err)
			}
		}
		before, _ := json.Marshal(target)
		if got := MergePatch(target, patch); !reflect.DeepEqual(got, want) {
			t.Errorf("%s + %s = %v, want %s", tc.target, tc.patch, got, tc.want)
		}
		if after, _ := json.Marshal(target); string(after) != string(before) {
			t.Errorf("target modified: %s", after)
		}
	}
}

// TestPatchFile: a patch is merged into the file as written — $include and ${VAR}
// stay references, leading comments stay — and bad patches are clear errors.
func TestPatchFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "clawdbot.json")
	raw := "// mine\n{ gateway: { mode: \"local\", auth: { token: \"${GW_TOKEN}\" } }, agents: { $include: \"./agents.json5\" } }"
	cur := &File{Path: path, Exists: true, Raw: []byte(raw)}
	tree, err := parseJSON5([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	cur.Written = tree
	out, err := PatchFile(cur, []byte(`{ gateway: { port: 18790, mode: null } }`))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"// mine\n", `"${GW_TOKEN}"`, `"$include": "./agents.json5"`, `"port": 18790`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	if strings.Contains(s, `"mode"`) {
		t.Errorf("null did not remove gateway.mode:\n%s", s)
	}
	if _, err := PatchFile(cur, []byte(`[1]`)); !errors.Is(err, ErrPatchNotObject) {
		t.Errorf("array patch: %v", err)
	}
	var pe *ParseError
	if _, err := PatchFile(cur, []byte("{\n a: ,\n}")); !errors.As(err, &pe) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("broken patch: %v", err)
	}
	// A missing file is patched from nothing.
	out, err = PatchFile(&File{Path: path}, []byte(`{ gateway: { mode: "local" } }`))
	if err != nil || !strings.Contains(string(out), `"mode": "local"`) {
		t.Errorf("missing file: %s %v", out, err)
	}
}
