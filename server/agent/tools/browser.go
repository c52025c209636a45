package tools

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/chromedp/chromedp/remote"

	"github.com/clawgate/gateway/server/agent/llm"
)

// browser tool limits.
const (
	// DefaultBrowserOpTimeout bounds one action (a navigation, a click, a snapshot).
	DefaultBrowserOpTimeout = 30 * time.Second
	// DefaultBrowserStartTimeout bounds starting (or attaching to) the browser.
	DefaultBrowserStartTimeout = 30 * time.Second
	// DefaultBrowserMaxTabs bounds the tabs the agent may keep open at once.
	DefaultBrowserMaxTabs = 8
	// DefaultBrowserSnapshotMaxChars bounds a snapshot's text sent to the model.
	DefaultBrowserSnapshotMaxChars = 30_000
	// browserRefAttr is the attribute the snapshot script tags interactive elements with.
	browserRefAttr = "data-clawd-ref"
)

//go:embed browser_snapshot.js
var browserSnapshotJS string

// BrowserOptions configure the agent's browser (config browser.*).
type BrowserOptions struct {
	// ExecPath is the Chrome/Chromium binary (browser.executablePath; default: found on PATH).
	ExecPath string
	// Headful shows a window (browser.headless: false); headless by default.
	Headful bool
	// NoSandbox passes --no-sandbox (browser.noSandbox; needed as root in containers).
	NoSandbox bool
	// CDPURL attaches to a running Chrome (browser.cdpUrl, http:// or ws://) instead of
	// starting one; stop then detaches and leaves that browser running.
	CDPURL string
	// Addrs decides which non-public addresses open/navigate may reach (none by default).
	Addrs AddrPolicy
	// LookupHost resolves names for the address guard (default: the system resolver).
	LookupHost func(ctx context.Context, host string) ([]string, error)
	OpTimeout  time.Duration
	MaxTabs    int
	// SnapshotMaxChars is the default and upper bound of snapshot's maxChars.
	SnapshotMaxChars int
	// MediaDir receives screenshots (<state>/media/browser); empty = not saved.
	MediaDir string
	Logger   *slog.Logger
}

// Browser is the one browser of a gateway process, shared by every run's browser tool.
// It starts on first use and stays up until stop or Close. Actions are serialized: a
// tab's chromedp context must not be used by two goroutines at once, and the agent's
// browser use is sequential anyway.
type Browser struct {
	// turn is held by the action (or Close) that owns the fields below; waiting for it
	// ends with the caller's context.
	turn chan struct{}
	opts BrowserOptions

	// next holds the options of the latest Configure; an action takes them over when
	// it starts (a reload does not wait for a running action).
	nextMu sync.Mutex
	next   BrowserOptions

	allocCancel   context.CancelFunc
	browserCtx    context.Context // the browser (its own initial tab is never shown)
	browserCancel context.CancelFunc
	tabs          []*browserTab // in opening order
	current       target.ID
}

type browserTab struct {
	id     target.ID
	ctx    context.Context
	cancel context.CancelFunc
}

// NewBrowser returns a browser that is not started yet.
func NewBrowser(o BrowserOptions) *Browser {
	b := &Browser{turn: make(chan struct{}, 1)}
	b.Configure(o)
	b.opts = b.next
	return b
}

// Configure replaces the options (a config reload); they apply from the next start.
func (b *Browser) Configure(o BrowserOptions) {
	if o.OpTimeout <= 0 {
		o.OpTimeout = DefaultBrowserOpTimeout
	}
	if o.MaxTabs <= 0 {
		o.MaxTabs = DefaultBrowserMaxTabs
	}
	if o.SnapshotMaxChars <= 0 {
		o.SnapshotMaxChars = DefaultBrowserSnapshotMaxChars
	}
	if o.LookupHost == nil {
		o.LookupHost = net.DefaultResolver.LookupHost
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	b.nextMu.Lock()
	b.next = o
	b.nextMu.Unlock()
}

// lock takes the browser for one action, with the latest configured options.
func (b *Browser) lock(ctx context.Context) error {
	select {
	case b.turn <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("browser busy: %w", ctx.Err())
	}
	b.nextMu.Lock()
	b.opts = b.next
	b.nextMu.Unlock()
	return nil
}

func (b *Browser) unlock() { <-b.turn }

// Close stops the browser (gateway shutdown), after the running action if any.
func (b *Browser) Close() error {
	_ = b.lock(context.Background())
	defer b.unlock()
	b.stopLocked()
	return nil
}

// running reports whether a browser is up; one that went away by itself (crashed,
// killed, the remote one closed) is cleaned up so the next use starts a new one.
func (b *Browser) running() bool {
	if b.browserCtx != nil && b.browserCtx.Err() != nil {
		b.opts.Logger.Warn("browser went away; it starts again on next use")
		b.stopLocked()
	}
	return b.browserCtx != nil
}

// startLocked starts Chrome (or attaches to browser.cdpUrl).
func (b *Browser) startLocked(ctx context.Context) error {
	if b.running() {
		return nil
	}
	o := b.opts
	var actx context.Context
	var acancel context.CancelFunc
	if o.CDPURL != "" {
		actx, acancel = remote.NewAllocator(context.Background(), o.CDPURL)
	} else {
		path := o.ExecPath
		if path == "" {
			path = findChrome()
		}
		if path == "" {
			return errors.New("no Chrome/Chromium found; install chromium or set browser.executablePath")
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.Flag("disable-gpu", true),
			chromedp.WindowSize(1280, 900),
		)
		if o.Headful {
			opts = append(opts, chromedp.VisibleWindow)
		}
		if o.NoSandbox {
			opts = append(opts, chromedp.NoSandbox)
		}
		actx, acancel = chromedp.NewExecAllocator(context.Background(), opts...)
	}
	bctx, bcancel := chromedp.NewContext(actx)
	// The first Run starts the browser and ties it to bctx, so it must not carry the
	// call's deadline; the wait is bounded from outside instead.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(bctx) }()
	timer := time.NewTimer(DefaultBrowserStartTimeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		err = errors.New("timed out")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		bcancel()
		acancel()
		return fmt.Errorf("browser start failed: %w", err)
	}
	b.allocCancel, b.browserCtx, b.browserCancel = acancel, bctx, bcancel
	o.Logger.Info("browser started", "cdpUrl", o.CDPURL, "headless", !o.Headful)
	return nil
}

func (b *Browser) stopLocked() {
	if b.browserCtx == nil {
		return
	}
	for _, t := range b.tabs {
		t.cancel()
	}
	b.browserCancel()
	b.allocCancel() // waits for the browser process to exit
	b.tabs, b.current = nil, ""
	b.browserCtx, b.browserCancel, b.allocCancel = nil, nil, nil
	b.opts.Logger.Info("browser stopped")
}

func findChrome() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// BrowserTab is one tab as reported to the model (the original's field names).
type BrowserTab struct {
	TargetID string `json:"targetId"`
	Title    string `json:"title"`
	URL      string `json:"url"`
	Current  bool   `json:"current,omitempty"`
}

func (b *Browser) tabLocked(id string) (*browserTab, error) {
	if id == "" {
		id = string(b.current)
	}
	if id == "" {
		return nil, errors.New("no tab is open; use action=open with targetUrl first")
	}
	for _, t := range b.tabs {
		if string(t.id) == id || (len(id) >= 6 && strings.HasPrefix(string(t.id), id)) {
			return t, nil
		}
	}
	return nil, fmt.Errorf("tab not found: %s (use action=tabs)", id)
}

// tabsLocked lists the agent's tabs with their current title and URL, dropping tabs
// that were closed from the page (window.close) meanwhile.
func (b *Browser) tabsLocked(ctx context.Context) ([]BrowserTab, error) {
	if !b.running() {
		return []BrowserTab{}, nil
	}
	lctx, cancel := context.WithTimeout(b.browserCtx, b.opts.OpTimeout)
	defer cancel()
	infos, err := chromedp.Targets(lctx)
	if err != nil {
		// The browser no longer answers (crashed, killed, the remote one closed):
		// forget it, so the next use starts a new one instead of failing forever.
		b.stopLocked()
		return nil, fmt.Errorf("browser not reachable (stopped; it starts again on next use): %w", err)
	}
	byID := map[target.ID]*target.Info{}
	for _, in := range infos {
		byID[in.TargetID] = in
	}
	out := []BrowserTab{}
	kept := b.tabs[:0]
	for _, t := range b.tabs {
		in, ok := byID[t.id]
		if !ok {
			t.cancel()
			if b.current == t.id {
				b.current = ""
			}
			continue
		}
		kept = append(kept, t)
		out = append(out, BrowserTab{TargetID: string(t.id), Title: in.Title, URL: in.URL, Current: t.id == b.current})
	}
	b.tabs = kept
	if b.current == "" && len(b.tabs) > 0 {
		b.current = b.tabs[len(b.tabs)-1].id
	}
	return out, nil
}

// checkURL applies the address guard to a URL the agent wants to browse: http(s)
// only, and the host (a literal or every address its name resolves to) must pass.
func (b *Browser) checkURL(ctx context.Context, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("Invalid URL: must be http or https")
	}
	host := u.Hostname()
	if err := checkLiteralHost(host, b.opts.Addrs); err != nil {
		return nil, fmt.Errorf("browser refused: %w", err)
	}
	if _, err := netip.ParseAddr(host); err == nil || b.opts.Addrs.AllowPrivate {
		return u, nil
	}
	addrs, err := b.opts.LookupHost(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("browser: resolve %s: %w", host, err)
	}
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			continue
		}
		if err := b.opts.Addrs.check(ip); err != nil {
			return nil, fmt.Errorf("browser refused: %s: %w", host, err)
		}
	}
	return u, nil
}

// navigateLocked loads u in tab and re-checks where the page ended up (a redirect to
// an internal address is refused after the fact, leaving about:blank).
func (b *Browser) navigateLocked(ctx context.Context, t *browserTab, u *url.URL) error {
	octx, cancel := b.opCtx(ctx, t)
	defer cancel()
	if err := chromedp.Do(octx, chromedp.Navigate(u.String())); err != nil {
		return fmt.Errorf("navigate %s: %w", u, err)
	}
	final, err := chromedp.Run(octx, chromedp.Location())
	if err != nil {
		return fmt.Errorf("navigate %s: %w", u, err)
	}
	if final != u.String() {
		if _, err := b.checkURL(ctx, final); err != nil && !strings.HasPrefix(final, "about:") && !strings.HasPrefix(final, "chrome-error:") {
			_ = chromedp.Do(octx, chromedp.Navigate("about:blank"))
			return fmt.Errorf("redirected to %s: %w", final, err)
		}
	}
	return nil
}

// guardCurrent refuses to read a tab whose page moved (by script, a meta refresh or a
// click) to an internal address since it was opened, and leaves it on about:blank.
func (b *Browser) guardCurrent(call, octx context.Context) error {
	loc, err := chromedp.Run(octx, chromedp.Location())
	if err != nil {
		return fmt.Errorf("read the tab's address: %w", err)
	}
	u, err := url.Parse(loc)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil // about:blank, data:, error pages: nothing fetched from a network address
	}
	if _, err := b.checkURL(call, loc); err != nil {
		_ = chromedp.Do(octx, chromedp.Navigate("about:blank"))
		return fmt.Errorf("the page moved to %s: %w", loc, err)
	}
	return nil
}

// opCtx bounds one action on tab t by the op timeout and by the call's context.
func (b *Browser) opCtx(call context.Context, t *browserTab) (context.Context, context.CancelFunc) {
	octx, cancel := context.WithTimeout(t.ctx, b.opts.OpTimeout)
	stop := context.AfterFunc(call, cancel)
	return octx, func() { stop(); cancel() }
}

// BrowserStatus is the status payload.
type BrowserStatus struct {
	Enabled        bool   `json:"enabled"`
	Running        bool   `json:"running"`
	Headless       bool   `json:"headless"`
	CDPURL         string `json:"cdpUrl,omitempty"`
	ExecutablePath string `json:"executablePath,omitempty"`
	Tabs           int    `json:"tabs"`
	MaxTabs        int    `json:"maxTabs"`
	TargetID       string `json:"targetId,omitempty"`
}

func (b *Browser) statusLocked() BrowserStatus {
	return BrowserStatus{Enabled: true, Running: b.running(), Headless: !b.opts.Headful, CDPURL: b.opts.CDPURL,
		ExecutablePath: b.opts.ExecPath, Tabs: len(b.tabs), MaxTabs: b.opts.MaxTabs, TargetID: string(b.current)}
}

type browserArgs struct {
	Action    string   `json:"action"`
	TargetURL string   `json:"targetUrl"`
	URL       string   `json:"url"`
	TargetID  string   `json:"targetId"`
	MaxChars  *float64 `json:"maxChars"`
	FullPage  bool     `json:"fullPage"`
	Ref       string   `json:"ref"`
	Request   *struct {
		Kind     string `json:"kind"`
		TargetID string `json:"targetId"`
		Ref      string `json:"ref"`
		Text     string `json:"text"`
		Submit   bool   `json:"submit"`
		Key      string `json:"key"`
	} `json:"request"`
}

var browserRefRe = regexp.MustCompile(`^e[0-9]+$`)

// normRef accepts e12, ref=e12, [ref=e12] and @e12.
func normRef(ref string) (string, error) {
	r := strings.Trim(strings.TrimSpace(ref), "[]@")
	r = strings.TrimPrefix(r, "ref=")
	if !browserRefRe.MatchString(r) {
		return "", fmt.Errorf("invalid ref %q: use a ref such as e12 from the latest snapshot", ref)
	}
	return r, nil
}

// BrowserTool returns the browser tool driving b.
func BrowserTool(b *Browser) (*Tool, error) {
	return withSchema(&Tool{Name: "browser", Label: "Browser",
		Description: "Control a headless Chrome browser (status/start/stop/tabs/open/focus/close/navigate/snapshot/screenshot/act). " +
			"Use snapshot to read the page: interactive elements carry refs such as [ref=e12]; act with request {kind: click|type|press|close, ref, text, submit, key} uses them. " +
			"Refs change with every snapshot; take a new one after the page changes. Internal network addresses are refused.",
		Timeout: DefaultBrowserStartTimeout + DefaultBrowserOpTimeout + 10*time.Second,
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a browserArgs
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			if err := b.lock(ctx); err != nil {
				return Result{}, err
			}
			defer b.unlock()
			return b.execLocked(ctx, a)
		}})
}

func (b *Browser) execLocked(ctx context.Context, a browserArgs) (Result, error) {
	switch a.Action {
	case "status":
		// A browser that no longer answers is stopped by tabsLocked; status reports that.
		_, _ = b.tabsLocked(ctx)
		return JSONResult(b.statusLocked()), nil
	case "start":
		if err := b.startLocked(ctx); err != nil {
			return Result{}, err
		}
		return JSONResult(b.statusLocked()), nil
	case "stop":
		b.stopLocked()
		return JSONResult(b.statusLocked()), nil
	case "tabs":
		tabs, err := b.tabsLocked(ctx)
		if err != nil {
			return Result{}, err
		}
		return JSONResult(map[string]any{"tabs": tabs}), nil
	case "open":
		return b.openLocked(ctx, cmp(a.TargetURL, a.URL))
	case "navigate":
		raw := cmp(a.TargetURL, a.URL)
		if raw == "" {
			return Result{}, errors.New("targetUrl required")
		}
		u, err := b.checkURL(ctx, raw)
		if err != nil {
			return Result{}, err
		}
		if !b.running() || len(b.tabs) == 0 {
			return b.openLocked(ctx, raw)
		}
		t, err := b.tabLocked(a.TargetID)
		if err != nil {
			return Result{}, err
		}
		if err := b.navigateLocked(ctx, t, u); err != nil {
			return Result{}, err
		}
		b.current = t.id
		return b.tabResultLocked(ctx, t)
	case "focus":
		if a.TargetID == "" {
			return Result{}, errors.New("targetId required")
		}
		t, err := b.tabLocked(a.TargetID)
		if err != nil {
			return Result{}, err
		}
		b.current = t.id
		_ = chromedp.Do(t.ctx, func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.CallBrowser(ctx, target.ActivateTarget, target.ActivateTargetParams{TargetID: t.id})
			return chromedp.Void{}, err
		})
		return JSONResult(map[string]any{"ok": true, "targetId": string(t.id)}), nil
	case "close":
		return b.closeLocked(a.TargetID)
	case "snapshot":
		t, err := b.tabLocked(a.TargetID)
		if err != nil {
			return Result{}, err
		}
		maxChars := b.opts.SnapshotMaxChars
		if a.MaxChars != nil && *a.MaxChars > 0 {
			maxChars = min(maxChars, max(500, int(*a.MaxChars)))
		}
		return b.snapshotLocked(ctx, t, maxChars)
	case "screenshot":
		t, err := b.tabLocked(a.TargetID)
		if err != nil {
			return Result{}, err
		}
		return b.screenshotLocked(ctx, t, a.FullPage)
	case "act":
		if a.Request == nil || a.Request.Kind == "" {
			return Result{}, errors.New("request required")
		}
		return b.actLocked(ctx, a)
	case "":
		return Result{}, errors.New("action required")
	}
	return Result{}, fmt.Errorf("Unknown action: %s", a.Action)
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (b *Browser) openLocked(ctx context.Context, raw string) (Result, error) {
	if raw == "" {
		return Result{}, errors.New("targetUrl required")
	}
	u, err := b.checkURL(ctx, raw)
	if err != nil {
		return Result{}, err
	}
	if err := b.startLocked(ctx); err != nil {
		return Result{}, err
	}
	if _, err := b.tabsLocked(ctx); err != nil {
		return Result{}, err
	}
	if len(b.tabs) >= b.opts.MaxTabs {
		return Result{}, fmt.Errorf("tab limit reached (%d open); close a tab first", len(b.tabs))
	}
	tctx, tcancel := chromedp.NewContext(b.browserCtx)
	// The first Run creates the tab; it must not carry a deadline (the deadline would
	// close the tab when it expires), so the tab is created with a blank page first.
	if err := chromedp.Do(tctx); err != nil {
		tcancel()
		return Result{}, fmt.Errorf("open tab: %w", err)
	}
	t := &browserTab{id: chromedp.FromContext(tctx).Target.TargetID, ctx: tctx, cancel: tcancel}
	b.tabs = append(b.tabs, t)
	b.current = t.id
	if err := b.navigateLocked(ctx, t, u); err != nil {
		// A tab that never showed its page is not kept (it would count toward the limit).
		_, _ = b.closeLocked(string(t.id))
		return Result{}, err
	}
	return b.tabResultLocked(ctx, t)
}

func (b *Browser) tabResultLocked(ctx context.Context, t *browserTab) (Result, error) {
	tabs, err := b.tabsLocked(ctx)
	if err != nil {
		return Result{}, err
	}
	for _, tab := range tabs {
		if tab.TargetID == string(t.id) {
			return JSONResult(tab), nil
		}
	}
	return Result{}, errors.New("the tab closed")
}

func (b *Browser) closeLocked(id string) (Result, error) {
	t, err := b.tabLocked(id)
	if err != nil {
		return Result{}, err
	}
	t.cancel() // closes the tab
	b.tabs = slices.DeleteFunc(b.tabs, func(x *browserTab) bool { return x == t })
	if b.current == t.id {
		b.current = ""
		if len(b.tabs) > 0 {
			b.current = b.tabs[len(b.tabs)-1].id
		}
	}
	return JSONResult(map[string]any{"ok": true, "closed": string(t.id)}), nil
}

// BrowserSnapshot is the details of a snapshot result.
type BrowserSnapshot struct {
	TargetID  string `json:"targetId"`
	URL       string `json:"url"`
	Title     string `json:"title"`
	Refs      int    `json:"refs"`
	Truncated bool   `json:"truncated,omitempty"`
}

func (b *Browser) snapshotLocked(ctx context.Context, t *browserTab, maxChars int) (Result, error) {
	octx, cancel := b.opCtx(ctx, t)
	defer cancel()
	if err := b.guardCurrent(ctx, octx); err != nil {
		return Result{}, err
	}
	var snap struct {
		Title     string `json:"title"`
		URL       string `json:"url"`
		Text      string `json:"text"`
		Refs      int    `json:"refs"`
		Truncated bool   `json:"truncated"`
	}
	raw, err := chromedp.Run(octx, chromedp.Evaluate[json.RawMessage](fmt.Sprintf("(%s)(%d)", strings.TrimSpace(browserSnapshotJS), maxChars)))
	if err != nil {
		return Result{}, fmt.Errorf("snapshot: %w", err)
	}
	if err := json.Unmarshal(raw, &snap); err != nil {
		return Result{}, fmt.Errorf("snapshot: %w", err)
	}
	text, truncated := snap.Text, snap.Truncated
	if r := []rune(text); len(r) > maxChars {
		text, truncated = string(r[:maxChars]), true
	}
	if truncated {
		text += "\n…(truncated; pass a larger maxChars or act on what is shown)"
	}
	d := BrowserSnapshot{TargetID: string(t.id), URL: snap.URL, Title: snap.Title, Refs: snap.Refs, Truncated: truncated}
	body := fmt.Sprintf("Page: %s\nURL: %s\ntargetId: %s\n\n%s", snap.Title, snap.URL, t.id, text)
	return TextResult(body, d), nil
}

func (b *Browser) screenshotLocked(ctx context.Context, t *browserTab, fullPage bool) (Result, error) {
	octx, cancel := b.opCtx(ctx, t)
	defer cancel()
	if err := b.guardCurrent(ctx, octx); err != nil {
		return Result{}, err
	}
	shot := chromedp.CaptureScreenshot()
	if fullPage {
		shot = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(octx, shot)
	if err != nil {
		return Result{}, fmt.Errorf("screenshot: %w", err)
	}
	details := map[string]any{"targetId": string(t.id), "bytes": len(png)}
	text := fmt.Sprintf("Screenshot of tab %s (%d bytes PNG)", t.id, len(png))
	if dir := b.opts.MediaDir; dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return Result{}, fmt.Errorf("screenshot: %w", err)
		}
		path := filepath.Join(dir, fmt.Sprintf("browser-%d.png", time.Now().UnixNano()))
		if err := os.WriteFile(path, png, 0o600); err != nil {
			return Result{}, fmt.Errorf("screenshot: %w", err)
		}
		details["path"] = path
		text = "MEDIA:" + path
	}
	return Result{Content: []llm.Part{llm.TextPart(text), llm.ImagePart("image/png", base64.StdEncoding.EncodeToString(png))},
		Details: details}, nil
}

// browserKeys maps key names (Enter, Tab, ArrowDown, ...) to the runes chromedp's
// keyboard encodes them from.
var browserKeys = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for r, k := range kb.Keys {
		if len([]rune(k.Key)) > 1 {
			m[strings.ToLower(k.Key)] = string(r)
		}
	}
	m["esc"], m["return"], m["space"] = kb.Escape, kb.Enter, " "
	return m
})

func (b *Browser) actLocked(ctx context.Context, a browserArgs) (Result, error) {
	req := a.Request
	id := cmp(req.TargetID, a.TargetID)
	if req.Kind == "close" {
		return b.closeLocked(id)
	}
	t, err := b.tabLocked(id)
	if err != nil {
		return Result{}, err
	}
	octx, cancel := b.opCtx(ctx, t)
	defer cancel()
	sel := func() (chromedp.CSS, error) {
		ref, err := normRef(cmp(req.Ref, a.Ref))
		if err != nil {
			return "", err
		}
		css := chromedp.CSS(fmt.Sprintf(`[%s="%s"]`, browserRefAttr, ref))
		ok, err := chromedp.Run(octx, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.querySelector(%q)`, string(css))))
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("ref %s not found on the page; take a new snapshot", ref)
		}
		return css, nil
	}
	switch req.Kind {
	case "click":
		css, err := sel()
		if err != nil {
			return Result{}, err
		}
		if err := chromedp.Do(octx, chromedp.ScrollIntoView(css), chromedp.Click(css)); err != nil {
			return Result{}, fmt.Errorf("click: %w", err)
		}
	case "type":
		css, err := sel()
		if err != nil {
			return Result{}, err
		}
		// Replace the field's content, as the original's fill does, then type.
		clear := fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.focus();
			if ('value' in el) { el.value = ''; } else if (el.isContentEditable) { el.textContent = ''; }
			el.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, string(css))
		steps := []chromedp.Action[chromedp.Void]{chromedp.ScrollIntoView(css), discard(chromedp.Evaluate[bool](clear)), chromedp.SendKeys(css, req.Text)}
		if req.Submit {
			steps = append(steps, chromedp.SendKeys(css, kb.Enter))
		}
		if err := chromedp.Do(octx, steps...); err != nil {
			return Result{}, fmt.Errorf("type: %w", err)
		}
	case "press":
		key := req.Key
		if key == "" {
			return Result{}, errors.New("key required")
		}
		if k, ok := browserKeys()[strings.ToLower(key)]; ok {
			key = k
		}
		if err := chromedp.Do(octx, chromedp.KeyEvent(key)); err != nil {
			return Result{}, fmt.Errorf("press: %w", err)
		}
	default:
		return Result{}, fmt.Errorf("act kind %q is not supported (click, type, press, close)", req.Kind)
	}
	return JSONResult(map[string]any{"ok": true, "targetId": string(t.id)}), nil
}

// discard turns an action with a value into one without.
func discard[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}
