// Cron: jobs (cron.list), add (cron.add), edit and enable/disable (cron.update), run
// now (cron.run force), remove, and a job's run log (cron.runs). cron events refresh
// the list.
import { html, nothing } from "lit";
import { View } from "../view.js";
import type { EventFrame } from "../gateway.js";
import { ago, when } from "../util.js";
import { buildJob, scheduleText } from "../cronform.js";
import { cronPatch } from "../viewhelpers.js";

export class CronView extends View {
  private jobs: any[] = [];
  private runsFor = "";
  private runs: any[] = [];
  private formError = "";
  private scheduleKind = "every";
  private notice = "";
  private busy = new Set<string>();
  private editing = "";
  private editError = "";
  /** The job whose Remove was clicked once: a second click on it removes. */
  private armedRemove = "";

  connected(): void {
    if (this.active) void this.refresh();
  }
  shown(): void {
    void this.refresh();
  }
  onEvent(ev: EventFrame): void {
    if (ev.event !== "cron" || !this.active) return;
    void this.refresh();
    if (this.runsFor && ev.payload?.jobId === this.runsFor) void this.loadRuns(this.runsFor);
  }

  async refresh() {
    const r = await this.call("cron", "cron.list", { includeDisabled: true });
    if (r) {
      this.jobs = r.jobs ?? [];
      this.requestUpdate();
    }
  }

  private async loadRuns(id: string) {
    this.runsFor = id;
    const r = await this.call("cron-runs", "cron.runs", { id, limit: 50 });
    this.runs = r?.entries ?? [];
    this.requestUpdate();
  }

  private async add(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const f = Object.fromEntries(new FormData(form).entries()) as Record<string, string>;
    let params;
    try {
      params = buildJob(f);
    } catch (err) {
      this.formError = (err as Error).message;
      this.requestUpdate();
      return;
    }
    this.formError = "";
    const r = await this.call("cron-add", "cron.add", params);
    if (r) {
      form.reset();
      this.scheduleKind = "every";
      this.notice = `Added ${params.name}.`;
      await this.refresh();
    }
  }

  private async run(id: string) {
    this.busy.add(id);
    this.requestUpdate();
    const r = await this.call("cron", "cron.run", { id, mode: "force" });
    this.busy.delete(id);
    if (r) this.notice = r.ran ? "The job ran." : `The job did not run${r.reason ? `: ${r.reason}` : ""}.`;
    await this.refresh();
    await this.loadRuns(id);
  }

  private async setEnabled(j: any, enabled: boolean) {
    this.busy.add(j.id);
    this.requestUpdate();
    const r = await this.call("cron", "cron.update", { id: j.id, patch: { enabled } });
    this.busy.delete(j.id);
    if (r) this.notice = `${j.name} ${enabled ? "enabled" : "disabled"}.`;
    await this.refresh();
  }

  private async saveEdit(e: Event, j: any) {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(e.target as HTMLFormElement).entries()) as Record<string, string>;
    let patch;
    try {
      patch = cronPatch(f, j);
    } catch (err) {
      this.editError = (err as Error).message;
      this.requestUpdate();
      return;
    }
    this.editError = "";
    if (!Object.keys(patch).length) {
      this.editing = "";
      this.notice = "Nothing changed.";
      this.requestUpdate();
      return;
    }
    const r = await this.call("cron-edit", "cron.update", { id: j.id, patch });
    if (r) {
      this.editing = "";
      this.notice = `Saved ${patch.name ?? j.name}.`;
    }
    await this.refresh();
  }

  private editor(j: any) {
    const sc = j.schedule || {};
    const text = j.payload?.kind === "agentTurn" ? j.payload.message : j.payload?.text;
    return html`<tr class="cron-editor" data-editor-for=${j.id}><td colspan="5">
      <form class="form-grid cron-edit" @submit=${(e: Event) => this.saveEdit(e, j)}>
        <label>Name <input name="name" class="edit-name" required maxlength="200" .value=${j.name ?? ""}></label>
        ${sc.kind === "every" ? html`<label>Minutes <input name="every" class="edit-every" type="number" min="0.1" step="any" .value=${String(sc.everyMs / 60000)}></label>` : nothing}
        ${sc.kind === "cron"
          ? html`<label>Expression <input name="expr" .value=${sc.expr ?? ""}></label><label>Time zone <input name="tz" .value=${sc.tz ?? ""}></label>`
          : nothing}
        ${text != null ? html`<label>Text <input name="text" class="edit-text" .value=${text}></label>` : nothing}
        <div class="row"><button type="submit" class="primary save">Save</button>
          <button type="button" class="ghost" @click=${() => ((this.editing = ""), (this.editError = ""), this.requestUpdate())}>Cancel</button></div>
        ${this.editError ? html`<p class="error" role="alert">${this.editError}</p>` : nothing}
        ${this.errorLine("cron-edit")}
      </form></td></tr>`;
  }

  private async removeJob(id: string) {
    if (this.armedRemove !== id) {
      this.armedRemove = id;
      this.requestUpdate();
      return;
    }
    this.armedRemove = "";
    const r = await this.call("cron", "cron.remove", { id });
    if (r) this.notice = r.removed ? "Removed." : "The job was already gone.";
    if (this.runsFor === id) this.runsFor = "";
    await this.refresh();
  }

  render() {
    const job = this.jobs.find((j) => j.id === this.runsFor);
    return html`<section id="cron-card" class="card" aria-labelledby="cron-title">
      <h2 id="cron-title">Cron jobs <span class="count">${this.jobs.length}</span>
        <span class="spacer"></span><button id="cron-refresh" class="ghost" @click=${() => this.refresh()}>Refresh</button></h2>
      ${this.errorLine("cron")}
      ${this.notice ? html`<p id="cron-notice" class="muted" role="status">${this.notice}</p>` : nothing}
      <p class="muted" ?hidden=${this.jobs.length > 0}>No jobs.</p>
      <div class="scroll">
        <table id="cron-jobs" class="table">
          <thead><tr><th>Job</th><th>Schedule</th><th>Next</th><th>Last</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${this.jobs.map(
              (j) => html`<tr data-job-id=${j.id} class=${j.enabled ? "" : "gone"}>
                <td><strong>${j.name}</strong><div class="sub">${j.payload?.kind === "agentTurn" ? `agent: ${j.payload.message}` : j.payload?.text}</div></td>
                <td>${scheduleText(j.schedule)}${j.enabled ? nothing : html`<div class="sub">disabled</div>`}</td>
                <td>${when(j.state?.nextRunAtMs)}</td>
                <td>${j.state?.lastStatus ?? "—"}<div class="sub">${ago(j.state?.lastRunAtMs)}</div></td>
                <td class="actions">
                  <button class="run primary" ?disabled=${this.busy.has(j.id)} aria-label="Run ${j.name} now" @click=${() => this.run(j.id)}>Run now</button>
                  <button class="runs" aria-label="Run history of ${j.name}" @click=${() => this.loadRuns(j.id)}>Runs</button>
                  <button class="edit" aria-label="Edit ${j.name}" aria-expanded=${String(this.editing === j.id)}
                    @click=${() => ((this.editing = this.editing === j.id ? "" : j.id), (this.editError = ""), this.requestUpdate())}>Edit</button>
                  <button class="toggle" ?disabled=${this.busy.has(j.id)} aria-label="${j.enabled ? "Disable" : "Enable"} ${j.name}"
                    @click=${() => this.setEnabled(j, !j.enabled)}>${j.enabled ? "Disable" : "Enable"}</button>
                  <button class="remove danger ${this.armedRemove === j.id ? "armed" : ""}" aria-label="${this.armedRemove === j.id ? "Confirm remove" : "Remove"} ${j.name}"
                    @click=${() => this.removeJob(j.id)}>${this.armedRemove === j.id ? "Confirm remove" : "Remove"}</button>
                </td>
              </tr>
              ${this.editing === j.id ? this.editor(j) : nothing}`,
            )}
          </tbody>
        </table>
      </div>
      ${this.runsFor
        ? html`<h3>Runs of ${job?.name ?? this.runsFor}</h3>
            ${this.errorLine("cron-runs")}
            <p class="muted" ?hidden=${this.runs.length > 0}>No runs yet.</p>
            <ul id="cron-runs" class="plain">
              ${this.runs.map((r) => html`<li class="run-entry ${r.status}">${when(r.runAtMs ?? r.ts)} — <strong>${r.status ?? r.action}</strong>
                ${r.durationMs != null ? ` (${r.durationMs} ms)` : ""} ${r.error ? html`<span class="error">${r.error}</span>` : ""} ${r.summary ?? ""}</li>`)}
            </ul>`
        : nothing}
    </section>
    <section id="cron-add-card" class="card" aria-labelledby="cron-add-title">
      <h2 id="cron-add-title">Add a job</h2>
      <form id="cron-add" class="form-grid" @submit=${this.add}>
        <label>Name <input name="name" id="cron-name" required maxlength="200"></label>
        <label>Schedule
          <select name="scheduleKind" id="cron-kind" @change=${(e: Event) => ((this.scheduleKind = (e.target as HTMLSelectElement).value), this.requestUpdate())}>
            <option value="every">every N minutes</option><option value="cron">cron expression</option><option value="at">once, at a time</option>
          </select></label>
        ${this.scheduleKind === "every" ? html`<label>Minutes <input name="every" id="cron-every" type="number" min="0.1" step="any" value="60"></label>` : nothing}
        ${this.scheduleKind === "cron"
          ? html`<label>Expression <input name="expr" id="cron-expr" placeholder="0 7 * * *"></label><label>Time zone <input name="tz" id="cron-tz" placeholder="Europe/Berlin"></label>`
          : nothing}
        ${this.scheduleKind === "at" ? html`<label>At <input name="at" id="cron-at" type="datetime-local"></label>` : nothing}
        <label>Does
          <select name="payloadKind" id="cron-payload">
            <option value="systemEvent">system event in the main session</option><option value="agentTurn">agent turn in its own session</option>
          </select></label>
        <label>Text <input name="text" id="cron-text" required></label>
        <label>Wake <select name="wakeMode" id="cron-wake"><option value="next-heartbeat">at the next heartbeat</option><option value="now">now</option></select></label>
        <div><button id="cron-add-submit" type="submit" class="primary">Add job</button></div>
        ${this.formError ? html`<p class="error" role="alert">${this.formError}</p>` : nothing}
        ${this.errorLine("cron-add")}
      </form>
    </section>`;
  }
}
customElements.define("cb-cron", CronView);
