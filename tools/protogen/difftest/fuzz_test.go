package difftest

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// maxFuzzDepth bounds the nesting of compared documents: the decoder's own
// limit is wire.MaxDepth (128), kaptinlin's (jsontext's) is 10000.
const maxFuzzDepth = 64

// skipDoc reports whether doc is outside what the fuzz targets compare: not
// JSON, invalid UTF-8, duplicate object keys (we reject them by design, and
// encoding/json keeps the last), nesting deeper than maxFuzzDepth, or an
// extreme number literal.
func skipDoc(doc []byte) bool {
	if !json.Valid(doc) || !utf8.Valid(doc) || extremeNumber(doc) {
		return true
	}
	type frame struct {
		obj     bool
		wantKey bool
		keys    map[string]bool
	}
	var stack []frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return false
		}
		if err != nil {
			return true
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				// Keys compare after unescaping; encoding/json turns invalid
				// surrogate escapes into U+FFFD, which can only add skips.
				if stack[n-1].keys[k] {
					return true
				}
				stack[n-1].keys[k] = true
				stack[n-1].wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= maxFuzzDepth {
				return true
			}
			stack = append(stack, frame{obj: tok == json.Delim('{'), wantKey: true, keys: map[string]bool{}})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// extremeNumber reports a number literal longer than 300 bytes or with an
// exponent beyond ±300. Such numbers are out of range for int64 and float64
// anyway (or round to 0); they are skipped because kaptinlin turns them into
// big.Rat values whose cost grows quadratically (-1e-20000 against a minimum
// takes 44 ms to format the error, -1e-999999 minutes), and because
// big.Rat.SetString refuses exponents beyond ±1e6, which kaptinlin then reports
// as a value of type "unknown", failing every type check: a kaptinlin
// deviation from the spec, where 1e-9999999 is a valid number.
func extremeNumber(doc []byte) bool {
	extreme := false
	scanNumbers(doc, func(start, end int) {
		lit := doc[start:end]
		if len(lit) > 300 {
			extreme = true
			return
		}
		if i := bytes.IndexAny(lit, "eE"); i >= 0 {
			e := bytes.TrimLeft(bytes.TrimLeft(lit[i+1:], "+-"), "0")
			if len(e) > 3 || (len(e) == 3 && string(e) > "300") {
				extreme = true
			}
		}
	})
	return extreme
}

// compare fails t when the generated verdict on doc differs from the oracle's,
// outside the known classes.
func compare(t *testing.T, o *oracle, ref string, doc []byte) {
	t.Helper()
	ok, err := o.verdicts(ref, doc)
	if ok == (err == nil) {
		return
	}
	if c := o.classify(ref, doc, ok, err); c != "" {
		return
	}
	t.Fatalf("disagreement on %s\n  doc:       %q\n  kaptinlin: valid=%v %s\n  generated: err=%v", ref, doc, ok, o.oracleErrors(ref, doc), err)
}

// fuzzSeeds returns a few documents per ref: the examples and some mutants.
func fuzzSeeds(o *oracle, ref string, mutants int) [][]byte {
	n := o.model.Defs[ref]
	var out [][]byte
	for _, ex := range n.Examples {
		out = append(out, ex)
	}
	g := newGenerator(uint64(len(ref)))
	m := &mutator{g: g}
	enc := &encoder{r: rand.New(rand.NewPCG(1, 2))}
	for range mutants {
		v := g.value(n.Schema, 0)
		if g.chance(2) {
			v = m.mutate(v)
		}
		out = append(out, enc.encode(v))
	}
	return out
}

// FuzzDifferential compares protocol.Validate with kaptinlin on arbitrary
// documents for an arbitrary ref.
func FuzzDifferential(f *testing.F) {
	o := getOracle(f)
	for i, ref := range o.refs {
		for _, doc := range fuzzSeeds(o, ref, 2) {
			f.Add(uint16(i), doc)
		}
	}
	f.Fuzz(func(t *testing.T, refIndex uint16, doc []byte) {
		ref := o.refs[int(refIndex)%len(o.refs)]
		if skipDoc(doc) {
			// Still must not panic.
			protocol.Validate(ref, doc)
			return
		}
		compare(t, o, ref, doc)
	})
}

const reqFrameRef = "frames/req.json#/$defs/RequestFrame"

// FuzzRequestFrame decodes arbitrary bytes as a request frame and its params,
// the server's path for every inbound message: no panics, and the verdicts on
// the frame (and on the params of a known method) agree with kaptinlin.
func FuzzRequestFrame(f *testing.F) {
	o := getOracle(f)
	for _, doc := range fuzzSeeds(o, reqFrameRef, 4) {
		f.Add(doc)
	}
	f.Add(sendFrame)
	f.Add(healthFrame)
	for _, me := range o.model.Methods {
		for _, ex := range me.Params.Examples {
			f.Add([]byte(`{"type":"req","id":"1","method":"` + me.Name + `","params":` + string(ex) + `}`))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v protocol.RequestFrame
		d := wire.NewDecoder(data)
		err := v.DecodeJSON(d, nil)
		if err == nil {
			err = d.End()
		}
		var perr error
		if err == nil {
			_, perr = protocol.DecodeParams(d, v.Method, 3, v.Params)
		}
		if skipDoc(data) {
			return
		}
		ok := o.schemas[reqFrameRef].ValidateJSON(data).IsValid()
		if ok != (err == nil) && o.classify(reqFrameRef, data, ok, err) == "" {
			t.Fatalf("frame verdicts differ on %q: kaptinlin valid=%v %s, generated err=%v", data, ok, o.oracleErrors(reqFrameRef, data), err)
		}
		if err != nil {
			return
		}
		// The params of a protocol-3 method, absent meaning {}.
		ref := paramsRef(o, v.Method)
		if ref == "" {
			return
		}
		params := []byte(v.Params)
		if len(params) == 0 {
			params = []byte("{}")
		}
		pok := o.schemas[ref].ValidateJSON(params).IsValid()
		if pok != (perr == nil) && o.classify(ref, params, pok, perr) == "" {
			t.Fatalf("params verdicts differ on %q (%s): kaptinlin valid=%v %s, generated err=%v", data, ref, pok, o.oracleErrors(ref, params), perr)
		}
	})
}

// paramsRef returns the params schema of a method that exists in protocol 3, or "".
func paramsRef(o *oracle, method string) string {
	mi := protocol.LookupMethod(method)
	if mi == nil || !mi.In(3) {
		return ""
	}
	for _, me := range o.model.Methods {
		if me.Name == method {
			return me.Params.Ref()
		}
	}
	return ""
}
