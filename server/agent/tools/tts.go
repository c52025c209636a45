package tools

import (
	"context"
	"errors"
	"strings"
)

// Speech converts text to an audio file (messages.tts: the configured provider and
// its fallbacks).
type Speech interface {
	// Speak returns the file, the provider that made it and whether it is a voice
	// note (Telegram opus).
	Speak(ctx context.Context, text, channel string) (path, provider string, voice bool, err error)
}

// AudioAsVoiceTag marks a reply whose audio goes as a voice note.
const AudioAsVoiceTag = "[[audio_as_voice]]"

// TTSTool is the tts tool: text to an audio file the model then names in its reply
// (a MEDIA: line), so the reply carries it. channel (else the run's) picks the format.
func TTSTool(sp Speech, runChannel string) (*Tool, error) {
	if sp == nil {
		return nil, errors.New("tools: tts needs a speech service")
	}
	return withSchema(&Tool{Name: "tts", Label: "TTS",
		Description: "Convert text to speech and return a MEDIA: path. Use when the user requests audio or TTS is enabled. Copy the MEDIA line exactly.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				Text    string `json:"text"`
				Channel string `json:"channel"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			if strings.TrimSpace(a.Text) == "" {
				return Result{}, errors.New("text required")
			}
			ch := strings.TrimSpace(a.Channel)
			if ch == "" {
				ch = runChannel
			}
			path, provider, voice, err := sp.Speak(ctx, a.Text, ch)
			if err != nil {
				// As the reference: a failed conversion is an answer, not a tool error.
				return TextResult(err.Error(), map[string]any{"error": err.Error()}), nil
			}
			lines := []string{}
			if voice {
				lines = append(lines, AudioAsVoiceTag)
			}
			lines = append(lines, "MEDIA:"+path)
			return TextResult(strings.Join(lines, "\n"), map[string]any{"audioPath": path, "provider": provider}), nil
		}})
}
