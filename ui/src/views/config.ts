// Config: the raw JSON5 file (config.get / config.set with baseHash, so a concurrent
// edit is refused instead of lost). Secrets arrive redacted and are sent back as the
// placeholder, which keeps their stored value.
//
// Hook for the schema-driven form (config.schema uiHints, built separately): call
// registerConfigForm(render) before the app starts; the renderer gets the parsed
// config and an apply(raw) callback, and its output is shown above the raw editor.
import { html, nothing, type TemplateResult } from "lit";
import { View } from "../view.js";

export interface ConfigFormContext {
  config: unknown;
  schemaAvailable: boolean;
  apply: (raw: string) => Promise<boolean>;
}
export type ConfigFormRenderer = (ctx: ConfigFormContext) => TemplateResult;

let formRenderer: ConfigFormRenderer | null = null;
/** registerConfigForm installs the schema-driven config form (see file comment). */
export function registerConfigForm(r: ConfigFormRenderer): void {
  formRenderer = r;
}

export class ConfigView extends View {
  private snap: any = null;
  private raw = "";
  private dirty = false;
  private notice = "";
  private issues: any[] = [];

  connected(): void {
    if (this.active && !this.dirty) void this.load();
  }
  shown(): void {
    if (!this.dirty) void this.load();
  }

  async load() {
    const r = await this.call("config", "config.get");
    if (r) {
      this.snap = r;
      this.raw = r.raw ?? "";
      this.dirty = false;
      this.issues = r.issues ?? [];
      this.errors.delete("config-save");
      this.requestUpdate();
    }
  }

  async save(raw = this.raw): Promise<boolean> {
    const params: Record<string, unknown> = { raw };
    if (this.snap?.hash) params.baseHash = this.snap.hash;
    try {
      await this.gw.request("config.set", params);
      this.setError("config-save", null);
      this.notice = "Saved; the gateway reloads the config.";
      this.issues = [];
      await this.load();
      return true;
    } catch (e) {
      const d = (e as any).details;
      this.issues = Array.isArray(d?.issues) ? d.issues : [];
      this.setError("config-save", e);
      return false;
    }
  }

  render() {
    const s = this.snap;
    return html`<section id="config-card" class="card" aria-labelledby="config-title">
      <h2 id="config-title">Config <small class="mono muted">${s?.path ?? ""}</small></h2>
      ${this.errorLine("config")}
      ${s ? html`<p class="sub">${s.exists ? "" : "The file does not exist yet. "}${s.valid ? "valid" : "invalid"}${this.dirty ? " · unsaved changes" : ""}</p>` : nothing}
      <div id="config-form-slot">${formRenderer && s ? formRenderer({ config: s.config, schemaAvailable: this.gw.supports("config.schema"), apply: (raw) => this.save(raw) }) : nothing}</div>
      <label for="config-raw">Raw file (JSON5)</label>
      <textarea id="config-raw" class="mono code" rows="24" spellcheck="false" .value=${this.raw}
        @input=${(e: Event) => ((this.raw = (e.target as HTMLTextAreaElement).value), (this.dirty = true), this.requestUpdate())}></textarea>
      <div class="row">
        <button id="config-save" class="primary" ?disabled=${!this.dirty} @click=${() => this.save()}>Save</button>
        <button id="config-reload" @click=${() => this.load()}>${this.dirty ? "Discard and reload" : "Reload"}</button>
      </div>
      ${this.notice ? html`<p class="muted" role="status">${this.notice}</p>` : nothing}
      ${this.errorLine("config-save")}
      ${this.issues.length
        ? html`<ul id="config-issues" class="plain error">${this.issues.map((i) => html`<li><code>${i.path ?? ""}</code> ${i.message ?? JSON.stringify(i)}</li>`)}</ul>`
        : nothing}
    </section>`;
  }
}
customElements.define("cb-config", ConfigView);
