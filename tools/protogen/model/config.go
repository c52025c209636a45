package model

import (
	"strconv"
)

// configDialect lists the keywords the config file's schema may use. It is wider
// than the wire dialect because the config schema is the original's, exported from
// its zod schema (tools/configschema/export.mjs), and is never turned into wire
// types: only validated by the gateway and, pruned to the keys marked x-implemented,
// turned into Go structs.
var configDialect = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "$ref": true, "title": true, "description": true, "examples": true, "default": true, "deprecated": true,
	"type": true, "properties": true, "required": true, "additionalProperties": true, "propertyNames": true,
	"items": true, "minItems": true, "maxItems": true,
	"minLength": true, "maxLength": true, "pattern": true, "format": true, "enum": true, "const": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"anyOf": true, "oneOf": true, "allOf": true,
	// XImplemented marks a key the gateway acts on; XExtension a key the original lacks.
	XImplemented: true, XExtension: true,
}

// Custom keywords of the config schema.
const (
	// XImplemented (true) marks a config key the gateway acts on; the others are
	// accepted and reported as not implemented.
	XImplemented = "x-implemented"
	// XExtension (true) marks a config key of this gateway that the original lacks.
	XExtension = "x-clawgate-extension"
)

// configRoot checks the config schema against the config dialect and returns an
// opaque schema for it.
func (r *reader) configRoot(file string, raw map[string]any) *Schema {
	r.configWalk(file, "", raw, true)
	return &Schema{File: file, Pointer: "", Kind: KindAny, Description: str(raw["description"])}
}

func (r *reader) configWalk(file, ptr string, v any, root bool) {
	m, ok := v.(map[string]any)
	if !ok {
		if _, isBool := v.(bool); isBool && !root {
			return // true/false schemas
		}
		r.add(file, ptr, "a schema must be a JSON object")
		return
	}
	for _, k := range sortedKeys(m) {
		val := m[k]
		kp := ptr + "/" + escape(k)
		switch {
		case !configDialect[k]:
			r.add(file, kp, "keyword %q is not in the config dialect", k)
		case (k == "$schema" || k == "$id" || k == "$defs") && !root:
			r.add(file, kp, "%q is only allowed at the file root", k)
		case k == XImplemented || k == XExtension:
			if val != true {
				r.add(file, kp, "must be true (omit it otherwise)")
			}
		case k == "description" || k == "title":
			if s, ok := val.(string); !ok || s == "" {
				r.add(file, kp, "must be a non-empty string")
			}
		case k == "properties":
			props, ok := val.(map[string]any)
			if !ok {
				r.add(file, kp, "must be an object")
				continue
			}
			for _, pk := range sortedKeys(props) {
				r.configWalk(file, kp+"/"+escape(pk), props[pk], false)
			}
		case k == "$defs":
			// Each def is read as a def of the file (wire dialect) by the caller.
		case k == "items" || k == "additionalProperties" || k == "propertyNames":
			r.configWalk(file, kp, val, false)
		case k == "anyOf" || k == "oneOf" || k == "allOf":
			arr, ok := val.([]any)
			if !ok || len(arr) == 0 {
				r.add(file, kp, "must be a non-empty array of schemas")
				continue
			}
			for i, e := range arr {
				r.configWalk(file, kp+"/"+strconv.Itoa(i), e, false)
			}
		}
	}
}
