package controlui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// Browser tests of the config form, the log filters, exec approvals with allowlists,
// and the browser's device identity, each against the real binary.

// probePage installs extra scripts that run before the app (after the failure probe,
// which newBrowser installs in every tab).
func probePage(t *testing.T, ctx context.Context, extra ...string) {
	t.Helper()
	for _, src := range extra {
		if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
			t.Fatal(err)
		}
	}
}

// setField types a value into an emptied config form input and waits for the form to
// count it as changed.
func setField(t *testing.T, ctx context.Context, path, value string) {
	t.Helper()
	sel := fmt.Sprintf(`[data-path=%s]`, jsString(path))
	waitJS(t, ctx, "the field "+path, `document.querySelector(`+jsString(sel)+`) !== null`)
	evalJS[chromedp.Void](t, ctx, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.focus(); e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(sel), value))
	waitJS(t, ctx, "the edit of "+path, `document.querySelector(`+jsString(sel)+`).closest(".cfg-field").classList.contains("edited")`)
}

func configGet(t *testing.T, cli *gatewayclient.Client) (cfg map[string]any, hash string) {
	t.Helper()
	var r struct {
		Config map[string]any `json:"config"`
		Hash   string         `json:"hash"`
	}
	call(t, cli, "config.get", map[string]any{}, &r)
	return r.Config, r.Hash
}

func dig(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		o, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = o[p]
	}
	return cur
}

// TestConfigFormApplies: the form is built from config.schema (sections, a masked
// secret); a number and an enum changed in the form are applied as one config.patch
// and are in the file; a patch based on a stale copy is shown as a conflict, the
// form keeps the edit, and after Reload it applies.
func TestConfigFormApplies(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
	}`, testToken))
	login(t, ctx, d.url())
	cli := d.client(t)

	openView(t, ctx, "config")
	waitJS(t, ctx, "the form's sections", `document.querySelectorAll("#config-form details.cfg-section").length >= 10 && document.querySelector('details[data-section="gateway"]')`)
	do(t, ctx, chromedp.Click(chromedp.ID("cfg-section-gateway")))
	tok := `document.querySelector('[data-path="gateway.auth.token"]')`
	waitJS(t, ctx, "the masked token", tok+`?.type === "password" && `+tok+`.value === "" && `+tok+`.placeholder.includes("hidden")`)
	// Advanced keys (uiHints advanced) appear only with "show advanced".
	adv := `document.querySelector('[data-path="gateway.tickIntervalMs"]')`
	if evalJS[bool](t, ctx, adv+` !== null`) {
		t.Error("an advanced key is shown before \"show advanced\"")
	}
	do(t, ctx, chromedp.Click(chromedp.ID("config-form-advanced")))
	waitJS(t, ctx, "the advanced key", adv+` !== null`)
	do(t, ctx, chromedp.Click(chromedp.ID("config-form-advanced")))
	waitJS(t, ctx, "the advanced key hidden", adv+` === null`)
	// "Find a setting" narrows the form to matching keys.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("config-form-filter"), "reload debounce"))
	waitJS(t, ctx, "the filtered form", `document.querySelectorAll("#config-form details.cfg-section").length === 1 && document.querySelector('[data-path="gateway.reload.debounceMs"]') && !document.querySelector('[data-path="gateway.auth.token"]')`)
	evalJS[chromedp.Void](t, ctx, `(() => { const i = document.getElementById("config-form-filter"); i.value = ""; i.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	waitJS(t, ctx, "the whole form, only the section the user opened open", `document.querySelector('[data-path="gateway.auth.token"]') !== null && [...document.querySelectorAll("#config-form details.cfg-section[open]")].map(d => d.dataset.section).join() === "gateway"`)
	setField(t, ctx, "gateway.reload.debounceMs", "750")
	evalJS[chromedp.Void](t, ctx, `(() => { const s = document.querySelector('[data-path="gateway.reload.mode"]'); s.value = "hot"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
	waitJS(t, ctx, "two pending edits", `document.getElementById("config-form-apply").textContent.includes("Apply 2 changes")`)
	shotView(t, ctx, arts, "config-form")
	do(t, ctx, chromedp.Click(chromedp.ID("config-form-apply")))
	waitJS(t, ctx, "the applied patch", `document.getElementById("config-notice")?.textContent.includes("Applied") && document.getElementById("config-form-apply").disabled`)
	cfg, hash := configGet(t, cli)
	if got := dig(cfg, "gateway", "reload", "debounceMs"); got != float64(750) {
		t.Fatalf("gateway.reload.debounceMs after the form = %v", got)
	}
	if got := dig(cfg, "gateway", "reload", "mode"); got != "hot" {
		t.Fatalf("gateway.reload.mode after the form = %v", got)
	}
	disk, err := os.ReadFile(filepath.Join(d.home, "clawdbot.json"))
	if err != nil || !strings.Contains(string(disk), testToken) || !strings.Contains(string(disk), "750") {
		t.Fatalf("the file on disk after the form (err %v):\n%s", err, disk)
	}

	// Someone else patches the file; the form's next apply is refused as a conflict,
	// the edit survives, and after Reload it goes through.
	call(t, cli, "config.patch", map[string]any{"raw": `{gateway: {reload: {debounceMs: 900}}}`, "baseHash": hash}, nil)
	setField(t, ctx, "gateway.controlUi.basePath", "/ctl")
	do(t, ctx, chromedp.Click(chromedp.ID("config-form-apply")))
	waitJS(t, ctx, "the conflict", `document.getElementById("config-conflict")?.textContent.includes("changed on the gateway")`)
	waitJS(t, ctx, "the kept edit", `document.getElementById("config-form-apply").textContent.includes("Apply 1 change") && document.querySelector('[data-path="gateway.controlUi.basePath"]').value === "/ctl"`)
	screenshot(t, ctx, arts, "controlui-view-config-conflict.png")
	if cfg, _ := configGet(t, cli); dig(cfg, "gateway", "controlUi", "basePath") != nil {
		t.Fatal("a stale form patch was written")
	}
	do(t, ctx, chromedp.Click(chromedp.ID("config-conflict-reload")))
	waitJS(t, ctx, "the reloaded file", `!document.getElementById("config-conflict") && document.querySelector('[data-path="gateway.reload.debounceMs"]').value === "900"`)
	do(t, ctx, chromedp.Click(chromedp.ID("config-form-apply")))
	waitJS(t, ctx, "the second apply", `document.getElementById("config-notice")?.textContent.includes("Applied") && document.getElementById("config-form-apply").disabled`)
	cfg, _ = configGet(t, cli)
	if dig(cfg, "gateway", "controlUi", "basePath") != "/ctl" || dig(cfg, "gateway", "reload", "debounceMs") != float64(900) {
		t.Fatalf("after reload and apply: controlUi %v reload %v", dig(cfg, "gateway", "controlUi"), dig(cfg, "gateway", "reload"))
	}

	// A bad number is refused in the page, not sent.
	setField(t, ctx, "gateway.reload.debounceMs", "1.5")
	waitJS(t, ctx, "the refused field", `document.querySelector('[data-path="gateway.reload.debounceMs"]').value === "1.5" && document.querySelector('[data-path="gateway.reload.debounceMs"]').closest(".cfg-field").classList.contains("invalid") && document.getElementById("config-form-apply").disabled`)
	do(t, ctx, chromedp.Click(chromedp.ID("config-form-discard")))

	noErrorShown(t, ctx, "config")
	phoneDark(t, ctx, arts, "config")
	checkClean(t, ctx, "config", map[string]string{"config.patch": "the stale patch above is refused on purpose"})
}

// phoneDark checks that a view fits a phone-width screen (no sideways scroll), then
// switches to the dark theme and saves a screenshot of both.
func phoneDark(t *testing.T, ctx context.Context, arts, view string) {
	t.Helper()
	do(t, ctx, chromedp.EmulateViewport(390, 844))
	waitJS(t, ctx, "a narrow layout", `window.innerWidth <= 400`)
	if w := evalJS[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); w > 2 {
		t.Errorf("the %s view scrolls sideways by %dpx at phone width; too wide: %q", view, w, evalJS[[]string](t, ctx, tooWide))
	}
	do(t, ctx, chromedp.Click(chromedp.ID("theme")), chromedp.Click(chromedp.ID("theme")))
	waitJS(t, ctx, "the dark theme", `document.documentElement.dataset.theme === "dark"`)
	screenshot(t, ctx, arts, "controlui-view-"+view+"-phone-dark.png")
}

// tooWide lists the innermost visible elements that end right of the viewport.
const tooWide = `[...document.querySelectorAll("#dash *")].filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > window.innerWidth + 1 && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1)).slice(0, 8).map(e => e.tagName + "#" + e.id + "." + e.className + " " + Math.round(e.getBoundingClientRect().width))`

// TestLogsFilterLevels: lines of every level and two subsystems in the gateway's log
// file are shown; unticking levels, choosing a subsystem and typing a filter hide
// exactly the lines they should, and lines appended later arrive through the cursor.
func TestLogsFilterLevels(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	logDir := t.TempDir()
	logFile := filepath.Join(logDir, "gateway.log")
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
		logging: { file: %q, level: "info" },
	}`, testToken, logFile))
	appendLog := func(lines ...string) {
		t.Helper()
		f, err := os.OpenFile(logFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, l := range lines {
			if _, err := fmt.Fprintln(f, l); err != nil {
				t.Fatal(err)
			}
		}
	}
	rec := func(level, sub, msg string) string {
		b, _ := json.Marshal(map[string]any{"time": time.Now().UTC().Format(time.RFC3339Nano), "level": level, "msg": msg, "subsystem": sub})
		return string(b)
	}
	appendLog(rec("DEBUG", "uitest", "uia-debug-line"), rec("INFO", "uitest", "uia-info-line"), rec("WARN", "uitest", "uia-warn-line"),
		rec("ERROR", "other", "uia-error-line"))
	login(t, ctx, d.url())
	openView(t, ctx, "logs")
	box := `document.getElementById("logs").textContent`
	waitJS(t, ctx, "the lines", box+`.includes("uia-debug-line") && `+box+`.includes("uia-error-line")`)
	if !evalJS[bool](t, ctx, `!document.getElementById("logs-level-trace").checked && document.getElementById("logs-level-info").checked`) {
		t.Error("default levels: trace should be off and info on")
	}

	// Untick debug and info: only warn and error lines stay.
	do(t, ctx, chromedp.Click(chromedp.ID("logs-level-debug")), chromedp.Click(chromedp.ID("logs-level-info")))
	waitJS(t, ctx, "debug and info hidden", `!`+box+`.includes("uia-debug-line") && !`+box+`.includes("uia-info-line") && `+box+`.includes("uia-warn-line") && `+box+`.includes("uia-error-line")`)
	if n := evalJS[int](t, ctx, `document.querySelectorAll('#logs .line[data-level="info"], #logs .line[data-level="debug"]').length`); n != 0 {
		t.Errorf("%d info/debug lines still shown", n)
	}
	// Subsystem "other", picked by keyboard as a user does (type-ahead): only the
	// error line.
	do(t, ctx, chromedp.Focus(chromedp.ID("logs-subsystem")), chromedp.KeyEvent("o"))
	waitJS(t, ctx, "subsystem other", `!`+box+`.includes("uia-warn-line") && `+box+`.includes("uia-error-line")`)
	// A live update adds a subsystem that sorts before the chosen one: the select
	// still shows "other" (it used to move to the option now in its place).
	appendLog(rec("ERROR", "aaa-new", "uia-new-subsystem-line"))
	sub := `document.getElementById("logs-subsystem")`
	waitJS(t, ctx, "the new subsystem option", `[...`+sub+`.options].map(o => o.value).indexOf("aaa-new") === 1`)
	if got := evalJS[string](t, ctx, sub+`.value + "|" + `+sub+`.selectedOptions[0].textContent`); got != "other|other" {
		t.Errorf("the subsystem select shows %q after a live update, want other", got)
	}
	if evalJS[bool](t, ctx, box+`.includes("uia-new-subsystem-line")`) {
		t.Error("a line of another subsystem shows under the subsystem filter")
	}
	evalJS[chromedp.Void](t, ctx, `(() => { const s = document.getElementById("logs-subsystem"); s.value = ""; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
	// Text filter.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("logs-filter"), "warn-line"))
	waitJS(t, ctx, "the text filter", box+`.includes("uia-warn-line") && !`+box+`.includes("uia-error-line")`)
	// A new line arrives through the cursor and passes the filter.
	appendLog(rec("WARN", "uitest", "uia-late-warn-line"), rec("INFO", "uitest", "uia-late-info-line"))
	waitJS(t, ctx, "the appended line", box+`.includes("uia-late-warn-line") && !`+box+`.includes("uia-late-info-line")`)
	shotView(t, ctx, arts, "logs-filtered")
	// Ticking info again shows the late info line, which was fetched all along.
	do(t, ctx, chromedp.Click(chromedp.ID("logs-level-info")))
	evalJS[chromedp.Void](t, ctx, `(() => { const i = document.getElementById("logs-filter"); i.value = ""; i.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	waitJS(t, ctx, "info back", box+`.includes("uia-late-info-line") && `+box+`.includes("uia-info-line")`)
	// Follow: scrolling up pauses it.
	appendLog(func() []string {
		var ls []string
		for i := 0; i < 80; i++ {
			ls = append(ls, rec("INFO", "uitest", fmt.Sprintf("uia-filler-%d", i)))
		}
		return ls
	}()...)
	waitJS(t, ctx, "the filler, followed", box+`.includes("uia-filler-79") && (() => { const b = document.getElementById("logs"); return b.scrollHeight - b.scrollTop - b.clientHeight < 8; })()`)
	evalJS[chromedp.Void](t, ctx, `(() => { const b = document.getElementById("logs"); b.scrollTop = 0; b.dispatchEvent(new Event("scroll")); })()`)
	waitJS(t, ctx, "follow paused", `!document.getElementById("logs-follow").checked`)
	noErrorShown(t, ctx, "logs")
	phoneDark(t, ctx, arts, "logs")
	checkClean(t, ctx, "logs", nil)
}

// TestExecApprovalLetsRunFinish: a chat run's exec tool call waits for approval; the
// prompt appears live in the UI, Allow once lets the command run (its file appears in
// the workspace) and the run finishes. Then the allowlist editor adds a pattern for
// agent main through exec.approvals.set, and a stale save is shown as a conflict.
func TestExecApprovalLetsRunFinish(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	ws := t.TempDir()
	model := newExecTurnModel(t) // "run: <command>" asks for the exec tool
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
		models: { providers: { local: { baseUrl: %q, apiKey: "k", models: [] } } },
		agents: { defaults: { workspace: %q, model: { primary: "local/m1" } } },
		tools: { exec: { security: "allowlist", ask: "always" } },
	}`, testToken, model.srv.URL+"/v1", ws))
	login(t, ctx, d.url())
	openView(t, ctx, "approvals")
	waitJS(t, ctx, "the allowlist editor", `document.getElementById("allowlist") !== null`)
	cli := d.client(t)
	call(t, cli, "chat.send", map[string]any{"sessionKey": "main", "message": "run: touch approved-by-ui.txt", "idempotencyKey": "uia-approval-run"}, nil)

	item := `document.querySelector("#approvals li.approval")`
	waitJS(t, ctx, "the live prompt", item+`?.textContent.includes("touch approved-by-ui.txt") && document.getElementById("approvals-badge")?.textContent === "1"`)
	if _, err := os.Stat(filepath.Join(ws, "approved-by-ui.txt")); err == nil {
		t.Fatal("the command ran before anyone approved it")
	}
	shotView(t, ctx, arts, "approvals-pending")
	do(t, ctx, chromedp.Click(chromedp.CSS("#approvals li.approval button.allow-once")))
	waitJS(t, ctx, "the answered prompt", item+` === null && document.getElementById("approvals-done")?.textContent.includes("allow-once")`)

	// The run finishes: the file exists and the model got the tool result back.
	deadline := time.Now().Add(waitTimeout)
	for {
		_, err := os.Stat(filepath.Join(ws, "approved-by-ui.txt"))
		reqs := model.lastMessages()
		if err == nil && len(reqs) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not finish after Allow once: file err %v, model requests %d", err, len(reqs))
		}
		time.Sleep(50 * time.Millisecond)
	}
	var hist struct {
		Messages []map[string]any `json:"messages"`
	}
	for deadline = time.Now().Add(waitTimeout); ; time.Sleep(50 * time.Millisecond) {
		call(t, cli, "chat.history", map[string]any{"sessionKey": "main"}, &hist)
		if n := len(hist.Messages); n > 0 && strings.Contains(fmt.Sprint(hist.Messages[n-1]), "result:") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chat.history does not end with the final reply: %v", hist.Messages)
		}
	}

	// Allowlist: add a pattern for agent main from the UI and save.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("allowlist-pattern"), "/usr/bin/git"), chromedp.Click(chromedp.ID("allowlist-add-submit")))
	waitJS(t, ctx, "the added row", `document.querySelector('#allowlist tr[data-pattern="/usr/bin/git"]') !== null && !document.getElementById("allowlist-save").disabled`)
	evalJS[chromedp.Void](t, ctx, `(() => { const s = document.getElementById("allowlist-ask"); s.value = "on-miss"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
	do(t, ctx, chromedp.Click(chromedp.ID("allowlist-save")))
	waitJS(t, ctx, "the saved allowlist", `document.getElementById("allowlist-notice")?.textContent === "Saved." && document.getElementById("allowlist-save").disabled`)
	var appr struct {
		Hash string `json:"hash"`
		File struct {
			Agents map[string]struct {
				Ask       string `json:"ask"`
				Allowlist []struct {
					Pattern string `json:"pattern"`
				} `json:"allowlist"`
			} `json:"agents"`
		} `json:"file"`
	}
	call(t, cli, "exec.approvals.get", map[string]any{}, &appr)
	main := appr.File.Agents["main"]
	if main.Ask != "on-miss" || len(main.Allowlist) != 1 || main.Allowlist[0].Pattern != "/usr/bin/git" {
		t.Fatalf("agents.main after the UI save: %+v", main)
	}
	shotView(t, ctx, arts, "approvals-allowlist")

	// A stale save: another client writes the file first.
	var raw map[string]any
	call(t, cli, "exec.approvals.get", map[string]any{}, &raw)
	file := raw["file"].(map[string]any)
	file["defaults"] = map[string]any{"askFallback": "deny"}
	call(t, cli, "exec.approvals.set", map[string]any{"file": file, "baseHash": raw["hash"]}, nil)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#allowlist tr[data-pattern="/usr/bin/git"] button.remove`)), chromedp.Click(chromedp.ID("allowlist-save")))
	waitJS(t, ctx, "the allowlist conflict", `document.getElementById("allowlist-conflict") !== null`)
	call(t, cli, "exec.approvals.get", map[string]any{}, &appr)
	if len(appr.File.Agents["main"].Allowlist) != 1 {
		t.Fatal("a stale allowlist save was written")
	}
	do(t, ctx, chromedp.Click(chromedp.ID("allowlist-conflict-reload")))
	waitJS(t, ctx, "the reloaded allowlist", `!document.getElementById("allowlist-conflict") && document.querySelector('#allowlist tr[data-pattern="/usr/bin/git"]') !== null`)
	noErrorShown(t, ctx, "approvals")
	phoneDark(t, ctx, arts, "approvals")
	checkClean(t, ctx, "approvals", map[string]string{"exec.approvals.set": "the stale save above is refused on purpose"})
}

// connectProbe records the params of every connect the page sends.
const connectProbe = `(() => {
	window.__connects = [];
	const send = WebSocket.prototype.send;
	WebSocket.prototype.send = function (data) {
		try { const f = JSON.parse(data); if (f.method === "connect") window.__connects.push(f.params); } catch {}
		return send.call(this, data);
	};
})();`

// TestDeviceIdentityPairs: a Control UI reached through a proxy (so the gateway does
// not treat it as local and auto-approve it) connects with a WebCrypto Ed25519 device
// identity signed over the challenge nonce; the gateway holds a pairing request,
// which the page shows; once a second client approves it the UI connects, keeps the
// device token, and after a reload connects with that token alone. A browser without
// Ed25519 falls back to the shared token.
func TestDeviceIdentityPairs(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
	}`, testToken))
	target, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", d.port))
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target)) // adds X-Forwarded-For
	t.Cleanup(proxy.Close)
	probePage(t, ctx, connectProbe)
	cli := d.client(t)

	do(t, ctx, chromedp.Navigate(proxy.URL+"/"))
	waitJS(t, ctx, "the token form", `!document.getElementById("login").hidden`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("token"), testToken), chromedp.Click(chromedp.ID("connect")))
	waitJS(t, ctx, "the pairing banner", `document.getElementById("banner-text").textContent.includes("waiting for device pairing approval")`)
	screenshot(t, ctx, arts, "controlui-device-pairing.png")

	list := devicePairs(t, cli)
	if len(list.Pending) != 1 || list.Pending[0].ClientID != "clawdbot-control-ui" {
		t.Fatalf("pending device requests: %+v", list.Pending)
	}
	req := list.Pending[0]
	first := evalJS[map[string]any](t, ctx, `window.__connects[0]`)
	dev, _ := first["device"].(map[string]any)
	if dev == nil || dev["id"] != req.DeviceID || dev["nonce"] == nil || dev["nonce"] == "" || dev["signature"] == nil {
		t.Fatalf("the connect's device block %v does not match the request %+v", first["device"], req)
	}
	if ui := evalJS[string](t, ctx, `document.getElementById("banner-text").textContent`); !strings.Contains(ui, req.RequestID) {
		t.Errorf("the banner %q does not name request %s", ui, req.RequestID)
	}
	idbKey := `new Promise((res) => { const o = indexedDB.open("clawdbot-control-ui"); o.onsuccess = () => { const g = o.result.transaction("keys").objectStore("keys").get("device-identity-v1"); g.onsuccess = () => res(String(g.result.privateKey.extractable) + " " + g.result.privateKey.algorithm.name); }; })`
	tctx, cancel := context.WithTimeout(ctx, waitTimeout)
	ext, err := chromedp.Run(tctx, chromedp.Evaluate[string](idbKey, chromedp.EvalAwaitPromise))
	cancel()
	if err != nil || ext != "false Ed25519" {
		t.Errorf("stored private key: extractable/algorithm = %q (err %v), want a non-extractable Ed25519 key", ext, err)
	}

	call(t, cli, "device.pair.approve", map[string]any{"requestId": req.RequestID}, nil)
	waitConnected(t, ctx)
	tokJS := `JSON.parse(localStorage.getItem("clawdbot.device.auth.v1") || "null")?.tokens?.operator?.token || ""`
	devTok := evalJS[string](t, ctx, tokJS)
	if devTok == "" || devTok == testToken {
		t.Fatalf("device token stored after approval: %q", devTok)
	}
	list = devicePairs(t, cli)
	if len(list.Pending) != 0 || len(list.Paired) != 1 || list.Paired[0].DeviceID != req.DeviceID {
		t.Fatalf("after approval: pending %+v paired %+v", list.Pending, list.Paired)
	}

	// A revoked device token is dropped: the page falls back to the shared token (the
	// device stays paired, so it connects) and a fresh device token replaces the old.
	call(t, cli, "device.token.revoke", map[string]any{"deviceId": req.DeviceID, "role": "operator"}, nil)
	do(t, ctx, chromedp.Reload())
	waitConnected(t, ctx)
	waitJS(t, ctx, "a fresh device token", `(`+tokJS+`) !== "" && (`+tokJS+`) !== `+jsString(devTok))
	tokens := evalJS[[]string](t, ctx, `window.__connects.map(p => p.auth?.token ?? "")`)
	if len(tokens) != 2 || tokens[0] != devTok || tokens[1] != testToken {
		t.Fatalf("connect tokens after the revoke: %q, want the revoked device token, then the shared token", tokens)
	}
	devTok = evalJS[string](t, ctx, tokJS)

	// Forget the shared token: the page connects with its device token alone.
	evalJS[chromedp.Void](t, ctx, `localStorage.removeItem("clawdbot.controlUi.auth")`)
	do(t, ctx, chromedp.Reload())
	waitConnected(t, ctx)
	last := evalJS[map[string]any](t, ctx, `window.__connects[window.__connects.length - 1]`)
	if auth, _ := last["auth"].(map[string]any); auth == nil || auth["token"] != devTok {
		t.Fatalf("reconnect auth %v, want the device token", last["auth"])
	}
	checkClean(t, ctx, "device", map[string]string{"connect": "pairing required until the approval above; the revoked device token is refused"})
	// "Change token" forgets the device token too: a reload asks for the token again.
	do(t, ctx, chromedp.Click(chromedp.ID("logout")))
	waitJS(t, ctx, "the token form", `!document.getElementById("login").hidden && !localStorage.getItem("clawdbot.device.auth.v1")`)
	do(t, ctx, chromedp.Reload())
	waitJS(t, ctx, "the token form after a reload", `!document.getElementById("login").hidden && document.body.dataset.conn === "idle"`)

	// Without WebCrypto Ed25519 (older browsers) the UI connects with the token alone,
	// straight to the gateway (local, so no device identity is needed).
	ctx2 := newBrowser(t)
	probePage(t, ctx2, connectProbe, `(() => {
		const gen = crypto.subtle.generateKey.bind(crypto.subtle);
		crypto.subtle.generateKey = (alg, ...rest) => (alg && (alg === "Ed25519" || alg.name === "Ed25519")) ? Promise.reject(new DOMException("Unrecognized name", "NotSupportedError")) : gen(alg, ...rest);
	})();`)
	login(t, ctx2, d.url())
	if dev := evalJS[bool](t, ctx2, `window.__connects.some(p => p.device)`); dev {
		t.Error("a browser without Ed25519 sent a device block")
	}
	// The paired browser is listed, seen from the Debug view (Ctrl+Enter calls).
	openView(t, ctx2, "debug")
	evalJS[chromedp.Void](t, ctx2, `(() => { const m = document.getElementById("debug-method"); m.value = "device.pair.list"; document.getElementById("debug-params").focus(); })()`)
	do(t, ctx2, chromedp.KeyEvent("\r", chromedp.KeyModifiers(kb.ModifierCtrl)))
	waitJS(t, ctx2, "the device list in Debug", `document.getElementById("debug-result").textContent.includes(`+jsString(req.DeviceID)+`) && document.getElementById("debug-took").textContent.includes("device.pair.list: ok")`)
	shotView(t, ctx2, arts, "debug-call")
	noErrorShown(t, ctx2, "debug")
	checkClean(t, ctx2, "device fallback", nil)
}

// fakeNodeApprovals is a node host (protocol 3, role node, over a real WebSocket) that
// keeps an exec approvals file and answers system.execApprovals.get/set, checking the
// base hash as a real node host does.
type fakeNodeApprovals struct {
	mu   sync.Mutex
	file map[string]any
	hash string
	sets []map[string]any // params of each accepted set
}

func startFakeNode(t *testing.T, port int) *fakeNodeApprovals {
	t.Helper()
	n := &fakeNodeApprovals{hash: "node-hash-1", file: map[string]any{"version": 1,
		"agents": map[string]any{"main": map[string]any{"allowlist": []any{map[string]any{"pattern": "/opt/node-tool"}}}}}}
	dev := gatewaytest.NewDevice(t)
	node := gatewaytest.Dial(t, fmt.Sprintf("ws://127.0.0.1:%d", port))
	nonce := node.Challenge()
	node.Handshake(map[string]any{
		"minProtocol": 3, "maxProtocol": 3, "role": "node",
		"client":   map[string]any{"id": "node-host", "version": "1.0.0", "platform": "macos", "mode": "node", "displayName": "Build Mac"},
		"caps":     []string{"system"},
		"commands": []string{"system.execApprovals.get", "system.execApprovals.set"},
		"auth":     map[string]any{"token": testToken},
		"device":   dev.Sign("node-host", "node", "node", nil, time.Now(), testToken, nonce),
	})
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			var f *gatewaytest.Frame
			select {
			case f = <-node.Events:
			case <-done:
				return
			}
			if f.Event != "node.invoke.request" {
				continue
			}
			var ev struct {
				ID, NodeID, Command string
				ParamsJSON          string
			}
			_ = json.Unmarshal(f.Payload, &ev)
			res := map[string]any{"id": ev.ID, "nodeId": ev.NodeID, "ok": true}
			n.mu.Lock()
			switch ev.Command {
			case "system.execApprovals.set":
				var p map[string]any
				_ = json.Unmarshal([]byte(ev.ParamsJSON), &p)
				if p["baseHash"] != n.hash {
					res = map[string]any{"id": ev.ID, "nodeId": ev.NodeID, "ok": false, "error": map[string]any{"code": "INVALID_REQUEST", "message": "exec approvals changed since last load"}}
					break
				}
				n.file, _ = p["file"].(map[string]any)
				n.hash = fmt.Sprintf("node-hash-%d", len(n.sets)+2)
				n.sets = append(n.sets, p)
				fallthrough
			case "system.execApprovals.get":
				res["payload"] = map[string]any{"path": "/Users/me/.clawdbot/exec-approvals.json", "exists": true, "hash": n.hash, "file": n.file}
			}
			n.mu.Unlock()
			node.Request("node.invoke.result", res)
		}
	}()
	return n
}

// TestNodeAllowlistEditor: the allowlist editor lists a connected node host that
// declares system.execApprovals.get, shows its file, and saves an added pattern
// through exec.approvals.node.set with the node's hash.
func TestNodeAllowlistEditor(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
	}`, testToken))
	node := startFakeNode(t, d.port)
	login(t, ctx, d.url())
	openView(t, ctx, "approvals")
	waitJS(t, ctx, "the node in the host list", `[...document.querySelectorAll("#allowlist-target option")].some(o => o.textContent.includes("Build Mac"))`)
	evalJS[chromedp.Void](t, ctx, `(() => { const s = document.getElementById("allowlist-target"); s.value = [...s.options].find(o => o.textContent.includes("Build Mac")).value; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
	waitJS(t, ctx, "the node's allowlist", `document.querySelector('#allowlist tr[data-pattern="/opt/node-tool"]') !== null && document.getElementById("allowlist-title").textContent.includes("/Users/me/")`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("allowlist-pattern"), "/opt/second"), chromedp.Click(chromedp.ID("allowlist-add-submit")), chromedp.Click(chromedp.ID("allowlist-save")))
	waitJS(t, ctx, "the saved node allowlist", `document.getElementById("allowlist-notice")?.textContent === "Saved." && document.getElementById("allowlist-save").disabled`)
	node.mu.Lock()
	sets := append([]map[string]any(nil), node.sets...)
	node.mu.Unlock()
	if len(sets) != 1 || sets[0]["baseHash"] != "node-hash-1" {
		t.Fatalf("the node's sets: %v", sets)
	}
	if got := fmt.Sprint(dig(sets[0], "file", "agents", "main", "allowlist")); !strings.Contains(got, "/opt/node-tool") || !strings.Contains(got, "/opt/second") {
		t.Fatalf("the node got allowlist %s", got)
	}
	shotView(t, ctx, arts, "approvals-node")
	noErrorShown(t, ctx, "approvals (node)")
	checkClean(t, ctx, "approvals (node)", nil)
}

// devicePairList is device.pair.list as the device tests read it.
type devicePairList struct {
	Pending []struct {
		RequestID string `json:"requestId"`
		DeviceID  string `json:"deviceId"`
		ClientID  string `json:"clientId"`
	} `json:"pending"`
	Paired []struct {
		DeviceID string `json:"deviceId"`
	} `json:"paired"`
}

// devicePairs calls device.pair.list.
func devicePairs(t *testing.T, cli *gatewayclient.Client) devicePairList {
	t.Helper()
	var list devicePairList
	call(t, cli, "device.pair.list", map[string]any{}, &list)
	return list
}
