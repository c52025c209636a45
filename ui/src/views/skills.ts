// Skills: every skill the default agent can see (skills.status) with eligibility and
// the reasons a skill is left out; enable/disable and the API key (skills.update);
// installers (skills.install) with their output and clear errors.
import { html, nothing } from "lit";
import { View } from "../view.js";
import type { GatewayError } from "../gateway.js";
import { skillReasons } from "../viewhelpers.js";

/** An installer may run for minutes (brew, npm); the gateway caps it at 15. */
const INSTALL_TIMEOUT_MS = 300000;

interface InstallOutcome {
  ok: boolean;
  message: string;
  output: string;
}

export class SkillsView extends View {
  private st: any = null;
  private filter = "";
  private busy = new Set<string>();
  private notes = new Map<string, { text: string; error: boolean }>();
  private installs = new Map<string, InstallOutcome>();

  connected(): void {
    if (this.active) void this.refresh();
  }
  shown(): void {
    void this.refresh();
  }

  async refresh() {
    const r = await this.call("skills", "skills.status", {});
    if (r) this.st = r;
    this.requestUpdate();
  }

  private note(key: string, text: string, error = false) {
    this.notes.set(key, { text, error });
    this.requestUpdate();
  }

  private async patch(s: any, patch: Record<string, unknown>, done: string) {
    const key = s.skillKey;
    this.busy.add(key);
    this.requestUpdate();
    try {
      await this.gw.request("skills.update", { skillKey: key, ...patch });
      this.note(key, done);
    } catch (e) {
      this.note(key, (e as Error).message, true);
    }
    this.busy.delete(key);
    await this.refresh();
  }

  private saveKey(s: any, ev: Event) {
    ev.preventDefault();
    const input = (ev.target as HTMLFormElement).querySelector<HTMLInputElement>("input")!;
    const apiKey = input.value;
    void this.patch(s, { apiKey }, apiKey.trim() ? `API key saved for ${s.primaryEnv}.` : `API key removed.`).then(() => (input.value = ""));
  }

  private async install(s: any, opt: any) {
    const id = `${s.name}:${opt.id}`;
    this.busy.add(s.skillKey);
    this.installs.set(id, { ok: true, message: `Running ${opt.label}…`, output: "" });
    this.requestUpdate();
    try {
      const r = await this.gw.request("skills.install", { name: s.name, installId: opt.id, timeoutMs: INSTALL_TIMEOUT_MS }, INSTALL_TIMEOUT_MS + 10000);
      this.installs.set(id, { ok: !!r?.ok, message: r?.message || "Installed", output: [r?.stdout, r?.stderr].filter(Boolean).join("\n") });
    } catch (e) {
      // A failed installer answers ok:false with its result (exit code, output) as details.
      const d: any = (e as GatewayError).details;
      const out = d && typeof d === "object" ? [d.stdout, d.stderr].filter(Boolean).join("\n") : "";
      this.installs.set(id, { ok: false, message: (e as Error).message, output: out });
    }
    this.busy.delete(s.skillKey);
    await this.refresh();
  }

  render() {
    const skills: any[] = this.st?.skills ?? [];
    const f = this.filter.toLowerCase();
    const shown = f ? skills.filter((s) => `${s.name} ${s.description} ${s.source}`.toLowerCase().includes(f)) : skills;
    const eligible = skills.filter((s) => s.eligible).length;
    return html`<section id="skills-card" class="card" aria-labelledby="skills-title">
      <h2 id="skills-title">Skills <span class="count" aria-label="${eligible} of ${skills.length} eligible">${eligible}/${skills.length}</span>
        <span class="spacer"></span><button id="skills-refresh" class="ghost" @click=${() => this.refresh()}>Refresh</button></h2>
      ${this.errorLine("skills")}
      ${this.st ? html`<p class="sub mono">workspace ${this.st.workspaceDir} · managed ${this.st.managedSkillsDir}</p>` : nothing}
      <label>Filter <input id="skills-filter" type="search" .value=${this.filter} @input=${(e: Event) => ((this.filter = (e.target as HTMLInputElement).value), this.requestUpdate())}></label>
      <p class="muted" ?hidden=${skills.length > 0}>No skills found. Put a folder with a SKILL.md into the workspace's <code>skills/</code> or the managed skills folder.</p>
      <ul id="skills" class="plain skills">
        ${shown.map((s) => {
          const reasons = skillReasons(s);
          const busy = this.busy.has(s.skillKey);
          const n = this.notes.get(s.skillKey);
          return html`<li class="skill ${s.eligible ? "eligible" : "ineligible"}" data-skill=${s.name} data-skill-key=${s.skillKey}>
            <div class="skill-head">
              <strong>${s.emoji ? s.emoji + " " : ""}${s.name}</strong>
              <span class="badge" data-ok=${String(!!s.eligible)}>${s.eligible ? "eligible" : s.disabled ? "disabled" : "not eligible"}</span>
              <span class="tag">${String(s.source || "").replace(/^clawdbot-/, "")}</span>
              ${s.always ? html`<span class="tag">always</span>` : nothing}
              <span class="spacer"></span>
              <button class="toggle ${s.disabled ? "primary" : ""}" ?disabled=${busy} aria-label="${s.disabled ? "Enable" : "Disable"} ${s.name}"
                @click=${() => this.patch(s, { enabled: !!s.disabled }, s.disabled ? "Enabled." : "Disabled.")}>${s.disabled ? "Enable" : "Disable"}</button>
            </div>
            ${s.description ? html`<div class="sub">${s.description}</div>` : nothing}
            ${reasons.length ? html`<ul class="reasons">${reasons.map((r) => html`<li class="reason">${r}</li>`)}</ul>` : nothing}
            ${s.primaryEnv
              ? html`<form class="row api-key" @submit=${(e: Event) => this.saveKey(s, e)}>
                  <label class="grow">API key (${s.primaryEnv}) <input type="password" autocomplete="off" placeholder="empty removes the key"></label>
                  <button type="submit" ?disabled=${busy}>Save key</button></form>`
              : nothing}
            ${(s.install ?? []).length
              ? html`<div class="row installs">${s.install.map(
                  (o: any) => html`<button class="install" ?disabled=${busy} data-install-id=${o.id} aria-label="${o.label} for ${s.name}" @click=${() => this.install(s, o)}>${o.label}</button>`,
                )}</div>`
              : nothing}
            ${(s.install ?? []).map((o: any) => {
              const r = this.installs.get(`${s.name}:${o.id}`);
              return r
                ? html`<div class="install-result" role="status"><span class=${r.ok ? "good" : "error"}>${r.message}</span>${r.output ? html`<pre class="out">${r.output}</pre>` : nothing}</div>`
                : nothing;
            })}
            ${n ? html`<p class="note ${n.error ? "error" : "muted"}" role=${n.error ? "alert" : "status"}>${n.text}</p>` : nothing}
            <div class="sub mono">${s.filePath}</div>
          </li>`;
        })}
      </ul>
    </section>`;
  }
}
customElements.define("cb-skills", SkillsView);
