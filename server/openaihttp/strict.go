package openaihttp

import (
	"fmt"

	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// checkJSON validates a body with the WebSocket's decoder and its rules before
// encoding/json reads it: duplicate keys at any depth, invalid UTF-8, lone surrogate
// escapes and nesting deeper than wire.MaxDepth are refused, so a request never means
// two things to two parsers (the original lets the last duplicate win).
func checkJSON(b []byte) error {
	var d wire.Decoder
	d.Reset(b)
	err := checkValue(&d)
	if err == nil {
		err = d.End()
	}
	return err
}

func checkValue(d *wire.Decoder) error {
	switch d.Peek() {
	case wire.KindObject:
		if err := d.BeginObject(); err != nil {
			return err
		}
		seen := map[string]bool{}
		for {
			k, more, err := d.NextKey()
			if err != nil || !more {
				return err
			}
			if seen[string(k)] {
				return fmt.Errorf("duplicate property %q", k)
			}
			seen[string(k)] = true
			if err := checkValue(d); err != nil {
				return err
			}
		}
	case wire.KindArray:
		if err := d.BeginArray(); err != nil {
			return err
		}
		for {
			more, err := d.NextElem()
			if err != nil || !more {
				return err
			}
			if err := checkValue(d); err != nil {
				return err
			}
		}
	case wire.KindString:
		_, err := d.StringBytes()
		return err
	}
	return d.Skip() // numbers, literals, and the syntax error of anything else
}
