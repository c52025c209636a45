package tgtest

import (
	"fmt"
	"strings"
)

// htmlTags are the tags Telegram's HTML parse mode accepts (with their aliases).
var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true, "strike": true, "del": true,
	"span": true, "tg-spoiler": true, "a": true, "code": true, "pre": true, "blockquote": true, "tg-emoji": true,
}

// checkParse answers text sent with parse_mode as Telegram would: HTML with an unknown
// or unbalanced tag, or a bare '<' or '&', is refused with 400 "can't parse
// entities". Other parse modes are not checked.
func checkParse(mode, text string) *apiError {
	if !strings.EqualFold(mode, "HTML") {
		return nil
	}
	if err := checkHTML(text); err != nil {
		return &apiError{400, "Bad Request: can't parse entities: " + err.Error()}
	}
	return nil
}

func checkHTML(h string) error {
	var stack []string
	for i := 0; i < len(h); i++ {
		switch h[i] {
		case '&':
			j := strings.IndexByte(h[i:], ';')
			if j < 0 || j > 10 {
				return fmt.Errorf("unsupported start tag at byte offset %d", i)
			}
			switch h[i : i+j+1] {
			case "&amp;", "&lt;", "&gt;", "&quot;":
			default:
				return fmt.Errorf("unsupported HTML entity at byte offset %d", i)
			}
		case '<':
			j := strings.IndexByte(h[i:], '>')
			if j < 0 {
				return fmt.Errorf("can't find end of the tag starting at byte offset %d", i)
			}
			tag := h[i+1 : i+j]
			if name, ok := strings.CutPrefix(tag, "/"); ok {
				if len(stack) == 0 || stack[len(stack)-1] != name {
					return fmt.Errorf("can't find end tag corresponding to start tag at byte offset %d", i)
				}
				stack = stack[:len(stack)-1]
			} else {
				name, _, _ := strings.Cut(tag, " ")
				if !htmlTags[name] {
					return fmt.Errorf("unsupported start tag \"%s\" at byte offset %d", name, i)
				}
				stack = append(stack, name)
			}
			i += j
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("can't find end of the entity starting at byte offset %d", len(h))
	}
	return nil
}
