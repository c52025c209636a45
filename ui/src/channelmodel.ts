// The DOM-free half of the channels view and the overview's channels card: one row per
// channel account from channels.status. A gateway that reports channelAccounts (the
// original's multi-account shape: channelAccounts.<channel>[] with accountId, enabled,
// configured, linked, running, lastError…, plus channelDefaultAccountId) gets a row per
// account; one that does not (today's whatsapp/telegram objects) gets one row per
// channel. Unit-tested in test/channelmodel.test.ts.

export interface AccountRow {
  channel: string;
  accountId: string;
  name: string;
  isDefault: boolean;
  enabled: boolean;
  configured: boolean;
  linked: boolean | null; // null: the channel has no notion of linking
  running: boolean;
  connected: boolean | null;
  mode: string;
  bot: string;
  lastError: string;
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  probe: any;
}

/** The account id of a channel that reports no accounts (the original's name for it). */
export const DEFAULT_ACCOUNT_ID = "default";

const LEGACY_CHANNELS = ["whatsapp", "telegram"];

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function bool(v: unknown): boolean | null {
  return typeof v === "boolean" ? v : null;
}

function row(channel: string, a: any, isDefault: boolean, fallback: any): AccountRow {
  const probe = a.probe ?? fallback?.probe ?? null;
  const bot = a.botUsername ?? a.bot?.username ?? (a.probe?.bot?.username || "");
  return {
    channel,
    accountId: String(a.accountId || DEFAULT_ACCOUNT_ID),
    name: typeof a.name === "string" ? a.name : "",
    isDefault,
    enabled: a.enabled !== false,
    configured: !!a.configured,
    linked: bool(a.linked),
    running: !!a.running,
    connected: bool(a.connected),
    mode: typeof a.mode === "string" ? a.mode : "",
    bot: bot ? String(bot) : "",
    lastError: typeof a.lastError === "string" ? a.lastError : "",
    lastInboundAt: num(a.lastInboundAt),
    lastOutboundAt: num(a.lastOutboundAt),
    probe,
  };
}

/** hasAccounts: channels.status lists accounts for this channel. */
export function hasAccounts(st: any, channel: string): boolean {
  const list = st?.channelAccounts?.[channel];
  return Array.isArray(list) && list.length > 0;
}

/** channelOrder: the channels of a status, in the gateway's order when it gives one. */
export function channelOrder(st: any): string[] {
  if (!st || typeof st !== "object") return [];
  const out: string[] = [];
  const add = (c: unknown) => {
    if (typeof c === "string" && c && !out.includes(c)) out.push(c);
  };
  if (Array.isArray(st.channelOrder)) st.channelOrder.forEach(add);
  for (const c of LEGACY_CHANNELS) if (st[c] && typeof st[c] === "object") add(c);
  if (st.channelAccounts && typeof st.channelAccounts === "object") Object.keys(st.channelAccounts).forEach(add);
  return out;
}

/**
 * accountRows lists one channel's accounts: the default account first, then by id.
 * Without channelAccounts the channel's own status object is its one (default) row.
 */
export function accountRows(st: any, channel: string): AccountRow[] {
  const legacy = st?.[channel] ?? st?.channels?.[channel];
  if (hasAccounts(st, channel)) {
    const def = st.channelDefaultAccountId?.[channel] ?? DEFAULT_ACCOUNT_ID;
    const rows = (st.channelAccounts[channel] as any[])
      .filter((a) => a && typeof a === "object")
      .map((a) => row(channel, a, a.accountId === def, a.accountId === def ? legacy : null));
    return rows.sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.accountId.localeCompare(b.accountId));
  }
  if (legacy && typeof legacy === "object") return [row(channel, { accountId: DEFAULT_ACCOUNT_ID, ...legacy }, true, null)];
  return [];
}

/** allAccountRows: every account of every channel, channel by channel. */
export function allAccountRows(st: any): AccountRow[] {
  return channelOrder(st).flatMap((c) => accountRows(st, c));
}

/** accountState is the one-word state of a row, for a badge. */
export function accountState(r: AccountRow): string {
  if (!r.enabled) return "disabled";
  if (!r.configured) return "not configured";
  if (r.linked === false) return "not linked";
  if (r.connected === true) return "connected";
  if (r.running) return "running";
  return "stopped";
}

/** accountOk: the row is working (for a badge's colour). */
export function accountOk(r: AccountRow): boolean {
  return r.enabled && r.configured && r.linked !== false && (r.running || r.connected === true) && !r.lastError;
}
