package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
)

// `clawdbot nodes …`: the operator's view of companion nodes, over the gateway's
// node.* methods. Exit codes as every helper: 0 ok, 1 the gateway said no, 2 usage,
// 3 no gateway.

func newNodesCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "nodes", Short: "List, pair and invoke companion nodes"}
	cmd.AddCommand(newNodesListCmd(g), newNodesDecideCmd(g, true), newNodesDecideCmd(g, false), newNodesInvokeCmd(g))
	return cmd
}

func newNodesListCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List paired and connected nodes and pending pairing requests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return h.withClient(cmd.Context(), g, func(ctx context.Context, c *gatewayclient.Client) error {
				var nodes protocol.NodeListResult
				var pairs protocol.NodePairListResult
				if err := c.Call(ctx, "node.list", nil, &nodes); err != nil {
					return err
				}
				if err := c.Call(ctx, "node.pair.list", nil, &pairs); err != nil {
					return err
				}
				raw, _ := json.Marshal(map[string]any{"nodes": nodes.Nodes, "pending": pairs.Pending})
				return printResult(cmd.OutOrStdout(), h.json, raw, func() string {
					var b strings.Builder
					fmt.Fprintf(&b, "nodes: %d\n", len(nodes.Nodes))
					for _, n := range nodes.Nodes {
						state := "offline"
						if n.Connected {
							state = "connected"
						}
						paired := "unpaired"
						if n.Paired {
							paired = "paired"
						}
						fmt.Fprintf(&b, "  %s  %s  %s %s  %s  commands: %s\n", n.NodeID, orDash(n.DisplayName), state, paired, orDash(n.Platform), strings.Join(n.Commands, ","))
					}
					fmt.Fprintf(&b, "pending: %d", len(pairs.Pending))
					for _, p := range pairs.Pending {
						fmt.Fprintf(&b, "\n  %s  node %s  %s  %s", p.RequestID, p.NodeID, orDash(p.DisplayName), time.UnixMilli(p.Ts).UTC().Format(time.RFC3339))
					}
					return b.String()
				})
			})
		},
	}
	h.register(cmd)
	return cmd
}

func newNodesDecideCmd(g *globalFlags, approve bool) *cobra.Command {
	h := &helperFlags{}
	use, method := "reject <requestId>", "node.pair.reject"
	short := "Reject a pending pairing request"
	if approve {
		use, method, short = "approve <requestId>", "node.pair.approve", "Approve a pending pairing request (prints the node's token once)"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := strings.TrimSpace(args[0])
			if id == "" {
				return &exitError{exitUsage, errors.New("requestId required")}
			}
			return h.withClient(cmd.Context(), g, func(ctx context.Context, c *gatewayclient.Client) error {
				var raw json.RawMessage
				if err := c.Call(ctx, method, map[string]any{"requestId": id}, &raw); err != nil {
					return err
				}
				return printResult(cmd.OutOrStdout(), h.json, raw, func() string {
					var r struct {
						NodeID string `json:"nodeId"`
						Node   struct {
							NodeID string `json:"nodeId"`
						} `json:"node"`
					}
					_ = json.Unmarshal(raw, &r)
					if approve {
						return "approved node " + r.Node.NodeID
					}
					return "rejected node " + r.NodeID
				})
			})
		},
	}
	h.register(cmd)
	return cmd
}

func newNodesInvokeCmd(g *globalFlags) *cobra.Command {
	h := &helperFlags{}
	var p protocol.NodeInvokeParams
	var params string
	var invokeTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "invoke --node <id> --command <cmd> [--params JSON]",
		Short: "Run a command on a connected node and print its result",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(p.NodeID) == "" || strings.TrimSpace(p.Command) == "" {
				return &exitError{exitUsage, errors.New("--node and --command are required")}
			}
			if params != "" {
				if !json.Valid([]byte(params)) {
					return &exitError{exitUsage, errors.New("--params is not valid JSON")}
				}
				p.Params = json.RawMessage(params)
			}
			if cmd.Flags().Changed("invoke-timeout") {
				if invokeTimeout < 0 {
					return &exitError{exitUsage, errors.New("--invoke-timeout must be >= 0")}
				}
				ms := invokeTimeout.Milliseconds()
				p.TimeoutMs = &ms
			}
			if !cmd.Flags().Changed("timeout") {
				// The helper waits at least as long as the gateway waits for the node.
				wait := 30 * time.Second
				if p.TimeoutMs != nil {
					wait = invokeTimeout
				}
				h.timeout = max(h.timeout, wait+5*time.Second)
			}
			return h.withClient(cmd.Context(), g, func(ctx context.Context, c *gatewayclient.Client) error {
				var raw json.RawMessage
				// An empty key is filled by the client; a retry reuses it, so the node
				// runs the command once.
				if err := c.Call(ctx, "node.invoke", &p, &raw); err != nil {
					return err
				}
				return printResult(cmd.OutOrStdout(), true, raw, nil)
			})
		},
	}
	cmd.Flags().StringVar(&p.NodeID, "node", "", "node id")
	cmd.Flags().StringVar(&p.Command, "command", "", "command, e.g. canvas.eval")
	cmd.Flags().StringVar(&params, "params", "", "command params as JSON")
	cmd.Flags().DurationVar(&invokeTimeout, "invoke-timeout", 0, "how long the gateway waits for the node (default 15s bridge / 30s WebSocket)")
	cmd.Flags().StringVar(&p.IdempotencyKey, "idempotency-key", "", "dedupe key (default: a new one)")
	h.register(cmd)
	return cmd
}

func orDash(p *string) string {
	if p == nil || *p == "" {
		return "-"
	}
	return *p
}
