package controlui_test

import (
	"context"
	"slices"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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
