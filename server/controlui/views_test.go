package controlui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytls"
)

// pageProbe is installed before the app runs: it records every failed response
// (with the method that was asked), uncaught errors and console.error calls, so a
// test can insist that a view loaded cleanly.
//
// What it records is kept in sessionStorage, so a reload or a navigation within the
// tab does not wipe a failure before the test's final check sees it.
const pageProbe = `(() => {
	const load = (k) => { try { return JSON.parse(sessionStorage.getItem(k) || "[]"); } catch { return []; } };
	const keep = (k, list) => { try { sessionStorage.setItem(k, JSON.stringify(list)); } catch {} };
	window.__failed = load("clawdbot.probe.failed");
	window.__consoleErrors = load("clawdbot.probe.console");
	const fail = (f) => { window.__failed.push(f); keep("clawdbot.probe.failed", window.__failed); };
	const consoleError = (m) => { window.__consoleErrors.push(m); keep("clawdbot.probe.console", window.__consoleErrors); };
	const Native = window.WebSocket;
	class Probe extends Native {
		constructor(...a) {
			super(...a);
			const methods = new Map();
			const send = this.send.bind(this);
			this.send = (data) => {
				try { const f = JSON.parse(data); if (f.type === "req") methods.set(f.id, f.method); } catch {}
				return send(data);
			};
			this.addEventListener("message", (ev) => {
				try {
					const f = JSON.parse(ev.data);
					if (f.type === "res" && !f.ok) fail({method: methods.get(f.id), code: f.error && f.error.code, message: f.error && f.error.message});
				} catch {}
			});
		}
	}
	window.WebSocket = Probe;
	const ce = console.error.bind(console);
	console.error = (...a) => { consoleError(a.map(String).join(" ")); ce(...a); };
	window.addEventListener("error", (e) => consoleError(String(e.message)));
	document.addEventListener("securitypolicyviolation", (e) => consoleError("CSP: " + e.violatedDirective + " " + e.blockedURI));
	window.addEventListener("unhandledrejection", (e) => consoleError("unhandled: " + String(e.reason)));
})();`

type failure struct {
	Method  string `json:"method"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// binaryOnce builds cmd/clawdbot once per test process.
var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

func clawdbotBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		if b := os.Getenv("CLAWGATE_TEST_BINARY"); b != "" {
			binaryPath = b
			return
		}
		dir, err := os.MkdirTemp("", "clawdbot-ui-bin")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "clawdbot")
		if runtime.GOOS == "windows" {
			binaryPath += ".exe"
		}
		out, err := exec.Command("go", "build", "-o", binaryPath, "github.com/clawgate/gateway/cmd/clawdbot").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// daemon is the real binary (`clawdbot gateway`) on a loopback port with an isolated
// home, state dir and config.
type daemon struct {
	port int
	home string
}

func startDaemon(t *testing.T, cfg string) *daemon {
	t.Helper()
	bin := clawdbotBinary(t)
	home := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	if err := os.WriteFile(filepath.Join(home, "clawdbot.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "gateway", "--allow-unconfigured", "--port", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), "HOME="+home, "CLAWDBOT_STATE_DIR="+filepath.Join(home, "state"),
		"CLAWDBOT_CONFIG_PATH="+filepath.Join(home, "clawdbot.json"), "CLAWDBOT_BRIDGE_ENABLED=0")
	out := &lockedBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not listen:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &daemon{port: port, home: home}
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func (d *daemon) url() string { return fmt.Sprintf("http://127.0.0.1:%d/", d.port) }

func (d *daemon) client(t *testing.T) *gatewayclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o := gatewayclient.Options{Token: testToken,
		Client: gatewayclient.ClientInfo{ID: protocol.ClientIDTest, DisplayName: "views-test", Mode: "test"}}
	url := fmt.Sprintf("ws://127.0.0.1:%d", d.port)
	// A gateway serving TLS (gateway.tls) made its certificate in its state dir: pin it.
	cert, key := gatewaytls.DefaultPaths(filepath.Join(d.home, "state"))
	if rt, err := gatewaytls.Load(gatewaytls.Options{CertPath: cert, KeyPath: key}); err == nil {
		if o.TLSConfig, err = gatewaytls.PinnedConfig(rt.Fingerprint); err != nil {
			t.Fatal(err)
		}
		url = fmt.Sprintf("wss://127.0.0.1:%d", d.port)
	}
	c, err := gatewayclient.Dial(ctx, url, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// scriptedModel is an OpenAI-compatible streaming server on 127.0.0.1: every request
// reports its last user message on prompt, then streams what the test sends on chunks
// until endStream, so the test decides when each piece of the reply exists.
type scriptedModel struct {
	srv    *httptest.Server
	prompt chan string
	chunks chan string
}

func newScriptedModel(t *testing.T) *scriptedModel {
	t.Helper()
	m := &scriptedModel{prompt: make(chan string, 4), chunks: make(chan string)}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Role, Content string }
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		last := ""
		if n := len(body.Messages); n > 0 {
			last = body.Messages[n-1].Content
		}
		m.prompt <- last
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case c := <-m.chunks:
				if c == endStream {
					fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
					return
				}
				chunk, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": c}}}})
				fmt.Fprintf(w, "data: %s\n\n", chunk)
				w.(http.Flusher).Flush()
			}
		}
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// nextPrompt waits for the model to be asked.
func (m *scriptedModel) nextPrompt(t *testing.T) string {
	t.Helper()
	select {
	case p := <-m.prompt:
		return p
	case <-time.After(waitTimeout):
		t.Fatal("the model was not asked")
		return ""
	}
}

func (m *scriptedModel) send(t *testing.T, chunk string) {
	t.Helper()
	select {
	case m.chunks <- chunk:
	case <-time.After(waitTimeout):
		t.Fatal("the model stream is not being read")
	}
}

// unlabelled lists the visible controls of the page that have no accessible name.
const unlabelled = `[...document.querySelectorAll("input, select, textarea, button, a[href]")]
	.filter(e => e.offsetParent !== null)
	.filter(e => !((e.labels && e.labels.length) || e.getAttribute("aria-label") || e.textContent.trim()))
	.map(e => e.outerHTML.slice(0, 120))`

// shotView checks that the visible controls are labelled and saves a screenshot.
func shotView(t *testing.T, ctx context.Context, arts, id string) {
	t.Helper()
	if bad := evalJS[[]string](t, ctx, unlabelled); len(bad) > 0 {
		t.Errorf("%s view: controls without a label: %q", id, bad)
	}
	screenshot(t, ctx, arts, "controlui-view-"+id+".png")
}

// shownErrors lists what the page shows as an error: error lines and notes (soft ones
// too: they still report a failed request), alerts, conflicts, the chat's failed
// replies, the login error and the connection banner; an error inside another one is
// part of it. Log lines of level error are data, not errors of the page. Each label
// starts with the element's id when it has one, else its classes.
const shownErrors = `JSON.stringify((() => {
	const sel = ".error, [role=alert], .conflict, .msg.error, #banner";
	return [...document.querySelectorAll(sel)]
		.filter(e => !e.closest(".logs .line") && !e.closest("[hidden]") && !e.parentElement?.closest(sel) && e.getClientRects().length > 0 && e.textContent.trim())
		.map(e => ({label: e.id ? "#" + e.id : "." + [...e.classList].join("."), text: e.textContent.trim().replace(/\s+/g, " ").slice(0, 200), soft: e.classList.contains("soft")}));
})())`

type shownError struct {
	Label string `json:"label"`
	Text  string `json:"text"`
	Soft  bool   `json:"soft"`
}

// noErrorShown fails when the page shows an error (see shownErrors) where none is
// expected. allowed names the ones a test provokes on purpose, by the start of the
// element's label: its id ("#x") or its classes (".msg.assistant.error"). A soft
// note of a method the tab tolerates as unavailable (tolerateUnavailable) is no error.
func noErrorShown(t *testing.T, ctx context.Context, where string, allowed ...string) {
	t.Helper()
	for _, p := range shownProblems(t, ctx, allowed...) {
		t.Errorf("%s: %s", where, p)
	}
}

// shownProblems lists the errors the page shows (see noErrorShown) that are not
// allowed.
func shownProblems(t *testing.T, ctx context.Context, allowed ...string) []string {
	t.Helper()
	var shown []shownError
	if err := json.Unmarshal([]byte(evalJS[string](t, ctx, shownErrors)), &shown); err != nil {
		t.Fatal(err)
	}
	tolerated := map[string]bool{}
	if p, ok := ctx.Value(tabProbeKey{}).(*tabProbe); ok && len(p.unavailable) > 0 {
		for _, f := range recordedFailures(t, ctx) {
			if f.Code == string(protocol.ErrorCodeUnavailable) && p.unavailable[f.Method] {
				tolerated[f.Message] = true
			}
		}
	}
	var problems []string
next:
	for _, e := range shown {
		if e.Soft && tolerated[e.Text] {
			continue
		}
		for _, a := range allowed {
			if strings.HasPrefix(e.Label, a) {
				continue next
			}
		}
		problems = append(problems, fmt.Sprintf("the page shows an error: %s: %q", e.Label, e.Text))
	}
	return problems
}

// tabProbe is what a tab's test allowed to fail (method → why), gathered over every
// checkClean, for the check when the test ends, and the methods it tolerates as
// unavailable.
type tabProbe struct {
	mu          sync.Mutex
	allowed     map[string]string
	unavailable map[string]bool // fixed before the page opens
}

type tabProbeKey struct{}

// bareGatewayUnavailable are the methods the in-process gateway of startGW (the core
// methods only: no agent runtime, channels, cron, config file, device pairing or log
// file unless configured) answers with UNAVAILABLE; the UI shows each as a soft note.
var bareGatewayUnavailable = []string{"channels.status", "cron.status", "last-heartbeat", "config.get",
	"chat.history", "sessions.list", "device.pair.list", "logs.tail"}

// tolerateUnavailable lets this tab's requests of the given methods answer UNAVAILABLE
// (and their soft notes show) without failing the test; other failures of them still do.
func tolerateUnavailable(t *testing.T, ctx context.Context, methods ...string) {
	t.Helper()
	p, ok := ctx.Value(tabProbeKey{}).(*tabProbe)
	if !ok {
		t.Fatal("tolerateUnavailable: the context is not a tab from newBrowser")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range methods {
		p.unavailable[m] = true
	}
}

// checkClean is the strict check of a page: it fails on an error shown (see
// noErrorShown), on console errors, uncaught exceptions and CSP violations, and on any
// ok:false answer other than the allowed ones (method → why it fails here). An allowed
// failure that never happened fails too, so an allowance cannot outlive its reason.
// Allowed keys starting with "#" or "." name error elements the test provokes on
// purpose (see noErrorShown). newBrowser runs the same check of the recorded failures
// when the test ends.
func checkClean(t *testing.T, ctx context.Context, view string, allowed map[string]string) {
	t.Helper()
	var shown []string
	methods := map[string]string{}
	for k, v := range allowed {
		if isElementLabel(k) {
			shown = append(shown, k)
		} else {
			methods[k] = v
		}
	}
	noErrorShown(t, ctx, view, shown...)
	if p, ok := ctx.Value(tabProbeKey{}).(*tabProbe); ok {
		p.mu.Lock()
		maps.Copy(p.allowed, methods)
		p.mu.Unlock()
	}
	checkRecorded(t, ctx, view, methods)
}

func isElementLabel(k string) bool { return strings.HasPrefix(k, "#") || strings.HasPrefix(k, ".") }

// recordedFailures is what the probe recorded as ok:false answers in this tab.
func recordedFailures(t *testing.T, ctx context.Context) []failure {
	t.Helper()
	raw := evalJS[string](t, ctx, `JSON.stringify(window.__failed ?? null)`)
	if raw == "null" {
		t.Fatal("the page has no failure probe (window.__failed): was its tab opened with newBrowser?")
	}
	var failed []failure
	if err := json.Unmarshal([]byte(raw), &failed); err != nil {
		t.Fatal(err)
	}
	return failed
}

// checkRecorded checks what the probe recorded: failed requests against the allowed
// ones and the tolerated unavailable methods, and console errors.
func checkRecorded(t *testing.T, ctx context.Context, view string, allowed map[string]string) {
	t.Helper()
	for _, p := range recordedProblems(t, ctx, allowed) {
		t.Errorf("%s: %s", view, p)
	}
}

// recordedProblems lists what the probe recorded that the test did not allow:
// ok:false answers (other than allowed methods and tolerated unavailable ones), allowed
// failures that never happened, and console errors.
func recordedProblems(t *testing.T, ctx context.Context, allowed map[string]string) []string {
	t.Helper()
	var unavailable map[string]bool
	if p, ok := ctx.Value(tabProbeKey{}).(*tabProbe); ok {
		unavailable = p.unavailable
	}
	var problems []string
	seen := map[string]bool{}
	for _, f := range recordedFailures(t, ctx) {
		if f.Code == string(protocol.ErrorCodeUnavailable) && unavailable[f.Method] {
			continue
		}
		// The test's gateway stopping (its cleanup may run before this end-of-test
		// check) answers what the page asks meanwhile with this; a real page
		// reconnects after it, and it says nothing about the view under test.
		if f.Code == string(protocol.ErrorCodeUnavailable) && f.Message == "gateway is shutting down" {
			continue
		}
		if _, ok := allowed[f.Method]; ok {
			seen[f.Method] = true
			continue
		}
		problems = append(problems, fmt.Sprintf("unexpected ok:false for %s: %s %s", f.Method, f.Code, f.Message))
	}
	for m, why := range allowed {
		if !seen[m] {
			problems = append(problems, fmt.Sprintf("%s was allowed to fail (%s) but never did: a stale allowance", m, why))
		}
	}
	if errs := evalJS[[]string](t, ctx, `window.__consoleErrors ?? []`); len(errs) > 0 {
		problems = append(problems, fmt.Sprintf("console errors: %q", errs))
	}
	return problems
}

// TestViewsAgainstDaemon drives every view against the real binary in one browser:
// each loads cleanly; a cron job is added and run from the UI; an exec approval asked
// by a Go client is answered in the UI; config and debug work. Screenshots of every
// view (desktop, and the overview at phone width) go to the artifacts directory.
func TestViewsAgainstDaemon(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	model := newScriptedModel(t)
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
		models: { providers: { local: { baseUrl: %q, models: [] } } },
		agents: { defaults: { model: { primary: "local/m1" } } },
	}`, testToken, model.srv.URL+"/v1"))
	login(t, ctx, d.url())
	waitJS(t, ctx, "health", `document.getElementById("health").textContent.includes("Uptime")`)
	shotView(t, ctx, arts, "overview")
	checkClean(t, ctx, "overview", nil)

	// Chat: a turn on the real agent runtime streams into the page piece by piece.
	openView(t, ctx, "chat")
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
	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "Capital of France?"), chromedp.Click(chromedp.ID("chat-send")))
	if p := model.nextPrompt(t); !strings.Contains(p, "Capital of France?") {
		t.Fatalf("the model was asked %q", p)
	}
	lastBubble := `[...document.querySelectorAll("#chat-log .msg.assistant")].pop()`
	// The first piece is on screen while the model is still writing; the gateway
	// throttles later deltas, so the rest may arrive with the final.
	model.send(t, "Paris")
	waitJS(t, ctx, "the first streamed piece", lastBubble+`?.querySelector(".text").textContent === "Paris" && `+lastBubble+`.classList.contains("streaming") && !document.getElementById("chat-abort").hidden`)
	model.send(t, " is the")
	model.send(t, " capital.")
	model.send(t, endStream)
	waitJS(t, ctx, "the final reply", lastBubble+`.classList.contains("final") && `+lastBubble+`.querySelector(".text").textContent === "Paris is the capital." && document.getElementById("chat-abort").hidden`)
	if snaps := evalJS[[]string](t, ctx, `window.__snaps.filter(s => s !== "")`); len(snaps) < 2 || snaps[0] != "Paris" {
		t.Fatalf("the reply did not stream: texts shown %q", snaps)
	}
	shotView(t, ctx, arts, "chat")

	// Sessions: a second session (from a Go client) is deleted, the main one reset,
	// each with a confirming second click.
	cli := d.client(t)
	call(t, cli, "chat.send", map[string]any{"sessionKey": "agent:main:scratch", "message": "scratch", "idempotencyKey": "scratch-1"}, nil)
	model.nextPrompt(t)
	model.send(t, "ok")
	model.send(t, endStream)
	sessionIDs := func() map[string]string {
		var r struct {
			Sessions []struct {
				Key       string `json:"key"`
				SessionID string `json:"sessionId"`
			} `json:"sessions"`
		}
		call(t, cli, "sessions.list", map[string]any{}, &r)
		ids := map[string]string{}
		for _, s := range r.Sessions {
			ids[s.Key] = s.SessionID
		}
		return ids
	}
	before := sessionIDs()
	if before["agent:main:main"] == "" || before["agent:main:scratch"] == "" {
		t.Fatalf("sessions before the UI acts: %v", before)
	}
	openView(t, ctx, "sessions")
	row := func(key string) string { return fmt.Sprintf(`#sessions tr[data-key=%s]`, jsString(key)) }
	waitJS(t, ctx, "both sessions", `document.querySelector(`+jsString(row("agent:main:main"))+`) && document.querySelector(`+jsString(row("agent:main:scratch"))+`)`)
	if !evalJS[bool](t, ctx, `document.querySelector(`+jsString(row("agent:main:main")+" button.delete")+`).disabled`) {
		t.Error("the main session offers Delete, which the gateway always refuses")
	}
	shotView(t, ctx, arts, "sessions")
	do(t, ctx, chromedp.Click(chromedp.CSS(row("agent:main:scratch")+" button.delete")))
	waitJS(t, ctx, "the armed delete", `document.querySelector(`+jsString(row("agent:main:scratch")+" button.delete")+`).textContent === "Confirm delete"`)
	do(t, ctx, chromedp.Click(chromedp.CSS(row("agent:main:scratch")+" button.delete")))
	waitJS(t, ctx, "the deleted session", `document.querySelector(`+jsString(row("agent:main:scratch"))+`) === null`)
	do(t, ctx, chromedp.Click(chromedp.CSS(row("agent:main:main")+" button.reset")), chromedp.Click(chromedp.CSS(row("agent:main:main")+" button.reset")))
	waitJS(t, ctx, "the reset notice", `document.getElementById("sessions-card").textContent.includes("was reset")`)
	after := sessionIDs()
	if _, ok := after["agent:main:scratch"]; ok {
		t.Errorf("agent:main:scratch still listed after the UI deleted it: %v", after)
	}
	if after["agent:main:main"] == "" || after["agent:main:main"] == before["agent:main:main"] {
		t.Errorf("main session id %q → %q: the UI reset did not start a new transcript", before["agent:main:main"], after["agent:main:main"])
	}

	// Cron: add a job through the form, run it now, see its run log.
	openView(t, ctx, "cron")
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("cron-name"), "ui beacon"),
		chromedp.SendKeys(chromedp.ID("cron-text"), "hello from the control ui"),
		chromedp.Click(chromedp.ID("cron-add-submit")),
	)
	waitJS(t, ctx, "the added job", `[...document.querySelectorAll("#cron-jobs tbody tr")].some(r => r.textContent.includes("ui beacon") && r.textContent.includes("every 1h"))`)
	var list struct {
		Jobs []struct {
			ID, Name string
		} `json:"jobs"`
	}
	call(t, cli, "cron.list", map[string]any{"includeDisabled": true}, &list)
	if len(list.Jobs) != 1 || list.Jobs[0].Name != "ui beacon" {
		t.Fatalf("gateway cron jobs after the UI add: %+v", list.Jobs)
	}
	jobSel := fmt.Sprintf(`#cron-jobs tr[data-job-id=%s]`, jsString(list.Jobs[0].ID))
	do(t, ctx, chromedp.Click(chromedp.CSS(jobSel+" button.run")))
	waitJS(t, ctx, "the run in the run log", `document.querySelectorAll("#cron-runs li.run-entry").length >= 1 && document.getElementById("cron-notice").textContent.includes("ran")`)
	var runs struct {
		Entries []struct {
			Status string `json:"status"`
		} `json:"entries"`
	}
	call(t, cli, "cron.runs", map[string]any{"id": list.Jobs[0].ID}, &runs)
	if len(runs.Entries) == 0 {
		t.Fatal("cron.runs is empty after Run now in the UI")
	}
	shotView(t, ctx, arts, "cron")
	// Remove asks for a confirming second click: one click only arms the button.
	do(t, ctx, chromedp.Click(chromedp.CSS(jobSel+" button.remove")))
	waitJS(t, ctx, "the armed remove", `document.querySelector(`+jsString(jobSel+" button.remove")+`)?.textContent === "Confirm remove"`)
	call(t, cli, "cron.list", map[string]any{"includeDisabled": true}, &list)
	if len(list.Jobs) != 1 {
		t.Fatalf("one click on Remove removed the job: %+v", list.Jobs)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(jobSel+" button.remove")))
	waitJS(t, ctx, "the removed job", `document.querySelector(`+jsString(jobSel)+`) === null && document.getElementById("cron-notice").textContent === "Removed."`)
	call(t, cli, "cron.list", map[string]any{"includeDisabled": true}, &list)
	if len(list.Jobs) != 0 {
		t.Fatalf("the confirmed Remove left the job: %+v", list.Jobs)
	}

	// Exec approvals: a Go client asks; the prompt shows live (with a nav badge) and
	// Allow once answers the waiting request.
	openView(t, ctx, "overview")
	type decision struct {
		res map[string]any
		err error
	}
	answered := make(chan decision, 1)
	go func() {
		var res map[string]any
		err := cli.Call(context.Background(), "exec.approval.request", map[string]any{"id": "ui-approval-1", "command": "rm -rf /tmp/ui-test", "cwd": "/tmp", "host": "gateway", "timeoutMs": 60000}, &res)
		answered <- decision{res, err}
	}()
	waitJS(t, ctx, "the approvals badge", `document.getElementById("approvals-badge")?.textContent === "1"`)
	openView(t, ctx, "approvals")
	sel := `li.approval[data-approval-id="ui-approval-1"]`
	waitJS(t, ctx, "the prompt", `document.querySelector(`+jsString(sel)+`)?.textContent.includes("rm -rf /tmp/ui-test")`)
	shotView(t, ctx, arts, "approvals")
	do(t, ctx, chromedp.Click(chromedp.CSS(sel+" button.allow-once")))
	select {
	case d := <-answered:
		if d.err != nil {
			t.Fatalf("exec.approval.request: %v", d.err)
		}
		if d.res["decision"] != "allow-once" {
			t.Fatalf("decision %v, want allow-once", d.res)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the approval request was not answered after the click")
	}
	waitJS(t, ctx, "the prompt to go", `document.querySelector(`+jsString(sel)+`) === null && document.getElementById("approvals-done").textContent.includes("allow-once") && !document.getElementById("approvals-badge")`)

	// Config: the raw file loads (the token redacted); an edit is saved with config.set
	// and is in the file; an edit based on a stale copy is refused, not lost.
	openView(t, ctx, "config")
	waitJS(t, ctx, "the config file", `document.getElementById("config-raw").value.includes("gateway") && !document.getElementById("config-raw").value.includes(`+jsString(testToken)+`)`)
	editRaw := func(marker string) {
		evalJS[chromedp.Void](t, ctx, `(() => {
			const ta = document.getElementById("config-raw");
			ta.value = "// `+marker+`\n" + ta.value;
			ta.dispatchEvent(new Event("input", {bubbles: true}));
		})()`)
		do(t, ctx, chromedp.Click(chromedp.ID("config-save")))
	}
	editRaw("edited in the control ui")
	waitJS(t, ctx, "the saved config", `document.getElementById("config-card").textContent.includes("Saved") && document.getElementById("config-save").disabled`)
	var cfgNow struct {
		Raw  string `json:"raw"`
		Hash string `json:"hash"`
	}
	call(t, cli, "config.get", map[string]any{}, &cfgNow)
	if !strings.Contains(cfgNow.Raw, "// edited in the control ui") {
		t.Fatalf("config file after the UI save:\n%s", cfgNow.Raw)
	}
	if b, err := os.ReadFile(filepath.Join(d.home, "clawdbot.json")); err != nil || !strings.Contains(string(b), testToken) {
		t.Fatalf("the token was not kept through the redacted round trip (err %v)", err)
	}
	// Someone else writes the file; the page's copy is now stale.
	call(t, cli, "config.set", map[string]any{"raw": "// changed elsewhere\n" + cfgNow.Raw, "baseHash": cfgNow.Hash}, nil)
	editRaw("stale edit")
	waitJS(t, ctx, "the refused stale save", `document.getElementById("config-save-error")?.textContent.length > 0`)
	shotView(t, ctx, arts, "config")
	call(t, cli, "config.get", map[string]any{}, &cfgNow)
	if strings.Contains(cfgNow.Raw, "stale edit") || !strings.Contains(cfgNow.Raw, "changed elsewhere") {
		t.Fatalf("a stale save overwrote the file:\n%s", cfgNow.Raw)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("config-reload")))
	waitJS(t, ctx, "the reloaded file", `document.getElementById("config-raw").value.includes("changed elsewhere") && !document.getElementById("config-raw").value.includes("stale edit")`)

	// Debug: a raw call and the event stream.
	openView(t, ctx, "debug")
	do(t, ctx, chromedp.Click(chromedp.ID("debug-call")))
	waitJS(t, ctx, "the raw health answer", `document.getElementById("debug-result").textContent.includes('"ok"')`)
	waitJS(t, ctx, "events in the stream", `document.querySelectorAll("#debug-events li").length > 0`)
	shotView(t, ctx, arts, "debug")

	openView(t, ctx, "logs")
	shotView(t, ctx, arts, "logs")

	// Keyboard: the navigation links are reachable and Enter opens a view.
	evalJS[chromedp.Void](t, ctx, `document.getElementById("nav-cron").focus()`)
	do(t, ctx, chromedp.KeyEvent("\r"))
	waitJS(t, ctx, "the cron view by keyboard", `!document.getElementById("view-cron").hidden && location.hash === "#/cron"`)

	// Phone width: the overview still fits (no horizontal page scroll).
	openView(t, ctx, "overview")
	do(t, ctx, chromedp.EmulateViewport(390, 844))
	waitJS(t, ctx, "a narrow layout", `window.innerWidth <= 400`)
	if w := evalJS[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); w > 2 {
		t.Errorf("the overview scrolls sideways by %dpx at phone width", w)
	}
	screenshot(t, ctx, arts, "controlui-view-overview-phone.png")

	// Dark theme from the theme button (auto → light → dark), kept across a reload.
	do(t, ctx, chromedp.Click(chromedp.ID("theme")), chromedp.Click(chromedp.ID("theme")))
	waitJS(t, ctx, "the dark theme", `document.documentElement.dataset.theme === "dark" && getComputedStyle(document.body).backgroundColor === "rgb(14, 16, 22)"`)
	screenshot(t, ctx, arts, "controlui-view-overview-phone-dark.png")

	checkClean(t, ctx, "all", map[string]string{"config.set": "the stale save above is refused on purpose"})
}
