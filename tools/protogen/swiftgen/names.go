package swiftgen

import (
	"fmt"
	"strings"
	"unicode"
)

// swiftKeywords are escaped with backticks when a generated identifier (property, enum
// case, argument label) would spell one. Besides the words swiftc reserves everywhere it
// includes a few contextual ones (Type, Protocol, any, some, async, await) for which
// escaping is harmless and avoids surprises.
var swiftKeywords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		associatedtype borrowing class consuming deinit enum extension fileprivate func import
		init inout internal let nonisolated open operator private precedencegroup protocol
		public rethrows static struct subscript typealias var
		break case catch continue default defer do else fallthrough for guard if in repeat
		return throw switch where while
		Any as async await false is nil self Self super throws true try
		Type Protocol any some _`) {
		swiftKeywords[w] = true
	}
}

// reservedTypeNames are type names the generated file declares itself or relies on; a
// schema type with one of these names would shadow them.
var reservedTypeNames = map[string]bool{
	"AnyCodable": true, "ErrorCode": true, "GatewayMethod": true, "GatewayEvent": true,
	"CodingKeys": true, "String": true, "Int": true, "Double": true, "Bool": true,
	"Decoder": true, "Encoder": true, "CodingKey": true, "Codable": true, "Encodable": true,
	"Decodable": true, "Sendable": true, "Hashable": true, "Hasher": true, "Equatable": true,
	"CaseIterable": true, "Optional": true, "Array": true, "Dictionary": true, "NSNull": true,
	"DecodingError": true, "EncodingError": true, "Foundation": true,
	"GATEWAY_PROTOCOL_VERSION": true, "GATEWAY_MIN_PROTOCOL_VERSION": true,
}

// checkTypeName reports whether name can be used as a top-level Swift type name.
func checkTypeName(name string) error {
	if name == "" {
		return fmt.Errorf("empty type name")
	}
	for i, r := range name {
		ok := r < unicode.MaxASCII && (unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r)))
		if !ok {
			return fmt.Errorf("type name %q is not an ASCII identifier", name)
		}
	}
	if swiftKeywords[name] || reservedTypeNames[name] {
		return fmt.Errorf("type name %q clashes with a Swift keyword or a name the generated file uses", name)
	}
	return nil
}

// words splits a wire name into words: on every character that is not an ASCII letter
// or digit, and at camelCase boundaries (runId → run Id, paramsJSON → params JSON,
// HTTPServer → HTTP Server).
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = nil
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case !isASCIIAlnum(r):
			flush()
		case isUpper(r):
			if len(cur) > 0 {
				prev := cur[len(cur)-1]
				nextLower := i+1 < len(rs) && isLower(rs[i+1])
				if !isUpper(prev) || nextLower {
					flush()
				}
			}
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return out
}

func isASCIIAlnum(r rune) bool { return isUpper(r) || isLower(r) || (r >= '0' && r <= '9') }
func isUpper(r rune) bool      { return r >= 'A' && r <= 'Z' }
func isLower(r rune) bool      { return r >= 'a' && r <= 'z' }

// lowerCamel turns a wire name into a lowerCamelCase identifier body (without keyword
// escaping): webchat-ui → webchatUi, node.pair.request → nodePairRequest,
// INVALID_REQUEST → invalidRequest, paramsJSON → paramsJSON. Names without any lowercase
// letter are treated as SHOUTING_CASE and lowercased word by word. A leading digit gets a
// "v" prefix; a name without letters or digits becomes "value".
func lowerCamel(s string) string {
	ws := words(s)
	if len(ws) == 0 {
		return "value"
	}
	shouting := !strings.ContainsFunc(s, isLower)
	var b strings.Builder
	for i, w := range ws {
		if shouting || i == 0 {
			w = strings.ToLower(w)
		}
		if i > 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
	}
	out := b.String()
	if out[0] >= '0' && out[0] <= '9' {
		out = "v" + out
	}
	return out
}

// escape wraps a Swift keyword in backticks.
func escape(id string) string {
	if swiftKeywords[id] {
		return "`" + id + "`"
	}
	return id
}

// identSet hands out unique identifiers within one scope (the properties of a struct, the
// cases of an enum): a clash after case conversion gets a numeric suffix, in input order,
// so the result is deterministic.
type identSet map[string]bool

func (u identSet) take(wire string) string {
	base := lowerCamel(wire)
	id := base
	for n := 2; u[id]; n++ {
		id = fmt.Sprintf("%s%d", base, n)
	}
	u[id] = true
	return id
}

// swiftString renders s as a Swift string literal.
func swiftString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		default:
			if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 {
				fmt.Fprintf(&b, `\u{%x}`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// docLine turns a description into the text of a single /// line: whitespace collapsed,
// control characters dropped.
func docLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if unicode.IsControl(r) || r == 0x2028 || r == 0x2029 {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
