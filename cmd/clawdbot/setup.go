package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clawgate/gateway/server/config"
)

// starterConfig is the config `clawdbot setup` writes, in the original's current
// shape: gateway.mode (required to start), the agent workspace, and commented
// pointers to the keys people change first. %s is the workspace path.
const starterConfig = `// Clawdbot gateway configuration. JSON5: comments and trailing commas are fine.
// Written by ` + "`clawdbot setup`" + `; edit it, or use ` + "`clawdbot config set PATH VALUE`" + `.
// A running gateway watches this file and applies edits (gateway.reload.mode "hybrid").
{
  gateway: {
    // "local": this machine runs the gateway; ` + "`clawdbot gateway`" + ` refuses to start otherwise.
    mode: "local",

    // port: 18789,        // or CLAWDBOT_GATEWAY_PORT / --port (the --dev profile uses 19001)
    // bind: "loopback",   // loopback | lan | tailnet | auto
    // auth: { mode: "token", token: "${CLAWDBOT_GATEWAY_TOKEN}" },  // set before binding beyond loopback
  },
  agents: {
    defaults: {
      workspace: %q,
      // model: { primary: "openai/gpt-4o-mini" },
    },
  },
  // channels: { telegram: { botToken: "123:abc", dmPolicy: "pairing" } },
}
`

func newSetupCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "setup",
		Short: "Create the state directory, a starter config and the agent workspace",
		Long: `Setup prepares this machine to run the gateway: the state directory
(~/.clawdbot, mode 0700), a starter config file (clawdbot.json, mode 0600, with
gateway.mode "local") unless one exists, and the agent workspace (~/clawd).
With --dev: ~/.clawdbot-dev and ~/clawd-dev; with --profile <name>:
~/.clawdbot-<name> and ~/clawd-<name>. Running it again changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSetup(cmd.OutOrStdout(), g)
		},
	}
}

func runSetup(out io.Writer, g *globalFlags) error {
	profile, err := profileName(g)
	if err != nil {
		return err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return &exitError{exitRemote, fmt.Errorf("home directory: %w", err)}
	}
	env := config.OSEnv()
	paths, err := config.ResolvePaths(env.With(config.ProfileEnv(env, home, profile)), home, profile)
	if err != nil {
		return &exitError{exitUsage, err}
	}

	created, err := ensureDir(paths.StateDir, 0o700)
	if err != nil {
		return &exitError{exitRemote, fmt.Errorf("state dir: %w", err)}
	}
	if created {
		fmt.Fprintf(out, "created state dir %s\n", paths.StateDir)
	} else {
		fmt.Fprintf(out, "state dir %s already exists\n", paths.StateDir)
	}

	switch _, err := os.Lstat(paths.ConfigPath); {
	case err == nil:
		fmt.Fprintf(out, "config %s already exists; left unchanged\n", paths.ConfigPath)
		file, lerr := config.Load(paths.ConfigPath)
		if lerr != nil {
			fmt.Fprintf(out, "note: %v\n", lerr)
		} else if gerr := config.ModeGuard(file, false); gerr != nil {
			fmt.Fprintf(out, "note: %v\n", gerr)
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := config.Save(paths.ConfigPath, []byte(fmt.Sprintf(starterConfig, paths.Workspace))); err != nil {
			return &exitError{exitRemote, err}
		}
		fmt.Fprintf(out, "wrote config %s (gateway.mode=local)\n", paths.ConfigPath)
	default:
		return &exitError{exitRemote, fmt.Errorf("config: %w", err)}
	}

	_, statErr := os.Stat(paths.Workspace)
	wrote, err := config.EnsureWorkspace(paths.Workspace)
	if err != nil {
		return &exitError{exitRemote, fmt.Errorf("workspace: %w", err)}
	}
	if statErr != nil {
		fmt.Fprintf(out, "created workspace %s\n", paths.Workspace)
	} else {
		fmt.Fprintf(out, "workspace %s already exists\n", paths.Workspace)
	}
	if len(wrote) > 0 {
		fmt.Fprintf(out, "wrote %s\n", strings.Join(wrote, ", "))
	}

	next := "clawdbot"
	switch {
	case g.dev:
		next += " --dev"
	case paths.Profile != "":
		next += " --profile " + paths.Profile
	}
	fmt.Fprintf(out, "next: %s gateway   (or `%s gateway install` to run it as a service)\n", next, next)
	return nil
}

// ensureDir creates dir (and missing parents) with mode perm; created is false
// when it already existed, in which case its mode is left alone.
func ensureDir(dir string, perm fs.FileMode) (created bool, err error) {
	st, err := os.Stat(dir)
	if err == nil {
		if !st.IsDir() {
			return false, fmt.Errorf("%s exists and is not a directory", dir)
		}
		return false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return false, err
	}
	// MkdirAll applies the umask; the state dir must be exactly 0700.
	return true, os.Chmod(dir, perm)
}
