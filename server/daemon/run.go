// Package daemon builds the gateway's components and runs it: the in-process restart
// loop, the config reload watcher and graceful shutdown. cmd/clawdbot only parses flags
// and calls Run.
package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/configapi"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gcpolicy"
	"github.com/clawgate/gateway/server/logs"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/portkill"
	"github.com/clawgate/gateway/server/presence"
	"github.com/clawgate/gateway/server/reload"
	"github.com/clawgate/gateway/server/stateimport"
	"github.com/clawgate/gateway/server/update"
	"github.com/clawgate/gateway/server/wizard"
)

// Options are what the gateway command's flags decide.
type Options struct {
	// Profile selects the state dir and config (--profile; "dev" for --dev).
	Profile string
	// Flags are the port/bind/auth flags; they win over the config file.
	Flags config.Flags
	// Verbose logs debug lines on Stdout.
	Verbose bool
	// AllowUnconfigured starts without gateway.mode=local in the config.
	AllowUnconfigured bool
	// Force stops whatever listens on the gateway port first.
	Force bool
	// Version is server.version (CLAWDBOT_VERSION overrides it).
	Version string
	// Home is the user's home directory (os.UserHomeDir when "").
	Home string
	// Stdout receives the text log (os.Stdout when nil).
	Stdout io.Writer
	// Restart, when set, requests an in-process restart on every receive instead of
	// SIGUSR1 (tests inject it).
	Restart <-chan struct{}
	// Clock drives the heartbeat and cron timers and the album and inbound debounce windows
	// (clock.Real when nil; tests inject a fake one).
	Clock clock.Clock
	// GC is what the gateway command set of the garbage collector's defaults
	// (gcpolicy.Apply), logged at start so an operator sees it.
	GC gcpolicy.Applied
	// OnServe, when set, sees each gateway.Server (a new one per in-process restart)
	// with every group handed over, just before it serves (tests inspect its
	// method table).
	OnServe func(*gateway.Server)
	// BrowserAddrs, when set, replaces the browser tool's address guard (tests browse
	// pages on 127.0.0.1; the config has no key for it, as web_fetch has none).
	BrowserAddrs *tools.AddrPolicy
}

// restartExpectedMs is announced to clients before an in-process restart (§8.4).
const restartExpectedMs = 1500

// Run builds the components and runs the gateway until ctx is done: the in-process
// restart loop (SIGUSR1 or Options.Restart, and config changes that need it), the
// config reload watcher (gateway.reload.mode) and a graceful shutdown (every client
// gets a shutdown event and is closed with 1012). The components (providers, agent
// runtime, node bridge, HTTP surfaces) live for the whole run; each restart builds a
// new gateway.Server and hands it every method group.
func Run(ctx context.Context, o Options) error {
	profile := o.Profile
	home := o.Home
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("home directory: %w", err)
		}
		home = h
	}
	stdout := o.Stdout
	if stdout == nil {
		stdout = os.Stdout
	}
	env := config.OSEnv()
	for k, v := range config.ProfileEnv(env, home, profile) {
		_ = os.Setenv(k, v)
	}
	paths, err := config.ResolvePaths(env, home, profile)
	if err != nil {
		return err
	}
	file, err := config.Load(paths.ConfigPath)
	if err != nil {
		return err
	}
	if err := config.ModeGuard(file, o.AllowUnconfigured); err != nil {
		return err
	}
	if err := os.MkdirAll(paths.StateDir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	logPath, maxBytes, maxFiles := logSettings(file, paths.StateDir)
	logFile, err := logs.Open(logPath, maxBytes, maxFiles)
	if err != nil {
		return err
	}
	defer logFile.Close()
	fileLevel, level := config.LogLevels(&file.Config) // logging.level, logging.consoleLevel
	if o.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(logs.NewHandler(
		slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: level}),
		slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: fileLevel}),
	))
	applyConfigEnv(ctx, file, env, log)
	tightenSecretPerms(paths, file, log)
	if o.GC.GCPercent != 0 || o.GC.MemoryLimit != 0 {
		log.Debug("garbage collector defaults (GOGC / GOMEMLIMIT in the environment override them)", "gogc", o.GC.GCPercent, "memoryLimitBytes", o.GC.MemoryLimit)
	}
	if m, u := file.Notes(); m != "" || u != "" {
		if m != "" {
			log.Info(m)
		}
		if u != "" {
			log.Warn(u)
		}
	}
	if o.Flags.Token != "" || o.Flags.Password != "" {
		log.Warn("--token/--password are visible to every local user in the process list; put the secret in gateway.auth (the config file is 0600) or in CLAWDBOT_GATEWAY_TOKEN / CLAWDBOT_GATEWAY_PASSWORD instead")
	}
	// The original's state (sessions, transcripts, paired devices and nodes) is
	// carried over before the stores are opened: they keep their files in memory. Our
	// own device and node stores live in OwnDir, apart from the original's files of the
	// same names, which are only read.
	sessionsDB, originalSessions := sessionStores(file, paths.StateDir)
	if _, err := stateimport.Run(ctx, stateimport.RunOptions{StateDir: paths.StateDir, SessionsDB: sessionsDB,
		SessionStore: originalSessions, Logger: log}); err != nil {
		if errors.Is(err, stateimport.ErrRelocate) {
			// Starting without our own paired devices would unpair them in effect.
			return err
		}
		// What was committed stays; the next start carries on. Run logged it.
	}
	own := stateimport.OwnDir(paths.StateDir)
	devices, err := auth.OpenStore(auth.StoreOptions{Dir: own, Logger: log})
	if err != nil {
		return fmt.Errorf("device store: %w", err)
	}
	nodeStore, err := nodes.OpenStore(nodes.StoreOptions{StateDir: own, Logger: log})
	if err != nil {
		return fmt.Errorf("node pairing store: %w", err)
	}
	// The onboarding wizard and the channels' own config edits (a Telegram group's
	// migration) write through the running server's config group.
	wizCfg := &wizardConfig{}
	ver := o.Version
	if v, ok := env("CLAWDBOT_VERSION"); ok && v != "" {
		ver = v
	}
	commit, _ := env("GIT_COMMIT")
	// SIGUSR1 and config reloads that need it restart the server in this process.
	restart := make(chan string, 1)
	requestRestart := func(why string) {
		select {
		case restart <- why:
		default:
		}
	}
	// fileMu guards file: the reload watcher and config.apply replace it while the
	// loop reads it.
	var fileMu sync.Mutex
	var notice *configapi.Notice // config.apply's restart notice, told once back (under fileMu)
	// The agent's gateway tool: the same config group, update.run and in-process
	// restart as the wire, SIGUSR1 and /restart.
	gwTool := &gatewayToolBackend{cfg: wizCfg, now: time.Now,
		update: update.New[*gateway.Conn](update.Options{Version: ver, Commit: commit}),
		restart: func(delay time.Duration, reason string, n *configapi.Notice) {
			log.Info("gateway tool: restart requested", "delay", delay, "reason", reason)
			if n != nil {
				fileMu.Lock()
				notice = n
				fileMu.Unlock()
			}
			time.AfterFunc(delay, func() { requestRestart("gateway.restart") })
		}}
	svc := &services{log: log, paths: paths, file: file, env: env, nodeStore: nodeStore,
		flags: o.Flags, clock: o.Clock, home: home, browserAddrs: o.BrowserAddrs, configWriter: wizCfg,
		restart: requestRestart, gatewayTool: gwTool}
	svc.inbound.log = log
	svc.mentions.log = log
	svc.runCtx = ctx
	svc.disk.Store(file)
	svc.live.Store(file)
	svc.mentions.set(file)
	if err := startServices(ctx, svc); err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.close(cctx); err != nil {
			log.Warn("closing services", "err", err)
		}
	}()
	checkDone := startUpdateCheck(ctx, file, env, paths.StateDir, home, ver, log)
	defer func() { <-checkDone }()
	start := time.Now()
	pres := presence.New(presence.Options{Self: presence.DefaultSelf(ver)})

	svc.restart = requestRestart
	if o.Restart != nil {
		go func() {
			for {
				select {
				case <-o.Restart:
					requestRestart("SIGUSR1")
				case <-ctx.Done():
					return
				}
			}
		}()
	} else {
		usr1 := make(chan os.Signal, 1)
		if sigs := restartSignals(); len(sigs) > 0 {
			signal.Notify(usr1, sigs...)
		}
		defer signal.Stop(usr1)
		go func() {
			for range usr1 {
				requestRestart("SIGUSR1")
			}
		}()
	}
	var healthVersion int64
	// One brake on secret guessing for the process: an in-process restart must not
	// hand a guesser a fresh budget.
	throttle := auth.NewThrottle(auth.ThrottleOptions{})
	cfgHealth := &configHealth{path: paths.ConfigPath}
	cfgHealth.loaded(file)
	// The onboarding wizard lives for the process; each server's config group is its
	// writer (svc_wizard.go).
	wizHome, _ := os.UserHomeDir()
	wiz := wizard.New[*gateway.Conn](wizard.Options{Now: svc.now,
		FlowOptions: wizard.FlowOptions{Config: wizCfg, Home: wizHome, Version: ver}})
	defer wiz.Close()
	for {
		fileMu.Lock()
		cur, told := file, notice
		notice = nil
		fileMu.Unlock()
		if told != nil {
			kind := told.Kind
			if kind == "" {
				kind = "config.apply"
			}
			// The original's restart sentinel, told once back.
			log.Info("gateway restarted after "+kind, "session", told.SessionKey, "note", told.Note)
			svc.tellRestarted(ctx, kind, told)
		}
		res, err := config.Resolve(&cur.Config, env, o.Flags)
		if err != nil {
			return err
		}
		if err := res.CheckBind(); err != nil {
			return err
		}
		tlsRT, err := gatewayTLS(cur, paths.StateDir)
		if err != nil {
			return err
		}
		var tlsCfg *tls.Config
		if tlsRT != nil {
			tlsCfg = tlsRT.Config
			log.Info("gateway tls: on", "cert", tlsRT.CertPath, "generated", tlsRT.Generated, "sha256", tlsRT.Fingerprint)
		}
		if o.Force && healthVersion == 0 {
			if err := portkill.FreePort(ctx, res.Port, log); err != nil {
				return err
			}
		}
		// Derived helpers (and child processes) see the effective port, as in the original.
		_ = os.Setenv("CLAWDBOT_GATEWAY_PORT", strconv.Itoa(res.Port))
		addr := net.JoinHostPort(res.Host, strconv.Itoa(res.Port))
		ln, err := listenRetry(ctx, addr, healthVersion > 0)
		if err != nil {
			return err
		}
		// A new method table per server: core serves the gateway's own groups (system,
		// devices, nodes, config) and every component hands over the ones it serves.
		mux := protocol.NewMux[*gateway.Conn]()
		srv, err := gateway.New(gateway.Options{
			Mux:                    mux,
			Addr:                   addr,
			Secrets:                auth.Secrets{Mode: auth.Mode(res.Auth.Mode), Token: res.Auth.Token, Password: res.Auth.Password},
			Devices:                devices,
			Nodes:                  nodeStore,
			LiveNodes:              svc.liveNodes(),
			Version:                ver,
			Commit:                 commit,
			StateDir:               paths.StateDir,
			ConfigPath:             paths.ConfigPath,
			MainKey:                sessionMainKey(cur),
			SessionScope:           sessionScope(cur),
			MaxPayload:             res.MaxPayload,
			MaxBufferedBytes:       res.MaxBufferedBytes,
			TickInterval:           res.TickInterval,
			ProcessStart:           start,
			Presence:               pres,
			HealthVersion:          healthVersion,
			LogFile:                logFile.Path(),
			AllowedOrigins:         allowedOrigins(cur),
			AllowInsecureControlUI: cur.Config.Gateway != nil && cur.Config.Gateway.ControlUI != nil && cur.Config.Gateway.ControlUI.AllowInsecureAuth,
			TLS:                    tlsCfg,
			TrustedProxies:         trustedProxies(cur, log),
			AuthThrottle:           throttle,
			Logger:                 log,
		})
		if err == nil {
			core.Serve(srv)
			// The config group again, now able to apply what config.apply writes.
			cfgGroup := configapi.New[*gateway.Conn](configapi.Options{
				Path: paths.ConfigPath, HasSecret: srv.Options().Secrets.HasSecret, Version: ver, GeneratedAt: start,
				TalkKeyFor: talkKeyFor, Getenv: os.Getenv, Home: home,
				Apply: func(rctx context.Context, r configapi.ApplyRequest) (configapi.ApplyOutcome, error) {
					// Saved under fileMu: the watcher sees the new file only after this
					// apply made it the running one, and then finds nothing to do.
					fileMu.Lock()
					defer fileMu.Unlock()
					next, err := r.Save()
					if err != nil {
						return configapi.ApplyOutcome{}, err
					}
					plan := reload.Decide(reloadMode(next), reload.Diff(file.Config, next.Config))
					out := configapi.ApplyOutcome{Mode: plan.Mode, Changed: plan.Changed, Hot: plan.Hot,
						Ignored: plan.Ignored, Restart: plan.Restart, NoopReason: plan.NoopReason}
					cfgHealth.loaded(next)
					srv.RefreshHealth()
					file = next
					switch {
					case plan.NoopReason != "":
						log.Info("config.apply needs nothing", "reason", plan.NoopReason, "changed", plan.Changed)
					case plan.Restart:
						log.Info("config.apply needs a restart", "changed", plan.Changed, "mode", plan.Mode, "delay", r.RestartDelay)
						// Channel accounts restart here, before the gateway does.
						out.Hot = reload.Applied(nil, svc.reconfigure(ctx, next))
						out.RestartExpectedMs = restartExpectedMs
						if r.SessionKey != "" || r.Note != "" {
							n := &configapi.Notice{Ts: time.Now(), SessionKey: r.SessionKey, Note: r.Note}
							notice, out.Notice = n, n
						}
						// After the response is queued, so the client reads it before the
						// shutdown event.
						gateway.AfterResponse(rctx, func() {
							time.AfterFunc(r.RestartDelay, func() { requestRestart("config.apply") })
						})
					default:
						out.Hot = reload.Applied(plan.Hot, svc.reconfigure(ctx, next))
						log.Info("config.apply applied (hot)", "changed", plan.Changed, "restarted", out.Hot, "ignored", plan.Ignored)
					}
					return out, nil
				},
			})
			mux.SetConfig(cfgGroup)
			wizCfg.cur.Store(cfgGroup)
			mux.SetWizard(wiz)
			srv.AddHealthSource(cfgHealth.source)
			err = svc.attach(srv, mux)
		}
		if err != nil {
			_ = ln.Close()
			return err
		}
		if o.OnServe != nil {
			o.OnServe(srv)
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		wctx, stopWatch := context.WithCancel(ctx)
		go reload.Watch(wctx, paths.ConfigPath, 200*time.Millisecond, reloadDebounce(cur), func() {
			fileMu.Lock()
			defer fileMu.Unlock()
			next, plan, err := planReload(paths.ConfigPath, file)
			switch {
			case errors.Is(err, errConfigVanished):
				if cfgHealth.failed(err) {
					log.Warn("config reload skipped: the config file is gone; the running config stays until it is back", "path", paths.ConfigPath)
					srv.RefreshHealth()
				}
			case err != nil:
				if cfgHealth.failed(err) {
					log.Error("config reload skipped: the new file is invalid; the running config stays", "err", err)
					srv.RefreshHealth()
				}
			default:
				cfgHealth.loaded(next)
				srv.RefreshHealth()
				if m, u := next.Notes(); m != "" || u != "" {
					log.Info("reloaded config: " + m + " " + u)
				}
			}
			switch {
			case err != nil:
			case plan.NoopReason != "":
				log.Info("config change needs nothing", "reason", plan.NoopReason, "changed", plan.Changed)
				if next != nil {
					file = next // "reload mode off": kept for the next restart, not applied
				}
			case plan.Restart:
				log.Info("config change needs a restart", "changed", plan.Changed, "mode", plan.Mode)
				file = next
				svc.reconfigure(ctx, next)
				requestRestart("config change")
			default:
				file = next
				// Components apply what they read (providers, the agent's model).
				hot := reload.Applied(plan.Hot, svc.reconfigure(ctx, next))
				log.Info("config reloaded (hot)", "changed", plan.Changed, "restarted", hot, "ignored", plan.Ignored)
			}
		})
		var why string
		select {
		case err := <-served:
			stopWatch()
			if err != nil {
				return err
			}
			return nil
		case <-ctx.Done():
			stopWatch()
			log.Info("shutting down", "reason", "signal")
			shutdown(srv, log, "gateway stopping", 0)
			<-served
			return nil
		case why = <-restart:
		}
		stopWatch()
		log.Info("restarting in process", "reason", why)
		shutdown(srv, log, "gateway restarting", restartExpectedMs)
		<-served
		healthVersion = srv.HealthVersion()
		if why == "SIGUSR1" || why == "/restart" || why == "gateway.restart" {
			fileMu.Lock()
			switch next, err := config.Load(paths.ConfigPath); {
			case err != nil:
				log.Warn("config invalid; restarting with the previous one", "err", err)
			case !next.Exists && file.Exists:
				log.Warn("config file is gone; restarting with the previous one", "path", paths.ConfigPath)
			default:
				file = next
				svc.reconfigure(ctx, next)
			}
			fileMu.Unlock()
		}
	}
}

func shutdown(srv *gateway.Server, log *slog.Logger, reason string, restartMs int64) {
	// A watchdog: close must not hang the process (§8.4 uses 5 s).
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx, reason, restartMs); err != nil {
		log.Warn("shutdown", "err", err)
	}
}

// listenRetry binds addr. At start-up a busy port is another instance and fails at
// once; after an in-process restart the old listener may take a moment to release the
// port, so it is retried briefly.
func listenRetry(ctx context.Context, addr string, retry bool) (net.Listener, error) {
	for i := 0; ; i++ {
		ln, err := gateway.Listen(addr)
		if err == nil || !retry || i >= 40 {
			return ln, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// errConfigVanished: the config file the gateway runs on was deleted (or moved away).
var errConfigVanished = errors.New("config file vanished")

// planReload loads the changed file and decides what it needs. A file that vanished
// is not an edit to an empty config — applying that would restart the gateway with
// defaults, auth off — so the running config stays, as for an invalid file.
func planReload(path string, cur *config.File) (*config.File, reload.Plan, error) {
	next, err := config.Load(path)
	if err != nil {
		return nil, reload.Plan{}, err
	}
	if !next.Exists && cur.Exists {
		return nil, reload.Plan{}, errConfigVanished
	}
	return next, reload.Decide(reloadMode(next), reload.Diff(cur.Config, next.Config)), nil
}

// reloadMode is gateway.reload.mode ("" = reload.Decide's default, hybrid).
func reloadMode(f *config.File) string {
	if f.Config.Gateway != nil && f.Config.Gateway.Reload != nil {
		return string(f.Config.Gateway.Reload.Mode)
	}
	return ""
}

func reloadDebounce(f *config.File) time.Duration {
	if g := f.Config.Gateway; g != nil && g.Reload != nil && g.Reload.DebounceMs > 0 {
		return time.Duration(g.Reload.DebounceMs) * time.Millisecond
	}
	return 300 * time.Millisecond
}

// logSettings reads logging.* with defaults: <stateDir>/logs/gateway.log.
func logSettings(f *config.File, stateDir string) (string, int64, int) {
	path := filepath.Join(stateDir, "logs", "gateway.log")
	var maxBytes int64
	maxFiles := 0
	if l := f.Config.Logging; l != nil {
		if l.File != nil && *l.File != "" {
			path = *l.File
		}
		if l.MaxFileBytes != nil {
			maxBytes = int64(*l.MaxFileBytes)
		}
		if l.MaxFiles != nil {
			maxFiles = *l.MaxFiles
		}
	}
	return path, maxBytes, maxFiles
}

func allowedOrigins(f *config.File) []string {
	if g := f.Config.Gateway; g != nil && g.ControlUI != nil {
		return g.ControlUI.AllowedOrigins
	}
	return nil
}

// applyConfigEnv sets the config's environment variables (env.vars and env's string
// members) that the process environment lacks, then, when env.shellEnv is on, the
// provider keys and gateway secrets the user's login shell exports, as the original
// does when it loads the config: the exec tool, CLI backends and provider key lookups
// all see them. env is restart-class, so this runs once per start.
func applyConfigEnv(ctx context.Context, file *config.File, env config.Env, log *slog.Logger) {
	for k, v := range config.MissingEnv(env, config.EnvVars(file)) {
		_ = os.Setenv(k, v)
	}
	on, timeout := config.ShellEnvSettings(file, env)
	if !on {
		return
	}
	got, err := config.ShellEnv(ctx, config.ShellEnvOptions{Env: env, Environ: os.Environ(), Timeout: timeout})
	if err != nil {
		log.Warn("login shell environment not imported", "err", err)
		return
	}
	keys := make([]string, 0, len(got))
	for k, v := range got {
		_ = os.Setenv(k, v)
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		slices.Sort(keys)
		log.Info("imported from the login shell's environment", "keys", keys)
	}
}

// talkKeyFor: config.get shows the Talk mode key (talk.apiKey or the
// ELEVENLABS_API_KEY fallback) to operator.admin connections only — the apps, which
// need it for Talk mode; an admin can run commands on the host anyway. Everyone else
// gets it redacted like every other secret.
func talkKeyFor(c any) bool {
	gc, ok := c.(*gateway.Conn)
	return ok && gc != nil && gc.Role() != "node" && slices.Contains(gc.Scopes(), auth.ScopeAdmin)
}
