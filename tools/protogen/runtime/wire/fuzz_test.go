package wire

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSkip checks Skip+End against json.Valid: we accept nothing it
// rejects, and reject what it accepts only for the documented reasons. The
// typed API (walk) must agree with Skip, and Raw must return the value.
func FuzzSkip(f *testing.F) {
	for _, tc := range validityCases {
		f.Add([]byte(tc.doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := validOurs(doc)
		want := json.Valid(doc)
		if err == nil && !want {
			t.Fatalf("%q: accepted, json.Valid rejects", doc)
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: error %T, want *SyntaxError", doc, err)
			}
			if want && !stricterByDesign(doc, err) {
				t.Fatalf("%q: rejected (%v), json.Valid accepts", doc, err)
			}
		}
		d := NewDecoder(doc)
		werr := walk(d)
		if werr == nil {
			werr = d.End()
		}
		if (werr == nil) != (err == nil) {
			t.Fatalf("%q: walk error %v, Skip error %v", doc, werr, err)
		}
		if err == nil {
			raw, rerr := NewDecoder(doc).Raw()
			if rerr != nil || string(raw) != strings.Trim(string(doc), " \t\r\n") {
				t.Fatalf("%q: Raw = %q, %v", doc, raw, rerr)
			}
		}
	})
}

// FuzzString checks AppendString against encoding/json and the round trip
// through String, and decodes the input as the body of a JSON string
// literal, comparing with encoding/json.
func FuzzString(f *testing.F) {
	for _, s := range stringCases {
		f.Add(s)
	}
	for _, s := range []string{`\u0041`, `\ud83d\ude00`, `\ud800`, `\n\t\"`, `\x`, `\u00e9x`, "\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := AppendString(nil, s)
		if want := jsonString(s); string(enc) != string(want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, enc, want)
		}
		got, err := NewDecoder(enc).String()
		if err != nil {
			t.Fatalf("String(%s): %v", enc, err)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("round trip %q = %q", s, got)
		}
		var ref string // invalid input bytes were encoded as \ufffd
		if err := json.Unmarshal(enc, &ref); err != nil || got != ref {
			t.Fatalf("String(%s) = %q, encoding/json %q, %v", enc, got, ref, err)
		}

		// s as the body of a string literal.
		doc := []byte(`"` + s + `"`)
		var want string
		wantErr := json.Unmarshal(doc, &want)
		d := NewDecoder(doc)
		got, err = d.String()
		if err == nil {
			err = d.End()
		}
		switch {
		case err == nil && wantErr != nil:
			t.Fatalf("%q: accepted, encoding/json: %v", doc, wantErr)
		case err == nil && got != want:
			t.Fatalf("%q: String = %q, encoding/json %q", doc, got, want)
		case err != nil && wantErr == nil && !stricterByDesign(doc, err):
			t.Fatalf("%q: rejected (%v), encoding/json accepts", doc, err)
		}
	})
}

// FuzzFloat checks AppendFloat against encoding/json and the round trip
// through Float.
func FuzzFloat(f *testing.F) {
	for _, v := range floatCases {
		f.Add(v)
		f.Add(-v)
	}
	f.Add(math.NaN())
	f.Add(math.Inf(1))
	f.Fuzz(func(t *testing.T, v float64) {
		got, err := AppendFloatChecked(nil, v)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if err == nil || string(AppendFloat(nil, v)) != "null" {
				t.Fatalf("non-finite %v: %s, %v", v, got, err)
			}
			return
		}
		if want := jsonFloat(v); err != nil || string(got) != string(want) {
			t.Fatalf("AppendFloat(%v) = %s, %v; want %s", v, got, err, want)
		}
		back, err := NewDecoder(got).Float()
		if err != nil || math.Float64bits(back) != math.Float64bits(v) {
			t.Fatalf("Float(%s) = %v, %v; want %v", got, back, err, v)
		}
	})
}

// FuzzInt checks Int against exact rational arithmetic (math/big) for every
// valid JSON number with a modest exponent.
func FuzzInt(f *testing.F) {
	for _, s := range []string{"0", "-0", "3.0", "1e2", "1.5e1", "30E-1", "3.5",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e19",
		"123456789012345678e-3", "0.1e1", "1.00000000000000000000", "-922337203685477580.8e1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := NewDecoder([]byte(s))
		if d.Peek() != KindNumber {
			return
		}
		end, err := d.scanNumberEnd()
		if err != nil || end != len(s) {
			return
		}
		num := s[d.Offset():] // Peek skipped leading whitespace
		if i := strings.IndexAny(num, "eE"); i >= 0 && len(num)-i > 6 {
			return // keep big.Rat cheap
		}
		v, err := d.Int()
		r, ok := new(big.Rat).SetString(num)
		if !ok {
			t.Fatalf("big.Rat rejects %q", num)
		}
		var te *TypeError
		var re *RangeError
		switch {
		case !r.IsInt():
			if !errors.As(err, &te) {
				t.Fatalf("Int(%s) = %d, %v; want TypeError", s, v, err)
			}
		case !r.Num().IsInt64():
			if !errors.As(err, &re) {
				t.Fatalf("Int(%s) = %d, %v; want RangeError", s, v, err)
			}
		default:
			if err != nil || v != r.Num().Int64() {
				t.Fatalf("Int(%s) = %d, %v; want %d", s, v, err, r.Num().Int64())
			}
		}
	})
}
