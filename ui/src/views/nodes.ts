// Nodes and devices: nodes (list, describe, rename, invoke a command with JSON params),
// node pairing and device pairing requests (approve/reject, live from pairing events),
// paired devices with their role tokens (rotate shows the new token once; revoke).
import { html, nothing } from "lit";
import { View } from "../view.js";
import { uuid, type EventFrame } from "../gateway.js";
import { ago, when } from "../util.js";
import { nodeRows, parseParams, toolText } from "../viewhelpers.js";

/** node.invoke waits this long for the node (the gateway's default for WebSocket nodes). */
const INVOKE_TIMEOUT_MS = 30000;
/** Presence events refetch the node list at most this often. */
const REFRESH_MIN_MS = 1500;

export class NodesView extends View {
  private nodes: any[] = [];
  private nodePending: any[] = [];
  private devPending: any[] = [];
  private devices: any[] = [];
  private selected = "";
  private desc: any = null;
  private renaming = false;
  private invokeResult = "";
  private invokeError = "";
  private invoking = false;
  private busy = new Set<string>();
  private rowErrors = new Map<string, string>();
  private newToken: { deviceId: string; role: string; token: string } | null = null;
  private armed = "";
  private notice = "";
  private devNotice = "";
  private lastRefresh = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  connected(): void {
    if (this.active) void this.refresh();
  }
  shown(): void {
    void this.refresh();
  }

  onEvent(ev: EventFrame): void {
    const p = ev.payload;
    switch (ev.event) {
      case "device.pair.requested":
        if (p?.requestId && !this.devPending.some((x) => x.requestId === p.requestId)) this.devPending = [p, ...this.devPending];
        this.requestUpdate();
        break;
      case "device.pair.resolved":
        this.devPending = this.devPending.filter((x) => x.requestId !== p?.requestId);
        if (this.active) void this.refreshDevices();
        this.requestUpdate();
        break;
      case "node.pair.requested":
        if (p?.requestId && !this.nodePending.some((x) => x.requestId === p.requestId)) this.nodePending = [p, ...this.nodePending];
        this.requestUpdate();
        break;
      case "node.pair.resolved":
        this.nodePending = this.nodePending.filter((x) => x.requestId !== p?.requestId);
        if (this.active) void this.refreshNodes();
        this.requestUpdate();
        break;
      case "presence":
        // Nodes connect and disconnect as presence changes.
        if (!this.active) break;
        if (Date.now() - this.lastRefresh >= REFRESH_MIN_MS) void this.refreshNodes();
        else if (!this.timer) this.timer = setTimeout(() => ((this.timer = null), void this.refreshNodes()), REFRESH_MIN_MS);
        break;
    }
  }

  async refresh() {
    await Promise.all([this.refreshNodes(), this.refreshDevices()]);
  }

  private async refreshNodes() {
    this.lastRefresh = Date.now();
    try {
      const [list, pairs] = await Promise.all([this.gw.request("node.list"), this.gw.request("node.pair.list")]);
      ({ nodes: this.nodes, pending: this.nodePending } = nodeRows(list, pairs));
      this.setError("nodes", null);
    } catch (e) {
      this.setError("nodes", e);
    }
  }

  private async refreshDevices() {
    const r = await this.call("devices", "device.pair.list", {});
    if (r) {
      this.devPending = r.pending ?? [];
      this.devices = r.paired ?? [];
      this.requestUpdate();
    }
  }

  private async decide(kind: "node" | "device", approve: boolean, requestId: string) {
    this.busy.add(requestId);
    this.rowErrors.delete(requestId);
    this.requestUpdate();
    try {
      await this.gw.request(`${kind}.pair.${approve ? "approve" : "reject"}`, { requestId });
      if (kind === "node") this.nodePending = this.nodePending.filter((x) => x.requestId !== requestId);
      else this.devPending = this.devPending.filter((x) => x.requestId !== requestId);
      const msg = `${kind === "node" ? "Node" : "Device"} request ${approve ? "approved" : "rejected"}.`;
      if (kind === "node") this.notice = msg;
      else this.devNotice = msg;
      await (kind === "node" ? this.refreshNodes() : this.refreshDevices());
    } catch (e) {
      this.rowErrors.set(requestId, (e as Error).message);
    }
    this.busy.delete(requestId);
    this.requestUpdate();
  }

  private async select(nodeId: string) {
    this.selected = nodeId;
    this.desc = null;
    this.invokeResult = "";
    this.invokeError = "";
    this.renaming = false;
    this.requestUpdate();
    const r = await this.call("describe", "node.describe", { nodeId });
    if (this.selected === nodeId) this.desc = r ?? null;
    this.requestUpdate();
  }

  private async rename(e: Event) {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).querySelector<HTMLInputElement>("#node-name")!;
    const displayName = input.value.trim();
    if (!displayName) return;
    const r = await this.call("describe", "node.rename", { nodeId: this.selected, displayName });
    if (r) {
      this.renaming = false;
      this.notice = `Renamed to ${r.displayName}.`;
      await Promise.all([this.refreshNodes(), this.select(this.selected)]);
    }
  }

  private async invoke(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const command = form.querySelector<HTMLInputElement>("#invoke-command")!.value.trim();
    const text = form.querySelector<HTMLTextAreaElement>("#invoke-params")!.value;
    this.invokeResult = "";
    this.invokeError = "";
    let params: unknown;
    try {
      if (!command) throw new Error("a command is required");
      params = parseParams(text);
    } catch (err) {
      this.invokeError = (err as Error).message;
      this.requestUpdate();
      return;
    }
    this.invoking = true;
    this.requestUpdate();
    try {
      const r = await this.gw.request(
        "node.invoke",
        { nodeId: this.selected, command, ...(params === undefined ? {} : { params }), timeoutMs: INVOKE_TIMEOUT_MS, idempotencyKey: uuid() },
        INVOKE_TIMEOUT_MS + 5000,
      );
      this.invokeResult = r?.payload !== undefined ? toolText(r.payload) : r?.payloadJSON ?? "(no payload)";
    } catch (err) {
      this.invokeError = (err as Error).message;
    }
    this.invoking = false;
    this.requestUpdate();
  }

  private async token(kind: "rotate" | "revoke", deviceId: string, role: string) {
    const id = `${kind}:${deviceId}:${role}`;
    if (kind === "revoke" && this.armed !== id) {
      this.armed = id;
      this.requestUpdate();
      return;
    }
    this.armed = "";
    this.newToken = null;
    const r = await this.call("devices", `device.token.${kind}`, { deviceId, role });
    if (r && kind === "rotate") this.newToken = { deviceId, role, token: r.token };
    if (r && kind === "revoke") this.devNotice = r.revoked ? `The ${role} token was revoked.` : `No ${role} token to revoke.`;
    await this.refreshDevices();
  }

  private pendingList(kind: "node" | "device", list: any[]) {
    return html`<ul id="${kind}-pending" class="pending">
      ${list.map((p) => {
        const busy = this.busy.has(p.requestId);
        const err = this.rowErrors.get(p.requestId);
        const name = p.displayName || p.nodeId || (p.deviceId ? p.deviceId.slice(0, 12) : p.requestId);
        return html`<li class="pending-item ${kind}-request" data-request-id=${p.requestId}>
          <div class="grow">
            <strong>${name}</strong>${p.isRepair ? html`<span class="tag">repair</span>` : nothing}${p.role ? html`<span class="tag">${p.role}</span>` : nothing}
            <div class="sub">${[p.platform, p.version, p.clientId, p.remoteIp, (p.scopes ?? []).join(" "), ago(p.ts)].filter(Boolean).join(" · ")}</div>
            ${err ? html`<div class="note error" role="alert">${err}</div>` : nothing}
          </div>
          <button class="primary approve" ?disabled=${busy} aria-label="Approve ${name}" @click=${() => this.decide(kind, true, p.requestId)}>Approve</button>
          <button class="danger reject" ?disabled=${busy} aria-label="Reject ${name}" @click=${() => this.decide(kind, false, p.requestId)}>Reject</button>
        </li>`;
      })}
    </ul>`;
  }

  render() {
    const d = this.desc;
    const node = this.nodes.find((n) => n.nodeId === this.selected);
    return html`<div class="grid">
      <section id="nodes-view-card" class="card" aria-labelledby="nodes-view-title">
        <h2 id="nodes-view-title">Nodes <span class="count">${this.nodes.length}</span>
          <span class="spacer"></span><button id="nodes-refresh" class="ghost" @click=${() => this.refresh()}>Refresh</button></h2>
        ${this.errorLine("nodes")}
        ${this.notice ? html`<p id="nodes-notice" class="muted" role="status">${this.notice}</p>` : nothing}
        <h3>Node pairing <span class="count">${this.nodePending.length}</span></h3>
        <p class="muted" ?hidden=${this.nodePending.length > 0}>No node is waiting for approval.</p>
        ${this.pendingList("node", this.nodePending)}
        <h3>Known nodes</h3>
        <p class="muted" ?hidden=${this.nodes.length > 0}>No paired or connected nodes.</p>
        <div class="scroll">
          <table id="nodes-list" class="table">
            <tbody>
              ${this.nodes.map(
                (n) => html`<tr data-node-id=${n.nodeId} class=${n.nodeId === this.selected ? "selected" : ""}>
                  <td><strong>${n.displayName || n.nodeId}</strong><div class="sub mono">${n.nodeId}</div></td>
                  <td><span class="dot ${n.connected ? "on" : "off"}"></span>${n.connected ? "connected" : "offline"}</td>
                  <td>${[n.platform, n.version].filter(Boolean).join(" · ") || "—"}</td>
                  <td class="actions"><button class="describe" aria-label="Details of ${n.displayName || n.nodeId}" @click=${() => this.select(n.nodeId)}>Details</button></td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${this.selected
          ? html`<div id="node-detail">
              <h3>${d?.displayName || node?.displayName || this.selected}</h3>
              ${this.errorLine("describe")}
              ${d
                ? html`<dl class="kv">
                    <dt>Node</dt><dd class="mono">${d.nodeId}</dd>
                    <dt>State</dt><dd>${d.connected ? "connected" : "offline"} · ${d.paired ? "paired" : "unpaired"}</dd>
                    <dt>Device</dt><dd>${[d.platform, d.deviceFamily, d.modelIdentifier, d.version].filter(Boolean).join(" · ") || "—"}</dd>
                    <dt>Address</dt><dd>${d.remoteIp || "—"}</dd>
                    <dt>Caps</dt><dd>${(d.caps ?? []).join(", ") || "—"}</dd>
                    <dt>Commands</dt><dd class="mono">${(d.commands ?? []).join(", ") || "—"}</dd>
                  </dl>`
                : nothing}
              ${this.renaming
                ? html`<form id="node-rename" class="row" @submit=${this.rename}>
                    <label class="grow">New name <input id="node-name" required maxlength="200" .value=${d?.displayName || node?.displayName || ""}></label>
                    <button type="submit" class="primary">Save name</button>
                    <button type="button" @click=${() => ((this.renaming = false), this.requestUpdate())}>Cancel</button></form>`
                : html`<button id="node-rename-open" @click=${() => ((this.renaming = true), this.requestUpdate())}>Rename</button>`}
              <form id="node-invoke" @submit=${this.invoke}>
                <label>Command <input id="invoke-command" list="invoke-commands" placeholder="e.g. canvas.eval" autocomplete="off"></label>
                <datalist id="invoke-commands">${(d?.commands ?? []).map((c: string) => html`<option value=${c}></option>`)}</datalist>
                <label>Params (JSON) <textarea id="invoke-params" class="code" rows="3" spellcheck="false" placeholder='{"javaScript": "1+1"}'></textarea></label>
                <button id="invoke-submit" type="submit" class="primary" ?disabled=${this.invoking || (d && !d.connected)}>${this.invoking ? "Invoking…" : "Invoke"}</button>
                ${d && !d.connected ? html`<span class="sub"> the node is offline</span>` : nothing}
              </form>
              ${this.invokeError ? html`<p id="invoke-error" class="error" role="alert">${this.invokeError}</p>` : nothing}
              ${this.invokeResult ? html`<pre id="invoke-result" class="out" role="status">${this.invokeResult}</pre>` : nothing}
            </div>`
          : nothing}
      </section>

      <section id="devices-card" class="card" aria-labelledby="devices-title">
        <h2 id="devices-title">Devices <span class="count">${this.devices.length}</span></h2>
        ${this.errorLine("devices")}
        ${this.devNotice ? html`<p id="devices-notice" class="muted" role="status">${this.devNotice}</p>` : nothing}
        <h3>Device pairing <span id="device-pending-count" class="count">${this.devPending.length}</span></h3>
        <p class="muted" ?hidden=${this.devPending.length > 0}>No device is waiting for approval.</p>
        ${this.pendingList("device", this.devPending)}
        ${this.newToken
          ? html`<div id="device-new-token" class="note" role="status">New ${this.newToken.role} token for ${this.newToken.deviceId.slice(0, 12)}… (shown once):
              <code class="mono token">${this.newToken.token}</code></div>`
          : nothing}
        <h3>Paired devices</h3>
        <p class="muted" ?hidden=${this.devices.length > 0}>No paired devices.</p>
        <ul id="devices" class="plain">
          ${this.devices.map((dv) => {
            const roles: string[] = dv.roles?.length ? dv.roles : dv.role ? [dv.role] : [];
            const name = dv.displayName || dv.deviceId.slice(0, 12);
            return html`<li class="device" data-device-id=${dv.deviceId}>
              <div><strong>${name}</strong> <span class="sub">${[dv.platform, dv.clientId, dv.remoteIp].filter(Boolean).join(" · ")}</span></div>
              <div class="sub mono">${dv.deviceId}</div>
              <div class="sub">approved ${when(dv.approvedAtMs)}${(dv.scopes ?? []).length ? ` · scopes ${dv.scopes.join(" ")}` : ""}</div>
              <div class="row">
                ${roles.map((role) => {
                  const armed = this.armed === `revoke:${dv.deviceId}:${role}`;
                  return html`<span class="tag">${role}</span>
                    <button class="rotate" aria-label="Rotate the ${role} token of ${name}" @click=${() => this.token("rotate", dv.deviceId, role)}>Rotate token</button>
                    <button class="revoke danger" aria-label="${armed ? "Confirm revoke" : "Revoke"} the ${role} token of ${name}" @click=${() => this.token("revoke", dv.deviceId, role)}>${armed ? "Confirm revoke" : "Revoke"}</button>`;
                })}
              </div>
            </li>`;
          })}
        </ul>
      </section>
    </div>`;
  }
}
customElements.define("cb-nodes", NodesView);
