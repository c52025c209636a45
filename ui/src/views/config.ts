// Config: a form generated from config.schema (schema + uiHints, see configform.ts)
// whose edits go out as one config.patch, above the raw JSON5 file (config.get /
// config.set). Both writes carry baseHash, so a concurrent edit is refused instead of
// lost; the refusal is shown as a conflict with a reload that keeps the form's edits.
// Secrets arrive redacted and are sent back as the placeholder, which keeps their
// stored value.
//
// The form plugs in through registerConfigForm(render); this file registers the
// schema-driven one, and another renderer may replace it before the app starts.
import { html, nothing, type TemplateResult } from "lit";
import { View } from "../view.js";
import type { UiHint } from "../configmodel.js";
import { renderConfigForm } from "../configform.js";

export interface ConfigFormContext {
  config: unknown;
  schemaAvailable: boolean;
  /** schema and uiHints from config.schema; undefined while loading. */
  schema?: any;
  uiHints?: Record<string, UiHint>;
  /** apply replaces the whole file (config.set). */
  apply: (raw: string) => Promise<boolean>;
  /** patch merges an RFC 7396 patch into the file (config.patch with baseHash). */
  patch: (patch: Record<string, unknown>) => Promise<boolean>;
  /** update re-renders the view (the form keeps its own state). */
  update: () => void;
}
export type ConfigFormRenderer = (ctx: ConfigFormContext) => TemplateResult;

let formRenderer: ConfigFormRenderer | null = renderConfigForm;
/** registerConfigForm installs the schema-driven config form (see file comment). */
export function registerConfigForm(r: ConfigFormRenderer): void {
  formRenderer = r;
}

const CONFLICT = /changed since last load|base hash/i;

export class ConfigView extends View {
  private snap: any = null;
  private raw = "";
  private dirty = false;
  private notice = "";
  private issues: any[] = [];
  private schema: { schema: any; uiHints: Record<string, UiHint> } | null = null;
  private conflict = false;

  connected(): void {
    if (this.active && !this.dirty) void this.load();
  }
  shown(): void {
    if (!this.dirty) void this.load();
  }

  async load() {
    if (!this.schema && this.gw.supports("config.schema")) {
      const s = await this.call("config-schema", "config.schema");
      if (s) this.schema = { schema: s.schema, uiHints: s.uiHints ?? {} };
    }
    const r = await this.call("config", "config.get");
    if (r) {
      this.snap = r;
      this.raw = r.raw ?? "";
      this.dirty = false;
      this.conflict = false;
      this.issues = r.issues ?? [];
      this.errors.delete("config-save");
      this.requestUpdate();
    }
  }

  private async write(method: string, params: Record<string, unknown>, notice: string): Promise<boolean> {
    if (this.snap?.hash) params.baseHash = this.snap.hash;
    try {
      await this.gw.request(method, params);
      this.setError("config-save", null);
      this.notice = notice;
      this.issues = [];
      this.conflict = false;
      await this.load();
      return true;
    } catch (e) {
      const d = (e as any).details;
      this.issues = Array.isArray(d?.issues) ? d.issues : [];
      this.conflict = CONFLICT.test((e as Error).message);
      this.notice = "";
      this.setError("config-save", e);
      return false;
    }
  }

  save(raw = this.raw): Promise<boolean> {
    return this.write("config.set", { raw }, "Saved; the gateway reloads the config.");
  }

  patch(p: Record<string, unknown>): Promise<boolean> {
    return this.write("config.patch", { raw: JSON.stringify(p) }, "Applied; the gateway reloads the config.");
  }

  render() {
    const s = this.snap;
    const ctx: ConfigFormContext = {
      config: s?.config,
      schemaAvailable: this.gw.supports("config.schema"),
      schema: this.schema?.schema,
      uiHints: this.schema?.uiHints,
      apply: (raw) => this.save(raw),
      patch: (p) => this.patch(p),
      update: () => this.requestUpdate(),
    };
    return html`<section id="config-card" class="card" aria-labelledby="config-title">
      <h2 id="config-title">Config <small class="mono muted">${s?.path ?? ""}</small></h2>
      ${this.errorLine("config")} ${this.errorLine("config-schema")}
      ${s ? html`<p class="sub">${s.exists ? "" : "The file does not exist yet. "}${s.valid ? "valid" : "invalid"}${this.dirty ? " · unsaved changes" : ""}</p>` : nothing}
      ${this.conflict
        ? html`<div id="config-conflict" class="conflict" role="alert">
            <strong>The config file changed on the gateway since this page loaded it.</strong> Nothing was written.
            Reload to get the current file; edits in the form are kept and can be applied again${this.dirty ? " (the raw editor's edits are replaced)" : ""}.
            <button id="config-conflict-reload" class="primary" @click=${() => ((this.dirty = false), this.load())}>Reload</button>
          </div>`
        : nothing}
      ${this.notice ? html`<p id="config-notice" class="muted" role="status">${this.notice}</p>` : nothing}
      ${this.errorLine("config-save")}
      ${this.issues.length
        ? html`<ul id="config-issues" class="plain error">${this.issues.map((i) => html`<li><code>${i.path ?? ""}</code> ${i.message ?? JSON.stringify(i)}</li>`)}</ul>`
        : nothing}
      <div id="config-form-slot">${formRenderer && s ? formRenderer(ctx) : nothing}</div>
      <details id="config-raw-section" class="cfg-section" open>
        <summary>Raw file (JSON5)</summary>
        <label for="config-raw" class="sr-only">Raw file (JSON5)</label>
        <textarea id="config-raw" class="mono code" rows="24" spellcheck="false" .value=${this.raw}
          @input=${(e: Event) => ((this.raw = (e.target as HTMLTextAreaElement).value), (this.dirty = true), this.requestUpdate())}></textarea>
        <div class="row">
          <button id="config-save" class="primary" ?disabled=${!this.dirty} @click=${() => this.save()}>Save</button>
          <button id="config-reload" @click=${() => this.load()}>${this.dirty ? "Discard and reload" : "Reload"}</button>
        </div>
      </details>
    </section>`;
  }
}
customElements.define("cb-config", ConfigView);
