package canvas

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clawgate/gateway/server/gatewaytest"
)

// TestLiveReloadInBrowser: a page open in chromium reloads by itself when a file in
// the root changes, and shows the new content.
func TestLiveReloadInBrowser(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "index.html"), []byte(`<!doctype html><html><body><h1 id="v">version one</h1></body></html>`), 0o644))
	h, srv := newHost(t, root, true)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(gatewaytest.Chromium(t)), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	poll := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(2*time.Second))
	}
	// waitPage polls expr until it holds; a reload destroys the page's execution
	// context mid-poll, which is expected here, so those errors just retry.
	waitPage := func(expr string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := chromedp.Do(tctx, poll(expr))
			cancel()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("page never satisfied %s: %v", expr, err)
			}
		}
	}
	run(chromedp.Navigate(srv.URL + FilesPrefix))
	waitPage(`document.getElementById("v")?.textContent === "version one"`)
	waitFor(t, func() bool { return h.Clients() == 1 })
	// A marker that only survives if the page is NOT reloaded.
	run(chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`))

	must(t, os.WriteFile(filepath.Join(root, "index.html"), []byte(`<!doctype html><html><body><h1 id="v">version two</h1></body></html>`), 0o644))
	waitPage(`document.getElementById("v")?.textContent === "version two" && window.__notReloaded === undefined`)
	// The reloaded page connects again and keeps following changes.
	waitFor(t, func() bool { return h.Clients() == 1 })
	must(t, os.WriteFile(filepath.Join(root, "style.css"), []byte(`h1 { color: red }`), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "index.html"), []byte(`<!doctype html><html><head><link rel="stylesheet" href="style.css"></head><body><h1 id="v">version three</h1></body></html>`), 0o644))
	waitPage(`document.getElementById("v")?.textContent === "version three" && getComputedStyle(document.getElementById("v")).color === "rgb(255, 0, 0)"`)
}
