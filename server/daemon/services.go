package daemon

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent"
	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/config"
	"github.com/clawgate/gateway/server/execapprove"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/hooks"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/persona"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/dedupe"
	"github.com/clawgate/gateway/server/sessions"
)

// component is a long-lived part of the daemon (providers, agent runtime, node bridge,
// HTTP surfaces). It is built once per process and survives in-process restarts: each
// new gateway.Server gets it attached (health sources, HTTP routes), and it hands the
// method groups it serves to the server's Mux, one line per group.
type component interface {
	attach(srv *gateway.Server, mux *methods) error
	close(ctx context.Context) error
}

// starter is a component with background work that must wait until every component
// is built: the providers take inbound messages only once the agent runtime that
// answers them is in place (a message received earlier would have nowhere to go, and
// Telegram counts a fetched update as delivered).
type starter interface {
	start(ctx context.Context)
}

// intakeStopper is a component that receives messages from outside (the providers).
// services.close stops the intake of all of them before it closes any component, so
// no message arrives once the agent runtime that would answer it is going away (it
// stays with the channel: Telegram hands out an update again until a later poll
// confirms it).
type intakeStopper interface {
	stopIntake(ctx context.Context) error
}

// reconfigurer is a component that applies a changed config file without a restart
// (the parts the original reads live: providers, the agent's model).
type reconfigurer interface {
	reconfigure(ctx context.Context, next *config.File)
}

// channelReconfigurer is a reconfigurer that starts, stops and restarts channel
// accounts (the providers); it reports the channels it did that to, which the plan's
// rules cannot know (reload.Applied).
type channelReconfigurer interface {
	reconfigureChannels(ctx context.Context, next *config.File) (restarted []string)
}

// services holds the components and the late-bound links between them (the agent
// runtime needs the providers to deliver; the providers need the runtime for inbound
// messages).
type services struct {
	log   *slog.Logger
	paths config.Paths
	file  *config.File // the config at start-up
	env   config.Env
	// flags are the gateway command's port/bind/auth flags (ports derive from them).
	flags config.Flags
	// home is the user's home directory (Options.Home): where the exec approvals file is.
	home string
	// browserAddrs overrides the browser tool's address guard (Options.BrowserAddrs).
	browserAddrs *tools.AddrPolicy
	// configWriter edits the config file through the running server's config group
	// (nil in tests that build services by hand).
	configWriter *wizardConfig
	// sessionStore is the running agent runtime's session store (nil before it
	// starts): the skills filter reads a session's last account from it.
	sessionStore atomic.Pointer[sessions.Store]
	// nodeStore is the node pairing store (opened before the services).
	nodeStore *nodes.Store
	// approvals holds the pending exec approvals (set by buildApprovals, before the
	// agent is built): the wire's exec.approval.* methods and the agent's exec gate
	// (as its Asker) share it.
	approvals *execapprove.Manager
	// approvalsStore is the exec approvals file (~/.clawdbot/exec-approvals.json).
	approvalsStore *execapprove.Store
	// persona builds the agents' system prompts (workspace files, skills) and serves
	// the agents and skills groups; built before the agent runtime, which uses it.
	persona *persona.Service

	list []component
	// sender delivers through the providers (nil until they are built).
	sender providers.Sender
	// replyMedia gives the safe folders of a session's reply media (set with the
	// agent runtime; nil before: local reply media is refused).
	replyMedia func(sessionKey string) providers.ReplyMediaRoots
	// sendDedupe is the durable idempotency store of sends (the send method's, shared
	// by the agent's message tool so a key delivers at most once across restarts).
	sendDedupe *dedupe.Store
	// inbound forwards received messages to whatever consumes them (the agent runtime).
	inbound inboundSwitch
	// mentions are the agents' name patterns for group mention gating (set from the
	// config at start and on every reload).
	mentions mentionIndex
	// runner starts hook runs. The agent runtime's builder sets it (builders run
	// before any server is attached, so requests read it without a lock); nil → the
	// hooks answer 503 "agent runtime unavailable".
	runner hooks.Runner
	// rt is the agent runtime (set by its builder; the scheduler runs turns on it).
	rt *agent.Runtime
	// nodeEvents streams agent events to subscribed nodes (set by its builder; nil-safe).
	nodeEvents *nodeEventsService
	// schedule is the heartbeat and cron component (set by buildSchedule, after the
	// agent runtime; runs read it when they build their tools, so the cron tool finds it).
	schedule atomic.Pointer[scheduleComponent]
	// clock drives the heartbeat and cron timers and the Telegram album window
	// (clock.Real unless a test injects one).
	clock clock.Clock
	reMu  sync.Mutex // serialises reconfigure
	// overrides are /debug's in-memory config overrides, merged over every config
	// the components get (reconfigure); disk is the last config file handed to
	// reconfigure (or the start-up one) and live what the components run with.
	overrides  debugOverrides
	disk, live atomic.Pointer[config.File]
	// restart requests an in-process restart of the gateway (set by Run; /restart).
	restart func(why string)
	// gatewayTool is the agent's gateway tool's backend (set by Run; nil: no tool).
	gatewayTool *gatewayToolBackend
	// runCtx is the context the services run under (set by Run), for work a chat
	// command starts that must outlive the command.
	runCtx context.Context
	// current is the running gateway server, for components that broadcast.
	mu      sync.Mutex
	current *gateway.Server
}

type builder func(ctx context.Context, s *services) (component, error)

// builders are the component constructors, in dependency order. Each capability adds
// its constructor here. The agent runtime comes after the providers (it uses their
// sender), the scheduler (heartbeat, cron) after the runtime it runs turns on.
func builders() []builder {
	return []builder{buildProviders, buildNodes, buildApprovals, buildPersona, buildAgent, buildSchedule, buildNodeEvents, buildTTS, newHTTPSurfaces, buildDiscovery}
}

func startServices(ctx context.Context, s *services) error {
	return s.build(ctx, builders())
}

// build runs bs in order, then starts the components that take messages from outside
// (starter), so none of them receives a message before its consumer exists.
func (s *services) build(ctx context.Context, bs []builder) error {
	for _, b := range bs {
		c, err := b(ctx, s)
		if err != nil {
			_ = s.close(context.Background())
			return err
		}
		if c != nil {
			s.list = append(s.list, c)
		}
	}
	for _, c := range s.list {
		if st, ok := c.(starter); ok {
			st.start(ctx)
		}
	}
	return nil
}

// methods is the method table of a gateway server.
type methods = protocol.Mux[*gateway.Conn]

// attach hands a new server and its method table to every component.
func (s *services) attach(srv *gateway.Server, mux *methods) error {
	s.mu.Lock()
	s.current = srv
	s.mu.Unlock()
	for _, c := range s.list {
		if err := c.attach(srv, mux); err != nil {
			return err
		}
	}
	return nil
}

// server is the running gateway, or nil between restarts.
func (s *services) server() *gateway.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// reconfigure hands a new, valid config file to every component that can apply it
// and returns the channels whose accounts were started, stopped or restarted.
func (s *services) reconfigure(ctx context.Context, next *config.File) (restarted []string) {
	s.reMu.Lock() // the reload watcher and a SIGUSR1 restart may both get here
	defer s.reMu.Unlock()
	s.disk.Store(next)
	if eff, err := withOverrides(next, s.overrides.snapshot(), s.env); err != nil {
		s.log.Warn("debug overrides not applied: the config with them is invalid", "err", err)
	} else {
		next = eff
	}
	s.live.Store(next)
	s.mentions.set(next)
	for _, c := range s.list {
		switch r := c.(type) {
		case channelReconfigurer:
			restarted = append(restarted, r.reconfigureChannels(ctx, next)...)
		case reconfigurer:
			r.reconfigure(ctx, next)
		}
	}
	return restarted
}

// baseCtx is the services' run context (Background before Run set it).
func (s *services) baseCtx() context.Context {
	if s.runCtx != nil {
		return s.runCtx
	}
	return context.Background()
}

func (s *services) close(ctx context.Context) error {
	var errs []error
	for _, c := range s.list {
		if st, ok := c.(intakeStopper); ok {
			errs = append(errs, st.stopIntake(ctx))
		}
	}
	for i := len(s.list) - 1; i >= 0; i-- {
		errs = append(errs, s.list[i].close(ctx))
	}
	s.list = nil
	return errors.Join(errs...)
}

// inboundSwitch is a providers.Inbound whose target is set later. The providers start
// after the agent runtime has set it (startServices) and stop before it is cleared
// (services.close), so no message should meet an empty switch; one that does is
// logged as a warning and dropped.
type inboundSwitch struct {
	mu     sync.Mutex
	target providers.Inbound
	log    *slog.Logger
}

func (i *inboundSwitch) set(t providers.Inbound) {
	i.mu.Lock()
	i.target = t
	i.mu.Unlock()
}

// current is the target (nil before the agent runtime is set).
func (i *inboundSwitch) current() providers.Inbound {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.target
}

func (i *inboundSwitch) Inbound(ctx context.Context, m providers.Message) {
	i.mu.Lock()
	t := i.target
	i.mu.Unlock()
	if t == nil {
		if i.log != nil {
			i.log.Warn("inbound message (no agent runtime)", "channel", m.Channel, "from", m.From, "chars", len(m.Text))
		}
		return
	}
	t.Inbound(ctx, m)
}

// SessionEvent hands a session note to the target when it takes them.
func (i *inboundSwitch) SessionEvent(ctx context.Context, m providers.Message, text string) {
	i.mu.Lock()
	t := i.target
	i.mu.Unlock()
	if se, ok := t.(providers.SessionEvents); ok {
		se.SessionEvent(ctx, m, text)
	}
}
