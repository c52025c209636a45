package llm

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/openai/openai-go/v3"
)

// chunkView is what Stream takes from a chunk.
type chunkView struct {
	Usage   *Usage
	Choices []choiceView
}

type choiceView struct {
	Index             int64
	Content, Thinking string
	Calls             []openAIToolCallDelta
	Finish            string
}

// sdkChunkView reads a chunk the way Stream did through the SDK's ChatCompletionChunk.
func sdkChunkView(t *testing.T, data string) chunkView {
	t.Helper()
	var c openai.ChatCompletionChunk
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		t.Fatalf("SDK: %v", err)
	}
	var v chunkView
	if c.JSON.Usage.Valid() {
		u := c.Usage
		cached := u.PromptTokensDetails.CachedTokens
		out := Usage{Input: max(u.PromptTokens-cached, 0), Output: u.CompletionTokens, CacheRead: cached,
			CacheWrite: u.PromptTokensDetails.CacheWriteTokens, TotalTokens: u.TotalTokens}
		if out.TotalTokens == 0 {
			out.TotalTokens = u.PromptTokens + u.CompletionTokens
		}
		v.Usage = &out
	}
	rawString := func(raw string) string {
		var s string
		if json.Unmarshal([]byte(raw), &s) != nil {
			return ""
		}
		return s
	}
	for _, ch := range c.Choices {
		cv := choiceView{Index: ch.Index, Content: ch.Delta.Content, Finish: ch.FinishReason}
		if f, ok := ch.Delta.JSON.ExtraFields["reasoning_content"]; ok {
			cv.Thinking = rawString(f.Raw())
		} else if f, ok := ch.Delta.JSON.ExtraFields["reasoning"]; ok {
			cv.Thinking = rawString(f.Raw())
		}
		for _, tc := range ch.Delta.ToolCalls {
			cv.Calls = append(cv.Calls, openAIToolCallDelta{index: tc.Index, id: tc.ID, name: tc.Function.Name, args: tc.Function.Arguments})
		}
		v.Choices = append(v.Choices, cv)
	}
	return v
}

func leanChunkView(t *testing.T, data string) chunkView {
	t.Helper()
	var c openAIChunk
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		t.Fatalf("lean: %v", err)
	}
	v := chunkView{Usage: c.usage}
	for _, ch := range c.choices {
		v.Choices = append(v.Choices, choiceView{Index: ch.index, Content: ch.content, Thinking: ch.thinking, Calls: ch.toolCalls, Finish: ch.finish})
	}
	return v
}

// TestOpenAIChunkMatchesSDK: the lean chunk reads what Stream read from the SDK's
// ChatCompletionChunk, for the shapes servers send and some they should not.
func TestOpenAIChunkMatchesSDK(t *testing.T) {
	const head = `"id":"c","object":"chat.completion.chunk","created":1,"model":"m"`
	for _, data := range []string{
		`{` + head + `,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
		`{` + head + `,"choices":[{"index":0,"delta":{"content":"H\u00e9 \"x\"\n😀"},"finish_reason":null,"logprobs":null}]}`,
		`{` + head + `,"choices":[{"index":0,"delta":{"content":null},"finish_reason":"stop"}]}`,
		`{` + head + `,"choices":[{"index":0,"delta":{"reasoning_content":"think "}}]}`,
		`{` + head + `,"choices":[{"index":0,"delta":{"reasoning":"think"}}]}`,
		`{` + head + `,"choices":[{"index":0,"delta":{"reasoning_content":"a","reasoning":"b"}}]}`,
		`{` + head + `,"choices":[{"index":0,"delta":{"reasoning_content":null,"reasoning":"b"}}]}`,
		`{` + head + `,"choices":[{"index":0,"delta":{"reasoning":7}}]}`,
		`{` + head + `,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"read","arguments":""}},{"index":1,"id":"call_b","type":"function","function":{"name":"exec","arguments":"{\"c"}}]}}]}`,
		`{` + head + `,"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"md\":1}"}}]}}]}`,
		`{` + head + `,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]}}]}`,
		`{` + head + `,"choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"mine"},"finish_reason":"length"}]}`,
		`{` + head + `,"choices":[{"delta":{"content":"no index"}}]}`,
		`{` + head + `,"choices":[],"usage":{"prompt_tokens":120,"completion_tokens":7,"total_tokens":127,"prompt_tokens_details":{"cached_tokens":20}}}`,
		`{` + head + `,"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":30,"cache_write_tokens":4}}}`,
		`{` + head + `,"choices":[],"usage":{}}`,
		`{` + head + `,"choices":[],"usage":null}`,
		`{` + head + `,"choices":[{"index":0,"delta":{"content":"x"}}],"usage":null}`,
		`{"choices":[{"index":0,"delta":{"content":"minimal"}}]}`,
		`{}`,
		// Members of unexpected types, read as the SDK reads them.
		`{"choices":[{"index":0,"delta":{"content":5}}]}`,
		`{"choices":[{"index":"1","delta":{"content":"a"}}]}`,
		`{"choices":[{"index":0.0,"delta":{"content":true},"finish_reason":3}]}`,
		`{"choices":[],"usage":"x"}`,
		`{"choices":[],"usage":{"prompt_tokens":"12","completion_tokens":1.5,"prompt_tokens_details":null}}`,
		`{"choices":{"index":0}}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":5,"function":{"name":"a","arguments":{"x":1}}},null]}}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":{"index":0}}}]}`,
		`{"choices":[null,{"index":0,"delta":{"content":"a"}}]}`,
		`{"choices":[{"index":0,"delta":"text"}]}`,
	} {
		if got, want := leanChunkView(t, data), sdkChunkView(t, data); !reflect.DeepEqual(got, want) {
			t.Errorf("%s\nlean %+v\nSDK  %+v", data, got, want)
		}
	}
}
