package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/daemon"
)

// cliPaths resolves the state dir and config path of the selected profile.
func cliPaths(g *globalFlags) (config.Paths, config.Env, error) {
	profile, err := profileName(g)
	if err != nil {
		return config.Paths{}, nil, err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return config.Paths{}, nil, &exitError{exitRemote, fmt.Errorf("home directory: %w", err)}
	}
	env := config.OSEnv()
	env = env.With(config.ProfileEnv(env, home, profile))
	paths, err := config.ResolvePaths(env, home, profile)
	if err != nil {
		return config.Paths{}, nil, &exitError{exitUsage, err}
	}
	return paths, env, nil
}

// originalWhatsAppCreds reports whether the state dir holds the original's
// WhatsApp (Baileys) credentials, which whatsmeow cannot use.
func originalWhatsAppCreds(stateDir string) bool {
	st, err := os.Stat(filepath.Join(stateDir, "credentials", "whatsapp"))
	return err == nil && st.IsDir()
}

func newDoctorCmd(g *globalFlags) *cobra.Command {
	var fix bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the config file and state directory; --fix rewrites legacy config keys",
		Long: `Doctor lists what needs attention: config errors, legacy keys (migrated in
memory on every load), keys this gateway accepts but does not implement, state and
config permissions, and WhatsApp credentials of the original that need a re-link.
With --fix it rewrites the config in the current shape (the old file is kept as
clawdbot.json.bak; the leading comments are kept, those inside the document are
not) and narrows permissions.
Exit status 1 when the config does not load.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd.OutOrStdout(), g, fix)
		},
	}
	cmd.Flags().BoolVar(&fix, "fix", false, "rewrite legacy config keys and narrow permissions")
	return cmd
}

func runDoctor(out io.Writer, g *globalFlags, fix bool) error {
	paths, env, err := cliPaths(g)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "config: %s\n", paths.ConfigPath)
	file, lerr := config.LoadWith(paths.ConfigPath, env)
	var broken error
	switch {
	case lerr != nil:
		broken = lerr
		fmt.Fprintf(out, "- error: %v\n", lerr)
	case !file.Exists:
		fmt.Fprintln(out, "- no config file (run `clawdbot setup`)")
	}
	if file != nil && file.Exists && len(file.Migrated) > 0 {
		for _, n := range file.Migrated {
			fmt.Fprintf(out, "- legacy key: %s\n", n)
		}
		if fix {
			raw, notes, ferr := config.Fix(paths.ConfigPath, file.Raw, env)
			switch {
			case ferr != nil:
				fmt.Fprintf(out, "- could not rewrite the config: %v\n", ferr)
			default:
				bak := paths.ConfigPath + ".bak"
				if err := config.Save(bak, file.Raw); err != nil {
					return &exitError{exitRemote, fmt.Errorf("backup %s: %w", bak, err)}
				}
				if err := config.Save(paths.ConfigPath, raw); err != nil {
					return &exitError{exitRemote, err}
				}
				fmt.Fprintf(out, "- fixed: rewrote %s in the current shape (%d changes; backup %s)\n", paths.ConfigPath, len(notes), bak)
				if file, lerr = config.LoadWith(paths.ConfigPath, env); lerr != nil {
					broken = lerr
				}
			}
		} else {
			fmt.Fprintln(out, "  run `clawdbot doctor --fix` to rewrite the file in the current shape")
		}
	}
	if file != nil && len(file.Unimplemented) > 0 {
		fmt.Fprintf(out, "- not implemented by this gateway (accepted, ignored): %s\n", strings.Join(file.Unimplemented, ", "))
	}
	if file != nil {
		found := daemon.CheckSecretPerms(paths, file)
		for _, p := range found {
			fmt.Fprintf(out, "- permissions: %s is %#o, want %#o\n", p.Path, p.Mode, p.Want)
		}
		if fix && len(found) > 0 {
			for _, p := range found {
				if err := os.Chmod(p.Path, p.Mode&p.Want); err != nil {
					fmt.Fprintf(out, "- could not narrow %s: %v\n", p.Path, err)
				} else {
					fmt.Fprintf(out, "- fixed: %s is now %#o\n", p.Path, p.Mode&p.Want)
				}
			}
		}
	}
	if originalWhatsAppCreds(paths.StateDir) {
		fmt.Fprintf(out, "- WhatsApp credentials of the original (%s) cannot be reused: re-link needed (`clawdbot login`)\n",
			filepath.Join(paths.StateDir, "credentials", "whatsapp"))
	}
	if broken != nil {
		return &exitError{exitRemote, errors.New("config does not load")}
	}
	fmt.Fprintln(out, "done")
	return nil
}

func newConfigCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Read and edit the config file (offline)",
		Long: `config get|set|unset PATH edits the config file directly (no gateway needed;
a running gateway picks the change up through its file watcher). PATH is dotted,
with [n] for array items and ["key"] for keys with dots: agents.defaults.model.primary,
channels.telegram.botToken, agents.list[0].id. A set VALUE is read as JSON5 (42,
true, null, {a: 1}, ["x"], "quoted"); anything else is taken as a string. The
result must validate, else nothing is written. Writes are atomic and leave the file
mode 0600; the file is rewritten as JSON: its leading comments are kept, comments
inside the document are not.`,
	}
	cmd.AddCommand(&cobra.Command{
		Use: "get PATH", Short: "Print the value at PATH (effective: $include, ${VAR} and legacy keys resolved)", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runConfigGet(c.OutOrStdout(), g, args[0]) },
	})
	cmd.AddCommand(&cobra.Command{
		Use: "set PATH VALUE", Short: "Set the value at PATH", Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			return runConfigEdit(c.OutOrStdout(), g, args[0], func(tree map[string]any, p []string) (bool, error) {
				return true, config.SetPath(tree, p, config.ParseValue(args[1]))
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "unset PATH", Short: "Remove the value at PATH", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runConfigEdit(c.OutOrStdout(), g, args[0], func(tree map[string]any, p []string) (bool, error) {
				return config.UnsetPath(tree, p), nil
			})
		},
	})
	return cmd
}

func runConfigGet(out io.Writer, g *globalFlags, path string) error {
	p, err := config.ParseKeyPath(path)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	paths, env, err := cliPaths(g)
	if err != nil {
		return err
	}
	f, err := config.LoadWith(paths.ConfigPath, env)
	if err != nil && (f == nil || f.Parsed == nil) {
		return &exitError{exitRemote, err}
	}
	v, ok := config.GetPath(f.Parsed, p)
	if !ok {
		return &exitError{exitRemote, fmt.Errorf("%s is not set", path)}
	}
	if s, ok := v.(string); ok {
		fmt.Fprintln(out, s)
		return nil
	}
	b, err := config.Format(v)
	if err != nil {
		return &exitError{exitRemote, err}
	}
	_, err = out.Write(b)
	return err
}

func runConfigEdit(out io.Writer, g *globalFlags, path string, edit func(map[string]any, []string) (bool, error)) error {
	p, err := config.ParseKeyPath(path)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	paths, env, err := cliPaths(g)
	if err != nil {
		return err
	}
	f, err := config.LoadWith(paths.ConfigPath, env)
	var pe *config.ParseError
	if errors.As(err, &pe) {
		return &exitError{exitRemote, err} // never rewrite a file we could not read
	}
	if f == nil {
		return &exitError{exitRemote, err}
	}
	tree, _ := f.Written.(map[string]any)
	if tree == nil {
		tree = map[string]any{}
	}
	changed, err := edit(tree, p)
	if err != nil {
		return &exitError{exitRemote, fmt.Errorf("config %s: %w", path, err)}
	}
	if !changed {
		fmt.Fprintf(out, "%s was not set; nothing changed\n", path)
		return nil
	}
	raw, err := config.Format(tree)
	if err != nil {
		return &exitError{exitRemote, err}
	}
	raw = append(config.LeadingComments(f.Raw), raw...)
	if _, err := config.ParseWith(paths.ConfigPath, raw, env); err != nil {
		return &exitError{exitRemote, fmt.Errorf("not written: %w", err)}
	}
	if err := os.MkdirAll(paths.StateDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return &exitError{exitRemote, err}
	}
	if err := config.Save(paths.ConfigPath, raw); err != nil {
		return &exitError{exitRemote, err}
	}
	fmt.Fprintf(out, "updated %s in %s\n", path, paths.ConfigPath)
	return nil
}
