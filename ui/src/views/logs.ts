// Logs: polls logs.tail with its cursor (only new bytes each time), and shows the
// lines with level checkboxes, a subsystem choice, a text filter and follow (keep the
// newest line in view; scrolling up pauses it).
import { html, nothing } from "lit";
import { ErrorCode } from "../../../gen/js/protocol.js";
import { View } from "../view.js";
import type { GatewayError } from "../gateway.js";
import { LEVELS, matchesFilter, parseLogLine, type LogEntry, type LogFilter } from "../logmodel.js";

const LOG_POLL_MS = 2000;
/** LOG_MAX_LINES bounds what the page keeps; older lines drop off the top. */
const LOG_MAX_LINES = 2000;

export class LogsView extends View {
  private cursor: number | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lines: LogEntry[] = [];
  private subsystems = new Set<string>();
  private file = "";
  private follow = true;
  private truncated = false;
  private filter: LogFilter = { levels: new Set(LEVELS.filter((l) => l !== "trace")), subsystem: "", text: "" };

  connected(): void {
    clearTimeout(this.timer);
    this.cursor = null;
    this.lines = [];
    void this.poll();
  }

  disconnected(): void {
    clearTimeout(this.timer);
  }

  private async poll() {
    clearTimeout(this.timer);
    if (this.gw.state !== "connected") return;
    const params: Record<string, unknown> = { limit: 500, maxBytes: 250000 };
    if (this.cursor != null) params.cursor = this.cursor;
    try {
      const r = await this.gw.request("logs.tail", params);
      if (r.reset) this.lines = [];
      this.cursor = r.cursor;
      this.file = r.file || "";
      this.truncated = !!r.truncated;
      for (const l of r.lines ?? []) {
        const e = parseLogLine(l);
        if (e.subsystem) this.subsystems.add(e.subsystem);
        this.lines.push(e);
      }
      if (this.lines.length > LOG_MAX_LINES) this.lines.splice(0, this.lines.length - LOG_MAX_LINES);
      this.setError("logs", null);
    } catch (e) {
      this.setError("logs", e);
      const ge = e as GatewayError;
      if (ge.code !== ErrorCode.UNAVAILABLE || /no log file/.test(ge.message)) return; // nothing to poll
    }
    // A truncated read has more waiting: fetch it at once.
    if (this.gw.state === "connected") this.timer = setTimeout(() => this.poll(), this.truncated ? 0 : LOG_POLL_MS);
  }

  protected updated(): void {
    super.updated();
    const box = this.querySelector("#logs");
    if (box && this.follow) box.scrollTop = box.scrollHeight;
  }

  private onScroll(e: Event) {
    const box = e.target as HTMLElement;
    const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 8;
    if (this.follow !== atEnd) {
      this.follow = atEnd;
      this.requestUpdate();
    }
  }

  private toggleLevel(l: string, on: boolean) {
    if (on) this.filter.levels.add(l);
    else this.filter.levels.delete(l);
    this.requestUpdate();
  }

  render() {
    const f = this.filter;
    const shown = this.lines.filter((e) => matchesFilter(e, f));
    return html`<section id="logs-card" class="card" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs <small id="logs-file" class="mono muted">${this.file}</small></h2>
      <div class="row logs-filters">
        <fieldset id="logs-levels" class="chips">
          <legend class="sr-only">Levels</legend>
          ${LEVELS.map(
            (l) => html`<label class="chip lvl-${l}"><input id="logs-level-${l}" type="checkbox" .checked=${f.levels.has(l)}
              @change=${(e: Event) => this.toggleLevel(l, (e.target as HTMLInputElement).checked)}> ${l}</label>`,
          )}
        </fieldset>
        <label class="inline">Subsystem
          <select id="logs-subsystem" data-value=${f.subsystem} @change=${(e: Event) => ((f.subsystem = (e.target as HTMLSelectElement).value), this.requestUpdate())}>
            <option value="" ?selected=${!f.subsystem}>all</option>
            ${[...this.subsystems].sort().map((s) => html`<option value=${s} ?selected=${f.subsystem === s}>${s}</option>`)}
          </select></label>
        <label class="inline grow">Filter
          <input id="logs-filter" type="search" .value=${f.text} placeholder="text in the line"
            @input=${(e: Event) => ((f.text = (e.target as HTMLInputElement).value), this.requestUpdate())}></label>
        <label class="inline"><input id="logs-follow" type="checkbox" .checked=${this.follow}
          @change=${(e: Event) => ((this.follow = (e.target as HTMLInputElement).checked), this.requestUpdate())}> follow</label>
      </div>
      ${this.errorLine("logs")}
      <p class="sub" id="logs-count" aria-live="polite">${shown.length} of ${this.lines.length} lines${shown.length < this.lines.length ? " (filtered)" : ""}</p>
      <div id="logs" class="logs mono" role="log" tabindex="0" aria-label="Log lines" @scroll=${this.onScroll}>
        ${shown.map(
          (e) => html`<div class="line ${e.level}" data-level=${e.level || nothing}>${e.time ? html`<span class="t">${new Date(e.time).toLocaleTimeString()}</span> ` : nothing}${e.level
              ? html`<span class="lvl">${e.level.toUpperCase().padEnd(5)}</span> `
              : nothing}${e.subsystem ? html`<span class="sys">[${e.subsystem}]</span> ` : nothing}${e.message}</div>`,
        )}
      </div>
    </section>`;
  }
}
customElements.define("cb-logs", LogsView);
