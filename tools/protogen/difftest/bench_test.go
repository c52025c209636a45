package difftest

import (
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Realistic request frames of about 300 bytes: a send with a multi-byte,
// escaped message, and a health probe with a long id.
var (
	sendFrame = []byte(`{"type":"req","id":"6c1f6a0e-3b1e-4d8e-9a63-3c2a1f9e6b10","method":"send","params":{` +
		`"to":"+15551234567","message":"Build #4521 finished \u2014 3 warnings, 0 errors. Caf\u00e9 at 5pm? Reply STOP to mute.",` +
		`"channel":"whatsapp","idempotencyKey":"send-6c1f6a0e-3b1e-4d8e-9a63-3c2a1f9e6b10"}}`)
	sendParams = []byte(`{"to":"+15551234567","message":"Build #4521 finished \u2014 3 warnings, 0 errors. Caf\u00e9 at 5pm? Reply STOP to mute.",` +
		`"channel":"whatsapp","idempotencyKey":"send-6c1f6a0e-3b1e-4d8e-9a63-3c2a1f9e6b10"}`)
	healthFrame = []byte(`{"type":"req","id":"health-probe-6c1f6a0e-3b1e-4d8e-9a63-3c2a1f9e6b10-8d2f4c1a-7e5b-4f3a-9c6d-2b1a0e9f8c7d-retry-0001",` +
		`"method":"health","params":{"probe":true}}`)
	healthParams = []byte(`{"probe":true}`)
)

// decodeGenerated is the server's hot path: the frame, then the method's params.
func decodeGenerated(d *wire.Decoder, frame []byte) (any, error) {
	d.Reset(frame)
	d.BorrowRaw = true // as the server does: it owns the frame's bytes
	var v protocol.RequestFrame
	if err := v.DecodeJSON(d, nil); err != nil {
		return nil, err
	}
	if err := d.End(); err != nil {
		return nil, err
	}
	return protocol.DecodeParams(d, v.Method, 3, v.Params)
}

func BenchmarkDecodeValidate(b *testing.B) {
	o := getOracle(b)
	for _, c := range []struct {
		name          string
		frame, params []byte
		paramsRef     string
	}{
		{"health", healthFrame, healthParams, "methods/health.json#/$defs/params"},
		{"send", sendFrame, sendParams, "methods/send.json#/$defs/params"},
	} {
		b.Run(c.name+"/generated", func(b *testing.B) {
			var d wire.Decoder
			b.SetBytes(int64(len(c.frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeGenerated(&d, c.frame); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/kaptinlin", func(b *testing.B) {
			frameSchema, paramsSchema := o.schemas[reqFrameRef], o.schemas[c.paramsRef]
			if paramsSchema == nil {
				b.Skipf("no schema %s", c.paramsRef)
			}
			b.SetBytes(int64(len(c.frame)))
			b.ReportAllocs()
			for b.Loop() {
				// The params bytes are extracted once, outside the loop: kaptinlin
				// is charged only for its two validations.
				if !frameSchema.ValidateJSON(c.frame).IsValid() || !paramsSchema.ValidateJSON(c.params).IsValid() {
					b.Fatal("invalid")
				}
			}
		})
	}
}

// TestSendFrameAllocs holds the hot path to its allocation budget: decoding and
// validating a send frame and its params allocates at most 10 times.
func TestSendFrameAllocs(t *testing.T) {
	if protocol.LookupMethod("send") == nil {
		t.Skip("no send method")
	}
	var d wire.Decoder
	if _, err := decodeGenerated(&d, sendFrame); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := decodeGenerated(&d, sendFrame); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("send frame: %d bytes, %.0f allocs", len(sendFrame), allocs)
	if allocs > 10 {
		t.Errorf("decoding a send frame allocates %.0f times, want <= 10", allocs)
	}
}
