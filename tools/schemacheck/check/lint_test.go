package check

import (
	"strings"
	"testing"

	"github.com/clawgate/gateway/tools/protogen/model"
)

func TestLintValid(t *testing.T) {
	for _, p := range Lint(loadValid(t)) {
		t.Errorf("unexpected problem: %s", p)
	}
}

const (
	thing = "methods/thing.do.json"
	ping  = "methods/system-ping.json"
	chat  = "events/chat.json"
	tick  = "events/tick.json"
	defs  = "defs.json"
	frame = "frames/frame.json"
	cfg   = "config/clawdbot.json"
	mf    = "manifest.json"
	par   = "/$defs/params/properties"
)

func TestLint(t *testing.T) {
	tests := []struct {
		name  string
		edits []edit
		want  string // substring of one problem line
	}{
		// Rule 1: well-formed JSON, $schema, $id, root title and description.
		{"invalid JSON", []edit{raw(tick, "{\n  \"a\": ]\n}")}, "events/tick.json: /: invalid JSON at line 2"},
		{"truncated JSON", []edit{raw(tick, `{"$schema": `)}, "events/tick.json: /: invalid JSON: unexpected EOF"},
		{"trailing data", []edit{raw(tick, `{} {}`)}, "events/tick.json: /: invalid JSON: data after"},
		{"duplicate key", []edit{raw(tick, `{"a": {"b": 1, "b": 2}}`)}, `duplicate key "b" in the object at /a`},
		{"root not object", []edit{raw(tick, `[]`)}, "events/tick.json: /: the file must hold a JSON object"},
		{"wrong $schema", []edit{set(defs, "/$schema", `"http://json-schema.org/draft-07/schema#"`)}, `defs.json: /$schema: must be "https://json-schema.org/draft/2020-12/schema"`},
		{"missing $schema", []edit{del(defs, "/$schema")}, "defs.json: /$schema: missing"},
		{"wrong $id", []edit{set(tick, "/$id", `"https://schema.clawgate.dev/tick.json"`)}, `events/tick.json: /$id: must be "https://schema.clawgate.dev/events/tick.json"`},
		{"missing $id", []edit{del(tick, "/$id")}, "events/tick.json: /$id: missing"},
		{"missing root title", []edit{del(defs, "/title")}, "defs.json: /title: missing"},
		{"missing root description", []edit{del(defs, "/description")}, "defs.json: /description: missing"},
		{"empty root description", []edit{set(defs, "/description", `""`)}, "defs.json: /description: must be a non-empty string"},
		{"schema at a defs-file root", []edit{set(defs, "/type", `"object"`)}, `defs.json: /type: keyword "type" is not allowed at the file root`},
		{"no $defs", []edit{del(defs, "/$defs")}, "defs.json: /$defs: missing"},

		// Rule 2: def titles and descriptions.
		{"def without title", []edit{del(defs, "/$defs/Name/title")}, "defs.json: /$defs/Name/title: missing"},
		{"def title not PascalCase", []edit{set(defs, "/$defs/Name/title", `"name_x"`)}, `/$defs/Name/title: "name_x" is not a PascalCase type name`},
		{"def title not a string", []edit{set(defs, "/$defs/Name/title", `7`)}, `/$defs/Name/title: 7 is not a PascalCase type name`},
		{"def without description", []edit{del(defs, "/$defs/Labels/description")}, "defs.json: /$defs/Labels/description: missing"},
		{"title used twice", []edit{set(tick, "/$defs/payload/title", `"Item"`)}, `events/tick.json: /$defs/payload/title: title "Item" is already used by defs.json#/$defs/Item`},
		{"config root without title", []edit{del(cfg, "/title")}, "config/clawdbot.json: /title: missing"},
		{"config root title not PascalCase", []edit{set(cfg, "/title", `"clawdbot.json"`)}, `config/clawdbot.json: /title: "clawdbot.json" is not a PascalCase`},
		{"config root without description", []edit{del(cfg, "/description")}, "config/clawdbot.json: /description: missing"},
		{"config title clashes", []edit{set(cfg, "/$defs/Gateway/title", `"ClawdbotConfig"`)}, `title "ClawdbotConfig" is already used by config/clawdbot.json#`},

		// Rule 3: explicit additionalProperties, closed structs.
		{"object without additionalProperties", []edit{del(defs, "/$defs/Item/additionalProperties")}, "defs.json: /$defs/Item: object must state additionalProperties"},
		{"properties without type", []edit{set(defs, "/$defs/Obj", `{"title": "Obj", "description": "d", "properties": {"a": {"type": "string"}}}`)}, "defs.json: /$defs/Obj: object must state additionalProperties"},
		{"open struct (schema)", []edit{set(defs, "/$defs/Item/additionalProperties", `{"type": "string"}`)}, "/$defs/Item/additionalProperties: an object with properties must have additionalProperties: false"},
		{"open struct (true)", []edit{set(defs, "/$defs/Item/additionalProperties", `true`)}, "/$defs/Item/additionalProperties: an object with properties must have additionalProperties: false"},
		{"map without additionalProperties", []edit{del(defs, "/$defs/Labels/additionalProperties")}, "/$defs/Labels: object must state additionalProperties"},
		{"inline object without additionalProperties", []edit{set(thing, par+"/obj", `{"type": "object", "properties": {}}`)}, "/$defs/params/properties/obj: object must state additionalProperties"},
		{"map of anything as true", []edit{set(defs, "/$defs/Labels/additionalProperties", `true`)}, "/$defs/Labels/additionalProperties: additionalProperties: true is outside the dialect: use {} for a map of any value"},
		{"additionalProperties not a schema", []edit{set(defs, "/$defs/Labels/additionalProperties", `"x"`)}, "/$defs/Labels/additionalProperties: must be false or a schema"},

		// Rule 4: the dialect.
		{"unknown keyword", []edit{set(defs, "/$defs/Name/format", `"email"`)}, `defs.json: /$defs/Name/format: keyword "format" is not in the dialect`},
		{"nested $defs", []edit{set(defs, "/$defs/Name/$defs", `{}`)}, `/$defs/Name/$defs: "$defs" is only allowed at the file root`},
		{"nested $id", []edit{set(thing, par+"/code/$id", `"x"`)}, `/$defs/params/properties/code/$id: "$id" is only allowed at the file root`},
		{"unknown type", []edit{set(thing, par+"/code/type", `"date"`)}, `properties/code/type: unknown type "date"`},
		{"type array of three", []edit{set(thing, par+"/note/type", `["string", "integer", "null"]`)}, `properties/note/type: type must be a type name or [scalar, "null"]`},
		{"nullable object type", []edit{set(thing, par+"/note/type", `["object", "null"]`)}, `type must be a type name or [scalar, "null"]`},
		{"null first", []edit{set(thing, par+"/note/type", `["null", "string"]`)}, `type must be a type name or [scalar, "null"]`},
		{"bare null type", []edit{set(thing, par+"/note/type", `"null"`)}, `properties/note/type: type "null" is only allowed as {"type": "null"}`},
		{"required undeclared", []edit{set(defs, "/$defs/Item/required", `["id", "nope"]`)}, `/$defs/Item/required/1: "nope" is not a declared property`},
		{"required twice", []edit{set(defs, "/$defs/Item/required", `["id", "id"]`)}, `/$defs/Item/required/1: "id" is listed twice`},
		{"required not array", []edit{set(defs, "/$defs/Item/required", `"id"`)}, `/$defs/Item/required: must be an array of property names`},
		{"enum of numbers", []edit{set(defs, "/$defs/Item/properties/kind/enum", `["a", 1]`)}, `/properties/kind/enum/1: enum values must be strings, got 1`},
		{"empty enum", []edit{set(defs, "/$defs/Item/properties/kind/enum", `[]`)}, `/properties/kind/enum: must be a non-empty array of strings`},
		{"empty enum value", []edit{set(defs, "/$defs/Item/properties/kind/enum", `["a", ""]`)}, `/properties/kind/enum/1: enum values must be non-empty`},
		{"duplicate enum value", []edit{set(defs, "/$defs/Item/properties/kind/enum", `["a", "a"]`)}, `/properties/kind/enum/1: enum value "a" is listed twice`},
		{"const not a string", []edit{set(frame, "/$defs/Ping/properties/type/const", `1`)}, `/$defs/Ping/properties/type/const: const must be a string, got 1`},
		{"const not required", []edit{set(frame, "/$defs/Ping/required", `[]`)}, `frames/frame.json: /$defs/Ping/properties/type/const: property "type" carries a const (a discriminator) and must be required`},
		{"pattern does not compile", []edit{set(thing, par+"/code/pattern", `"^[a-z+$"`)}, `properties/code/pattern: does not compile`},
		{"pattern RE2-only", []edit{set(thing, par+"/code/pattern", `"\\A[a-z]+\\z"`)}, `properties/code/pattern: \A is RE2-only syntax`},
		{"pattern flags", []edit{set(thing, par+"/code/pattern", `"(?i)^[a-z]+$"`)}, `properties/code/pattern: (?…) is RE2-only syntax`},
		{"minimum above maximum", []edit{set(thing, par+"/count/minimum", `500`)}, `properties/count/minimum: minimum 500 is greater than maximum 100`},
		{"minLength above maxLength", []edit{set(defs, "/$defs/Name/minLength", `65`)}, `/$defs/Name/minLength: minLength 65 is greater than maxLength 64`},
		{"minItems above maxItems", []edit{set(defs, "/$defs/Item/properties/tags/minItems", `11`)}, `properties/tags/minItems: minItems 11 is greater than maxItems 10`},
		{"negative minLength", []edit{set(defs, "/$defs/Name/minLength", `-1`)}, `/$defs/Name/minLength: must be a non-negative integer`},
		{"fractional maxItems", []edit{set(defs, "/$defs/Item/properties/tags/maxItems", `1.5`)}, `properties/tags/maxItems: must be a non-negative integer`},
		{"minimum not a number", []edit{set(thing, par+"/count/minimum", `"0"`)}, `properties/count/minimum: must be a number`},
		{"array without items", []edit{del(defs, "/$defs/Item/properties/tags/items")}, `/$defs/Item/properties/tags/items: missing (every array states its items)`},
		{"tuple items", []edit{set(defs, "/$defs/Item/properties/tags/items", `[{"type": "string"}]`)}, `properties/tags/items: must be a schema`},
		{"keyword for another type", []edit{set(thing, par+"/count/minLength", `1`)}, `properties/count/minLength: "minLength" does not apply to type "integer"`},
		{"constraint without type", []edit{set(thing, par+"/extra/enum", `["a"]`)}, `properties/extra/enum: "enum" needs "type": "string"`},
		{"$ref with a constraint", []edit{set(thing, par+"/id/minLength", `3`)}, `properties/id/minLength: "minLength" cannot be combined with "$ref"`},
		{"$ref and oneOf", []edit{set(thing, par+"/id/oneOf", `[]`)}, `properties/id: use only one of $ref, oneOf`},
		{"$ref not a string", []edit{set(thing, par+"/id/$ref", `1`)}, `properties/id/$ref: $ref must be a string`},
		{"anyOf of three", []edit{set(thing, par+"/item/anyOf/2", `{"type": "null"}`)}, `properties/item/anyOf: anyOf must be [schema, {"type": "null"}]`},
		{"anyOf without null", []edit{set(thing, par+"/item/anyOf/1", `{"type": "string"}`)}, `properties/item/anyOf/1: the second branch of anyOf must be {"type": "null"}`},
		{"anyOf inner checked", []edit{set(thing, par+"/item/anyOf/0", `{"type": "string", "format": "uri"}`)}, `properties/item/anyOf/0/format: keyword "format" is not in the dialect`},
		{"anyOf with type", []edit{set(thing, par+"/item/type", `"object"`)}, `properties/item/type: "type" cannot be combined with "anyOf"`},
		{"oneOf inline member", []edit{set(frame, "/$defs/Frame/oneOf/1", `{"type": "object", "additionalProperties": false}`)}, `/$defs/Frame/oneOf/1: oneOf members must be {"$ref": …} and nothing else`},
		{"oneOf of one", []edit{del(frame, "/$defs/Frame/oneOf/1")}, `/$defs/Frame/oneOf: oneOf must list at least two $refs`},
		{"oneOf without discriminator", []edit{del(frame, "/$defs/Pong/properties/type"), set(frame, "/$defs/Pong/required", `[]`)}, `/$defs/Frame/oneOf: oneOf members must be objects that share a required const property`},
		{"oneOf duplicate discriminator", []edit{set(frame, "/$defs/Pong/properties/type/const", `"ping"`)}, `/$defs/Frame/oneOf: discriminator "type" has the value "ping" in both`},
		{"examples not an array", []edit{set(defs, "/$defs/Name/examples", `"a"`)}, `/$defs/Name/examples: must be an array`},
		{"deprecated not a boolean", []edit{set(defs, "/$defs/Name/deprecated", `"yes"`)}, `/$defs/Name/deprecated: must be a boolean`},
		{"schema not an object", []edit{set(thing, par+"/code", `"string"`)}, `properties/code: a schema must be a JSON object`},

		// Rule 5: $ref resolves.
		{"$ref to a missing file", []edit{set(thing, par+"/id/$ref", `"../nope.json#/$defs/Name"`)}, `properties/id/$ref: $ref "../nope.json#/$defs/Name": file nope.json does not exist`},
		{"$ref to a missing def", []edit{set(thing, par+"/id/$ref", `"../defs.json#/$defs/Nope"`)}, `$ref "../defs.json#/$defs/Nope": defs.json has nothing at /$defs/Nope`},
		{"$ref resolved against the file", []edit{set(thing, par+"/id/$ref", `"defs.json#/$defs/Name"`)}, `file methods/defs.json does not exist`},
		{"local $ref to a missing def", []edit{set(defs, "/$defs/Item/properties/id/$ref", `"#/$defs/Nope"`)}, `defs.json: /$defs/Item/properties/id/$ref: $ref "#/$defs/Nope": defs.json has nothing at /$defs/Nope`},
		{"absolute $ref", []edit{set(thing, par+"/id/$ref", `"https://schema.clawgate.dev/defs.json#/$defs/Name"`)}, `must be a relative reference`},
		{"$ref outside the directory", []edit{set(thing, par+"/id/$ref", `"../../defs.json#/$defs/Name"`)}, `points outside the schema directory`},
		{"$ref to a non-schema", []edit{set(thing, par+"/id/$ref", `"../defs.json#/$defs/Item/required"`)}, `does not point to a schema`},
		{"$ref to a file root", []edit{set(thing, par+"/id/$ref", `"../defs.json"`)}, `does not point to a schema`},
		{"$ref to a subschema", []edit{set(thing, par+"/tags", `{"$ref": "../defs.json#/$defs/Item/properties/tags"}`)},
			`properties/tags/$ref: $ref "../defs.json#/$defs/Item/properties/tags" points inside a definition: refer to a $defs entry`},
		{"$ref fragment not a pointer", []edit{set(thing, par+"/id/$ref", `"../defs.json#Name"`)}, `the fragment must be a JSON pointer`},
		{"$ref into a broken file", []edit{raw(tick, `{`), set(thing, par+"/id/$ref", `"../events/tick.json#/$defs/payload"`)}, `events/tick.json is not well-formed JSON`},

		// Rule 6: the manifest agrees with the files.
		{"manifest missing", []edit{raw(mf, "")}, "manifest.json: /: missing"},
		{"manifest broken", []edit{raw(mf, "{")}, "manifest.json: /: invalid JSON"},
		{"manifest unknown field", []edit{set(mf, "/methods/0/bogus", `true`)}, `manifest.json: /: manifest does not decode: json: unknown field "bogus"`},
		{"manifest bad protocol range", []edit{set(mf, "/protocol/min", `4`)}, "manifest.json: /protocol: needs 1 <= min <= max"},
		{"method file missing", []edit{raw(ping, "")}, "manifest.json: /methods/1/schema: file methods/system-ping.json does not exist"},
		{"event file missing", []edit{raw(tick, "")}, "manifest.json: /events/1/schema: file events/tick.json does not exist"},
		{"method file misnamed", []edit{set(mf, "/methods/1/schema", `"methods/ping.json"`)}, `manifest.json: /methods/1/schema: method "system-ping" must live in methods/system-ping.json, not methods/ping.json`},
		{"event file misnamed", []edit{set(mf, "/events/1/schema", `"methods/system-ping.json"`)}, `event "tick" must live in events/tick.json`},
		{"method without result", []edit{del(ping, "/$defs/result")}, `methods/system-ping.json: /$defs/result: missing (method "system-ping")`},
		{"method without params", []edit{del(ping, "/$defs/params")}, `methods/system-ping.json: /$defs/params: missing (method "system-ping")`},
		{"event without payload", []edit{del(tick, "/$defs/payload"), set(tick, "/$defs/Other", `{"title": "Other", "description": "d", "type": "string"}`)}, `events/tick.json: /$defs/payload: missing (event "tick")`},
		{"v2 params def missing", []edit{set(mf, "/methods/0/v2/params", `"paramsV9"`)}, `manifest.json: /methods/0/v2/params: "paramsV9" is not a separate $defs entry of methods/thing.do.json`},
		{"v2 params is params", []edit{set(mf, "/methods/0/v2/params", `"params"`)}, `"params" is not a separate $defs entry`},
		{"rename source unknown", []edit{set(mf, "/methods/0/v2/rename", `{"nope": "type"}`)}, `manifest.json: /methods/0/v2/rename/nope: "nope" is not a property of methods/thing.do.json $defs.paramsV2`},
		{"rename target unknown", []edit{set(mf, "/methods/0/v2/rename", `{"kind": "sort"}`)}, `manifest.json: /methods/0/v2/rename/kind: "sort" is not a property of methods/thing.do.json $defs.params`},
		{"v2 outside protocol 2", []edit{set(mf, "/methods/0/protocols", `[3]`)}, `manifest.json: /methods/0/v2: method "thing.do" is not in protocol 2`},
		{"paramsV2 unused", []edit{del(mf, "/methods/0/v2")}, `methods/thing.do.json: /$defs/paramsV2: not used: the manifest entry of "thing.do" has no v2.params`},
		{"method file not in manifest", []edit{del(mf, "/methods/1")}, `methods/system-ping.json: /: not listed in manifest.json (every method file needs a manifest entry)`},
		{"event file not in manifest", []edit{raw("events/extra.json", `{}`)}, `events/extra.json: /: not listed in manifest.json (every event file needs a manifest entry)`},
		{"method listed twice", []edit{set(mf, "/methods/2", `{"name": "thing.do", "schema": "methods/thing.do.json", "group": "g", "protocols": [3], "scope": "read", "advertise": true}`)}, `manifest.json: /methods/2/name: method "thing.do" is listed twice`},
		{"event listed twice", []edit{set(mf, "/events/1/name", `"chat"`)}, `manifest.json: /events/1/name: event "chat" is listed twice`},
		{"schema file used twice", []edit{set(mf, "/events/2", `{"name": "tick2", "schema": "events/tick.json", "protocols": [3], "droppable": true}`)}, `events/tick.json is already the schema of event tick`},
		{"protocol out of range", []edit{set(mf, "/methods/1/protocols", `[3, 4]`)}, "manifest.json: /methods/1/protocols/1: protocol 4 is outside protocol.min..max (2..3)"},
		{"event protocol out of range", []edit{set(mf, "/events/0/protocols", `[1]`)}, "manifest.json: /events/0/protocols/0: protocol 1 is outside"},
		{"protocol twice", []edit{set(mf, "/methods/1/protocols", `[3, 3]`)}, "manifest.json: /methods/1/protocols/1: protocol 3 is listed twice"},
		{"no protocols", []edit{set(mf, "/methods/1/protocols", `[]`)}, "manifest.json: /methods/1/protocols: missing"},
		{"method fields missing", []edit{del(mf, "/methods/1/group")}, "manifest.json: /methods/1/group: missing"},
		{"advertise missing", []edit{del(mf, "/methods/1/advertise")}, "manifest.json: /methods/1/advertise: missing"},
		{"idempotencyKey not in params", []edit{set(mf, "/methods/1/idempotencyKey", `true`)}, `manifest.json: /methods/1/idempotencyKey: idempotencyKey is true but methods/system-ping.json $defs.params has no required idempotencyKey property`},
		{"idempotencyKey optional", []edit{set(thing, "/$defs/params/required", `["id"]`)}, `/methods/0/idempotencyKey: idempotencyKey is true but methods/thing.do.json $defs.params has no required idempotencyKey property`},
		{"role unknown", []edit{set(mf, "/methods/1/roles", `["admin"]`)}, `manifest.json: /methods/1/roles/0: role "admin" is not one of operator, node`},
		{"role twice", []edit{set(mf, "/methods/1/roles", `["node", "node"]`)}, `manifest.json: /methods/1/roles/1: role "node" is listed twice`},
		{"roles empty", []edit{set(mf, "/methods/1/roles", `[]`)}, `manifest.json: /methods/1/roles: must list at least one role`},
		{"roles of a node-scope method", []edit{set(mf, "/methods/1/scope", `"node"`), set(mf, "/methods/1/roles", `["operator"]`)}, `manifest.json: /methods/1/roles: scope "node" means only role node may call it`},
		{"bridge pending but defined", []edit{set(mf, "/bridgePending", `["system-ping"]`)}, `manifest.json: /bridgePending/0: method "system-ping" is defined: give its entry "bridge": true and drop it here`},
		{"bridge pending twice", []edit{set(mf, "/bridgePending", `["talk.mode", "talk.mode"]`)}, `manifest.json: /bridgePending/1: "talk.mode" is listed twice`},
		{"v2 rename between different enums", []edit{set(thing, "/$defs/paramsV2/properties/kind/enum", `["x", "z"]`)}, `manifest.json: /methods/0/v2: protocol-2 params cannot decode into ThingDoParams: property kind differs from type`},
		{"inline type name taken", []edit{set(defs, "/$defs/Other", `{"title": "ThingDoParamsType", "description": "d", "type": "string"}`)}, `the inline type gets the name ThingDoParamsType, which defs.json#/$defs/Other already has`},
		{"droppable property optional", []edit{set(chat, "/$defs/payload/required", `["text"]`)}, `manifest.json: /events/0/droppable/property: payload property "state" must be required`},
		{"droppable property unknown", []edit{set(mf, "/events/0/droppable/property", `"mode"`)}, `manifest.json: /events/0/droppable/property: "mode" is not a property of events/chat.json $defs.payload`},
		{"droppable property not an enum", []edit{set(mf, "/events/0/droppable/property", `"text"`)}, `manifest.json: /events/0/droppable/property: payload property "text" must be a string enum`},
		{"droppable value not in enum", []edit{set(mf, "/events/0/droppable/values", `["delta", "partial"]`)}, `manifest.json: /events/0/droppable/values/1: "partial" is not in the enum of payload property "state"`},
		{"droppable malformed", []edit{set(mf, "/events/0/droppable", `{"property": "state"}`)}, `manifest.json: /events/0/droppable: droppable must be a boolean or`},
		{"droppable missing", []edit{del(mf, "/events/1/droppable")}, `manifest.json: /events/1/droppable: missing`},
		{"scope from manifest.schema.json", []edit{
			raw("manifest.schema.json", `{"properties": {"methods": {"items": {"properties": {"scope": {"enum": ["read", "write"]}, "name": {"pattern": "^[a-z][a-z0-9]*([.-][a-z][a-zA-Z0-9]*)*$"}}}}}}`),
			set(mf, "/methods/1/scope", `"root"`),
		}, `manifest.json: /methods/1/scope: scope "root" is not one of read, write`},
		{"name pattern from manifest.schema.json", []edit{
			raw("manifest.schema.json", `{"properties": {"methods": {"items": {"properties": {"name": {"pattern": "^[a-z][a-z0-9]*([.-][a-z][a-zA-Z0-9]*)*$"}}}}}}`),
			set(mf, "/methods/1/name", `"System_Ping"`),
		}, `manifest.json: /methods/1/name: "System_Ping" does not match`},

		// Rule 7: examples.
		{"params without examples", []edit{del(thing, "/$defs/params/examples")}, "methods/thing.do.json: /$defs/params/examples: missing: needs a non-empty examples array"},
		{"paramsV2 without examples", []edit{del(thing, "/$defs/paramsV2/examples")}, "methods/thing.do.json: /$defs/paramsV2/examples: missing"},
		{"result with empty examples", []edit{set(ping, "/$defs/result/examples", `[]`)}, "methods/system-ping.json: /$defs/result/examples: missing"},
		{"payload without examples", []edit{del(chat, "/$defs/payload/examples")}, "events/chat.json: /$defs/payload/examples: missing"},
		{"frame without examples", []edit{del(frame, "/$defs/Pong/examples")}, "frames/frame.json: /$defs/Pong/examples: missing"},
		{"differently named v2 def without examples", []edit{
			set(thing, "/$defs/legacy", `{"title": "ThingDoParamsV2x", "description": "d", "type": "object", "additionalProperties": false}`),
			set(mf, "/methods/0/v2", `{"params": "legacy"}`), del(thing, "/$defs/paramsV2"),
		}, "methods/thing.do.json: /$defs/legacy/examples: missing"},

		// Rule 8: names.
		{"params title", []edit{set(thing, "/$defs/params/title", `"ThingParams"`)}, `methods/thing.do.json: /$defs/params/title: title "ThingParams" should be "ThingDoParams"`},
		{"params title of dashed name", []edit{set(ping, "/$defs/params/title", `"SystemPingArgs"`)}, `title "SystemPingArgs" should be "SystemPingParams"`},
		{"v2 params title", []edit{set(thing, "/$defs/paramsV2/title", `"ThingDoLegacyParams"`)}, `/$defs/paramsV2/title: title "ThingDoLegacyParams" should be "ThingDoParamsV2"`},
		{"payload title", []edit{set(chat, "/$defs/payload/title", `"ChatPayload"`)}, `events/chat.json: /$defs/payload/title: title "ChatPayload" should be "ChatEvent"`},
	}
	base := loadValid(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := apply(t, base, tt.edits...)
			problems := Lint(files)
			var lines []string
			for _, p := range problems {
				lines = append(lines, p.String())
				if strings.Contains(p.String(), tt.want) {
					return
				}
			}
			t.Errorf("no problem contains %q; got:\n%s", tt.want, strings.Join(lines, "\n"))
		})
	}
}

func TestLintAllowsVariants(t *testing.T) {
	// Things the dialect allows that the valid fixture does not show.
	tests := []struct {
		name  string
		edits []edit
	}{
		{"$ref with annotations", []edit{set(thing, par+"/id/description", `"The id."`)}},
		{"alias def", []edit{set(defs, "/$defs/Alias", `{"title": "Alias", "description": "d", "$ref": "#/$defs/Name"}`)}},
		{"inline anyOf", []edit{set(thing, par+"/when", `{"anyOf": [{"type": "object", "additionalProperties": false, "properties": {"a": {"type": "string"}}}, {"type": "null", "description": "unset"}]}`)}},
		{"map of objects", []edit{set(defs, "/$defs/Labels/additionalProperties", `{"$ref": "#/$defs/Item"}`)}},
		{"map of anything", []edit{set(defs, "/$defs/Labels/additionalProperties", `{}`)}},
		{"empty struct", []edit{set(thing, par+"/empty", `{"type": "object", "additionalProperties": false}`)}},
		{"ref into config root", []edit{set(thing, par+"/cfg", `{"$ref": "../config/clawdbot.json"}`)}},
		{"v2 rename between equal enums", []edit{set(thing, "/$defs/paramsV2/properties/kind/enum", `["x", "y"]`)}},
		{"method callable by both roles", []edit{set(mf, "/methods/1/roles", `["operator", "node"]`)}},
		{"bridge method", []edit{set(mf, "/methods/1/bridge", `true`)}},
		{"bridge pending", []edit{set(mf, "/bridgePending", `["talk.mode"]`)}},
		{"escaped pattern", []edit{set(thing, par+"/code/pattern", `"^\\\\A[a-z]+$"`)}},
		{"non-capturing group", []edit{set(thing, par+"/code/pattern", `"^(?:[a-z]+)$"`)}},
		{"ref to an alias member of oneOf", []edit{
			set(frame, "/$defs/PingAlias", `{"title": "PingAlias", "description": "d", "$ref": "#/$defs/Ping", "examples": [{"type": "ping"}]}`),
			set(frame, "/$defs/Frame/oneOf/0/$ref", `"#/$defs/PingAlias"`),
		}},
		{"integer bounds on number", []edit{set(defs, "/$defs/Item/properties/score/maximum", `1.5`)}},
	}
	base := loadValid(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range Lint(apply(t, base, tt.edits...)) {
				t.Errorf("unexpected problem: %s", p)
			}
		})
	}
}

func TestPascal(t *testing.T) {
	for in, want := range map[string]string{
		"node.pair.request":   "NodePairRequest",
		"system-presence":     "SystemPresence",
		"health":              "Health",
		"node.invoke.result":  "NodeInvokeResult",
		"connect.challenge":   "ConnectChallenge",
		"device.token.rotate": "DeviceTokenRotate",
	} {
		if got := Pascal(in); got != want {
			t.Errorf("Pascal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSchemaPointer(t *testing.T) {
	for _, tt := range []struct {
		file, ptr string
		want      bool
	}{
		{"defs.json", "/$defs/Name", true},
		{"defs.json", "/$defs/Item/properties/tags/items", true},
		{"defs.json", "/$defs/X/anyOf/0/additionalProperties", true},
		{"defs.json", "", false},
		{"defs.json", "/title", false},
		{"defs.json", "/$defs/Item/required", false},
		{"defs.json", "/$defs/Item/properties", false},
		{"config/clawdbot.json", "", true},
		{"config/clawdbot.json", "/properties/gateway", true},
	} {
		if got := model.SchemaPointer(tt.file, tt.ptr); got != tt.want {
			t.Errorf("schemaPointer(%q, %q) = %v, want %v", tt.file, tt.ptr, got, tt.want)
		}
	}
}
