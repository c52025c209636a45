package controlui_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/clawgate/gateway/server/gatewaytest"
)

// The browser tests drive Debian's chromium (installed by .ci/run) through chromedp.
// Without a chromium binary they skip, unless CLAWDBOT_REQUIRE_BROWSER=1 (CI), where a
// missing browser is a failure. CLAWDBOT_CHROMIUM names the binary explicitly.

// waitTimeout bounds every wait for the page; generous for a loaded 2-core machine.
const waitTimeout = 15 * time.Second

// One chromium serves every browser test in the package (starting it is most of a
// browser test's cost); each test gets its own tab in a fresh browser context, so
// localStorage, cookies and injected scripts never leak between tests.
var shared struct {
	once    sync.Once
	ctx     context.Context // the browser
	err     error
	cleanup func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cleanup != nil {
		shared.cleanup()
	}
	os.Exit(code)
}

func sharedBrowser(t *testing.T) context.Context {
	t.Helper()
	path := gatewaytest.Chromium(t)
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "clawdbot-chromium-")
		if err != nil {
			shared.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox, // CI runs as root
			chromedp.Flag("disable-gpu", true),
			chromedp.WindowSize(1280, 1000),
			chromedp.UserDataDir(dir),
			// For the HTTPS tests: names under clawdbot.test reach this machine, and the
			// test servers' self-signed certificates are accepted (no other test uses TLS).
			chromedp.Flag("host-resolver-rules", "MAP *.clawdbot.test 127.0.0.1"),
			chromedp.Flag("ignore-certificate-errors", true),
		)
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(actx)
		shared.cleanup = func() {
			cancel()
			cancelAlloc()
			_ = os.RemoveAll(dir)
		}
		// The first Run starts the browser; it must not carry a timeout.
		if err := chromedp.Do(ctx); err != nil {
			shared.err = fmt.Errorf("start chromium: %w", err)
			return
		}
		shared.ctx = ctx
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.ctx
}

// newBrowser opens a tab for this test in a fresh browser context of the shared
// chromium; the tab and its context go away when the test ends.
//
// Every tab carries the failure probe (pageProbe), and when the test ends without
// having failed, whatever the probe recorded is checked against the failures the
// test's checkClean calls allowed: an unexpected ok:false answer or a console error
// anywhere in a browser test fails it, even after its last explicit check.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(sharedBrowser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1000)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: pageProbe}); err != nil {
		t.Fatalf("install the failure probe: %v", err)
	}
	probe := &tabProbe{allowed: map[string]string{}, unavailable: map[string]bool{}}
	ctx = context.WithValue(ctx, tabProbeKey{}, probe)
	// Registered after cancel, so it runs first, while the tab is still open.
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		probe.mu.Lock()
		allowed := maps.Clone(probe.allowed)
		probe.mu.Unlock()
		checkRecorded(t, ctx, "at the end of the test", allowed)
	})
	return ctx
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// waitJS waits until the expression is truthy in the page.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, waitTimeout+time.Second)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout))); err != nil {
		t.Fatalf("waiting for %s (%s): %v\npage state: %s", what, expr, err, pageState(ctx))
	}
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// pageState is a short description of the UI for failure messages.
func pageState(ctx context.Context) string {
	tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(tctx, chromedp.Evaluate[string](`JSON.stringify({conn: document.body?.dataset.conn, banner: document.getElementById("banner")?.innerText, login: document.getElementById("login-error")?.innerText, main: document.getElementById("dash")?.innerText?.slice(0, 1500)})`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return s
}

// artifactsDir is $CLAWDBOT_ARTIFACTS or a directory that outlives the test.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CLAWDBOT_ARTIFACTS")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "clawdbot-artifacts-"); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)); err != nil {
		t.Fatalf("scroll: %v", err)
	}
	png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot saved: %s (%s bytes)", path, strconv.Itoa(len(png)))
}
