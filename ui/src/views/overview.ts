// Overview: health, a channels summary (every channel account), the heartbeat, the cron
// scheduler, the default model, connections by mode and role, nodes with pairing
// approve/reject, and connected instances. Each card refetches after every hello-ok and
// seq gap (connected) and follows its events: health (which also signals a channel
// change), heartbeat, cron, presence, node.pair.*.
import { html, nothing } from "lit";
import { ErrorCode } from "../../../gen/js/protocol.js";
import { View } from "../view.js";
import type { EventFrame, GatewayError } from "../gateway.js";
import { ago, duration } from "../util.js";
import { accountOk, accountState, allAccountRows } from "../channelmodel.js";
import { configuredModels, defaultModel, nodeRows, presenceCounts } from "../viewhelpers.js";

/** Events refetch channels.status and cron.status at most this often. */
const REFRESH_MIN_MS = 1000;

/** throttle runs fn now, or once at the end of the window when called again inside it. */
function throttle(fn: () => void, ms: number): () => void {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    const wait = last + ms - Date.now();
    if (wait <= 0) {
      last = Date.now();
      fn();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        fn();
      }, wait);
    }
  };
}

export class OverviewView extends View {
  private health: any = null;
  private healthVersion = 0;
  private presence: any[] = [];
  private presenceVersion = 0;
  private nodes: any[] = [];
  private pending: any[] = [];
  private uptimeBase: { ms: number; at: number } | null = null;
  private busy = new Set<string>();
  private pairErrors = new Map<string, string>();
  private channels: any = null;
  private heartbeat: any = null;
  private heartbeatLoaded = false;
  private cron: any = null;
  private cronLast: any = null;
  private models: any[] | null = null;
  private catalogBusy = false;
  private configModels: { providers: string[]; count: number } = { providers: [], count: 0 };
  private defaultModelId = "";
  private channelsSoon = throttle(() => void this.refreshChannels(), REFRESH_MIN_MS);
  private cronSoon = throttle(() => void this.refreshCron(), REFRESH_MIN_MS);

  applyHello(snap: any): void {
    this.healthVersion = 0;
    this.presenceVersion = 0;
    this.applyHealth(snap?.health, snap?.stateVersion?.health);
    this.applyPresence(snap?.presence, snap?.stateVersion?.presence);
    this.uptimeBase = snap?.uptimeMs != null ? { ms: snap.uptimeMs, at: Date.now() } : null;
  }

  connected(): void {
    void this.refreshHealth();
    void this.refreshPresence();
    void this.refreshNodes();
    void this.refreshChannels();
    void this.refreshHeartbeat();
    void this.refreshCron();
    void this.refreshModels();
  }

  shown(): void {
    // The config has no event: refetch when the view is opened.
    void this.refreshModels();
  }

  onEvent(ev: EventFrame): void {
    const p = ev.payload;
    switch (ev.event) {
      case "health":
        this.applyHealth(p, ev.stateVersion?.health);
        this.channelsSoon(); // a provider's link or connection changed
        break;
      case "heartbeat":
        if (p && typeof p === "object" && (!this.heartbeat || (p.ts ?? 0) >= (this.heartbeat.ts ?? 0))) {
          this.heartbeat = p;
          this.heartbeatLoaded = true;
          this.requestUpdate();
        }
        break;
      case "cron":
        if (p && typeof p === "object") this.cronLast = p;
        this.cronSoon();
        break;
      case "presence":
        this.applyPresence(p?.presence, ev.stateVersion?.presence);
        break;
      case "node.pair.requested":
        if (p && !this.pending.some((x) => x.requestId === p.requestId)) {
          this.pending = [p, ...this.pending];
          this.requestUpdate();
        }
        break;
      case "node.pair.resolved":
        this.pending = this.pending.filter((x) => x.requestId !== p?.requestId);
        this.requestUpdate();
        void this.refreshNodes();
        break;
    }
  }

  private async refreshHealth() {
    const h = await this.call("health", "health");
    if (h) this.applyHealth(h, null);
  }

  private async refreshPresence() {
    const p = await this.call("presence", "system-presence");
    if (p) this.applyPresence(p, null);
  }

  private async refreshNodes() {
    try {
      const [list, pairs] = await Promise.all([this.gw.request("node.list"), this.gw.request("node.pair.list")]);
      ({ nodes: this.nodes, pending: this.pending } = nodeRows(list, pairs));
      this.setError("nodes", null);
    } catch (e) {
      this.setError("nodes", e);
    }
  }

  private async refreshChannels() {
    if (!this.gw.supports("channels.status")) return;
    const r = await this.call("channels", "channels.status", {});
    if (r) this.channels = r;
    this.requestUpdate();
  }

  private async refreshHeartbeat() {
    if (!this.gw.supports("last-heartbeat")) return;
    try {
      const r = await this.gw.request("last-heartbeat");
      if (r && (!this.heartbeat || (r.ts ?? 0) >= (this.heartbeat.ts ?? 0))) this.heartbeat = r;
      this.setError("heartbeat", null);
    } catch (e) {
      // Before the first heartbeat the answer is null (above: none yet). UNAVAILABLE is a
      // gateway that runs no heartbeats (or an older one that answered "none yet" so).
      this.setError("heartbeat", (e as GatewayError).code === ErrorCode.UNAVAILABLE ? null : e);
    }
    this.heartbeatLoaded = true;
    this.requestUpdate();
  }

  private async refreshCron() {
    if (!this.gw.supports("cron.status")) return;
    const r = await this.call("cron", "cron.status");
    if (r) this.cron = r;
    this.requestUpdate();
  }

  // The models card reads the config (no upstream call on every connect); the catalog
  // (models.list, which asks OpenAI-compatible providers for their lists) only on demand.
  private async refreshModels() {
    if (!this.gw.supports("config.get")) return;
    const cfg = await this.call("models-config", "config.get");
    if (cfg) {
      this.defaultModelId = defaultModel(cfg.config);
      this.configModels = configuredModels(cfg.config);
    }
    this.requestUpdate();
  }

  private async loadCatalog() {
    this.catalogBusy = true;
    this.requestUpdate();
    const list = await this.call("models", "models.list");
    this.catalogBusy = false;
    if (list) this.models = Array.isArray(list.models) ? list.models : [];
    this.requestUpdate();
  }

  private applyHealth(h: any, version: number | null | undefined) {
    if (!h || typeof h !== "object" || !("ok" in h)) return;
    if (version != null) {
      if (version < this.healthVersion) return;
      this.healthVersion = version;
    }
    this.health = h;
    this.setError("health", null);
  }

  private applyPresence(list: any, version: number | null | undefined) {
    if (!Array.isArray(list)) return;
    if (version != null) {
      if (version < this.presenceVersion) return;
      this.presenceVersion = version;
    }
    this.presence = list;
    this.setError("presence", null);
  }

  private async decide(method: string, requestId: string) {
    this.busy.add(requestId);
    this.pairErrors.delete(requestId);
    this.requestUpdate();
    try {
      await this.gw.request(method, { requestId });
      this.pending = this.pending.filter((x) => x.requestId !== requestId);
      void this.refreshNodes();
    } catch (e) {
      this.pairErrors.set(requestId, (e as Error).message);
    }
    this.busy.delete(requestId);
    this.requestUpdate();
  }

  render() {
    const h = this.health;
    const up = h?.uptimeMs ?? (this.uptimeBase ? this.uptimeBase.ms + (Date.now() - this.uptimeBase.at) : null);
    const row = (k: string, v: string, cls = "") => html`<dt>${k}</dt><dd class=${cls}>${v}</dd>`;
    const accounts = allAccountRows(this.channels);
    const hb = this.heartbeat;
    const cron = this.cron;
    const conns = presenceCounts(this.presence);
    return html`<div class="grid">
      <section id="health-card" class="card" aria-labelledby="health-title">
        <h2 id="health-title">Health <span id="health-badge" class="badge" data-ok=${String(!!h?.ok)}>${h ? (h.ok ? "ok" : "degraded") : ""}</span></h2>
        ${this.errorLine("health")}
        <dl id="health" class="kv">
          ${h
            ? html`${row("Status", h.ok ? "healthy" : "degraded", h.ok ? "good" : "bad")} ${row("Uptime", duration(up))}
              ${row("WhatsApp", h.web?.linked ? "linked" : "not linked", h.web?.linked ? "good" : "muted")}
              ${row("Telegram", h.telegram?.configured ? "configured" : "not configured", h.telegram?.configured ? "good" : "muted")}
              ${row("Sessions", String(h.sessions?.count ?? 0))} ${h.connections != null ? row("Connections", String(h.connections)) : nothing}
              ${row("Heartbeat", h.heartbeatSeconds ? `every ${h.heartbeatSeconds}s` : "off")}
              ${h.config && typeof h.config === "object" ? row("Config", h.config.ok ? "ok" : h.config.error || "invalid", h.config.ok ? "good" : "bad") : nothing}
              ${row("Checked", ago(h.ts))}`
            : nothing}
        </dl>
      </section>

      <section id="channels-card" class="card" aria-labelledby="channels-title">
        <h2 id="channels-title">Channels</h2>
        ${this.errorLine("channels")}
        <p id="channels-empty" class="muted" ?hidden=${!this.channels || accounts.length > 0}>No channels.</p>
        <ul id="channels-summary" class="plain">
          ${accounts.map(
            (a) => html`<li class="channel-account" data-channel=${a.channel} data-account-id=${a.accountId}>
              <strong>${a.channel}</strong>${a.accountId !== "default" || accounts.filter((x) => x.channel === a.channel).length > 1 ? html` <span class="mono">${a.accountId}</span>` : nothing}
              <span class="badge" data-ok=${String(accountOk(a))}>${accountState(a)}</span>
              <span class="sub">${[a.configured ? "configured" : "not configured", a.linked == null ? "" : a.linked ? "linked" : "not linked", a.running ? "running" : "not running"].filter(Boolean).join(" · ")}</span>
              ${a.lastError ? html`<div class="note bad">${a.lastError}</div>` : nothing}
            </li>`,
          )}
        </ul>
      </section>

      <section id="heartbeat-card" class="card" aria-labelledby="heartbeat-title">
        <h2 id="heartbeat-title">Heartbeat</h2>
        ${this.errorLine("heartbeat")}
        <dl id="heartbeat" class="kv">
          ${row("Interval", h?.heartbeatSeconds ? `every ${h.heartbeatSeconds}s` : "off")}
          ${hb
            ? html`${row("Last", `${hb.status}${hb.reason ? ` (${hb.reason})` : ""}`, hb.status === "failed" ? "bad" : hb.status === "skipped" ? "muted" : "good")}
              ${row("When", ago(hb.ts))} ${hb.to ? row("To", hb.to) : nothing}
              ${hb.preview ? row("Said", hb.preview) : nothing}`
            : this.heartbeatLoaded ? row("Last", "none yet", "muted") : nothing}
        </dl>
      </section>

      <section id="cron-card" class="card" aria-labelledby="cron-title">
        <h2 id="cron-title">Cron <span id="cron-badge" class="badge" data-ok=${String(!!cron?.enabled)}>${cron ? (cron.enabled ? "enabled" : "disabled") : ""}</span></h2>
        ${this.errorLine("cron")}
        ${cron
          ? html`<dl id="cron-status" class="kv">
              ${row("Jobs", String(cron.jobs ?? 0))}
              ${row("Next wake", cron.nextWakeAtMs ? `${new Date(cron.nextWakeAtMs).toLocaleString()} (${cron.nextWakeAtMs > Date.now() ? "in " + duration(cron.nextWakeAtMs - Date.now()) : ago(cron.nextWakeAtMs)})` : "—")}
              ${this.cronLast ? row("Last event", `${this.cronLast.action} ${this.cronLast.jobId}${this.cronLast.status ? ` (${this.cronLast.status})` : ""}`) : nothing}
            </dl>`
          : nothing}
      </section>

      <section id="models-card" class="card" aria-labelledby="models-title">
        <h2 id="models-title">Models</h2>
        ${this.errorLine("models")} ${this.errorLine("models-config")}
        <dl id="models-status" class="kv">
          ${row("Default", this.defaultModelId || "not set", this.defaultModelId ? "" : "muted")}
          ${row("Configured", String(this.configModels.count))}
          ${row("Providers", this.configModels.providers.join(", ") || "—")}
          ${this.models ? row("Catalog", String(this.models.length)) : nothing}
        </dl>
        <button id="models-catalog" class="ghost" ?disabled=${this.catalogBusy} @click=${() => this.loadCatalog()}>${this.catalogBusy ? "Asking the providers…" : "Count the catalog (models.list)"}</button>
      </section>

      <section id="connections-card" class="card" aria-labelledby="connections-title">
        <h2 id="connections-title">Connections <span id="connections-count" class="count">${conns.total}</span></h2>
        <dl id="connections" class="kv">
          ${conns.byMode.map(([m, n]) => html`<dt>${m}</dt><dd data-mode=${m}>${n}</dd>`)}
        </dl>
        ${conns.byRole.length
          ? html`<p id="connections-roles" class="sub">Roles: ${conns.byRole.map(([r, n]) => html`<span class="tag" data-role=${r}>${r} ${n}</span> `)}</p>`
          : nothing}
      </section>

      <section id="nodes-card" class="card" aria-labelledby="nodes-title">
        <h2 id="nodes-title">Nodes</h2>
        ${this.errorLine("nodes")}
        <h3>Pending pairing <span id="pending-count" class="count">${this.pending.length}</span></h3>
        <p id="pending-empty" class="muted" ?hidden=${this.pending.length > 0}>No node is waiting for approval.</p>
        <ul id="pending" class="pending">
          ${this.pending.map((p) => {
            const busy = this.busy.has(p.requestId);
            const err = this.pairErrors.get(p.requestId);
            const name = p.displayName || p.nodeId;
            return html`<li class="pending-item" data-request-id=${p.requestId} data-node-id=${p.nodeId}>
              <div class="grow">
                <strong>${name}</strong>${p.isRepair ? html`<span class="tag">repair</span>` : nothing}
                <div class="sub">${[p.platform, p.version, p.remoteIp, ago(p.ts)].filter(Boolean).join(" · ")}</div>
                ${err ? html`<div class="note error" role="alert">${err}</div>` : nothing}
              </div>
              <button class="primary approve" ?disabled=${busy} aria-label="Approve ${name}" @click=${() => this.decide("node.pair.approve", p.requestId)}>Approve</button>
              <button class="danger reject" ?disabled=${busy} aria-label="Reject ${name}" @click=${() => this.decide("node.pair.reject", p.requestId)}>Reject</button>
            </li>`;
          })}
        </ul>
        <h3>Known nodes</h3>
        <p id="nodes-empty" class="muted" ?hidden=${this.nodes.length > 0}>No paired or connected nodes.</p>
        <div class="scroll">
          <table id="nodes" class="table">
            <tbody>
              ${this.nodes.map(
                (n) => html`<tr data-node-id=${n.nodeId}>
                  <td><strong>${n.displayName || n.nodeId}</strong><div class="sub mono">${n.nodeId}</div></td>
                  <td>${[n.platform, n.version].filter(Boolean).join(" · ") || "—"}</td>
                  <td><span class="dot ${n.connected ? "on" : "off"}"></span>${n.connected ? "connected" : "offline"}</td>
                  <td>${n.paired ? "paired" : "unpaired"}</td>
                  <td class="sub">${(n.caps || []).join(", ") || "—"}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </section>

      <section id="presence-card" class="card wide" aria-labelledby="presence-title">
        <h2 id="presence-title">Instances <span id="presence-count" class="count">${this.presence.length}</span></h2>
        ${this.errorLine("presence")}
        <div class="scroll">
          <table id="presence" class="table">
            <thead><tr><th>Host</th><th>Mode</th><th>Platform</th><th>Version</th><th>Address</th><th>Reason</th><th>Seen</th></tr></thead>
            <tbody>
              ${this.presence.map(
                (p) => html`<tr class=${p.reason === "disconnect" ? "gone" : ""}>
                  <td><strong>${p.host || p.instanceId || "—"}</strong>${p.text ? html`<div class="sub">${p.text}</div>` : nothing}</td>
                  <td>${p.mode || "—"}</td>
                  <td>${[p.platform, p.deviceFamily].filter(Boolean).join(" · ") || "—"}</td>
                  <td>${p.version || "—"}</td>
                  <td>${p.ip || "local"}</td>
                  <td>${p.reason || "—"}</td>
                  <td title=${p.ts ? new Date(p.ts).toISOString() : ""}>${ago(p.ts)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </section>
    </div>`;
  }
}
customElements.define("cb-overview", OverviewView);
