package config

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolvePaths(t *testing.T) {
	const home = "/home/u"
	tests := []struct {
		name    string
		env     map[string]string
		profile string
		want    Paths
		wantErr string
	}{
		{
			name: "defaults",
			want: Paths{StateDir: "/home/u/.clawdbot", ConfigPath: "/home/u/.clawdbot/clawdbot.json", Workspace: "/home/u/clawd"},
		},
		{
			name: "state dir env",
			env:  map[string]string{"CLAWDBOT_STATE_DIR": "/srv/claw"},
			want: Paths{StateDir: "/srv/claw", ConfigPath: "/srv/claw/clawdbot.json", Workspace: "/home/u/clawd"},
		},
		{
			name: "config path env wins over state dir",
			env:  map[string]string{"CLAWDBOT_STATE_DIR": "/srv/claw", "CLAWDBOT_CONFIG_PATH": "/etc/claw.json5"},
			want: Paths{StateDir: "/srv/claw", ConfigPath: "/etc/claw.json5", Workspace: "/home/u/clawd"},
		},
		{
			name: "config path env alone",
			env:  map[string]string{"CLAWDBOT_CONFIG_PATH": "/etc/claw.json"},
			want: Paths{StateDir: "/home/u/.clawdbot", ConfigPath: "/etc/claw.json", Workspace: "/home/u/clawd"},
		},
		{
			name: "legacy CLAWDIS_STATE_DIR",
			env:  map[string]string{"CLAWDIS_STATE_DIR": "/old/clawdis"},
			want: Paths{StateDir: "/old/clawdis", ConfigPath: "/old/clawdis/clawdbot.json", Workspace: "/home/u/clawd"},
		},
		{
			name: "CLAWDBOT_STATE_DIR beats the legacy var",
			env:  map[string]string{"CLAWDBOT_STATE_DIR": "/new", "CLAWDIS_STATE_DIR": "/old"},
			want: Paths{StateDir: "/new", ConfigPath: "/new/clawdbot.json", Workspace: "/home/u/clawd"},
		},
		{
			name: "blank env values count as unset",
			env:  map[string]string{"CLAWDBOT_STATE_DIR": "  ", "CLAWDIS_STATE_DIR": "", "CLAWDBOT_CONFIG_PATH": " "},
			want: Paths{StateDir: "/home/u/.clawdbot", ConfigPath: "/home/u/.clawdbot/clawdbot.json", Workspace: "/home/u/clawd"},
		},
		{
			name: "tilde expansion",
			env:  map[string]string{"CLAWDBOT_STATE_DIR": "~/state", "CLAWDBOT_CONFIG_PATH": "~/cfg/c.json"},
			want: Paths{StateDir: "/home/u/state", ConfigPath: "/home/u/cfg/c.json", Workspace: "/home/u/clawd"},
		},
		{
			name: "bare tilde and surrounding space",
			env:  map[string]string{"CLAWDIS_STATE_DIR": " ~ "},
			want: Paths{StateDir: "/home/u", ConfigPath: "/home/u/clawdbot.json", Workspace: "/home/u/clawd"},
		},
		{
			name:    "dev",
			profile: "dev",
			want:    Paths{StateDir: "/home/u/.clawdbot-dev", ConfigPath: "/home/u/.clawdbot-dev/clawdbot.json", Workspace: "/home/u/clawd-dev", Profile: "dev"},
		},
		{
			name:    "named profile",
			profile: "work_2",
			want:    Paths{StateDir: "/home/u/.clawdbot-work_2", ConfigPath: "/home/u/.clawdbot-work_2/clawdbot.json", Workspace: "/home/u/clawd-work_2", Profile: "work_2"},
		},
		{
			name:    "profile with an explicit state dir",
			profile: "dev",
			env:     map[string]string{"CLAWDBOT_STATE_DIR": "/x"},
			want:    Paths{StateDir: "/x", ConfigPath: "/x/clawdbot.json", Workspace: "/home/u/clawd-dev", Profile: "dev"},
		},
		{
			name: "profile inherited from CLAWDBOT_PROFILE",
			env:  map[string]string{"CLAWDBOT_PROFILE": "ci"},
			want: Paths{StateDir: "/home/u/.clawdbot-ci", ConfigPath: "/home/u/.clawdbot-ci/clawdbot.json", Workspace: "/home/u/clawd-ci", Profile: "ci"},
		},
		{
			name:    "profile argument beats CLAWDBOT_PROFILE",
			profile: "dev",
			env:     map[string]string{"CLAWDBOT_PROFILE": "ci"},
			want:    Paths{StateDir: "/home/u/.clawdbot-dev", ConfigPath: "/home/u/.clawdbot-dev/clawdbot.json", Workspace: "/home/u/clawd-dev", Profile: "dev"},
		},
		{
			name:    "profile default means none",
			profile: "default",
			want:    Paths{StateDir: "/home/u/.clawdbot", ConfigPath: "/home/u/.clawdbot/clawdbot.json", Workspace: "/home/u/clawd"},
		},
		{name: "invalid profile", profile: "../etc", wantErr: "invalid profile"},
		{name: "profile too long", profile: strings.Repeat("a", 65), wantErr: "invalid profile"},
		{name: "invalid CLAWDBOT_PROFILE", env: map[string]string{"CLAWDBOT_PROFILE": "a/b"}, wantErr: "invalid profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolvePaths(MapEnv(tt.env), home, tt.profile)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestResolvePathsRelativeEnvIsMadeAbsolute(t *testing.T) {
	got, err := ResolvePaths(MapEnv(map[string]string{"CLAWDBOT_STATE_DIR": "rel/state"}), "/home/u", "")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(got.StateDir) || !strings.HasSuffix(got.StateDir, "/rel/state") {
		t.Errorf("StateDir = %q, want an absolute path ending in rel/state", got.StateDir)
	}
	if _, err := ResolvePaths(nil, "", ""); err == nil {
		t.Error("empty home: want an error")
	}
}

func TestProfileEnv(t *testing.T) {
	const home = "/home/u"
	tests := []struct {
		name    string
		env     map[string]string
		profile string
		want    map[string]string
	}{
		{name: "no profile", want: map[string]string{}},
		{name: "default profile", profile: "default", want: map[string]string{}},
		{name: "invalid profile", profile: "no/pe", want: map[string]string{}},
		{
			name: "dev, nothing set", profile: "dev",
			want: map[string]string{
				"CLAWDBOT_PROFILE":      "dev",
				"CLAWDBOT_STATE_DIR":    "/home/u/.clawdbot-dev",
				"CLAWDBOT_CONFIG_PATH":  "/home/u/.clawdbot-dev/clawdbot.json",
				"CLAWDBOT_GATEWAY_PORT": "19001",
			},
		},
		{
			name: "dev keeps what is set", profile: "dev",
			env: map[string]string{"CLAWDBOT_STATE_DIR": "/s", "CLAWDBOT_CONFIG_PATH": "/c.json", "CLAWDBOT_GATEWAY_PORT": "20000"},
			want: map[string]string{
				"CLAWDBOT_PROFILE": "dev",
			},
		},
		{
			name: "dev config path follows an existing state dir", profile: "dev",
			env: map[string]string{"CLAWDBOT_STATE_DIR": "~/mine"},
			want: map[string]string{
				"CLAWDBOT_PROFILE":      "dev",
				"CLAWDBOT_CONFIG_PATH":  "/home/u/mine/clawdbot.json",
				"CLAWDBOT_GATEWAY_PORT": "19001",
			},
		},
		{
			name: "blank values count as unset", profile: "dev",
			env: map[string]string{"CLAWDBOT_STATE_DIR": " ", "CLAWDBOT_GATEWAY_PORT": ""},
			want: map[string]string{
				"CLAWDBOT_PROFILE":      "dev",
				"CLAWDBOT_STATE_DIR":    "/home/u/.clawdbot-dev",
				"CLAWDBOT_CONFIG_PATH":  "/home/u/.clawdbot-dev/clawdbot.json",
				"CLAWDBOT_GATEWAY_PORT": "19001",
			},
		},
		{
			name: "the flag's profile replaces an inherited one", profile: "dev",
			env: map[string]string{"CLAWDBOT_PROFILE": "other", "CLAWDBOT_GATEWAY_PORT": "1"},
			want: map[string]string{
				"CLAWDBOT_PROFILE":     "dev",
				"CLAWDBOT_STATE_DIR":   "/home/u/.clawdbot-dev",
				"CLAWDBOT_CONFIG_PATH": "/home/u/.clawdbot-dev/clawdbot.json",
			},
		},
		{
			name: "named profile sets no port", profile: "work",
			want: map[string]string{
				"CLAWDBOT_PROFILE":     "work",
				"CLAWDBOT_STATE_DIR":   "/home/u/.clawdbot-work",
				"CLAWDBOT_CONFIG_PATH": "/home/u/.clawdbot-work/clawdbot.json",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ProfileEnv(MapEnv(tt.env), home, tt.profile)
			if !maps.Equal(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// The --dev overlay, applied over the environment, gives the dev paths and ports.
func TestDevOverlayEndToEnd(t *testing.T) {
	base := MapEnv(map[string]string{})
	env := base.With(ProfileEnv(base, "/h", "dev"))
	p, err := ResolvePaths(env, "/h", "dev")
	if err != nil {
		t.Fatal(err)
	}
	if p.ConfigPath != "/h/.clawdbot-dev/clawdbot.json" || p.Workspace != "/h/clawd-dev" {
		t.Errorf("paths = %+v", p)
	}
	r, err := resolve(nil, env, Flags{}, noTailnet)
	if err != nil {
		t.Fatal(err)
	}
	if r.Port != 19001 || r.BridgePort != 19002 || r.BrowserPort != 19003 || r.CanvasPort != 19005 {
		t.Errorf("ports = %d/%d/%d/%d, want 19001/19002/19003/19005", r.Port, r.BridgePort, r.BrowserPort, r.CanvasPort)
	}
}
