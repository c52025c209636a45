package tools

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

type fakeSpeech struct {
	channel string
	err     error
}

func (f *fakeSpeech) Speak(_ context.Context, text, channel string) (string, string, bool, error) {
	f.channel = channel
	if f.err != nil {
		return "", "", false, f.err
	}
	return "/tmp/tts-1/voice.opus", "openai", channel == "telegram", nil
}

// TestTTSTool: the answer is a MEDIA: line (with [[audio_as_voice]] for a voice
// note), the run's channel picks the format unless the call names one, a failed
// conversion is an answer with the error, and text is required.
func TestTTSTool(t *testing.T) {
	cases := []struct {
		name, args, want, channel string
		err                       error
		isErr                     bool
	}{
		{"run channel", `{"text":"hi there"}`, "[[audio_as_voice]]\nMEDIA:/tmp/tts-1/voice.opus", "telegram", nil, false},
		{"explicit channel", `{"text":"hi there","channel":"whatsapp"}`, "MEDIA:/tmp/tts-1/voice.opus", "whatsapp", nil, false},
		{"failure", `{"text":"hi there"}`, "TTS conversion failed: openai: boom", "telegram", errors.New("TTS conversion failed: openai: boom"), false},
		{"no text", `{"text":"  "}`, "", "", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sp := &fakeSpeech{err: c.err}
			tool, err := TTSTool(sp, "telegram")
			if err != nil {
				t.Fatal(err)
			}
			if err := tool.Validate(json.RawMessage(c.args)); err != nil {
				t.Fatal(err)
			}
			res, err := tool.Execute(context.Background(), Call{Args: json.RawMessage(c.args)})
			if c.isErr {
				if err == nil {
					t.Fatalf("want an error, got %+v", res)
				}
				return
			}
			if err != nil || res.Content[0].Text != c.want || sp.channel != c.channel {
				t.Fatalf("result %+v err %v channel %q", res, err, sp.channel)
			}
		})
	}
	if tool, _ := TTSTool(&fakeSpeech{}, ""); tool.Validate(json.RawMessage(`{}`)) == nil {
		t.Fatal("text is required by the schema")
	}
}
