// Sessions: list (newest first), reset (new transcript) and delete (archive), each
// destructive action confirmed by a second click on the same row; an editor for a
// session's label, model, thinking and verbose levels (sessions.patch, only what
// changed) and compaction (sessions.compact). Finished chat runs refresh the list.
import { html, nothing } from "lit";
import { View } from "../view.js";
import type { EventFrame } from "../gateway.js";
import { ago } from "../util.js";
import { sessionModel, sessionPatch } from "../viewhelpers.js";

const THINKING = ["off", "minimal", "low", "medium", "high", "xhigh"];
const VERBOSE = ["off", "on", "full"];
/** Chat events refresh the list at most this often. */
const REFRESH_MIN_MS = 2000;
/** Messages shown in a session's preview. */
const PREVIEW_ITEMS = 12;

export class SessionsView extends View {
  /** mainKey is the main session (hello-ok sessionDefaults); it cannot be deleted. */
  mainKey = "";
  private rows: any[] = [];
  private path = "";
  private armed = ""; // "reset:<key>" or "delete:<key>" awaiting confirmation
  private notice = "";
  private editing = "";
  private preview: { key: string; status: string; items: any[] } | null = null;
  private models: any[] = [];
  private lastRefresh = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  connected(): void {
    if (this.active) void this.refresh();
  }
  shown(): void {
    void this.refresh();
    void this.loadModels();
  }
  onEvent(ev: EventFrame): void {
    if (ev.event !== "chat" || !this.active || !["final", "error", "aborted"].includes(ev.payload?.state)) return;
    const wait = this.lastRefresh + REFRESH_MIN_MS - Date.now();
    if (wait <= 0) void this.refresh();
    else if (!this.timer) this.timer = setTimeout(() => ((this.timer = null), void this.refresh()), wait);
  }

  private async loadModels() {
    try {
      this.models = (await this.gw.request("models.list", {}))?.models ?? [];
      this.requestUpdate();
    } catch {
      this.models = []; // the model field stays free text
    }
  }

  private async save(e: Event, row: any) {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(e.target as HTMLFormElement).entries()) as Record<string, string>;
    let patch: Record<string, unknown>;
    try {
      patch = sessionPatch(f, row);
    } catch (err) {
      this.setError("session-edit", { message: (err as Error).message, code: "INVALID_REQUEST" });
      return;
    }
    if (!Object.keys(patch).length) {
      this.notice = "Nothing changed.";
      this.requestUpdate();
      return;
    }
    const r = await this.call("session-edit", "sessions.patch", { key: row.key, ...patch });
    if (r) {
      this.notice = `Session ${row.key} was updated (${Object.keys(patch).join(", ")}).`;
      this.editing = "";
    }
    await this.refresh();
  }

  /** toggleEditor opens a session's editor with a preview of its last messages. */
  private async toggleEditor(key: string) {
    this.editing = this.editing === key ? "" : key;
    this.preview = null;
    this.requestUpdate();
    if (!this.editing) return;
    const r = await this.call("session-edit", "sessions.preview", { keys: [key], limit: PREVIEW_ITEMS });
    const p = r?.previews?.[0];
    if (p && this.editing === key) this.preview = { key, status: p.status, items: p.items ?? [] };
    this.requestUpdate();
  }

  private async compact(key: string) {
    const r = await this.call("session-edit", "sessions.compact", { key });
    if (r) this.notice = r.compacted ? `Session ${key} was compacted (${r.kept ?? "?"} messages kept).` : `Nothing to compact${r.reason ? `: ${r.reason}` : ""}.`;
    await this.refresh();
  }

  async refresh() {
    this.lastRefresh = Date.now();
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

  private editor(s: any) {
    const modelNow = sessionModel(s);
    const pv = this.preview;
    return html`<tr class="session-editor" data-editor-for=${s.key}><td colspan="6">
      ${pv && pv.key === s.key
        ? html`<div class="session-preview"><h3>Last messages</h3>
            ${pv.items.length
              ? html`<ul class="plain">${pv.items.map((i) => html`<li class="preview-item ${i.role}"><span class="tag">${i.role}</span> ${i.text}</li>`)}</ul>`
              : html`<p class="muted">${pv.status === "missing" ? "No transcript yet." : "Nothing to show."}</p>`}</div>`
        : nothing}
      <form class="form-grid session-form" @submit=${(e: Event) => this.save(e, s)}>
        <label>Label <input name="label" maxlength="64" .value=${s.label ?? ""} placeholder="none"></label>
        <label>Model <input name="model" list="session-models" .value=${modelNow} placeholder="configured default"></label>
        <datalist id="session-models">${this.models.map((m) => html`<option value="${m.provider}/${m.id}">${m.name ?? m.id}</option>`)}</datalist>
        <label>Thinking <select name="thinking">
          <option value="" ?selected=${!s.thinkingLevel}>default</option>
          ${THINKING.map((l) => html`<option value=${l} ?selected=${s.thinkingLevel === l}>${l}</option>`)}</select></label>
        <label>Verbose <select name="verbose">
          <option value="" ?selected=${!s.verboseLevel}>default</option>
          ${VERBOSE.map((l) => html`<option value=${l} ?selected=${s.verboseLevel === l}>${l}</option>`)}</select></label>
        <div class="row">
          <button type="submit" class="primary save">Save</button>
          <button type="button" class="compact" aria-label="Compact ${s.key}" @click=${() => this.compact(s.key)}>Compact transcript</button>
          <button type="button" class="ghost" @click=${() => ((this.editing = ""), this.requestUpdate())}>Close</button>
        </div>
      </form></td></tr>`;
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
      ${this.errorLine("session-edit")}
      <p class="muted" ?hidden=${this.rows.length > 0}>No sessions yet.</p>
      <div class="scroll">
        <table id="sessions" class="table">
          <thead><tr><th>Session</th><th>Kind</th><th>Model</th><th>Tokens</th><th>Updated</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${this.rows.map(
              (s) => html`<tr data-key=${s.key}>
                <td><strong>${s.displayName || s.derivedTitle || s.label || s.key}</strong><div class="sub mono">${s.key}</div>
                  ${s.label || s.thinkingLevel || s.verboseLevel
                    ? html`<div class="sub session-settings">${[s.label ? `label ${s.label}` : "", s.thinkingLevel ? `thinking ${s.thinkingLevel}` : "", s.verboseLevel ? `verbose ${s.verboseLevel}` : ""].filter(Boolean).join(" · ")}</div>`
                    : nothing}
                  ${s.lastMessagePreview ? html`<div class="sub">${s.lastMessagePreview}</div>` : nothing}</td>
                <td>${s.kind || "—"}${s.channel ? html`<div class="sub">${s.channel}</div>` : nothing}</td>
                <td>${s.model || "—"}</td>
                <td>${s.totalTokens ?? "—"}</td>
                <td>${ago(s.updatedAt)}</td>
                <td class="actions"><button class="edit" aria-label="Edit ${s.key}" aria-expanded=${String(this.editing === s.key)}
                  @click=${() => this.toggleEditor(s.key)}>Edit</button>
                  ${btn("reset", s.key)} ${btn("delete", s.key)}</td>
              </tr>
              ${this.editing === s.key ? this.editor(s) : nothing}`,
            )}
          </tbody>
        </table>
      </div>
    </section>`;
  }
}
customElements.define("cb-sessions", SessionsView);
