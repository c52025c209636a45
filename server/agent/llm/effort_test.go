package llm

import "testing"

func TestOpenAIReasoningEffort(t *testing.T) {
	for level, want := range map[string]string{
		"": "", "off": "", "minimal": "minimal", "low": "low", "medium": "medium", "high": "high", "xhigh": "high", "ultra": "",
	} {
		if got := OpenAIReasoningEffort(level); got != want {
			t.Errorf("OpenAIReasoningEffort(%q) = %q, want %q", level, got, want)
		}
	}
}
