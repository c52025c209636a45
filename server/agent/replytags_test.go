package agent

import "testing"

// TestIsSilentReply pins the original's isSilentReplyText rules: the token at the
// start (then end or a non-word character) or as the last word (then only non-word
// characters).
func TestIsSilentReply(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"NO_REPLY", true},
		{"  NO_REPLY  ", true},
		{"\nNO_REPLY\n", true},
		{"NO_REPLY.", true},
		{"NO_REPLY: nothing to add", true}, // prefix rule: anything after a non-word char
		{"Done for today. NO_REPLY", true}, // suffix rule
		{"Done for today. NO_REPLY!!", true},
		{"(NO_REPLY)", true},
		{"NO_REPLYING", false},
		{"XNO_REPLY", false},
		{"NO_REPLY_X", false},
		{"I will not say NO_REPLY here.", false},
		{"Reply with NO_REPLY when idle", false},
		{"no_reply", false}, // case matters
		{"NO_REPL", false},
		{"`NO_REPLY` is the token", false},
	} {
		if got := IsSilentReply(tc.in); got != tc.want {
			t.Errorf("IsSilentReply(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParseReplyTags(t *testing.T) {
	for _, tc := range []struct {
		in, current string
		want        ReplyTags
	}{
		{"hi", "7", ReplyTags{Text: "hi"}},
		{"[[reply_to_current]] hi", "7", ReplyTags{Text: "hi", ReplyTo: "7", Current: true, HasTag: true}},
		{"[[ reply_to_current ]]hi", "7", ReplyTags{Text: "hi", ReplyTo: "7", Current: true, HasTag: true}},
		{"[[REPLY_TO_CURRENT]] hi", "7", ReplyTags{Text: "hi", ReplyTo: "7", Current: true, HasTag: true}},
		{"[[reply_to_current]] hi", "", ReplyTags{Text: "hi", Current: true, HasTag: true}},
		{"[[reply_to:123]] hi", "7", ReplyTags{Text: "hi", ReplyTo: "123", HasTag: true}},
		{"[[ reply_to : 123 ]] hi", "7", ReplyTags{Text: "hi", ReplyTo: "123", HasTag: true}},
		// An explicit id wins over current; the last explicit id wins.
		{"[[reply_to_current]] a [[reply_to:5]] b [[reply_to:6]]", "7", ReplyTags{Text: "a b", ReplyTo: "6", Current: true, HasTag: true}},
		{"line one  [[reply_to:9]]\n  line two", "", ReplyTags{Text: "line one\nline two", ReplyTo: "9", HasTag: true}},
		// Not tags: left alone.
		{"[[reply_to:]] hi", "7", ReplyTags{Text: "[[reply_to:]] hi"}},
		{"[[audio_as_voice]] hi", "7", ReplyTags{Text: "[[audio_as_voice]] hi"}},
		{"[[reply_to_current hi", "7", ReplyTags{Text: "[[reply_to_current hi"}},
	} {
		if got := ParseReplyTags(tc.in, tc.current); got != tc.want {
			t.Errorf("ParseReplyTags(%q, %q) = %+v, want %+v", tc.in, tc.current, got, tc.want)
		}
	}
}

func TestVisibleText(t *testing.T) {
	for _, tc := range []struct {
		in, final, partial string
	}{
		{"hello", "hello", "hello"},
		{"NO_REPLY", "", ""},
		{"[[reply_to_current]] NO_REPLY", "", ""},
		{"[[reply_to_current]] hi", "hi", "hi"},
		// Partial text: a tag or the token being written shows nothing yet.
		{"[[reply_to_", "[[reply_to_", ""},
		{"hi [[reply", "hi [[reply", "hi "},
		{"NO_", "NO_", ""},
		{"N", "N", ""},
		{"NO_REPLY is a token we use", "", ""}, // the prefix rule
		{"No thanks", "No thanks", "No thanks"},
	} {
		if got := VisibleReply(tc.in); got != tc.final {
			t.Errorf("VisibleReply(%q) = %q, want %q", tc.in, got, tc.final)
		}
		if got := visiblePartial(tc.in); got != tc.partial {
			t.Errorf("visiblePartial(%q) = %q, want %q", tc.in, got, tc.partial)
		}
	}
}
