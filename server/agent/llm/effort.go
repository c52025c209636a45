package llm

// OpenAIReasoningEffort maps a thinking level to the reasoning_effort an
// OpenAI-compatible reasoning model gets: minimal, low, medium and high as they are;
// xhigh as high (only a few models take "xhigh", and a server that does not know it
// refuses the request); off, "" and anything else: none (the field is left out, so
// the server's default applies).
func OpenAIReasoningEffort(level string) string {
	switch level {
	case "minimal", "low", "medium", "high":
		return level
	case "xhigh":
		return "high"
	}
	return ""
}
