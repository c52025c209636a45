package check

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/clawgate/gateway/tools/protogen/model"
)

// Change is one breaking change: where (file#pointer, or manifest.json) and what.
type Change struct {
	Loc string
	Msg string
}

func (c Change) String() string { return c.Loc + ": " + c.Msg }

// Report is the result of Breaking.
type Report struct {
	Changes []Change
	// OldMax and NewMax are protocol.max of the two manifests (0 when a manifest is
	// missing).
	OldMax, NewMax int
}

// VersionBumped reports whether the new manifest raised protocol.max.
func (r *Report) VersionBumped() bool { return r.OldMax > 0 && r.NewMax > r.OldMax }

// Breaking reads two versions of the schema directory with the model and compares
// them (Compare). Only files that are not well-formed JSON make it fail; other
// problems are lint's business.
func Breaking(oldFiles, newFiles Files) (*Report, error) {
	om, _ := model.Read(oldFiles)
	nm, _ := model.Read(newFiles)
	return Compare(om, nm)
}

// Compare reports what the new model rejects that the old one accepted: anything is
// breaking (the same schema is read by servers and clients), except that new optional
// properties are fine; so are methods, events and protocol versions that were added.
func Compare(om, nm *model.Model) (*Report, error) {
	for _, side := range []struct {
		name string
		m    *model.Model
	}{{"old", om}, {"new", nm}} {
		for _, p := range sortedKeys(side.m.Unreadable) {
			return nil, fmt.Errorf("%s %s: %v", side.name, p, side.m.Unreadable[p])
		}
	}
	d := &differ{old: om, new: nm, seen: map[[2]*model.Schema]bool{}}
	rep := &Report{}
	if om.Manifest != nil && nm.Manifest != nil {
		rep.OldMax, rep.NewMax = om.Manifest.Protocol.Max, nm.Manifest.Protocol.Max
		d.manifests(om.Manifest, nm.Manifest)
	}
	// Every def (and the config root) present on both sides.
	for _, ref := range sortedKeys(om.Defs) {
		o := om.Defs[ref]
		if n := nm.Defs[ref]; n != nil {
			d.compare(o.Schema, n.Schema, n.File+"#"+n.Pointer())
			continue
		}
		switch {
		case o.Key == "":
			d.add(o.File, "config schema removed")
		case strings.HasPrefix(o.File, "frames/"):
			d.add(o.File+"#"+o.Pointer(), "frame definition removed")
		}
		// Other removed defs break only where they were used, which the comparison
		// of the users (and the manifest) reports.
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
	old, new *model.Model
	changes  []Change
	seen     map[[2]*model.Schema]bool // body pairs already compared
	note     string                    // appended to messages
}

func (d *differ) add(loc, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if d.note != "" {
		msg += " (" + d.note + ")"
	}
	d.changes = append(d.changes, Change{loc, msg})
}

func (d *differ) manifests(om, nm *model.Manifest) {
	const mf = model.ManifestFile
	if nm.Protocol.Min > om.Protocol.Min {
		d.add(mf, "protocol.min raised from %d to %d", om.Protocol.Min, nm.Protocol.Min)
	}
	if nm.Protocol.Max < om.Protocol.Max {
		d.add(mf, "protocol.max lowered from %d to %d", om.Protocol.Max, nm.Protocol.Max)
	}
	methods := map[string]model.ManifestMethod{}
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
	events := map[string]model.ManifestEvent{}
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

// root compares the def a method or event used with the one it uses now, when they
// live at different places (same place: compared with the defs).
func (d *differ) root(of, ok, nf, nk, what string) {
	ov := d.old.Defs[of+"#/$defs/"+ok]
	if ov == nil {
		return
	}
	nv := d.new.Defs[nf+"#/$defs/"+nk]
	if nv == nil {
		d.add(nf+"#/$defs/"+nk, "removed: the %s was %s#/$defs/%s", what, of, ok)
		return
	}
	if of == nf && ok == nk {
		return
	}
	d.note = fmt.Sprintf("%s, was %s#/$defs/%s", what, of, ok)
	d.compare(ov.Schema, nv.Schema, nv.File+"#"+nv.Pointer())
	d.note = ""
}

// covered reports whether a def is compared on its own (present on both sides).
func (d *differ) covered(n *model.Named) bool {
	return n != nil && !n.Inline && d.old.Defs[n.Ref()] != nil && d.new.Defs[n.Ref()] != nil
}

// body follows refs from s to the node that holds the constraints. It returns that
// node, whether anything on the way was nullable, and the pointer suffix of the body
// below s's location when s is the first branch of a nullable anyOf.
func body(s *model.Schema) (b *model.Schema, nullable bool, sub string) {
	if s.Kind != model.KindRef && strings.HasSuffix(s.Pointer, "/anyOf/0") {
		sub = "/anyOf/0"
	}
	nullable = s.Nullable
	for i := 0; s.Kind == model.KindRef && s.Ref != nil && i < 32; i++ {
		s = s.Ref.Schema
		nullable = nullable || s.Nullable
	}
	return s, nullable, sub
}

// shape is a schema reduced to the value types it accepts.
type shape struct {
	any   bool
	types map[string]bool
	union bool
}

func shapeOf(s *model.Schema, nullable bool) shape {
	sh := shape{types: map[string]bool{}}
	switch s.Kind {
	case model.KindAny:
		sh.any = true
		return sh
	case model.KindString:
		sh.types["string"] = true
	case model.KindInt:
		sh.types["integer"] = true
	case model.KindNumber:
		sh.types["number"] = true
	case model.KindBool:
		sh.types["boolean"] = true
	case model.KindObject, model.KindMap:
		sh.types["object"] = true
	case model.KindUnion:
		sh.types["object"], sh.union = true, true
	case model.KindArray:
		sh.types["array"] = true
	case model.KindNull:
		sh.types["null"] = true
	}
	if nullable {
		sh.types["null"] = true
	}
	return sh
}

func (sh shape) String() string {
	if sh.any {
		return "any"
	}
	var ts []string
	for t := range sh.types {
		if t != "null" {
			if t == "object" && sh.union {
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

// compare reports what the new schema n rejects that the old one o accepted, under
// the label (file#pointer) of the new side.
func (d *differ) compare(o, n *model.Schema, label string) {
	if o == nil || n == nil || o.Broken != "" {
		return
	}
	if n.Broken != "" {
		d.add(label, "%s", n.Broken)
		return
	}
	if o.Kind == model.KindRef && n.Kind == model.KindRef && !o.Nullable && !n.Nullable &&
		o.Ref.Ref() == n.Ref.Ref() && d.covered(n.Ref) {
		return // the target is compared on its own
	}
	ob, onull, _ := body(o)
	nb, nnull, sub := body(n)
	if ob.Broken != "" {
		return
	}
	if nb.Broken != "" {
		d.add(label, "%s", nb.Broken)
		return
	}
	// A nullable ref is keyed by where it is (its null-ness is checked there); other
	// nodes by the bodies they lead to, which stops recursion through types.
	key := [2]*model.Schema{ob, nb}
	if onull && o.Kind == model.KindRef || nnull && n.Kind == model.KindRef {
		key = [2]*model.Schema{o, n}
	}
	if d.seen[key] {
		return
	}
	d.seen[key] = true

	os, ns := shapeOf(ob, onull), shapeOf(nb, nnull)
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
	// Both sides lead (through $ref or a nullable anyOf) to the same def, which is
	// compared on its own.
	if ob.Named != nil && nb.Named != nil && ob.Named.Ref() == nb.Named.Ref() && d.covered(nb.Named) && (ob != o || nb != n) {
		return
	}
	lbl := label + sub
	if os.union || ns.union {
		d.unions(ob, nb, lbl)
		return
	}
	both := func(ts ...string) bool {
		for _, t := range ts {
			if os.types[t] && (ns.types[t] || t == "integer" && ns.types["number"]) {
				return true
			}
		}
		return false
	}
	if both("string") {
		d.values(ob, nb, lbl)
		d.lower(intBound(ob.MinLength), intBound(nb.MinLength), "minLength", lbl)
		d.upper(intBound(ob.MaxLength), intBound(nb.MaxLength), "maxLength", lbl)
		if nb.Pattern != "" {
			if ob.Pattern == "" {
				d.add(lbl, "pattern %q added", nb.Pattern)
			} else if ob.Pattern != nb.Pattern {
				d.add(lbl, "pattern changed from %q to %q", ob.Pattern, nb.Pattern)
			}
		}
	}
	if both("integer", "number") {
		d.lower(ob.Minimum, nb.Minimum, "minimum", lbl)
		d.upper(ob.Maximum, nb.Maximum, "maximum", lbl)
	}
	if both("array") {
		d.lower(intBound(ob.MinItems), intBound(nb.MinItems), "minItems", lbl)
		d.upper(intBound(ob.MaxItems), intBound(nb.MaxItems), "maxItems", lbl)
		d.compare(ob.Items, nb.Items, lbl+"/items")
	}
	if both("object") {
		d.objects(ob, nb, lbl)
	}
}

func intBound(p *int) *float64 {
	if p == nil {
		return nil
	}
	f := float64(*p)
	return &f
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// allowed returns the values a string schema is limited to, and by what.
func allowed(s *model.Schema) ([]string, string) {
	if s.Const != nil {
		return []string{*s.Const}, "const"
	}
	if len(s.Enum) > 0 {
		return s.Enum, "enum"
	}
	return nil, ""
}

func (d *differ) values(o, n *model.Schema, lbl string) {
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
func (d *differ) lower(o, n *float64, key, lbl string) {
	switch {
	case n == nil:
	case o != nil && *n <= *o:
	case o == nil && key != "minimum" && *n <= 0:
	case o != nil:
		d.add(lbl, "%s increased from %s to %s", key, fmtNum(*o), fmtNum(*n))
	default:
		d.add(lbl, "%s set to %s", key, fmtNum(*n))
	}
}

// upper reports a lowered upper bound (maxLength, maxItems, maximum).
func (d *differ) upper(o, n *float64, key, lbl string) {
	switch {
	case n == nil:
	case o != nil && *n >= *o:
	case o != nil:
		d.add(lbl, "%s decreased from %s to %s", key, fmtNum(*o), fmtNum(*n))
	default:
		d.add(lbl, "%s set to %s", key, fmtNum(*n))
	}
}

func (d *differ) objects(o, n *model.Schema, lbl string) {
	oClosed, nClosed := o.Kind == model.KindObject, n.Kind == model.KindObject
	switch {
	case !oClosed && nClosed:
		was := "a map"
		if o.Open {
			was = "open"
		}
		d.add(lbl, "additionalProperties closed (was %s)", was)
		return
	case !oClosed && !nClosed:
		d.compare(o.Values, n.Values, lbl+"/additionalProperties")
	}
	nprops := map[string]*model.Prop{}
	for _, p := range n.Props {
		nprops[p.JSON] = p
	}
	oprops := map[string]bool{}
	for _, op := range o.Props {
		oprops[op.JSON] = true
		pl := lbl + "/properties/" + escape(op.JSON)
		np, ok := nprops[op.JSON]
		if !ok {
			if nClosed {
				d.add(pl, "property removed")
			} else {
				d.compare(op.Schema, n.Values, pl)
			}
			continue
		}
		if !op.Required && np.Required {
			d.add(pl, "optional property made required")
		}
		d.compare(op.Schema, np.Schema, pl)
	}
	for _, np := range n.Props {
		if !oprops[np.JSON] && np.Required {
			d.add(lbl+"/properties/"+escape(np.JSON), "new required property")
		}
	}
}

func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// member is a union member: the body of the def it names.
type member struct{ *model.Named }

func members(s *model.Schema) []member {
	var out []member
	for _, v := range s.Variants {
		b, _, _ := body(v.Schema)
		if b.Named == nil {
			b.Named = v
		}
		out = append(out, member{b.Named})
	}
	return out
}

func (m member) name() string {
	if m.Name != "" {
		return m.Name
	}
	return m.File + "#" + m.Pointer()
}

func (d *differ) unions(o, n *model.Schema, lbl string) {
	switch {
	case o.Kind == model.KindUnion && n.Kind == model.KindUnion:
		om, nm := members(o), members(n)
		for _, ob := range om {
			idx := slices.IndexFunc(nm, func(nb member) bool { return nb.Ref() == ob.Ref() })
			if idx < 0 && o.Discriminator != "" && o.Discriminator == n.Discriminator {
				idx = slices.IndexFunc(nm, func(nb member) bool {
					return model.DiscriminatorValue(nb.Named, n.Discriminator) == model.DiscriminatorValue(ob.Named, o.Discriminator)
				})
			}
			if idx < 0 {
				d.add(lbl, "union member %s removed", ob.name())
				continue
			}
			nb := nm[idx]
			if nb.Ref() == ob.Ref() && d.covered(nb.Named) {
				continue
			}
			d.compare(ob.Schema, nb.Schema, lbl+"/oneOf/"+strconv.Itoa(idx))
		}
	case o.Kind == model.KindUnion:
		for _, ob := range members(o) {
			d.compare(ob.Schema, n, lbl)
		}
	default:
		for _, nb := range members(n) {
			trial := &differ{old: d.old, new: d.new, seen: map[[2]*model.Schema]bool{}}
			trial.compare(o, nb.Schema, lbl)
			if len(trial.changes) == 0 {
				return
			}
		}
		d.add(lbl, "type changed from object to a union none of whose members accepts every old value")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
