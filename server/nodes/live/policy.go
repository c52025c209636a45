package live

import (
	"slices"
	"strings"
)

// Command groups of the v3 allowlist (§11: "commands not in the server allowlist →
// node command not allowed"). The platform defaults follow the original's policy:
// canvas, camera and location on phones; screen and system commands on desktops.
var (
	canvasCommands   = []string{"canvas.present", "canvas.hide", "canvas.navigate", "canvas.eval", "canvas.snapshot", "canvas.a2ui.push", "canvas.a2ui.pushJSONL", "canvas.a2ui.reset"}
	cameraCommands   = []string{"camera.list", "camera.snap", "camera.clip"}
	screenCommands   = []string{"screen.record"}
	locationCommands = []string{"location.get"}
	smsCommands      = []string{"sms.send"}
	systemCommands   = []string{"system.run", "system.which", "system.notify", "system.execApprovals.get", "system.execApprovals.set", "browser.proxy"}
)

// Policy decides which commands may be invoked on a node: the platform's defaults plus
// Extra, minus Deny (deny wins), and only commands the node declared. The zero value
// of Extra/Deny is fine.
type Policy struct {
	Extra []string
	Deny  []string
}

// DefaultPolicy is the platform defaults with no extra or denied commands.
func DefaultPolicy() *Policy { return &Policy{} }

// platformKey normalises platform/deviceFamily strings ("iOS 18.1", "macos 15.2",
// "iPad") to ios, android, macos, linux, windows or "".
func platformKey(platform, family string) string {
	for _, s := range []string{strings.ToLower(platform), strings.ToLower(family)} {
		switch {
		case strings.HasPrefix(s, "ios"), strings.HasPrefix(s, "ipados"), strings.HasPrefix(s, "iphone"), strings.HasPrefix(s, "ipad"):
			return "ios"
		case strings.HasPrefix(s, "android"):
			return "android"
		case strings.HasPrefix(s, "mac"), strings.HasPrefix(s, "darwin"):
			return "macos"
		case strings.HasPrefix(s, "linux"):
			return "linux"
		case strings.HasPrefix(s, "win"):
			return "windows"
		}
	}
	return ""
}

// Defaults are the platform's allowed commands.
func Defaults(platform, family string) []string {
	var out []string
	switch platformKey(platform, family) {
	case "ios":
		out = slices.Concat(canvasCommands, cameraCommands, screenCommands, locationCommands, []string{"system.notify"})
	case "android":
		out = slices.Concat(canvasCommands, cameraCommands, screenCommands, locationCommands, smsCommands, []string{"system.notify"})
	case "macos":
		out = slices.Concat(canvasCommands, cameraCommands, screenCommands, locationCommands, systemCommands)
	case "linux", "windows":
		out = slices.Clone(systemCommands)
	default:
		// Unknown platform: the commands every node kind may offer.
		out = slices.Concat(canvasCommands, cameraCommands, locationCommands, []string{"system.notify"})
	}
	return out
}

func (p *Policy) allowedByPlatform(platform, family, cmd string) bool {
	if slices.Contains(p.Deny, cmd) {
		return false
	}
	return slices.Contains(p.Extra, cmd) || slices.Contains(Defaults(platform, family), cmd)
}

// Filter keeps the declared commands the policy allows (sorted, de-duplicated).
func (p *Policy) Filter(platform, family string, declared []string) []string {
	out := []string{}
	for _, c := range sortedSet(declared) {
		if p.allowedByPlatform(platform, family, c) {
			out = append(out, c)
		}
	}
	return out
}

// Allowed reports whether cmd may be invoked on a node of this platform that declared
// the (already filtered) commands: it must be allowed for the platform and declared
// by the node, as in the original.
func (p *Policy) Allowed(platform, family string, declared []string, cmd string) bool {
	return p.allowedByPlatform(platform, family, cmd) && slices.Contains(declared, cmd)
}
