package persona_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/persona"
)

const zebraSkill = "---\nname: zebra-facts\ndescription: Facts about zebras\n---\nBody.\n"

// statusHas reports whether skills.status lists the skill.
func statusHas(t *testing.T, svc *persona.Service, name string) bool {
	t.Helper()
	r, err := persona.NewHandler[*gateway.Conn](svc).SkillsStatus(t.Context(), nil, &protocol.SkillsStatusParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Skills {
		if s.Name == name {
			return true
		}
	}
	return false
}

func promptHas(t *testing.T, svc *persona.Service, name string) bool {
	t.Helper()
	p, err := svc.Prompt(t.Context(), "agent:main:main", "")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(p, name)
}

// TestSkillsWatchPolicy: a skill added to the workspace's real skills folder reaches
// the runs' prompt as skills.load.watch says. Watch on (the default): only after the
// folder has been quiet for watchDebounceMs on the injected clock. Watch off: not
// until the config changes. skills.status lists it at once either way.
func TestSkillsWatchPolicy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		watch string // the skills.load section
	}{
		{"watch on", `{watchDebounceMs: 5000}`},
		{"watch off", `{watch: false}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			state, ws := filepath.Join(root, "state"), filepath.Join(root, "ws")
			cfgPath := filepath.Join(state, "clawdbot.json")
			cfg := `{agents: {defaults: {workspace: "` + ws + `", skipBootstrap: true}}, skills: {load: ` + tc.watch + `}}`
			write(t, cfgPath, cfg)
			write(t, filepath.Join(ws, "AGENTS.md"), "rules\n")
			write(t, filepath.Join(ws, "skills", "keep", "SKILL.md"), "---\nname: keep-me\ndescription: kept\n---\n")
			clk := clock.NewFake(time.Unix(1_700_000_000, 0))
			svc := persona.New(persona.Options{ConfigPath: cfgPath, StateDir: state, Home: root, Clock: clk})
			t.Cleanup(svc.Close)
			if !promptHas(t, svc, "keep-me") || promptHas(t, svc, "zebra-facts") {
				t.Fatal("first prompt: wrong skills")
			}
			write(t, filepath.Join(ws, "skills", "zebra", "SKILL.md"), zebraSkill)
			if !statusHas(t, svc, "zebra-facts") {
				t.Fatal("skills.status does not list the new skill")
			}
			if promptHas(t, svc, "zebra-facts") {
				t.Fatal("the new skill reached the prompt before its refresh")
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if strings.Contains(tc.watch, "false") {
				clk.Advance(time.Hour)
				if promptHas(t, svc, "zebra-facts") {
					t.Fatal("watch off: the new skill reached the prompt without a config change")
				}
				later := time.Now().Add(time.Minute)
				write(t, cfgPath, cfg+"\n")
				if err := os.Chtimes(cfgPath, later, later); err != nil {
					t.Fatal(err)
				}
				if !promptHas(t, svc, "zebra-facts") {
					t.Fatal("watch off: the config change did not refresh the skills")
				}
				return
			}
			if !clk.WaitPending(ctx, 1) {
				t.Fatal("no debounce armed")
			}
			clk.Advance(4 * time.Second)
			if promptHas(t, svc, "zebra-facts") {
				t.Fatal("watch on: refreshed before watchDebounceMs")
			}
			for !promptHas(t, svc, "zebra-facts") {
				if ctx.Err() != nil {
					t.Fatal("watch on: never refreshed after the debounce")
				}
				clk.Advance(5 * time.Second)
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}
