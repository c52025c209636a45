// Unit tests of the DOM-free helpers, run by `node test.mjs` (node:test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ago, duration, formatLine, textOf } from "../src/util.js";
import { buildJob, scheduleText } from "../src/cronform.js";

test("ago and duration", () => {
  const now = 1_000_000_000;
  for (const [ts, want] of [
    [0, "—"],
    [now - 1000, "just now"],
    [now - 30_000, "30s ago"],
    [now - 5 * 60_000, "5m ago"],
    [now - 3 * 3600_000, "3h ago"],
    [now - 72 * 3600_000, "3d ago"],
  ] as const) assert.equal(ago(ts, now), want);
  assert.equal(duration(null), "—");
  assert.equal(duration(61_000), "1m 1s");
  assert.equal(duration(90_061_000), "1d 1h");
});

test("textOf reads strings and content parts", () => {
  assert.equal(textOf("hi"), "hi");
  assert.equal(textOf({ content: [{ type: "text", text: "a" }, { type: "image" }, { type: "text", text: "b" }] }), "ab");
  assert.equal(textOf({ text: "t" }), "t");
  assert.equal(textOf(null), "");
});

test("formatLine renders JSON log lines and passes others through", () => {
  const f = formatLine(`{"time":"2026-01-02T03:04:05Z","level":"WARN","msg":"disk low","free":"1G","n":2}`);
  assert.equal(f.level, "warn");
  assert.match(f.text, /WARN  disk low {2}free=1G n=2$/);
  assert.deepEqual(formatLine("plain text"), { text: "plain text", level: "" });
});

test("buildJob turns the form into cron.add params", () => {
  assert.deepEqual(buildJob({ name: " beacon ", scheduleKind: "every", every: "90", payloadKind: "systemEvent", text: "ping", wakeMode: "now" }), {
    name: "beacon",
    enabled: true,
    schedule: { kind: "every", everyMs: 5_400_000 },
    sessionTarget: "main",
    wakeMode: "now",
    payload: { kind: "systemEvent", text: "ping" },
  });
  const j = buildJob({ name: "brief", scheduleKind: "cron", expr: "0 7 * * *", tz: "Europe/Berlin", payloadKind: "agentTurn", text: "news?" });
  assert.deepEqual(j.schedule, { kind: "cron", expr: "0 7 * * *", tz: "Europe/Berlin" });
  assert.equal(j.sessionTarget, "isolated");
  assert.deepEqual(j.payload, { kind: "agentTurn", message: "news?" });
  assert.equal(j.wakeMode, "next-heartbeat");
});

test("buildJob refuses bad input with a clear message", () => {
  for (const [f, msg] of [
    [{ name: "", scheduleKind: "every", every: "5", text: "x" }, /name is required/],
    [{ name: "a", scheduleKind: "every", every: "0", text: "x" }, /positive number of minutes/],
    [{ name: "a", scheduleKind: "every", every: "abc", text: "x" }, /positive number of minutes/],
    [{ name: "a", scheduleKind: "at", at: "not a date", text: "x" }, /not a valid date/],
    [{ name: "a", scheduleKind: "cron", expr: " ", text: "x" }, /cron expression is required/],
    [{ name: "a", scheduleKind: "every", every: "5", text: " " }, /text is required/],
  ] as const) assert.throws(() => buildJob(f as Record<string, string>), msg);
});

test("scheduleText", () => {
  assert.equal(scheduleText({ kind: "every", everyMs: 3_600_000 }), "every 1h");
  assert.equal(scheduleText({ kind: "every", everyMs: 300_000 }), "every 5m");
  assert.equal(scheduleText({ kind: "every", everyMs: 1_500 }), "every 2s");
  assert.equal(scheduleText({ kind: "cron", expr: "0 7 * * *", tz: "UTC" }), "cron 0 7 * * * (UTC)");
  assert.equal(scheduleText(null), "—");
});
