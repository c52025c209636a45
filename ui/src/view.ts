// The base of every view: a Lit element rendered into the light DOM (one global
// stylesheet, stable ids for tests and links), holding its own state and told by the
// app shell about the connection, events, and when to refetch.
import { LitElement, html, nothing, type TemplateResult } from "lit";
import { ErrorCode } from "../../gen/js/protocol.js";
import type { EventFrame, Gateway, GatewayError } from "./gateway.js";

export abstract class View extends LitElement {
  gw!: Gateway;
  /** The view is on screen. */
  active = false;
  /** Request failures by area, shown next to that area. */
  protected errors = new Map<string, GatewayError>();

  protected createRenderRoot(): HTMLElement {
    return this;
  }

  /**
   * updated applies the value each select declares with data-value, after every
   * render, once its options are in place. Lit updates a select's own bindings before
   * its options, so a .value binding would be applied to the old options; and by the
   * HTML spec an option's selected attribute stops counting once the user has picked
   * (its "dirtiness", which Firefox implements): so when a live update adds, removes
   * or reorders options (sessions, subsystems, nodes), the select could show another
   * option than the state it stands for.
   */
  protected updated(): void {
    for (const sel of this.querySelectorAll<HTMLSelectElement>("select[data-value]")) {
      const v = sel.dataset.value ?? "";
      if (sel.value !== v) sel.value = v;
    }
  }

  /** connected is called after every hello-ok (and after a seq gap): refetch. */
  connected(): void {}
  /** disconnected is called when the socket goes away. */
  disconnected(): void {}
  /** onEvent sees every gateway event. */
  onEvent(_ev: EventFrame): void {}
  /** shown is called when the user opens the view. */
  shown(): void {}

  protected setError(area: string, e: unknown): void {
    if (e) this.errors.set(area, e as GatewayError);
    else this.errors.delete(area);
    this.requestUpdate();
  }

  /** errorLine renders the failure of an area; UNAVAILABLE answers read as a note. */
  protected errorLine(area: string): TemplateResult | typeof nothing {
    const e = this.errors.get(area);
    if (!e) return nothing;
    const soft = e.code === ErrorCode.UNAVAILABLE;
    return html`<p id="${area}-error" class="error ${soft ? "soft" : ""}" role="alert">${e.message}</p>`;
  }

  /** call wraps a request: the area's error is set or cleared. */
  protected async call<T = any>(area: string, method: string, params: unknown = {}): Promise<T | undefined> {
    try {
      const r = await this.gw.request<T>(method, params);
      this.setError(area, null);
      return r;
    } catch (e) {
      this.setError(area, e);
      return undefined;
    }
  }
}
