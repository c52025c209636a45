package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/supervise"
)

// serviceDeps are the seams of the service commands. Production uses the zero
// value; tests put one in the command's context (withServiceDeps) to record the
// supervisor's command lines instead of running them.
type serviceDeps struct {
	runner        supervise.Runner
	goos          string // "" = runtime.GOOS
	systemUnitDir string // "" = /etc/systemd/system
	binary        string // "" = this executable
	user          string // "" = the current (or sudo-ing) user
}

type serviceDepsKey struct{}

func withServiceDeps(ctx context.Context, d serviceDeps) context.Context {
	return context.WithValue(ctx, serviceDepsKey{}, d)
}

func serviceDepsFrom(ctx context.Context) serviceDeps {
	d, _ := ctx.Value(serviceDepsKey{}).(serviceDeps)
	return d
}

// addServiceCommands registers `gateway install|uninstall|stop|restart`, which
// manage the gateway as a service of the platform's supervisor.
func addServiceCommands(gw *cobra.Command, g *globalFlags) {
	gw.AddCommand(newInstallCmd(g), newUninstallCmd(g), newServiceCmd(g, "stop"), newServiceCmd(g, "restart"))
}

// serviceOptions resolves the profile, paths and port into supervise.Options.
// For install (forInstall), port 0 means: from CLAWDBOT_GATEWAY_PORT /
// gateway.port / the profile default, and a config the service would refuse to
// start with is warned about. The other commands need no port.
func serviceOptions(ctx context.Context, g *globalFlags, system bool, port int, forInstall bool, out io.Writer) (supervise.Options, error) {
	deps := serviceDepsFrom(ctx)
	profile, err := profileName(g)
	if err != nil {
		return supervise.Options{}, err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return supervise.Options{}, &exitError{exitRemote, fmt.Errorf("home directory: %w", err)}
	}
	env := config.OSEnv()
	envWith := env.With(config.ProfileEnv(env, home, profile))
	paths, err := config.ResolvePaths(envWith, home, profile)
	if err != nil {
		return supervise.Options{}, &exitError{exitUsage, err}
	}
	if port < 0 || port > 65535 {
		return supervise.Options{}, &exitError{exitUsage, fmt.Errorf("invalid --port %d", port)}
	}
	if forInstall {
		file, err := config.Load(paths.ConfigPath)
		if err != nil {
			fmt.Fprintf(out, "warning: the service will not start with this config: %v\n", err)
			file = &config.File{}
		} else if err := config.ModeGuard(file, false); err != nil {
			fmt.Fprintf(out, "warning: the service will not start yet: %v (config: %s)\n", err, paths.ConfigPath)
		}
		if port == 0 {
			// Only the port matters here; loopback keeps a tailnet bind from failing.
			res, err := config.Resolve(&file.Config, envWith, config.Flags{Bind: config.BindLoopback})
			if err != nil {
				return supervise.Options{}, &exitError{exitUsage, err}
			}
			port = res.Port
		}
	}
	// The service sees the paths the installer used: explicit env overrides are
	// written into the definition (absolute); a profile is passed as a flag.
	unitEnv := map[string]string{}
	if isSet(env, config.EnvStateDir) || isSet(env, config.EnvLegacyStateDir) {
		unitEnv[config.EnvStateDir] = paths.StateDir
	}
	if isSet(env, config.EnvConfigPath) {
		unitEnv[config.EnvConfigPath] = paths.ConfigPath
	}
	binary := deps.binary
	if binary == "" {
		if binary, err = os.Executable(); err != nil {
			return supervise.Options{}, &exitError{exitRemote, fmt.Errorf("locate the clawdbot binary: %w", err)}
		}
		if resolved, err := filepath.EvalSymlinks(binary); err == nil {
			binary = resolved
		}
	}
	name := deps.user
	if name == "" {
		name = currentUser(system)
	}
	return supervise.Options{
		GOOS:          deps.goos,
		System:        system,
		Binary:        binary,
		Port:          port,
		Profile:       paths.Profile,
		Env:           unitEnv,
		Home:          home,
		StateDir:      paths.StateDir,
		User:          name,
		UID:           os.Getuid(),
		SystemUnitDir: deps.systemUnitDir,
		Runner:        deps.runner,
		Out:           out,
	}, nil
}

func isSet(env config.Env, key string) bool {
	v, ok := env(key)
	return ok && strings.TrimSpace(v) != ""
}

// currentUser is the account the service runs as: under sudo, the user who
// ran sudo (a system unit should not run the gateway as root).
func currentUser(system bool) string {
	if system && os.Geteuid() == 0 {
		if u := os.Getenv("SUDO_USER"); u != "" && u != "root" {
			return u
		}
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// serviceError maps supervise errors to exit codes: bad options are usage
// errors, the rest runtime errors.
func serviceError(err error) error {
	var ee *exitError
	if err == nil || errors.As(err, &ee) {
		return err
	}
	return &exitError{exitRemote, err}
}

func newInstallCmd(g *globalFlags) *cobra.Command {
	var system bool
	var port int
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install the gateway as a service (systemd, launchd or Scheduled Task) and start it",
		Long: `Install writes a service definition that runs "clawdbot gateway" under the
platform's supervisor and restarts it when it exits:

  Linux    systemd user unit ~/.config/systemd/user/clawdbot-gateway.service
           (--system: /etc/systemd/system/clawdbot-gateway.service, needs root)
  macOS    launch agent ~/Library/LaunchAgents/com.clawdbot.gateway.plist
  Windows  Scheduled Task "Clawdbot Gateway" (at logon, restart on failure)

When the supervisor is reachable the service is enabled and started; otherwise
the definition is written and the commands to run are printed. With --dev or
--profile the service gets its own name, so profiles can run side by side.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			o, err := serviceOptions(cmd.Context(), g, system, port, true, out)
			if err != nil {
				return err
			}
			_, err = supervise.Install(cmd.Context(), o)
			return serviceError(err)
		},
	}
	cmd.Flags().BoolVar(&system, "system", false, "install a systemd system unit (Linux, needs root) instead of a user unit")
	cmd.Flags().IntVar(&port, "port", 0, "gateway port for the service (default: CLAWDBOT_GATEWAY_PORT, gateway.port, 18789; --dev 19001)")
	return cmd
}

func newUninstallCmd(g *globalFlags) *cobra.Command {
	var system bool
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Stop the gateway service and remove its definition",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := serviceOptions(cmd.Context(), g, system, 0, false, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			return serviceError(supervise.Uninstall(cmd.Context(), o))
		},
	}
	cmd.Flags().BoolVar(&system, "system", false, "the systemd system unit instead of the user unit")
	return cmd
}

// newServiceCmd is `gateway stop` or `gateway restart`, through the supervisor.
func newServiceCmd(g *globalFlags, verb string) *cobra.Command {
	var system bool
	short := map[string]string{
		"stop":    "Stop the gateway service (through systemd, launchd or Task Scheduler)",
		"restart": "Restart the gateway service (through systemd, launchd or Task Scheduler)",
	}[verb]
	cmd := &cobra.Command{
		Use:   verb,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := serviceOptions(cmd.Context(), g, system, 0, false, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			if verb == "stop" {
				return serviceError(supervise.Stop(cmd.Context(), o))
			}
			return serviceError(supervise.Restart(cmd.Context(), o))
		},
	}
	cmd.Flags().BoolVar(&system, "system", false, "the systemd system unit instead of the user unit")
	return cmd
}
