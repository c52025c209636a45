// Log lines as logs.tail returns them (the original's tslog shape: context JSON in
// "0" and _meta.name, message in "1", level in _meta.logLevelName, "time"), parsed for
// the Logs view's filters. DOM-free: unit-tested under node.

export const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export type Level = (typeof LEVELS)[number];

export interface LogEntry {
  raw: string;
  time: string; // ISO, "" when absent
  level: Level | "";
  subsystem: string;
  message: string;
}

function normLevel(v: unknown): Level | "" {
  const l = String(v ?? "").toLowerCase();
  if (l === "warning") return "warn";
  if (l === "err") return "error";
  return (LEVELS as readonly string[]).includes(l) ? (l as Level) : "";
}

function subsystemOf(ctx: unknown): string {
  if (typeof ctx === "string") {
    try {
      const o = JSON.parse(ctx);
      if (o && typeof o.subsystem === "string") return o.subsystem;
    } catch {}
    return "";
  }
  if (ctx && typeof ctx === "object" && typeof (ctx as any).subsystem === "string") return (ctx as any).subsystem;
  return "";
}

/** parseLogLine reads a tslog record, a plain slog JSON record, or any other text. */
export function parseLogLine(raw: string): LogEntry {
  let o: any;
  try {
    o = JSON.parse(raw);
  } catch {
    return { raw, time: "", level: "", subsystem: "", message: raw };
  }
  if (!o || typeof o !== "object" || Array.isArray(o)) return { raw, time: "", level: "", subsystem: "", message: raw };
  if (o._meta || "1" in o) {
    const meta = o._meta ?? {};
    return {
      raw,
      time: String(o.time ?? meta.date ?? ""),
      level: normLevel(meta.logLevelName),
      subsystem: subsystemOf(o["0"]) || subsystemOf(meta.name),
      message: typeof o["1"] === "string" ? o["1"] : JSON.stringify(o["1"] ?? ""),
    };
  }
  const { time, level, msg, subsystem, component, ...rest } = o;
  const attrs = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return { raw, time: String(time ?? ""), level: normLevel(level), subsystem: String(subsystem ?? component ?? ""), message: `${msg ?? ""}${attrs ? " " + attrs : ""}` };
}

export interface LogFilter {
  levels: Set<string>; // shown levels; lines without a level always show
  subsystem: string; // "" = all
  text: string; // case-insensitive substring of message or subsystem
}

export function matchesFilter(e: LogEntry, f: LogFilter): boolean {
  if (e.level && !f.levels.has(e.level)) return false;
  if (f.subsystem && e.subsystem !== f.subsystem) return false;
  const t = f.text.trim().toLowerCase();
  if (t && !`${e.subsystem} ${e.message}`.toLowerCase().includes(t)) return false;
  return true;
}
