package daemon

import (
	"testing"
	"time"

	"github.com/clawgate/gateway/server/config"
)

// TestSubagentConfig: agents.defaults.subagents.{maxConcurrent, archiveAfterMinutes,
// model}, agents.list[].subagents.{allowAgents, model} and tools.agentToAgent as the
// runtime and the sessions tools get them.
func TestSubagentConfig(t *testing.T) {
	for _, tc := range []struct {
		name         string
		raw          string
		maxConc      int
		archive      time.Duration
		modelMain    string
		modelWriter  string
		a2aEnabled   bool
		a2aAllow     int
		allowForMain []string
	}{
		{name: "unset", raw: `{}`},
		{name: "set", raw: `{
  agents: {defaults: {subagents: {maxConcurrent: 2, archiveAfterMinutes: 15, model: {primary: "fake/small", fallbacks: ["x/y"]}}},
    list: [{id: "main", default: true, subagents: {allowAgents: ["writer"]}}, {id: "writer", subagents: {model: "fake/tiny"}}]},
  tools: {agentToAgent: {enabled: true, allow: ["main", "writer"]}},
}`, maxConc: 2, archive: 15 * time.Minute, modelMain: "fake/small", modelWriter: "fake/tiny", a2aEnabled: true, a2aAllow: 2, allowForMain: []string{"writer"}},
		{name: "a2a off by default", raw: `{tools: {agentToAgent: {allow: ["*"]}}}`, a2aAllow: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := config.ParseWith("", []byte(tc.raw), config.MapEnv(nil))
			if err != nil {
				t.Fatal(err)
			}
			mc, arch := subagentLimits(&f.Config)
			if mc != tc.maxConc || arch != tc.archive {
				t.Errorf("limits %d %v, want %d %v", mc, arch, tc.maxConc, tc.archive)
			}
			o := sessionsToolOptions(&f.Config, runAgentOf(&f.Config, "agent:main:main"))
			if got := o.SubagentModel("main"); got != tc.modelMain {
				t.Errorf("main sub-agent model %q, want %q", got, tc.modelMain)
			}
			if got := o.SubagentModel("writer"); got != tc.modelWriter && !(tc.modelWriter == "" && got == tc.modelMain) {
				t.Errorf("writer sub-agent model %q, want %q", got, tc.modelWriter)
			}
			if o.AgentToAgent.Enabled != tc.a2aEnabled || len(o.AgentToAgent.Allow) != tc.a2aAllow {
				t.Errorf("agentToAgent %+v", o.AgentToAgent)
			}
			if len(o.AllowAgents) != len(tc.allowForMain) || (len(tc.allowForMain) > 0 && o.AllowAgents[0] != tc.allowForMain[0]) {
				t.Errorf("allowAgents %v, want %v", o.AllowAgents, tc.allowForMain)
			}
		})
	}
}
