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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// Browser tests of the overview cards (channels, heartbeat, cron, models,
// connections), the nav badge of pending pairing requests, and the config form's maps
// and lists of objects, each against the real binary.

// catalogModel is an OpenAI-compatible server on 127.0.0.1 that only lists models
// (GET /v1/models); the overview never runs a turn.
func catalogModel(t *testing.T, ids ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/models") {
			http.Error(w, "this scripted model only lists models", http.StatusNotFound)
			return
		}
		data := make([]map[string]any, 0, len(ids))
		for _, id := range ids {
			data = append(data, map[string]any{"id": id, "object": "model"})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// dropEvents lets a test make the page miss events: while window.__drop names an
// event, its frames never reach the app (as if lost), so the next event's seq shows a
// gap.
const dropEvents = `(() => {
	const Native = window.WebSocket;
	window.__drop = null;
	window.WebSocket = class extends Native {
		set onmessage(fn) {
			super.onmessage = (m) => {
				try { const f = JSON.parse(m.data); if (window.__drop && f.type === "event" && f.event === window.__drop) return; } catch {}
				if (fn) fn.call(this, m);
			};
		}
		get onmessage() { return super.onmessage; }
	};
})();`

// text is the text of the element a CSS selector finds ("" when none).
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return evalJS[string](t, ctx, `document.querySelector(`+jsString(sel)+`)?.textContent.trim() ?? ""`)
}

// TestOverviewCardsLive: against a daemon with a scripted model provider and a cron
// job, the overview shows the default model and the catalog's count, the cron
// scheduler with its job count, the channels, the heartbeat and the connections by
// mode; a job added and removed by a second client changes the cron card live, and
// node and device pairing requests (a node.pair.request and a device connecting from
// another address) show in the Nodes badge and leave it when rejected.
func TestOverviewCardsLive(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	model := catalogModel(t, "m1", "m2")
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
		models: { providers: { local: { baseUrl: %q, models: [{ id: "m1", name: "Model One" }] } } },
		agents: { defaults: { model: { primary: "local/m1" } } },
	}`, testToken, model.URL+"/v1"))
	postMortem(t, d)
	cli := d.client(t)
	job := map[string]any{"name": "Briefing", "schedule": map[string]any{"kind": "cron", "expr": "0 7 * * *"},
		"sessionTarget": "main", "payload": map[string]any{"kind": "systemEvent", "text": "good morning"}}
	call(t, cli, "cron.add", job, nil)
	var cron struct {
		Enabled bool `json:"enabled"`
		Jobs    int  `json:"jobs"`
	}
	call(t, cli, "cron.status", map[string]any{}, &cron)
	if !cron.Enabled || cron.Jobs != 1 {
		t.Fatalf("cron.status before the page: %+v", cron)
	}
	var models protocol.ModelsListResult
	call(t, cli, "models.list", map[string]any{}, &models)
	if len(models.Models) < 2 {
		t.Fatalf("models.list of the scripted provider: %+v", models.Models)
	}

	probePage(t, ctx, dropEvents)
	login(t, ctx, d.url())
	waitJS(t, ctx, "the cards", `document.getElementById("cron-status")?.textContent.includes("Jobs") && document.getElementById("models-status")?.textContent.includes("Configured") && document.querySelectorAll("#channels-summary li").length >= 2 && document.getElementById("heartbeat").textContent.includes("Last")`)
	if got := text(t, ctx, "#cron-badge"); got != "enabled" {
		t.Errorf("cron badge %q, want enabled", got)
	}
	jobs := `document.querySelector("#cron-status dd")?.textContent`
	if got := evalJS[string](t, ctx, jobs); got != "1" {
		t.Errorf("cron jobs on the card %q, want 1", got)
	}
	// The models card: the default and the configured count from the config; the
	// catalog (models.list, which also asks the provider) on demand.
	mdl := text(t, ctx, "#models-status")
	if !strings.Contains(mdl, "Defaultlocal/m1") || !strings.Contains(mdl, "Configured1") || !strings.Contains(mdl, "Providerslocal") || strings.Contains(mdl, "Catalog") {
		t.Errorf("models card %q, want the default local/m1, 1 configured, provider local, no catalog yet", mdl)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("models-catalog")))
	waitJS(t, ctx, "the catalog count", `document.getElementById("models-status").textContent.includes("Catalog`+strconv.Itoa(len(models.Models))+`")`)
	// WhatsApp is always configured (it links by QR); Telegram has no bot token here.
	for ch, want := range map[string]string{"whatsapp": "not linked", "telegram": "not configured"} {
		li := text(t, ctx, fmt.Sprintf(`#channels-summary li[data-channel=%q] .badge`, ch))
		if li != want {
			t.Errorf("channels card badge of %s = %q, want %q", ch, li, want)
		}
	}
	if nw := text(t, ctx, "#cron-status"); !strings.Contains(nw, "(in ") {
		t.Errorf("cron card %q: the next wake is not shown as ahead", nw)
	}
	// The page itself (webchat), the Go client (test) and the gateway.
	waitJS(t, ctx, "connections by mode", `Number(document.querySelector('#connections dd[data-mode="webchat"]')?.textContent) === 1 && Number(document.querySelector('#connections dd[data-mode="test"]')?.textContent) === 1 && Number(document.querySelector('#connections dd[data-mode="gateway"]')?.textContent) === 1`)
	if hb := text(t, ctx, "#heartbeat"); !strings.Contains(hb, "none yet") && !strings.Contains(hb, "ago") {
		t.Errorf("heartbeat card %q", hb)
	}

	// A second client adds a job, then removes it: the card follows the cron events.
	other := d.client(t)
	var added struct {
		ID string `json:"id"`
	}
	job["name"] = "Evening"
	call(t, other, "cron.add", job, &added)
	if added.ID == "" {
		t.Fatal("cron.add returned no id")
	}
	waitJS(t, ctx, "two jobs", jobs+` === "2" && document.getElementById("cron-status").textContent.includes("added `+added.ID+`")`)
	call(t, other, "cron.remove", map[string]any{"id": added.ID}, nil)
	waitJS(t, ctx, "one job again", jobs+` === "1" && document.getElementById("cron-status").textContent.includes("removed")`)

	// Pairing badge: a node asks to pair, then a device connects from another address.
	if evalJS[bool](t, ctx, `document.getElementById("pairing-badge") !== null`) {
		t.Fatal("a pairing badge with nothing pending")
	}
	// The page misses the cron event of a third job; the next event (the node's pairing
	// request) shows the seq gap and the cron card refetches: two jobs, though the last
	// event it saw is still the removal.
	evalJS[chromedp.Void](t, ctx, `window.__drop = "cron"`)
	var missed struct {
		ID string `json:"id"`
	}
	job["name"] = "Night"
	call(t, other, "cron.add", job, &missed)
	var nreq protocol.NodePairRequestResult
	call(t, other, "node.pair.request", map[string]any{"nodeId": "node-c", "displayName": "Den Phone"}, &nreq)
	waitJS(t, ctx, "the node request badge", `document.getElementById("pairing-badge")?.textContent === "1"`)
	waitJS(t, ctx, "the refetched cron card", jobs+` === "2"`)
	if last := text(t, ctx, "#cron-status"); strings.Contains(last, missed.ID) || !strings.Contains(last, "removed "+added.ID) {
		t.Errorf("cron card %q: the missed event was seen, or the card did not refetch", last)
	}
	evalJS[chromedp.Void](t, ctx, `window.__drop = null`)
	target, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", d.port))
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target)) // adds X-Forwarded-For: not local
	t.Cleanup(proxy.Close)
	dev, err := gatewayclient.NewDeviceIdentity()
	if err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, err = gatewayclient.Dial(dctx, "ws"+strings.TrimPrefix(proxy.URL, "http"), gatewayclient.Options{Token: testToken, Device: dev,
		Client: gatewayclient.ClientInfo{ID: protocol.ClientIDTest, DisplayName: "remote-device", Mode: "test"}})
	cancel()
	if err == nil || !strings.Contains(err.Error(), "pairing required") {
		t.Fatalf("an unpaired remote device connected (err %v)", err)
	}
	waitJS(t, ctx, "the device request badge", `document.getElementById("pairing-badge")?.textContent === "2" && document.getElementById("pairing-badge").getAttribute("aria-label").includes("2 pairing requests")`)
	shotView(t, ctx, arts, "overview-cards")
	var dl struct {
		Pending []struct {
			RequestID string `json:"requestId"`
		} `json:"pending"`
	}
	call(t, other, "device.pair.list", map[string]any{}, &dl)
	if len(dl.Pending) != 1 {
		t.Fatalf("pending devices: %+v", dl.Pending)
	}
	call(t, other, "node.pair.reject", map[string]any{"requestId": nreq.Request.RequestID}, nil)
	waitJS(t, ctx, "the badge after the node rejection", `document.getElementById("pairing-badge")?.textContent === "1"`)
	call(t, other, "device.pair.reject", map[string]any{"requestId": dl.Pending[0].RequestID}, nil)
	waitJS(t, ctx, "no badge", `document.getElementById("pairing-badge") === null`)

	noErrorShown(t, ctx, "overview")
	checkClean(t, ctx, "overview", nil)
}

// typeInto types into a config form input found by its data-path (after emptying it).
func typeInto(t *testing.T, ctx context.Context, path, value string) {
	t.Helper()
	sel := fmt.Sprintf(`[data-path=%s]`, jsString(path))
	waitJS(t, ctx, "the field "+path, `document.querySelector(`+jsString(sel)+`) !== null`)
	evalJS[chromedp.Void](t, ctx, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.focus(); e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(sel), value))
	waitJS(t, ctx, "the typed "+path, `document.querySelector(`+jsString(sel)+`).value === `+jsString(value))
}

// applied clicks Apply and waits until config.get satisfies ok (the notice of an earlier
// apply may still be on screen, so the file is what is waited for).
func applied(t *testing.T, ctx context.Context, cli *gatewayclient.Client, what string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	do(t, ctx, chromedp.Click(chromedp.ID("config-form-apply")))
	deadline := time.Now().Add(waitTimeout)
	for {
		cfg, _ := configGet(t, cli)
		if ok(cfg) {
			waitJS(t, ctx, "the applied form", `document.getElementById("config-notice")?.textContent.includes("Applied") && document.getElementById("config-form-apply").disabled`)
			return cfg
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: config.get after Apply: %v", what, cfg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConfigFormMapsAndLists: a models.providers entry is added through the form (its
// name checked, a masked API key, a model in its list of objects), applied as one
// config.patch and read back with config.get (the key only on disk); removed again it
// is gone while the other provider stays; an agents.list item is added and edited and
// the list lands whole.
func TestConfigFormMapsAndLists(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
		models: { providers: { local: { baseUrl: "http://127.0.0.1:9/v1", models: [] } } },
	}`, testToken))
	postMortem(t, d)
	login(t, ctx, d.url())
	cli := d.client(t)

	openView(t, ctx, "config")
	waitJS(t, ctx, "the models section", `document.querySelector('details[data-section="models"]') !== null`)
	do(t, ctx, chromedp.Click(chromedp.ID("cfg-section-models")))
	waitJS(t, ctx, "the providers map", `document.querySelector('fieldset.cfg-map[data-path="models.providers"] .cfg-entry[data-entry="local"]') !== null`)

	// A taken name is refused in the page.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("cfg-models-providers-new"), "local"), chromedp.Click(chromedp.ID("cfg-models-providers-add")))
	waitJS(t, ctx, "the refused name", `document.querySelector('fieldset[data-path="models.providers"] .cfg-add .error')?.textContent.includes("already exists")`)
	evalJS[chromedp.Void](t, ctx, `(() => { const i = document.getElementById("cfg-models-providers-new"); i.value = ""; i.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("cfg-models-providers-new"), "lab"), chromedp.Click(chromedp.ID("cfg-models-providers-add")))
	waitJS(t, ctx, "the new entry", `document.querySelector('.cfg-entry[data-entry="lab"]') !== null && !document.querySelector('fieldset[data-path="models.providers"] .cfg-add .error')`)
	setField(t, ctx, "models.providers.lab.baseUrl", "http://127.0.0.1:7/v1")
	if typ := evalJS[string](t, ctx, `document.querySelector('[data-path="models.providers.lab.apiKey"]').type`); typ != "password" {
		t.Errorf("the new provider's apiKey input is %q, want password (sensitive)", typ)
	}
	setField(t, ctx, "models.providers.lab.apiKey", "sk-lab-secret")
	do(t, ctx, chromedp.Click(chromedp.ID("cfg-models-providers-lab-models-add")))
	typeInto(t, ctx, "models.providers.lab.models.0.id", "lab-1")
	typeInto(t, ctx, "models.providers.lab.models.0.name", "Lab One")
	shotView(t, ctx, arts, "config-form-map")
	do(t, ctx, chromedp.Click(chromedp.ID("config-form-apply")))
	waitJS(t, ctx, "the applied patch", `document.getElementById("config-notice")?.textContent.includes("Applied") && document.getElementById("config-form-apply").disabled`)
	cfg, _ := configGet(t, cli)
	if got := dig(cfg, "models", "providers", "lab", "baseUrl"); got != "http://127.0.0.1:7/v1" {
		t.Fatalf("models.providers.lab after the form: %v", dig(cfg, "models", "providers"))
	}
	ms, _ := dig(cfg, "models", "providers", "lab", "models").([]any)
	if len(ms) != 1 || dig(ms[0].(map[string]any), "id") != "lab-1" || dig(ms[0].(map[string]any), "name") != "Lab One" {
		t.Fatalf("models.providers.lab.models after the form: %v", ms)
	}
	if key := dig(cfg, "models", "providers", "lab", "apiKey"); key == "sk-lab-secret" {
		t.Error("config.get shows the API key in clear")
	}
	if disk, err := os.ReadFile(filepath.Join(d.home, "clawdbot.json")); err != nil || !strings.Contains(string(disk), "sk-lab-secret") {
		t.Fatalf("the key is not in the file (err %v)", err)
	}
	waitJS(t, ctx, "the stored entry", `document.querySelector('.cfg-entry[data-entry="lab"]') !== null && document.querySelector('[data-path="models.providers.lab.apiKey"]').placeholder.includes("hidden")`)

	// Remove: the entry is null in the patch; the other provider stays.
	do(t, ctx, chromedp.Click(chromedp.ID("cfg-models-providers-lab-remove")))
	waitJS(t, ctx, "the removed entry", `document.querySelector('.cfg-entry[data-entry="lab"]') === null && document.getElementById("config-form-apply").textContent.includes("Apply 1 change")`)
	cfg = applied(t, ctx, cli, "the removal", func(c map[string]any) bool { return dig(c, "models", "providers", "lab") == nil })
	if dig(cfg, "models", "providers", "local", "baseUrl") != "http://127.0.0.1:9/v1" {
		t.Fatalf("models.providers after the removal: %v", dig(cfg, "models", "providers"))
	}

	// A list of objects: an agents.list item added and named, sent as the whole list.
	do(t, ctx, chromedp.Click(chromedp.ID("cfg-section-agents")))
	waitJS(t, ctx, "the agents list", `document.getElementById("cfg-agents-list-add") !== null`)
	do(t, ctx, chromedp.Click(chromedp.ID("cfg-agents-list-add")))
	typeInto(t, ctx, "agents.list.0.id", "work")
	typeInto(t, ctx, "agents.list.0.name", "Work")
	cfg = applied(t, ctx, cli, "the agents list", func(c map[string]any) bool { return dig(c, "agents", "list") != nil })
	list, _ := dig(cfg, "agents", "list").([]any)
	if len(list) != 1 || dig(list[0].(map[string]any), "id") != "work" || dig(list[0].(map[string]any), "name") != "Work" {
		t.Fatalf("agents.list after the form: %v", dig(cfg, "agents"))
	}

	noErrorShown(t, ctx, "config-maps")
	checkClean(t, ctx, "config-maps", nil)
}

// TestChannelsViewTelegramAccounts: a gateway with two Telegram bots
// (channels.telegram.accounts) shows one row per account in the channels view, the
// default first and the named one under its name, both running; the overview's
// channels card lists both accounts.
func TestChannelsViewTelegramAccounts(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	const workToken = "654321:TEST-abcdefghijklmnopqrstuvwxyz0123"
	home := tgtest.New(t, tgtest.DefaultToken)
	work := tgtest.New(t, workToken)
	front := tgtest.Front(t, home, work)
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
		channels: { telegram: { apiBaseUrl: %q, dmPolicy: "pairing",
			accounts: { default: { botToken: %q }, work: { botToken: %q, name: "Work bot" } } } },
	}`, testToken, front, tgtest.DefaultToken, workToken))
	postMortem(t, d)
	login(t, ctx, d.url())
	waitJS(t, ctx, "both accounts on the overview", `document.querySelector('#channels-summary li[data-channel="telegram"][data-account-id="default"]') !== null && document.querySelector('#channels-summary li[data-channel="telegram"][data-account-id="work"]') !== null`)
	openView(t, ctx, "channels")
	rows := `[...document.querySelectorAll("#tg-accounts tr.account")]`
	waitJS(t, ctx, "one row per account, both running", rows+`.length === 2 && `+rows+`.every((r) => r.querySelector(".account-state")?.textContent === "running")`)
	got := evalJS[string](t, ctx, rows+`.map((r) => r.dataset.accountId + "=" + r.querySelector("strong").textContent).join(",")`)
	if got != "default=default,work=Work bot" {
		t.Errorf("account rows %q, want the default first, then the work bot under its name", got)
	}
	if evalJS[bool](t, ctx, `document.getElementById("tg-status") !== null`) {
		t.Error("the single-bot view is shown next to the account table")
	}
	shotView(t, ctx, arts, "channels-accounts")
	checkClean(t, ctx, "channels", nil)
}
