package controlui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/agent/commands"
	"github.com/clawgate/gateway/server/gateway"
)

// Browser tests of the chat's command hints, exec approvals answered for a turn
// started in the chat view, and the device identity over real HTTPS.

// pressEnter presses Enter as a keyboard does: one keyDown carrying the text, so a
// keydown handler's preventDefault keeps the newline out of a textarea (chromedp's
// KeyEvent sends the text as a separate char event, which nothing can prevent).
func pressEnter(t *testing.T, ctx context.Context) {
	t.Helper()
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
		p := input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
		if typ == input.DispatchKeyEventTypeKeyDown {
			p.Text, p.UnmodifiedText = "\r", "\r"
		}
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, p); err != nil {
			t.Fatalf("press Enter: %v", err)
		}
	}
}

// TestChatCommandHints: typing "/" in the chat lists the gateway's chat commands
// (each one the gateway's parser recognises); typing narrows the list; the arrow keys
// move the highlight, Enter or Tab puts the command in the draft, Escape closes the
// list, and a chosen command is sent as the message with a second Enter.
func TestChatCommandHints(t *testing.T) {
	ctx := newBrowser(t)
	tolerateUnavailable(t, ctx, bareGatewayUnavailable...)
	arts := artifactsDir(t)
	backend := &scriptedBackend{c: &scriptedChat{sends: make(chan protocol.ChatSendParams, 4), aborts: make(chan string, 4)}}
	g := startGW(t, "127.0.0.1:0", gwConfig{stateDir: t.TempDir(), setup: func(s *gateway.Server) {
		if err := backend.register(s); err != nil {
			t.Fatal(err)
		}
	}})
	login(t, ctx, g.url())
	openView(t, ctx, "chat")
	hintsJS := `[...document.querySelectorAll("#chat-commands li[role=option]")].map(e => e.dataset.command)`
	activeJS := `document.querySelector("#chat-commands li[aria-selected=true]")?.dataset.command ?? ""`
	inputJS := `document.getElementById("chat-input").value`

	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "/"))
	waitJS(t, ctx, "the command hints", `document.querySelectorAll("#chat-commands li").length > 0`)
	want := []string{"new", "reset", "status", "stop", "think", "model", "compact", "verbose", "help", "approve"}
	got := evalJS[[]string](t, ctx, hintsJS)
	if !slices.Equal(got, want) {
		t.Fatalf("hints for %q: %q, want %q", "/", got, want)
	}
	// Each hint is a command the gateway answers itself, and each of those is hinted.
	for _, name := range got {
		if c, ok := commands.Parse("/" + name); !ok || string(c.Name) != name {
			t.Errorf("the hint /%s is not a gateway chat command (parsed %+v, %v)", name, c, ok)
		}
	}
	for _, n := range []commands.Name{commands.New, commands.Reset, commands.Status, commands.Stop, commands.Help, commands.Think, commands.Verbose, commands.Model, commands.Compact, commands.Approve} {
		if !slices.Contains(got, string(n)) {
			t.Errorf("the gateway's /%s is not hinted", n)
		}
	}
	if a := evalJS[string](t, ctx, `document.getElementById("chat-input").getAttribute("aria-activedescendant")`); a != "chat-cmd-new" {
		t.Errorf("aria-activedescendant %q, want the first hint", a)
	}
	screenshot(t, ctx, arts, "controlui-view-chat-commands.png")
	phoneDark(t, ctx, arts, "chat-commands")

	// Narrowing, then the keyboard: ArrowDown to /stop, ArrowUp back, down again, Enter.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "s"))
	waitJS(t, ctx, "the narrowed hints", hintsJS+`.join() === "status,stop"`)
	do(t, ctx, chromedp.KeyEvent(kb.ArrowDown))
	waitJS(t, ctx, "the highlight on /stop", activeJS+` === "stop"`)
	do(t, ctx, chromedp.KeyEvent(kb.ArrowUp))
	waitJS(t, ctx, "the highlight back on /status", activeJS+` === "status"`)
	do(t, ctx, chromedp.KeyEvent(kb.ArrowDown))
	pressEnter(t, ctx)
	waitJS(t, ctx, "/stop in the draft", inputJS+` === "/stop" && !document.getElementById("chat-commands")`)
	select {
	case p := <-backend.c.sends:
		t.Fatalf("choosing a hint sent the message %q", p.Message)
	default:
	}
	// A second Enter sends the command as the message.
	pressEnter(t, ctx)
	if run := backend.nextSend(t); run.Message != "/stop" {
		t.Fatalf("chat.send message %q, want /stop", run.Message)
	}
	waitJS(t, ctx, "the emptied input", inputJS+` === ""`)

	// Tab takes a command with arguments and leaves room for them; Escape closes.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "/th"))
	waitJS(t, ctx, "the /think hint", hintsJS+`.join() === "think"`)
	do(t, ctx, chromedp.KeyEvent(kb.Tab))
	waitJS(t, ctx, "/think in the draft", inputJS+` === "/think " && !document.getElementById("chat-commands") && document.activeElement.id === "chat-input"`)
	evalJS[chromedp.Void](t, ctx, `(() => { const i = document.getElementById("chat-input"); i.value = ""; i.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "/co"))
	waitJS(t, ctx, "the /compact hint", hintsJS+`.join() === "compact"`)
	do(t, ctx, chromedp.KeyEvent(kb.Escape))
	waitJS(t, ctx, "the closed hints", `!document.getElementById("chat-commands") && `+inputJS+` === "/co"`)
	checkClean(t, ctx, "chat commands", nil)
}

// execTurnModel is an OpenAI-compatible streaming model on 127.0.0.1 for exec
// approvals: a user message "run: <command>" gets an exec tool call of that command;
// a tool result gets the reply "result: <the tool's output>", so the chat shows what
// the command did (or that it was denied). Every request's last message is recorded.
type execTurnModel struct {
	srv  *httptest.Server
	mu   sync.Mutex
	last []string // "<role>: <content>" of each request's last message
}

func newExecTurnModel(t *testing.T) *execTurnModel {
	t.Helper()
	m := &execTurnModel{}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct {
				Role    string          `json:"role"`
				Content json.RawMessage `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) == 0 {
			http.Error(w, "no messages", http.StatusBadRequest)
			return
		}
		lastMsg := body.Messages[len(body.Messages)-1]
		var content string
		if json.Unmarshal(lastMsg.Content, &content) != nil {
			content = string(lastMsg.Content) // parts: kept as JSON, enough to search
		}
		m.mu.Lock()
		m.last = append(m.last, lastMsg.Role+": "+content)
		n := len(m.last)
		m.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(delta map[string]any, finish any) {
			b, _ := json.Marshal(map[string]any{"id": fmt.Sprint("c", n), "object": "chat.completion.chunk", "created": 1, "model": "m",
				"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
		}
		if cmd, ok := strings.CutPrefix(strings.TrimSpace(content), "run: "); ok && lastMsg.Role == "user" {
			args, _ := json.Marshal(map[string]string{"command": cmd})
			chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": fmt.Sprint("call_", n), "type": "function",
				"function": map[string]any{"name": "exec", "arguments": string(args)}}}}, nil)
			chunk(map[string]any{}, "tool_calls")
		} else {
			chunk(map[string]any{"content": "result: " + strings.Join(strings.Fields(content), " ")}, nil)
			chunk(map[string]any{}, "stop")
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *execTurnModel) lastMessages() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.last...)
}

// TestChatExecApprovals: chat turns typed and sent in the chat view each ask the exec
// tool for a command the allowlist does not cover; the approval prompt appears live in
// the chat, and
//   - Allow once runs the command: its card shows the output and the reply follows;
//   - Deny fails the tool call: the card and the reply show the denial, nothing ran;
//   - Always allow runs it and adds the executable to the allowlist, which the
//     allowlist view then shows, and the next run of it asks nobody.
func TestChatExecApprovals(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	ws := t.TempDir()
	model := newExecTurnModel(t)
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
		models: { providers: { local: { baseUrl: %q, apiKey: "k", models: [] } } },
		agents: { defaults: { workspace: %q, model: { primary: "local/m1" } } },
		tools: { exec: { security: "allowlist", ask: "on-miss" } },
	}`, testToken, model.srv.URL+"/v1", ws))
	postMortem(t, d)
	login(t, ctx, d.url())
	openView(t, ctx, "chat")
	waitJS(t, ctx, "the chat session", `document.getElementById("chat-session").textContent === "agent:main:main"`)
	cli := d.client(t)

	lastBubble := `[...document.querySelectorAll("#chat-log .msg.assistant")].pop()`
	prompt := `document.querySelector("#chat-approvals li.approval")`
	// turn types a message, waits for the approval prompt in the chat, answers it
	// with the button of the given class and waits for the final reply.
	turn := func(cmd, button string) {
		t.Helper()
		do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "run: "+cmd), chromedp.Click(chromedp.ID("chat-send")))
		waitJS(t, ctx, "the approval prompt in the chat for "+cmd, prompt+`?.querySelector("code.cmd")?.textContent === `+jsString(cmd)+
			` && document.getElementById("approvals-badge")?.textContent === "1"`)
		if button == "allow-once" {
			screenshot(t, ctx, arts, "controlui-view-chat-approval.png")
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#chat-approvals li.approval button."+button)))
		waitJS(t, ctx, "the answered prompt", prompt+` === null && !document.getElementById("approvals-badge")`)
		waitJS(t, ctx, "the final reply to "+cmd, lastBubble+`?.classList.contains("final") && `+lastBubble+`.querySelector(".text").textContent.startsWith("result:")`)
	}
	card := lastBubble + `.querySelector('details.tool-card[data-tool="exec"]')`

	// Allow once: the command runs; its output is on the card and in the reply.
	turn("echo once-ok", "allow-once")
	waitJS(t, ctx, "the exec card with the output", card+`?.classList.contains("done") && `+card+`.querySelector(".tool-result")?.textContent.includes("once-ok") && `+lastBubble+`.querySelector(".text").textContent.includes("once-ok")`)
	shotView(t, ctx, arts, "chat-approved")

	// Deny: nothing runs; the tool call fails with the denial and the model is told.
	turn("touch denied.txt", "deny")
	waitJS(t, ctx, "the failed exec card", card+`?.classList.contains("failed") && /denied/i.test(`+card+`.querySelector(".tool-result")?.textContent) && /denied/i.test(`+lastBubble+`.querySelector(".text").textContent)`)
	if _, err := os.Stat(filepath.Join(ws, "denied.txt")); err == nil {
		t.Error("the denied command ran")
	}
	if msgs := model.lastMessages(); !strings.HasPrefix(msgs[len(msgs)-1], "tool: ") || !strings.Contains(strings.ToLower(msgs[len(msgs)-1]), "denied") {
		t.Errorf("the model's last message after Deny: %q, want the tool's denial", msgs[len(msgs)-1])
	}
	noErrorShown(t, ctx, "chat (denied)")

	// Always allow: the command runs and its executable joins the allowlist.
	turn("echo always-ok", "allow-always")
	waitJS(t, ctx, "the exec card with the output", card+`?.classList.contains("done") && `+card+`.querySelector(".tool-result")?.textContent.includes("always-ok")`)
	var appr struct {
		File struct {
			Agents map[string]struct {
				Allowlist []struct {
					Pattern string `json:"pattern"`
				} `json:"allowlist"`
			} `json:"agents"`
		} `json:"file"`
	}
	call(t, cli, "exec.approvals.get", map[string]any{}, &appr)
	list := appr.File.Agents["main"].Allowlist
	if len(list) != 1 || !strings.HasSuffix(list[0].Pattern, "/echo") {
		t.Fatalf("agents.main allowlist after Always allow: %+v", list)
	}
	// The next run of it asks nobody.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "run: echo again-ok"), chromedp.Click(chromedp.ID("chat-send")))
	waitJS(t, ctx, "the unasked run", lastBubble+`?.classList.contains("final") && `+lastBubble+`.querySelector(".text").textContent.includes("again-ok")`)
	if evalJS[bool](t, ctx, prompt+` !== null`) {
		t.Error("an allowlisted command asked again")
	}
	// The allowlist view shows the new entry; the approvals view lists the answers.
	openView(t, ctx, "approvals")
	waitJS(t, ctx, "the allowlist entry", `document.querySelector(`+jsString(fmt.Sprintf(`#allowlist tr[data-pattern=%s]`, jsString(list[0].Pattern)))+`) !== null`)
	done := evalJS[string](t, ctx, `document.getElementById("approvals-done")?.textContent ?? ""`)
	for _, want := range []string{"echo once-ok — allow-once", "touch denied.txt — deny", "echo always-ok — allow-always"} {
		if !strings.Contains(done, want) {
			t.Errorf("recently answered %q lacks %q", done, want)
		}
	}
	shotView(t, ctx, arts, "approvals-allowlist-always")
	checkClean(t, ctx, "chat approvals", nil)
}

// TestDeviceIdentityOverHTTPS: the Control UI reached by name over real HTTPS (a TLS
// reverse proxy with a self-signed certificate in front of the gateway, so the gateway
// sees a remote client) is a secure context, so it connects with its WebCrypto Ed25519
// device identity, without gateway.controlUi.allowInsecureAuth: the gateway holds a
// pairing request, the test approves it, and the page connects and works. The same UI
// over plain HTTP by that name has no secure context and is refused with the reason.
func TestDeviceIdentityOverHTTPS(t *testing.T) {
	arts := artifactsDir(t)
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
	}`, testToken))
	postMortem(t, d)
	target, err := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", d.port))
	if err != nil {
		t.Fatal(err)
	}
	tlsProxy := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(target)) // adds X-Forwarded-For
	t.Cleanup(tlsProxy.Close)
	plainProxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	t.Cleanup(plainProxy.Close)
	byName := func(srv *httptest.Server, scheme string) string {
		u, _ := url.Parse(srv.URL)
		return scheme + "://ui.clawdbot.test:" + u.Port() + "/"
	}
	cli := d.client(t)

	// Plain HTTP by name: no secure context, no device identity, refused.
	plain := newBrowser(t)
	probePage(t, plain, connectProbe)
	do(t, plain, chromedp.Navigate(byName(plainProxy, "http")))
	waitJS(t, plain, "the token form over HTTP", `!document.getElementById("login").hidden`)
	if evalJS[bool](t, plain, `window.isSecureContext`) {
		t.Fatal("a page over plain HTTP by name is a secure context; the test proves nothing")
	}
	do(t, plain, chromedp.SendKeys(chromedp.ID("token"), testToken), chromedp.Click(chromedp.ID("connect")))
	waitJS(t, plain, "the refusal over HTTP", `document.getElementById("login-error").textContent.includes("HTTPS")`)
	if evalJS[bool](t, plain, `window.__connects.some(p => p.device)`) {
		t.Error("a page without a secure context sent a device identity")
	}
	checkClean(t, plain, "plain HTTP", map[string]string{
		"connect":      "a remote Control UI without a secure context is refused",
		"#login-error": "the refusal is the point",
	})

	// HTTPS by name through the proxy: the device identity pairs.
	pairOverHTTPS(t, cli, byName(tlsProxy, "https"), arts, "https")
}

// TestDeviceIdentityOverGatewayTLS: the gateway serves TLS itself (gateway.tls, its
// self-signed certificate made at start); a remote browser opening the Control UI over
// it pairs as a device, without gateway.controlUi.allowInsecureAuth or a proxy.
func TestDeviceIdentityOverGatewayTLS(t *testing.T) {
	arts := artifactsDir(t)
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q }, tls: { enabled: true } },
	}`, testToken))
	postMortem(t, d)
	cli := d.client(t)
	pairOverHTTPS(t, cli, fmt.Sprintf("https://ui.clawdbot.test:%d/", d.port), arts, "gateway-tls")
}

// pairOverHTTPS opens the Control UI at pageURL (https://ui.clawdbot.test:…), checks it
// is a secure context, and pairs it as a device: the connect carries a signed Ed25519
// identity, the operator approves the request, the page stores its device token and
// works. name labels the screenshots.
func pairOverHTTPS(t *testing.T, cli *gatewayclient.Client, pageURL, arts, name string) {
	t.Helper()
	ctx := newBrowser(t)
	probePage(t, ctx, connectProbe)
	do(t, ctx, chromedp.Navigate(pageURL))
	waitJS(t, ctx, "the token form over HTTPS", `!document.getElementById("login").hidden`)
	if !evalJS[bool](t, ctx, `window.isSecureContext && location.protocol === "https:" && location.hostname === "ui.clawdbot.test"`) {
		t.Fatalf("the page over HTTPS is not a secure context at ui.clawdbot.test: %s", evalJS[string](t, ctx, `location.href`))
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("token"), testToken), chromedp.Click(chromedp.ID("connect")))
	waitJS(t, ctx, "the pairing banner", `document.getElementById("banner-text").textContent.includes("waiting for device pairing approval")`)
	screenshot(t, ctx, arts, "controlui-device-pairing-"+name+".png")
	list := devicePairs(t, cli)
	if len(list.Pending) != 1 || list.Pending[0].ClientID != "clawdbot-control-ui" {
		t.Fatalf("pending device requests: %+v", list.Pending)
	}
	req := list.Pending[0]
	first := evalJS[map[string]any](t, ctx, `window.__connects[0]`)
	if dev, _ := first["device"].(map[string]any); dev == nil || dev["id"] != req.DeviceID || dev["signature"] == nil || dev["publicKey"] == nil {
		t.Fatalf("the connect's device block %v does not match the request %+v", first["device"], req)
	}
	call(t, cli, "device.pair.approve", map[string]any{"requestId": req.RequestID}, nil)
	waitConnected(t, ctx)
	waitJS(t, ctx, "the banner to go", `document.getElementById("banner").hidden`)
	if tok := evalJS[string](t, ctx, `JSON.parse(localStorage.getItem("clawdbot.device.auth.v1") || "null")?.tokens?.operator?.token || ""`); tok == "" || tok == testToken {
		t.Fatalf("device token stored after approval over HTTPS: %q", tok)
	}
	// It works: the devices view lists this browser as paired; health loads.
	openView(t, ctx, "nodes")
	waitJS(t, ctx, "this device among the paired", `document.getElementById("view-nodes").textContent.includes(`+jsString(req.DeviceID[:12])+`)`)
	openView(t, ctx, "overview")
	waitJS(t, ctx, "health over HTTPS", `document.getElementById("health").textContent.includes("Uptime")`)
	shotView(t, ctx, arts, "overview-"+name)
	list = devicePairs(t, cli)
	if len(list.Pending) != 0 || len(list.Paired) != 1 || list.Paired[0].DeviceID != req.DeviceID {
		t.Fatalf("after approval: pending %+v paired %+v", list.Pending, list.Paired)
	}
	checkClean(t, ctx, "HTTPS device", map[string]string{"connect": "pairing required until the approval above"})
}

// TestStrictCheckCatches: the page check the browser tests end with is not a check
// that cannot fail: it reports an ok:false answer, a stale allowance, an error shown
// on the page (a failed Debug call, a view's error line) and a console error, and
// accepts exactly what is allowed.
func TestStrictCheckCatches(t *testing.T) {
	ctx := newBrowser(t)
	tolerateUnavailable(t, ctx, bareGatewayUnavailable...)
	g := startGW(t, "127.0.0.1:0", gwConfig{stateDir: t.TempDir()})
	login(t, ctx, g.url())
	if p := append(recordedProblems(t, ctx, nil), shownProblems(t, ctx)...); len(p) > 0 {
		t.Fatalf("a freshly opened UI already has problems: %q", p)
	}
	openView(t, ctx, "debug")
	evalJS[chromedp.Void](t, ctx, `(() => { const m = document.getElementById("debug-method"); m.value = "no.such.method"; m.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	do(t, ctx, chromedp.Click(chromedp.ID("debug-call")))
	waitJS(t, ctx, "the failed call", `document.getElementById("debug-took").textContent.includes("no.such.method: failed")`)
	has := func(list []string, part string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, part) })
	}
	if p := recordedProblems(t, ctx, nil); !has(p, "unexpected ok:false for no.such.method") {
		t.Errorf("the failed request is not reported: %q", p)
	}
	if p := recordedProblems(t, ctx, map[string]string{"no.such.method": "on purpose"}); len(p) != 0 {
		t.Errorf("an allowed failure is reported: %q", p)
	}
	if p := recordedProblems(t, ctx, map[string]string{"no.such.method": "on purpose", "health": "never fails"}); !has(p, "health was allowed to fail") {
		t.Errorf("a stale allowance is not reported: %q", p)
	}
	if p := shownProblems(t, ctx); !has(p, "#debug-result") {
		t.Errorf("the failed Debug call on the page is not reported: %q", p)
	}
	if p := shownProblems(t, ctx, "#debug-result"); len(p) != 0 {
		t.Errorf("an allowed error shown is reported: %q", p)
	}
	evalJS[chromedp.Void](t, ctx, `(() => {
		const e = document.createElement("p");
		e.className = "error";
		e.textContent = "injected failure line";
		document.getElementById("view-debug").append(e);
		console.error("injected console error");
	})()`)
	if p := shownProblems(t, ctx, "#debug-result"); !has(p, "injected failure line") {
		t.Errorf("an error line is not reported: %q", p)
	}
	if p := recordedProblems(t, ctx, map[string]string{"no.such.method": "on purpose"}); !has(p, "injected console error") {
		t.Errorf("a console error is not reported: %q", p)
	}
	// Leave the page clean for the check at the end of the test.
	evalJS[chromedp.Void](t, ctx, `window.__consoleErrors.length = 0; sessionStorage.removeItem("clawdbot.probe.console")`)
	checkClean(t, ctx, "strict check", map[string]string{"no.such.method": "on purpose", "#debug-result": "the failed call", ".error": "the injected line"})
}

// TestChatFollowsSessionReset: a configured reset trigger (session.resetTriggers) sent
// from the chat starts the session over on the gateway; the chat then shows the new,
// empty transcript with the gateway's answer, not the old messages (it notices the new
// transcript id, so the same holds for /new, /reset or a reset from another surface).
func TestChatFollowsSessionReset(t *testing.T) {
	ctx := newBrowser(t)
	ws := t.TempDir()
	model := newExecTurnModel(t)
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
		models: { providers: { local: { baseUrl: %q, apiKey: "k", models: [] } } },
		agents: { defaults: { workspace: %q, model: { primary: "local/m1" } } },
		session: { resetTriggers: ["/fresh"] },
	}`, testToken, model.srv.URL+"/v1", ws))
	postMortem(t, d)
	login(t, ctx, d.url())
	openView(t, ctx, "chat")
	waitJS(t, ctx, "the chat session", `document.getElementById("chat-session").textContent === "agent:main:main"`)
	lastBubble := `[...document.querySelectorAll("#chat-log .msg.assistant")].pop()`
	logText := `document.getElementById("chat-log").textContent`

	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "remember the old topic"), chromedp.Click(chromedp.ID("chat-send")))
	waitJS(t, ctx, "the first reply", lastBubble+`?.classList.contains("final") && `+logText+`.includes("result: remember the old topic")`)

	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "/fresh"), chromedp.Click(chromedp.ID("chat-send")))
	waitJS(t, ctx, "the old messages gone after the reset", `!`+logText+`.includes("remember the old topic") && `+lastBubble+`?.classList.contains("final") && `+lastBubble+`.textContent.includes("New session started")`)
	if n := evalJS[int](t, ctx, `document.querySelectorAll("#chat-log .msg").length`); n > 2 {
		t.Fatalf("%d messages shown after the reset, want the new session's only (%s)", n, evalJS[string](t, ctx, logText))
	}
	checkClean(t, ctx, "chat reset", nil)
}
