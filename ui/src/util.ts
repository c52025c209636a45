// Formatting helpers shared by the views. No DOM: unit-tested under node.

export function ago(ts: number | null | undefined, now = Date.now()): string {
  if (!ts) return "—";
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s}s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h}h ago`;
  return `${Math.round(h / 24)}d ago`;
}

export function duration(ms: number | null | undefined): string {
  if (ms == null) return "—";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function when(ts: number | null | undefined): string {
  return ts ? new Date(ts).toLocaleString() : "—";
}

/** textOf extracts the text of a transcript or event message. */
export function textOf(message: any): string {
  if (message == null) return "";
  if (typeof message === "string") return message;
  const c = message.content ?? message.text;
  if (typeof c === "string") return c;
  if (Array.isArray(c)) {
    return c
      .filter((p: any) => p && (p.type === "text" || typeof p.text === "string"))
      .map((p: any) => p.text ?? "")
      .join("");
  }
  return "";
}

export interface Line {
  text: string;
  level: string;
}

/** formatLine renders a JSON log line (time, level, msg, attrs) as one text line. */
export function formatLine(line: string): Line {
  try {
    const o = JSON.parse(line);
    if (o && typeof o === "object") {
      const { time, level, msg, ...rest } = o;
      const t = time ? new Date(time).toLocaleTimeString() : "";
      const attrs = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      return { text: `${t} ${String(level || "").padEnd(5)} ${msg ?? ""}${attrs ? "  " + attrs : ""}`, level: String(level || "").toLowerCase() };
    }
  } catch {}
  return { text: line, level: "" };
}
