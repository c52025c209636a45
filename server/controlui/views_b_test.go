package controlui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clawgate/gateway/clients/go/gatewayclient"
	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/heartbeat"
	"github.com/clawgate/gateway/server/messaging"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/dedupe"
	"github.com/clawgate/gateway/server/providers/telegram"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
	"github.com/clawgate/gateway/server/providers/whatsapp"
)

// fakeWhatsApp stands in for WhatsApp's servers, which a test cannot reach: it is the
// gateway's WhatsApp provider (status) and its QR login (web.login.*, web.logout). The
// QR is a real PNG of a code; the test decides when the phone "scans" it.
type fakeWhatsApp struct {
	mu      sync.Mutex
	linked  bool
	login   bool
	scanned chan struct{} // closed by scan
	waits   chan struct{} // one value per web.login.wait that is holding
	logouts int
	changed func()
}

const fakeQRCode = "2@ui-test-ref,ui-test-noise-key,ui-test-identity-key,ui-test-adv-secret"

func newFakeWhatsApp() *fakeWhatsApp {
	return &fakeWhatsApp{scanned: make(chan struct{}), waits: make(chan struct{}, 16)}
}

func (f *fakeWhatsApp) Name() string                { return providers.WhatsApp }
func (f *fakeWhatsApp) Start(context.Context) error { return nil }
func (f *fakeWhatsApp) Stop(context.Context) error  { return nil }
func (f *fakeWhatsApp) Send(context.Context, providers.Outbound) (providers.Sent, error) {
	return providers.Sent{}, providers.ErrNotLinked
}

func (f *fakeWhatsApp) Status(context.Context, bool) providers.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := providers.Status{Configured: true, Running: true, ConnState: "not-linked"}
	if f.linked {
		st.Linked, st.Connected, st.ConnState = true, true, "connected"
		st.SelfID, st.SelfE164 = "15550001111@s.whatsapp.net", "+15550001111"
		st.LinkedAt = time.Now().Add(-time.Minute)
	}
	return st
}

func (f *fakeWhatsApp) LoginStart(ctx context.Context, force bool, timeout time.Duration) (whatsapp.LoginQR, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.linked && !force {
		return whatsapp.LoginQR{Message: "already linked"}, nil
	}
	f.login = true
	data, err := whatsapp.QRDataURL(fakeQRCode)
	if err != nil {
		return whatsapp.LoginQR{}, err
	}
	return whatsapp.LoginQR{Code: fakeQRCode, DataURL: data, Message: "scan this QR code in WhatsApp → Settings → Linked devices"}, nil
}

func (f *fakeWhatsApp) LoginWait(ctx context.Context, timeout time.Duration) (bool, string, error) {
	f.mu.Lock()
	login, linked := f.login, f.linked
	f.mu.Unlock()
	if !login {
		if linked {
			return true, "linked", nil
		}
		return false, "no login in progress; call web.login.start first", nil
	}
	f.waits <- struct{}{}
	select {
	case <-f.scanned:
		f.mu.Lock()
		f.linked, f.login = true, false
		f.mu.Unlock()
		return true, "linked", nil
	case <-time.After(timeout):
		return false, "still waiting for the QR code to be scanned", nil
	case <-ctx.Done():
		return false, "", ctx.Err()
	}
}

func (f *fakeWhatsApp) Logout(context.Context) (bool, error) {
	f.mu.Lock()
	was := f.linked
	f.linked, f.login = false, false
	f.logouts++
	f.mu.Unlock()
	if f.changed != nil {
		f.changed()
	}
	return was, nil
}

// scan is the phone scanning the code; health is refreshed as the real provider does.
func (f *fakeWhatsApp) scan() {
	close(f.scanned)
}

// waitHolding waits until the page holds a web.login.wait.
func (f *fakeWhatsApp) waitHolding(t *testing.T) {
	t.Helper()
	select {
	case <-f.waits:
	case <-time.After(waitTimeout):
		t.Fatal("the page did not wait for the login (web.login.wait)")
	}
}

// postMortem, registered right after startDaemon, reports on a failed test whether the
// daemon still accepts connections and the end of its log files, so a failure caused by
// the gateway (not the page) can be told apart.
func postMortem(t *testing.T, d *daemon) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", d.port), 2*time.Second); err != nil {
			t.Logf("post mortem: the daemon does not accept connections: %v", err)
		} else {
			_ = c.Close()
			t.Logf("post mortem: the daemon still accepts connections")
		}
		_ = filepath.WalkDir(d.home, func(path string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(path, ".log") {
				return nil
			}
			b, _ := os.ReadFile(path)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) > 40 {
				lines = lines[len(lines)-40:]
			}
			t.Logf("post mortem: %s (last %d lines):\n%s", path, len(lines), strings.Join(lines, "\n"))
			return nil
		})
	})
}

// TestChannelsViewLinksWhatsApp: the channels view shows Telegram (a real provider on
// the Telegram test server, probed from the UI) and links WhatsApp: the QR code
// appears as an image, the page waits live, the scan shows as linked, and Unlink
// (confirmed) logs out.
func TestChannelsViewLinksWhatsApp(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	state := t.TempDir()
	bot := tgtest.New(t, tgtest.DefaultToken)
	tg, err := telegram.New(telegram.Config{Token: bot.Token(), APIBaseURL: bot.URL(), PollTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	wa := newFakeWhatsApp()
	reg := providers.NewRegistry(nil, wa, tg)
	if err := tg.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Stop(context.Background()) })
	d, err := dedupe.Open(context.Background(), dedupe.Options{Path: filepath.Join(state, "send-dedupe.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	h := messaging.New(messaging.Options{Registry: reg, Dedupe: d, WebLogin: wa})
	wa.changed = h.Changed
	// The heartbeat group with no heartbeat run yet: the overview's card loads
	// last-heartbeat on connect and must get null (none yet), not an error.
	hb, err := heartbeat.New(heartbeat.Options{Agent: idleAgent{}, Deliverer: idleAgent{}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := gwConfig{stateDir: state, setup: func(s *gateway.Server) {
		s.Mux().SetMessaging(h)
		s.Mux().SetHeartbeat(heartbeat.NewHandlers[*gateway.Conn](hb))
		if err := h.Attach(s); err != nil {
			t.Fatal(err)
		}
	}}
	g := startGW(t, "127.0.0.1:0", cfg)
	login(t, ctx, g.url())
	openView(t, ctx, "channels")
	waitJS(t, ctx, "the channel states", `document.getElementById("wa-badge").textContent === "not linked" && document.getElementById("tg-status")?.textContent.includes("@`+tgtest.BotUsername+`")`)

	// Probe: channels.status with probe:true asks the bot API (getMe) from the gateway.
	before := bot.Calls("getMe")
	do(t, ctx, chromedp.Click(chromedp.ID("channels-probe")))
	waitJS(t, ctx, "the probe result", `document.getElementById("tg-probe")?.textContent.includes("ok")`)
	if bot.Calls("getMe") <= before {
		t.Error("Probe in the UI did not reach the Telegram API")
	}

	// Link (by keyboard): the QR code is shown as a decoded image and the page waits for
	// the scan.
	evalJS[chromedp.Void](t, ctx, `document.getElementById("wa-link").focus()`)
	do(t, ctx, chromedp.KeyEvent("\r"))
	waitJS(t, ctx, "the QR code", `(() => { const i = document.getElementById("wa-qr"); return i && i.src.startsWith("data:image/png;base64,") && i.complete && i.naturalWidth >= 100; })()`)
	wantQR, err := whatsapp.QRDataURL(fakeQRCode)
	if err != nil {
		t.Fatal(err)
	}
	if got := evalJS[string](t, ctx, `document.getElementById("wa-qr").src`); got != wantQR {
		t.Fatalf("the page shows another QR than the gateway's (%d vs %d bytes)", len(got), len(wantQR))
	}
	waitJS(t, ctx, "the live status", `document.getElementById("wa-login-status").textContent.includes("scan") && !document.getElementById("wa-cancel").hidden`)
	wa.waitHolding(t)
	noErrorShown(t, ctx, "channels")
	shotView(t, ctx, arts, "channels")

	wa.scan()
	waitJS(t, ctx, "the linked state", `!document.getElementById("wa-qr") && document.getElementById("wa-login-status").textContent.includes("Linked") && document.getElementById("wa-badge").textContent === "connected" && document.getElementById("wa-status").textContent.includes("+15550001111")`)
	noErrorShown(t, ctx, "channels-linked")
	shotView(t, ctx, arts, "channels-linked")

	// Unlink asks for a second click.
	do(t, ctx, chromedp.Click(chromedp.ID("wa-logout")))
	waitJS(t, ctx, "the armed unlink", `document.getElementById("wa-logout").textContent === "Confirm unlink"`)
	do(t, ctx, chromedp.Click(chromedp.ID("wa-logout")))
	waitJS(t, ctx, "the unlinked state", `document.getElementById("wa-badge").textContent === "not linked" && document.getElementById("wa-login-status").textContent.includes("Unlinked") && document.getElementById("wa-logout").hidden`)
	wa.mu.Lock()
	logouts := wa.logouts
	wa.mu.Unlock()
	if logouts != 1 {
		t.Fatalf("web.logout reached the provider %d times, want 1", logouts)
	}
	// Reconnect: the gateway restarts on the same port while WhatsApp got linked
	// elsewhere; the view refetches on its own.
	g.stop(t)
	waitJS(t, ctx, "the disconnected state", `document.body.dataset.conn !== "connected"`)
	wa.mu.Lock()
	wa.linked = true
	wa.mu.Unlock()
	startGW(t, g.addr, cfg)
	waitConnected(t, ctx)
	waitJS(t, ctx, "the refetched state", `document.getElementById("wa-badge").textContent === "connected" && !document.getElementById("wa-logout").hidden`)
	// Live: the link drops on the gateway's side (the provider reports a change, as the
	// real one does); the health event makes the view refetch.
	wa.mu.Lock()
	wa.linked = false
	wa.mu.Unlock()
	h.Changed()
	waitJS(t, ctx, "the live update", `document.getElementById("wa-badge").textContent === "not linked" && document.getElementById("wa-logout").hidden`)
	checkClean(t, ctx, "channels", map[string]string{
		"logs.tail":    "this in-process gateway has no log file (the logs view's background tail)",
		"chat.history": "this in-process gateway has no agent runtime (the chat view's background load)",
		// The overview's cards and the pairing badge load on connect; this in-process
		// gateway has no heartbeat, cron, config file or device store.
		"cron.status":      "not in this in-process gateway (overview cron card)",
		"config.get":       "this in-process gateway has no config file (overview models card)",
		"device.pair.list": "this in-process gateway has no state dir for devices (pairing badge)",
	})
}

// idleAgent is the heartbeat runner's agent and deliverer in a gateway that never
// runs a heartbeat (the runner is not started): it is never asked for a turn.
type idleAgent struct{}

func (idleAgent) Busy(string) bool { return false }
func (idleAgent) Turn(context.Context, string, string, heartbeat.TurnOptions) (heartbeat.Reply, error) {
	return heartbeat.Reply{}, errors.New("idleAgent: no turns in this test")
}
func (idleAgent) LastRoute(context.Context, string) (heartbeat.Route, bool) {
	return heartbeat.Route{}, false
}
func (idleAgent) Send(context.Context, heartbeat.Route, string) error {
	return errors.New("idleAgent: nothing to send in this test")
}

// toolModel is a scripted OpenAI-compatible model on 127.0.0.1: the first request of
// a turn is answered with a read tool call, the next with text that quotes what the
// tool returned.
func toolModel(t *testing.T) *toolServer {
	t.Helper()
	m := &toolServer{}
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		step := n
		n++
		if bytes.Contains(body, []byte(`"image_url"`)) && bytes.Contains(body, []byte("data:image/png;base64,")) {
			m.withImage++
		}
		m.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(delta map[string]any, finish any) {
			b, _ := json.Marshal(map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
				"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
		}
		if step%2 == 0 {
			chunk(map[string]any{"content": "Let me look. "}, nil)
			chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": fmt.Sprintf("call_read_%d", step), "type": "function",
				"function": map[string]any{"name": "read", "arguments": `{"path":"note.txt"}`}}}}, nil)
			chunk(map[string]any{}, "tool_calls")
		} else {
			text := "The note is missing."
			if bytes.Contains(body, []byte("the secret word is mango")) {
				text = "The note says mango."
			}
			chunk(map[string]any{"content": text}, nil)
			chunk(map[string]any{}, "stop")
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	m.Server = srv
	return m
}

// toolServer is toolModel's server and what it has seen.
type toolServer struct {
	*httptest.Server
	mu        sync.Mutex
	withImage int // requests whose user turn carried an image part
}

// images is how many requests so far carried an image part.
func (m *toolServer) images() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.withImage
}

// tinyPNG is a 2×2 PNG.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{255, 107, 74, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestChatToolCardsSessionsAndCron drives the real binary: a chat turn whose model
// calls the read tool shows a tool card with the input and the result, live and again
// from history after a reload; the session editor patches label and thinking level
// and compacts; a cron job added in the UI is edited, disabled, enabled and run.
func TestChatToolCardsSessionsAndCron(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	model := toolModel(t)
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "note.txt"), []byte("the secret word is mango\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
		models: { providers: { local: { baseUrl: %q, api: "openai-completions", apiKey: "k", models: [{id: "m1", name: "m1", input: ["text", "image"]}] } } },
		agents: { defaults: { workspace: %q, model: { primary: "local/m1" } } },
	}`, testToken, model.URL+"/v1", ws))
	postMortem(t, d)
	login(t, ctx, d.url())
	openView(t, ctx, "chat")
	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "What does note.txt say?"), chromedp.Click(chromedp.ID("chat-send")))
	lastBubble := `[...document.querySelectorAll("#chat-log .msg.assistant")].pop()`
	card := lastBubble + `?.querySelector('.tool-card[data-tool="read"]')`
	waitJS(t, ctx, "the final reply", lastBubble+`?.classList.contains("final") && `+lastBubble+`.querySelector(".text").textContent.includes("The note says mango.")`)
	waitJS(t, ctx, "the tool card", card+`?.classList.contains("done") && `+card+`.querySelector(".tool-args").textContent.includes("note.txt") && `+card+`.querySelector(".tool-result").textContent.includes("the secret word is mango")`)
	evalJS[chromedp.Void](t, ctx, `(`+card+`).open = true`)
	noErrorShown(t, ctx, "chat-tools")
	shotView(t, ctx, arts, "chat-tools")

	// The same card comes back from chat.history after a reload.
	do(t, ctx, chromedp.Reload())
	waitConnected(t, ctx)
	openView(t, ctx, "chat")
	waitJS(t, ctx, "the card from history", `[...document.querySelectorAll('#chat-log .tool-card[data-tool="read"]')].some(c => c.classList.contains("done") && c.querySelector(".tool-result").textContent.includes("mango"))`)
	// The session picker lists the sessions and switches the chat to another one (made
	// by a Go client here).
	waitJS(t, ctx, "the session picker", `[...document.getElementById("chat-session-picker").options].some(o => o.value === "agent:main:main")`)
	other := d.client(t)
	call(t, other, "chat.send", map[string]any{"sessionKey": "agent:main:second", "message": "hello from the second session", "idempotencyKey": "second-1"}, nil)
	var waited map[string]any
	call(t, other, "agent.wait", map[string]any{"runId": "second-1", "timeoutMs": 15000}, &waited)
	openView(t, ctx, "overview")
	openView(t, ctx, "chat")
	waitJS(t, ctx, "the second session in the picker", `[...document.getElementById("chat-session-picker").options].some(o => o.value === "agent:main:second")`)
	evalJS[chromedp.Void](t, ctx, `(() => {
		const s = document.getElementById("chat-session-picker");
		s.value = "agent:main:second";
		s.dispatchEvent(new Event("change", {bubbles: true}));
	})()`)
	waitJS(t, ctx, "the second session's history", `document.getElementById("chat-session").textContent === "agent:main:second" && document.getElementById("chat-log").textContent.includes("hello from the second session") && !document.getElementById("chat-log").textContent.includes("What does note.txt say?")`)
	evalJS[chromedp.Void](t, ctx, `(() => {
		const s = document.getElementById("chat-session-picker");
		s.value = "agent:main:main";
		s.dispatchEvent(new Event("change", {bubbles: true}));
	})()`)
	waitJS(t, ctx, "the main session again", `document.getElementById("chat-session").textContent === "agent:main:main" && document.getElementById("chat-log").textContent.includes("What does note.txt say?")`)

	// Image attachments: a picked PNG is previewed, then sent in the original's shape
	// ({type: "image", mimeType, fileName, content: base64}); the model (declared
	// vision-capable) answers and the run ends with a final reply.
	pngPath := filepath.Join(t.TempDir(), "dot.png")
	pngBytes := tinyPNG(t)
	if err := os.WriteFile(pngPath, pngBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	// Record what the page sends on its socket.
	evalJS[chromedp.Void](t, ctx, `(() => {
		window.__sentChat = [];
		const ws = document.querySelector("cb-app").gw.ws;
		const orig = ws.send.bind(ws);
		ws.send = (d) => { try { const f = JSON.parse(d); if (f.method === "chat.send") window.__sentChat.push(f.params); } catch {} return orig(d); };
	})()`)
	if n := model.images(); n != 0 {
		t.Fatalf("%d requests carried an image before any was attached", n)
	}
	openView(t, ctx, "chat")
	do(t, ctx, chromedp.SetUploadFiles(chromedp.ID("chat-attach"), []string{pngPath}))
	waitJS(t, ctx, "the attachment preview", `document.querySelector("#chat-attachments img")?.src.startsWith("data:image/png;base64,")`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("chat-input"), "What is in this image?"), chromedp.Click(chromedp.ID("chat-send")))
	waitJS(t, ctx, "the sent attachment", `window.__sentChat.length === 1`)
	var sent []struct {
		Message     string `json:"message"`
		Attachments []struct {
			Type, MimeType, FileName, Content string
		} `json:"attachments"`
	}
	if err := json.Unmarshal([]byte(evalJS[string](t, ctx, `JSON.stringify(window.__sentChat)`)), &sent); err != nil {
		t.Fatal(err)
	}
	if a := sent[0].Attachments; len(a) != 1 || a[0].Type != "image" || a[0].MimeType != "image/png" || a[0].FileName != "dot.png" || a[0].Content != base64.StdEncoding.EncodeToString(pngBytes) || sent[0].Message != "What is in this image?" {
		t.Fatalf("chat.send params from the page: %+v", sent)
	}
	waitJS(t, ctx, "the image in the user bubble", `[...document.querySelectorAll("#chat-log .msg.user img.msg-image")].length === 1 && !document.getElementById("chat-attachments")`)
	waitJS(t, ctx, "the run's end", `(() => { const b = [...document.querySelectorAll("#chat-log .msg.assistant")].pop(); return b && b.classList.contains("final"); })()`)
	if n := model.images(); n == 0 {
		t.Fatal("the attachment's turn reached the model without an image part")
	}
	shotView(t, ctx, arts, "chat-attachment")

	// Sessions: label and thinking level through the editor, then compact.
	openView(t, ctx, "sessions")
	row := `#sessions tr[data-key="agent:main:main"]`
	waitJS(t, ctx, "the main session", `document.querySelector(`+jsString(row)+`) !== null`)
	do(t, ctx, chromedp.Click(chromedp.CSS(row+" button.edit")))
	editor := `#sessions tr[data-editor-for="agent:main:main"]`
	waitJS(t, ctx, "the session editor with its preview", `document.querySelector(`+jsString(editor+" .session-preview")+`)?.textContent.includes("What does note.txt say?")`)
	evalJS[chromedp.Void](t, ctx, `(() => {
		const f = document.querySelector(`+jsString(editor+" form")+`);
		f.elements.label.value = "ui label";
		f.elements.thinking.value = "high";
	})()`)
	noErrorShown(t, ctx, "sessions-editor")
	shotView(t, ctx, arts, "sessions-editor")
	do(t, ctx, chromedp.Click(chromedp.CSS(editor+" button.save")))
	waitJS(t, ctx, "the patched session", `document.getElementById("sessions-card").textContent.includes("was updated (label, thinkingLevel)") && document.querySelector(`+jsString(row+" .session-settings")+`)?.textContent === "label ui label · thinking high"`)
	cli := d.client(t)
	var list struct {
		Sessions []struct {
			Key           string `json:"key"`
			Label         string `json:"label"`
			ThinkingLevel string `json:"thinkingLevel"`
		} `json:"sessions"`
	}
	call(t, cli, "sessions.list", map[string]any{}, &list)
	found := false
	for _, s := range list.Sessions {
		if s.Key == "agent:main:main" {
			found = true
			if s.Label != "ui label" || s.ThinkingLevel != "high" {
				t.Errorf("after the UI patch: label %q thinking %q", s.Label, s.ThinkingLevel)
			}
		}
	}
	if !found {
		t.Fatalf("sessions after the patch: %+v", list.Sessions)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(row+" button.edit")))
	waitJS(t, ctx, "the editor again", `document.querySelector(`+jsString(editor+" button.compact")+`) !== null`)
	// The list re-renders on live events (and when the editor's model list arrives), which
	// can swallow a click made at that moment; so the click is repeated, at most once a
	// second and reopening the editor if a refresh closed it, until the notice shows
	// (compacting twice is harmless: the second finds nothing to compact).
	waitJS(t, ctx, "the compact notice", `(() => {
		if (/compacted|Nothing to compact/.test(document.getElementById("sessions-card").textContent)) return true;
		const now = Date.now();
		if (window.__lastCompactClick && now - window.__lastCompactClick < 1000) return false;
		window.__lastCompactClick = now;
		const b = document.querySelector(`+jsString(editor+" button.compact")+`);
		if (b) { b.click(); } else { document.querySelector(`+jsString(row+" button.edit")+`)?.click(); }
		return false;
	})()`)

	// Cron: add, edit (cron.update), disable, enable, run.
	openView(t, ctx, "cron")
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("cron-name"), "ui job"),
		chromedp.SendKeys(chromedp.ID("cron-text"), "ping from the ui"),
		chromedp.Click(chromedp.ID("cron-add-submit")),
	)
	waitJS(t, ctx, "the added job", `[...document.querySelectorAll("#cron-jobs tbody tr")].some(r => r.textContent.includes("ui job"))`)
	var jobs struct {
		Jobs []struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			Enabled  bool   `json:"enabled"`
			Schedule struct {
				EveryMs int64 `json:"everyMs"`
			} `json:"schedule"`
		} `json:"jobs"`
	}
	call(t, cli, "cron.list", map[string]any{"includeDisabled": true}, &jobs)
	if len(jobs.Jobs) != 1 {
		t.Fatalf("cron jobs: %+v", jobs.Jobs)
	}
	id := jobs.Jobs[0].ID
	jobRow := fmt.Sprintf(`#cron-jobs tr[data-job-id=%s]`, jsString(id))
	jobEditor := fmt.Sprintf(`#cron-jobs tr[data-editor-for=%s]`, jsString(id))
	do(t, ctx, chromedp.Click(chromedp.CSS(jobRow+" button.edit")))
	waitJS(t, ctx, "the job editor", `document.querySelector(`+jsString(jobEditor+" .edit-name")+`) !== null`)
	evalJS[chromedp.Void](t, ctx, `(() => {
		const f = document.querySelector(`+jsString(jobEditor+" form")+`);
		f.elements.name.value = "ui job renamed";
		f.elements.every.value = "30";
	})()`)
	do(t, ctx, chromedp.Click(chromedp.CSS(jobEditor+" button.save")))
	waitJS(t, ctx, "the edited job", `document.querySelector(`+jsString(jobRow)+`)?.textContent.includes("ui job renamed") && document.querySelector(`+jsString(jobRow)+`).textContent.includes("every 30m")`)
	do(t, ctx, chromedp.Click(chromedp.CSS(jobRow+" button.toggle")))
	waitJS(t, ctx, "the disabled job", `document.querySelector(`+jsString(jobRow)+`)?.classList.contains("gone") && document.querySelector(`+jsString(jobRow+" button.toggle")+`).textContent === "Enable"`)
	call(t, cli, "cron.list", map[string]any{"includeDisabled": true}, &jobs)
	if j := jobs.Jobs[0]; j.Name != "ui job renamed" || j.Enabled || j.Schedule.EveryMs != 30*60000 {
		t.Fatalf("job after edit and disable: %+v", j)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(jobRow+" button.toggle")))
	waitJS(t, ctx, "the enabled job", `!document.querySelector(`+jsString(jobRow)+`)?.classList.contains("gone") && document.querySelector(`+jsString(jobRow+" button.toggle")+`).textContent === "Disable"`)
	do(t, ctx, chromedp.Click(chromedp.CSS(jobRow+" button.run")))
	waitJS(t, ctx, "the run in the run log", `document.querySelectorAll("#cron-runs li.run-entry").length >= 1`)
	noErrorShown(t, ctx, "cron-edit")
	shotView(t, ctx, arts, "cron-edit")
	checkClean(t, ctx, "chat, sessions and cron", nil)
}

// TestSkillsNodesDevicesViews drives the real binary: a workspace skill whose binary is
// missing is shown ineligible with the reason and is disabled and enabled from the UI;
// a node pairing is approved, described and renamed; a remote device's pairing request
// (made by a second client) is approved in the UI, after which the device connects,
// and its token is rotated (shown once) and revoked.
func TestSkillsNodesDevicesViews(t *testing.T) {
	ctx := newBrowser(t)
	arts := artifactsDir(t)
	ws := t.TempDir()
	skillDir := filepath.Join(ws, "skills", "mango-report")
	if err := os.MkdirAll(skillDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(skillDir, "SKILL.md"), []byte(`---
name: mango-report
description: Reports on mangoes
metadata: {"clawdbot":{"emoji":"🥭","primaryEnv":"CLAWDBOT_UI_TEST_MANGO_KEY","requires":{"bins":["clawdbot-ui-test-no-such-bin"],"env":["CLAWDBOT_UI_TEST_MANGO_KEY"]},"install":[{"id":"brew","kind":"brew","formula":"clawdbot-ui-test-no-such-bin","bins":["clawdbot-ui-test-no-such-bin"]}]}}
---
Use the binary.
`), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, fmt.Sprintf(`{
		gateway: { mode: "local", auth: { mode: "token", token: %q } },
		agents: { defaults: { workspace: %q } },
	}`, testToken, ws))
	postMortem(t, d)
	login(t, ctx, d.url())
	cli := d.client(t)

	// Skills.
	openView(t, ctx, "skills")
	skill := `#skills li.skill[data-skill="mango-report"]`
	waitJS(t, ctx, "the ineligible skill", `document.querySelector(`+jsString(skill)+`)?.classList.contains("ineligible") && document.querySelector(`+jsString(skill+" .reasons")+`).textContent.includes("missing binary: clawdbot-ui-test-no-such-bin")`)
	noErrorShown(t, ctx, "skills")
	shotView(t, ctx, arts, "skills")
	skillState := func() (disabled bool) {
		var st struct {
			Skills []struct {
				Name     string `json:"name"`
				Disabled bool   `json:"disabled"`
			} `json:"skills"`
		}
		call(t, cli, "skills.status", map[string]any{}, &st)
		for _, s := range st.Skills {
			if s.Name == "mango-report" {
				return s.Disabled
			}
		}
		t.Fatalf("skills.status has no mango-report: %+v", st.Skills)
		return false
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(skill+" button.toggle")))
	waitJS(t, ctx, "the disabled skill", `document.querySelector(`+jsString(skill+" button.toggle")+`)?.textContent === "Enable" && document.querySelector(`+jsString(skill+" .reasons")+`).textContent.includes("disabled")`)
	if !skillState() {
		t.Fatal("the skill is not disabled on the gateway after Disable in the UI")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(skill+" button.toggle")))
	waitJS(t, ctx, "the enabled skill", `document.querySelector(`+jsString(skill+" button.toggle")+`)?.textContent === "Disable" && !document.querySelector(`+jsString(skill+" .reasons")+`).textContent.includes("disabled")`)
	if skillState() {
		t.Fatal("the skill is still disabled on the gateway after Enable in the UI")
	}
	// The API key: saved through skills.update, the env reason goes away.
	waitJS(t, ctx, "the env reason", `document.querySelector(`+jsString(skill+" .reasons")+`).textContent.includes("missing env: CLAWDBOT_UI_TEST_MANGO_KEY")`)
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(skill+" .api-key input"), "mk-123"), chromedp.Click(chromedp.CSS(skill+" .api-key button")))
	waitJS(t, ctx, "the saved key", `document.querySelector(`+jsString(skill)+`).textContent.includes("API key saved") && !document.querySelector(`+jsString(skill+" .reasons")+`).textContent.includes("missing env")`)
	var cfg struct {
		Raw string `json:"raw"`
	}
	call(t, cli, "config.get", map[string]any{}, &cfg)
	if !strings.Contains(cfg.Raw, "mango-report") {
		t.Fatalf("the skill entry is not in the config after the UI saved the key:\n%s", cfg.Raw)
	}
	// Install: without brew the installer's failure is shown as it is.
	if _, err := exec.LookPath("brew"); err != nil {
		do(t, ctx, chromedp.Click(chromedp.CSS(skill+" button.install")))
		waitJS(t, ctx, "the install error", `document.querySelector(`+jsString(skill+" .install-result .error")+`)?.textContent.includes("brew not installed")`)
	}

	// Nodes: a pairing request approved, then described and renamed.
	openView(t, ctx, "nodes")
	var req protocol.NodePairRequestResult
	call(t, cli, "node.pair.request", map[string]any{"nodeId": "node-ui-b", "displayName": "Kitchen iPad", "platform": "ios", "version": "2.0"}, &req)
	nsel := fmt.Sprintf(`#node-pending li[data-request-id=%s] button.approve`, jsString(req.Request.RequestID))
	waitJS(t, ctx, "the node request", `document.querySelector(`+jsString(nsel)+`) !== null`)
	do(t, ctx, chromedp.Click(chromedp.CSS(nsel)))
	nrow := `#nodes-list tr[data-node-id="node-ui-b"]`
	waitJS(t, ctx, "the approved node", `document.querySelector(`+jsString(nrow)+`) !== null && document.querySelectorAll("#node-pending li").length === 0`)
	do(t, ctx, chromedp.Click(chromedp.CSS(nrow+" button.describe")))
	waitJS(t, ctx, "the node details", `document.getElementById("node-detail")?.textContent.includes("paired") && document.getElementById("node-detail").textContent.includes("ios")`)
	do(t, ctx, chromedp.Click(chromedp.ID("node-rename-open")))
	waitJS(t, ctx, "the rename form", `document.getElementById("node-name") !== null`)
	evalJS[chromedp.Void](t, ctx, `document.getElementById("node-name").value = "Hall iPad"`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#node-rename button[type=submit]`)))
	waitJS(t, ctx, "the renamed node", `document.querySelector(`+jsString(nrow)+`)?.textContent.includes("Hall iPad")`)
	var plist protocol.NodePairListResult
	call(t, cli, "node.pair.list", map[string]any{}, &plist)
	if len(plist.Paired) != 1 || plist.Paired[0].DisplayName == nil || *plist.Paired[0].DisplayName != "Hall iPad" {
		t.Fatalf("paired nodes after the UI rename: %+v", plist.Paired)
	}

	// Invoke: a live node (a raw protocol client in the node role that declares
	// system.notify) answers a command the UI sends with JSON params; the result is shown.
	node := gatewaytest.Dial(t, fmt.Sprintf("ws://127.0.0.1:%d", d.port))
	node.Handshake(gatewaytest.V3Connect(map[string]any{"role": "node", "auth": map[string]any{"token": testToken},
		"client":   map[string]any{"id": "node-host", "version": "1.0.0", "platform": "linux", "mode": "node", "displayName": "Test Node", "instanceId": "test-node-1"},
		"caps":     []string{"system"},
		"commands": []string{"system.notify"}}))
	go func() {
		for ev := range node.Events {
			if ev.Event != "node.invoke.request" {
				continue
			}
			var req struct {
				ID, NodeID, Command, ParamsJSON string
			}
			if json.Unmarshal(ev.Payload, &req) != nil {
				continue
			}
			payload, _ := json.Marshal(map[string]any{"echo": req.Command, "params": json.RawMessage(req.ParamsJSON)})
			node.Request("node.invoke.result", map[string]any{"id": req.ID, "nodeId": req.NodeID, "ok": true, "payloadJSON": string(payload)})
		}
	}()
	var nl struct {
		Nodes []struct {
			NodeID    string `json:"nodeId"`
			Connected bool   `json:"connected"`
		} `json:"nodes"`
	}
	call(t, cli, "node.list", map[string]any{}, &nl)
	liveID := ""
	for _, n := range nl.Nodes {
		if n.Connected {
			liveID = n.NodeID
		}
	}
	if liveID == "" {
		t.Fatalf("the node is not listed as connected: %+v", nl.Nodes)
	}
	liveRow := fmt.Sprintf(`#nodes-list tr[data-node-id=%s]`, jsString(liveID))
	waitJS(t, ctx, "the live node", `document.querySelector(`+jsString(liveRow)+`)?.textContent.includes("connected")`)
	do(t, ctx, chromedp.Click(chromedp.CSS(liveRow+" button.describe")))
	waitJS(t, ctx, "the live node's details", `document.getElementById("node-detail")?.textContent.includes("connected") && !document.getElementById("invoke-submit").disabled`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("invoke-command"), "system.notify"))
	evalJS[chromedp.Void](t, ctx, `document.getElementById("invoke-params").value = '{"title": "from the ui"}'`)
	do(t, ctx, chromedp.Click(chromedp.ID("invoke-submit")))
	waitJS(t, ctx, "the invoke result", `document.getElementById("invoke-result")?.textContent.includes('"echo": "system.notify"') && document.getElementById("invoke-result").textContent.includes("from the ui")`)
	// Bad JSON never leaves the page.
	evalJS[chromedp.Void](t, ctx, `document.getElementById("invoke-params").value = '{"title": '`)
	do(t, ctx, chromedp.Click(chromedp.ID("invoke-submit")))
	waitJS(t, ctx, "the params error", `document.getElementById("invoke-error")?.textContent.includes("not valid JSON") && !document.getElementById("invoke-result")`)
	shotView(t, ctx, arts, "nodes-invoke-bad-json")
	evalJS[chromedp.Void](t, ctx, `document.getElementById("invoke-params").value = '{"title": "again"}'`)
	do(t, ctx, chromedp.Click(chromedp.ID("invoke-submit")))
	waitJS(t, ctx, "the second result", `document.getElementById("invoke-result")?.textContent.includes("again") && !document.getElementById("invoke-error")`)
	shotView(t, ctx, arts, "nodes-invoke")

	// Devices: a remote device (behind a proxy, so not local) asks to pair.
	dev, err := gatewayclient.NewDeviceIdentity()
	if err != nil {
		t.Fatal(err)
	}
	dialDevice := func() error {
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := gatewayclient.Dial(dctx, fmt.Sprintf("ws://127.0.0.1:%d", d.port), gatewayclient.Options{Token: testToken, Device: dev,
			Header: http.Header{"X-Forwarded-For": {"203.0.113.9"}},
			Client: gatewayclient.ClientInfo{ID: protocol.ClientIDTest, DisplayName: "remote-device", Mode: "test"}})
		if err == nil {
			_ = c.Close()
		}
		return err
	}
	if err := dialDevice(); err == nil || !strings.Contains(err.Error(), "pairing required") {
		t.Fatalf("a new remote device connected without pairing (err %v)", err)
	}
	dsel := `#device-pending li.device-request button.approve`
	waitJS(t, ctx, "the device request", `document.querySelector(`+jsString(dsel)+`) !== null && document.getElementById("device-pending-count").textContent === "1"`)
	noErrorShown(t, ctx, "nodes")
	shotView(t, ctx, arts, "nodes")
	do(t, ctx, chromedp.Click(chromedp.CSS(dsel)))
	drow := fmt.Sprintf(`#devices li[data-device-id=%s]`, jsString(dev.ID))
	waitJS(t, ctx, "the paired device", `document.querySelector(`+jsString(drow)+`) !== null && document.querySelectorAll("#device-pending li").length === 0`)
	if err := dialDevice(); err != nil {
		t.Fatalf("the device approved in the UI cannot connect: %v", err)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(drow+" button.rotate")))
	waitJS(t, ctx, "the new token", `document.querySelector("#device-new-token .token")?.textContent.length > 10`)
	do(t, ctx, chromedp.Click(chromedp.CSS(drow+" button.revoke")), chromedp.Click(chromedp.CSS(drow+" button.revoke")))
	waitJS(t, ctx, "the revoke notice", `document.getElementById("devices-notice")?.textContent.includes("revoked")`)
	noErrorShown(t, ctx, "devices")
	shotView(t, ctx, arts, "devices")

	// Instances: this page and the Go clients are listed.
	openView(t, ctx, "instances")
	waitJS(t, ctx, "the instances", `document.querySelector("#instances tbody")?.textContent.includes("Control UI")`)
	noErrorShown(t, ctx, "instances")
	shotView(t, ctx, arts, "instances")

	// Phone width and dark theme on the new views: no sideways scroll.
	do(t, ctx, chromedp.EmulateViewport(390, 844))
	do(t, ctx, chromedp.Click(chromedp.ID("theme")), chromedp.Click(chromedp.ID("theme")))
	for _, v := range []string{"skills", "nodes", "channels", "instances", "chat", "sessions", "cron"} {
		openView(t, ctx, v)
		if w := evalJS[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); w > 2 {
			t.Errorf("the %s view scrolls sideways by %dpx at phone width", v, w)
		}
	}
	openView(t, ctx, "nodes")
	screenshot(t, ctx, arts, "controlui-view-nodes-phone-dark.png")
	checkClean(t, ctx, "skills, nodes, devices", map[string]string{
		"skills.install": "brew is not installed here; the UI shows the refusal",
	})
}
