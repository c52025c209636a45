package wire

// Optional fields are pointers in the generated types: nil is left out on the wire.
// These two convert between them and plain values, so hand-written code needs no
// pointer helpers of its own (and a literal pointer is just new("x")).

// Opt is the value of an optional string field holding s: nil (left out) for "".
func Opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Val is *p, or T's zero value when the optional field p was left out.
func Val[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
