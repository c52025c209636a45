package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/pairing"
)

// newPairingCmd is `clawdbot pairing list|approve|reject`: channel DM pairing, worked
// directly on the state directory's pairing files (as the original's CLI does), so it
// needs no running gateway; the gateway reads the allow-from store on every message.
func newPairingCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pairing",
		Short: "Secure DM pairing: list, approve or reject senders waiting for access",
	}
	var listChannel string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [channel]",
		Short: "List pending pairing requests",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ch := listChannel
			if ch == "" && len(args) == 1 {
				ch = args[0]
			}
			if ch == "" {
				return &exitError{exitUsage, errors.New("channel required: clawdbot pairing list <channel> (whatsapp, telegram)")}
			}
			st, err := pairingStore(g)
			if err != nil {
				return err
			}
			reqs, err := st.List(ch)
			if err != nil {
				return pairingErr(err)
			}
			return printPairing(cmd.OutOrStdout(), strings.ToLower(strings.TrimSpace(ch)), reqs, asJSON)
		},
	}
	list.Flags().StringVar(&listChannel, "channel", "", "channel (whatsapp, telegram)")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(list, newPairingDecideCmd(g, true), newPairingDecideCmd(g, false))
	return cmd
}

func newPairingDecideCmd(g *globalFlags, approve bool) *cobra.Command {
	verb, short := "reject", "Reject a pairing code (the sender stays blocked; the pending slot is freed)"
	if approve {
		verb, short = "approve", "Approve a pairing code and allow that sender"
	}
	var channel string
	c := &cobra.Command{
		Use:   verb + " <channel> <code>",
		Short: short,
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ch, code string
			switch {
			case channel != "" && len(args) == 1:
				ch, code = channel, args[0]
			case channel == "" && len(args) == 2:
				ch, code = args[0], args[1]
			default:
				return &exitError{exitUsage, fmt.Errorf("usage: clawdbot pairing %s <channel> <code> (or --channel <channel> <code>)", verb)}
			}
			st, err := pairingStore(g)
			if err != nil {
				return err
			}
			var r pairing.Request
			if approve {
				r, err = st.Approve(ch, code)
			} else {
				r, err = st.Reject(ch, code)
			}
			if err != nil {
				return pairingErr(err)
			}
			past := "Rejected"
			if approve {
				past = "Approved"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s sender %s.\n", past, strings.ToLower(strings.TrimSpace(ch)), r.ID)
			return nil
		},
	}
	c.Flags().StringVar(&channel, "channel", "", "channel (whatsapp, telegram)")
	return c
}

// pairingErr: an unknown code, a bad channel or an unreadable store exits 1.
func pairingErr(err error) error { return &exitError{exitRemote, err} }

// pairingStore opens the pairing store of the selected profile's state directory.
func pairingStore(g *globalFlags) (*pairing.Store, error) {
	profile := g.profile
	if g.dev {
		if profile != "" {
			return nil, &exitError{exitUsage, errors.New("--dev and --profile cannot be combined")}
		}
		profile = "dev"
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, &exitError{exitRemote, fmt.Errorf("home directory: %w", err)}
	}
	env := config.OSEnv()
	paths, err := config.ResolvePaths(env.With(config.ProfileEnv(env, home, profile)), home, profile)
	if err != nil {
		return nil, &exitError{exitUsage, err}
	}
	st, err := pairing.New(pairing.Options{Dir: pairing.CredentialsDir(paths.StateDir, os.Getenv)})
	if err != nil {
		return nil, &exitError{exitRemote, err}
	}
	return st, nil
}

func printPairing(w io.Writer, channel string, reqs []pairing.Request, asJSON bool) error {
	if asJSON {
		if reqs == nil {
			reqs = []pairing.Request{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"channel": channel, "requests": reqs})
	}
	if len(reqs) == 0 {
		fmt.Fprintf(w, "No pending %s pairing requests.\n", channel)
		return nil
	}
	idLabel := map[string]string{"whatsapp": "whatsappSenderId", "telegram": "telegramUserId"}[channel]
	if idLabel == "" {
		idLabel = "userId"
	}
	fmt.Fprintf(w, "Pairing requests (%d)\n", len(reqs))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Code\t%s\tMeta\tRequested\n", idLabel)
	for _, r := range reqs {
		meta := ""
		if len(r.Meta) > 0 {
			b, _ := json.Marshal(r.Meta)
			meta = string(b)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Code, r.ID, meta, r.CreatedAt)
	}
	return tw.Flush()
}
