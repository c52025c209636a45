// WebChat panel: history, send, the streamed reply from chat events (delta carries the
// cumulative text; final, error and aborted end a run), and abort.
import { uuid } from "./gateway.js";
import { el, clear } from "./dom.js";

const HISTORY_LIMIT = 200;
const MAX_MESSAGES = 500; // DOM bound; older bubbles are dropped

// textOf extracts the text of a transcript or event message: a string, or
// {content: string | [{type:"text", text}]}.
export function textOf(message) {
  if (message == null) return "";
  if (typeof message === "string") return message;
  const c = message.content ?? message.text;
  if (typeof c === "string") return c;
  if (Array.isArray(c)) {
    return c
      .filter((p) => p && (p.type === "text" || typeof p.text === "string"))
      .map((p) => p.text ?? "")
      .join("");
  }
  return "";
}

export class ChatPanel {
  constructor(gw, root) {
    this.gw = gw;
    this.log = root.querySelector("#chat-log");
    this.form = root.querySelector("#chat-form");
    this.input = root.querySelector("#chat-input");
    this.sendBtn = root.querySelector("#chat-send");
    this.abortBtn = root.querySelector("#chat-abort");
    this.sessionLabel = root.querySelector("#chat-session");
    this.status = root.querySelector("#chat-status");
    this.sessionKey = "main";
    this.runs = new Map(); // runId → {bubble, text, state}
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      }
    });
    this.abortBtn.addEventListener("click", () => this.abort());
  }

  setSession(key) {
    this.sessionKey = key || "main";
    this.sessionLabel.textContent = this.sessionKey;
  }

  setStatus(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle("error", isError);
  }

  async loadHistory() {
    try {
      const res = await this.gw.request("chat.history", { sessionKey: this.sessionKey, limit: HISTORY_LIMIT });
      if (res?.sessionKey) this.setSession(res.sessionKey);
      clear(this.log);
      this.runs.clear();
      for (const m of res?.messages ?? []) {
        const role = m?.role === "user" ? "user" : m?.role === "assistant" ? "assistant" : "system";
        const text = textOf(m);
        if (text) this.bubble(role, text);
      }
      this.setStatus("");
    } catch (e) {
      // A gateway without the agent runtime answers that chat is not implemented:
      // that is a state, not a failure.
      this.setStatus(`Chat history unavailable: ${e.message}`, false);
    }
    this.updateButtons();
  }

  bubble(role, text) {
    const b = el("div", { class: `msg ${role}` }, el("div", { class: "who" }, role), el("div", { class: "text" }, text));
    this.log.append(b);
    while (this.log.childElementCount > MAX_MESSAGES) this.log.firstElementChild.remove();
    this.log.scrollTop = this.log.scrollHeight;
    return b;
  }

  activeRuns() {
    return [...this.runs.entries()].filter(([, r]) => r.state === "pending" || r.state === "streaming");
  }

  updateButtons() {
    const busy = this.activeRuns().length > 0;
    this.abortBtn.hidden = !busy;
    this.sendBtn.disabled = this.gw.state !== "connected";
  }

  async send() {
    const text = this.input.value.trim();
    if (!text || this.gw.state !== "connected") return;
    this.input.value = "";
    this.bubble("user", text);
    const runId = uuid();
    const bubble = this.bubble("assistant", "");
    bubble.classList.add("pending");
    bubble.dataset.runId = runId;
    this.runs.set(runId, { bubble, text: "", state: "pending" });
    this.updateButtons();
    try {
      await this.gw.request("chat.send", { sessionKey: this.sessionKey, message: text, idempotencyKey: runId });
    } catch (e) {
      this.finish(runId, "error", e.message);
    }
  }

  async abort() {
    for (const [runId] of this.activeRuns()) {
      try {
        await this.gw.request("chat.abort", { sessionKey: this.sessionKey, runId });
      } catch (e) {
        this.setStatus(`abort failed: ${e.message}`, true);
      }
    }
  }

  // onEvent handles a chat event payload.
  onEvent(p) {
    if (!p || (p.sessionKey !== this.sessionKey && !this.runs.has(p.runId))) return;
    let run = this.runs.get(p.runId);
    if (!run) {
      // A run started elsewhere (another client, a hook) on this session.
      const bubble = this.bubble("assistant", "");
      bubble.dataset.runId = p.runId;
      run = { bubble, text: "", state: "pending" };
      this.runs.set(p.runId, run);
    }
    if (run.state === "final" || run.state === "error" || run.state === "aborted") return;
    switch (p.state) {
      case "delta": {
        const t = textOf(p.message);
        if (t.length >= run.text.length) this.setText(run, t); // cumulative; ignore stale
        run.state = "streaming";
        run.bubble.classList.remove("pending");
        run.bubble.classList.add("streaming");
        break;
      }
      case "final": {
        const t = textOf(p.message);
        if (t) this.setText(run, t);
        this.finish(p.runId, "final");
        break;
      }
      case "error":
        this.finish(p.runId, "error", p.errorMessage || "the run failed");
        break;
      case "aborted":
        this.finish(p.runId, "aborted");
        break;
    }
    this.updateButtons();
  }

  setText(run, t) {
    run.text = t;
    run.bubble.querySelector(".text").textContent = t;
    this.log.scrollTop = this.log.scrollHeight;
  }

  finish(runId, state, message) {
    const run = this.runs.get(runId);
    if (!run) return;
    run.state = state;
    run.bubble.classList.remove("pending", "streaming");
    run.bubble.classList.add(state);
    if (state === "error") {
      run.bubble.append(el("div", { class: "note error" }, message));
    } else if (state === "aborted") {
      run.bubble.append(el("div", { class: "note" }, "stopped"));
    }
    this.updateButtons();
  }

  // interrupted marks runs whose events may have been lost (reconnect) and reloads.
  interrupted() {
    if (this.activeRuns().length === 0) {
      this.loadHistory();
      return;
    }
    for (const [runId] of this.activeRuns()) this.finish(runId, "error", "connection lost during the reply");
    this.loadHistory();
  }
}
