package check

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Change is one breaking change: where (file#pointer, or manifest.json) and
// what.
type Change struct {
	Loc string
	Msg string
}

func (c Change) String() string { return c.Loc + ": " + c.Msg }

// Report is the result of Breaking.
type Report struct {
	Changes []Change
	// OldMax and NewMax are protocol.max of the two manifests (0 when a
	// manifest is missing).
	OldMax, NewMax int
}

// VersionBumped reports whether the new manifest raised protocol.max.
func (r *Report) VersionBumped() bool { return r.OldMax > 0 && r.NewMax > r.OldMax }

// Breaking compares two versions of the schema directory. Anything the new
// schemas reject that the old ones accepted is breaking (the same schema is
// read by servers and clients), except that new optional properties are
// fine; so are methods, events and protocol versions that were added.
func Breaking(oldFiles, newFiles Files) (*Report, error) {
	d := &differ{old: parseSet(oldFiles), new: parseSet(newFiles), seen: map[string]bool{}}
	for _, side := range []struct {
		name string
		s    *schemaSet
	}{{"old", d.old}, {"new", d.new}} {
		for _, p := range side.s.paths {
			if err := side.s.errs[p]; err != nil {
				return nil, fmt.Errorf("%s %s: %v", side.name, p, err)
			}
		}
	}
	rep := &Report{}
	om := d.manifest(d.old)
	nm := d.manifest(d.new)
	if om != nil && nm != nil {
		rep.OldMax, rep.NewMax = om.Protocol.Max, nm.Protocol.Max
		d.manifests(om, nm)
	}

	// Every $defs entry (and the config root) present on both sides.
	for _, p := range d.old.paths {
		if isMeta(p) {
			continue
		}
		if isConfig(p) {
			if nd, ok := d.new.docs[p]; ok {
				d.compare(p, "", d.old.docs[p], p, "", nd, p+"#")
			} else {
				d.add(p, "config schema removed")
			}
		}
		odefs, ndefs := d.old.defsOf(p), d.new.defsOf(p)
		for _, k := range sortedKeys(odefs) {
			ptr := "/$defs/" + escape(k)
			nv, ok := ndefs[k]
			if !ok {
				if strings.HasPrefix(p, "frames/") {
					d.add(p+"#"+ptr, "frame definition removed")
				}
				// Other removed defs break only where they were used, which
				// the comparison of the users (and the manifest) reports.
				continue
			}
			d.compare(p, ptr, odefs[k], p, ptr, nv, p+"#"+ptr)
		}
	}

	sort.Slice(d.changes, func(i, j int) bool {
		a, b := d.changes[i], d.changes[j]
		if a.Loc != b.Loc {
			return a.Loc < b.Loc
		}
		return a.Msg < b.Msg
	})
	rep.Changes = slices.Compact(d.changes)
	return rep, nil
}

type differ struct {
	old, new *schemaSet
	changes  []Change
	seen     map[string]bool // location pairs already compared
	note     string          // appended to messages
}

func (d *differ) add(loc, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if d.note != "" {
		msg += " (" + d.note + ")"
	}
	d.changes = append(d.changes, Change{loc, msg})
}

func (d *differ) manifest(s *schemaSet) *Manifest {
	doc, ok := s.docs[ManifestFile]
	if !ok {
		return nil
	}
	raw := []byte(jsonText(doc))
	m, err := ParseManifest(raw)
	if err != nil {
		return nil
	}
	return m
}

func (d *differ) manifests(om, nm *Manifest) {
	const mf = ManifestFile
	if nm.Protocol.Min > om.Protocol.Min {
		d.add(mf, "protocol.min raised from %d to %d", om.Protocol.Min, nm.Protocol.Min)
	}
	if nm.Protocol.Max < om.Protocol.Max {
		d.add(mf, "protocol.max lowered from %d to %d", om.Protocol.Max, nm.Protocol.Max)
	}
	methods := map[string]Method{}
	for _, m := range nm.Methods {
		methods[m.Name] = m
	}
	for _, o := range om.Methods {
		n, ok := methods[o.Name]
		if !ok {
			d.add(mf, "method %q removed", o.Name)
			continue
		}
		for _, p := range o.Protocols {
			if !slices.Contains(n.Protocols, p) {
				d.add(mf, "method %q: protocol %d removed", o.Name, p)
				continue
			}
			d.root(o.Schema, o.ParamsDef(p), n.Schema, n.ParamsDef(p), fmt.Sprintf("protocol %d params of method %q", p, o.Name))
		}
		d.root(o.Schema, "result", n.Schema, "result", fmt.Sprintf("result of method %q", o.Name))
	}
	events := map[string]Event{}
	for _, e := range nm.Events {
		events[e.Name] = e
	}
	for _, o := range om.Events {
		n, ok := events[o.Name]
		if !ok {
			d.add(mf, "event %q removed", o.Name)
			continue
		}
		for _, p := range o.Protocols {
			if !slices.Contains(n.Protocols, p) {
				d.add(mf, "event %q: protocol %d removed", o.Name, p)
			}
		}
		d.root(o.Schema, "payload", n.Schema, "payload", fmt.Sprintf("payload of event %q", o.Name))
	}
}

// root compares the def a method or event used with the one it uses now,
// when they live at different places (same place: compared with the file).
func (d *differ) root(of, ok, nf, nk, what string) {
	ov := d.old.defsOf(of)[ok]
	if ov == nil {
		return
	}
	nptr := "/$defs/" + escape(nk)
	nv := d.new.defsOf(nf)[nk]
	if nv == nil {
		d.add(nf+"#"+nptr, "removed: the %s was %s#/$defs/%s", what, of, escape(ok))
		return
	}
	if of == nf && ok == nk {
		return
	}
	d.note = fmt.Sprintf("%s, was %s#/$defs/%s", what, of, escape(ok))
	d.compare(of, "/$defs/"+escape(ok), ov, nf, nptr, nv, nf+"#"+nptr)
	d.note = ""
}

// covered reports whether a location lies inside a def that is compared on
// its own (present in the same file on both sides).
func (d *differ) covered(file, ptr string) bool {
	toks := splitPtr(ptr)
	if len(toks) >= 2 && toks[0] == "$defs" {
		return d.old.defsOf(file)[toks[1]] != nil && d.new.defsOf(file)[toks[1]] != nil
	}
	if isConfig(file) {
		return d.old.docs[file] != nil && d.new.docs[file] != nil
	}
	return false
}

func asSchema(v any) map[string]any {
	if v == true {
		return map[string]any{}
	}
	m, _ := v.(map[string]any)
	return m
}

// compare reports what the new schema at (nf, np) rejects that the old one
// at (of, op) accepted, under the label (file#pointer) of the new side.
func (d *differ) compare(of, op string, ov any, nf, np string, nv any, label string) {
	om, nm := asSchema(ov), asSchema(nv)
	if om == nil || nm == nil {
		return
	}
	oref, _ := om["$ref"].(string)
	nref, _ := nm["$ref"].(string)
	if oref != "" && nref != "" {
		otf, otp, err1 := refTarget(of, oref)
		ntf, ntp, err2 := refTarget(nf, nref)
		if err1 == nil && err2 == nil && otf == ntf && otp == ntp && d.covered(ntf, ntp) {
			return // the target is compared on its own
		}
	}
	start := of + "#" + op + "|" + nf + "#" + np
	of, op, om, err := d.old.deref(of, op, om)
	if err != nil {
		return
	}
	nf, np, nm, err = d.new.deref(nf, np, nm)
	if err != nil {
		d.add(label, "%v", err)
		return
	}
	key := of + "#" + op + "|" + nf + "#" + np
	if d.seen[key] {
		return
	}
	d.seen[key] = true

	os, ns := d.shape(d.old, of, op, om), d.shape(d.new, nf, np, nm)
	if ns.any {
		return
	}
	if os.any {
		d.add(label, "type changed from any to %s", ns)
		return
	}
	for t := range os.types {
		if !ns.types[t] && !(t == "integer" && ns.types["number"]) {
			d.add(label, "type changed from %s to %s", os, ns)
			return
		}
	}
	// Both sides lead (through $ref or a nullable anyOf) to the same def,
	// which is compared on its own.
	if os.file == ns.file && os.ptr == ns.ptr && d.covered(ns.file, ns.ptr) &&
		os.file+"#"+os.ptr+"|"+ns.file+"#"+ns.ptr != start {
		return
	}
	lbl := label + ns.sub
	if len(os.union) > 0 || len(ns.union) > 0 {
		d.unions(os, ns, lbl)
		return
	}
	o, n := os.node, ns.node
	both := func(ts ...string) bool {
		for _, t := range ts {
			if os.types[t] && (ns.types[t] || t == "integer" && ns.types["number"]) {
				return true
			}
		}
		return false
	}
	if both("string") {
		d.values(o, n, lbl)
		d.lower(o, n, "minLength", lbl)
		d.upper(o, n, "maxLength", lbl)
		if np, _ := n["pattern"].(string); np != "" {
			if op, _ := o["pattern"].(string); op == "" {
				d.add(lbl, "pattern %q added", np)
			} else if op != np {
				d.add(lbl, "pattern changed from %q to %q", op, np)
			}
		}
	}
	if both("integer", "number") {
		d.lower(o, n, "minimum", lbl)
		d.upper(o, n, "maximum", lbl)
	}
	if both("array") {
		d.lower(o, n, "minItems", lbl)
		d.upper(o, n, "maxItems", lbl)
		if o["items"] != nil && n["items"] != nil {
			d.compare(os.file, os.ptr+"/items", o["items"], ns.file, ns.ptr+"/items", n["items"], lbl+"/items")
		}
	}
	if both("object") {
		d.objects(os, ns, lbl)
	}
}

type member struct {
	file, ptr string
	node      map[string]any
}

// shape is a schema reduced to the value types it accepts and the node that
// holds its constraints.
type shape struct {
	any   bool
	types map[string]bool
	file  string
	ptr   string
	node  map[string]any
	sub   string   // pointer suffix of node below the labelled location
	union []member // oneOf members
}

func (sh shape) String() string {
	if sh.any {
		return "any"
	}
	var ts []string
	for t := range sh.types {
		if t != "null" {
			if t == "object" && len(sh.union) > 0 {
				t = "oneOf"
			}
			ts = append(ts, t)
		}
	}
	sort.Strings(ts)
	if sh.types["null"] {
		ts = append(ts, "null")
	}
	if len(ts) == 1 {
		return ts[0]
	}
	return "[" + strings.Join(ts, ",") + "]"
}

func (d *differ) shape(s *schemaSet, file, ptr string, m map[string]any) shape {
	sh := shape{types: map[string]bool{}, file: file, ptr: ptr, node: m}
	if arr, ok := m["anyOf"].([]any); ok && len(arr) == 2 {
		f, p, inner, err := s.deref(file, ptr+"/anyOf/0", arr[0])
		if err != nil {
			sh.any = true
			return sh
		}
		in := d.shape(s, f, p, inner)
		if in.any {
			return in
		}
		in.types["null"] = true
		if _, isRef := asSchema(arr[0])["$ref"]; !isRef {
			in.sub = "/anyOf/0" + in.sub
		}
		return in
	}
	if arr, ok := m["oneOf"].([]any); ok {
		for i, e := range arr {
			f, p, n, err := s.deref(file, ptr+"/oneOf/"+strconv.Itoa(i), e)
			if err == nil {
				sh.union = append(sh.union, member{f, p, n})
			}
		}
		sh.types["object"] = true
		return sh
	}
	switch t := m["type"].(type) {
	case string:
		sh.types[t] = true
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				sh.types[s] = true
			}
		}
	default:
		if m["enum"] != nil || m["const"] != nil {
			sh.types["string"] = true
		} else {
			sh.any = true
		}
	}
	return sh
}

// allowed returns the values a string schema is limited to, and by what.
func allowed(m map[string]any) ([]string, string) {
	if c, ok := m["const"].(string); ok {
		return []string{c}, "const"
	}
	if arr, ok := m["enum"].([]any); ok {
		var vals []string
		for _, e := range arr {
			if s, ok := e.(string); ok {
				vals = append(vals, s)
			}
		}
		return vals, "enum"
	}
	return nil, ""
}

func (d *differ) values(o, n map[string]any, lbl string) {
	ov, ok := allowed(o)
	nv, nk := allowed(n)
	switch {
	case nk == "":
		return
	case ok == "" && nk == "const":
		d.add(lbl, "const %q added", nv[0])
		return
	case ok == "":
		d.add(lbl, "enum added (%s)", strings.Join(nv, ", "))
		return
	}
	for _, v := range ov {
		if slices.Contains(nv, v) {
			continue
		}
		if ok == "const" && nk == "const" {
			d.add(lbl, "const changed from %q to %q", v, nv[0])
		} else {
			d.add(lbl, "enum value %q removed", v)
		}
	}
}

// lower reports a raised lower bound (minLength, minItems, minimum).
func (d *differ) lower(o, n map[string]any, key, lbl string) {
	nv, nok := num(n[key])
	if !nok {
		return
	}
	ov, ook := num(o[key])
	switch {
	case ook && nv <= ov:
	case !ook && key != "minimum" && nv <= 0:
	case ook:
		d.add(lbl, "%s increased from %s to %s", key, jsonText(o[key]), jsonText(n[key]))
	default:
		d.add(lbl, "%s set to %s", key, jsonText(n[key]))
	}
}

// upper reports a lowered upper bound (maxLength, maxItems, maximum).
func (d *differ) upper(o, n map[string]any, key, lbl string) {
	nv, nok := num(n[key])
	if !nok {
		return
	}
	ov, ook := num(o[key])
	switch {
	case ook && nv >= ov:
	case ook:
		d.add(lbl, "%s decreased from %s to %s", key, jsonText(o[key]), jsonText(n[key]))
	default:
		d.add(lbl, "%s set to %s", key, jsonText(n[key]))
	}
}

func (d *differ) objects(os, ns shape, lbl string) {
	o, n := os.node, ns.node
	oap, nap := o["additionalProperties"], n["additionalProperties"]
	if oap == nil {
		oap = true // JSON Schema's default: open
	}
	if nap == nil {
		nap = true
	}
	oClosed, nClosed := oap == false, nap == false
	switch {
	case !oClosed && nClosed:
		was := "a map"
		if oap == true {
			was = "open"
		}
		d.add(lbl, "additionalProperties closed (was %s)", was)
		return
	case !oClosed && !nClosed:
		d.compare(os.file, os.ptr+"/additionalProperties", oap, ns.file, ns.ptr+"/additionalProperties", nap, lbl+"/additionalProperties")
	}
	oprops, _ := o["properties"].(map[string]any)
	nprops, _ := n["properties"].(map[string]any)
	oreq, nreq := requiredSet(o), requiredSet(n)
	for _, k := range sortedKeys(oprops) {
		pl := lbl + "/properties/" + escape(k)
		sub := "/properties/" + escape(k)
		nv, ok := nprops[k]
		if !ok {
			if nClosed {
				d.add(pl, "property removed")
			} else {
				d.compare(os.file, os.ptr+sub, oprops[k], ns.file, ns.ptr+"/additionalProperties", nap, pl)
			}
			continue
		}
		if !oreq[k] && nreq[k] {
			d.add(pl, "optional property made required")
		}
		d.compare(os.file, os.ptr+sub, oprops[k], ns.file, ns.ptr+sub, nv, pl)
	}
	for _, k := range sortedKeys(nprops) {
		if _, ok := oprops[k]; !ok && nreq[k] {
			d.add(lbl+"/properties/"+escape(k), "new required property")
		}
	}
}

// discriminator finds the required const property the members share.
func discriminator(members []member) string {
	var cands []string
	for i, m := range members {
		props, _ := m.node["properties"].(map[string]any)
		req := requiredSet(m.node)
		var here []string
		for _, k := range sortedKeys(props) {
			pm, _ := props[k].(map[string]any)
			if _, ok := pm["const"].(string); ok && req[k] {
				here = append(here, k)
			}
		}
		if i == 0 {
			cands = here
		} else {
			cands = intersect(cands, here)
		}
	}
	if len(cands) == 0 {
		return ""
	}
	return cands[0]
}

func constOf(m member, prop string) string {
	props, _ := m.node["properties"].(map[string]any)
	pm, _ := props[prop].(map[string]any)
	c, _ := pm["const"].(string)
	return c
}

func (m member) name() string {
	if t, ok := m.node["title"].(string); ok {
		return t
	}
	return m.file + "#" + m.ptr
}

func (d *differ) unions(os, ns shape, lbl string) {
	switch {
	case len(os.union) > 0 && len(ns.union) > 0:
		disc := discriminator(os.union)
		newDisc := discriminator(ns.union)
		for _, ob := range os.union {
			idx := slices.IndexFunc(ns.union, func(nb member) bool { return nb.file == ob.file && nb.ptr == ob.ptr })
			if idx < 0 && disc != "" && disc == newDisc {
				idx = slices.IndexFunc(ns.union, func(nb member) bool { return constOf(nb, disc) == constOf(ob, disc) })
			}
			if idx < 0 {
				d.add(lbl, "union member %s removed", ob.name())
				continue
			}
			nb := ns.union[idx]
			if nb.file == ob.file && nb.ptr == ob.ptr && d.covered(nb.file, nb.ptr) {
				continue
			}
			d.compare(ob.file, ob.ptr, ob.node, nb.file, nb.ptr, nb.node, lbl+"/oneOf/"+strconv.Itoa(idx))
		}
	case len(os.union) > 0:
		for _, ob := range os.union {
			d.compare(ob.file, ob.ptr, ob.node, ns.file, ns.ptr, ns.node, lbl)
		}
	default:
		for _, nb := range ns.union {
			trial := &differ{old: d.old, new: d.new, seen: map[string]bool{}}
			trial.compare(os.file, os.ptr, os.node, nb.file, nb.ptr, nb.node, lbl)
			if len(trial.changes) == 0 {
				return
			}
		}
		d.add(lbl, "type changed from object to a union none of whose members accepts every old value")
	}
}
