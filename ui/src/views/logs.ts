// Logs: polls logs.tail with a cursor and follows the file.
import { html } from "lit";
import { ErrorCode } from "../../../gen/js/protocol.js";
import { View } from "../view.js";
import type { GatewayError } from "../gateway.js";
import { formatLine, type Line } from "../util.js";

const LOG_POLL_MS = 2000;
const LOG_MAX_LINES = 1000;

export class LogsView extends View {
  private cursor: number | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lines: Line[] = [];
  private file = "";
  private follow = true;

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
    const params: Record<string, unknown> = { limit: 200, maxBytes: 250000 };
    if (this.cursor != null) params.cursor = this.cursor;
    try {
      const r = await this.gw.request("logs.tail", params);
      if (r.reset) this.lines = [];
      this.cursor = r.cursor;
      this.file = r.file || "";
      for (const l of r.lines ?? []) this.lines.push(formatLine(l));
      if (this.lines.length > LOG_MAX_LINES) this.lines.splice(0, this.lines.length - LOG_MAX_LINES);
      this.setError("logs", null);
    } catch (e) {
      this.setError("logs", e);
      const ge = e as GatewayError;
      if (ge.code !== ErrorCode.UNAVAILABLE || /no log file/.test(ge.message)) return; // nothing to poll
    }
    if (this.gw.state === "connected") this.timer = setTimeout(() => this.poll(), LOG_POLL_MS);
  }

  protected updated(): void {
    const box = this.querySelector("#logs");
    if (box && this.follow) box.scrollTop = box.scrollHeight;
  }

  render() {
    return html`<section id="logs-card" class="card" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs <small id="logs-file" class="mono muted">${this.file}</small></h2>
      <label class="inline"><input id="logs-follow" type="checkbox" .checked=${this.follow} @change=${(e: Event) => (this.follow = (e.target as HTMLInputElement).checked)}> follow</label>
      ${this.errorLine("logs")}
      <div id="logs" class="logs mono" role="log" tabindex="0">${this.lines.map((l) => html`<div class="line ${l.level}">${l.text}</div>`)}</div>
    </section>`;
  }
}
customElements.define("cb-logs", LogsView);
