// The app shell: login, connection state and banner, navigation (hash routes, so a
// base path needs no server support), theme, and the fan-out of gateway events to the
// views. State comes from hello-ok, then events; on a seq gap or a reconnect every
// view refetches.
import { LitElement, html, nothing } from "lit";
import { Gateway, uuid, type Auth, type ConnState, type EventFrame, type Hello } from "./gateway.js";
import type { View } from "./view.js";
import { forgetDeviceTokens, hasDeviceToken } from "./device.js";
import { OverviewView } from "./views/overview.js";
import { ChatView } from "./views/chat.js";
import { LogsView } from "./views/logs.js";
import { SessionsView } from "./views/sessions.js";
import { CronView } from "./views/cron.js";
import { ApprovalsView } from "./views/approvals.js";
import { ConfigView } from "./views/config.js";
import { DebugView } from "./views/debug.js";
import { ChannelsView } from "./views/channels.js";
import { InstancesView } from "./views/instances.js";
import { SkillsView } from "./views/skills.js";
import { NodesView } from "./views/nodes.js";

const AUTH_KEY = "clawdbot.controlUi.auth";
const INSTANCE_KEY = "clawdbot.controlUi.instanceId";
const THEME_KEY = "clawdbot.controlUi.theme";

export const ROUTES = [
  { id: "overview", label: "Overview", make: () => new OverviewView() },
  { id: "chat", label: "Chat", make: () => new ChatView() },
  { id: "channels", label: "Channels", make: () => new ChannelsView() },
  { id: "instances", label: "Instances", make: () => new InstancesView() },
  { id: "sessions", label: "Sessions", make: () => new SessionsView() },
  { id: "cron", label: "Cron", make: () => new CronView() },
  { id: "skills", label: "Skills", make: () => new SkillsView() },
  { id: "nodes", label: "Nodes", make: () => new NodesView() },
  { id: "approvals", label: "Approvals", make: () => new ApprovalsView() },
  { id: "config", label: "Config", make: () => new ConfigView() },
  { id: "logs", label: "Logs", make: () => new LogsView() },
  { id: "debug", label: "Debug", make: () => new DebugView() },
] as const;
type RouteId = (typeof ROUTES)[number]["id"];

function loadAuth(): Auth | null {
  try {
    const a = JSON.parse(localStorage.getItem(AUTH_KEY) || "null");
    if (a && typeof a === "object") return a; // {} = a gateway without auth
  } catch {}
  return null;
}

function instanceId(): string {
  let id = localStorage.getItem(INSTANCE_KEY);
  if (!id) {
    id = uuid();
    localStorage.setItem(INSTANCE_KEY, id);
  }
  return id;
}

function routeFromHash(): RouteId {
  const h = location.hash.replace(/^#\/?/, "");
  return (ROUTES.find((r) => r.id === h)?.id ?? "overview") as RouteId;
}

export class App extends LitElement {
  gw: Gateway;
  private views = new Map<RouteId, View>();
  private route: RouteId = routeFromHash();
  private conn: ConnState = "idle";
  private showLogin = false;
  private loginError = "";
  private banner = "";
  private serverInfo = "";
  private canvasUrl = "";
  private approvals = 0;
  /** Pending pairing requests by requestId ("node:" or "device:" prefix), for the Nodes badge. */
  private pairing = new Set<string>();
  private pairingGen = 0;
  private theme = localStorage.getItem(THEME_KEY) || "system";

  constructor() {
    super();
    const base = (window as any).__CLAWDBOT_CONTROL_UI_BASE_PATH__ || "";
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${base}/`;
    this.gw = new Gateway(url, instanceId());
    for (const r of ROUTES) {
      const v = r.make();
      v.gw = this.gw;
      v.id = `view-${r.id}`;
      v.classList.add("view");
      this.views.set(r.id, v);
    }
    (this.views.get("approvals") as ApprovalsView).onCount = (n) => {
      this.approvals = n;
      this.requestUpdate();
    };
    this.applyTheme();
    this.wire();
  }

  protected createRenderRoot(): HTMLElement {
    return this;
  }

  connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("hashchange", () => this.go(routeFromHash(), false));
    const a = loadAuth();
    if (a) this.gw.start(a);
    else if (hasDeviceToken()) this.gw.start({}); // a paired browser needs no secret
    else this.showLogin = true;
    this.setActive();
    // Relative times age in place.
    setInterval(() => this.views.get(this.route)?.requestUpdate(), 5000);
  }

  private wire() {
    const gw = this.gw;
    gw.addEventListener("state", (e) => {
      const { state: s, reason } = (e as CustomEvent).detail;
      this.conn = s;
      document.body.dataset.conn = s;
      if (s === "disconnected" || (s === "connecting" && gw.attempt > 0)) {
        this.banner = `Disconnected from the gateway${reason ? ` (${reason})` : ""}. Reconnecting…`;
      } else {
        this.banner = "";
      }
      if (s === "unauthorized") {
        this.showLogin = true;
        this.loginError = `The gateway refused the token: ${reason || "unauthorized"}`;
      }
      if (s !== "connected") for (const v of this.views.values()) v.disconnected();
      this.requestUpdate();
    });
    gw.addEventListener("retry", (e) => {
      const d = (e as CustomEvent).detail;
      this.banner = gw.pairingRequestId
        ? `This browser is waiting for device pairing approval (request ${gw.pairingRequestId}): approve it from a paired Control UI or with the CLI. Retrying in ${(d.delay / 1000).toFixed(1)} s…`
        : `Disconnected from the gateway. Reconnecting in ${(d.delay / 1000).toFixed(1)} s (attempt ${d.attempt})…`;
      this.requestUpdate();
    });
    gw.addEventListener("hello", (e) => {
      const h = (e as CustomEvent).detail as Hello;
      this.showLogin = false;
      this.loginError = "";
      const srv = h.server || {};
      this.serverInfo = `${srv.host ? srv.host + " · " : ""}${/^\d/.test(srv.version || "") ? "v" : ""}${srv.version ?? ""}${srv.commit ? " (" + srv.commit.slice(0, 7) + ")" : ""}`;
      this.canvasUrl = h.canvasHostUrl ? `${h.canvasHostUrl}/__clawdbot__/canvas/` : "";
      const snap = h.snapshot || {};
      (this.views.get("overview") as OverviewView).applyHello(snap);
      (this.views.get("chat") as ChatView).setSession(snap.sessionDefaults?.mainSessionKey || "main");
      (this.views.get("sessions") as SessionsView).mainKey = snap.sessionDefaults?.mainSessionKey || "";
      this.requestUpdate();
      for (const v of this.views.values()) v.connected();
      void this.refreshPairing();
    });
    gw.addEventListener("gap", () => {
      for (const v of this.views.values()) v.connected();
      void this.refreshPairing();
    });
    gw.addEventListener("event", (e) => {
      const ev = (e as CustomEvent).detail as EventFrame;
      if (ev.event === "shutdown") {
        this.banner = ev.payload?.restartExpectedMs ? "The gateway is restarting…" : "The gateway is stopping…";
        this.requestUpdate();
      }
      this.pairingEvent(ev);
      for (const v of this.views.values()) v.onEvent(ev);
    });
  }

  /**
   * refreshPairing reloads the pending node and device pairing requests (after hello-ok
   * and a seq gap); events keep the set current in between. A list the connection may
   * not read (scope) counts as empty.
   */
  private async refreshPairing() {
    const gen = ++this.pairingGen;
    const list = async (m: string) => {
      if (!this.gw.supports(m)) return [];
      try {
        return ((await this.gw.request<any>(m))?.pending ?? []) as any[];
      } catch {
        return [];
      }
    };
    const [nodes, devices] = await Promise.all([list("node.pair.list"), list("device.pair.list")]);
    if (gen !== this.pairingGen) return;
    this.pairing = new Set([...nodes.map((p) => "node:" + p.requestId), ...devices.map((p) => "device:" + p.requestId)]);
    this.requestUpdate();
  }

  private pairingEvent(ev: EventFrame) {
    const m = /^(node|device)\.pair\.(requested|resolved)$/.exec(ev.event);
    const id = ev.payload?.requestId;
    if (!m || typeof id !== "string") return;
    const key = `${m[1]}:${id}`;
    if (m[2] === "requested") this.pairing.add(key);
    else this.pairing.delete(key);
    this.requestUpdate();
  }

  private go(r: RouteId, push = true) {
    if (push && location.hash !== `#/${r}`) location.hash = `#/${r}`;
    this.route = r;
    this.setActive();
    this.requestUpdate();
  }

  private setActive() {
    for (const [id, v] of this.views) {
      const on = id === this.route;
      const was = v.active;
      v.active = on;
      v.hidden = !on;
      if (on && !was && this.gw.state === "connected") v.shown();
    }
  }

  private applyTheme() {
    if (this.theme === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = this.theme;
  }

  private cycleTheme() {
    this.theme = { system: "light", light: "dark", dark: "system" }[this.theme] || "system";
    localStorage.setItem(THEME_KEY, this.theme);
    this.applyTheme();
    this.requestUpdate();
  }

  private login(e: Event) {
    e.preventDefault();
    const tok = this.querySelector<HTMLInputElement>("#token")!;
    const pw = this.querySelector<HTMLInputElement>("#use-password")!;
    const secret = tok.value.trim();
    const auth: Auth = !secret ? {} : pw.checked ? { password: secret } : { token: secret };
    localStorage.setItem(AUTH_KEY, JSON.stringify(auth));
    tok.value = "";
    this.showLogin = false;
    this.loginError = "";
    this.requestUpdate();
    this.gw.start(auth);
  }

  private logout() {
    localStorage.removeItem(AUTH_KEY);
    forgetDeviceTokens(); // else a reload would sign straight back in with the device token
    this.gw.stop();
    this.showLogin = true;
    this.requestUpdate();
  }

  protected updated(): void {
    if (this.showLogin) this.querySelector<HTMLInputElement>("#token")?.focus();
  }

  render() {
    const label = { idle: "not connected", connecting: "connecting…", connected: "connected", disconnected: "disconnected", unauthorized: "token rejected" }[this.conn];
    const dash = !this.showLogin && this.gw.hello != null;
    return html`
      <a class="skip" href="#dash">Skip to content</a>
      <header class="top">
        <div class="brand"><span class="logo" aria-hidden="true"></span><span>Clawdbot</span> <small>control</small></div>
        <span id="conn" class="pill" data-state=${this.conn} role="status">${label}</span>
        <span id="server-info" class="muted">${this.serverInfo}</span>
        <span class="spacer"></span>
        <a id="canvas-link" class="link" target="_blank" rel="noopener" ?hidden=${!this.canvasUrl} href=${this.canvasUrl || nothing}>Canvas ↗</a>
        <button id="theme" class="ghost" @click=${this.cycleTheme} aria-label="Theme: ${this.theme} (click to change)">${{ system: "◐ auto", light: "☀ light", dark: "☾ dark" }[this.theme] ?? this.theme}</button>
        <button id="logout" class="ghost" @click=${this.logout}>Change token</button>
      </header>
      <div id="banner" class="banner" role="status" ?hidden=${!this.banner}>
        <span id="banner-text">${this.banner}</span>
        <button id="reconnect-now" class="ghost" @click=${() => { const a = loadAuth(); if (a) this.gw.start(a); }}>Retry now</button>
      </div>
      <section id="login" class="login" ?hidden=${!this.showLogin}>
        <form id="login-form" class="card" @submit=${this.login}>
          <h2>Connect to the gateway</h2>
          <p class="muted">Enter the gateway token (<code>gateway.auth.token</code>). It is kept in this browser only. Leave it empty for a gateway without auth.</p>
          <label>Gateway token <input id="token" type="password" autocomplete="current-password" spellcheck="false"></label>
          <label class="inline"><input id="use-password" type="checkbox"> this is a password (<code>gateway.auth.password</code>)</label>
          <button id="connect" type="submit" class="primary">Connect</button>
          <p id="login-error" class="error" role="alert">${this.loginError}</p>
        </form>
      </section>
      <nav class="tabs" aria-label="Views" ?hidden=${!dash}>
        ${ROUTES.map(
          (r) => html`<a id="nav-${r.id}" href="#/${r.id}" aria-current=${r.id === this.route ? "page" : nothing}
            @click=${(e: Event) => (e.preventDefault(), this.go(r.id))}>${r.label}${r.id === "approvals" && this.approvals
              ? html` <span id="approvals-badge" class="count alert" aria-label="${this.approvals} waiting">${this.approvals}</span>`
              : nothing}${r.id === "nodes" && this.pairing.size
              ? html` <span id="pairing-badge" class="count alert" aria-label="${this.pairing.size} pairing request${this.pairing.size > 1 ? "s" : ""} waiting">${this.pairing.size}</span>`
              : nothing}</a>`,
        )}
      </nav>
      <main id="dash" tabindex="-1" ?hidden=${!dash}>${[...this.views.values()]}</main>`;
  }
}
customElements.define("cb-app", App);
