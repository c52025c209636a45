package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/clawgate/gateway/server/agent/llm"
)

// speechSummaryTemperature keeps a spoken summary close to the reply (the reference's
// value).
const speechSummaryTemperature = 0.3

// SpeechSummary shortens a reply to about target characters before it is spoken
// (messages.tts: replies longer than the preferences' maxLength). model is
// messages.tts.summaryModel (a provider/model reference or alias); "" or a name that
// does not resolve uses the agent's default model. Only model providers
// (models.providers) can summarise.
func (rt *Runtime) SpeechSummary(ctx context.Context, model, text string, target int) (string, error) {
	mc := rt.modelConfig()
	if mc == nil || mc.Engine == nil {
		return "", errors.New("no model provider to summarise with")
	}
	e := mc.Engine
	m := e.Model
	if model = strings.TrimSpace(model); model != "" && e.ModelFor != nil {
		if alt, _, err := e.ModelFor(model); err == nil {
			m = alt
		} else {
			rt.log.Warn("tts: summaryModel not usable; the default model summarises", "model", model, "err", err)
		}
	}
	temp := speechSummaryTemperature
	prompt := fmt.Sprintf("Shorten the text below to roughly %d characters so it can be read aloud. "+
		"Keep its key points, its tone and its language. Answer with the shortened text only.\n\n<text>\n%s\n</text>", target, text)
	resp, err := m.Stream(ctx, &llm.Request{Messages: []llm.Message{llm.UserText(prompt, rt.opts.Now())}, MaxTokens: (target + 1) / 2, Temperature: &temp}, nil)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", errors.New("Summarization timed out")
		}
		return "", fmt.Errorf("summarising for speech: %w", err)
	}
	return strings.TrimSpace(resp.Message.Text()), nil
}
