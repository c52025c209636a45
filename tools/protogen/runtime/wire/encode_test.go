package wire

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

var stringCases = []string{
	"", "a", "hello, world", `"quoted"`, `back\slash`, "/slash/", "<script>&amp;</script>",
	"\x00\x01\x07\b\t\n\v\f\r\x0e\x1f", "\x7f", "é", "日本語", "😀", "\u2028\u2029",
	"a\u2028b\u2029c", "\ufffd", "\xff", "a\xffb", "\xc3", "\xc3(", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "\xc0\xaf", "\xe2\x82", "\xf0\x9f\x98", "mixed \x00 é \xff \u2028 \"",
	strings.Repeat("long ascii text ", 20), strings.Repeat("é\n", 50),
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want := jsonString(s)
		got := AppendString([]byte("prefix"), s)
		if string(got) != "prefix"+string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got[6:], want)
		}
	}
	for _, s := range stringCases {
		check(s)
	}
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "Z", " ", "\"", "\\", "\n", "\x00", "\x1f", "\x7f", "<", "&",
		"é", "日", "😀", "\u2028", "\u2029", "\ufffd", "\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80"}
	for range 5000 {
		var sb strings.Builder
		for range r.IntN(20) {
			if r.IntN(4) == 0 {
				sb.WriteByte(byte(r.IntN(256)))
			} else {
				sb.WriteString(pieces[r.IntN(len(pieces))])
			}
		}
		check(sb.String())
	}
}

func TestAppendStringRoundTrip(t *testing.T) {
	for _, s := range stringCases {
		if !utf8.ValidString(s) {
			continue
		}
		got, err := NewDecoder(AppendString(nil, s)).String()
		if err != nil || got != s {
			t.Errorf("round trip %q = %q, %v", s, got, err)
		}
	}
}

func TestAppendKey(t *testing.T) {
	if got := string(AppendKey([]byte("{"), "a\"b")); got != `{"a\"b":` {
		t.Errorf("AppendKey = %s", got)
	}
}

func TestAppendIntBool(t *testing.T) {
	for _, v := range []int64{0, 1, -1, math.MaxInt64, math.MinInt64} {
		if got, want := string(AppendInt(nil, v)), string(jsonMarshal(t, v)); got != want {
			t.Errorf("AppendInt(%d) = %s, want %s", v, got, want)
		}
	}
	if string(AppendBool(nil, true)) != "true" || string(AppendBool(nil, false)) != "false" {
		t.Error("AppendBool")
	}
}

var floatCases = []float64{
	0, math.Copysign(0, -1), 1, -1, 0.1, 1.5, 100, 1e6, 1e20, 1e21, 1e-6, 1e-7,
	123456789, 1.23456789e-7, 9.999999999999999e20, 1e-320, 5e-324,
	math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 1 << 53,
	1<<53 + 1, 3.141592653589793, 2.5e-8, 1e100, -1e-100, 0.000001, 0.0000009999,
	float64(math.MaxFloat32), 1e-9, 1.5e300,
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	check := func(f float64) {
		t.Helper()
		want := jsonFloat(f)
		if got := AppendFloat([]byte("x"), f); string(got) != "x"+string(want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got[1:], want)
		}
		got, err := AppendFloatChecked(nil, f)
		if err != nil || string(got) != string(want) {
			t.Errorf("AppendFloatChecked(%v) = %s, %v", f, got, err)
		}
		back, err := NewDecoder(want).Float()
		if err != nil || math.Float64bits(back) != math.Float64bits(f) {
			t.Errorf("Float(%s) = %v, %v; want %v", want, back, err, f)
		}
	}
	for _, f := range floatCases {
		check(f)
		check(-f)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		check(f)
		// Also "human" values around the format cut-offs.
		check(float64(r.IntN(2000000)) * math.Pow10(r.IntN(60)-30))
	}
}

func TestAppendFloatNonFinite(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := string(AppendFloat([]byte("["), f)); got != "[null" {
			t.Errorf("AppendFloat(%v) = %s", f, got)
		}
		got, err := AppendFloatChecked([]byte("["), f)
		if string(got) != "[" || !errors.Is(err, ErrUnsupportedFloat) {
			t.Errorf("AppendFloatChecked(%v) = %s, %v", f, got, err)
		}
	}
}

func TestBufferPool(t *testing.T) {
	b := GetBuffer()
	if len(b.B) != 0 {
		t.Fatal("GetBuffer returned non-empty buffer")
	}
	b.B = AppendString(b.B, "x")
	PutBuffer(b)
	b = GetBuffer()
	if len(b.B) != 0 {
		t.Fatal("pooled buffer not reset")
	}
	b.B = make([]byte, 0, maxPooledBuffer+1)
	PutBuffer(b) // dropped; must not panic
	PutBuffer(nil)
}
