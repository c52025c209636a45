// Exec approvals: live prompts from exec.approval.requested, answered with
// exec.approval.resolve (allow-once, allow-always, deny); exec.approval.resolved from
// any operator removes the prompt. There is no list method, so prompts raised while
// this page was away are not shown (they expire on the gateway).
//
// Below the prompts, the allowlist editor: the gateway's approvals file
// (exec.approvals.get/set) or a node host's (exec.approvals.node.get/set), per agent:
// its security/ask modes and allowed executables. Edits stay in a draft until Save,
// which sends the whole file with the baseHash it was read at; a conflict is shown
// with a reload.
import { html, nothing } from "lit";
import { View } from "../view.js";
import type { EventFrame } from "../gateway.js";

export type Decision = "allow-once" | "allow-always" | "deny";

const SECURITY = ["deny", "allowlist", "full"];
const ASK = ["off", "on-miss", "always"];
const CONFLICT = /changed since last load|base ?hash/i;

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v));
}

export class ApprovalsView extends View {
  items: any[] = [];
  private resolved: { id: string; command: string; decision: string; by?: string }[] = [];
  private busy = new Set<string>();
  private clock: ReturnType<typeof setInterval> | undefined;
  /** onCount tells the shell how many prompts wait (the nav badge). */
  onCount: (n: number) => void = () => {};
  // Allowlist editor state.
  private target = "gateway"; // "gateway" or a node id
  private nodes: { nodeId: string; displayName?: string }[] = [];
  private snap: { path?: string; hash: string; file: any } | null = null;
  private draft: any = null;
  private agent = "main";
  private dirtyList = false;
  private listConflict = false;
  private listNotice = "";

  // The allowlist loads only while the view is open: exec.approvals.get creates the
  // approvals file when it is missing, which merely opening the UI should not do.
  connected(): void {
    if (this.active) void this.loadList();
  }
  shown(): void {
    if (!this.dirtyList) void this.loadList();
  }

  private async loadList() {
    if (this.gw.supports("node.list")) {
      const r = await this.gw.request("node.list", {}).catch(() => null);
      this.nodes = (r?.nodes ?? []).filter((n: any) => n.connected && (n.commands ?? []).includes("system.execApprovals.get"));
    }
    const r =
      this.target === "gateway"
        ? await this.call("allowlist", "exec.approvals.get")
        : await this.call("allowlist", "exec.approvals.node.get", { nodeId: this.target });
    if (r) {
      this.snap = r;
      this.draft = clone(r.file ?? { version: 1 });
      this.dirtyList = false;
      this.listConflict = false;
      this.listNotice = "";
      this.errors.delete("allowlist-save");
    }
    this.requestUpdate();
  }

  private agentEntry(create: boolean): any {
    const d = this.draft;
    if (!d) return {};
    if (!d.agents) {
      if (!create) return {};
      d.agents = {};
    }
    if (!d.agents[this.agent] && create) d.agents[this.agent] = {};
    return d.agents[this.agent] ?? {};
  }

  private change(fn: (a: any) => void) {
    fn(this.agentEntry(true));
    this.dirtyList = true;
    this.listNotice = "";
    this.requestUpdate();
  }

  private async saveList() {
    if (!this.snap || !this.draft) return;
    const params: Record<string, unknown> = { file: this.draft, baseHash: this.snap.hash };
    if (this.target !== "gateway") params.nodeId = this.target;
    try {
      const r = await this.gw.request(this.target === "gateway" ? "exec.approvals.set" : "exec.approvals.node.set", params);
      this.snap = r;
      this.draft = clone(r.file ?? { version: 1 });
      this.dirtyList = false;
      this.listConflict = false;
      this.listNotice = "Saved.";
      this.setError("allowlist-save", null);
    } catch (e) {
      const msg = `${(e as Error).message} ${JSON.stringify((e as any).details ?? "")}`;
      this.listConflict = CONFLICT.test(msg);
      this.setError("allowlist-save", e);
    }
    this.requestUpdate();
  }

  connectedCallback(): void {
    super.connectedCallback();
    this.clock = setInterval(() => this.expire(), 1000);
  }
  disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.clock);
  }

  private expire() {
    const now = Date.now();
    const before = this.items.length;
    this.items = this.items.filter((i) => !i.expiresAtMs || i.expiresAtMs > now);
    if (this.items.length !== before) this.onCount(this.items.length);
    if (this.items.length) this.requestUpdate();
  }

  onEvent(ev: EventFrame): void {
    const p = ev.payload;
    if (ev.event === "exec.approval.requested" && p?.id) {
      if (!this.items.some((i) => i.id === p.id)) this.items = [...this.items, p];
    } else if (ev.event === "exec.approval.resolved" && p?.id) {
      const it = this.items.find((i) => i.id === p.id);
      this.items = this.items.filter((i) => i.id !== p.id);
      if (it) this.remember(it, p.decision, p.resolvedBy);
    } else return;
    this.onCount(this.items.length);
    this.requestUpdate();
  }

  private remember(it: any, decision: string, by?: string) {
    if (this.resolved.some((r) => r.id === it.id)) return;
    this.resolved = [{ id: it.id, command: it.request?.command, decision, by }, ...this.resolved].slice(0, 20);
  }

  private async resolve(id: string, decision: Decision) {
    this.busy.add(id);
    this.requestUpdate();
    const r = await this.call("approvals", "exec.approval.resolve", { id, decision });
    this.busy.delete(id);
    if (r) {
      const it = this.items.find((i) => i.id === id);
      this.items = this.items.filter((i) => i.id !== id);
      if (it) this.remember(it, decision, "you");
      this.onCount(this.items.length);
    }
    this.requestUpdate();
  }

  render() {
    const now = Date.now();
    return html`<section id="approvals-card" class="card" aria-labelledby="approvals-title">
      <h2 id="approvals-title">Exec approvals <span id="approvals-count" class="count">${this.items.length}</span></h2>
      ${this.errorLine("approvals")}
      <p class="muted" ?hidden=${this.items.length > 0}>No command is waiting for approval. Prompts appear here live.</p>
      <ul id="approvals" class="pending">
        ${this.items.map((i) => {
          const r = i.request ?? {};
          const busy = this.busy.has(i.id);
          const left = i.expiresAtMs ? Math.max(0, Math.round((i.expiresAtMs - now) / 1000)) : null;
          return html`<li class="pending-item approval" data-approval-id=${i.id}>
            <div class="grow">
              <code class="cmd">${r.command}</code>
              <div class="sub">${[r.host && `on ${r.host}`, r.cwd && `in ${r.cwd}`, r.agentId && `agent ${r.agentId}`, r.sessionKey, r.security && `security ${r.security}`]
                .filter(Boolean)
                .join(" · ")}</div>
              ${left != null ? html`<div class="sub">expires in ${left}s</div>` : nothing}
            </div>
            <div class="btns" role="group" aria-label="Answer for ${r.command}">
              <button class="primary allow-once" ?disabled=${busy} @click=${() => this.resolve(i.id, "allow-once")}>Allow once</button>
              <button class="allow-always" ?disabled=${busy} @click=${() => this.resolve(i.id, "allow-always")}>Always allow</button>
              <button class="danger deny" ?disabled=${busy} @click=${() => this.resolve(i.id, "deny")}>Deny</button>
            </div>
          </li>`;
        })}
      </ul>
      ${this.resolved.length
        ? html`<h3>Recently answered</h3>
            <ul id="approvals-done" class="plain">
              ${this.resolved.map((d) => html`<li data-approval-id=${d.id}><code>${d.command}</code> — ${d.decision}${d.by ? ` (by ${d.by})` : ""}</li>`)}
            </ul>`
        : nothing}
    </section>
    ${this.renderAllowlist()}`;
  }

  private renderAllowlist() {
    const d = this.draft;
    const agents = [...new Set(["main", "*", ...Object.keys(d?.agents ?? {})])];
    const a = this.agentEntry(false);
    const list: any[] = a.allowlist ?? [];
    const def = d?.defaults ?? {};
    const modeSelect = (id: string, key: string, opts: string[], label: string) => html`<label class="inline">${label}
      <select id=${id} data-value=${a[key] ?? ""} @change=${(e: Event) => this.change((x) => {
        const v = (e.target as HTMLSelectElement).value;
        if (v) x[key] = v;
        else delete x[key];
      })}>
        <option value="" ?selected=${!a[key]}>inherit (${def[key] ?? "default"})</option>
        ${opts.map((o) => html`<option value=${o} ?selected=${a[key] === o}>${o}</option>`)}
      </select></label>`;
    const add = (e: Event) => {
      e.preventDefault();
      const inp = this.querySelector<HTMLInputElement>("#allowlist-pattern")!;
      const pattern = inp.value.trim();
      if (!pattern) return;
      this.change((x) => (x.allowlist = [...(x.allowlist ?? []), { pattern }]));
      inp.value = "";
    };
    return html`<section id="allowlist-card" class="card" aria-labelledby="allowlist-title">
      <h2 id="allowlist-title">Exec allowlists <small class="mono muted">${this.snap?.path ?? ""}</small></h2>
      <div class="row">
        <label class="inline">Host
          <select id="allowlist-target" data-value=${this.target} @change=${(e: Event) => ((this.target = (e.target as HTMLSelectElement).value), (this.snap = null), (this.draft = null), this.loadList())}>
            <option value="gateway" ?selected=${this.target === "gateway"}>gateway</option>
            ${this.nodes.map((n) => html`<option value=${n.nodeId} ?selected=${this.target === n.nodeId}>node ${n.displayName ?? n.nodeId}</option>`)}
          </select></label>
        <label class="inline">Agent
          <select id="allowlist-agent" data-value=${this.agent} @change=${(e: Event) => ((this.agent = (e.target as HTMLSelectElement).value), this.requestUpdate())}>
            ${agents.map((id) => html`<option value=${id} ?selected=${this.agent === id}>${id === "*" ? "* (every agent)" : id}</option>`)}
          </select></label>
      </div>
      ${this.errorLine("allowlist")}
      ${d
        ? html`<div class="row">
              ${modeSelect("allowlist-security", "security", SECURITY, "Security")} ${modeSelect("allowlist-ask", "ask", ASK, "Ask")}
              ${modeSelect("allowlist-fallback", "askFallback", SECURITY, "If unanswered")}
            </div>
            <table id="allowlist" class="table">
              <caption class="sr-only">Allowed executables of agent ${this.agent}</caption>
              <thead><tr><th scope="col">Pattern</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
              <tbody>
                ${list.length
                  ? list.map(
                      (en, i) => html`<tr data-pattern=${en.pattern}>
                        <td><code>${en.pattern}</code></td>
                        <td class="sub">${en.lastUsedAt ? html`${new Date(en.lastUsedAt).toLocaleString()}${en.lastUsedCommand ? html` · <code>${en.lastUsedCommand}</code>` : nothing}` : "never"}</td>
                        <td><button class="danger remove" aria-label="Remove ${en.pattern}" @click=${() => this.change((x) => (x.allowlist = list.filter((_, j) => j !== i)))}>Remove</button></td>
                      </tr>`,
                    )
                  : html`<tr><td colspan="3" class="muted">No executable is allowlisted for this agent.</td></tr>`}
              </tbody>
            </table>
            <form id="allowlist-add" class="row" @submit=${add}>
              <label class="inline grow">Executable path or glob <input id="allowlist-pattern" class="mono" placeholder="/usr/bin/git or ~/bin/*" spellcheck="false" autocomplete="off"></label>
              <button id="allowlist-add-submit" type="submit">Add</button>
            </form>
            <div class="row">
              <button id="allowlist-save" class="primary" ?disabled=${!this.dirtyList} @click=${() => this.saveList()}>Save allowlist</button>
              <button id="allowlist-reload" @click=${() => this.loadList()}>${this.dirtyList ? "Discard and reload" : "Reload"}</button>
              ${this.listNotice ? html`<span id="allowlist-notice" class="muted" role="status">${this.listNotice}</span>` : nothing}
            </div>
            ${this.listConflict
              ? html`<div id="allowlist-conflict" class="conflict" role="alert"><strong>The approvals file changed since it was loaded.</strong> Nothing was written; reload and make the change again.
                  <button id="allowlist-conflict-reload" class="primary" @click=${() => this.loadList()}>Reload</button></div>`
              : this.errorLine("allowlist-save")}`
        : nothing}
    </section>`;
  }
}
customElements.define("cb-approvals", ApprovalsView);
