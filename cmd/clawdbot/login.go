package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/providers/whatsapp"
)

// Login timings.
const (
	// defaultLoginTimeout is how long `clawdbot login` waits for the scan overall.
	defaultLoginTimeout = 3 * time.Minute
	// loginWaitStep is one web.login.wait; between steps the QR is refreshed (WhatsApp
	// rotates the code about every 20 s).
	loginWaitStep = 15 * time.Second
)

// newLoginCmd is `clawdbot login`: link WhatsApp by scanning a QR code.
//
// It runs the login through the running gateway (web.login.start / web.login.wait)
// rather than opening the device store itself: the gateway owns the single WhatsApp
// Web connection and the store, and a second process linking into the same SQLite
// store would fight it (two sockets for one device, and the gateway would keep its
// stale unlinked client). So the gateway must be running; the command says so when it
// is not (exit code 3).
func newLoginCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	var force bool
	var account string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Link WhatsApp: show a QR code to scan and wait for the link (needs a running gateway)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return h.withClient(cmd.Context(), g, func(ctx context.Context, c *gatewayclient.Client) error {
				return runLogin(ctx, c, cmd.OutOrStdout(), force, account)
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "link again even when a device is already linked")
	cmd.Flags().StringVar(&account, "account", "", "WhatsApp account id (channels.whatsapp.accounts; default account when omitted)")
	h.register(cmd)
	h.timeout = defaultLoginTimeout
	cmd.Flags().Lookup("timeout").DefValue = defaultLoginTimeout.String()
	return cmd
}

// caller is the part of the gateway client the login uses.
type caller interface {
	Call(ctx context.Context, method string, params any, result any) error
}

// runLogin starts the login of account ("" = the default account), prints each new
// QR code, and waits until the gateway reports the link, the login fails, or ctx ends.
func runLogin(ctx context.Context, c caller, out io.Writer, force bool, account string) error {
	var acct *string
	if account = strings.TrimSpace(account); account != "" {
		acct = &account
	}
	shown := ""
	for step := 0; ; step++ {
		var start protocol.WebLoginStartResult
		sp := protocol.WebLoginStartParams{AccountID: acct}
		if force && step == 0 {
			t := true
			sp.Force = &t
		}
		if err := c.Call(ctx, "web.login.start", &sp, &start); err != nil {
			return fmt.Errorf("web.login.start: %w", err)
		}
		code := ""
		if start.QRText != nil {
			code = *start.QRText
		}
		if code == "" {
			// No QR: already linked (or linked meanwhile).
			fmt.Fprintln(out, "WhatsApp:", start.Message)
			return nil
		}
		if code != shown {
			art, err := whatsapp.RenderQRText(code)
			if err != nil {
				return err
			}
			if shown == "" {
				fmt.Fprintln(out, "Scan this QR code with WhatsApp → Settings → Linked devices → Link a device:")
			} else {
				fmt.Fprintln(out, "The code was refreshed; scan this one:")
			}
			fmt.Fprint(out, art)
			shown = code
		}
		wait := loginWaitStep
		if dl, ok := ctx.Deadline(); ok {
			wait = min(wait, time.Until(dl)-time.Second)
		}
		if wait <= 0 {
			return fmt.Errorf("timed out waiting for the QR code to be scanned")
		}
		ms := wait.Milliseconds()
		var res protocol.WebLoginWaitResult
		if err := c.Call(ctx, "web.login.wait", &protocol.WebLoginWaitParams{TimeoutMs: &ms, AccountID: acct}, &res); err != nil {
			return fmt.Errorf("web.login.wait: %w", err)
		}
		if res.Connected {
			fmt.Fprintln(out, "Linked. WhatsApp is connected through the gateway.")
			return nil
		}
		switch {
		case strings.Contains(res.Message, "still waiting"):
			fmt.Fprintln(out, "… waiting for the scan")
		case strings.Contains(res.Message, "expired"), strings.Contains(res.Message, "no login in progress"):
			fmt.Fprintln(out, "The QR code expired; starting a new login.")
			shown = ""
		default:
			return fmt.Errorf("login failed: %s", res.Message)
		}
	}
}
