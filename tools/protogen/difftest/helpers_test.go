package difftest

import (
	"strings"
	"testing"
)

func TestSkipDoc(t *testing.T) {
	deep := strings.Repeat("[", maxFuzzDepth+1) + strings.Repeat("]", maxFuzzDepth+1)
	deepOK := strings.Repeat(`{"a":`, maxFuzzDepth) + "1" + strings.Repeat("}", maxFuzzDepth)
	for doc, want := range map[string]bool{
		`{"a":1,"b":{"a":2},"c":[{"a":3,"b":4}]}`: false,
		`{"a":1,"a":2}`:                       true,
		`{"a":{"x":1,"x":2}}`:                 true,
		`[{"a":1},{"a":1}]`:                   false,
		`{"a":[1,{"b":2}],"b":3}`:             false,
		`{"\u0061":1,"a":2}`:                  true,
		deep:                                  true,
		deepOK:                                false,
		`{"a":1`:                              true,
		"\"\xff\"":                            true,
		`"\ud800"`:                            false, // valid UTF-8 bytes; both sides reject the escape
		`1e301`:                               true,
		`1e300`:                               false,
		`-1E-0400`:                            true,
		`"1e999"`:                             false,
		`0.` + strings.Repeat("0", 300) + `1`: true,
	} {
		if got := skipDoc([]byte(doc)); got != want {
			t.Errorf("skipDoc(%.40q) = %v, want %v", doc, got, want)
		}
	}
}

func TestNormalizeNumbers(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":1,"b":"1.00000000000000000001","c":1.00000000000000000001}`: `{"a":1,"b":"1.00000000000000000001","c":1}`,
		`[-1e-400,0.5,1e400,9007199254740993]`:                            `[-0,0.5,1e400,9.007199254740992e+15]`,
		`{"k\"1.1":0.1}`:                                                  `{"k\"1.1":0.1}`,
	} {
		got, _ := normalizeNumbers([]byte(in))
		if string(got) != want {
			t.Errorf("normalizeNumbers(%s) = %s, want %s", in, got, want)
		}
	}
}
