package wire

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// validityCases are documents for the differential test against
// json.Valid. stricter marks documents that json.Valid accepts and this
// package rejects by design (see doc.go).
var validityCases = []struct {
	doc      string
	stricter bool
}{
	// Valid.
	{doc: `null`}, {doc: `true`}, {doc: `false`}, {doc: `0`}, {doc: `-0`},
	{doc: `1`}, {doc: `-1`}, {doc: `10`}, {doc: `1.5`}, {doc: `-0.0e-0`},
	{doc: `1e1`}, {doc: `1E+2`}, {doc: `1e-2`}, {doc: `0.1e1`}, {doc: `1e999`},
	{doc: `-1e-999`}, {doc: `123456789012345678901234567890`},
	{doc: `""`}, {doc: `"a"`}, {doc: `"\"\\\/\b\f\n\r\t"`}, {doc: `"\u0000"`},
	{doc: `"\u001f"`}, {doc: `"\u00e9\u00E9"`}, {doc: `"\ud83d\ude00"`},
	{doc: `"\uD834\uDD1E"`}, {doc: `"\uDBFF\uDFFF"`}, {doc: `"\uffff"`},
	{doc: `"\u2028"`}, {doc: "\"\u2028\u2029\""}, {doc: `"é😀日本"`},
	{doc: "\"\x7f\""}, {doc: `"<>&'"`}, {doc: `"12345678901234567890\"x"`},
	{doc: `[]`}, {doc: `{}`}, {doc: `[1]`}, {doc: `[1,2,3]`}, {doc: `[[[]]]`},
	{doc: `{"a":1}`}, {doc: `{"":""}`}, {doc: `{"a":1,"a":2}`},
	{doc: `{"a":[{"b":null,"c":[true,false]},"x",-1.5e-3]}`},
	{doc: " \t\n\r[ 1 ,\t2 ]\r\n "}, {doc: "{ \"a\" : { } , \"b\" : [ ] }"},
	{doc: `{"\u0061":"b"}`}, {doc: `["a\u0000b"]`},
	{doc: strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)},
	{doc: strings.Repeat(`{"a":`, MaxDepth) + "1" + strings.Repeat("}", MaxDepth)},

	// Invalid for both.
	{doc: ``}, {doc: ` `}, {doc: `[`}, {doc: `]`}, {doc: `{`}, {doc: `}`},
	{doc: `[1,]`}, {doc: `[,1]`}, {doc: `[,]`}, {doc: `[1,,2]`}, {doc: `{"a":1,}`},
	{doc: `{,}`}, {doc: `{"a"}`}, {doc: `{"a":}`}, {doc: `{"a" 1}`}, {doc: `{1:1}`},
	{doc: `{'a':1}`}, {doc: `{a:1}`}, {doc: `["a"}`}, {doc: `{"a":1]`}, {doc: `[1}`},
	{doc: `[1]]`}, {doc: `{}}`}, {doc: `[1,2,3`}, {doc: `{"a":1`}, {doc: `{"a"`},
	{doc: `01`}, {doc: `-01`}, {doc: `00`}, {doc: `+1`}, {doc: `.5`}, {doc: `1.`},
	{doc: `1.e1`}, {doc: `1e`}, {doc: `1e+`}, {doc: `1e-`}, {doc: `-`}, {doc: `--1`},
	{doc: `-a`}, {doc: `1.5.`}, {doc: `0x1`}, {doc: `1_000`}, {doc: `[01]`}, {doc: `[-]`},
	{doc: `NaN`}, {doc: `Infinity`}, {doc: `-Infinity`}, {doc: `[NaN]`},
	{doc: `tru`}, {doc: `truex`}, {doc: `nul`}, {doc: `nulll`}, {doc: `True`},
	{doc: `fals`}, {doc: `falsee`}, {doc: `[true false]`},
	{doc: `"abc`}, {doc: `"\x"`}, {doc: `"\u12"`}, {doc: `"\u12G4"`}, {doc: `"\'"`},
	{doc: `"\U0041"`}, {doc: `"\`}, {doc: `"\u`}, {doc: `"\u004`}, {doc: `["\u"]`},
	{doc: "\"\t\""}, {doc: "\"\n\""}, {doc: "\"\x00\""}, {doc: "\"\x1f\""},
	{doc: `1 2`}, {doc: `[1 2]`}, {doc: `{"a":1 "b":2}`}, {doc: `"a""b"`}, {doc: `"a"x`},
	{doc: "\xef\xbb\xbf{}"}, {doc: "\v1"}, {doc: "\f1"}, {doc: "\u00a01"}, {doc: "1\x00"},
	{doc: `//c` + "\n1"}, {doc: `/*c*/1`}, {doc: "\xff"}, {doc: "[\xff]"},
	{doc: `{"a":1}x`}, {doc: `[] []`},

	// Valid for json.Valid, rejected here by design.
	{doc: `"\ud800"`, stricter: true}, {doc: `["\udc00"]`, stricter: true},
	{doc: `"\ud800\u0041"`, stricter: true}, {doc: `"\ud800\ud800"`, stricter: true},
	{doc: `"\udbff\n"`, stricter: true}, {doc: `"\udc00\udc00"`, stricter: true}, {doc: `"\uDFFF\uD800"`, stricter: true},
	{doc: `"\ud800x"`, stricter: true}, {doc: `{"\ud800":1}`, stricter: true},
	{doc: "\"\xff\"", stricter: true}, {doc: "\"\xc3\"", stricter: true},
	{doc: "\"\xc3(\"", stricter: true}, {doc: "\"\xed\xa0\x80\"", stricter: true},
	{doc: "\"\xf4\x90\x80\x80\"", stricter: true}, {doc: "\"\xc0\xaf\"", stricter: true},
	{doc: "\"\xe2\x82\"", stricter: true}, {doc: "{\"\x80\":1}", stricter: true},
	{doc: strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), stricter: true},
}

func TestValidityDifferential(t *testing.T) {
	for _, tc := range validityCases {
		doc := []byte(tc.doc)
		want := json.Valid(doc)
		err := validOurs(doc)
		switch {
		case tc.stricter:
			if !want {
				t.Errorf("%q: marked stricter but json.Valid rejects it", tc.doc)
			}
			if err == nil {
				t.Errorf("%q: accepted, want rejected by design", tc.doc)
			} else if !stricterByDesign(doc, err) {
				t.Errorf("%q: rejected with %v, not a documented difference", tc.doc, err)
			}
		case want && err != nil:
			t.Errorf("%q: json.Valid accepts, we reject: %v", tc.doc, err)
		case !want && err == nil:
			t.Errorf("%q: json.Valid rejects, we accept", tc.doc)
		}
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Errorf("%q: error %T, want *SyntaxError", tc.doc, err)
		}
		// The typed API agrees with Skip.
		d := NewDecoder(doc)
		werr := walk(d)
		if werr == nil {
			werr = d.End()
		}
		if (werr == nil) != (err == nil) {
			t.Errorf("%q: walk error %v, Skip error %v", tc.doc, werr, err)
		}
		// Raw returns exactly the value.
		if err == nil {
			d := NewDecoder(doc)
			raw, rerr := d.Raw()
			if rerr != nil || string(raw) != strings.Trim(tc.doc, " \t\r\n") {
				t.Errorf("%q: Raw = %q, %v", tc.doc, raw, rerr)
			}
		}
	}
}

func TestStringMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		`""`, `"a"`, `"hello world"`, `"\"\\\/\b\f\n\r\t"`, `"\u0000\u001f"`,
		`"\u00e9\u00E9"`, `"\ud83d\ude00"`, `"x\uD834\uDD1Ey"`, `"\uffff\ufffd"`,
		`"\u2028\u2029"`, `"é😀日本"`, `"<>&"`, "\"\x7f\"", `"a\u0000b"`,
		`"12345678\\12345678\"12345678"`, `"long string without any escapes at all, 0123456789"`,
		`"mixed é and \u00e9 and \n"`, `"\u0041\u0042\u0043"`, `"\/\/"`,
	}
	for _, doc := range docs {
		var want string
		if err := json.Unmarshal([]byte(doc), &want); err != nil {
			t.Fatalf("%s: encoding/json: %v", doc, err)
		}
		d := NewDecoder([]byte(" " + doc + " "))
		got, err := d.String()
		if err != nil || got != want {
			t.Errorf("%s: String = %q, %v; want %q", doc, got, err, want)
		}
		if err := d.End(); err != nil {
			t.Errorf("%s: End: %v", doc, err)
		}
		d.Reset([]byte(doc))
		b, err := d.StringBytes()
		if err != nil || string(b) != want {
			t.Errorf("%s: StringBytes = %q, %v; want %q", doc, b, err, want)
		}
	}
}

func TestStringBytesNoEscapeAliasesInput(t *testing.T) {
	in := []byte(`"abc"`)
	d := NewDecoder(in)
	b, err := d.StringBytes()
	if err != nil || string(b) != "abc" {
		t.Fatalf("StringBytes = %q, %v", b, err)
	}
	if &b[0] != &in[1] {
		t.Error("StringBytes copied an escape-free string")
	}
}

func TestIntCases(t *testing.T) {
	const (
		ok = iota
		notInt
		outOfRange
	)
	cases := []struct {
		in   string
		want int64
		err  int
	}{
		{"0", 0, ok}, {"-0", 0, ok}, {"3", 3, ok}, {"-3", -3, ok},
		{"3.0", 3, ok}, {"1e2", 100, ok}, {"1E2", 100, ok}, {"1e+2", 100, ok},
		{"1.5e1", 15, ok}, {"30E-1", 3, ok}, {"1.0", 1, ok}, {"1e0", 1, ok},
		{"0.1e1", 1, ok}, {"100e-2", 1, ok}, {"0.0", 0, ok}, {"-0.0e-5", 0, ok},
		{"0e999999999999999999999", 0, ok}, {"0.000e-99999", 0, ok},
		{"1.00000000000000000000000000000", 1, ok},
		{"10000000000000000000000000000e-28", 1, ok},
		{"0.00000000000000000000000000001e29", 1, ok},
		{"9223372036854775807", math.MaxInt64, ok},
		{"-9223372036854775808", math.MinInt64, ok},
		{"9223372036854775807.000", math.MaxInt64, ok},
		{"922337203685477580.7e1", math.MaxInt64, ok},
		{"-922337203685477580.8e1", math.MinInt64, ok},
		{"9.223372036854775807e18", math.MaxInt64, ok},
		{"18446744073709551615", 0, outOfRange},
		{"18446744073709551616", 0, outOfRange},
		{"9223372036854775808", 0, outOfRange},
		{"-9223372036854775809", 0, outOfRange},
		{"1e19", 0, outOfRange}, {"-1e19", 0, outOfRange}, {"1e20", 0, outOfRange},
		{"1e999999999999999999999", 0, outOfRange},
		{"123456789012345678901234567890", 0, outOfRange},
		{"3.5", 0, notInt}, {"-3.5", 0, notInt}, {"0.5", 0, notInt}, {"1e-1", 0, notInt},
		{"123456789012345678e-3", 0, notInt}, {"1.05e1", 0, notInt},
		{"1e-999999999999999999999", 0, notInt},
		{"12345678901234567890123.5", 0, notInt},
		{"1.0000000000000000000000000000001", 0, notInt},
	}
	for _, tc := range cases {
		d := NewDecoder([]byte(tc.in))
		got, err := d.Int()
		var te *TypeError
		var re *RangeError
		switch tc.err {
		case ok:
			if err != nil || got != tc.want {
				t.Errorf("Int(%s) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
			if err := d.End(); err != nil {
				t.Errorf("Int(%s): End: %v", tc.in, err)
			}
		case notInt:
			if !errors.As(err, &te) || te.Want != "integer" || te.Got != KindNumber {
				t.Errorf("Int(%s) = %d, %v; want TypeError", tc.in, got, err)
			}
		case outOfRange:
			if !errors.As(err, &re) {
				t.Errorf("Int(%s) = %d, %v; want RangeError", tc.in, got, err)
			}
		}
	}
}

func TestFloatMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		"0", "-0", "1", "-1.5", "3.141592653589793", "1e308", "1.7976931348623157e308",
		"5e-324", "1e-400", "1e400", "-1e400", "123456789012345678901234567890",
		"0.1", "1E+2", "2.2250738585072014e-308", "9007199254740993",
	} {
		var want float64
		wantErr := json.Unmarshal([]byte(in), &want)
		got, err := NewDecoder([]byte(in)).Float()
		if (err != nil) != (wantErr != nil) || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("Float(%s) = %v, %v; encoding/json %v, %v", in, got, err, want, wantErr)
		}
		var re *RangeError
		if err != nil && !errors.As(err, &re) {
			t.Errorf("Float(%s): error %T, want *RangeError", in, err)
		}
	}
}

func TestTypeErrors(t *testing.T) {
	call := map[string]func(d *Decoder) error{
		"string":  func(d *Decoder) error { _, err := d.String(); return err },
		"integer": func(d *Decoder) error { _, err := d.Int(); return err },
		"number":  func(d *Decoder) error { _, err := d.Float(); return err },
		"boolean": func(d *Decoder) error { _, err := d.Bool(); return err },
		"null":    func(d *Decoder) error { return d.Null() },
		"object":  func(d *Decoder) error { return d.BeginObject() },
		"array":   func(d *Decoder) error { return d.BeginArray() },
	}
	values := map[Kind]string{
		KindNull: "null", KindBool: "true", KindNumber: "1", KindString: `"s"`,
		KindArray: "[]", KindObject: "{}",
	}
	wantKind := map[string]Kind{
		"string": KindString, "integer": KindNumber, "number": KindNumber,
		"boolean": KindBool, "null": KindNull, "object": KindObject, "array": KindArray,
	}
	for want, f := range call {
		for kind, doc := range values {
			d := NewDecoder([]byte("  " + doc))
			if got := d.Peek(); got != kind {
				t.Fatalf("Peek(%s) = %v, want %v", doc, got, kind)
			}
			err := f(d)
			if kind == wantKind[want] {
				if err != nil {
					t.Errorf("%s on %s: %v", want, doc, err)
				}
				continue
			}
			var te *TypeError
			if !errors.As(err, &te) || te.Want != want || te.Got != kind || te.Offset != 2 {
				t.Errorf("%s on %s: %v, want TypeError{2, %s, %v}", want, doc, err, want, kind)
			}
		}
		// Malformed input and end of input are syntax errors, not type errors.
		for _, doc := range []string{"", "  ", "x", "]", "+1"} {
			var se *SyntaxError
			if err := f(NewDecoder([]byte(doc))); !errors.As(err, &se) {
				t.Errorf("%s on %q: %v, want SyntaxError", want, doc, err)
			}
		}
	}
	if got := NewDecoder([]byte("x")).Peek(); got != KindInvalid {
		t.Errorf("Peek(x) = %v", got)
	}
}

func TestKindString(t *testing.T) {
	want := []string{"invalid", "null", "boolean", "number", "string", "array", "object"}
	for k, w := range want {
		if got := Kind(k).String(); got != w {
			t.Errorf("Kind(%d) = %q, want %q", k, got, w)
		}
	}
	if got := Kind(99).String(); got != "invalid" {
		t.Errorf("Kind(99) = %q", got)
	}
}

func TestObjectIteration(t *testing.T) {
	doc := []byte(` { "name" : "x\ty", "n":-12, "f":2.5, "ok":true, "nil":null,
		"list":[1, [2, 3], {"k":"v"}, []], "obj":{"a\u0062c":{}}, "raw":{"z":[1,"]"]} } `)
	d := NewDecoder(doc)
	var got []string
	if err := d.BeginObject(); err != nil {
		t.Fatal(err)
	}
	for {
		key, ok, err := d.NextKey()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		switch string(key) {
		case "name":
			s, err := d.String()
			must(t, err)
			got = append(got, "name="+s)
		case "n":
			n, err := d.Int()
			must(t, err)
			got = append(got, "n="+string(AppendInt(nil, n)))
		case "f":
			f, err := d.Float()
			must(t, err)
			got = append(got, "f="+string(AppendFloat(nil, f)))
		case "ok":
			b, err := d.Bool()
			must(t, err)
			got = append(got, "ok="+string(AppendBool(nil, b)))
		case "nil":
			must(t, d.Null())
			got = append(got, "nil")
		case "list":
			must(t, d.BeginArray())
			n := 0
			for {
				ok, err := d.NextElem()
				must(t, err)
				if !ok {
					break
				}
				must(t, d.Skip())
				n++
			}
			got = append(got, "list="+string(AppendInt(nil, int64(n))))
		case "obj":
			must(t, d.BeginObject())
			k, ok, err := d.NextKey()
			must(t, err)
			if !ok {
				t.Fatal("obj: no key")
			}
			got = append(got, "obj."+string(k))
			must(t, d.BeginObject())
			if _, ok, err := d.NextKey(); ok || err != nil {
				t.Fatalf("obj.abc: %v %v", ok, err)
			}
			if _, ok, err := d.NextKey(); ok || err != nil {
				t.Fatalf("obj end: %v %v", ok, err)
			}
		case "raw":
			raw, err := d.Raw()
			must(t, err)
			got = append(got, "raw="+string(raw))
		default:
			t.Fatalf("unexpected key %q", key)
		}
	}
	must(t, d.End())
	want := "name=x\ty n=-12 f=2.5 ok=true nil list=4 obj.abc raw={\"z\":[1,\"]\"]}"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("got  %s\nwant %s", s, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestIterationErrors drives the object/array API over malformed input the
// way generated code does and checks that every document fails.
func TestIterationErrors(t *testing.T) {
	for _, doc := range []string{
		`{"a":1,}`, `{,"a":1}`, `{"a":1 "b":2}`, `{"a" 1}`, `{"a":1]`, `{1:2}`,
		`[1,]`, `[,1]`, `[1 2]`, `[1}`, `{"a":1`, `[1`, `{`, `[`, `{"a":1}}`,
		`{"a\ud800":1}`, "{\"\xff\":1}", `{"a":1}x`,
	} {
		d := NewDecoder([]byte(doc))
		err := walk(d)
		if err == nil {
			err = d.End()
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s: %v, want SyntaxError", doc, err)
		}
	}
	// NextKey/NextElem outside a container.
	d := NewDecoder([]byte(`}`))
	if _, _, err := d.NextKey(); err == nil {
		t.Error("NextKey at top level succeeded")
	}
	if _, err := NewDecoder([]byte(`]`)).NextElem(); err == nil {
		t.Error("NextElem at top level succeeded")
	}
}

func TestDepthLimit(t *testing.T) {
	nest := func(n int) []byte {
		return []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
	}
	if err := validOurs(nest(MaxDepth)); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	for _, n := range []int{MaxDepth + 1, 10000, 1 << 20} {
		err := validOurs(nest(n))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Msg != msgTooDeep || se.Offset != MaxDepth {
			t.Errorf("depth %d: %v, want too deep at offset %d", n, err, MaxDepth)
		}
	}
	// Begin* counts toward the same limit as Skip inside it.
	d := NewDecoder(nest(MaxDepth + 1))
	for i := 0; i < 10; i++ {
		must(t, d.BeginArray())
		if ok, err := d.NextElem(); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if err := d.Skip(); err == nil {
		t.Error("Skip below 10 open arrays accepted depth", MaxDepth+1)
	}
	// A configured limit.
	d = &Decoder{MaxDepth: 2}
	d.Reset([]byte(`[[1]]`))
	must(t, d.Skip())
	d.Reset([]byte(`[[[1]]]`))
	if err := d.Skip(); err == nil {
		t.Error("MaxDepth 2 accepted depth 3")
	}
	d.Reset([]byte(`{"a":{"b":{}}}`))
	must(t, d.BeginObject())
	_, _, _ = d.NextKey()
	must(t, d.BeginObject())
	_, _, _ = d.NextKey()
	if err := d.BeginObject(); err == nil {
		t.Error("MaxDepth 2 allowed a third BeginObject")
	}
}

func TestPath(t *testing.T) {
	var root *Path
	params := Path{Parent: root, Key: "params"}
	client := Path{Parent: &params, Key: "client"}
	id := Path{Parent: &client, Key: "id"}
	items := Path{Parent: root, Key: "items"}
	three := Path{Parent: &items, Index: 3, IsIndex: true}
	odd := Path{Parent: &three, Key: "a/b~c"}
	empty := Path{Parent: &odd, Key: ""}
	for _, tc := range []struct {
		p    *Path
		want string
	}{
		{root, ""}, {&params, "/params"}, {&id, "/params/client/id"},
		{&three, "/items/3"}, {&odd, "/items/3/a~1b~0c"}, {&empty, "/items/3/a~1b~0c/"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("Path = %q, want %q", got, tc.want)
		}
	}

	e := Errorf(&id, "length %d exceeds %d", 5, 4)
	if e.Path != "/params/client/id" || e.Error() != "/params/client/id: length 5 exceeds 4" {
		t.Errorf("Errorf = %+v, %q", e, e.Error())
	}
	if got := Errorf(nil, "bad").Error(); got != "bad" {
		t.Errorf("root Errorf = %q", got)
	}

	_, err := NewDecoder([]byte(`"x"`)).Int()
	var ve *ValidationError
	if werr := WrapError(&three, err); !errors.As(werr, &ve) || ve.Error() != "/items/3: expected integer, got string" {
		t.Errorf("WrapError(TypeError) = %v", werr)
	}
	_, err = NewDecoder([]byte(`1e30`)).Int()
	if werr := WrapError(&three, err); !errors.As(werr, &ve) || ve.Error() != "/items/3: integer out of int64 range" {
		t.Errorf("WrapError(RangeError) = %v", werr)
	}
	_, err = NewDecoder([]byte(`x`)).Int()
	if werr := WrapError(&three, err); werr != err {
		t.Errorf("WrapError(SyntaxError) = %v", werr)
	}
	if WrapError(&three, nil) != nil {
		t.Error("WrapError(nil) != nil")
	}
}

func TestRuneCount(t *testing.T) {
	if got := RuneCount([]byte("aé😀")); got != 3 {
		t.Errorf("RuneCount = %d", got)
	}
}

func TestErrorMessages(t *testing.T) {
	_, err := NewDecoder([]byte(`  x`)).String()
	if got, want := err.Error(), `wire: syntax error at offset 2: invalid character 'x' looking for beginning of value`; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	_, err = NewDecoder([]byte(`1`)).String()
	if got, want := err.Error(), `wire: expected string, got number at offset 0`; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
