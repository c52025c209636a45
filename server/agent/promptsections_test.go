package agent

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/agent/tools"
)

func TestRuntimeSections(t *testing.T) {
	tool := func(name, desc string) *tools.Tool {
		return &tools.Tool{Name: name, Description: desc, Parameters: json.RawMessage(`{"type":"object"}`),
			Execute: func(ctx context.Context, call tools.Call) (tools.Result, error) { return tools.Result{}, nil }}
	}
	set, err := tools.NewSet(
		tool("read", "Read a file. Long details follow here."),
		tool("message", "Send messages.\nMore lines."),
		tool("sessions_spawn", strings.Repeat("x", 300)),
	)
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	full := runtimeSections{AgentID: "work", Model: "p/m2", DefaultModel: "p/m1", Channel: "telegram", Thinking: "low",
		Location: berlin, Tools: set, Host: "box", ModelAliases: []string{"- fast: p/m2", "- smart: p/m1"}, Voice: "Voice (TTS) is enabled."}.String()
	for _, want := range []string{
		"## Tooling\n",
		"\n- read: Read a file.\n",
		"\n- message: Send messages.\n",
		"\n- sessions_spawn: " + strings.Repeat("x", 199) + "…\n",
		"start a sub-agent with sessions_spawn",
		"## Tool Call Style\n",
		"## Model Aliases\nWhen you name a model",
		"provider/model works too.\n- fast: p/m2\n- smart: p/m1\n\n## Current Date & Time\nTime zone: Europe/Berlin",
		"## Messaging\n",
		"Use the message tool for messages you start yourself",
		"## Voice (TTS)\nVoice (TTS) is enabled.\n\n## Heartbeats\n",
		"HEARTBEAT_OK",
		"## Runtime\nRuntime: agent=work | host=box | os=",
		" | model=p/m2 | default_model=p/m1 | channel=telegram | capabilities=none | thinking=low",
	} {
		if !strings.Contains(full, want) {
			t.Errorf("sections lack %q:\n%s", want, full)
		}
	}
	if !strings.HasPrefix(full, "## Tooling") {
		t.Errorf("sections start %q", full[:20])
	}
	// A sub-agent gets the tools and the runtime line only (the original's minimal
	// mode); no tools, no channel: no tool sections and no channel in the line.
	sub := runtimeSections{AgentID: "main", Subagent: true, Voice: "Voice (TTS) is enabled."}.String()
	for _, absent := range []string{"## Tooling", "## Messaging", "## Heartbeats", "## Current Date", "## Model Aliases", "## Voice", "channel="} {
		if strings.Contains(sub, absent) {
			t.Errorf("sub-agent sections have %q:\n%s", absent, sub)
		}
	}
	if !strings.HasPrefix(sub, "## Clawdbot CLI Quick Reference\n") || !strings.Contains(sub, "\n\n## Runtime\nRuntime: agent=main | os=") || !strings.HasSuffix(sub, " | thinking=off") {
		t.Errorf("sub-agent sections:\n%s", sub)
	}
	// No message tool: no message-tool line.
	noMsg := runtimeSections{}.String()
	if strings.Contains(noMsg, "message tool") || !strings.Contains(noMsg, "Time zone: UTC") {
		t.Errorf("without tools:\n%s", noMsg)
	}
}

// TestGatewayPromptSections: the CLI quick reference is in every prompt (sub-agents'
// too, as the original's minimal mode), and the self-update rules only when the run
// has the gateway tool and is no sub-agent's.
func TestGatewayPromptSections(t *testing.T) {
	tool := func(name string) *tools.Tool {
		return &tools.Tool{Name: name, Description: name + ".", Parameters: json.RawMessage(`{"type":"object"}`),
			Execute: func(ctx context.Context, call tools.Call) (tools.Result, error) { return tools.Result{}, nil }}
	}
	withGW, err := tools.NewSet(tool("read"), tool("gateway"))
	if err != nil {
		t.Fatal(err)
	}
	without, err := tools.NewSet(tool("read"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		s          runtimeSections
		selfUpdate bool
	}{
		{"gateway tool", runtimeSections{Tools: withGW}, true},
		{"no gateway tool", runtimeSections{Tools: without}, false},
		{"sub-agent with gateway tool", runtimeSections{Tools: withGW, Subagent: true}, false},
		{"no tools", runtimeSections{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.s.String()
			for _, want := range []string{"## Clawdbot CLI Quick Reference\n", "- clawdbot gateway status\n", "- clawdbot gateway restart\n", "`clawdbot help`"} {
				if !strings.Contains(out, want) {
					t.Errorf("lacks %q:\n%s", want, out)
				}
			}
			has := strings.Contains(out, "## Clawdbot Self-Update\n")
			if has != tc.selfUpdate {
				t.Errorf("self-update section = %v, want %v:\n%s", has, tc.selfUpdate, out)
			}
			if has && (!strings.Contains(out, "ONLY when the user explicitly asks") || !strings.Contains(out, "config.patch")) {
				t.Errorf("self-update section incomplete:\n%s", out)
			}
		})
	}
}

func TestSessionAgentID(t *testing.T) {
	for key, want := range map[string]string{"agent:work:main": "work", "agent:main:telegram:42": "main", "main": "main", "agent::x": "main", "agent:solo": "main"} {
		if got := sessionAgentID(key); got != want {
			t.Errorf("sessionAgentID(%q) = %q, want %q", key, got, want)
		}
	}
}
