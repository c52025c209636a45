// Package llm is the gateway's seam to model providers: one Streamer interface for a
// streamed model step (tool definitions in; text, reasoning and tool-call deltas, the
// assembled assistant message, stop reason and token usage out), implemented through the
// official SDKs for OpenAI-compatible Chat Completions (OpenAI, Ollama, vLLM, llama.cpp,
// LM Studio, OpenRouter) and native Anthropic Messages.
//
// Why one neutral message model: the transcript, the `agent` events and chat.history all
// speak the original's message shapes (pi-ai's user / assistant / toolResult messages with
// text, thinking, image and toolCall parts). Keeping those shapes as the only currency
// means a stored transcript can be replayed to any provider and shown to any client
// without conversion tables scattered through the gateway; each provider translates at
// its edge and nowhere else.
//
// Model references are "provider/model" strings resolved against a provider table shaped
// like the original's models.providers (see ProviderConfig); Fallback tries the resolved
// candidates in order on provider errors — never on an abort — and records why each
// attempt failed.
package llm
