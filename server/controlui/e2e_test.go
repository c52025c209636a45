package controlui_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/controlui"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/nodes"
)

const testToken = "e2e-token-7f3a"

// gw is a real gateway on a loopback port with the Control UI mounted, as
// cmd/clawdbot mounts it.
type gw struct {
	srv     *gateway.Server
	addr    string
	done    chan error
	stopped sync.Once
}

type gwConfig struct {
	stateDir       string
	logFile        string
	allowedOrigins []string
	setup          func(*gateway.Server)
}

func startGW(t *testing.T, addr string, c gwConfig) *gw {
	t.Helper()
	store, err := nodes.OpenStore(nodes.StoreOptions{StateDir: c.stateDir})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := gateway.New(gateway.Options{
		Secrets:        auth.Secrets{Mode: auth.ModeToken, Token: testToken},
		Nodes:          store,
		Version:        "e2e",
		StateDir:       c.stateDir,
		LogFile:        c.logFile,
		AllowedOrigins: c.allowedOrigins,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(srv)
	srv.HandleHTTP("/", controlui.New(controlui.Options{}))
	if c.setup != nil {
		c.setup(srv)
	}
	// After a stop the same port is bound again; the old listener may need a moment.
	var ln net.Listener
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ln, err = gateway.Listen(addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	g := &gw{srv: srv, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { g.done <- srv.Serve(ln) }()
	t.Cleanup(func() { g.stop(t) })
	return g
}

func (g *gw) stop(t *testing.T) {
	t.Helper()
	g.stopped.Do(func() { g.shutdown(t) })
}

func (g *gw) shutdown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = g.srv.Shutdown(ctx, "test stop", 1000)
	select {
	case <-g.done:
	case <-time.After(10 * time.Second):
		t.Error("gateway did not stop")
	}
}

func (g *gw) url() string { return "http://" + g.addr + "/" }

func goClient(t *testing.T, g *gw, name string) *gatewayclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := gatewayclient.Dial(ctx, "ws://"+g.addr, gatewayclient.Options{Token: testToken, Client: gatewayclient.ClientInfo{ID: protocol.ClientIDTest, DisplayName: name, Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func call(t *testing.T, c *gatewayclient.Client, method string, params, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Call(ctx, method, params, out); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
}

// login opens the UI and enters the token the way a user does.
func login(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(url))
	waitJS(t, ctx, "the token form", `!document.getElementById("login").hidden`)
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("token"), testToken),
		chromedp.Click(chromedp.ID("connect")),
	)
	waitConnected(t, ctx)
}

func waitConnected(t *testing.T, ctx context.Context) {
	t.Helper()
	waitJS(t, ctx, "a connected UI", `document.body.dataset.conn === "connected" && document.getElementById("conn").textContent === "connected" && !document.getElementById("dash").hidden`)
}

// openView switches the UI to a view by its navigation link, as a user does.
func openView(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	do(t, ctx, chromedp.Click(chromedp.ID("nav-"+id)))
	waitJS(t, ctx, "the "+id+" view", `!document.getElementById("view-`+id+`").hidden && document.getElementById("nav-`+id+`").getAttribute("aria-current") === "page"`)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestControlUIEndToEnd: the token is entered once; health, presence (including a
// live presence event), a node pairing approved from the browser, the log tail; then
// the gateway restarts on the same port and the UI recovers on its own.
func TestControlUIEndToEnd(t *testing.T) {
	ctx := newBrowser(t)
	tolerateUnavailable(t, ctx, bareGatewayUnavailable...)
	arts := artifactsDir(t)
	state := t.TempDir()
	logFile := filepath.Join(state, "gateway.log")
	if err := os.WriteFile(logFile, []byte(`{"time":"2026-01-02T03:04:05Z","level":"INFO","msg":"e2e log line one","component":"test"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := gwConfig{stateDir: state, logFile: logFile}
	g1 := startGW(t, "127.0.0.1:0", cfg)

	// A wrong token is refused and the form comes back with the reason.
	do(t, ctx, chromedp.Navigate(g1.url()))
	waitJS(t, ctx, "the token form", `!document.getElementById("login").hidden`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("token"), "wrong"), chromedp.Click(chromedp.ID("connect")))
	waitJS(t, ctx, "the refusal", `document.getElementById("login-error").textContent.includes("token mismatch") && !document.getElementById("login").hidden`)

	login(t, ctx, g1.url())

	// Health and presence from hello-ok.
	waitJS(t, ctx, "health", `["ok","degraded"].includes(document.getElementById("health-badge").textContent) && document.getElementById("health").textContent.includes("Uptime")`)
	waitJS(t, ctx, "the UI's own presence row", `document.querySelector("#presence tbody").textContent.includes("Control UI")`)

	// Live presence: another client announces itself with system-event.
	cli := goClient(t, g1, "e2e-go")
	call(t, cli, "system-event", map[string]any{"text": "e2e beacon", "host": "e2e-host", "instanceId": "e2e-instance", "mode": "backend"}, nil)
	waitJS(t, ctx, "the presence event", `document.querySelector("#presence tbody").textContent.includes("e2e-host")`)

	// A node asks to pair; the request appears live and is approved in the browser.
	var req protocol.NodePairRequestResult
	call(t, cli, "node.pair.request", map[string]any{"nodeId": "node-e2e", "displayName": "E2E Phone", "platform": "ios", "version": "1.2.3"}, &req)
	sel := fmt.Sprintf(`li.pending-item[data-request-id=%s] button.approve`, jsString(req.Request.RequestID))
	waitJS(t, ctx, "the pending pairing", `document.querySelector(`+jsString(sel)+`) !== null`)
	do(t, ctx, chromedp.Click(chromedp.CSS(sel)))
	waitJS(t, ctx, "the approved node", `document.querySelectorAll("li.pending-item").length === 0 && document.querySelector('#nodes tr[data-node-id="node-e2e"]')?.textContent.includes("paired")`)
	var list protocol.NodePairListResult
	call(t, cli, "node.pair.list", map[string]any{}, &list)
	if len(list.Pending) != 0 || len(list.Paired) != 1 || list.Paired[0].NodeID != "node-e2e" {
		t.Fatalf("gateway pairing state after approve: %+v", list)
	}
	// A second request is rejected from the browser.
	call(t, cli, "node.pair.request", map[string]any{"nodeId": "node-bad", "displayName": "Intruder"}, &req)
	rsel := fmt.Sprintf(`li.pending-item[data-request-id=%s] button.reject`, jsString(req.Request.RequestID))
	waitJS(t, ctx, "the second pending pairing", `document.querySelector(`+jsString(rsel)+`) !== null`)
	do(t, ctx, chromedp.Click(chromedp.CSS(rsel)))
	waitJS(t, ctx, "the rejection", `document.querySelectorAll("li.pending-item").length === 0`)
	call(t, cli, "node.pair.list", map[string]any{}, &list)
	if len(list.Pending) != 0 || len(list.Paired) != 1 {
		t.Fatalf("gateway pairing state after reject: %+v", list)
	}

	screenshot(t, ctx, arts, "controlui-overview.png")

	// The log tail shows the file and follows it.
	openView(t, ctx, "logs")
	waitJS(t, ctx, "the log tail", `document.getElementById("logs").textContent.includes("e2e log line one")`)
	f, err := os.OpenFile(logFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"time":"2026-01-02T03:04:06Z","level":"WARN","msg":"e2e log line two"}` + "\n")
	_ = f.Close()
	waitJS(t, ctx, "the followed log line", `document.getElementById("logs").textContent.includes("e2e log line two")`)

	screenshot(t, ctx, arts, "controlui-logs.png")
	openView(t, ctx, "overview")

	// Restart: stop the gateway, the UI says it is disconnected; a new gateway on the
	// same port gets the UI back without any user action.
	_ = cli.Close()
	g1.stop(t)
	waitJS(t, ctx, "the disconnected state", `document.body.dataset.conn !== "connected" && !document.getElementById("banner").hidden && document.getElementById("banner-text").textContent.includes("Disconnected")`)
	g2 := startGW(t, g1.addr, cfg)
	waitConnected(t, ctx)
	waitJS(t, ctx, "the banner to go", `document.getElementById("banner").hidden`)
	waitJS(t, ctx, "state refetched from the new gateway", `document.querySelector('#nodes tr[data-node-id="node-e2e"]') !== null && document.querySelector("#presence tbody").textContent.includes("Control UI")`)
	if n := g2.srv.Connections(); n < 1 {
		t.Fatalf("the new gateway has %d connections; the UI did not reconnect to it", n)
	}
	screenshot(t, ctx, arts, "controlui-after-restart.png")

	// The token was kept: a reload connects without asking.
	do(t, ctx, chromedp.Reload())
	waitConnected(t, ctx)
	if hidden := evalJS[bool](t, ctx, `document.getElementById("login").hidden`); !hidden {
		t.Fatal("the token form is shown again after a reload")
	}
	checkClean(t, ctx, "end to end", map[string]string{"connect": "the wrong token above is refused"})
}

// TestCrossOriginPageCannotOpenSocket: a page served from another origin cannot open
// the gateway's WebSocket (cross-site WebSocket hijacking), unless that origin is in
// gateway.controlUi.allowedOrigins.
func TestCrossOriginPageCannotOpenSocket(t *testing.T) {
	ctx := newBrowser(t)
	page := func(gwAddr string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<!doctype html><title>probe</title><script>
const s = new WebSocket("ws://%s/");
s.onopen = () => { document.title = "open"; };
s.onerror = () => { document.title = "error"; };
s.onclose = (e) => { if (document.title === "probe") document.title = "closed:" + e.code; };
</script>`, gwAddr)
		})
	}
	allowed := httptest.NewServer(nil)
	defer allowed.Close()
	g := startGW(t, "127.0.0.1:0", gwConfig{stateDir: t.TempDir(), allowedOrigins: []string{allowed.URL}})
	allowed.Config.Handler = page(g.addr)
	foreign := httptest.NewServer(page(g.addr))
	defer foreign.Close()

	title := func(url string) string {
		do(t, ctx, chromedp.Navigate(url))
		waitJS(t, ctx, "the probe's verdict", `document.title !== "probe"`)
		return evalJS[string](t, ctx, `document.title`)
	}
	if got := title(foreign.URL); got == "open" {
		t.Fatalf("a page from %s opened the gateway socket", foreign.URL)
	}
	if got := title(allowed.URL); got != "open" {
		t.Fatalf("a page from the allowed origin %s could not open the socket: %s", allowed.URL, got)
	}
}

// scriptedChat is a chat group implemented by the test: it answers chat.send with the
// protocol-3 ack and lets the test stream chat events, so the browser's rendering of
// a streamed reply is checked step by step. The real agent runtime replaces it (see
// chatBackend).
type scriptedChat struct {
	srv     *gateway.Server
	sends   chan protocol.ChatSendParams
	aborts  chan string
	history []json.RawMessage
}

func (c *scriptedChat) ChatSend(ctx context.Context, _ *gateway.Conn, p *protocol.ChatSendParams) (*protocol.ChatSendResult, error) {
	c.sends <- *p
	return &protocol.ChatSendResult{RunID: p.IdempotencyKey, Status: protocol.ChatSendResultStatusStarted}, nil
}

func (c *scriptedChat) ChatHistory(ctx context.Context, _ *gateway.Conn, p *protocol.ChatHistoryParams) (*protocol.ChatHistoryResult, error) {
	return &protocol.ChatHistoryResult{SessionKey: p.SessionKey, Messages: c.history}, nil
}

func (c *scriptedChat) ChatAbort(ctx context.Context, _ *gateway.Conn, p *protocol.ChatAbortParams) (*protocol.ChatAbortResult, error) {
	if p.RunID == nil {
		return nil, errors.New("runId expected")
	}
	c.aborts <- *p.RunID
	c.srv.Broadcast(&protocol.ChatEvent{RunID: *p.RunID, SessionKey: p.SessionKey, Seq: 99, State: protocol.ChatEventStateAborted})
	return &protocol.ChatAbortResult{Ok: true, Aborted: true, RunIds: []string{*p.RunID}}, nil
}

// ChatInject is not used by the UI's tests.
func (c *scriptedChat) ChatInject(context.Context, *gateway.Conn, *protocol.ChatInjectParams) (*protocol.ChatInjectResult, error) {
	return nil, errors.New("chat.inject is not scripted")
}

func (c *scriptedChat) event(run protocol.ChatSendParams, seq int64, state protocol.ChatEventState, text string) {
	ev := &protocol.ChatEvent{RunID: run.IdempotencyKey, SessionKey: run.SessionKey, Seq: seq, State: state}
	if text != "" {
		msg, _ := json.Marshal(map[string]any{"role": "assistant", "content": []map[string]string{{"type": "text", "text": text}}, "timestamp": time.Now().UnixMilli()})
		ev.Message = msg
	}
	c.srv.Broadcast(ev)
}

// chatBackend is what the chat test needs from whatever answers chat.send. The
// scripted one streams fixed chunks and waits for each to show before sending the
// next; the real agent runtime with an OpenAI-compatible SSE server started by the
// test plugs in here (register: mount the runtime; reply: let the SSE server stream
// the same chunks, e.g. one per request to its handler).
type chatBackend interface {
	register(srv *gateway.Server) error
	// reply streams the answer to the message the browser sent and returns the final
	// text; shown waits until the page displays a given text.
	reply(t *testing.T, shown func(text string)) string
	// abortable starts a reply that stays open until aborted and returns the run id.
	abortable(t *testing.T, shown func(text string)) string
	aborted(t *testing.T) string
}

type scriptedBackend struct{ c *scriptedChat }

func (b *scriptedBackend) register(srv *gateway.Server) error {
	b.c.srv = srv
	srv.Mux().SetChat(b.c)
	return nil
}

func (b *scriptedBackend) nextSend(t *testing.T) protocol.ChatSendParams {
	t.Helper()
	select {
	case p := <-b.c.sends:
		return p
	case <-time.After(waitTimeout):
		t.Fatal("the browser did not send chat.send")
		return protocol.ChatSendParams{}
	}
}

func (b *scriptedBackend) reply(t *testing.T, shown func(string)) string {
	run := b.nextSend(t)
	if run.Message != "What is the capital of France?" || run.SessionKey != "agent:main:main" || run.IdempotencyKey == "" {
		t.Fatalf("chat.send params %+v", run)
	}
	for i, chunk := range []string{"The capital", "The capital of France", "The capital of France is Par"} {
		b.c.event(run, int64(i+1), protocol.ChatEventStateDelta, chunk)
		shown(chunk)
	}
	const final = "The capital of France is Paris."
	b.c.event(run, 4, protocol.ChatEventStateFinal, final)
	return final
}

func (b *scriptedBackend) abortable(t *testing.T, shown func(string)) string {
	run := b.nextSend(t)
	b.c.event(run, 1, protocol.ChatEventStateDelta, "Let me think")
	shown("Let me think")
	return run.IdempotencyKey
}

func (b *scriptedBackend) aborted(t *testing.T) string {
	select {
	case id := <-b.c.aborts:
		return id
	case <-time.After(waitTimeout):
		t.Fatal("chat.abort not called")
		return ""
	}
}

// TestChatStreamsReply: history is shown; a message typed in the browser reaches
// chat.send; the reply appears incrementally (every intermediate text is a prefix of
// the final one) and ends with the final text; Stop aborts a running reply.
func TestChatStreamsReply(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backend func(t *testing.T, stateDir string) chatBackend
	}{
		// The real agent runtime and session store, its model an OpenAI-compatible
		// streaming server on 127.0.0.1.
		{"runtime", func(t *testing.T, stateDir string) chatBackend {
			return newRuntimeBackend(t, stateDir, [][2]string{{"user", "an earlier question"}, {"assistant", "an earlier answer"}})
		}},
		// A scripted chat group, which can also fail a run on purpose.
		{"scripted", func(t *testing.T, stateDir string) chatBackend {
			hist := []json.RawMessage{
				json.RawMessage(`{"role":"user","content":"an earlier question","timestamp":1}`),
				json.RawMessage(`{"role":"assistant","content":[{"type":"text","text":"an earlier answer"}],"timestamp":2}`),
			}
			return &scriptedBackend{c: &scriptedChat{sends: make(chan protocol.ChatSendParams, 4), aborts: make(chan string, 4), history: hist}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stateDir := t.TempDir()
			testChatStreamsReply(t, tc.backend(t, stateDir), stateDir, "controlui-chat-"+tc.name+".png")
		})
	}
}

func testChatStreamsReply(t *testing.T, backend chatBackend, stateDir, shot string) {
	arts := artifactsDir(t)
	ctx := newBrowser(t)
	tolerateUnavailable(t, ctx, bareGatewayUnavailable...)
	g := startGW(t, "127.0.0.1:0", gwConfig{stateDir: stateDir, setup: func(s *gateway.Server) {
		if err := backend.register(s); err != nil {
			t.Fatal(err)
		}
	}})
	login(t, ctx, g.url())
	openView(t, ctx, "chat")
	waitJS(t, ctx, "the history", `document.getElementById("chat-log").textContent.includes("an earlier answer") && document.getElementById("chat-session").textContent === "agent:main:main"`)

	// Record every text the newest assistant bubble shows.
	evalJS[chromedp.Void](t, ctx, `(() => {
		window.__snaps = [];
		const log = document.getElementById("chat-log");
		const rec = () => {
			const b = [...log.querySelectorAll(".msg.assistant")].pop();
			const t = b ? b.querySelector(".text").textContent : "";
			if (window.__snaps[window.__snaps.length - 1] !== t) window.__snaps.push(t);
		};
		new MutationObserver(rec).observe(log, {subtree: true, childList: true, characterData: true});
	})()`)
	lastBubble := `[...document.querySelectorAll("#chat-log .msg.assistant")].pop()`
	shown := func(text string) {
		waitJS(t, ctx, "reply text "+text, lastBubble+`?.querySelector(".text").textContent === `+jsString(text))
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "What is the capital of France?"), chromedp.Click(chromedp.ID("chat-send")))
	final := backend.reply(t, shown)
	waitJS(t, ctx, "the final reply", lastBubble+`.classList.contains("final") && `+lastBubble+`.querySelector(".text").textContent === `+jsString(final)+` && document.getElementById("chat-abort").hidden`)
	snaps := evalJS[[]string](t, ctx, `window.__snaps.filter(s => s !== "")`)
	if len(snaps) < 3 || snaps[len(snaps)-1] != final {
		t.Fatalf("reply did not stream: texts shown %q", snaps)
	}
	for _, s := range snaps {
		if !strings.HasPrefix(final, s) {
			t.Fatalf("intermediate text %q is not a prefix of the final %q (all: %q)", s, final, snaps)
		}
	}
	if !evalJS[bool](t, ctx, `[...document.querySelectorAll("#chat-log .msg.user")].pop().textContent.includes("What is the capital of France?")`) {
		t.Fatal("the user's message is not shown")
	}

	// Stop a running reply.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "Write a long essay"), chromedp.Click(chromedp.ID("chat-send")))
	runID := backend.abortable(t, shown)
	waitJS(t, ctx, "the Stop button", `!document.getElementById("chat-abort").hidden`)
	do(t, ctx, chromedp.Click(chromedp.ID("chat-abort")))
	if got := backend.aborted(t); got != runID {
		t.Fatalf("chat.abort for %q, want %q", got, runID)
	}
	waitJS(t, ctx, "the aborted reply", lastBubble+`.classList.contains("aborted") && `+lastBubble+`.textContent.includes("stopped") && document.getElementById("chat-abort").hidden`)

	checkClean(t, ctx, "chat", nil)

	// A failed run shows its error (scripted backend only: the real runtime fails on
	// its own terms).
	if sb, ok := backend.(*scriptedBackend); ok {
		do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "Break please"), chromedp.Click(chromedp.ID("chat-send")))
		run := sb.nextSend(t)
		sb.c.event(run, 1, protocol.ChatEventStateDelta, "Partial")
		shown("Partial")
		msg := "model overloaded"
		sb.c.srv.Broadcast(&protocol.ChatEvent{RunID: run.IdempotencyKey, SessionKey: run.SessionKey, Seq: 2, State: protocol.ChatEventStateError, ErrorMessage: &msg})
		waitJS(t, ctx, "the failed reply", lastBubble+`.classList.contains("error") && `+lastBubble+`.textContent.includes("model overloaded") && document.getElementById("chat-abort").hidden`)

		noErrorShown(t, ctx, "chat (failed run)", ".msg.assistant.error")
	}
	screenshot(t, ctx, arts, shot)
}

// lossyWebSocket is installed in the page before the app runs: it drops presence
// events that mention "gap-host", the way the gateway skips a slow consumer for a
// droppable event, and counts sockets and drops.
const lossyWebSocket = `(() => {
	const Native = window.WebSocket;
	window.__dropped = 0;
	window.__sockets = 0;
	class Lossy extends Native {
		constructor(...a) { super(...a); window.__sockets++; }
		set onmessage(fn) {
			super.onmessage = (ev) => {
				if (typeof ev.data === "string" && ev.data.includes('"event":"presence"') && ev.data.includes("gap-host")) {
					window.__dropped++;
					return;
				}
				fn(ev);
			};
		}
		get onmessage() { return super.onmessage; }
	}
	window.WebSocket = Lossy;
})();`

// TestSeqGapRefetches: when an event is lost (a seq gap), the UI fetches the state
// again instead of showing stale data.
func TestSeqGapRefetches(t *testing.T) {
	ctx := newBrowser(t)
	tolerateUnavailable(t, ctx, bareGatewayUnavailable...)
	g := startGW(t, "127.0.0.1:0", gwConfig{stateDir: t.TempDir()})
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: lossyWebSocket}); err != nil {
		t.Fatal(err)
	}
	login(t, ctx, g.url())
	cli := goClient(t, g, "gap-client")
	// Seq numbers only show a gap once one event has been seen on the connection.
	call(t, cli, "system-event", map[string]any{"text": "first beacon", "host": "warm-host", "instanceId": "warm-instance"}, nil)
	waitJS(t, ctx, "a first event", `document.querySelector("#presence tbody").textContent.includes("warm-host")`)
	call(t, cli, "system-event", map[string]any{"text": "lost beacon", "host": "gap-host", "instanceId": "gap-instance"}, nil)
	waitJS(t, ctx, "the dropped presence event", `window.__dropped === 1`)
	// Any later broadcast reveals the gap.
	var req protocol.NodePairRequestResult
	call(t, cli, "node.pair.request", map[string]any{"nodeId": "gap-node"}, &req)
	waitJS(t, ctx, "presence refetched after the gap", `document.querySelector("#presence tbody").textContent.includes("gap-host")`)
	if n := evalJS[int](t, ctx, `window.__sockets`); n != 1 {
		t.Fatalf("the page opened %d sockets; the state must come from the gap refetch, not a reconnect", n)
	}
	checkClean(t, ctx, "seq gap", nil)
}
