package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Manifest is schema/manifest.json as written.
type Manifest struct {
	Schema      string `json:"$schema"`
	Description string `json:"description"`
	Protocol    struct {
		Min int `json:"min"`
		Max int `json:"max"`
	} `json:"protocol"`
	Methods       []ManifestMethod `json:"methods"`
	Events        []ManifestEvent  `json:"events"`
	BridgePending []string         `json:"bridgePending"`
}

// ManifestMethod is one manifest method entry.
type ManifestMethod struct {
	Name           string   `json:"name"`
	Schema         string   `json:"schema"`
	Group          string   `json:"group"`
	Protocols      []int    `json:"protocols"`
	Scope          string   `json:"scope"`
	Roles          []string `json:"roles"`
	Bridge         bool     `json:"bridge"`
	Advertise      *bool    `json:"advertise"`
	IdempotencyKey bool     `json:"idempotencyKey"`
	V2             *struct {
		Params string            `json:"params"`
		Rename map[string]string `json:"rename"`
	} `json:"v2"`
}

// ParamsDef is the $defs key of the params protocol p decodes.
func (m ManifestMethod) ParamsDef(p int) string {
	if p == 2 && m.V2 != nil && m.V2.Params != "" {
		return m.V2.Params
	}
	return "params"
}

// ManifestEvent is one manifest event entry.
type ManifestEvent struct {
	Name      string          `json:"name"`
	Schema    string          `json:"schema"`
	Protocols []int           `json:"protocols"`
	Droppable json.RawMessage `json:"droppable"`
	Scope     string          `json:"scope"`
	Targeted  bool            `json:"targeted"`
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

func parseDroppable(raw json.RawMessage) (Droppable, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return Droppable{Always: b}, nil
	}
	var obj struct {
		Property *string  `json:"property"`
		Values   []string `json:"values"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&obj); err != nil || obj.Property == nil || obj.Values == nil {
		return Droppable{}, fmt.Errorf(`droppable must be a boolean or {"property": …, "values": […]}`)
	}
	return Droppable{Property: *obj.Property, Values: obj.Values}, nil
}

// Defaults of what manifest.schema.json allows, used when that file is absent.
var (
	defaultScopes      = []string{"none", "read", "write", "admin", "pairing", "approvals", "node"}
	defaultEventScopes = []string{"pairing", "approvals"}
	defaultRoles       = []string{RoleOperator, RoleNode}
)

// schemaEnum reads an enum out of manifest.schema.json, so the checks follow that file
// rather than a copy of it.
func (r *reader) schemaEnum(ptr string, def []string) []string {
	doc, ok := r.docs[ManifestSchemaFile]
	if !ok {
		return def
	}
	v, _ := lookup(doc, ptr)
	arr, _ := v.([]any)
	var out []string
	for _, e := range arr {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (r *reader) schemaString(ptr string) string {
	v, _ := lookup(r.docs[ManifestSchemaFile], ptr)
	s, _ := v.(string)
	return s
}

// manifest checks that manifest.json and the files agree, and builds Methods and
// Events.
func (r *reader) manifest() {
	const mf = ManifestFile
	if _, bad := r.m.Unreadable[mf]; bad {
		return
	}
	doc, ok := r.docs[mf]
	if !ok {
		r.add(mf, "", "missing")
		return
	}
	raw, _ := json.Marshal(doc)
	man, err := ParseManifest(raw)
	if err != nil {
		r.add(mf, "", "%v", err)
		return
	}
	m := r.m
	m.Manifest = man
	m.MinProtocol, m.MaxProtocol = man.Protocol.Min, man.Protocol.Max
	if man.Protocol.Min < 1 || man.Protocol.Max < man.Protocol.Min {
		r.add(mf, "/protocol", "needs 1 <= min <= max, got min %d max %d", man.Protocol.Min, man.Protocol.Max)
	}
	listed := map[string]string{}
	namePattern := r.schemaString("/properties/methods/items/properties/name/pattern")
	nameRE, _ := regexp.Compile(namePattern)
	scopes := r.schemaEnum("/properties/methods/items/properties/scope/enum", defaultScopes)
	roles := r.schemaEnum("/properties/methods/items/properties/roles/items/enum", defaultRoles)
	eventScopes := r.schemaEnum("/properties/events/items/properties/scope/enum", defaultEventScopes)

	protocols := func(ptr string, ps []int) {
		if len(ps) == 0 {
			r.add(mf, ptr, "missing: needs at least one protocol version")
		}
		seen := map[int]bool{}
		for i, p := range ps {
			if p < man.Protocol.Min || p > man.Protocol.Max {
				r.add(mf, fmt.Sprintf("%s/%d", ptr, i), "protocol %d is outside protocol.min..max (%d..%d)", p, man.Protocol.Min, man.Protocol.Max)
			}
			if seen[p] {
				r.add(mf, fmt.Sprintf("%s/%d", ptr, i), "protocol %d is listed twice", p)
			}
			seen[p] = true
		}
	}
	// file checks the schema file of a method or event and returns its $defs (nil
	// when unusable).
	file := func(ptr, kind, name, schema string) map[string]any {
		if schema == "" {
			r.add(mf, ptr+"/schema", "missing")
			return nil
		}
		if want := kind + "s/" + name + ".json"; schema != want {
			r.add(mf, ptr+"/schema", "%s %q must live in %s, not %s", kind, name, want, schema)
		}
		if prev, dup := listed[schema]; dup {
			r.add(mf, ptr+"/schema", "%s is already the schema of %s", schema, prev)
		}
		listed[schema] = kind + " " + name
		if _, bad := r.m.Unreadable[schema]; bad {
			return nil // reported on the file
		}
		fd, ok := r.docs[schema].(map[string]any)
		if !ok {
			if r.docs[schema] == nil {
				r.add(mf, ptr+"/schema", "file %s does not exist", schema)
			}
			return nil
		}
		defs, _ := fd["$defs"].(map[string]any)
		if defs == nil {
			return map[string]any{}
		}
		return defs
	}
	// title checks the naming convention of a root def.
	title := func(schema, key, want string) {
		if n := m.Defs[schema+"#/$defs/"+key]; n != nil {
			if t, ok := n.Raw["title"].(string); ok && t != want {
				r.add(schema, "/$defs/"+escape(key)+"/title", "title %q should be %q", t, want)
			}
		}
	}

	methodNames := map[string]bool{}
	for i, me := range man.Methods {
		ptr := fmt.Sprintf("/methods/%d", i)
		switch {
		case me.Name == "":
			r.add(mf, ptr+"/name", "missing")
			continue
		case methodNames[me.Name]:
			r.add(mf, ptr+"/name", "method %q is listed twice", me.Name)
		case nameRE != nil && namePattern != "" && !nameRE.MatchString(me.Name):
			r.add(mf, ptr+"/name", "%q does not match %s", me.Name, namePattern)
		}
		methodNames[me.Name] = true
		if me.Group == "" {
			r.add(mf, ptr+"/group", "missing")
		}
		if me.Scope == "" {
			r.add(mf, ptr+"/scope", "missing")
		} else if len(scopes) > 0 && !contains(scopes, me.Scope) {
			r.add(mf, ptr+"/scope", "scope %q is not one of %s", me.Scope, strings.Join(scopes, ", "))
		}
		for j, role := range me.Roles {
			switch {
			case !contains(roles, role):
				r.add(mf, fmt.Sprintf("%s/roles/%d", ptr, j), "role %q is not one of %s", role, strings.Join(roles, ", "))
			case slices.Index(me.Roles, role) != j:
				r.add(mf, fmt.Sprintf("%s/roles/%d", ptr, j), "role %q is listed twice", role)
			}
		}
		if me.Roles != nil && len(me.Roles) == 0 {
			r.add(mf, ptr+"/roles", "must list at least one role (leave it out for the default)")
		}
		if me.Scope == "node" && me.Roles != nil && !slices.Equal(me.Roles, []string{RoleNode}) {
			r.add(mf, ptr+"/roles", `scope "node" means only role node may call it: leave roles out`)
		}
		if me.Advertise == nil {
			r.add(mf, ptr+"/advertise", "missing")
		}
		protocols(ptr+"/protocols", me.Protocols)
		method := &Method{Name: me.Name, GoName: GoMethodName(me.Name), Group: me.Group, Protocols: me.Protocols,
			Scope: me.Scope, Roles: me.Roles, Bridge: me.Bridge, Advertise: me.Advertise != nil && *me.Advertise,
			IdempotencyKey: me.IdempotencyKey, File: me.Schema}
		if len(method.Roles) == 0 {
			method.Roles = []string{RoleOperator}
			if me.Scope == "node" {
				method.Roles = []string{RoleNode}
			}
		}
		m.Methods = append(m.Methods, method)
		defs := file(ptr, "method", me.Name, me.Schema)
		if defs == nil {
			continue
		}
		stem := GoMethodName(me.Name)
		for _, k := range []string{"params", "result"} {
			if defs[k] == nil {
				r.add(me.Schema, "/$defs/"+k, "missing (method %q)", me.Name)
			}
		}
		method.Params = m.Defs[me.Schema+"#/$defs/params"]
		method.Result = m.Defs[me.Schema+"#/$defs/result"]
		if method.Params != nil {
			title(me.Schema, "params", stem+"Params")
			if ps := method.Params.Schema; ps != nil && ps.Broken == "" && (ps.Kind != KindObject || ps.Nullable) {
				r.add(me.Schema, "/$defs/params", "method params must be an object with additionalProperties: false")
			}
		}
		if me.IdempotencyKey && !r.requires(method.Params, "idempotencyKey") {
			r.add(mf, ptr+"/idempotencyKey", "idempotencyKey is true but %s $defs.params has no required idempotencyKey property", me.Schema)
		}
		if me.V2 == nil {
			if defs["paramsV2"] != nil {
				r.add(me.Schema, "/$defs/paramsV2", "not used: the manifest entry of %q has no v2.params", me.Name)
			}
			continue
		}
		if !slices.Contains(me.Protocols, 2) {
			r.add(mf, ptr+"/v2", "method %q is not in protocol 2", me.Name)
		}
		v2 := me.V2.Params
		if v2 == "" {
			r.add(mf, ptr+"/v2/params", "missing")
			continue
		}
		if v2 == "params" || v2 == "result" || defs[v2] == nil {
			r.add(mf, ptr+"/v2/params", "%q is not a separate $defs entry of %s", v2, me.Schema)
			continue
		}
		title(me.Schema, v2, stem+"ParamsV2")
		v2n := m.Defs[me.Schema+"#/$defs/"+v2]
		if v2n == nil {
			continue
		}
		method.ParamsV2 = v2n
		if !exampleDefs[v2] { // paramsV2 is checked with the file
			r.examples(me.Schema, v2n.Pointer(), v2n.Raw)
		}
		v2Props, props := properties(v2n), properties(method.Params)
		for _, from := range sortedKeys(me.V2.Rename) {
			to := me.V2.Rename[from]
			rp := ptr + "/v2/rename/" + escape(from)
			if v2Props[from] == nil {
				r.add(mf, rp, "%q is not a property of %s $defs.%s", from, me.Schema, v2)
			}
			if props[to] == nil {
				r.add(mf, rp, "%q is not a property of %s $defs.params", to, me.Schema)
			}
		}
		if method.Params == nil || !usable(v2n.Schema) || !usable(method.Params.Schema) {
			continue
		}
		if err := fitsInto(v2n, method.Params, me.V2.Rename); err == nil {
			v2n.Into, v2n.Rename = method.Params, me.V2.Rename
		} else if len(me.V2.Rename) > 0 {
			r.add(mf, ptr+"/v2", "protocol-2 params cannot decode into %s: %v", method.Params.Name, err)
		}
	}

	eventNames := map[string]bool{}
	for i, ev := range man.Events {
		ptr := fmt.Sprintf("/events/%d", i)
		switch {
		case ev.Name == "":
			r.add(mf, ptr+"/name", "missing")
			continue
		case eventNames[ev.Name]:
			r.add(mf, ptr+"/name", "event %q is listed twice", ev.Name)
		}
		eventNames[ev.Name] = true
		protocols(ptr+"/protocols", ev.Protocols)
		if ev.Scope != "" && len(eventScopes) > 0 && !contains(eventScopes, ev.Scope) {
			r.add(mf, ptr+"/scope", "scope %q is not one of %s", ev.Scope, strings.Join(eventScopes, ", "))
		}
		event := &Event{Name: ev.Name, GoName: GoMethodName(ev.Name), Protocols: ev.Protocols, Scope: ev.Scope, Targeted: ev.Targeted, File: ev.Schema}
		m.Events = append(m.Events, event)
		if ev.Droppable == nil {
			r.add(mf, ptr+"/droppable", "missing")
		} else if d, err := parseDroppable(ev.Droppable); err != nil {
			r.add(mf, ptr+"/droppable", "%v", err)
		} else {
			event.Droppable = d
		}
		defs := file(ptr, "event", ev.Name, ev.Schema)
		if defs == nil {
			continue
		}
		if defs["payload"] == nil {
			r.add(ev.Schema, "/$defs/payload", "missing (event %q)", ev.Name)
			continue
		}
		event.Payload = m.Defs[ev.Schema+"#/$defs/payload"]
		if ps := event.Payload; ps != nil && ps.Schema != nil && ps.Schema.Nullable {
			// Only a method result may be null (a "none yet" answer); an event always says something.
			r.add(ev.Schema, "/$defs/payload", "an event payload cannot be nullable")
		}
		title(ev.Schema, "payload", GoMethodName(ev.Name)+"Event")
		if d := event.Droppable; d.Property != "" || d.Values != nil {
			r.droppable(ptr+"/droppable", ev.Schema, event.Payload, d)
		}
	}

	// bridgePending: methods of the original a bridge node may call that are not
	// defined here yet. Once one is, its entry says "bridge": true instead.
	for i, name := range man.BridgePending {
		ptr := fmt.Sprintf("/bridgePending/%d", i)
		switch {
		case nameRE != nil && namePattern != "" && !nameRE.MatchString(name):
			r.add(mf, ptr, "%q does not match %s", name, namePattern)
		case methodNames[name]:
			r.add(mf, ptr, "method %q is defined: give its entry \"bridge\": true and drop it here", name)
		case slices.Index(man.BridgePending, name) != i:
			r.add(mf, ptr, "%q is listed twice", name)
		}
	}
	m.BridgePending = man.BridgePending

	// Every method and event file is in the manifest.
	for _, p := range r.paths {
		if (strings.HasPrefix(p, "methods/") || strings.HasPrefix(p, "events/")) && listed[p] == "" {
			kind := strings.TrimSuffix(p[:strings.IndexByte(p, '/')], "s")
			r.add(p, "", "not listed in manifest.json (every %s file needs a manifest entry)", kind)
		}
	}
}

func usable(s *Schema) bool { return s != nil && s.Broken == "" && Resolve(s).Kind == KindObject }

// properties returns the properties of a def by wire name, following aliases.
func properties(n *Named) map[string]*Prop {
	if n == nil || n.Schema == nil {
		return nil
	}
	out := map[string]*Prop{}
	for _, p := range Resolve(n.Schema).Props {
		out[p.JSON] = p
	}
	return out
}

// requires reports whether def n (following aliases) has a required property name.
func (r *reader) requires(n *Named, name string) bool {
	p := properties(n)[name]
	return p != nil && p.Required
}

func (r *reader) droppable(ptr, schema string, payload *Named, d Droppable) {
	const mf = ManifestFile
	if d.Property == "" {
		r.add(mf, ptr+"/property", "missing")
		return
	}
	if len(d.Values) == 0 {
		r.add(mf, ptr+"/values", "must list at least one value")
	}
	p := properties(payload)[d.Property]
	if p == nil {
		r.add(mf, ptr+"/property", "%q is not a property of %s $defs.payload", d.Property, schema)
		return
	}
	ps := p.Schema
	if ps.Kind == KindRef {
		ps = Resolve(ps)
	}
	if ps.Kind != KindString || len(ps.Enum) == 0 {
		r.add(mf, ptr+"/property", "payload property %q must be a string enum", d.Property)
		return
	}
	if !p.Required {
		r.add(mf, ptr+"/property", "payload property %q must be required (an event without it could never be dropped)", d.Property)
	}
	for i, v := range d.Values {
		if !contains(ps.Enum, v) {
			r.add(mf, fmt.Sprintf("%s/values/%d", ptr, i), "%q is not in the enum of payload property %q", v, d.Property)
		}
	}
}

// fitsInto checks that every property of v2 (after renaming) exists in canon with the
// same schema, so a v2 document can decode into the canonical Go type.
func fitsInto(v2, canon *Named, rename map[string]string) error {
	cs := Resolve(canon.Schema)
	for _, p := range Resolve(v2.Schema).Props {
		name := p.JSON
		if r, ok := rename[name]; ok {
			name = r
		}
		var cp *Prop
		for _, q := range cs.Props {
			if q.JSON == name {
				cp = q
			}
		}
		if cp == nil {
			return fmt.Errorf("property %s has no counterpart %s", p.JSON, name)
		}
		if !SameShape(p.Schema, cp.Schema) {
			return fmt.Errorf("property %s differs from %s", p.JSON, name)
		}
		// A v2-required property may be optional canonically: the Go field is a
		// pointer then, which still holds the value.
	}
	return nil
}
