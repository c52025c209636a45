// Exec approvals: live prompts from exec.approval.requested, answered with
// exec.approval.resolve (allow-once, allow-always, deny); exec.approval.resolved from
// any operator removes the prompt. There is no list method, so prompts raised while
// this page was away are not shown (they expire on the gateway).
import { html, nothing } from "lit";
import { View } from "../view.js";
import type { EventFrame } from "../gateway.js";

export type Decision = "allow-once" | "allow-always" | "deny";

export class ApprovalsView extends View {
  items: any[] = [];
  private resolved: { id: string; command: string; decision: string; by?: string }[] = [];
  private busy = new Set<string>();
  private clock: ReturnType<typeof setInterval> | undefined;
  /** onCount tells the shell how many prompts wait (the nav badge). */
  onCount: (n: number) => void = () => {};

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
    </section>`;
  }
}
customElements.define("cb-approvals", ApprovalsView);
