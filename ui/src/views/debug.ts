// Debug: call any method with JSON params, and watch the event stream.
import { html } from "lit";
import { View } from "../view.js";
import type { EventFrame } from "../gateway.js";

const MAX_EVENTS = 200;

export class DebugView extends View {
  private result = "";
  private resultOk = true;
  private events: { at: number; ev: EventFrame }[] = [];
  private filter = "";
  private showTicks = false;
  private took = "";

  onEvent(ev: EventFrame): void {
    if (ev.event === "tick" && !this.showTicks) return;
    this.events = [{ at: Date.now(), ev }, ...this.events].slice(0, MAX_EVENTS);
    if (this.active) this.requestUpdate();
  }
  shown(): void {
    this.requestUpdate();
  }

  private async invoke(e: Event) {
    e.preventDefault();
    const method = (this.querySelector("#debug-method") as HTMLInputElement).value.trim();
    const rawParams = (this.querySelector("#debug-params") as HTMLTextAreaElement).value.trim();
    let params: unknown = {};
    try {
      if (rawParams) params = JSON.parse(rawParams);
    } catch (err) {
      this.resultOk = false;
      this.result = `params are not JSON: ${(err as Error).message}`;
      this.requestUpdate();
      return;
    }
    const t0 = performance.now();
    try {
      const r = await this.gw.request(method, params);
      this.resultOk = true;
      this.result = JSON.stringify(r, null, 2);
      this.took = `${method}: ok in ${Math.round(performance.now() - t0)} ms`;
    } catch (err) {
      const ge = err as any;
      this.resultOk = false;
      this.result = JSON.stringify({ code: ge.code, message: ge.message, details: ge.details }, null, 2);
      this.took = `${method}: failed in ${Math.round(performance.now() - t0)} ms`;
    }
    this.requestUpdate();
  }

  render() {
    const methods = this.gw?.hello?.features?.methods ?? [];
    const shown = this.events.filter((x) => !this.filter || x.ev.event.includes(this.filter));
    return html`<section id="debug-call-card" class="card" aria-labelledby="debug-title">
        <h2 id="debug-title">Call a method</h2>
        <form id="debug-form" @submit=${this.invoke}>
          <label>Method <input id="debug-method" list="debug-methods" value="health" autocomplete="off" spellcheck="false"></label>
          <datalist id="debug-methods">${methods.map((m) => html`<option value=${m}></option>`)}</datalist>
          <label>Params (JSON; Ctrl+Enter calls) <textarea id="debug-params" class="mono" rows="4" spellcheck="false"
            @keydown=${(e: KeyboardEvent) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void this.invoke(e);
            }}>{}</textarea></label>
          <button id="debug-call" type="submit" class="primary">Call</button>
        </form>
        <p id="debug-took" class="sub" role="status">${this.took}</p>
        <pre id="debug-result" class="logs mono ${this.resultOk ? "" : "error"}" tabindex="0" aria-live="polite">${this.result}</pre>
      </section>
      <section id="debug-events-card" class="card" aria-labelledby="debug-events-title">
        <h2 id="debug-events-title">Events <span class="count">${this.events.length}</span></h2>
        <div class="row">
          <label class="inline">Filter <input id="debug-filter" .value=${this.filter} @input=${(e: Event) => ((this.filter = (e.target as HTMLInputElement).value), this.requestUpdate())}></label>
          <label class="inline"><input type="checkbox" .checked=${this.showTicks} @change=${(e: Event) => (this.showTicks = (e.target as HTMLInputElement).checked)}> ticks</label>
          <button class="ghost" @click=${() => ((this.events = []), this.requestUpdate())}>Clear</button>
        </div>
        <ol id="debug-events" class="logs mono plain" tabindex="0">
          ${shown.map((x) => html`<li><strong>${x.ev.event}</strong> <span class="sub">#${x.ev.seq ?? "-"} ${new Date(x.at).toLocaleTimeString()}</span> ${JSON.stringify(x.ev.payload)?.slice(0, 400)}</li>`)}
        </ol>
      </section>`;
  }
}
customElements.define("cb-debug", DebugView);
