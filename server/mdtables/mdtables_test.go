package mdtables

import "testing"

// TestConvert: tables become bullets or an aligned code block; text around them,
// tables inside code fences and lookalikes without a delimiter row stay as written.
func TestConvert(t *testing.T) {
	const table = "Prices:\n\n| Fruit | Price | Note |\n|---|:---:|---|\n| Apple | 1 |  |\n| Kiwi | 20 | ripe |\n\nThanks."
	for _, tc := range []struct {
		name, in, mode, want string
	}{
		{"bullets", table, Bullets, "Prices:\n\n**Apple**\n• Price: 1\n\n**Kiwi**\n• Price: 20\n• Note: ripe\n\nThanks."},
		{"code", table, Code, "Prices:\n\n```\n| Fruit | Price | Note |\n| ----- | ----- | ---- |\n| Apple | 1     |      |\n| Kiwi  | 20    | ripe |\n```\n\nThanks."},
		{"off", table, Off, table},
		{"one column", "| Item |\n| --- |\n| a |\n| b |", Bullets, "• Item: a\n\n• Item: b"},
		{"escaped pipe", "| k | v |\n|---|---|\n| a | x \\| y |", Bullets, "**a**\n• v: x | y"},
		{"in a fence", "```\n| a | b |\n|---|---|\n| 1 | 2 |\n```", Bullets, "```\n| a | b |\n|---|---|\n| 1 | 2 |\n```"},
		{"no delimiter", "a | b\nc | d", Bullets, "a | b\nc | d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Convert(tc.in, tc.mode); got != tc.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
