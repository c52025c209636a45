package rpc

import "github.com/clawgate/gateway/tools/protogen/runtime/wire"

// EmptyParams stands in for absent params, which mean {}.
var EmptyParams = []byte("{}")

// DecodeAll decodes a whole document with fn and rejects trailing data.
func DecodeAll(data []byte, fn func(*wire.Decoder, *wire.Path) error) error {
	d := wire.NewDecoder(data)
	if err := fn(d, nil); err != nil {
		return err
	}
	if err := d.End(); err != nil {
		return wire.At(nil, err)
	}
	return nil
}

// SniffString returns the string value of a top-level key of the JSON object raw, and
// whether there is one: the generated union decoders read the discriminator with it
// before choosing the member to decode.
func SniffString(raw []byte, key string) (string, bool) {
	d := wire.NewDecoder(raw)
	if d.BeginObject() != nil {
		return "", false
	}
	for {
		k, more, err := d.NextKey()
		if err != nil || !more {
			return "", false
		}
		if string(k) == key {
			v, err := d.String()
			return v, err == nil
		}
		if d.Skip() != nil {
			return "", false
		}
	}
}
