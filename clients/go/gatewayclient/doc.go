/*
Package gatewayclient is the Go client of the Clawdbot gateway protocol: one WebSocket
to a gateway that stays up, with typed calls generated from the protocol schemas.

	c, err := gatewayclient.Dial(ctx, "ws://127.0.0.1:18789", gatewayclient.Options{Token: token})
	if err != nil { … }
	defer c.Close()
	h, err := c.Health(ctx, nil) // *protocol.HealthSummary

# Handshake

Dial performs the connect handshake in protocol 3 (default) or 2
(Options.MinProtocol/MaxProtocol). For protocol 3 it waits for the gateway's
connect.challenge (750 ms at most) and, when Options.Device is set, signs the connect
with that Ed25519 identity (NewDeviceIdentity, LoadOrCreateDeviceIdentity). The device
token the gateway issues in hello-ok.auth is saved in Options.DeviceTokenStore and sent
as auth.token on later connects; when the gateway refuses it the client forgets it and
connects with Options.Token instead. Client.Hello returns the hello-ok, snapshot
included.

# Calls

The embedded protocol.Calls has one method per wire method (c.Health, c.Send,
c.NodeInvoke, c.SessionsList, …); Client.Call sends anything. Failures the gateway
reports are *ProtocolError values (Code, Message, Details, Retryable, RetryAfterMs).
A call in flight when the connection drops fails with a retryable *ProtocolError
wrapping ErrDisconnected; a call made while the client is reconnecting waits for the
connection, as long as its context allows.

Methods whose params carry an idempotencyKey (send, poll, agent, chat.send,
node.invoke) get a fresh UUID written into an empty key before the request leaves, so
the same params value can be sent again after a retryable error without delivering
twice: the gateway deduplicates by key.

# Events and state

Subscribe delivers events by name (or all of them) in the gateway's seq order. The
client watches seq: when numbers are skipped (the gateway dropped events for this
client as a slow consumer) it refetches system-presence and health, then delivers a
gap notice (Event.Gap, Name EventGap) to every subscriber. After a reconnect the state
comes from the new hello-ok snapshot and a GapReconnect notice follows. Presence and
HealthState return the client's current view, updated from presence and health
events in stateVersion order.

# Resilience

The client reconnects with exponential backoff and jitter (Options.Reconnect). It
closes a connection on which no tick event arrived for two tick intervals
(hello-ok.policy.tickIntervalMs) and reconnects. When the gateway announces a restart
(shutdown event with restartExpectedMs) the first reconnect attempt waits that long.
Close stops everything and waits for every goroutine the client started.

# Agent runs

Client.Agent starts a run and returns when the gateway accepts it; AgentRun.Events
streams that run's agent events and AgentRun.Wait returns the final answer, or an
AGENT_TIMEOUT error when its context ends first.
*/
package gatewayclient
