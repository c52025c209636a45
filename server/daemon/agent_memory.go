package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/memory"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/sessions"
)

// memoryConfig is what an engine needs to offer memory_search and memory_get:
// agents.defaults.memorySearch, the embeddings provider's fallbacks (models.providers.openai,
// OPENAI_API_KEY) and where indexes live.
type memoryConfig struct {
	defaults       *memory.Config
	env            memory.ProviderEnv
	stateDir, home string
	registry       *memory.Registry
	log            *slog.Logger
	// store is the session store whose transcripts the "sessions" source indexes
	// (nil until the runtime runs: then sessions are left out).
	store func() *sessions.Store
}

// agentTranscripts is the session store as one agent's memory index reads it: the
// transcripts of the agents' sessions (the default agent's live under agent:main:
// and, when its id is another, agent:<id>:).
type agentTranscripts struct {
	store  *sessions.Store
	agents []string
}

func (a agentTranscripts) List(ctx context.Context) ([]memory.Transcript, error) {
	var out []memory.Transcript
	for _, id := range a.agents {
		list, err := a.store.AgentTranscripts(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, t := range list {
			out = append(out, memory.Transcript{ID: t.ID, Messages: t.Messages, Bytes: t.Bytes})
		}
	}
	return out, nil
}

func (a agentTranscripts) Messages(ctx context.Context, id string) ([]memory.TranscriptMessage, error) {
	msgs, err := a.store.TranscriptMessages(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]memory.TranscriptMessage, len(msgs))
	for i, m := range msgs {
		out[i] = memory.TranscriptMessage{Role: m.Role, Text: m.Text, Body: m.Body}
	}
	return out, nil
}

func memorySearchDefaults(c *genconfig.ClawdbotConfig) *memory.Config {
	if c.Agents == nil || c.Agents.Defaults == nil || c.Agents.Defaults.MemorySearch == nil {
		return nil
	}
	return memory.FromJSON(c.Agents.Defaults.MemorySearch)
}

// tools returns the memory tools of a run's agent, or false when its memorySearch is
// disabled (or there is no index registry). The index opens on the first call; runs
// of one agent with the same settings share it.
func (m memoryConfig) tools(ra runAgent, workspace, sessionKey string) ([]*tools.Tool, bool) {
	if m.registry == nil {
		return nil, false
	}
	var override *memory.Config
	if ra.entry.MemorySearch != nil {
		override = memory.FromJSON(ra.entry.MemorySearch)
	}
	settings, ok := memory.Resolve(m.defaults, override, ra.id, m.stateDir, m.home)
	if !ok {
		return nil, false
	}
	fp, _ := json.Marshal(struct {
		S           memory.Settings
		W, URL, Key string
		Headers     map[string]string
		EnvKey      string
	}{settings, workspace, m.env.OpenAIBaseURL, m.env.OpenAIAPIKey, m.env.OpenAIHeaders, envKey(m.env)})
	key := fmt.Sprintf("%s\x00%s", ra.id, fp)
	open := func(ctx context.Context) (*memory.Index, error) {
		e, from, reason := memory.NewEmbedder(settings, m.env)
		if e == nil && m.log != nil {
			m.log.Warn("memory: no embeddings provider; memory_search uses keyword search only", "agent", ra.id, "reason", reason)
		}
		if err := os.MkdirAll(workspace, 0o700); err != nil {
			return nil, err
		}
		o := memory.Options{Settings: settings, Workspace: workspace, Embedder: e,
			FallbackFrom: from, FallbackReason: reason, Logger: m.log}
		if settings.HasSource(memory.SourceSessions) && m.store != nil {
			if st := m.store(); st != nil {
				ids := []string{ra.id}
				if ra.isDefault && ra.id != sessions.DefaultAgentID {
					ids = []string{sessions.DefaultAgentID, ra.id}
				}
				o.Transcripts = agentTranscripts{store: st, agents: ids}
			}
		}
		return memory.Open(ctx, o)
	}
	list, err := tools.MemoryTools(tools.MemoryOptions{SessionKey: sessionKey,
		Index: func(ctx context.Context) (*memory.Index, error) { return m.registry.Get(ctx, key, open) }})
	if err != nil {
		return nil, false
	}
	return list, true
}

func envKey(e memory.ProviderEnv) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv("OPENAI_API_KEY")
}
