package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func changeLines(r *Report) []string {
	var out []string
	for _, c := range r.Changes {
		out = append(out, c.String())
	}
	return out
}

func TestBreaking(t *testing.T) {
	const (
		params = "methods/thing.do.json#/$defs/params"
		props  = params + "/properties"
	)
	tests := []struct {
		name  string
		old   []edit // applied to the valid fixture for the old side
		edits []edit // applied to the old side for the new side
		// want lists the expected change lines exactly (nil: no change).
		want []string
	}{
		{"no change", nil, nil, nil},
		{"formatting only", nil, []edit{set(thing, "/description", `"Reworded."`)}, nil},

		// Manifest.
		{"method removed", nil, []edit{del(mf, "/methods/1"), raw(ping, "")},
			[]string{`manifest.json: method "system-ping" removed`}},
		{"event removed", nil, []edit{del(mf, "/events/1"), raw(tick, "")},
			[]string{`manifest.json: event "tick" removed`}},
		{"method protocol removed", nil, []edit{set(mf, "/methods/0/protocols", `[3]`)},
			[]string{`manifest.json: method "thing.do": protocol 2 removed`}},
		{"event protocol removed", nil, []edit{set(mf, "/events/0/protocols", `[2]`)},
			[]string{`manifest.json: event "chat": protocol 3 removed`}},
		{"method added", nil, []edit{
			set(mf, "/methods/2", `{"name": "system-pong", "schema": "methods/system-pong.json", "group": "system", "protocols": [3], "scope": "read", "advertise": true}`),
			raw("methods/system-pong.json", `{"$defs": {"params": {"type": "object", "additionalProperties": false}, "result": {"type": "object", "additionalProperties": false}}}`),
		}, nil},
		{"event added", nil, []edit{set(mf, "/events/2", `{"name": "tock", "schema": "events/tock.json", "protocols": [3], "droppable": true}`)}, nil},
		{"protocol added", nil, []edit{set(mf, "/methods/1/protocols", `[2, 3]`)}, nil},
		{"protocol.min raised", nil, []edit{set(mf, "/protocol/min", `3`)},
			[]string{`manifest.json: protocol.min raised from 2 to 3`}},
		{"protocol.max lowered", nil, []edit{set(mf, "/protocol/max", `2`), set(mf, "/methods/1/protocols", `[2]`)},
			[]string{`manifest.json: method "system-ping": protocol 3 removed`, `manifest.json: protocol.max lowered from 3 to 2`}},
		{"protocol 2 params fall back to params", nil, []edit{del(mf, "/methods/0/v2"), del(thing, "/$defs/paramsV2")},
			[]string{params + `/properties/kind: property removed (protocol 2 params of method "thing.do", was methods/thing.do.json#/$defs/paramsV2)`}},
		{"result removed", nil, []edit{del(ping, "/$defs/result")},
			[]string{`methods/system-ping.json#/$defs/result: removed: the result of method "system-ping" was methods/system-ping.json#/$defs/result`}},
		{"method moved to an equal file", nil, []edit{
			set(mf, "/methods/1/schema", `"methods/ping2.json"`), raw("methods/ping2.json", ""),
			func(t *testing.T, f Files) { f["methods/ping2.json"] = f[ping]; delete(f, ping) },
		}, nil},
		{"method moved to a stricter file", nil, []edit{
			set(ping, "/$defs/result/properties/ts/minimum", `1`),
			set(mf, "/methods/1/schema", `"methods/ping2.json"`),
			func(t *testing.T, f Files) { f["methods/ping2.json"] = f[ping]; delete(f, ping) },
		}, []string{`methods/ping2.json#/$defs/result/properties/ts: minimum increased from 0 to 1 (result of method "system-ping", was methods/system-ping.json#/$defs/result)`}},

		// Properties.
		{"property removed", nil, []edit{del(thing, "/$defs/params/properties/code")},
			[]string{props + "/code: property removed"}},
		{"new optional property", nil, []edit{set(thing, "/$defs/params/properties/newp", `{"type": "string"}`)}, nil},
		{"new required property", nil, []edit{
			set(thing, "/$defs/params/properties/newp", `{"type": "string"}`),
			set(thing, "/$defs/params/required/2", `"newp"`),
		}, []string{props + "/newp: new required property"}},
		{"optional made required", nil, []edit{set(thing, "/$defs/params/required/2", `"count"`)},
			[]string{props + "/count: optional property made required"}},
		{"required made optional", nil, []edit{set(thing, "/$defs/params/required", `["idempotencyKey"]`)}, nil},

		// Types.
		{"string to integer", nil, []edit{set(thing, par+"/code", `{"type": "integer"}`)},
			[]string{props + "/code: type changed from string to integer"}},
		{"nullable to non-null", nil, []edit{set(thing, par+"/note/type", `"string"`)},
			[]string{props + "/note: type changed from [string,null] to string"}},
		{"any to string", nil, []edit{set(thing, par+"/extra", `{"type": "string"}`)},
			[]string{props + "/extra: type changed from any to string"}},
		{"string to nullable", nil, []edit{set(thing, par+"/code/type", `["string", "null"]`)}, nil},
		{"integer to number", nil, []edit{set(thing, par+"/count/type", `"number"`)}, nil},
		{"number to integer", nil, []edit{set(defs, "/$defs/Item/properties/score/type", `"integer"`)},
			[]string{"defs.json#/$defs/Item/properties/score: type changed from number to integer"}},
		{"string to any", nil, []edit{set(thing, par+"/code", `{"description": "Anything."}`)}, nil},
		{"nullable ref to plain ref", nil, []edit{set(thing, par+"/item", `{"$ref": "../defs.json#/$defs/Item"}`)},
			[]string{props + "/item: type changed from [object,null] to object"}},
		{"nullable ref while the def narrows", nil, []edit{
			set(thing, par+"/labels", `{"anyOf": [{"$ref": "../defs.json#/$defs/Labels"}, {"type": "null"}]}`),
			set(defs, "/$defs/Labels/additionalProperties/maxLength", `3`),
		}, []string{"defs.json#/$defs/Labels/additionalProperties: maxLength set to 3"}},
		{"plain ref to nullable ref", nil, []edit{set(thing, par+"/labels", `{"anyOf": [{"$ref": "../defs.json#/$defs/Labels"}, {"type": "null"}]}`)}, nil},
		{"nullable type to anyOf", nil, []edit{set(thing, par+"/note", `{"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}]}`)},
			[]string{props + "/note/anyOf/0: minLength set to 1"}},

		// Values and bounds.
		{"enum value removed", nil, []edit{set(thing, par+"/type/enum", `["x"]`)},
			[]string{props + `/type: enum value "y" removed`}},
		{"enum value added", nil, []edit{set(thing, par+"/type/enum", `["x", "y", "z"]`)}, nil},
		{"enum dropped", nil, []edit{del(thing, par+"/type/enum")}, nil},
		{"enum added", nil, []edit{set(thing, par+"/code/enum", `["a"]`)},
			[]string{props + "/code: enum added (a)"}},
		{"const changed", nil, []edit{set(frame, "/$defs/Ping/properties/type/const", `"ping2"`)},
			[]string{`frames/frame.json#/$defs/Ping/properties/type: const changed from "ping" to "ping2"`}},
		{"const added", nil, []edit{set(thing, par+"/code/const", `"a"`)},
			[]string{props + `/code: const "a" added`}},
		{"minLength raised", nil, []edit{set(defs, "/$defs/Name/minLength", `2`)},
			[]string{"defs.json#/$defs/Name: minLength increased from 1 to 2"}},
		{"minLength set", nil, []edit{set(thing, par+"/code/minLength", `3`)},
			[]string{props + "/code: minLength set to 3"}},
		{"minLength 0 set", nil, []edit{set(thing, par+"/code/minLength", `0`)}, nil},
		{"minLength lowered", nil, []edit{set(defs, "/$defs/Name/minLength", `0`)}, nil},
		{"maxLength lowered", nil, []edit{set(defs, "/$defs/Name/maxLength", `32`)},
			[]string{"defs.json#/$defs/Name: maxLength decreased from 64 to 32"}},
		{"maxLength set", nil, []edit{set(thing, par+"/code/maxLength", `10`)},
			[]string{props + "/code: maxLength set to 10"}},
		{"maxLength removed", nil, []edit{del(defs, "/$defs/Name/maxLength")}, nil},
		{"minimum raised", nil, []edit{set(thing, par+"/count/minimum", `1`)},
			[]string{props + "/count: minimum increased from 0 to 1"}},
		{"minimum set", []edit{del(thing, par+"/count/minimum")}, []edit{set(thing, par+"/count/minimum", `-5`)},
			[]string{props + "/count: minimum set to -5"}},
		{"maximum lowered", nil, []edit{set(thing, par+"/count/maximum", `50`)},
			[]string{props + "/count: maximum decreased from 100 to 50"}},
		{"maximum set", nil, []edit{set(ping, "/$defs/result/properties/ts/maximum", `5`)},
			[]string{"methods/system-ping.json#/$defs/result/properties/ts: maximum set to 5"}},
		{"bounds loosened", nil, []edit{set(thing, par+"/count/minimum", `-1`), set(thing, par+"/count/maximum", `1000`)}, nil},
		{"minItems set", nil, []edit{set(defs, "/$defs/Item/properties/tags/minItems", `1`)},
			[]string{"defs.json#/$defs/Item/properties/tags: minItems set to 1"}},
		{"maxItems lowered", nil, []edit{set(defs, "/$defs/Item/properties/tags/maxItems", `5`)},
			[]string{"defs.json#/$defs/Item/properties/tags: maxItems decreased from 10 to 5"}},
		{"items narrowed", nil, []edit{set(defs, "/$defs/Item/properties/tags/items/minLength", `1`)},
			[]string{"defs.json#/$defs/Item/properties/tags/items: minLength set to 1"}},
		{"pattern changed", nil, []edit{set(thing, par+"/code/pattern", `"^[a-z0-9]+$"`)},
			[]string{props + `/code: pattern changed from "^[a-z]+$" to "^[a-z0-9]+$"`}},
		{"pattern added", nil, []edit{set(defs, "/$defs/Name/pattern", `"^[a-z]+$"`)},
			[]string{`defs.json#/$defs/Name: pattern "^[a-z]+$" added`}},
		{"pattern removed", nil, []edit{del(thing, par+"/code/pattern")}, nil},

		// Objects and maps.
		{"map closed", nil, []edit{set(defs, "/$defs/Labels/additionalProperties", `false`)},
			[]string{"defs.json#/$defs/Labels: additionalProperties closed (was a map)"}},
		{"map values narrowed", nil, []edit{set(defs, "/$defs/Labels/additionalProperties/minLength", `1`)},
			[]string{"defs.json#/$defs/Labels/additionalProperties: minLength set to 1"}},
		{"map values widened", nil, []edit{set(defs, "/$defs/Labels/additionalProperties", `true`)}, nil},
		{"map of any narrowed", []edit{set(defs, "/$defs/Labels/additionalProperties", `true`)},
			[]edit{set(defs, "/$defs/Labels/additionalProperties", `{"type": "string"}`)},
			[]string{"defs.json#/$defs/Labels/additionalProperties: type changed from any to string"}},
		{"open object closed", []edit{set(defs, "/$defs/Labels/additionalProperties", `true`)},
			[]edit{set(defs, "/$defs/Labels/additionalProperties", `false`)},
			[]string{"defs.json#/$defs/Labels: additionalProperties closed (was open)"}},

		// $ref handling.
		{"change in a shared def reported once", nil, []edit{set(defs, "/$defs/Item/properties/kind/enum", `["a"]`)},
			[]string{`defs.json#/$defs/Item/properties/kind: enum value "b" removed`}},
		{"ref retargeted to a stricter def", nil, []edit{
			set(defs, "/$defs/Strict", `{"title": "Strict", "description": "d", "type": "string", "minLength": 5}`),
			set(thing, par+"/id/$ref", `"../defs.json#/$defs/Strict"`),
		}, []string{props + "/id: minLength increased from 1 to 5"}},
		{"ref retargeted to an equal def", nil, []edit{
			set(defs, "/$defs/Name2", `{"title": "Name2", "description": "d", "type": "string", "minLength": 1, "maxLength": 64}`),
			set(thing, par+"/id/$ref", `"../defs.json#/$defs/Name2"`),
		}, nil},
		{"ref inlined", nil, []edit{set(thing, par+"/id", `{"type": "string", "minLength": 1, "maxLength": 64}`)}, nil},
		{"inline replaced by a stricter ref", nil, []edit{
			set(defs, "/$defs/Code", `{"title": "Code", "description": "d", "type": "string", "pattern": "^[a-z]+$", "maxLength": 8}`),
			set(thing, par+"/code", `{"$ref": "../defs.json#/$defs/Code"}`),
		}, []string{props + "/code: maxLength set to 8"}},
		{"referenced def removed", nil, []edit{del(defs, "/$defs/Labels")},
			[]string{props + `/labels: $ref "../defs.json#/$defs/Labels": defs.json has nothing at /$defs/Labels`}},
		{"unused def removed", []edit{set(defs, "/$defs/Unused", `{"title": "Unused", "description": "d", "type": "string"}`)},
			[]edit{del(defs, "/$defs/Unused")}, nil},
		{"def and its users removed", nil, []edit{del(defs, "/$defs/Labels"), del(thing, par+"/labels")},
			[]string{props + "/labels: property removed"}},
		{"nullable def narrowed through anyOf", nil, []edit{set(defs, "/$defs/Item/properties/tags/maxItems", `3`)},
			[]string{"defs.json#/$defs/Item/properties/tags: maxItems decreased from 10 to 3"}},

		// Unions and frames.
		{"union member removed", nil, []edit{del(frame, "/$defs/Frame/oneOf/1")},
			[]string{"frames/frame.json#/$defs/Frame: union member Pong removed"}},
		{"union member added", nil, []edit{
			set(frame, "/$defs/Pang", `{"title": "Pang", "description": "d", "type": "object", "additionalProperties": false, "required": ["type"], "properties": {"type": {"type": "string", "const": "pang"}}}`),
			set(frame, "/$defs/Frame/oneOf/2", `{"$ref": "#/$defs/Pang"}`),
		}, nil},
		{"union member replaced by a stricter one", nil, []edit{
			set(frame, "/$defs/Pong2", `{"title": "Pong2", "description": "d", "type": "object", "additionalProperties": false, "required": ["type", "n"], "properties": {"type": {"type": "string", "const": "pong"}, "n": {"type": "integer"}}}`),
			set(frame, "/$defs/Frame/oneOf/1", `{"$ref": "#/$defs/Pong2"}`),
		}, []string{"frames/frame.json#/$defs/Frame/oneOf/1/properties/n: new required property"}},
		{"frame def removed", nil, []edit{del(frame, "/$defs/Frame")},
			[]string{"frames/frame.json#/$defs/Frame: frame definition removed"}},

		// The config file.
		// The config root is the original's shape (tools/configschema), not a wire
		// type: its own properties are not compared (the gateway migrates old keys).
		{"config root property removed: not compared", nil, []edit{del(cfg, "/properties/port")}, nil},
		{"config def narrowed", nil, []edit{set(cfg, "/$defs/Gateway/properties/bind/enum", `["loopback"]`)},
			[]string{`config/clawdbot.json#/$defs/Gateway/properties/bind: enum value "lan" removed`}},
		{"config removed", nil, []edit{raw(cfg, "")},
			[]string{"config/clawdbot.json: config schema removed"}},
	}
	base := loadValid(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := apply(t, base, tt.old...)
			rep, err := Breaking(old, apply(t, old, tt.edits...))
			if err != nil {
				t.Fatal(err)
			}
			got := changeLines(rep)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestBreakingFixtures compares the schema directory pairs under
// testdata/breaking/<case>/{old,new}; want.txt lists the expected lines.
func TestBreakingFixtures(t *testing.T) {
	cases, err := filepath.Glob("../testdata/breaking/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			old, err := LoadDir(filepath.Join(dir, "old"))
			if err != nil {
				t.Fatal(err)
			}
			cur, err := LoadDir(filepath.Join(dir, "new"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			// Both sides are valid schema directories.
			for _, side := range []Files{old, cur} {
				for _, p := range Lint(side) {
					t.Errorf("fixture does not lint: %s", p)
				}
			}
			rep, err := Breaking(old, cur)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(changeLines(rep), "\n")
			if got != strings.TrimSpace(string(want)) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestBreakingRejectsBrokenFiles(t *testing.T) {
	base := loadValid(t)
	if _, err := Breaking(base, apply(t, base, raw(tick, "{"))); err == nil || !strings.Contains(err.Error(), "new events/tick.json") {
		t.Errorf("err = %v, want one naming new events/tick.json", err)
	}
}

func TestVersionBumped(t *testing.T) {
	base := loadValid(t)
	rep, err := Breaking(base, apply(t, base, set(mf, "/protocol/max", `4`), set(mf, "/methods/0/protocols", `[3, 4]`)))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.VersionBumped() || rep.OldMax != 3 || rep.NewMax != 4 || len(rep.Changes) != 1 {
		t.Errorf("report = %+v, want one change and max 3 → 4", rep)
	}
}
