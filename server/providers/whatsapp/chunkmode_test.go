package whatsapp

import (
	"slices"
	"testing"

	"github.com/clawgate/gateway/server/providers"
)

// TestSendChunkMode: chunkMode "newline" sends each paragraph of a reply as its own
// WhatsApp message; the default "length" sends a short reply whole.
func TestSendChunkMode(t *testing.T) {
	const text = "First paragraph.\n\n- one\n- two\n\nLast."
	for _, tc := range []struct {
		mode string
		want []string
	}{
		{"", []string{text}},
		{"length", []string{text}},
		{"newline", []string{"First paragraph.", "- one\n- two", "Last."}},
	} {
		t.Run("mode="+tc.mode, func(t *testing.T) {
			p, fs := linkedProvider(t, Config{ChunkMode: tc.mode})
			if _, err := p.Send(t.Context(), providers.Outbound{To: "+15551234567", Text: text}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range fs.last().sentMsgs() {
				got = append(got, s.msg.GetConversation())
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("sent %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSendTables: a Markdown table in a sent text becomes bullets by default (the
// original's WhatsApp default), a code block with markdown.tables "code", and stays
// with "off".
func TestSendTables(t *testing.T) {
	const text = "| Name | Age |\n|---|---|\n| Ann | 30 |"
	for _, tc := range []struct{ mode, want string }{
		{"", "**Ann**\n• Age: 30"},
		{"bullets", "**Ann**\n• Age: 30"},
		{"code", "```\n| Name | Age |\n| ---- | --- |\n| Ann  | 30  |\n```"},
		{"off", text},
	} {
		t.Run("mode="+tc.mode, func(t *testing.T) {
			p, fs := linkedProvider(t, Config{TableMode: tc.mode})
			if _, err := p.Send(t.Context(), providers.Outbound{To: "+15551234567", Text: text}); err != nil {
				t.Fatal(err)
			}
			if got := fs.last().sentMsgs()[0].msg.GetConversation(); got != tc.want {
				t.Fatalf("sent %q, want %q", got, tc.want)
			}
		})
	}
}
