// Sessions: list (newest first), reset (new transcript) and delete (archive), each
// destructive action confirmed by a second click on the same row.
import { html, nothing } from "lit";
import { View } from "../view.js";
import { ago } from "../util.js";

export class SessionsView extends View {
  /** mainKey is the main session (hello-ok sessionDefaults); it cannot be deleted. */
  mainKey = "";
  private rows: any[] = [];
  private path = "";
  private armed = ""; // "reset:<key>" or "delete:<key>" awaiting confirmation
  private notice = "";

  connected(): void {
    if (this.active) void this.refresh();
  }
  shown(): void {
    void this.refresh();
  }

  async refresh() {
    const r = await this.call("sessions", "sessions.list", { limit: 200, includeDerivedTitles: true });
    if (r) {
      this.rows = r.sessions ?? [];
      this.path = r.path ?? "";
      this.requestUpdate();
    }
  }

  private async act(kind: "reset" | "delete", key: string) {
    const id = `${kind}:${key}`;
    if (this.armed !== id) {
      this.armed = id;
      this.requestUpdate();
      return;
    }
    this.armed = "";
    const r = await this.call("sessions", kind === "reset" ? "sessions.reset" : "sessions.delete", { key });
    if (r) this.notice = kind === "reset" ? `Session ${key} was reset.` : `Session ${key} was deleted.`;
    await this.refresh();
  }

  render() {
    const btn = (kind: "reset" | "delete", key: string) => {
      const armed = this.armed === `${kind}:${key}`;
      const locked = kind === "delete" && key === this.mainKey;
      return html`<button class="${kind === "delete" ? "danger" : ""} ${kind}" data-key=${key} aria-label="${armed ? "Confirm " : ""}${kind} ${key}"
        ?disabled=${locked} title=${locked ? "The main session cannot be deleted; reset it instead." : ""}
        @click=${() => this.act(kind, key)}>${armed ? `Confirm ${kind}` : kind === "reset" ? "Reset" : "Delete"}</button>`;
    };
    return html`<section id="sessions-card" class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions <span class="count">${this.rows.length}</span>
        <span class="spacer"></span><button id="sessions-refresh" class="ghost" @click=${() => this.refresh()}>Refresh</button></h2>
      <p class="sub mono">${this.path}</p>
      ${this.errorLine("sessions")}
      ${this.notice ? html`<p class="muted" role="status">${this.notice}</p>` : nothing}
      <p class="muted" ?hidden=${this.rows.length > 0}>No sessions yet.</p>
      <div class="scroll">
        <table id="sessions" class="table">
          <thead><tr><th>Session</th><th>Kind</th><th>Model</th><th>Tokens</th><th>Updated</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${this.rows.map(
              (s) => html`<tr data-key=${s.key}>
                <td><strong>${s.displayName || s.derivedTitle || s.label || s.key}</strong><div class="sub mono">${s.key}</div>
                  ${s.lastMessagePreview ? html`<div class="sub">${s.lastMessagePreview}</div>` : nothing}</td>
                <td>${s.kind || "—"}${s.channel ? html`<div class="sub">${s.channel}</div>` : nothing}</td>
                <td>${s.model || "—"}</td>
                <td>${s.totalTokens ?? "—"}</td>
                <td>${ago(s.updatedAt)}</td>
                <td class="actions">${btn("reset", s.key)} ${btn("delete", s.key)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>`;
  }
}
customElements.define("cb-sessions", SessionsView);
