// Command clawdbot is the gateway daemon and its CLI: `clawdbot gateway` runs the
// gateway; the helpers talk to a running one. This file only parses flags and wires
// packages together; behaviour lives in server/.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries a process exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "clawdbot:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	os.Exit(2) // usage errors from cobra
}

type globalFlags struct {
	dev     bool
	profile string
}

func newRoot() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "clawdbot",
		Short:         "Clawdbot gateway and CLI",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolVar(&g.dev, "dev", false, "use the dev profile (~/.clawdbot-dev, port 19001)")
	root.PersistentFlags().StringVar(&g.profile, "profile", "", "use a named profile (~/.clawdbot-<name>)")
	gw := newGatewayCmd(g)
	root.AddCommand(gw)
	addHelperCommands(root, gw, g)
	addServiceCommands(gw, g)
	root.AddCommand(newSetupCmd(g))
	root.AddCommand(newDoctorCmd(g))
	root.AddCommand(newConfigCmd(g))
	root.AddCommand(newLoginCmd(g))
	root.AddCommand(newNodesCmd(g))
	root.AddCommand(newLogsCmd(g))
	root.AddCommand(newCronCmd(g))
	root.AddCommand(newPairingCmd(g))
	return root
}
