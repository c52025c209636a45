package main

import (
	"context"
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/daemon"
	"github.com/clawgate/gateway/server/gcpolicy"
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
	force             bool
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
	fl.BoolVar(&f.force, "force", false, "stop whatever listens on the gateway port first (SIGTERM, then SIGKILL)")
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

// runGateway runs the daemon with the command's flags; its errors exit 1.
func runGateway(ctx context.Context, g *globalFlags, f *gatewayFlags) error {
	profile, err := profileName(g)
	if err != nil {
		return err
	}
	// The daemon is long-running and latency-bound: it takes the gateway's garbage
	// collector defaults (see server/gcpolicy); the CLI helpers keep Go's.
	gc := gcpolicy.Apply(gcpolicy.Process(), os.Getenv)
	err = daemon.Run(ctx, daemon.Options{
		GC:                gc,
		Profile:           profile,
		Flags:             config.Flags{Port: f.port, Bind: f.bind, Token: f.token, Password: f.password, Auth: f.authMode},
		Verbose:           f.verbose,
		AllowUnconfigured: f.allowUnconfigured,
		Force:             f.force,
		Version:           version,
	})
	if err != nil {
		return &exitError{1, err}
	}
	return nil
}
