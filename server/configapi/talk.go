package configapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// EnvTalkAPIKey is the ElevenLabs key the apps' Talk mode uses when the config names
// none (the original's fallback, also read from the shell profile files).
const EnvTalkAPIKey = "ELEVENLABS_API_KEY"

// talkProfileFiles are the shell files searched for an ELEVENLABS_API_KEY line, in
// the original's order.
var talkProfileFiles = []string{".profile", ".zprofile", ".zshrc", ".bashrc"}

var talkKeyLine = regexp.MustCompile(`(?:^|\n)\s*(?:export\s+)?ELEVENLABS_API_KEY\s*=\s*["']?([^\n"']+)["']?`)

// TalkKey finds the Talk mode key: the environment's ELEVENLABS_API_KEY, else an
// assignment in one of the home directory's shell profile files ("" when none).
func TalkKey(getenv func(string) string, home string) string {
	if getenv != nil {
		if v := strings.TrimSpace(getenv(EnvTalkAPIKey)); v != "" {
			return v
		}
	}
	if home == "" {
		return ""
	}
	for _, name := range talkProfileFiles {
		b, err := os.ReadFile(filepath.Join(home, name))
		if err != nil {
			continue
		}
		if m := talkKeyLine.FindSubmatch(b); m != nil {
			if v := strings.TrimSpace(string(m[1])); v != "" {
				return v
			}
		}
	}
	return ""
}

// withTalkKey sets talk.apiKey in the config JSON cfg (redacted) to key: the key the
// file names (plain) or, when it names none, the fallback the original fills in.
// The macOS/iOS apps read it from config.get for Talk mode, which calls ElevenLabs
// from the device.
func withTalkKey(cfg []byte, key string) []byte {
	if key == "" {
		return cfg
	}
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil || m == nil {
		return cfg
	}
	talk, _ := m["talk"].(map[string]any)
	if talk == nil {
		talk = map[string]any{}
	}
	talk["apiKey"] = key
	m["talk"] = talk
	out, err := json.Marshal(m)
	if err != nil {
		return cfg
	}
	return out
}
