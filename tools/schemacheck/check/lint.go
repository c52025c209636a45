package check

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Problem is one lint finding: a file, a JSON pointer into it and a message.
type Problem struct {
	File    string
	Pointer string
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s: %s", p.File, showPtr(p.Pointer), p.Message)
}

var (
	// dialect lists every keyword a schema file may use (schema/README.md).
	dialect = map[string]bool{
		"$schema": true, "$id": true, "$defs": true,
		"title": true, "description": true, "examples": true, "default": true, "deprecated": true,
		"type": true, "properties": true, "required": true, "additionalProperties": true,
		"items": true, "minItems": true, "maxItems": true,
		"minLength": true, "maxLength": true, "pattern": true, "enum": true, "const": true,
		"minimum": true, "maximum": true,
		"$ref": true, "anyOf": true, "oneOf": true,
	}
	rootOnly   = map[string]bool{"$schema": true, "$id": true, "$defs": true}
	annotation = map[string]bool{"title": true, "description": true, "examples": true, "default": true, "deprecated": true}
	// appliesTo names the types a type-specific keyword may be used with.
	appliesTo = map[string][]string{
		"properties": {"object"}, "required": {"object"}, "additionalProperties": {"object"},
		"items": {"array"}, "minItems": {"array"}, "maxItems": {"array"},
		"minLength": {"string"}, "maxLength": {"string"}, "pattern": {"string"},
		"enum": {"string"}, "const": {"string"},
		"minimum": {"integer", "number"}, "maximum": {"integer", "number"},
	}
	typeNames   = map[string]bool{"string": true, "integer": true, "number": true, "boolean": true, "object": true, "array": true, "null": true}
	scalarTypes = map[string]bool{"string": true, "integer": true, "number": true, "boolean": true}
	pascalRE    = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	// rootKeys may appear at the root of a file that keeps its schemas in $defs.
	rootKeys = map[string]bool{"$schema": true, "$id": true, "title": true, "description": true, "$defs": true}
	// exampleDefs must carry examples in method and event files.
	exampleDefs = map[string]bool{"params": true, "paramsV2": true, "result": true, "payload": true}
)

type linter struct {
	s        *schemaSet
	problems []Problem
	titles   map[string]string // def title → where it was first seen
}

func (l *linter) add(file, ptr, format string, args ...any) {
	l.problems = append(l.problems, Problem{file, ptr, fmt.Sprintf(format, args...)})
}

// Lint checks a schema directory against the dialect, the naming rules and
// the manifest. The result is sorted by file.
func Lint(files Files) []Problem {
	l := &linter{s: parseSet(files), titles: map[string]string{}}
	for _, p := range l.s.paths {
		if isMeta(p) {
			continue
		}
		l.file(p)
	}
	l.manifest()
	sort.SliceStable(l.problems, func(i, j int) bool { return l.problems[i].File < l.problems[j].File })
	return l.problems
}

func (l *linter) file(p string) {
	if err := l.s.errs[p]; err != nil {
		l.add(p, "", "%v", err)
		return
	}
	root, ok := l.s.docs[p].(map[string]any)
	if !ok {
		l.add(p, "", "the file must hold a JSON object")
		return
	}
	// Rule 1: $schema, $id, title, description.
	if v, ok := root["$schema"]; !ok {
		l.add(p, "/$schema", "missing")
	} else if v != SchemaURI {
		l.add(p, "/$schema", "must be %q", SchemaURI)
	}
	if v, ok := root["$id"]; !ok {
		l.add(p, "/$id", "missing")
	} else if want := IDBase + p; v != want {
		l.add(p, "/$id", "must be %q", want)
	}
	if isConfig(p) {
		// The config file is one schema at the root; the root is its def
		// (title and description checked there).
		l.def(p, "", root)
		l.schema(p, "", root, true)
	} else {
		for _, k := range []string{"title", "description"} {
			v, ok := root[k]
			if !ok {
				l.add(p, "/"+k, "missing")
			} else if s, ok := v.(string); !ok || s == "" {
				l.add(p, "/"+k, "must be a non-empty string")
			}
		}
		for _, k := range sortedKeys(root) {
			if !rootKeys[k] {
				l.add(p, "/"+escape(k), "keyword %q is not allowed at the file root (put schemas under $defs)", k)
			}
		}
	}

	dv, ok := root["$defs"]
	if !ok {
		if !isConfig(p) {
			l.add(p, "/$defs", "missing")
		}
		return
	}
	defs, ok := dv.(map[string]any)
	if !ok {
		l.add(p, "/$defs", "must be an object")
		return
	}
	for _, k := range sortedKeys(defs) {
		ptr := "/$defs/" + escape(k)
		l.def(p, ptr, defs[k])
		l.schema(p, ptr, defs[k], false)
		// Rule 7: examples on params/result/payload and on frames.
		needExamples := strings.HasPrefix(p, "frames/") ||
			(strings.HasPrefix(p, "methods/") || strings.HasPrefix(p, "events/")) && exampleDefs[k]
		if needExamples {
			l.examples(p, ptr, defs[k])
		}
	}
}

// def checks what every $defs entry needs: a unique PascalCase title and a
// description (rule 2).
func (l *linter) def(file, ptr string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return // reported by schema()
	}
	title, ok := m["title"].(string)
	switch {
	case m["title"] == nil:
		l.add(file, ptr+"/title", "missing (every $defs entry needs a title: its type name)")
	case !ok || !pascalRE.MatchString(title):
		l.add(file, ptr+"/title", "%v is not a PascalCase type name (^[A-Z][A-Za-z0-9]*$)", jsonText(m["title"]))
	default:
		here := file + "#" + ptr
		if first, dup := l.titles[title]; dup {
			l.add(file, ptr+"/title", "title %q is already used by %s", title, first)
		} else {
			l.titles[title] = here
		}
	}
	if _, ok := m["description"]; !ok {
		l.add(file, ptr+"/description", "missing")
	}
}

func (l *linter) examples(file, ptr string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	ex, ok := m["examples"].([]any)
	if !ok || len(ex) == 0 {
		l.add(file, ptr+"/examples", "missing: needs a non-empty examples array")
	}
}

// parseType returns the non-null type of a type keyword and whether it is
// nullable, or a message when it is outside the dialect.
func parseType(v any) (base string, nullable bool, msg string) {
	switch t := v.(type) {
	case string:
		if !typeNames[t] {
			return "", false, fmt.Sprintf("unknown type %q", t)
		}
		return t, false, ""
	case []any:
		if len(t) == 2 {
			a, _ := t[0].(string)
			b, _ := t[1].(string)
			if scalarTypes[a] && b == "null" {
				return a, true, ""
			}
		}
	}
	return "", false, `type must be a type name or [scalar, "null"] (string, integer, number or boolean)`
}

// schema checks one schema node and everything below it (rules 3, 4, 5).
// root is true for the root of the config file, where $schema, $id and
// $defs may appear.
func (l *linter) schema(file, ptr string, v any, root bool) {
	m, ok := v.(map[string]any)
	if !ok {
		l.add(file, ptr, "a schema must be a JSON object")
		return
	}
	keys := sortedKeys(m)
	for _, k := range keys {
		switch {
		case rootOnly[k]:
			if !root {
				l.add(file, ptr+"/"+escape(k), "%q is only allowed at the file root", k)
			}
		case !dialect[k]:
			l.add(file, ptr+"/"+escape(k), "keyword %q is not in the dialect", k)
		}
	}
	if t, ok := m["title"]; ok {
		if s, ok := t.(string); !ok || s == "" {
			l.add(file, ptr+"/title", "must be a non-empty string")
		}
	}
	if t, ok := m["description"]; ok {
		if s, ok := t.(string); !ok || s == "" {
			l.add(file, ptr+"/description", "must be a non-empty string")
		}
	}
	if ex, ok := m["examples"]; ok {
		if _, ok := ex.([]any); !ok {
			l.add(file, ptr+"/examples", "must be an array")
		}
	}
	if d, ok := m["deprecated"]; ok {
		if _, ok := d.(bool); !ok {
			l.add(file, ptr+"/deprecated", "must be a boolean")
		}
	}

	// $ref, anyOf and oneOf stand alone (with annotations).
	var comb []string
	for _, k := range []string{"$ref", "anyOf", "oneOf"} {
		if _, ok := m[k]; ok {
			comb = append(comb, k)
		}
	}
	if len(comb) > 0 {
		if len(comb) > 1 {
			l.add(file, ptr, "use only one of %s", strings.Join(comb, ", "))
		}
		for _, k := range keys {
			if dialect[k] && !annotation[k] && !rootOnly[k] && !contains(comb, k) {
				l.add(file, ptr+"/"+escape(k), "%q cannot be combined with %q (only annotations may accompany it)", k, comb[0])
			}
		}
		switch comb[0] {
		case "$ref":
			l.ref(file, ptr+"/$ref", m["$ref"])
		case "anyOf":
			l.anyOf(file, ptr+"/anyOf", m["anyOf"])
		case "oneOf":
			l.oneOf(file, ptr+"/oneOf", m["oneOf"])
		}
		return
	}

	base, hasType := "", false
	if t, ok := m["type"]; ok {
		hasType = true
		b, _, msg := parseType(t)
		switch {
		case msg != "":
			l.add(file, ptr+"/type", "%s", msg)
		case b == "null":
			l.add(file, ptr+"/type", `type "null" is only allowed as {"type": "null"}, the second branch of anyOf`)
		default:
			base = b
		}
	}
	for _, k := range keys {
		want, ok := appliesTo[k]
		if !ok || base != "" && contains(want, base) {
			continue
		}
		if !hasType {
			l.add(file, ptr+"/"+k, "%q needs \"type\": %q", k, strings.Join(want, `" or "`))
		} else if base != "" {
			l.add(file, ptr+"/"+k, "%q does not apply to type %q", k, base)
		}
	}

	// Rule 3: objects state additionalProperties; structs are closed.
	props, hasProps := m["properties"]
	ap, hasAP := m["additionalProperties"]
	if base == "object" || hasProps {
		switch {
		case !hasAP:
			l.add(file, ptr, "object must state additionalProperties (false for a struct, a schema for a map)")
		case hasProps && ap != false:
			l.add(file, ptr+"/additionalProperties", "an object with properties must have additionalProperties: false")
		}
	}
	var propMap map[string]any
	if hasProps {
		pm, ok := props.(map[string]any)
		if !ok {
			l.add(file, ptr+"/properties", "must be an object")
		} else {
			propMap = pm
			for _, k := range sortedKeys(pm) {
				l.schema(file, ptr+"/properties/"+escape(k), pm[k], false)
			}
		}
	}
	required := map[string]bool{}
	if rv, ok := m["required"]; ok {
		arr, ok := rv.([]any)
		if !ok {
			l.add(file, ptr+"/required", "must be an array of property names")
		}
		for i, e := range arr {
			name, ok := e.(string)
			switch {
			case !ok:
				l.add(file, ptr+"/required/"+strconv.Itoa(i), "must be a string")
			case required[name]:
				l.add(file, ptr+"/required/"+strconv.Itoa(i), "%q is listed twice", name)
			case propMap[name] == nil:
				l.add(file, ptr+"/required/"+strconv.Itoa(i), "%q is not a declared property", name)
			}
			required[name] = true
		}
	}
	for _, k := range sortedKeys(propMap) {
		if pm, ok := propMap[k].(map[string]any); ok {
			if _, ok := pm["const"]; ok && !required[k] {
				l.add(file, ptr+"/properties/"+escape(k)+"/const", "property %q carries a const (a discriminator) and must be required", k)
			}
		}
	}
	if hasAP {
		switch ap.(type) {
		case bool:
		case map[string]any:
			l.schema(file, ptr+"/additionalProperties", ap, false)
		default:
			l.add(file, ptr+"/additionalProperties", "must be false or a schema")
		}
	}

	// Arrays.
	if items, ok := m["items"]; ok {
		if _, ok := items.(map[string]any); ok {
			l.schema(file, ptr+"/items", items, false)
		} else {
			l.add(file, ptr+"/items", "must be a schema (tuples are not in the dialect)")
		}
	} else if base == "array" {
		l.add(file, ptr+"/items", "missing (every array states its items)")
	}

	// Bounds.
	for _, k := range []string{"minLength", "maxLength", "minItems", "maxItems"} {
		if v, ok := m[k]; ok {
			if f, ok := num(v); !ok || f < 0 || f != float64(int64(f)) {
				l.add(file, ptr+"/"+k, "must be a non-negative integer")
			}
		}
	}
	for _, k := range []string{"minimum", "maximum"} {
		if v, ok := m[k]; ok {
			if _, ok := num(v); !ok {
				l.add(file, ptr+"/"+k, "must be a number")
			}
		}
	}
	for _, pair := range [][2]string{{"minimum", "maximum"}, {"minLength", "maxLength"}, {"minItems", "maxItems"}} {
		lo, ok1 := num(m[pair[0]])
		hi, ok2 := num(m[pair[1]])
		if ok1 && ok2 && lo > hi {
			l.add(file, ptr+"/"+pair[0], "%s %v is greater than %s %v", pair[0], m[pair[0]], pair[1], m[pair[1]])
		}
	}

	// Strings.
	if ev, ok := m["enum"]; ok {
		arr, ok := ev.([]any)
		if !ok || len(arr) == 0 {
			l.add(file, ptr+"/enum", "must be a non-empty array of strings")
		}
		seen := map[string]bool{}
		for i, e := range arr {
			s, ok := e.(string)
			switch {
			case !ok:
				l.add(file, ptr+"/enum/"+strconv.Itoa(i), "enum values must be strings, got %s", jsonText(e))
			case s == "":
				l.add(file, ptr+"/enum/"+strconv.Itoa(i), "enum values must be non-empty")
			case seen[s]:
				l.add(file, ptr+"/enum/"+strconv.Itoa(i), "enum value %q is listed twice", s)
			}
			seen[s] = true
		}
	}
	if cv, ok := m["const"]; ok {
		if _, ok := cv.(string); !ok {
			l.add(file, ptr+"/const", "const must be a string, got %s", jsonText(cv))
		}
	}
	if pv, ok := m["pattern"]; ok {
		s, ok := pv.(string)
		if !ok {
			l.add(file, ptr+"/pattern", "must be a string")
		} else if _, err := regexp.Compile(s); err != nil {
			l.add(file, ptr+"/pattern", "does not compile: %v", err)
		} else if bad := nonPortable(s); bad != "" {
			l.add(file, ptr+"/pattern", "%s is RE2-only syntax; use a pattern that means the same in ECMA-262", bad)
		}
	}
}

// nonPortable finds RE2 constructs that ECMA-262 reads differently.
func nonPortable(re string) string {
	for i := 0; i < len(re); i++ {
		switch {
		case re[i] == '\\' && i+1 < len(re):
			switch re[i+1] {
			case 'A', 'z', 'Q', 'E', 'C':
				return `\` + string(re[i+1])
			}
			i++
		case strings.HasPrefix(re[i:], "(?") && !strings.HasPrefix(re[i:], "(?:"):
			return "(?…)"
		case strings.HasPrefix(re[i:], "[[:"):
			return "[[:class:]]"
		}
	}
	return ""
}

// ref checks that a $ref resolves to a schema (rule 5).
func (l *linter) ref(file, ptr string, v any) (string, string, any, bool) {
	ref, ok := v.(string)
	if !ok {
		l.add(file, ptr, "$ref must be a string")
		return "", "", nil, false
	}
	target, tptr, node, err := l.s.resolve(file, ref)
	if err != nil {
		l.add(file, ptr, "%v", err)
		return "", "", nil, false
	}
	if !schemaPointer(target, tptr) {
		l.add(file, ptr, "$ref %q does not point to a schema (a $defs entry or one of its subschemas)", ref)
		return "", "", nil, false
	}
	if _, ok := node.(map[string]any); !ok {
		l.add(file, ptr, "$ref %q does not point to a schema object", ref)
		return "", "", nil, false
	}
	return target, tptr, node, true
}

// schemaPointer reports whether ptr names a schema position in file: a
// $defs entry (or the root of the config file) followed by
// properties/<name>, items, additionalProperties, anyOf/<i> or oneOf/<i>.
func schemaPointer(file, ptr string) bool {
	toks := splitPtr(ptr)
	switch {
	case len(toks) >= 2 && toks[0] == "$defs":
		toks = toks[2:]
	case isConfig(file):
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

func (l *linter) anyOf(file, ptr string, v any) {
	arr, ok := v.([]any)
	if !ok || len(arr) != 2 {
		l.add(file, ptr, `anyOf must be [schema, {"type": "null"}]`)
		return
	}
	l.schema(file, ptr+"/0", arr[0], false)
	second, ok := arr[1].(map[string]any)
	okNull := ok && second["type"] == "null"
	for k := range second {
		if k != "type" && !annotation[k] {
			okNull = false
		}
	}
	if !okNull {
		l.add(file, ptr+"/1", `the second branch of anyOf must be {"type": "null"}`)
	}
}

func (l *linter) oneOf(file, ptr string, v any) {
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		l.add(file, ptr, "oneOf must list at least two $refs")
		return
	}
	type member struct {
		file, ptr string
		node      map[string]any
	}
	var members []member
	all := true
	for i, e := range arr {
		p := ptr + "/" + strconv.Itoa(i)
		m, ok := e.(map[string]any)
		if !ok || len(m) != 1 || m["$ref"] == nil {
			l.add(file, p, `oneOf members must be {"$ref": …} and nothing else`)
			all = false
			continue
		}
		tf, tp, node, ok := l.ref(file, p+"/$ref", m["$ref"])
		if !ok {
			all = false
			continue
		}
		tf, tp, tm, err := l.s.deref(tf, tp, node)
		if err != nil {
			all = false
			continue
		}
		members = append(members, member{tf, tp, tm})
	}
	if !all {
		return
	}
	// The targets are objects sharing a required const property.
	var candidates []string
	for i, mb := range members {
		props, _ := mb.node["properties"].(map[string]any)
		req := requiredSet(mb.node)
		var here []string
		for _, k := range sortedKeys(props) {
			pm, _ := props[k].(map[string]any)
			if _, ok := pm["const"].(string); ok && req[k] {
				here = append(here, k)
			}
		}
		if i == 0 {
			candidates = here
		} else {
			candidates = intersect(candidates, here)
		}
	}
	if len(candidates) == 0 {
		l.add(file, ptr, "oneOf members must be objects that share a required const property (the discriminator)")
		return
	}
	disc := candidates[0]
	seen := map[string]string{}
	for _, mb := range members {
		c := mb.node["properties"].(map[string]any)[disc].(map[string]any)["const"].(string)
		if first, dup := seen[c]; dup {
			l.add(file, ptr, "discriminator %q has the value %q in both %s and %s#%s", disc, c, first, mb.file, mb.ptr)
		}
		seen[c] = mb.file + "#" + mb.ptr
	}
}

func requiredSet(m map[string]any) map[string]bool {
	req := map[string]bool{}
	arr, _ := m["required"].([]any)
	for _, e := range arr {
		if s, ok := e.(string); ok {
			req[s] = true
		}
	}
	return req
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
