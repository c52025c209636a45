package update

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/clawgate/gateway/server/statefile"
)

// The start-up update check (update.checkOnStart, update.channel), as the reference:
// at most once a day, the registry's version of the channel's tag is compared with
// the running version and a newer one is logged once per version and tag.
const (
	// CheckInterval is how long a check stays fresh (the reference's day).
	CheckInterval = 24 * time.Hour
	// CheckTimeout bounds each registry request (the reference's 2.5 s).
	CheckTimeout = 2500 * time.Millisecond
	// StateFile is the check's state under the state directory.
	StateFile = "update-check.json"
	// PackageName is the package whose versions the registry lists.
	PackageName = "clawdbot"
	// EnvRegistry names the registry base URL for the check. Without it the npm
	// client's own setting is used (npm_config_registry, then the registry= line of
	// ~/.npmrc); with none, no check runs.
	EnvRegistry = "CLAWDBOT_UPDATE_REGISTRY"
	// maxRegistryBody bounds a registry answer read into memory.
	maxRegistryBody = 1 << 20
)

// Channels of update.channel.
const (
	ChannelStable = "stable"
	ChannelBeta   = "beta"
	ChannelDev    = "dev"
)

// NormalizeChannel is the channel named by v ("" when it names none).
func NormalizeChannel(v string) string {
	switch c := strings.ToLower(strings.TrimSpace(v)); c {
	case ChannelStable, ChannelBeta, ChannelDev:
		return c
	}
	return ""
}

// channelTag is the registry tag of a channel.
func channelTag(channel string) string {
	switch channel {
	case ChannelBeta:
		return "beta"
	case ChannelDev:
		return "dev"
	}
	return "latest"
}

var semverRe = regexp.MustCompile(`^v?(\d+)\.(\d+)\.(\d+)`)

// CompareVersions compares the major.minor.patch of a and b (-1, 0, 1); ok is false
// when either is not a version (then nothing is announced, as the reference).
func CompareVersions(a, b string) (cmp int, ok bool) {
	pa, pb := semverRe.FindStringSubmatch(strings.TrimSpace(a)), semverRe.FindStringSubmatch(strings.TrimSpace(b))
	if pa == nil || pb == nil {
		return 0, false
	}
	for i := 1; i <= 3; i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			if x < y {
				return -1, true
			}
			return 1, true
		}
	}
	return 0, true
}

// CheckOptions configure one start-up check.
type CheckOptions struct {
	// Enabled is update.checkOnStart (absent: true).
	Enabled bool
	// Channel is update.channel ("" or unknown: stable).
	Channel string
	// Version is the running version.
	Version string
	// Registry is the registry's base URL ("" = no check).
	Registry string
	// StateDir holds StateFile.
	StateDir string
	Client   *http.Client
	Now      func() time.Time
}

// CheckResult says what a check did.
type CheckResult struct {
	Checked bool   // the registry was asked
	Tag     string // the tag whose version was compared
	Latest  string // its version ("" when the registry gave none)
	Notify  bool   // a newer version to announce (not announced before)
	Skipped string // why no check ran
}

type checkState struct {
	LastCheckedAt       string `json:"lastCheckedAt,omitempty"`
	LastNotifiedVersion string `json:"lastNotifiedVersion,omitempty"`
	LastNotifiedTag     string `json:"lastNotifiedTag,omitempty"`
}

// Check runs the start-up check: skipped when disabled, without a registry or
// version, or within CheckInterval of the last one; else the channel's tag is
// fetched (beta falls back to latest when latest is newer or beta has none), the
// state file records the check, and Notify is set for a newer version not announced
// before under the same tag.
func Check(ctx context.Context, o CheckOptions) (CheckResult, error) {
	if !o.Enabled {
		return CheckResult{Skipped: "update.checkOnStart is false"}, nil
	}
	if strings.TrimSpace(o.Registry) == "" {
		return CheckResult{Skipped: "no registry configured"}, nil
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	path := filepath.Join(o.StateDir, StateFile)
	var st checkState
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &st)
	}
	now := o.Now()
	if t, err := time.Parse(time.RFC3339Nano, st.LastCheckedAt); err == nil && now.Sub(t) < CheckInterval {
		return CheckResult{Skipped: "checked within the last day"}, nil
	}
	channel := NormalizeChannel(o.Channel)
	if channel == "" {
		channel = ChannelStable
	}
	res := CheckResult{Checked: true}
	res.Tag, res.Latest = resolveTag(ctx, o, channel)
	next := st
	next.LastCheckedAt = now.UTC().Format(time.RFC3339Nano)
	if res.Latest != "" {
		if cmp, ok := CompareVersions(o.Version, res.Latest); ok && cmp < 0 &&
			(st.LastNotifiedVersion != res.Latest || st.LastNotifiedTag != res.Tag) {
			res.Notify = true
			next.LastNotifiedVersion, next.LastNotifiedTag = res.Latest, res.Tag
		}
	}
	b, _ := json.MarshalIndent(next, "", "  ")
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		return res, fmt.Errorf("update check state: %w", err)
	}
	if err := statefile.WriteBytes(path, 0o600, b); err != nil {
		return res, fmt.Errorf("update check state: %w", err)
	}
	return res, nil
}

// resolveTag is the reference's channel resolution: the channel's tag; for beta the
// latest tag instead when beta has no version or an older one than latest.
func resolveTag(ctx context.Context, o CheckOptions, channel string) (tag, version string) {
	tag = channelTag(channel)
	v, _ := fetchTagVersion(ctx, o, tag)
	if channel != ChannelBeta {
		return tag, v
	}
	latest, _ := fetchTagVersion(ctx, o, "latest")
	switch {
	case latest == "":
		return tag, v
	case v == "":
		return "latest", latest
	}
	if cmp, ok := CompareVersions(v, latest); ok && cmp < 0 {
		return "latest", latest
	}
	return tag, v
}

// fetchTagVersion asks the registry for <base>/<package>/<tag> and reads its version.
func fetchTagVersion(ctx context.Context, o CheckOptions, tag string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	u := strings.TrimRight(strings.TrimSpace(o.Registry), "/") + "/" + PackageName + "/" + url.PathEscape(tag)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := o.Client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var body struct {
		Version any `json:"version"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxRegistryBody)).Decode(&body); err != nil {
		return "", err
	}
	v, ok := body.Version.(string)
	if !ok {
		return "", errors.New("no version")
	}
	return strings.TrimSpace(v), nil
}

// RegistryFromEnv is the registry base URL for the check: EnvRegistry, else the npm
// client's setting (npm_config_registry / NPM_CONFIG_REGISTRY, then a registry= line
// of <home>/.npmrc); "" when none is set.
func RegistryFromEnv(getenv func(string) string, home string) string {
	for _, k := range []string{EnvRegistry, "npm_config_registry", "NPM_CONFIG_REGISTRY"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
	}
	if home == "" {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(home, ".npmrc"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.TrimSpace(k) == "registry" {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// Announcement is the log line of a newer version.
func Announcement(r CheckResult, current string) string {
	return fmt.Sprintf("update available (%s): v%s (current v%s). %s", r.Tag, r.Latest, current, Instructions)
}
