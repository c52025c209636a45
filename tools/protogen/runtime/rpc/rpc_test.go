package rpc

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

func TestInvalidParams(t *testing.T) {
	e := InvalidParams("INVALID_REQUEST", "send", &wire.ValidationError{Path: "/to", Msg: "must be string"})
	if e.Code != "INVALID_REQUEST" || e.Message != "invalid send params: /to: must be string" {
		t.Fatalf("error %+v", e)
	}
	if d, _ := json.Marshal(e.Details); string(d) != `{"path":"/to"}` {
		t.Fatalf("details %s", d)
	}
	if p, ok := ParamsPath(e); !ok || p != "/to" {
		t.Fatalf("ParamsPath = %q, %v", p, ok)
	}
	var ve *wire.ValidationError
	if !errors.As(e, &ve) || ve.Path != "/to" {
		t.Fatal("the validation error is not reachable through errors.As")
	}
	// A decoder error that is not a validation error is reported at the root.
	e = InvalidParams("INVALID_REQUEST", "send", errors.New("unexpected end of JSON input"))
	if e.Message != "invalid send params: unexpected end of JSON input" {
		t.Fatalf("message %q", e.Message)
	}
	if _, ok := ParamsPath(errors.New("other")); ok {
		t.Fatal("ParamsPath found a params failure in a plain error")
	}
}

func TestDispatchErrors(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
		as   func(error) bool
	}{
		{UnknownMethod("INVALID_REQUEST", "nope"), "INVALID_REQUEST: unknown method: nope", func(err error) bool {
			var x *UnknownMethodError
			return errors.As(err, &x) && x.Method == "nope"
		}},
		{NotImplemented("UNAVAILABLE", "cron.list"), "UNAVAILABLE: cron.list is not implemented by this gateway yet", func(err error) bool {
			var x *NotImplementedError
			return errors.As(err, &x) && x.Method == "cron.list"
		}},
		{Errorf("NOT_LINKED", "whatsapp %s", "not linked"), "NOT_LINKED: whatsapp not linked", func(error) bool { return true }},
	} {
		if tc.err.Error() != tc.want || !tc.as(tc.err) {
			t.Errorf("%v: want %q and its cause", tc.err, tc.want)
		}
	}
}

func TestDecodeAll(t *testing.T) {
	str := func(d *wire.Decoder, p *wire.Path) error { _, err := d.String(); return wire.At(p, err) }
	if err := DecodeAll([]byte(` "x" `), str); err != nil {
		t.Fatal(err)
	}
	if err := DecodeAll([]byte(`"x" 1`), str); err == nil {
		t.Fatal("trailing data accepted")
	}
	if err := DecodeAll([]byte(`1`), str); err == nil || err.Error() != "must be string" {
		t.Fatalf("err = %v", err)
	}
}

func TestSniffString(t *testing.T) {
	for _, tc := range []struct {
		doc, key, want string
		ok             bool
	}{
		{`{"a":[1,{"type":"x"}],"type":"req"}`, "type", "req", true},
		{`{"type":1}`, "type", "", false},
		{`{"a":1}`, "type", "", false},
		{`[1]`, "type", "", false},
		{`{"a":`, "type", "", false},
	} {
		if got, ok := SniffString([]byte(tc.doc), tc.key); got != tc.want || ok != tc.ok {
			t.Errorf("SniffString(%s) = %q, %v", tc.doc, got, ok)
		}
	}
}

// strVal is a tiny Decodable for the Nullable tests.
type strVal struct{ s string }

func (v *strVal) DecodeJSON(d *wire.Decoder, p *wire.Path) error {
	s, err := d.String()
	v.s = s
	return wire.At(p, err)
}

func TestNullable(t *testing.T) {
	if got := string(Null.AppendJSON([]byte("x:"))); got != "x:null" {
		t.Fatalf("Null.AppendJSON = %q", got)
	}
	str := func(d *wire.Decoder, p *wire.Path) error { _, err := d.String(); return wire.At(p, err) }
	for _, tc := range []struct {
		in     string
		ok     bool
		isNull bool
		want   string
	}{
		{`null`, true, true, ""},
		{` null `, true, true, ""},
		{`"hb"`, true, false, "hb"},
		{`1`, false, false, ""},
		{`nul`, false, false, ""},
	} {
		if err := DecodeAll([]byte(tc.in), OrNull(str)); (err == nil) != tc.ok {
			t.Errorf("OrNull(%s): err %v, want ok %v", tc.in, err, tc.ok)
		}
		n := Nullable[strVal, *strVal]{V: &strVal{s: "stale"}}
		err := DecodeAll([]byte(tc.in), n.DecodeJSON)
		if (err == nil) != tc.ok {
			t.Errorf("Nullable(%s): err %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		if (n.V == nil) != tc.isNull || (n.V != nil && n.V.s != tc.want) {
			t.Errorf("Nullable(%s) = %+v, want null %v %q", tc.in, n.V, tc.isNull, tc.want)
		}
	}
}
