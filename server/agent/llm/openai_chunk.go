package llm

import (
	"github.com/tidwall/gjson"
)

// openAIChunk is the part of a chat.completion.chunk the gateway reads. The SDK's own
// ChatCompletionChunk decodes every field with per-field metadata through reflection,
// a sizeable share of a model step's CPU; this type is decoded by the SDK's stream
// (ssestream.Stream, which also turns in-stream error events into errors) with one
// pass of gjson, the JSON reader the SDK itself uses. It is as lenient as the SDK: a
// member of an unexpected type is read as the SDK reads it (a number or an object where
// text belongs becomes its JSON text: some servers send tool arguments as an object),
// never failing the stream.
type openAIChunk struct {
	choices []openAIChoice
	usage   *Usage // nil when the chunk carries no usage object
}

type openAIChoice struct {
	index   int64
	content string
	// thinking is reasoning text: "reasoning_content" (DeepSeek, vLLM, llama.cpp) or,
	// when that member is absent, "reasoning" (OpenRouter, Ollama).
	thinking  string
	toolCalls []openAIToolCallDelta
	finish    string
}

type openAIToolCallDelta struct {
	index          int64
	id, name, args string
}

// UnmarshalJSON reads a chunk; ssestream hands it one event's data, already checked to
// be valid JSON by encoding/json.
func (c *openAIChunk) UnmarshalJSON(b []byte) error {
	*c = openAIChunk{}
	gjson.ParseBytes(b).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "choices":
			c.choices = c.choices[:0] // a repeated member replaces the earlier one
			if v.IsArray() {
				v.ForEach(func(_, ch gjson.Result) bool {
					c.choices = append(c.choices, readOpenAIChoice(ch))
					return true
				})
			}
		case "usage":
			if v.IsObject() {
				u := readOpenAIUsage(v)
				c.usage = &u
			}
		}
		return true
	})
	return nil
}

func readOpenAIChoice(ch gjson.Result) openAIChoice {
	var out openAIChoice
	ch.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "index":
			out.index = jsonInt(v)
		case "finish_reason":
			out.finish = jsonString(v)
		case "delta":
			var rc, r gjson.Result
			v.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "content":
					out.content = jsonString(v)
				case "reasoning_content":
					rc = v
				case "reasoning":
					r = v
				case "tool_calls":
					out.toolCalls = out.toolCalls[:0]
					if v.IsArray() {
						v.ForEach(func(_, tc gjson.Result) bool {
							out.toolCalls = append(out.toolCalls, readOpenAIToolCall(tc))
							return true
						})
					}
				}
				return true
			})
			// A present "reasoning_content" wins even when null or not text.
			if rc.Exists() {
				out.thinking = onlyString(rc)
			} else {
				out.thinking = onlyString(r)
			}
		}
		return true
	})
	return out
}

func readOpenAIToolCall(tc gjson.Result) openAIToolCallDelta {
	var out openAIToolCallDelta
	tc.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "index":
			out.index = jsonInt(v)
		case "id":
			out.id = jsonString(v)
		case "function":
			v.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "name":
					out.name = jsonString(v)
				case "arguments":
					out.args = jsonString(v)
				}
				return true
			})
		}
		return true
	})
	return out
}

// readOpenAIUsage converts a usage object to the original's accounting: cached prompt
// tokens are reported as cache reads, not input.
func readOpenAIUsage(v gjson.Result) Usage {
	var prompt, completion, total, cached, cacheWrite int64
	v.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "prompt_tokens":
			prompt = jsonInt(v)
		case "completion_tokens":
			completion = jsonInt(v)
		case "total_tokens":
			total = jsonInt(v)
		case "prompt_tokens_details":
			v.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "cached_tokens":
					cached = jsonInt(v)
				case "cache_write_tokens":
					cacheWrite = jsonInt(v)
				}
				return true
			})
		}
		return true
	})
	out := Usage{Input: max(prompt-cached, 0), Output: completion, CacheRead: cached, CacheWrite: cacheWrite, TotalTokens: total}
	if out.TotalTokens == 0 {
		out.TotalTokens = prompt + completion
	}
	return out
}

// jsonString reads a text member as the SDK does: a string's value, "" for null, and
// the JSON text of anything else.
func jsonString(v gjson.Result) string { return v.String() }

// jsonInt reads an integer member as the SDK does: numbers, numeric strings and true
// count, anything else is 0.
func jsonInt(v gjson.Result) int64 { return v.Int() }

// onlyString is v's value when v is a JSON string, else "" (reasoning members are
// extra fields the SDK left raw; only text is thinking).
func onlyString(v gjson.Result) string {
	if v.Type == gjson.String {
		return v.Str
	}
	return ""
}
