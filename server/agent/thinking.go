package agent

// ReasoningEffort is the thinking level a session asks of OpenAI-compatible reasoning
// models ("" when off or unset): the level itself, mapped to reasoning_effort by the
// model client (llm.OpenAIReasoningEffort) and sent only to models configured with
// reasoning: true. Anthropic models get ThinkingBudget instead.
func ReasoningEffort(level string) string {
	switch level {
	case "minimal", "low", "medium", "high", "xhigh":
		return level
	}
	return ""
}
