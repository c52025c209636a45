// DOM-free helpers of the channels, skills, nodes, chat and cron views; unit-tested
// under node (test/viewhelpers.test.ts).

/** skillReasons lists why a skill is not in the agent's prompt (empty when eligible). */
export function skillReasons(s: any): string[] {
  if (!s || s.eligible) return [];
  const out: string[] = [];
  if (s.disabled) out.push("disabled in skills.entries");
  if (s.blockedByAllowlist) out.push("not in skills.allowBundled");
  const m = s.missing || {};
  const list = (a: unknown) => (Array.isArray(a) ? (a as string[]).filter(Boolean) : []);
  if (list(m.bins).length) out.push(`missing binary: ${list(m.bins).join(", ")}`);
  if (list(m.anyBins).length) out.push(`needs one of: ${list(m.anyBins).join(", ")}`);
  if (list(m.env).length) out.push(`missing env: ${list(m.env).join(", ")}`);
  if (list(m.config).length) out.push(`config not set: ${list(m.config).join(", ")}`);
  if (list(m.os).length) out.push(`only on: ${list(m.os).join(", ")}`);
  if (!out.length) out.push("not eligible");
  return out;
}

/** parseParams reads the JSON params box of node.invoke: empty → undefined; throws with a message otherwise. */
export function parseParams(text: string): unknown {
  const t = text.trim();
  if (!t) return undefined;
  try {
    return JSON.parse(t);
  } catch (e) {
    throw new Error(`params are not valid JSON: ${(e as Error).message}`);
  }
}

/** MAX_TOOL_TEXT bounds what a tool card shows of an input or result (the DOM stays small). */
export const MAX_TOOL_TEXT = 4000;

/** toolText renders a tool's args or result for a card: strings as they are, content
 * arrays as their text, anything else as indented JSON; capped at max characters. */
export function toolText(v: unknown, max = MAX_TOOL_TEXT): string {
  let s: string;
  if (v == null) s = "";
  else if (typeof v === "string") s = v;
  else if (typeof v === "object" && Array.isArray((v as any).content)) {
    s = (v as any).content.map((p: any) => (typeof p?.text === "string" ? p.text : p?.type === "image" ? "[image]" : JSON.stringify(p))).join("\n");
  } else {
    try {
      s = JSON.stringify(v, null, 2);
    } catch {
      s = String(v);
    }
  }
  if (s.length > max) s = s.slice(0, max) + `… (${s.length - max} more characters)`;
  return s;
}

/** parseDataUrl splits a data: URL into the chat.send attachment fields. */
export function parseDataUrl(url: string): { mimeType: string; content: string } | null {
  const m = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (!m) return null;
  return { mimeType: m[1], content: m[2] };
}

/** MAX_ATTACHMENT_BYTES is the gateway's per-image limit (chat.send: decoded size ≤ 5 000 000). */
export const MAX_ATTACHMENT_BYTES = 5_000_000;
/** MAX_ATTACHMENTS bounds the images of one message (the request stays well under the frame limit). */
export const MAX_ATTACHMENTS = 8;

/** attachmentProblem says why a file cannot be attached ("" when it can), given how many are attached. */
export function attachmentProblem(f: { name?: string; type?: string; size: number }, have: number): string {
  const name = f.name || "the file";
  if (!(f.type || "").startsWith("image/")) return `${name} is not an image`;
  if (f.size > MAX_ATTACHMENT_BYTES) return `${name} is larger than ${MAX_ATTACHMENT_BYTES / 1e6} MB`;
  if (f.size === 0) return `${name} is empty`;
  if (have >= MAX_ATTACHMENTS) return `at most ${MAX_ATTACHMENTS} images per message`;
  return "";
}

/** sessionPatch turns the session editor into sessions.patch fields: only what changed;
 * an emptied field is null (back to the default). */
export function sessionPatch(f: Record<string, string>, row: any): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const norm = (v: string | undefined) => (v ?? "").trim();
  const label = norm(f.label);
  if (label.length > 64) throw new Error("the label is longer than 64 characters");
  if (label !== (row?.label ?? "")) patch.label = label || null;
  const model = norm(f.model);
  if (model !== sessionModel(row) && model !== (row?.model ?? "")) patch.model = model || null;
  if (norm(f.thinking) !== (row?.thinkingLevel ?? "")) patch.thinkingLevel = norm(f.thinking) || null;
  if (norm(f.verbose) !== (row?.verboseLevel ?? "")) patch.verboseLevel = norm(f.verbose) || null;
  return patch;
}

/** sessionModel is a session row's model as provider/model ("" when unset). */
export function sessionModel(row: any): string {
  if (!row?.model) return "";
  return row.modelProvider && !String(row.model).includes("/") ? `${row.modelProvider}/${row.model}` : String(row.model);
}

/** cronPatch turns the edit form into a cron.update patch: only the fields the form has. */
export function cronPatch(f: Record<string, string>, job: any): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const name = (f.name ?? "").trim();
  if (!name) throw new Error("a name is required");
  if (name !== job?.name) patch.name = name;
  if (f.every != null && job?.schedule?.kind === "every") {
    const n = Number(f.every);
    if (!(n > 0)) throw new Error("the interval must be a positive number of minutes");
    const everyMs = Math.round(n * 60000);
    if (everyMs !== job.schedule.everyMs) patch.schedule = { kind: "every", everyMs };
  }
  if (f.expr != null && job?.schedule?.kind === "cron") {
    const expr = f.expr.trim();
    if (!expr) throw new Error("a cron expression is required");
    const tz = (f.tz ?? "").trim();
    if (expr !== job.schedule.expr || tz !== (job.schedule.tz ?? "")) patch.schedule = { kind: "cron", expr, ...(tz ? { tz } : {}) };
  }
  if (f.text != null) {
    const text = f.text.trim();
    if (!text) throw new Error("the text is required");
    const p = job?.payload || {};
    if (p.kind === "agentTurn" && text !== p.message) patch.payload = { kind: "agentTurn", message: text };
    if (p.kind === "systemEvent" && text !== p.text) patch.payload = { kind: "systemEvent", text };
  }
  return patch;
}

/**
 * presenceCounts groups the live presence rows (not the ones that disconnected) by
 * client mode and by role, most common first, for the overview's connections card.
 */
export function presenceCounts(list: any[]): { total: number; byMode: [string, number][]; byRole: [string, number][] } {
  const live = (Array.isArray(list) ? list : []).filter((p) => p && typeof p === "object" && p.reason !== "disconnect");
  const tally = (keys: (p: any) => string[]) => {
    const m = new Map<string, number>();
    for (const p of live) for (const k of keys(p)) m.set(k, (m.get(k) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  };
  return {
    total: live.length,
    byMode: tally((p) => [typeof p.mode === "string" && p.mode ? p.mode : "unknown"]),
    byRole: tally((p) => (Array.isArray(p.roles) && p.roles.length ? p.roles.filter((r: unknown) => typeof r === "string") : [])),
  };
}

/**
 * defaultModel reads the default agent model from a config: agents.defaults.model as a
 * "provider/model" string or as {primary}; "" when none is set.
 */
export function defaultModel(cfg: any): string {
  const m = cfg?.agents?.defaults?.model;
  if (typeof m === "string") return m;
  if (m && typeof m === "object" && typeof m.primary === "string") return m.primary;
  return "";
}

/** configuredModels counts the models declared under models.providers.<id>.models. */
export function configuredModels(cfg: any): { providers: string[]; count: number } {
  const ps = cfg?.models?.providers;
  if (!ps || typeof ps !== "object" || Array.isArray(ps)) return { providers: [], count: 0 };
  const providers = Object.keys(ps).sort();
  const count = providers.reduce((n, p) => n + (Array.isArray(ps[p]?.models) ? ps[p].models.length : 0), 0);
  return { providers, count };
}

/**
 * nodeRows merges node.list (connected and known nodes) with node.pair.list: paired
 * nodes that node.list does not report are listed as not connected. Also returns the
 * pending pairing requests.
 */
export function nodeRows(list: any, pairs: any): { nodes: any[]; pending: any[] } {
  const nodes: any[] = [...(list?.nodes ?? [])];
  const ids = new Set(nodes.map((n) => n.nodeId));
  for (const p of pairs?.paired ?? []) if (!ids.has(p.nodeId)) nodes.push({ ...p, paired: true, connected: false });
  return { nodes, pending: pairs?.pending ?? [] };
}

/** A chat command the gateway answers itself (server/agent/commands), offered as a hint. */
export interface ChatCommand {
  name: string;
  args: string;
  description: string;
}

/** CHAT_COMMANDS are the gateway's chat commands, in the order the hints list them. */
export const CHAT_COMMANDS: readonly ChatCommand[] = [
  { name: "new", args: "", description: "start a new session" },
  { name: "reset", args: "", description: "reset the session" },
  { name: "status", args: "", description: "session status" },
  { name: "stop", args: "", description: "abort the running reply" },
  { name: "think", args: "<level>", description: "thinking level: off, minimal, low, medium, high, xhigh" },
  { name: "model", args: "<id>", description: "show or set the session's model" },
  { name: "compact", args: "", description: "compact the session's context" },
  { name: "verbose", args: "on|full|off", description: "tool output in replies" },
  { name: "help", args: "", description: "list the commands" },
  { name: "approve", args: "<id> allow-once|allow-always|deny", description: "answer an exec approval" },
];

/**
 * commandHints lists the commands a draft may be starting: the draft is "/" and the
 * start of a name, with nothing after it yet (no space: then the arguments are being
 * typed). Matching is case-insensitive, as the gateway's.
 */
export function commandHints(draft: string): ChatCommand[] {
  const m = /^\/([A-Za-z]*)$/.exec(draft);
  if (!m) return [];
  const typed = m[1].toLowerCase();
  return CHAT_COMMANDS.filter((c) => c.name.startsWith(typed));
}
