// Chat: history, send, the streamed reply from chat events (delta carries the
// cumulative text; final, error and aborted end a run), and abort.
import { html, nothing } from "lit";
import { View } from "../view.js";
import { uuid, type EventFrame } from "../gateway.js";
import { textOf } from "../util.js";

const HISTORY_LIMIT = 200;
const MAX_MESSAGES = 500; // DOM bound; older bubbles are dropped

type RunState = "pending" | "streaming" | "final" | "error" | "aborted";
interface Msg {
  role: "user" | "assistant" | "system";
  text: string;
  runId?: string;
  state?: RunState;
  note?: string;
}

export class ChatView extends View {
  sessionKey = "main";
  private msgs: Msg[] = [];
  private runs = new Map<string, Msg>();
  private status = "";
  private statusError = false;
  private draft = "";

  setSession(key: string | undefined) {
    this.sessionKey = key || "main";
    this.requestUpdate();
  }

  connected(): void {
    // Runs whose events may have been lost while away end here; history is reloaded.
    for (const r of this.activeRuns()) this.finish(r, "error", "connection lost during the reply");
    void this.loadHistory();
  }

  disconnected(): void {
    this.requestUpdate();
  }

  private async loadHistory() {
    try {
      const res = await this.gw.request("chat.history", { sessionKey: this.sessionKey, limit: HISTORY_LIMIT });
      if (res?.sessionKey) this.sessionKey = res.sessionKey;
      this.msgs = [];
      this.runs.clear();
      for (const m of res?.messages ?? []) {
        const role = m?.role === "user" ? "user" : m?.role === "assistant" ? "assistant" : "system";
        const text = textOf(m);
        if (text) this.msgs.push({ role, text });
      }
      this.setStatus("");
    } catch (e) {
      // A gateway without the agent runtime answers that chat is unavailable: a state.
      this.setStatus(`Chat history unavailable: ${(e as Error).message}`, false);
    }
  }

  private setStatus(s: string, isError = false) {
    this.status = s;
    this.statusError = isError;
    this.requestUpdate();
  }

  private activeRuns(): Msg[] {
    return [...this.runs.values()].filter((r) => r.state === "pending" || r.state === "streaming");
  }

  private push(m: Msg) {
    this.msgs.push(m);
    if (this.msgs.length > MAX_MESSAGES) this.msgs.splice(0, this.msgs.length - MAX_MESSAGES);
  }

  private async send() {
    const input = this.querySelector<HTMLTextAreaElement>("#chat-input")!;
    const text = input.value.trim();
    if (!text || this.gw.state !== "connected") return;
    input.value = "";
    this.draft = "";
    this.push({ role: "user", text });
    const runId = uuid();
    const run: Msg = { role: "assistant", text: "", runId, state: "pending" };
    this.push(run);
    this.runs.set(runId, run);
    this.requestUpdate();
    try {
      await this.gw.request("chat.send", { sessionKey: this.sessionKey, message: text, idempotencyKey: runId });
    } catch (e) {
      this.finish(run, "error", (e as Error).message);
    }
  }

  private async abort() {
    for (const r of this.activeRuns()) {
      try {
        await this.gw.request("chat.abort", { sessionKey: this.sessionKey, runId: r.runId });
      } catch (e) {
        this.setStatus(`abort failed: ${(e as Error).message}`, true);
      }
    }
  }

  onEvent(ev: EventFrame): void {
    if (ev.event !== "chat") return;
    const p = ev.payload;
    if (!p || (p.sessionKey !== this.sessionKey && !this.runs.has(p.runId))) return;
    let run = this.runs.get(p.runId);
    if (!run) {
      // A run started elsewhere (another client, a hook) on this session.
      run = { role: "assistant", text: "", runId: p.runId, state: "pending" };
      this.push(run);
      this.runs.set(p.runId, run);
    }
    if (run.state === "final" || run.state === "error" || run.state === "aborted") return;
    switch (p.state) {
      case "delta": {
        const t = textOf(p.message);
        if (t.length >= run.text.length) run.text = t; // cumulative; ignore stale
        run.state = "streaming";
        break;
      }
      case "final": {
        const t = textOf(p.message);
        if (t) run.text = t;
        this.finish(run, "final");
        break;
      }
      case "error":
        this.finish(run, "error", p.errorMessage || "the run failed");
        break;
      case "aborted":
        this.finish(run, "aborted", "stopped");
        break;
    }
    this.requestUpdate();
  }

  private finish(run: Msg, state: RunState, note?: string) {
    run.state = state;
    run.note = note;
    this.requestUpdate();
  }

  protected updated(): void {
    const log = this.querySelector("#chat-log");
    if (log) log.scrollTop = log.scrollHeight;
  }

  private onKey(e: KeyboardEvent) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this.send();
    }
  }

  render() {
    const busy = this.activeRuns().length > 0;
    return html`<section id="chat-card" class="card" aria-labelledby="chat-title">
      <h2 id="chat-title">Chat <small id="chat-session" class="mono muted">${this.sessionKey}</small></h2>
      <div id="chat-log" class="chat-log" aria-live="polite" role="log" tabindex="0">
        ${this.msgs.map(
          (m) => html`<div class="msg ${m.role} ${m.state ?? ""}" data-run-id=${m.runId ?? nothing}>
            <div class="who">${m.role}</div>
            <div class="text">${m.text}</div>
            ${m.note ? html`<div class="note ${m.state === "error" ? "error" : ""}">${m.note}</div>` : nothing}
          </div>`,
        )}
      </div>
      <p id="chat-status" class="${this.statusError ? "error" : "muted"}">${this.status}</p>
      <form id="chat-form" class="chat-form" @submit=${(e: Event) => (e.preventDefault(), this.send())}>
        <label class="grow"><span class="visually-hidden">Message</span>
          <textarea id="chat-input" rows="2" .value=${this.draft} @input=${(e: Event) => (this.draft = (e.target as HTMLTextAreaElement).value)}
            @keydown=${this.onKey} placeholder="Message the agent (Enter to send, Shift+Enter for a new line)"></textarea>
        </label>
        <button id="chat-send" type="submit" class="primary" ?disabled=${this.gw?.state !== "connected"}>Send</button>
        <button id="chat-abort" type="button" class="danger" ?hidden=${!busy} @click=${() => this.abort()}>Stop</button>
      </form>
    </section>`;
  }
}
customElements.define("cb-chat", ChatView);
