// Chat: a session picker, history, send (text and image attachments), the streamed
// reply from chat events (delta carries the cumulative text; final, error and aborted
// end a run), tool-call cards from agent events (stream "tool": start, update, result)
// and from the history's toolCall / toolResult messages, abort, command hints for "/",
// and the exec approvals this session's runs wait for (exec.approval.requested for the
// session), answered in place with exec.approval.resolve; exec.approval.resolved from
// any operator removes the prompt.
import { html, nothing } from "lit";
import { live } from "lit/directives/live.js";
import { View } from "../view.js";
import { uuid, type EventFrame } from "../gateway.js";
import { textOf } from "../util.js";
import { MAX_ATTACHMENTS, attachmentProblem, commandHints, parseDataUrl, toolText, type ChatCommand } from "../viewhelpers.js";

const HISTORY_LIMIT = 200;
const MAX_MESSAGES = 500; // DOM bound; older bubbles are dropped
const MAX_TOOLS_PER_RUN = 50; // cards kept per reply
const SESSION_LIST_LIMIT = 100;

type RunState = "pending" | "streaming" | "final" | "error" | "aborted";
interface ToolCard {
  id: string;
  name: string;
  args?: unknown;
  result?: unknown;
  partial?: unknown;
  isError?: boolean;
  done: boolean;
}
interface Msg {
  role: "user" | "assistant" | "system";
  text: string;
  runId?: string;
  state?: RunState;
  note?: string;
  tools?: ToolCard[];
  images?: string[];
}
interface ApprovalPrompt {
  id: string;
  command: string;
  cwd?: string;
  busy?: boolean;
}
interface Attachment {
  name: string;
  dataUrl: string;
  mimeType: string;
  content: string;
}

export class ChatView extends View {
  sessionKey = "main";
  private msgs: Msg[] = [];
  private runs = new Map<string, Msg>();
  private status = "";
  private statusError = false;
  private draft = "";
  private sessions: any[] = [];
  private attachments: Attachment[] = [];
  private attachError = "";
  /** The highlighted command hint; hints show while the draft is "/" and a name's start. */
  private hintIndex = 0;
  /** Escape closed the hints for the current draft. */
  private hintsClosed = false;
  /** Exec approvals this session's runs wait for, by approval id. */
  private approvals = new Map<string, ApprovalPrompt>();
  /** The transcript the shown history belongs to (chat.history sessionId): when a run
   *  ends under another one, the session was reset (/new, /reset, a configured reset
   *  trigger, or the daily/idle policy) and the old messages go. */
  private transcriptId = "";

  setSession(key: string | undefined) {
    this.sessionKey = key || "main";
    this.requestUpdate();
  }

  connected(): void {
    // Runs whose events may have been lost while away end here; history is reloaded.
    for (const r of this.activeRuns()) this.finish(r, "error", "connection lost during the reply");
    void this.loadHistory();
    if (this.active) void this.loadSessions();
  }

  shown(): void {
    void this.loadSessions();
  }

  disconnected(): void {
    this.requestUpdate();
  }

  private async loadSessions() {
    try {
      const r = await this.gw.request("sessions.list", { limit: SESSION_LIST_LIMIT, includeDerivedTitles: true });
      this.sessions = r?.sessions ?? [];
      this.requestUpdate();
    } catch {
      // The picker then offers the current session only; chat still works.
      this.sessions = [];
    }
  }

  private async switchSession(key: string) {
    if (key === this.sessionKey) return;
    this.sessionKey = key;
    this.msgs = [];
    this.runs.clear();
    this.approvals.clear();
    this.requestUpdate();
    await this.loadHistory();
  }

  private async loadHistory() {
    const asked = this.sessionKey;
    try {
      const res = await this.gw.request("chat.history", { sessionKey: asked, limit: HISTORY_LIMIT });
      if (asked !== this.sessionKey) return;
      if (res?.sessionKey) this.sessionKey = res.sessionKey;
      this.transcriptId = res?.sessionId ?? "";
      this.msgs = [];
      this.runs.clear();
      const cards = new Map<string, ToolCard>();
      for (const m of res?.messages ?? []) {
        if (m?.role === "toolResult") {
          const c = cards.get(m.toolCallId);
          if (c) {
            c.result = { content: m.content };
            c.isError = !!m.isError;
            c.done = true;
          }
          continue;
        }
        const role = m?.role === "user" ? "user" : m?.role === "assistant" ? "assistant" : "system";
        const text = textOf(m);
        const tools: ToolCard[] = [];
        const images: string[] = [];
        if (Array.isArray(m?.content)) {
          for (const p of m.content) {
            if (p?.type === "toolCall" && p.id) {
              const c: ToolCard = { id: p.id, name: p.name || "tool", args: p.arguments, done: false };
              cards.set(p.id, c);
              tools.push(c);
            }
            if (p?.type === "image" && typeof p.data === "string" && /^image\//.test(p.mimeType || "")) images.push(`data:${p.mimeType};base64,${p.data}`);
          }
        }
        if (text || tools.length || images.length) this.msgs.push({ role, text, tools: tools.length ? tools : undefined, images: images.length ? images : undefined });
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
    const atts = this.attachments;
    if ((!text && !atts.length) || this.gw.state !== "connected") return;
    input.value = "";
    this.draft = "";
    this.attachments = [];
    this.attachError = "";
    this.push({ role: "user", text, images: atts.length ? atts.map((a) => a.dataUrl) : undefined });
    const runId = uuid();
    const run: Msg = { role: "assistant", text: "", runId, state: "pending" };
    this.push(run);
    this.runs.set(runId, run);
    this.requestUpdate();
    const params: Record<string, unknown> = { sessionKey: this.sessionKey, message: text, idempotencyKey: runId };
    if (atts.length) params.attachments = atts.map((a) => ({ type: "image", mimeType: a.mimeType, fileName: a.name, content: a.content }));
    try {
      await this.gw.request("chat.send", params);
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

  /** addFiles reads images (from the picker or a paste) as data URLs. */
  private addFiles(files: Iterable<File>) {
    let pending = 0; // read but not yet loaded
    this.attachError = "";
    for (const f of files) {
      const problem = attachmentProblem(f, this.attachments.length + pending);
      if (problem) {
        this.attachError = problem;
        continue;
      }
      pending++;
      const r = new FileReader();
      r.onload = () => {
        const dataUrl = String(r.result || "");
        const parsed = parseDataUrl(dataUrl);
        if (!parsed) {
          this.attachError = `${f.name || "the image"} could not be read`;
        } else if (this.attachments.length < MAX_ATTACHMENTS) {
          this.attachments = [...this.attachments, { name: f.name || "image", dataUrl, ...parsed }];
        }
        this.requestUpdate();
      };
      r.onerror = () => {
        this.attachError = `${f.name || "the image"} could not be read`;
        this.requestUpdate();
      };
      r.readAsDataURL(f);
    }
    this.requestUpdate();
  }

  private onPaste(e: ClipboardEvent) {
    const files = [...(e.clipboardData?.files ?? [])].filter((f) => f.type.startsWith("image/"));
    if (files.length) {
      e.preventDefault();
      this.addFiles(files);
    }
  }

  onEvent(ev: EventFrame): void {
    if (ev.event === "agent") return this.onAgent(ev.payload);
    if (ev.event === "exec.approval.requested" || ev.event === "exec.approval.resolved") return this.onApproval(ev.event, ev.payload);
    if (ev.event !== "chat") return;
    const p = ev.payload;
    if (!p || (p.sessionKey !== this.sessionKey && !this.runs.has(p.runId))) return;
    const run = this.runFor(p.runId);
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

  private onApproval(event: string, p: any) {
    if (!p?.id) return;
    if (event === "exec.approval.resolved") {
      if (this.approvals.delete(p.id)) this.requestUpdate();
      return;
    }
    const r = p.request ?? {};
    if (r.sessionKey !== this.sessionKey || this.approvals.has(p.id)) return;
    this.approvals.set(p.id, { id: p.id, command: String(r.command ?? ""), cwd: r.cwd });
    // An unanswered prompt expires on the gateway (the run is denied): drop it then.
    if (typeof p.expiresAtMs === "number") {
      setTimeout(() => this.approvals.delete(p.id) && this.requestUpdate(), Math.max(0, p.expiresAtMs - Date.now()));
    }
    this.requestUpdate();
  }

  private async resolveApproval(a: ApprovalPrompt, decision: "allow-once" | "allow-always" | "deny") {
    a.busy = true;
    this.requestUpdate();
    const r = await this.call("chat-approval", "exec.approval.resolve", { id: a.id, decision });
    a.busy = false;
    if (r) this.approvals.delete(a.id);
    this.requestUpdate();
  }

  /** runFor finds the bubble of a run, making one for a run started elsewhere. */
  private runFor(runId: string): Msg {
    let run = this.runs.get(runId);
    if (!run) {
      run = { role: "assistant", text: "", runId, state: "pending" };
      this.push(run);
      this.runs.set(runId, run);
    }
    return run;
  }

  private onAgent(p: any) {
    if (!p || p.stream !== "tool" || !p.data) return;
    if (!this.runs.has(p.runId) && (!p.sessionKey || p.sessionKey !== this.sessionKey)) return;
    const run = this.runFor(p.runId);
    const d = p.data;
    const id = String(d.toolCallId || "");
    if (!id) return;
    run.tools ??= [];
    let card = run.tools.find((c) => c.id === id);
    if (!card) {
      if (run.tools.length >= MAX_TOOLS_PER_RUN) return;
      card = { id, name: String(d.name || "tool"), done: false };
      run.tools.push(card);
    }
    if (d.phase === "start") card.args = d.args;
    else if (d.phase === "update") card.partial = d.partialResult;
    else if (d.phase === "result") {
      card.result = d.result;
      card.isError = !!d.isError;
      card.done = true;
    }
    if (run.state === "pending") run.state = "streaming";
    this.requestUpdate();
  }

  private finish(run: Msg, state: RunState, note?: string) {
    run.state = state;
    run.note = note;
    this.requestUpdate();
    if (state === "final" && this.runs.has(run.runId ?? "")) void this.checkReset(run);
  }

  /** checkReset reloads the history when the run ended in a new transcript, keeping
   *  the run's own answer (e.g. "New session started") at the end. */
  private async checkReset(run: Msg) {
    const asked = this.sessionKey;
    let id = "";
    try {
      const res = await this.gw.request("chat.history", { sessionKey: asked, limit: 1 });
      id = res?.sessionId ?? "";
    } catch {
      return; // history unavailable: nothing to compare
    }
    if (asked !== this.sessionKey || !id || id === this.transcriptId) return;
    if (!this.transcriptId) {
      // The session began with this run (the history loaded before it had none).
      this.transcriptId = id;
      return;
    }
    await this.loadHistory();
    if (asked !== this.sessionKey) return;
    if (!this.msgs.some((m) => m.role === "assistant" && m.text === run.text)) this.push(run);
    this.requestUpdate();
  }

  protected updated(): void {
    super.updated();
    const log = this.querySelector("#chat-log");
    if (log) log.scrollTop = log.scrollHeight;
  }

  private hints(): ChatCommand[] {
    return this.hintsClosed ? [] : commandHints(this.draft);
  }

  private onInput(e: Event) {
    this.draft = (e.target as HTMLTextAreaElement).value;
    this.hintIndex = 0;
    this.hintsClosed = false;
    this.requestUpdate();
  }

  /** chooseHint puts the command in the draft, ready for its arguments or Enter. */
  private chooseHint(c: ChatCommand) {
    this.draft = `/${c.name}${c.args ? " " : ""}`;
    this.hintsClosed = true;
    this.requestUpdate();
    void this.updateComplete.then(() => {
      const input = this.querySelector<HTMLTextAreaElement>("#chat-input");
      if (!input) return;
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    });
  }

  private onKey(e: KeyboardEvent) {
    const hints = this.hints();
    if (hints.length && !e.isComposing) {
      const n = hints.length;
      const i = Math.min(this.hintIndex, n - 1);
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        this.hintIndex = (i + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
        this.requestUpdate();
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        this.hintsClosed = true;
        this.requestUpdate();
        return;
      }
      // Tab always takes the hint; Enter does unless the draft already is that command.
      if (e.key === "Tab" || (e.key === "Enter" && !e.shiftKey && this.draft.toLowerCase() !== `/${hints[i].name}`)) {
        e.preventDefault();
        this.chooseHint(hints[i]);
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this.send();
    }
  }

  private toolCard(c: ToolCard) {
    const out = c.done ? c.result : c.partial;
    return html`<details class="tool-card ${c.done ? (c.isError ? "failed" : "done") : "running"}" data-tool-call-id=${c.id} data-tool=${c.name}>
      <summary><span class="tool-name mono">${c.name}</span>
        <span class="tool-state">${c.done ? (c.isError ? "failed" : "done") : "running…"}</span></summary>
      <div class="sub">Input</div><pre class="tool-args out">${toolText(c.args) || "—"}</pre>
      ${out !== undefined ? html`<div class="sub">${c.done ? "Result" : "Output so far"}</div><pre class="tool-result out">${toolText(out)}</pre>` : nothing}
    </details>`;
  }

  render() {
    const busy = this.activeRuns().length > 0;
    const hints = this.hints();
    const hint = Math.min(this.hintIndex, Math.max(hints.length - 1, 0));
    const keys = this.sessions.map((s) => s.key);
    const options = keys.includes(this.sessionKey) ? this.sessions : [{ key: this.sessionKey }, ...this.sessions];
    return html`<section id="chat-card" class="card" aria-labelledby="chat-title">
      <h2 id="chat-title">Chat <small id="chat-session" class="mono muted">${this.sessionKey}</small>
        <span class="spacer"></span>
        <label class="inline picker"><span class="visually-hidden">Session</span>
          <select id="chat-session-picker" data-value=${this.sessionKey} @change=${(e: Event) => this.switchSession((e.target as HTMLSelectElement).value)}>
            ${options.map((s) => html`<option value=${s.key} ?selected=${s.key === this.sessionKey}>${s.displayName || s.derivedTitle || s.label || s.key}</option>`)}
          </select></label></h2>
      <div id="chat-log" class="chat-log" aria-live="polite" role="log" tabindex="0">
        ${this.msgs.map(
          (m) => html`<div class="msg ${m.role} ${m.state ?? ""}" data-run-id=${m.runId ?? nothing}>
            <div class="who">${m.role}</div>
            ${m.images?.length ? html`<div class="msg-images">${m.images.map((src) => html`<img class="msg-image" src=${src} alt="attached image">`)}</div>` : nothing}
            ${m.tools?.length ? html`<div class="tool-cards">${m.tools.map((c) => this.toolCard(c))}</div>` : nothing}
            <div class="text">${m.text}</div>
            ${m.note ? html`<div class="note ${m.state === "error" ? "error" : ""}">${m.note}</div>` : nothing}
          </div>`,
        )}
      </div>
      ${this.approvals.size
        ? html`<ul id="chat-approvals" class="pending" aria-label="Exec approvals for this session">
            ${[...this.approvals.values()].map(
              (a) => html`<li class="pending-item approval" data-approval-id=${a.id}>
                <div class="grow"><span class="sub">The agent asks to run</span> <code class="cmd">${a.command}</code>
                  ${a.cwd ? html`<div class="sub">in ${a.cwd}</div>` : nothing}</div>
                <div class="btns" role="group" aria-label="Answer for ${a.command}">
                  <button class="primary allow-once" ?disabled=${a.busy} @click=${() => this.resolveApproval(a, "allow-once")}>Allow once</button>
                  <button class="allow-always" ?disabled=${a.busy} @click=${() => this.resolveApproval(a, "allow-always")}>Always allow</button>
                  <button class="danger deny" ?disabled=${a.busy} @click=${() => this.resolveApproval(a, "deny")}>Deny</button>
                </div>
              </li>`,
            )}
          </ul>`
        : nothing}
      ${this.errorLine("chat-approval")}
      <p id="chat-status" class="${this.statusError ? "error" : "muted"}">${this.status}</p>
      ${this.attachments.length
        ? html`<ul id="chat-attachments" class="attachments plain">
            ${this.attachments.map(
              (a, i) => html`<li class="attachment"><img src=${a.dataUrl} alt=${a.name}>
                <button type="button" class="ghost remove-attachment" aria-label="Remove ${a.name}"
                  @click=${() => ((this.attachments = this.attachments.filter((_, j) => j !== i)), this.requestUpdate())}>✕</button></li>`,
            )}
          </ul>`
        : nothing}
      ${this.attachError ? html`<p id="chat-attach-error" class="error" role="alert">${this.attachError}</p>` : nothing}
      ${hints.length
        ? html`<ul id="chat-commands" class="command-hints plain" role="listbox" aria-label="Chat commands">
            ${hints.map(
              (c, i) => html`<li id="chat-cmd-${c.name}" role="option" class="command-hint ${i === hint ? "active" : ""}" aria-selected=${String(i === hint)}
                data-command=${c.name} @mousedown=${(e: Event) => (e.preventDefault(), this.chooseHint(c))}>
                <span class="mono">/${c.name}</span>${c.args ? html` <span class="mono muted">${c.args}</span>` : nothing}
                <span class="muted">— ${c.description}</span></li>`,
            )}
          </ul>`
        : nothing}
      <form id="chat-form" class="chat-form" @submit=${(e: Event) => (e.preventDefault(), this.send())}>
        <label class="grow"><span class="visually-hidden">Message</span>
          <textarea id="chat-input" rows="2" .value=${live(this.draft)} @input=${this.onInput}
            aria-autocomplete="list" aria-controls="chat-commands" aria-expanded=${String(hints.length > 0)}
            aria-activedescendant=${hints.length ? `chat-cmd-${hints[hint].name}` : nothing}
            @keydown=${this.onKey} @paste=${this.onPaste} placeholder="Message the agent (Enter to send, Shift+Enter for a new line, / for commands)"></textarea>
        </label>
        <label class="attach-label" title="Attach images"><span aria-hidden="true">Image</span><span class="visually-hidden">Attach images</span>
          <input id="chat-attach" type="file" accept="image/*" multiple class="visually-hidden"
            @change=${(e: Event) => {
              const inp = e.target as HTMLInputElement;
              this.addFiles([...(inp.files ?? [])]);
              inp.value = "";
            }}></label>
        <button id="chat-send" type="submit" class="primary" ?disabled=${this.gw?.state !== "connected"}>Send</button>
        <button id="chat-abort" type="button" class="danger" ?hidden=${!busy} @click=${() => this.abort()}>Stop</button>
      </form>
    </section>`;
  }
}
customElements.define("cb-chat", ChatView);
