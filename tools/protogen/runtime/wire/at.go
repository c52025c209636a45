package wire

import "errors"

// At turns an error from a Decoder call into a *ValidationError located at p, so
// every failure of a generated decoder reads the same way: a JSON Pointer and a
// message. Type mismatches read like Ajv's ("must be string"), which is what the
// original gateway's clients show to people. A *ValidationError passes through, and
// nil stays nil.
func At(p *Path, err error) error {
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	var te *TypeError
	if errors.As(err, &te) {
		return &ValidationError{Path: p.String(), Msg: "must be " + te.Want}
	}
	return &ValidationError{Path: p.String(), Msg: err.Error()}
}
