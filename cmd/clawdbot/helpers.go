package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/gatewaytls"
)

// Exit codes of the helpers (issue: CLI).
const (
	exitOK         = 0
	exitRemote     = 1
	exitUsage      = 2
	exitNoGateway  = 3
	defaultTimeout = 10 * time.Second
)

// helperFlags are shared by every command that talks to a running gateway. Helpers
// never start a gateway.
type helperFlags struct {
	url      string
	token    string
	password string
	timeout  time.Duration
	json     bool
}

func (h *helperFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&h.url, "url", "", "gateway WebSocket URL (default ws://127.0.0.1:<port from config/env>)")
	fl.StringVar(&h.token, "token", "", "gateway token (default gateway.remote.token, gateway.auth.token, CLAWDBOT_GATEWAY_TOKEN)")
	fl.StringVar(&h.password, "password", "", "gateway password")
	fl.DurationVar(&h.timeout, "timeout", defaultTimeout, "overall time limit")
	fl.BoolVar(&h.json, "json", false, "print the raw JSON result")
}

// target resolves the URL and credentials from flags, then config and environment, and
// the TLS fingerprint to pin: gateway.remote.tlsFingerprint for the remote URL, the
// local certificate's for a local gateway with gateway.tls on (then the URL is wss://).
func (h *helperFlags) target(g *globalFlags) (url, token, password, pin string, err error) {
	url, token, password = h.url, h.token, h.password
	profile, err := profileName(g)
	if err != nil {
		return "", "", "", "", err
	}
	home, _ := os.UserHomeDir()
	env := config.OSEnv()
	overlay := config.ProfileEnv(env, home, profile)
	envWith := func(k string) (string, bool) {
		if v, ok := overlay[k]; ok {
			return v, true
		}
		return env(k)
	}
	paths, err := config.ResolvePaths(envWith, home, profile)
	if err != nil {
		return "", "", "", "", &exitError{exitUsage, err}
	}
	file, err := config.Load(paths.ConfigPath)
	if err != nil {
		return "", "", "", "", &exitError{exitUsage, err}
	}
	if url == "" {
		if gw := file.Config.Gateway; gw != nil && gw.Remote != nil && gw.Remote.URL != nil && *gw.Remote.URL != "" {
			url = *gw.Remote.URL
			if gw.Remote.TlsFingerprint != nil {
				pin = *gw.Remote.TlsFingerprint
			}
		} else {
			res, err := config.Resolve(&file.Config, envWith, config.Flags{})
			if err != nil {
				return "", "", "", "", &exitError{exitUsage, err}
			}
			url = "ws://127.0.0.1:" + strconv.Itoa(res.Port)
			if o, ok := gatewaytls.FromConfig(file, paths.StateDir, home); ok {
				// The CLI never makes the certificate: the gateway does when it starts.
				o.AutoGenerate = false
				rt, err := gatewaytls.Load(o)
				if err != nil {
					return "", "", "", "", &exitError{exitUsage, fmt.Errorf("gateway.tls is on: %w", err)}
				}
				url, pin = "wss://127.0.0.1:"+strconv.Itoa(res.Port), rt.Fingerprint
			}
		}
	}
	if token == "" && password == "" {
		if gw := file.Config.Gateway; gw != nil {
			if gw.Remote != nil && gw.Remote.Token != nil {
				token = *gw.Remote.Token
			}
			if token == "" && gw.Auth != nil && gw.Auth.Token != nil {
				token = *gw.Auth.Token
			}
			if gw.Remote != nil && gw.Remote.Password != nil {
				password = *gw.Remote.Password
			}
		}
		if token == "" {
			token, _ = envWith("CLAWDBOT_GATEWAY_TOKEN")
		}
		if password == "" {
			password, _ = envWith("CLAWDBOT_GATEWAY_PASSWORD")
		}
	}
	return url, token, password, pin, nil
}

// withClient dials, runs fn, and maps failures to the helpers' exit codes.
func (h *helperFlags) withClient(ctx context.Context, g *globalFlags, fn func(ctx context.Context, c *gatewayclient.Client) error) error {
	url, token, password, pin, err := h.target(g)
	if err != nil {
		return err
	}
	var tlsCfg *tls.Config
	if pin != "" {
		if tlsCfg, err = gatewaytls.PinnedConfig(pin); err != nil {
			return &exitError{exitUsage, err}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	c, err := gatewayclient.Dial(ctx, url, gatewayclient.Options{
		Token: token, Password: password, TLSConfig: tlsCfg,
		Client:    gatewayclient.ClientInfo{ID: protocol.ClientIDCli, Name: "cli", Version: cliVersion(), Platform: runtime.GOOS, Mode: "cli"},
		Reconnect: gatewayclient.ReconnectPolicy{Disabled: true},
	})
	if err != nil {
		var pe *gatewayclient.ProtocolError
		if errors.As(err, &pe) {
			return &exitError{exitRemote, fmt.Errorf("gateway at %s refused the connection: %w", url, err)}
		}
		return &exitError{exitNoGateway, fmt.Errorf("cannot connect to the gateway at %s: %w", url, err)}
	}
	defer c.Close()
	if err := fn(ctx, c); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		if errors.Is(err, gatewayclient.ErrDisconnected) {
			return &exitError{exitNoGateway, err}
		}
		return &exitError{exitRemote, err}
	}
	return nil
}

func cliVersion() string {
	if version != "" {
		return version
	}
	return "dev"
}

// printResult writes raw JSON (indented) or a short human summary.
func printResult(w io.Writer, asJSON bool, raw json.RawMessage, human func() string) error {
	if asJSON || human == nil {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		_, err := fmt.Fprintln(w, string(b))
		return err
	}
	_, err := fmt.Fprintln(w, human())
	return err
}

func newCallCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	var params string
	cmd := &cobra.Command{
		Use:   "call <method>",
		Short: "Call any gateway method and print its result",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p json.RawMessage
			if params != "" {
				if !json.Valid([]byte(params)) {
					return &exitError{exitUsage, fmt.Errorf("--params is not valid JSON")}
				}
				p = json.RawMessage(params)
			}
			return h.withClient(cmd.Context(), g, func(ctx context.Context, c *gatewayclient.Client) error {
				var out json.RawMessage
				if err := c.Call(ctx, args[0], p, &out); err != nil {
					return err
				}
				return printResult(cmd.OutOrStdout(), true, out, nil)
			})
		},
	}
	cmd.Flags().StringVar(&params, "params", "", "params as JSON")
	h.register(cmd)
	return cmd
}

func newHealthCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Print the running gateway's health snapshot",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return h.withClient(cmd.Context(), g, func(ctx context.Context, c *gatewayclient.Client) error {
				var raw json.RawMessage
				if err := c.Call(ctx, "health", nil, &raw); err != nil {
					return err
				}
				var s protocol.HealthSummary
				if err := s.UnmarshalJSON(raw); err != nil {
					return err
				}
				return printResult(cmd.OutOrStdout(), h.json, raw, func() string {
					state := "ok"
					if !s.Ok {
						state = "degraded"
					}
					conns := int64(0)
					if s.Connections != nil {
						conns = *s.Connections
					}
					return fmt.Sprintf("gateway: %s\nwhatsapp: linked=%v\ntelegram: configured=%v\nsessions: %d (%s)\nconnections: %d\nrefresh: %d ms",
						state, s.Web.Linked, s.Telegram.Configured, s.Sessions.Count, s.Sessions.Path, conns, s.DurationMs)
				})
			})
		},
	}
	h.register(cmd)
	return cmd
}

func newStatusCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print the running gateway's status summary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return h.withClient(cmd.Context(), g, func(ctx context.Context, c *gatewayclient.Client) error {
				var raw json.RawMessage
				if err := c.Call(ctx, "status", nil, &raw); err != nil {
					return err
				}
				var s protocol.StatusResult
				if err := s.UnmarshalJSON(raw); err != nil {
					return err
				}
				hello := c.Hello()
				return printResult(cmd.OutOrStdout(), h.json, raw, func() string {
					out := fmt.Sprintf("gateway %s (protocol %d), up %s\n", hello.Server.Version, hello.Protocol, time.Duration(hello.Snapshot.UptimeMs)*time.Millisecond)
					for _, l := range s.ProviderSummary {
						out += l + "\n"
					}
					return out + fmt.Sprintf("sessions: %d", s.Sessions.Count)
				})
			})
		},
	}
	h.register(cmd)
	return cmd
}

func newSendCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	var p protocol.SendParams
	var channel, media string
	cmd := &cobra.Command{
		Use:   "send --to <recipient> --message <text>",
		Short: "Send a message through the gateway's provider",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if p.To == "" || p.Message == "" {
				return &exitError{exitUsage, errors.New("--to and --message are required")}
			}
			if channel != "" {
				p.Channel = &channel
			}
			if media != "" {
				p.MediaURL = &media
			}
			return h.withClient(cmd.Context(), g, func(ctx context.Context, c *gatewayclient.Client) error {
				var raw json.RawMessage
				// The client fills idempotencyKey, so a retried send is safe.
				if err := c.Call(ctx, "send", &p, &raw); err != nil {
					return err
				}
				return printResult(cmd.OutOrStdout(), true, raw, nil)
			})
		},
	}
	cmd.Flags().StringVar(&p.To, "to", "", "recipient: E.164 number, group JID or Telegram chat id")
	cmd.Flags().StringVar(&p.Message, "message", "", "text")
	cmd.Flags().StringVar(&channel, "channel", "", "provider (default whatsapp)")
	cmd.Flags().StringVar(&media, "media", "", "media URL")
	h.register(cmd)
	return cmd
}

func newAgentCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	var p protocol.AgentParams
	var sessionKey, to string
	cmd := &cobra.Command{
		Use:   "agent --message <text>",
		Short: "Run an agent turn and print its result",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if p.Message == "" {
				return &exitError{exitUsage, errors.New("--message is required")}
			}
			if sessionKey != "" {
				p.SessionKey = &sessionKey
			}
			if to != "" {
				p.To = &to
			}
			return h.withClient(cmd.Context(), g, func(ctx context.Context, c *gatewayclient.Client) error {
				run, err := c.Agent(ctx, &p)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "run %s accepted\n", run.RunID)
				final, err := run.Wait(ctx)
				if err != nil {
					return err
				}
				b, _ := json.Marshal(final)
				return printResult(cmd.OutOrStdout(), true, b, nil)
			})
		},
	}
	cmd.Flags().StringVar(&p.Message, "message", "", "prompt")
	cmd.Flags().StringVar(&sessionKey, "session", "", "session key (default main)")
	cmd.Flags().StringVar(&to, "to", "", "deliver the reply to this recipient")
	h.register(cmd)
	return cmd
}

// addHelperCommands registers the helpers under `gateway` and the top-level shortcuts.
func addHelperCommands(root, gw *cobra.Command, g *globalFlags) {
	gw.AddCommand(newHealthCmd(g), newStatusCmd(g), newCallCmd(g), newSendCmd(g), newAgentCmd(g))
	root.AddCommand(newHealthCmd(g), newStatusCmd(g))
}
