// The cron add form → cron.add params, and schedules as text. No DOM: unit-tested
// under node (test/unit.test.ts).
import { when } from "./util.js";

export function scheduleText(s: any): string {
  if (!s) return "—";
  if (s.kind === "cron") return `cron ${s.expr}${s.tz ? ` (${s.tz})` : ""}`;
  if (s.kind === "every") {
    const ms = s.everyMs;
    if (ms % 3600000 === 0) return `every ${ms / 3600000}h`;
    if (ms % 60000 === 0) return `every ${ms / 60000}m`;
    return `every ${Math.round(ms / 1000)}s`;
  }
  if (s.kind === "at") return `at ${when(s.atMs)}`;
  return JSON.stringify(s);
}

/** buildJob turns the add form into cron.add params (throws with a message on bad input). */
export function buildJob(f: Record<string, string>): Record<string, unknown> {
  const name = (f.name || "").trim();
  if (!name) throw new Error("a name is required");
  let schedule: Record<string, unknown>;
  switch (f.scheduleKind) {
    case "every": {
      const n = Number(f.every);
      if (!(n > 0)) throw new Error("the interval must be a positive number of minutes");
      schedule = { kind: "every", everyMs: Math.round(n * 60000) };
      break;
    }
    case "at": {
      const t = Date.parse(f.at);
      if (Number.isNaN(t)) throw new Error("the time is not a valid date");
      schedule = { kind: "at", atMs: t };
      break;
    }
    default:
      if (!f.expr?.trim()) throw new Error("a cron expression is required");
      schedule = { kind: "cron", expr: f.expr.trim(), ...(f.tz?.trim() ? { tz: f.tz.trim() } : {}) };
  }
  const text = (f.text || "").trim();
  if (!text) throw new Error("the text is required");
  const agent = f.payloadKind === "agentTurn";
  return {
    name,
    enabled: true,
    schedule,
    sessionTarget: agent ? "isolated" : "main",
    wakeMode: f.wakeMode === "now" ? "now" : "next-heartbeat",
    payload: agent ? { kind: "agentTurn", message: text } : { kind: "systemEvent", text },
  };
}
