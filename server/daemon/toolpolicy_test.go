package daemon

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/execapprove"
)

// execConfOf decodes tools.exec (global) or agents.list[].tools.exec JSON through
// the generated type, as the config loader does.
func execConfOf(t *testing.T, js string, agent bool) execConf {
	t.Helper()
	if js == "" {
		return execConf{}
	}
	var v any = &genconfig.ConfigToolsExec{}
	if agent {
		v = &genconfig.ConfigAgentsListElemToolsExec{}
	}
	if err := json.Unmarshal([]byte(js), v); err != nil {
		t.Fatal(err)
	}
	return toExecConf(v)
}

// TestExecSettingsMerge: agents.list[].tools.exec overrides tools.exec key by key, and
// the merged settings become the exec tool's options with the original's defaults for
// what neither sets (notifyOnExit on, a 10 s approval running notice).
func TestExecSettingsMerge(t *testing.T) {
	for _, tc := range []struct {
		name, global, agent string
		check               func(o tools.ExecOptions) bool
	}{
		{"defaults", "", "", func(o tools.ExecOptions) bool {
			return o.Host == "" && o.NotifyOnExit && o.ApprovalRunningNotice == 10*time.Second && o.CleanupTTL == 0 && o.Timeout == 0
		}},
		{"global only", `{"host":"node","node":"mac","security":"full","ask":"always","notifyOnExit":false,"cleanupMs":120000}`, "", func(o tools.ExecOptions) bool {
			return o.Host == "node" && o.Node == "mac" && o.Security == execapprove.SecurityFull && o.Ask == execapprove.AskAlways &&
				!o.NotifyOnExit && o.CleanupTTL == 2*time.Minute
		}},
		{"agent overrides", `{"host":"node","node":"mac","security":"full","timeoutSec":5,"pathPrepend":["/a"],"safeBins":["jq"]}`,
			`{"host":"gateway","security":"deny","timeoutSec":7,"backgroundMs":300,"pathPrepend":["/b"],"approvalRunningNoticeMs":0,"notifyOnExit":true}`,
			func(o tools.ExecOptions) bool {
				return o.Host == "gateway" && o.Node == "mac" && o.Security == execapprove.SecurityDeny && o.Timeout == 7*time.Second &&
					o.YieldMs == 300 && slices.Equal(o.PathPrepend, []string{"/b"}) && slices.Equal(o.SafeBins, []string{"jq"}) &&
					o.ApprovalRunningNotice == 0 && o.NotifyOnExit
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mergeExec(execConfOf(t, tc.global, false), execConfOf(t, tc.agent, true))
			if o := c.apply(tools.ExecOptions{}); !tc.check(o) {
				t.Fatalf("options %+v", o)
			}
		})
	}
}

// TestApplyPatchGate: apply_patch is offered only when applyPatch.enabled, on an OpenAI
// provider, and (when allowModels is set) for a model it names by id or provider/id;
// an agent's applyPatch keys override the global ones one by one.
func TestApplyPatchGate(t *testing.T) {
	for _, tc := range []struct {
		name, global, agent, provider, model string
		want                                 bool
	}{
		{"off by default", ``, ``, "openai", "gpt-5", false},
		{"enabled", `{"applyPatch":{"enabled":true}}`, ``, "openai", "gpt-5", true},
		{"codex provider", `{"applyPatch":{"enabled":true}}`, ``, "OpenAI-Codex", "gpt-5", true},
		{"other provider", `{"applyPatch":{"enabled":true}}`, ``, "anthropic", "claude", false},
		{"allow by id", `{"applyPatch":{"enabled":true,"allowModels":["GPT-5"]}}`, ``, "openai", "gpt-5", true},
		{"allow by ref", `{"applyPatch":{"enabled":true,"allowModels":["openai/gpt-5"]}}`, ``, "openai", "gpt-5", true},
		{"not allowed", `{"applyPatch":{"enabled":true,"allowModels":["gpt-5"]}}`, ``, "openai", "gpt-4o", false},
		{"agent disables", `{"applyPatch":{"enabled":true}}`, `{"applyPatch":{"enabled":false}}`, "openai", "gpt-5", false},
		{"agent enables, global list", `{"applyPatch":{"allowModels":["gpt-4o"]}}`, `{"applyPatch":{"enabled":true}}`, "openai", "gpt-5", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mergeExec(execConfOf(t, tc.global, false), execConfOf(t, tc.agent, true))
			if got := c.applyPatchOn(tc.provider, tc.model); got != tc.want {
				t.Fatalf("applyPatchOn = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestMessageCrossContextConfig: tools.message maps to the message tool's rules with
// the original's defaults; the marker is on only when configured and not disabled.
func TestMessageCrossContextConfig(t *testing.T) {
	for _, tc := range []struct {
		name, js string
		want     tools.CrossContext
	}{
		{"unset", ``, tools.CrossContext{}},
		{"flags", `{"allowCrossContextSend":true,"broadcast":{"enabled":false},"crossContext":{"allowWithinProvider":false,"allowAcrossProviders":true}}`,
			tools.CrossContext{AllowAll: true, BroadcastDisabled: true, DenyWithinProvider: true, AllowAcrossProviders: true}},
		{"marker enabled", `{"crossContext":{"marker":{"enabled":true}}}`,
			tools.CrossContext{Marker: &tools.CrossContextMarker{Prefix: "[from {channel}] "}}},
		{"marker suffix", `{"crossContext":{"marker":{"suffix":" ({channel})"}}}`,
			tools.CrossContext{Marker: &tools.CrossContextMarker{Prefix: "[from {channel}] ", Suffix: " ({channel})"}}},
		{"marker disabled", `{"crossContext":{"marker":{"enabled":false,"prefix":"x"}}}`, tools.CrossContext{}},
		{"marker empty", `{"crossContext":{"marker":{}}}`, tools.CrossContext{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tc2 genconfig.ConfigTools
			if tc.js != "" {
				if err := json.Unmarshal([]byte(`{"message":`+tc.js+`}`), &tc2); err != nil {
					t.Fatal(err)
				}
			}
			got := messageCrossContext(&tc2)
			if (got.Marker == nil) != (tc.want.Marker == nil) || (got.Marker != nil && *got.Marker != *tc.want.Marker) {
				t.Fatalf("marker %+v, want %+v", got.Marker, tc.want.Marker)
			}
			got.Marker, tc.want.Marker = nil, nil
			if got != tc.want {
				t.Fatalf("%+v, want %+v", got, tc.want)
			}
		})
	}
}
