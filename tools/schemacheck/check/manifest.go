package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Manifest is schema/manifest.json.
type Manifest struct {
	Schema      string `json:"$schema"`
	Description string `json:"description"`
	Protocol    struct {
		Min int `json:"min"`
		Max int `json:"max"`
	} `json:"protocol"`
	Methods []Method `json:"methods"`
	Events  []Event  `json:"events"`
}

// Method is one manifest method entry.
type Method struct {
	Name           string `json:"name"`
	Schema         string `json:"schema"`
	Group          string `json:"group"`
	Protocols      []int  `json:"protocols"`
	Scope          string `json:"scope"`
	Advertise      *bool  `json:"advertise"`
	IdempotencyKey bool   `json:"idempotencyKey"`
	V2             *struct {
		Params string            `json:"params"`
		Rename map[string]string `json:"rename"`
	} `json:"v2"`
}

// ParamsDef is the $defs key of the params protocol p decodes.
func (m Method) ParamsDef(p int) string {
	if p == 2 && m.V2 != nil && m.V2.Params != "" {
		return m.V2.Params
	}
	return "params"
}

// Event is one manifest event entry.
type Event struct {
	Name      string          `json:"name"`
	Schema    string          `json:"schema"`
	Protocols []int           `json:"protocols"`
	Droppable json.RawMessage `json:"droppable"`
	Scope     string          `json:"scope"`
	Targeted  bool            `json:"targeted"`
}

// Droppable decodes the droppable field: a boolean or a property/values
// object.
type Droppable struct {
	Always   bool
	Property string
	Values   []string
}

func (e Event) droppable() (Droppable, error) {
	var b bool
	if err := json.Unmarshal(e.Droppable, &b); err == nil {
		return Droppable{Always: b}, nil
	}
	var obj struct {
		Property *string  `json:"property"`
		Values   []string `json:"values"`
	}
	dec := json.NewDecoder(bytes.NewReader(e.Droppable))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&obj); err != nil || obj.Property == nil || obj.Values == nil {
		return Droppable{}, fmt.Errorf(`droppable must be a boolean or {"property": …, "values": […]}`)
	}
	return Droppable{Property: *obj.Property, Values: obj.Values}, nil
}

// ParseManifest decodes manifest.json strictly (unknown fields are errors).
func ParseManifest(data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest does not decode: %v", err)
	}
	return &m, nil
}

// manifestSchemaString and manifestSchemaEnum read the name pattern and
// the scope enums out of manifest.schema.json, so the lint follows that file
// rather than a copy of it.
func (l *linter) manifestSchemaString(ptr string) (string, bool) {
	v, ok := lookup(l.s.docs[ManifestSchemaFile], ptr)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

func (l *linter) manifestSchemaEnum(ptr string) []string {
	v, _ := lookup(l.s.docs[ManifestSchemaFile], ptr)
	arr, _ := v.([]any)
	var out []string
	for _, e := range arr {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// manifest checks that manifest.json and the files agree (rules 6 and 8).
func (l *linter) manifest() {
	const mf = ManifestFile
	if err := l.s.errs[mf]; err != nil {
		l.add(mf, "", "%v", err)
		return
	}
	if _, ok := l.s.docs[mf]; !ok {
		l.add(mf, "", "missing")
		return
	}
	raw, _ := json.Marshal(l.s.docs[mf])
	m, err := ParseManifest(raw)
	if err != nil {
		l.add(mf, "", "%v", err)
		return
	}
	if m.Protocol.Min < 1 || m.Protocol.Max < m.Protocol.Min {
		l.add(mf, "/protocol", "needs 1 <= min <= max, got min %d max %d", m.Protocol.Min, m.Protocol.Max)
	}
	listed := map[string]string{}
	namePattern, _ := l.manifestSchemaString("/properties/methods/items/properties/name/pattern")
	nameRE, _ := regexp.Compile(namePattern)
	scopes := l.manifestSchemaEnum("/properties/methods/items/properties/scope/enum")
	eventScopes := l.manifestSchemaEnum("/properties/events/items/properties/scope/enum")

	protocols := func(ptr string, ps []int) {
		if len(ps) == 0 {
			l.add(mf, ptr, "missing: needs at least one protocol version")
		}
		seen := map[int]bool{}
		for i, p := range ps {
			if p < m.Protocol.Min || p > m.Protocol.Max {
				l.add(mf, fmt.Sprintf("%s/%d", ptr, i), "protocol %d is outside protocol.min..max (%d..%d)", p, m.Protocol.Min, m.Protocol.Max)
			}
			if seen[p] {
				l.add(mf, fmt.Sprintf("%s/%d", ptr, i), "protocol %d is listed twice", p)
			}
			seen[p] = true
		}
	}
	// file checks the schema file of a method or event and returns its
	// $defs (nil when unusable).
	file := func(ptr, kind, name, schema string) map[string]any {
		if schema == "" {
			l.add(mf, ptr+"/schema", "missing")
			return nil
		}
		if want := kind + "s/" + name + ".json"; schema != want {
			l.add(mf, ptr+"/schema", "%s %q must live in %s, not %s", kind, name, want, schema)
		}
		if prev, dup := listed[schema]; dup {
			l.add(mf, ptr+"/schema", "%s is already the schema of %s", schema, prev)
		}
		listed[schema] = kind + " " + name
		if _, bad := l.s.errs[schema]; bad {
			return nil // reported on the file
		}
		if _, ok := l.s.docs[schema]; !ok {
			l.add(mf, ptr+"/schema", "file %s does not exist", schema)
			return nil
		}
		if defs := l.s.defsOf(schema); defs != nil {
			return defs
		}
		return map[string]any{}
	}
	// title checks the naming convention of a root def.
	title := func(schema, key, want string, def any) {
		dm, _ := def.(map[string]any)
		if t, ok := dm["title"].(string); ok && t != want {
			l.add(schema, "/$defs/"+escape(key)+"/title", "title %q should be %q", t, want)
		}
	}

	methodNames := map[string]bool{}
	for i, me := range m.Methods {
		ptr := fmt.Sprintf("/methods/%d", i)
		switch {
		case me.Name == "":
			l.add(mf, ptr+"/name", "missing")
			continue
		case methodNames[me.Name]:
			l.add(mf, ptr+"/name", "method %q is listed twice", me.Name)
		case nameRE != nil && namePattern != "" && !nameRE.MatchString(me.Name):
			l.add(mf, ptr+"/name", "%q does not match %s", me.Name, namePattern)
		}
		methodNames[me.Name] = true
		if me.Group == "" {
			l.add(mf, ptr+"/group", "missing")
		}
		if me.Scope == "" {
			l.add(mf, ptr+"/scope", "missing")
		} else if len(scopes) > 0 && !contains(scopes, me.Scope) {
			l.add(mf, ptr+"/scope", "scope %q is not one of %s", me.Scope, strings.Join(scopes, ", "))
		}
		if me.Advertise == nil {
			l.add(mf, ptr+"/advertise", "missing")
		}
		protocols(ptr+"/protocols", me.Protocols)
		defs := file(ptr, "method", me.Name, me.Schema)
		if defs == nil {
			continue
		}
		stem := Pascal(me.Name)
		for _, k := range []string{"params", "result"} {
			if defs[k] == nil {
				l.add(me.Schema, "/$defs/"+k, "missing (method %q)", me.Name)
			}
		}
		if defs["params"] != nil {
			title(me.Schema, "params", stem+"Params", defs["params"])
		}
		if me.IdempotencyKey {
			if !l.requires(me.Schema, "/$defs/params", defs["params"], "idempotencyKey") {
				l.add(mf, ptr+"/idempotencyKey", "idempotencyKey is true but %s $defs.params has no required idempotencyKey property", me.Schema)
			}
		}
		if me.V2 == nil {
			if defs["paramsV2"] != nil {
				l.add(me.Schema, "/$defs/paramsV2", "not used: the manifest entry of %q has no v2.params", me.Name)
			}
			continue
		}
		if !slices.Contains(me.Protocols, 2) {
			l.add(mf, ptr+"/v2", "method %q is not in protocol 2", me.Name)
		}
		v2 := me.V2.Params
		if v2 == "" {
			l.add(mf, ptr+"/v2/params", "missing")
			continue
		}
		if v2 == "params" || v2 == "result" || defs[v2] == nil {
			l.add(mf, ptr+"/v2/params", "%q is not a separate $defs entry of %s", v2, me.Schema)
			continue
		}
		title(me.Schema, v2, stem+"ParamsV2", defs[v2])
		if !exampleDefs[v2] { // paramsV2 is checked with the file
			l.examples(me.Schema, "/$defs/"+escape(v2), defs[v2])
		}
		v2Props := l.properties(me.Schema, "/$defs/"+escape(v2), defs[v2])
		props := l.properties(me.Schema, "/$defs/params", defs["params"])
		for _, from := range sortedKeys(me.V2.Rename) {
			to := me.V2.Rename[from]
			rp := ptr + "/v2/rename/" + escape(from)
			if v2Props[from] == nil {
				l.add(mf, rp, "%q is not a property of %s $defs.%s", from, me.Schema, v2)
			}
			if props[to] == nil {
				l.add(mf, rp, "%q is not a property of %s $defs.params", to, me.Schema)
			}
		}
	}

	eventNames := map[string]bool{}
	for i, ev := range m.Events {
		ptr := fmt.Sprintf("/events/%d", i)
		switch {
		case ev.Name == "":
			l.add(mf, ptr+"/name", "missing")
			continue
		case eventNames[ev.Name]:
			l.add(mf, ptr+"/name", "event %q is listed twice", ev.Name)
		}
		eventNames[ev.Name] = true
		protocols(ptr+"/protocols", ev.Protocols)
		if ev.Scope != "" && len(eventScopes) > 0 && !contains(eventScopes, ev.Scope) {
			l.add(mf, ptr+"/scope", "scope %q is not one of %s", ev.Scope, strings.Join(eventScopes, ", "))
		}
		var drop Droppable
		if ev.Droppable == nil {
			l.add(mf, ptr+"/droppable", "missing")
		} else if d, err := ev.droppable(); err != nil {
			l.add(mf, ptr+"/droppable", "%v", err)
		} else {
			drop = d
		}
		defs := file(ptr, "event", ev.Name, ev.Schema)
		if defs == nil {
			continue
		}
		if defs["payload"] == nil {
			l.add(ev.Schema, "/$defs/payload", "missing (event %q)", ev.Name)
			continue
		}
		title(ev.Schema, "payload", Pascal(ev.Name)+"Event", defs["payload"])
		if drop.Property != "" || drop.Values != nil {
			l.droppable(mf, ptr+"/droppable", ev.Schema, defs["payload"], drop)
		}
	}

	// Every method and event file is in the manifest.
	for _, p := range l.s.paths {
		if (strings.HasPrefix(p, "methods/") || strings.HasPrefix(p, "events/")) && listed[p] == "" {
			kind := strings.TrimSuffix(p[:strings.IndexByte(p, '/')], "s")
			l.add(p, "", "not listed in manifest.json (every %s file needs a manifest entry)", kind)
		}
	}
}

// properties returns the properties of a def, following $ref aliases.
func (l *linter) properties(file, ptr string, def any) map[string]any {
	_, _, m, err := l.s.deref(file, ptr, def)
	if err != nil {
		return nil
	}
	props, _ := m["properties"].(map[string]any)
	return props
}

// requires reports whether def (following aliases) has a required string
// property name.
func (l *linter) requires(file, ptr string, def any, name string) bool {
	if def == nil {
		return false
	}
	_, _, m, err := l.s.deref(file, ptr, def)
	if err != nil {
		return false
	}
	props, _ := m["properties"].(map[string]any)
	return props[name] != nil && requiredSet(m)[name]
}

func (l *linter) droppable(mf, ptr, schema string, payload any, d Droppable) {
	if d.Property == "" {
		l.add(mf, ptr+"/property", "missing")
		return
	}
	if len(d.Values) == 0 {
		l.add(mf, ptr+"/values", "must list at least one value")
	}
	props := l.properties(schema, "/$defs/payload", payload)
	pv, ok := props[d.Property]
	if !ok {
		l.add(mf, ptr+"/property", "%q is not a property of %s $defs.payload", d.Property, schema)
		return
	}
	_, _, pm, err := l.s.deref(schema, "/$defs/payload/properties/"+escape(d.Property), pv)
	if err != nil {
		return
	}
	base, _, _ := parseType(pm["type"])
	enum, _ := pm["enum"].([]any)
	if base != "string" || enum == nil {
		l.add(mf, ptr+"/property", "payload property %q must be a string enum", d.Property)
		return
	}
	var values []string
	for _, e := range enum {
		if s, ok := e.(string); ok {
			values = append(values, s)
		}
	}
	for i, v := range d.Values {
		if !contains(values, v) {
			l.add(mf, fmt.Sprintf("%s/values/%d", ptr, i), "%q is not in the enum of payload property %q", v, d.Property)
		}
	}
}
