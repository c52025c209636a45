package wire

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// benchFrame is a realistic ~300-byte request frame.
var benchFrame = []byte(`{"type":"req","id":"6c1f6a0e-3b1e-4d8e-9a63-3c2a1f9e6b10","method":"send",` +
	`"params":{"to":"+15551234567","message":"Hello from the gateway benchmark \u2014 caf\u00e9 at 5pm?",` +
	`"idempotencyKey":"k1-6c1f6a0e-3b1e-4d8e-9a63","media":{"kind":"image","sizes":[120,480,1080]},"silent":false}}`)

// The types and functions below are shaped like generated code: static keys
// in Paths, validation inline, errors built only on failure.

type reqFrame struct {
	ID     string
	Method string
	Params []byte // raw; decoded later by the method's own decoder
}

func decodeReqFrame(d *Decoder, f *reqFrame, parent *Path) error {
	if err := d.BeginObject(); err != nil {
		return WrapError(parent, err)
	}
	var seen uint8
	for {
		key, ok, err := d.NextKey()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch string(key) {
		case "type":
			p := Path{Parent: parent, Key: "type"}
			b, err := d.StringBytes()
			if err != nil {
				return WrapError(&p, err)
			}
			if string(b) != "req" {
				return Errorf(&p, "must be %q", "req")
			}
			seen |= 1
		case "id":
			p := Path{Parent: parent, Key: "id"}
			if f.ID, err = d.String(); err != nil {
				return WrapError(&p, err)
			}
			if utf8.RuneCountInString(f.ID) < 1 {
				return Errorf(&p, "must have at least %d characters", 1)
			}
			seen |= 2
		case "method":
			p := Path{Parent: parent, Key: "method"}
			if f.Method, err = d.String(); err != nil {
				return WrapError(&p, err)
			}
			if utf8.RuneCountInString(f.Method) < 1 {
				return Errorf(&p, "must have at least %d characters", 1)
			}
			seen |= 4
		case "params":
			if f.Params, err = d.Raw(); err != nil {
				return err
			}
		default:
			return Errorf(parent, "unknown property %q", key)
		}
	}
	if seen != 7 {
		return Errorf(parent, "missing required property")
	}
	return nil
}

type sendParams struct {
	To, Message, IdempotencyKey string
	Media                       struct {
		Kind  string
		Sizes []int64
	}
	Silent bool
}

func decodeSendParams(d *Decoder, s *sendParams, parent *Path) error {
	if err := d.BeginObject(); err != nil {
		return WrapError(parent, err)
	}
	for {
		key, ok, err := d.NextKey()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		switch string(key) {
		case "to":
			p := Path{Parent: parent, Key: "to"}
			if s.To, err = d.String(); err != nil {
				return WrapError(&p, err)
			}
		case "message":
			p := Path{Parent: parent, Key: "message"}
			if s.Message, err = d.String(); err != nil {
				return WrapError(&p, err)
			}
			if n := utf8.RuneCountInString(s.Message); n > 4096 {
				return Errorf(&p, "must have at most %d characters", 4096)
			}
		case "idempotencyKey":
			p := Path{Parent: parent, Key: "idempotencyKey"}
			if s.IdempotencyKey, err = d.String(); err != nil {
				return WrapError(&p, err)
			}
		case "media":
			p := Path{Parent: parent, Key: "media"}
			if err := decodeMedia(d, s, &p); err != nil {
				return err
			}
		case "silent":
			p := Path{Parent: parent, Key: "silent"}
			if s.Silent, err = d.Bool(); err != nil {
				return WrapError(&p, err)
			}
		default:
			if err := d.Skip(); err != nil {
				return err
			}
		}
	}
}

func decodeMedia(d *Decoder, s *sendParams, parent *Path) error {
	if err := d.BeginObject(); err != nil {
		return WrapError(parent, err)
	}
	for {
		key, ok, err := d.NextKey()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		switch string(key) {
		case "kind":
			p := Path{Parent: parent, Key: "kind"}
			b, err := d.StringBytes()
			if err != nil {
				return WrapError(&p, err)
			}
			switch string(b) { // enum: no allocation, constant strings
			case "image":
				s.Media.Kind = "image"
			case "video":
				s.Media.Kind = "video"
			default:
				return Errorf(&p, "must be one of image, video")
			}
		case "sizes":
			p := Path{Parent: parent, Key: "sizes"}
			if err := d.BeginArray(); err != nil {
				return WrapError(&p, err)
			}
			s.Media.Sizes = s.Media.Sizes[:0]
			for i := 0; ; i++ {
				ok, err := d.NextElem()
				if err != nil {
					return err
				}
				if !ok {
					break
				}
				ep := Path{Parent: &p, Index: i, IsIndex: true}
				v, err := d.Int()
				if err != nil {
					return WrapError(&ep, err)
				}
				if v < 0 {
					return Errorf(&ep, "must be >= 0")
				}
				s.Media.Sizes = append(s.Media.Sizes, v)
			}
		default:
			return Errorf(parent, "unknown property %q", key)
		}
	}
}

func decodeFull(d *Decoder, data []byte, f *reqFrame, s *sendParams) error {
	d.Reset(data)
	if err := decodeReqFrame(d, f, nil); err != nil {
		return err
	}
	if err := d.End(); err != nil {
		return err
	}
	d.Reset(f.Params)
	root := Path{Key: "params"}
	if err := decodeSendParams(d, s, &root); err != nil {
		return err
	}
	return d.End()
}

func TestBenchFrameDecodes(t *testing.T) {
	if len(benchFrame) < 280 || len(benchFrame) > 320 {
		t.Errorf("benchFrame is %d bytes, want ~300", len(benchFrame))
	}
	var d Decoder
	var f reqFrame
	var s sendParams
	if err := decodeFull(&d, benchFrame, &f, &s); err != nil {
		t.Fatal(err)
	}
	if f.ID != "6c1f6a0e-3b1e-4d8e-9a63-3c2a1f9e6b10" || f.Method != "send" ||
		s.Message != "Hello from the gateway benchmark — café at 5pm?" ||
		s.Media.Kind != "image" || len(s.Media.Sizes) != 3 || s.Media.Sizes[2] != 1080 {
		t.Errorf("decoded %+v %+v", f, s)
	}

	// A validation error deep inside carries its path.
	bad := bytes.Replace(benchFrame, []byte("1080"), []byte("-1"), 1)
	if err := decodeFull(&d, bad, &f, &s); err == nil || err.Error() != "/params/media/sizes/2: must be >= 0" {
		t.Errorf("bad frame: %v", err)
	}
	bad = bytes.Replace(benchFrame, []byte("480"), []byte("4.5"), 1)
	if err := decodeFull(&d, bad, &f, &s); err == nil || err.Error() != "/params/media/sizes/1: expected integer, got number" {
		t.Errorf("bad frame: %v", err)
	}
}

// TestDecodeAllocs pins the allocation budget: only the five returned
// strings (id, method, to, message, idempotencyKey) allocate; Paths, the
// Decoder, keys, enum strings, Raw and numbers do not. (The Sizes slice is
// reused, and the scratch buffer for the escaped message is kept by the
// reused Decoder.)
func TestDecodeAllocs(t *testing.T) {
	var d Decoder
	var f reqFrame
	var s sendParams
	allocs := testing.AllocsPerRun(100, func() {
		if err := decodeFull(&d, benchFrame, &f, &s); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 5 {
		t.Errorf("decode allocs = %v, want 5", allocs)
	}
	floatIn, intIn := []byte("-12345.678e-3"), []byte("1.5e1")
	allocs = testing.AllocsPerRun(100, func() {
		d.Reset(benchFrame)
		if err := d.Skip(); err != nil {
			t.Fatal(err)
		}
		d.Reset(floatIn)
		if _, err := d.Float(); err != nil {
			t.Fatal(err)
		}
		d.Reset(intIn)
		if _, err := d.Int(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Skip/Float/Int allocs = %v, want 0", allocs)
	}
	buf := make([]byte, 0, 1024)
	allocs = testing.AllocsPerRun(100, func() {
		b := AppendKey(buf[:0], "message")
		b = AppendString(b, "héllo \"world\"\n\u2028")
		b = AppendFloat(b, 1.5e-9)
		b = AppendInt(b, -42)
		_ = AppendBool(b, true)
	})
	if allocs != 0 {
		t.Errorf("Append* allocs = %v, want 0", allocs)
	}
}

func BenchmarkDecodeReqFrame(b *testing.B) {
	var d Decoder
	var f reqFrame
	b.SetBytes(int64(len(benchFrame)))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset(benchFrame)
		if err := decodeReqFrame(&d, &f, nil); err != nil {
			b.Fatal(err)
		}
		if err := d.End(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeReqFrameFull also decodes and validates params into a
// nested struct.
func BenchmarkDecodeReqFrameFull(b *testing.B) {
	var d Decoder
	var f reqFrame
	var s sendParams
	b.SetBytes(int64(len(benchFrame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := decodeFull(&d, benchFrame, &f, &s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeReqFrameEncodingJSON is the reflection baseline for the
// same work (without the validation).
func BenchmarkDecodeReqFrameEncodingJSON(b *testing.B) {
	type media struct {
		Kind  string  `json:"kind"`
		Sizes []int64 `json:"sizes"`
	}
	type params struct {
		To             string `json:"to"`
		Message        string `json:"message"`
		IdempotencyKey string `json:"idempotencyKey"`
		Media          media  `json:"media"`
		Silent         bool   `json:"silent"`
	}
	type frame struct {
		Type   string          `json:"type"`
		ID     string          `json:"id"`
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	b.SetBytes(int64(len(benchFrame)))
	b.ReportAllocs()
	for b.Loop() {
		var f frame
		if err := json.Unmarshal(benchFrame, &f); err != nil {
			b.Fatal(err)
		}
		var p params
		if err := json.Unmarshal(f.Params, &p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSkip(b *testing.B) {
	var d Decoder
	b.SetBytes(int64(len(benchFrame)))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset(benchFrame)
		if err := d.Skip(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONValid(b *testing.B) {
	b.SetBytes(int64(len(benchFrame)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(benchFrame) {
			b.Fatal("invalid")
		}
	}
}

var benchStrings = []string{
	"6c1f6a0e-3b1e-4d8e-9a63-3c2a1f9e6b10",
	"Hello from the gateway benchmark — café at 5pm? <b>bold</b> & \"quoted\"\n",
}

func BenchmarkAppendString(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range benchStrings {
			buf = AppendString(buf[:0], s)
		}
	}
}

func BenchmarkAppendStringEncodingJSON(b *testing.B) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range benchStrings {
			buf.Reset()
			if err := enc.Encode(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkAppendFloat(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFloat(buf[:0], 3.141592653589793)
		buf = AppendFloat(buf, 1.5e-9)
	}
}

func BenchmarkInt(b *testing.B) {
	var d Decoder
	in := []byte("1767225600000")
	b.ReportAllocs()
	for b.Loop() {
		d.Reset(in)
		if _, err := d.Int(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFloat(b *testing.B) {
	var d Decoder
	in := []byte("-12345.678e-3")
	b.ReportAllocs()
	for b.Loop() {
		d.Reset(in)
		if _, err := d.Float(); err != nil {
			b.Fatal(err)
		}
	}
}
