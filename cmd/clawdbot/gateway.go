package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/gateway"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

type gatewayFlags struct {
	port              int
	bind              string
	token             string
	password          string
	authMode          string
	verbose           bool
	allowUnconfigured bool
}

func newGatewayCmd(g *globalFlags) *cobra.Command {
	f := &gatewayFlags{}
	cmd := &cobra.Command{
		Use:   "gateway",
		Short: "Run the gateway (WebSocket + HTTP control plane)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGateway(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.port, "port", 0, "gateway port (default: CLAWDBOT_GATEWAY_PORT, gateway.port, 18789)")
	fl.StringVar(&f.bind, "bind", "", "loopback|lan|tailnet|auto (default: gateway.bind, loopback)")
	fl.StringVar(&f.token, "token", "", "shared token clients must present (a config token wins)")
	fl.StringVar(&f.password, "password", "", "shared password clients must present")
	fl.StringVar(&f.authMode, "auth", "", "token|password")
	fl.BoolVar(&f.verbose, "verbose", false, "debug logs on stdout")
	fl.BoolVar(&f.allowUnconfigured, "allow-unconfigured", false, "start without gateway.mode=local in the config")
	return cmd
}

func profileName(g *globalFlags) (string, error) {
	if g.dev && g.profile != "" {
		return "", &exitError{2, errors.New("--dev and --profile cannot be combined")}
	}
	if g.dev {
		return "dev", nil
	}
	return g.profile, nil
}

func runGateway(ctx context.Context, g *globalFlags, f *gatewayFlags) error {
	profile, err := profileName(g)
	if err != nil {
		return err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return &exitError{1, fmt.Errorf("home directory: %w", err)}
	}
	env := config.OSEnv()
	for k, v := range config.ProfileEnv(env, home, profile) {
		_ = os.Setenv(k, v)
	}
	paths, err := config.ResolvePaths(env, home, profile)
	if err != nil {
		return &exitError{1, err}
	}
	file, err := config.Load(paths.ConfigPath)
	if err != nil {
		return &exitError{1, err}
	}
	if err := config.ModeGuard(file, f.allowUnconfigured); err != nil {
		return &exitError{1, err}
	}
	res, err := config.Resolve(&file.Config, env, config.Flags{Port: f.port, Bind: f.bind, Token: f.token, Password: f.password, Auth: f.authMode})
	if err != nil {
		return &exitError{1, err}
	}
	if err := res.CheckBind(); err != nil {
		return &exitError{1, err}
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
	if err := os.MkdirAll(paths.StateDir, 0o700); err != nil {
		return &exitError{1, fmt.Errorf("state dir: %w", err)}
	}
	devices, err := auth.OpenStore(auth.StoreOptions{Dir: paths.StateDir})
	if err != nil {
		return &exitError{1, fmt.Errorf("device store: %w", err)}
	}
	// Derived helpers (and child processes) see the effective port, as in the original.
	_ = os.Setenv("CLAWDBOT_GATEWAY_PORT", strconv.Itoa(res.Port))
	ver := version
	if v, ok := env("CLAWDBOT_VERSION"); ok && v != "" {
		ver = v
	}
	commit, _ := env("GIT_COMMIT")
	addr := fmt.Sprintf("%s:%d", res.Host, res.Port)
	ln, err := gateway.Listen(addr)
	if err != nil {
		return &exitError{1, err}
	}
	srv, err := gateway.New(gateway.Options{
		Addr:             addr,
		Secrets:          auth.Secrets{Mode: auth.Mode(res.Auth.Mode), Token: res.Auth.Token, Password: res.Auth.Password},
		Devices:          devices,
		Version:          ver,
		Commit:           commit,
		StateDir:         paths.StateDir,
		ConfigPath:       paths.ConfigPath,
		MaxPayload:       res.MaxPayload,
		MaxBufferedBytes: res.MaxBufferedBytes,
		TickInterval:     res.TickInterval,
		Logger:           log,
	})
	if err != nil {
		_ = ln.Close()
		return &exitError{1, err}
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		if err != nil {
			return &exitError{1, err}
		}
		return nil
	case <-ctx.Done():
	}
	log.Info("shutting down", "reason", "signal")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx, "gateway stopping", 0); err != nil {
		log.Warn("shutdown", "err", err)
	}
	<-served
	return nil
}
