// Unit tests of the channel account rows (channels view, overview channels card).
import { test } from "node:test";
import assert from "node:assert/strict";
import { accountOk, accountRows, accountState, allAccountRows, channelOrder, hasAccounts } from "../src/channelmodel.js";

// A channels.status in the original's multi-account shape (channelAccounts,
// channelDefaultAccountId) with two Telegram bots, one failing, and one disabled.
const multi = {
  ts: 1767225600000,
  channelOrder: ["whatsapp", "telegram"],
  channelLabels: { whatsapp: "WhatsApp", telegram: "Telegram" },
  channels: { whatsapp: { configured: true, linked: true }, telegram: { configured: true, running: true } },
  channelAccounts: {
    whatsapp: [{ accountId: "default", enabled: true, configured: true, linked: true, running: true, connected: true }],
    telegram: [
      { accountId: "support", name: "Support bot", enabled: true, configured: true, running: false, lastError: "409 Conflict: terminated by other getUpdates request", mode: "polling" },
      { accountId: "main", enabled: true, configured: true, running: true, mode: "webhook", probe: { ok: true, bot: { username: "main_bot" } }, lastInboundAt: 1767225500000 },
      { accountId: "old", enabled: false, configured: true, running: false },
    ],
  },
  channelDefaultAccountId: { whatsapp: "default", telegram: "main" },
};

// Today's single-bot shape.
const legacy = {
  ts: 1767225600000,
  whatsapp: { configured: true, linked: false, connected: false, authAgeMs: null, lastError: "logged out" },
  telegram: { configured: true, running: true, mode: "polling", botUsername: "clawd_bot" },
};

test("accountRows: one row per account, default first", () => {
  assert.equal(hasAccounts(multi, "telegram"), true);
  const rows = accountRows(multi, "telegram");
  assert.deepEqual(rows.map((r) => r.accountId), ["main", "old", "support"]);
  const [main, old, support] = rows;
  assert.equal(main.isDefault, true);
  assert.equal(main.bot, "main_bot");
  assert.equal(main.mode, "webhook");
  assert.equal(main.lastInboundAt, 1767225500000);
  assert.equal(accountState(main), "running");
  assert.equal(accountOk(main), true);
  assert.equal(support.name, "Support bot");
  assert.equal(support.isDefault, false);
  assert.match(support.lastError, /409/);
  assert.equal(accountState(support), "stopped");
  assert.equal(accountOk(support), false);
  assert.equal(accountState(old), "disabled");
  assert.equal(old.enabled, false);
});

test("accountRows: the legacy shape is one default row per channel", () => {
  assert.equal(hasAccounts(legacy, "telegram"), false);
  const tg = accountRows(legacy, "telegram");
  assert.equal(tg.length, 1);
  assert.equal(tg[0].accountId, "default");
  assert.equal(tg[0].isDefault, true);
  assert.equal(tg[0].bot, "clawd_bot");
  assert.equal(accountState(tg[0]), "running");
  const wa = accountRows(legacy, "whatsapp");
  assert.equal(wa[0].linked, false);
  assert.equal(accountState(wa[0]), "not linked");
  assert.equal(wa[0].lastError, "logged out");
  assert.equal(accountOk(wa[0]), false);
});

test("channelOrder and allAccountRows", () => {
  assert.deepEqual(channelOrder(multi), ["whatsapp", "telegram"]);
  assert.deepEqual(channelOrder(legacy), ["whatsapp", "telegram"]);
  assert.deepEqual(channelOrder(null), []);
  assert.deepEqual(allAccountRows(multi).map((r) => `${r.channel}/${r.accountId}`), ["whatsapp/default", "telegram/main", "telegram/old", "telegram/support"]);
  assert.deepEqual(accountRows({ telegram: { configured: false } }, "whatsapp"), []);
  // Rubbish in the list is skipped, not a crash.
  assert.equal(accountRows({ channelAccounts: { telegram: [null, 3, { accountId: "a" }] } }, "telegram").length, 1);
});
