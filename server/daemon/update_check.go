package daemon

import (
	"context"
	"log/slog"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/update"
)

// startUpdateCheck runs the start-up update check (update.checkOnStart, default on;
// update.channel) in the background, as the reference does at gateway start: a newer
// release of the channel is logged once per version. The registry is the one
// update.RegistryFromEnv names; without one nothing is asked. The returned channel
// closes when the check is over (cancelled with ctx).
func startUpdateCheck(ctx context.Context, f *config.File, env config.Env, stateDir, home, version string, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	o := update.CheckOptions{Enabled: true, Version: version, StateDir: stateDir}
	if v, ok := f.Lookup("/update/checkOnStart"); ok {
		if b, isBool := v.(bool); isBool {
			o.Enabled = b
		}
	}
	if v, ok := f.Lookup("/update/channel"); ok {
		o.Channel, _ = v.(string)
	}
	o.Registry = update.RegistryFromEnv(func(k string) string { v, _ := env(k); return v }, home)
	go func() {
		defer close(done)
		res, err := update.Check(ctx, o)
		switch {
		case err != nil:
			log.Debug("update check failed", "err", err)
		case res.Skipped != "":
			log.Debug("update check skipped", "reason", res.Skipped)
		case res.Notify:
			log.Info(update.Announcement(res, version))
		case res.Checked:
			log.Debug("update check done", "tag", res.Tag, "latest", res.Latest, "current", version)
		}
	}()
	return done
}
