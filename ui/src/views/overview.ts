// Overview: health, nodes with pairing approve/reject, and connected instances.
import { html, nothing } from "lit";
import { View } from "../view.js";
import type { EventFrame } from "../gateway.js";
import { ago, duration } from "../util.js";

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
  }

  onEvent(ev: EventFrame): void {
    const p = ev.payload;
    switch (ev.event) {
      case "health":
        this.applyHealth(p, ev.stateVersion?.health);
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
      const nodes: any[] = list?.nodes ?? [];
      const ids = new Set(nodes.map((n) => n.nodeId));
      for (const p of pairs?.paired ?? []) if (!ids.has(p.nodeId)) nodes.push({ ...p, paired: true, connected: false });
      this.nodes = nodes;
      this.pending = pairs?.pending ?? [];
      this.setError("nodes", null);
    } catch (e) {
      this.setError("nodes", e);
    }
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
