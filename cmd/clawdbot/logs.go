package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/logs"
)

// `clawdbot logs`: tail the gateway's log file over logs.tail, as the original's
// command does (same flags, same text and --json line shapes).
func newLogsCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	var limit, maxBytes int
	var follow, plain bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Tail gateway file logs via RPC",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit <= 0 || limit > logs.MaxTailLimit {
				return &exitError{exitUsage, fmt.Errorf("--limit must be 1..%d", logs.MaxTailLimit)}
			}
			if maxBytes <= 0 || maxBytes > logs.MaxTailBytes {
				return &exitError{exitUsage, fmt.Errorf("--max-bytes must be 1..%d", logs.MaxTailBytes)}
			}
			if interval <= 0 {
				return &exitError{exitUsage, fmt.Errorf("--interval must be positive")}
			}
			if follow && !cmd.Flags().Changed("timeout") {
				h.timeout = 1<<63 - 1 // following ends with the command (Ctrl-C)
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			return h.withClient(cmd.Context(), g, func(ctx context.Context, c *gatewayclient.Client) error {
				var cursor *int64
				for first := true; ; first = false {
					params := map[string]any{"limit": limit, "maxBytes": maxBytes}
					if cursor != nil {
						params["cursor"] = *cursor
					}
					var r protocol.LogsTailResult
					if err := c.Call(ctx, "logs.tail", params, &r); err != nil {
						return err
					}
					if err := printTail(out, errOut, h.json, first, &r); err != nil {
						return err
					}
					cur := r.Cursor
					cursor = &cur
					if !follow {
						return nil
					}
					select {
					case <-ctx.Done():
						return nil
					case <-time.After(interval):
					}
				}
			})
		},
	}
	h.register(cmd)
	fl := cmd.Flags()
	fl.IntVar(&limit, "limit", 200, "max lines to return")
	fl.IntVar(&maxBytes, "max-bytes", 250_000, "max bytes to read")
	fl.BoolVar(&follow, "follow", false, "follow log output")
	fl.DurationVar(&interval, "interval", time.Second, "polling interval with --follow")
	fl.BoolVar(&plain, "plain", false, "plain text output (accepted for compatibility: output is always plain)")
	fl.Bool("no-color", false, "disable ANSI colors (accepted for compatibility: output has none)")
	return cmd
}

func printTail(out, errOut io.Writer, asJSON, first bool, r *protocol.LogsTailResult) error {
	truncated := r.Truncated != nil && *r.Truncated
	reset := r.Reset != nil && *r.Reset
	if asJSON {
		enc := json.NewEncoder(out)
		if first {
			if err := enc.Encode(map[string]any{"type": "meta", "file": r.File, "cursor": r.Cursor, "size": r.Size}); err != nil {
				return err
			}
		}
		for _, line := range r.Lines {
			if p, ok := logs.Parse(line); ok {
				if err := enc.Encode(struct {
					Type string `json:"type"`
					logs.Parsed
				}{"log", p}); err != nil {
					return err
				}
			} else if err := enc.Encode(map[string]any{"type": "raw", "raw": line}); err != nil {
				return err
			}
		}
		if truncated {
			_ = enc.Encode(map[string]any{"type": "notice", "message": "Log tail truncated (increase --max-bytes)."})
		}
		if reset {
			_ = enc.Encode(map[string]any{"type": "notice", "message": "Log cursor reset (file rotated)."})
		}
		return nil
	}
	if first && r.File != "" {
		fmt.Fprintln(out, "Log file:", r.File)
	}
	for _, line := range r.Lines {
		text := line
		if p, ok := logs.Parse(line); ok {
			text = p.Format()
		}
		if _, err := fmt.Fprintln(out, text); err != nil {
			return err
		}
	}
	if truncated {
		fmt.Fprintln(errOut, "Log tail truncated (increase --max-bytes).")
	}
	if reset {
		fmt.Fprintln(errOut, "Log cursor reset (file rotated).")
	}
	return nil
}
