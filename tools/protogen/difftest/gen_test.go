package difftest

import (
	"math"
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/clawgate/gateway/tools/protogen/model"
)

// The documents of the differential test are JSON values built as a small AST
// (so objects keep a chosen key order and numbers keep their spelling):
//
//	nil, bool, num (a JSON number literal), string, []any, *object

type num string

type object struct {
	keys []string
	vals []any
}

func (o *object) get(k string) (any, bool) {
	for i, key := range o.keys {
		if key == k {
			return o.vals[i], true
		}
	}
	return nil, false
}

func (o *object) set(k string, v any) {
	for i, key := range o.keys {
		if key == k {
			o.vals[i] = v
			return
		}
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

func (o *object) del(i int) {
	o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i:i], o.vals[i+1:]...)
}

// clone deep-copies a value.
func clone(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = clone(e)
		}
		return out
	case *object:
		out := &object{keys: append([]string(nil), x.keys...), vals: make([]any, len(x.vals))}
		for i, e := range x.vals {
			out.vals[i] = clone(e)
		}
		return out
	}
	return v
}

// encoder writes the AST as JSON, with randomly chosen but always valid
// spellings: optional whitespace and \u escapes of any character.
type encoder struct {
	r      *rand.Rand
	space  bool // sprinkle whitespace
	escape int  // escape one non-ASCII character in `escape` (0: never)
}

func (e *encoder) encode(v any) []byte {
	return e.append(nil, v)
}

func (e *encoder) ws(b []byte) []byte {
	if e.space && e.r.IntN(3) == 0 {
		b = append(b, " \n\t\r  "[e.r.IntN(6)])
	}
	return b
}

func (e *encoder) append(b []byte, v any) []byte {
	b = e.ws(b)
	switch x := v.(type) {
	case nil:
		b = append(b, "null"...)
	case bool:
		b = strconv.AppendBool(b, x)
	case num:
		b = append(b, x...)
	case string:
		b = e.appendString(b, x)
	case []any:
		b = append(b, '[')
		for i, el := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.append(b, el)
		}
		b = e.ws(b)
		b = append(b, ']')
	case *object:
		b = append(b, '{')
		for i, k := range x.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.ws(b)
			b = e.appendString(b, k)
			b = e.ws(b)
			b = append(b, ':')
			b = e.append(b, x.vals[i])
		}
		b = e.ws(b)
		b = append(b, '}')
	default:
		panic("encode: unexpected value")
	}
	return e.ws(b)
}

func (e *encoder) appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	u4 := func(b []byte, r rune) []byte {
		return append(b, '\\', 'u', hex[r>>12&0xF], hex[r>>8&0xF], hex[r>>4&0xF], hex[r&0xF])
	}
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = u4(b, r)
		case e.escape > 0 && (r >= utf8.RuneSelf || r == '/') && e.r.IntN(e.escape) == 0:
			if r == '/' {
				b = append(b, '\\', '/')
			} else if r > 0xFFFF {
				r -= 0x10000
				b = u4(u4(b, 0xD800+r>>10), 0xDC00+r&0x3FF)
			} else {
				b = u4(b, r)
			}
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// Characters strings are made of: ASCII and 2-, 3- and 4-byte UTF-8, a
// combining mark, characters that must or may be escaped.
var runePool = []rune("abcxyzABZ019 -_.:/+@~" + "é" + "ß" + "€" + "日本" + "😀🎉" + "\u0301" + "\"\\\t\n" + "\u2028" + "\u007f" + "\u00a0")

// generator produces instances of the model's schemas. They are meant to be
// valid; whether they are is for the oracle to say.
type generator struct {
	r        *rand.Rand
	patterns map[string]*regexp.Regexp
}

func newGenerator(seed uint64) *generator {
	return &generator{r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), patterns: map[string]*regexp.Regexp{}}
}

func (g *generator) chance(n int) bool { return g.r.IntN(n) == 0 }

func (g *generator) value(s *model.Schema, depth int) any {
	if s.Nullable && g.chance(6) {
		return nil
	}
	switch s.Kind {
	case model.KindRef:
		return g.value(s.Ref.Schema, depth)
	case model.KindUnion:
		v := s.Variants[g.r.IntN(len(s.Variants))]
		return g.value(v.Schema, depth)
	case model.KindObject:
		o := &object{}
		for _, p := range s.Props {
			if p.Required || (depth < 8 && g.chance(2)) {
				o.set(p.JSON, g.value(p.Schema, depth+1))
			}
		}
		g.r.Shuffle(len(o.keys), func(i, j int) {
			o.keys[i], o.keys[j] = o.keys[j], o.keys[i]
			o.vals[i], o.vals[j] = o.vals[j], o.vals[i]
		})
		return o
	case model.KindMap:
		o := &object{}
		n := g.r.IntN(4)
		if depth >= 8 {
			n = 0
		}
		for range n {
			o.set(g.randString(0, 6), g.value(s.Values, depth+1))
		}
		return o
	case model.KindArray:
		lo, hi := 0, 4
		if s.MinItems != nil {
			lo = *s.MinItems
			hi = lo + 4
		}
		if s.MaxItems != nil {
			hi = min(hi, *s.MaxItems)
		}
		n := lo
		if depth < 8 && hi > lo {
			n = lo + g.r.IntN(hi-lo+1)
		}
		a := make([]any, n)
		for i := range a {
			a[i] = g.value(s.Items, depth+1)
		}
		return a
	case model.KindString:
		return g.stringValue(s)
	case model.KindInt:
		return g.intValue(s)
	case model.KindNumber:
		return g.numberValue(s)
	case model.KindBool:
		return g.chance(2)
	case model.KindNull:
		return nil
	case model.KindAny:
		return g.anyValue(depth)
	}
	panic("generator: unexpected kind")
}

func (g *generator) stringValue(s *model.Schema) any {
	if s.Const != nil {
		return *s.Const
	}
	if len(s.Enum) > 0 {
		return s.Enum[g.r.IntN(len(s.Enum))]
	}
	lo, hi := 0, 12
	if s.MinLength != nil {
		lo = *s.MinLength
		hi = max(hi, lo+12)
	}
	if s.MaxLength != nil {
		hi = *s.MaxLength
	}
	if s.Pattern != "" {
		re := g.patterns[s.Pattern]
		if re == nil {
			re = regexp.MustCompile(s.Pattern)
			g.patterns[s.Pattern] = re
		}
		for range 20 {
			x := g.fromPattern(s.Pattern)
			if n := utf8.RuneCountInString(x); n >= lo && n <= hi && re.MatchString(x) {
				return x
			}
		}
	}
	// Lengths at the bounds half the time: that is where code points and
	// bytes differ.
	n := lo
	switch {
	case g.chance(2):
		if g.chance(2) {
			n = hi
		}
	default:
		n = lo + g.r.IntN(hi-lo+1)
	}
	return g.randRunes(n)
}

func (g *generator) randString(lo, hi int) string {
	return g.randRunes(lo + g.r.IntN(hi-lo+1))
}

func (g *generator) randRunes(n int) string {
	var sb strings.Builder
	ascii := g.chance(3)
	for range n {
		if ascii {
			sb.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789"[g.r.IntN(36)])
			continue
		}
		sb.WriteRune(runePool[g.r.IntN(len(runePool))])
	}
	return sb.String()
}

// intBounds returns the integer range of s, as int64.
func intBounds(s *model.Schema) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if s.Minimum != nil {
		lo = clampInt(math.Ceil(*s.Minimum))
	}
	if s.Maximum != nil {
		hi = clampInt(math.Floor(*s.Maximum))
	}
	return lo, hi
}

func clampInt(f float64) int64 {
	switch {
	case f <= math.MinInt64:
		return math.MinInt64
	case f >= math.MaxInt64:
		return math.MaxInt64
	}
	return int64(f)
}

func (g *generator) intValue(s *model.Schema) any {
	lo, hi := intBounds(s)
	if lo > hi {
		return num("0")
	}
	// Candidates: the bounds and their neighbours, zero, small and large values.
	pick := func() int64 {
		switch g.r.IntN(8) {
		case 0:
			return lo
		case 1:
			return hi
		case 2:
			if lo < hi {
				return lo + 1
			}
			return lo
		case 3:
			if lo < hi {
				return hi - 1
			}
			return hi
		case 4:
			return 0
		case 5:
			return int64(g.r.IntN(1000)) - 500
		case 6:
			return 1_767_225_600_000 + int64(g.r.IntN(1e6)) // a timestamp in ms
		}
		return int64(g.r.Uint64())
	}
	v := pick()
	if v < lo || v > hi {
		// Stay within range: a span may exceed int64, so offset via uint64.
		span := uint64(hi) - uint64(lo)
		if span == math.MaxUint64 {
			v = int64(g.r.Uint64())
		} else {
			v = int64(uint64(lo) + g.r.Uint64N(span+1))
		}
	}
	return num(g.spellInt(v))
}

// spellInt writes v in one of the spellings JSON Schema counts as an integer.
func (g *generator) spellInt(v int64) string {
	s := strconv.FormatInt(v, 10)
	switch g.r.IntN(10) {
	case 0:
		return s + ".0"
	case 1:
		return s + "e0"
	case 2:
		if v != 0 && v%100 == 0 && v > math.MinInt64 {
			return strconv.FormatInt(v/100, 10) + "E+2"
		}
	case 3:
		if v == 0 {
			return "-0"
		}
		return s + "0e-1"
	case 4:
		if v >= 10 && v < 1e15 { // 12.5e1 == 125
			d := strconv.FormatInt(v, 10)
			return d[:len(d)-1] + "." + d[len(d)-1:] + "e1"
		}
	}
	return s
}

func (g *generator) numberValue(s *model.Schema) any {
	lo, hi := -1e9, 1e9
	if s.Minimum != nil {
		lo = *s.Minimum
	}
	if s.Maximum != nil {
		hi = *s.Maximum
	}
	if s.Minimum != nil && s.Maximum == nil {
		hi = lo + 1e9
	}
	if s.Maximum != nil && s.Minimum == nil {
		lo = hi - 1e9
	}
	var f float64
	switch g.r.IntN(6) {
	case 0:
		f = lo
	case 1:
		f = hi
	case 2:
		f = math.Round(lo + (hi-lo)*g.r.Float64())
	default:
		f = lo + (hi-lo)*g.r.Float64()
	}
	f = max(lo, min(hi, f))
	switch g.r.IntN(3) {
	case 0:
		return num(strconv.FormatFloat(f, 'e', -1, 64))
	case 1:
		return num(strconv.FormatFloat(f, 'f', -1, 64))
	}
	return num(strconv.FormatFloat(f, 'g', -1, 64))
}

func (g *generator) anyValue(depth int) any {
	k := g.r.IntN(7)
	if depth >= 4 {
		k = g.r.IntN(5)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return g.chance(2)
	case 2:
		return specialNumbers[g.r.IntN(len(specialNumbers))]
	case 3:
		return num(strconv.Itoa(g.r.IntN(2000) - 1000))
	case 4:
		return g.randString(0, 8)
	case 5:
		a := make([]any, g.r.IntN(4))
		for i := range a {
			a[i] = g.anyValue(depth + 1)
		}
		return a
	}
	o := &object{}
	for range g.r.IntN(4) {
		o.set(g.randString(0, 5), g.anyValue(depth+1))
	}
	return o
}

// fromPattern returns a string built from the regexp's syntax tree; it matches
// the pattern unless the pattern constrains context (\b, lookaround-like
// anchors in the middle), which the caller checks.
func (g *generator) fromPattern(p string) string {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return ""
	}
	var sb strings.Builder
	g.walkRegexp(&sb, re.Simplify())
	return sb.String()
}

func (g *generator) walkRegexp(sb *strings.Builder, re *syntax.Regexp) {
	rep := func(lo, hi int) {
		if hi < 0 {
			hi = lo + 3
		}
		for range lo + g.r.IntN(hi-lo+1) {
			g.walkRegexp(sb, re.Sub[0])
		}
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && g.chance(2) {
				r = []rune(strings.ToUpper(string(r)))[0]
			}
			sb.WriteRune(r)
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return
		}
		for range 10 {
			i := g.r.IntN(len(re.Rune)/2) * 2
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo > 0x3000 { // prefer the start of huge ranges (printable, not surrogates)
				hi = lo + 0x3000
			}
			r := lo + rune(g.r.IntN(int(hi-lo)+1))
			if utf8.ValidRune(r) {
				sb.WriteRune(r)
				return
			}
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		sb.WriteRune(runePool[g.r.IntN(14)])
	case syntax.OpCapture:
		g.walkRegexp(sb, re.Sub[0])
	case syntax.OpStar:
		rep(0, 3)
	case syntax.OpPlus:
		rep(1, 4)
	case syntax.OpQuest:
		rep(0, 1)
	case syntax.OpRepeat:
		rep(re.Min, re.Max)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			g.walkRegexp(sb, sub)
		}
	case syntax.OpAlternate:
		g.walkRegexp(sb, re.Sub[g.r.IntN(len(re.Sub))])
	}
	// Anchors, word boundaries, empty match: nothing to write.
}

// Numbers that probe the integer/number rules and the int64/float64 edges.
var specialNumbers = []num{
	"0", "-0", "1", "-1", "3", "3.0", "3.5", "1e2", "1E2", "1e+2", "1.5e1", "30e-1", "1e-2", "0.1",
	"-0.0", "0e5", "2.50", "1e30", "-1e30", "1e308", "1e309", "1e400", "1e-400", "-1e-400",
	"9007199254740993", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
	"-9223372036854775809", "18446744073709551616", "1767225600000", "4294967296", "0.000001",
	"123456789012345678901234567890", "1.0000000000000000000001", "99999999999999999999e-20",
}

// mutator derives (mostly invalid) documents from valid ones.
type mutator struct {
	g *generator
}

// slot is a place in a document: the root, an object member or an array element.
type slot struct {
	obj *object
	key int
	arr []any
	idx int
}

func (s slot) get(root any) any {
	switch {
	case s.obj != nil:
		return s.obj.vals[s.key]
	case s.arr != nil:
		return s.arr[s.idx]
	}
	return root
}

// mutate returns a mutated deep copy of doc, applying 1–3 mutations.
func (m *mutator) mutate(doc any) any {
	doc = clone(doc)
	n := 1
	if m.g.chance(4) {
		n += 1 + m.g.r.IntN(2)
	}
	for range n {
		doc = m.once(doc)
	}
	return doc
}

func collect(v any, s slot, out *[]slot) {
	*out = append(*out, s)
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			collect(e, slot{arr: x, idx: i}, out)
		}
	case *object:
		for i, e := range x.vals {
			collect(e, slot{obj: x, key: i}, out)
		}
	}
}

var unknownKeys = []string{"unknownProp", "", "Type", "extra", "__proto__", "id ", "é", "😀", "$ref", "a/b~c"}

func (m *mutator) once(doc any) any {
	g := m.g
	var slots []slot
	collect(doc, slot{}, &slots)
	var objs []*object
	var arrs []slot
	for _, s := range slots {
		switch x := s.get(doc).(type) {
		case *object:
			objs = append(objs, x)
		case []any:
			_ = x
			arrs = append(arrs, s)
		}
	}
	replace := func(s slot, v any) {
		switch {
		case s.obj != nil:
			s.obj.vals[s.key] = v
		case s.arr != nil:
			s.arr[s.idx] = v
		default:
			doc = v
		}
	}
	at := slots[g.r.IntN(len(slots))]
	switch op := g.r.IntN(10); {
	case op == 0 && len(objs) > 0: // drop a property (often a required one)
		o := objs[g.r.IntN(len(objs))]
		if len(o.keys) > 0 {
			o.del(g.r.IntN(len(o.keys)))
		}
	case op == 1 && len(objs) > 0: // add an unknown property
		o := objs[g.r.IntN(len(objs))]
		k := unknownKeys[g.r.IntN(len(unknownKeys))]
		if _, dup := o.get(k); !dup {
			o.set(k, g.anyValue(2))
		}
	case op == 2: // change the type of a value
		replace(at, m.otherType(at.get(doc)))
	case op == 3: // strings: empty, multi-byte, long
		replace(at, m.stringLike(at.get(doc)))
	case op == 4: // numbers at the edges
		replace(at, specialNumbers[g.r.IntN(len(specialNumbers))])
	case op == 5 && len(arrs) > 0: // too many or too few items
		s := arrs[g.r.IntN(len(arrs))]
		a := s.get(doc).([]any)
		switch {
		case len(a) > 0 && g.chance(2):
			extra := 1 + g.r.IntN(6)
			for range extra {
				a = append(a, clone(a[g.r.IntN(len(a))]))
			}
		case len(a) > 0:
			a = a[:g.r.IntN(len(a))]
		default:
			a = []any{g.anyValue(2)}
		}
		replace(s, a)
	case op == 6: // a string value near a known one: enum/const/discriminator typos
		if str, ok := at.get(doc).(string); ok {
			switch g.r.IntN(4) {
			case 0:
				replace(at, strings.ToUpper(str))
			case 1:
				replace(at, str+" ")
			case 2:
				if str != "" {
					replace(at, str[:len(str)-1])
				}
			default:
				replace(at, "\u00a0"+str)
			}
		} else {
			replace(at, m.otherType(at.get(doc)))
		}
	case op == 7: // swap in the value of another slot
		other := slots[g.r.IntN(len(slots))]
		replace(at, clone(other.get(doc)))
	case op == 8 && len(objs) > 0: // rename a property
		o := objs[g.r.IntN(len(objs))]
		if len(o.keys) > 0 {
			i := g.r.IntN(len(o.keys))
			nk := o.keys[i] + "x"
			if g.chance(2) {
				nk = strings.ToUpper(o.keys[i])
			}
			if _, dup := o.get(nk); !dup {
				o.keys[i] = nk
			}
		}
	default: // a random value anywhere
		replace(at, g.anyValue(1))
	}
	return doc
}

func (m *mutator) otherType(v any) any {
	g := m.g
	choices := []any{"x", num("1"), true, false, nil, []any{}, &object{}, num("1.5"), ""}
	for {
		c := choices[g.r.IntN(len(choices))]
		if kindOfValue(c) != kindOfValue(v) {
			return clone(c)
		}
	}
}

func kindOfValue(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case bool:
		return 1
	case num:
		return 2
	case string:
		return 3
	case []any:
		return 4
	}
	return 5
}

// stringLike returns strings that probe minLength/maxLength counted in code
// points: short strings of multi-byte characters, empty and long strings.
func (m *mutator) stringLike(v any) any {
	g := m.g
	cur, _ := v.(string)
	n := utf8.RuneCountInString(cur)
	wide := []string{"é", "€", "😀", "日", "\u0301", "a"}
	w := wide[g.r.IntN(len(wide))]
	switch g.r.IntN(7) {
	case 0:
		return ""
	case 1:
		return strings.Repeat(w, max(n-1, 0))
	case 2:
		return strings.Repeat(w, n+1)
	case 3:
		return strings.Repeat(w, 1+g.r.IntN(8))
	case 4:
		return strings.Repeat("a", 200+g.r.IntN(100))
	case 5:
		return strings.Repeat(w, n)
	}
	return g.randString(0, 3)
}

// systematic returns, for one document, every single-step variant of a fixed
// menu: each property dropped, an unknown property added to each object, each
// number replaced by each special number, each string by strings that probe
// lengths in code points, each value by one of each other type. At most
// maxSlots slots are varied.
func (m *mutator) systematic(doc any, maxSlots int) []any {
	var out []any
	var slots []slot
	collect(doc, slot{}, &slots)
	idx := make([]int, len(slots))
	for i := range idx {
		idx[i] = i
	}
	if len(idx) > maxSlots {
		m.g.r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:maxSlots]
	}
	// Each variant is made on a fresh copy, whose slots are in the same order.
	variant := func(i int, f func(root any, s slot) any) {
		c := clone(doc)
		var cs []slot
		collect(c, slot{}, &cs)
		out = append(out, f(c, cs[i]))
	}
	set := func(root any, s slot, v any) any {
		switch {
		case s.obj != nil:
			s.obj.vals[s.key] = v
		case s.arr != nil:
			s.arr[s.idx] = v
		default:
			return v
		}
		return root
	}
	for _, i := range idx {
		v := slots[i].get(doc)
		switch x := v.(type) {
		case *object:
			for k := range x.keys {
				variant(i, func(root any, s slot) any {
					s.get(root).(*object).del(k)
					return root
				})
			}
			variant(i, func(root any, s slot) any {
				o := s.get(root).(*object)
				if _, dup := o.get("unknownProp"); !dup {
					o.set("unknownProp", true)
				}
				return root
			})
		case num:
			for _, n := range specialNumbers {
				variant(i, func(root any, s slot) any { return set(root, s, n) })
			}
		case string:
			cur := utf8.RuneCountInString(x)
			for _, str := range []string{"", "é", "😀😀", strings.Repeat("é", max(cur-1, 0)), strings.Repeat("😀", cur+1), strings.ToUpper(x), x + " "} {
				variant(i, func(root any, s slot) any { return set(root, s, str) })
			}
		case []any:
			variant(i, func(root any, s slot) any { return set(root, s, []any{}) })
			if len(x) > 0 {
				variant(i, func(root any, s slot) any {
					a := s.get(root).([]any)
					for range 12 {
						a = append(a, clone(a[0]))
					}
					return set(root, s, a)
				})
			}
		}
		for _, other := range []any{nil, true, num("1"), "x", []any{}, &object{}} {
			if kindOfValue(other) != kindOfValue(v) {
				variant(i, func(root any, s slot) any { return set(root, s, clone(other)) })
			}
		}
	}
	return out
}
