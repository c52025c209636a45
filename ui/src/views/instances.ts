// Instances: every client and node the gateway sees (system-presence), live from
// presence events (ordered by stateVersion.presence; stale ones are ignored).
import { html, nothing } from "lit";
import { View } from "../view.js";
import type { EventFrame } from "../gateway.js";
import { ago } from "../util.js";

export class InstancesView extends View {
  private rows: any[] = [];
  private version = 0;
  private filter = "";

  connected(): void {
    this.version = 0;
    void this.refresh();
  }

  onEvent(ev: EventFrame): void {
    if (ev.event !== "presence") return;
    this.apply(ev.payload?.presence, ev.stateVersion?.presence);
  }

  private apply(list: unknown, version: number | null | undefined) {
    if (!Array.isArray(list)) return;
    if (version != null) {
      if (version < this.version) return;
      this.version = version;
    }
    this.rows = list;
    this.setError("instances", null);
  }

  async refresh() {
    const r = await this.call("instances", "system-presence");
    if (r) this.apply(r, null);
  }

  render() {
    const f = this.filter.toLowerCase();
    const rows = f ? this.rows.filter((p) => JSON.stringify(p).toLowerCase().includes(f)) : this.rows;
    return html`<section id="instances-card" class="card" aria-labelledby="instances-title">
      <h2 id="instances-title">Instances <span id="instances-count" class="count">${this.rows.length}</span>
        <span class="spacer"></span><button id="instances-refresh" class="ghost" @click=${() => this.refresh()}>Refresh</button></h2>
      ${this.errorLine("instances")}
      <label>Filter <input id="instances-filter" type="search" .value=${this.filter} @input=${(e: Event) => ((this.filter = (e.target as HTMLInputElement).value), this.requestUpdate())}></label>
      <p class="muted" ?hidden=${this.rows.length > 0}>No instances.</p>
      <div class="scroll">
        <table id="instances" class="table">
          <thead><tr><th>Host</th><th>Mode</th><th>Platform</th><th>Version</th><th>Address</th><th>Reason</th><th>Seen</th></tr></thead>
          <tbody>
            ${rows.map(
              (p) => html`<tr class=${p.reason === "disconnect" ? "gone" : ""} data-instance-id=${p.instanceId ?? nothing}>
                <td><strong>${p.host || p.instanceId || "—"}</strong>${p.text ? html`<div class="sub">${p.text}</div>` : nothing}
                  ${p.roles?.length || p.scopes?.length ? html`<div class="sub">${[...(p.roles ?? []), ...(p.scopes ?? [])].join(" ")}</div>` : nothing}</td>
                <td>${p.mode || "—"}</td>
                <td>${[p.platform, p.deviceFamily, p.modelIdentifier].filter(Boolean).join(" · ") || "—"}</td>
                <td>${p.version || "—"}</td>
                <td>${p.ip || "local"}</td>
                <td>${p.reason || "—"}</td>
                <td title=${p.ts ? new Date(p.ts).toISOString() : ""}>${ago(p.ts)}${p.lastInputSeconds != null ? html`<div class="sub">idle ${p.lastInputSeconds}s</div>` : nothing}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>`;
  }
}
customElements.define("cb-instances", InstancesView);
