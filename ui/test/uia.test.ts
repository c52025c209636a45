// Unit tests of the config form model, the log line parser and the device signature
// payload (DOM-free helpers).
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildPatch, hintFor, kindOf, labelOf, orderedKeys, parseField } from "../src/configmodel.js";
import { matchesFilter, parseLogLine } from "../src/logmodel.js";
import { signaturePayload } from "../src/device.js";

test("kindOf picks inputs", () => {
  for (const [node, want] of [
    [{ type: "string" }, "string"],
    [{ type: "string", enum: ["a", "b"] }, "enum"],
    [{ type: "integer" }, "integer"],
    [{ type: ["number", "null"] }, "number"],
    [{ type: "boolean" }, "boolean"],
    [{ type: "array", items: { type: "string" } }, "list"],
    [{ type: "array", items: { type: "object", properties: { a: {} } } }, "objlist"],
    [{ type: "object", properties: { a: { type: "string" } } }, "object"],
    [{ type: "object", additionalProperties: { type: "string" } }, "map"],
    [{ type: "object", additionalProperties: { type: "object", properties: { a: { type: "string" } } } }, "map"],
    [{ type: "object", additionalProperties: true }, "raw"],
    [{ type: "object", additionalProperties: { anyOf: [{ type: "string" }, { type: "number" }] } }, "raw"],
    [{ anyOf: [{ type: "string" }, { type: "number" }] }, "raw"],
  ] as const) assert.equal(kindOf(node), want, JSON.stringify(node));
});

test("hints by path with wildcards, labels, order", () => {
  const hints = { "gateway.port": { label: "Port", order: 2 }, "gateway.auth": { order: 1 }, "models.providers.*.apiKey": { sensitive: true } };
  assert.equal(hintFor(hints, ["gateway", "port"]).label, "Port");
  assert.equal(hintFor(hints, ["models", "providers", "openai", "apiKey"]).sensitive, true);
  assert.deepEqual(hintFor(hints, ["nope"]), {});
  assert.equal(labelOf({}, "maxBytes"), "Max bytes");
  assert.equal(labelOf({ label: "X" }, "maxBytes"), "X");
  assert.deepEqual(orderedKeys({ bind: 1, port: 1, auth: 1 }, hints, ["gateway"]), ["auth", "port", "bind"]);
});

test("buildPatch nests edits into one merge patch", () => {
  const p = buildPatch(new Map<string, unknown>([["gateway.reload.debounceMs", 500], ["gateway.mode", "local"], ["logging.level", null]]));
  assert.deepEqual(p, { gateway: { reload: { debounceMs: 500 }, mode: "local" }, logging: { level: null } });
});

test("parseField", () => {
  assert.deepEqual(parseField("integer", "42"), { value: 42 });
  assert.ok("error" in parseField("integer", "4.5"));
  assert.ok("error" in parseField("number", "abc"));
  assert.deepEqual(parseField("number", ""), { value: null });
  assert.deepEqual(parseField("list", "a\n b \n\n"), { value: ["a", "b"] });
  assert.deepEqual(parseField("list", "1\n2", "integer"), { value: [1, 2] });
  assert.ok("error" in parseField("list", "1\nx", "number"));
  assert.deepEqual(parseField("string", ""), { value: null });
});

test("parseLogLine reads tslog, slog and plain lines", () => {
  const ts = parseLogLine(JSON.stringify({ "0": '{"subsystem":"cron"}', "1": "job ran id=3", _meta: { logLevelName: "WARN", name: '{"subsystem":"cron"}' }, time: "2026-01-01T00:00:00Z" }));
  assert.deepEqual([ts.level, ts.subsystem, ts.message], ["warn", "cron", "job ran id=3"]);
  const sl = parseLogLine(JSON.stringify({ time: "t", level: "ERROR", msg: "boom", subsystem: "agent", n: 1 }));
  assert.deepEqual([sl.level, sl.subsystem, sl.message], ["error", "agent", "boom n=1"]);
  const pl = parseLogLine("not json");
  assert.deepEqual([pl.level, pl.message], ["", "not json"]);
  const f = { levels: new Set(["warn"]), subsystem: "", text: "" };
  assert.equal(matchesFilter(ts, f), true);
  assert.equal(matchesFilter(sl, f), false);
  assert.equal(matchesFilter(pl, f), true, "lines without a level always show");
  assert.equal(matchesFilter(ts, { ...f, subsystem: "agent" }), false);
  assert.equal(matchesFilter(ts, { ...f, text: "JOB RAN" }), true);
  assert.equal(matchesFilter(ts, { ...f, text: "nope" }), false);
});

test("signaturePayload matches the protocol's v2 and v1 strings", () => {
  const base = { deviceId: "d", clientId: "clawdbot-control-ui", clientMode: "webchat", role: "operator", scopes: ["a", "b"], signedAtMs: 5, token: "t" };
  assert.equal(signaturePayload({ ...base, nonce: "n" }), "v2|d|clawdbot-control-ui|webchat|operator|a,b|5|t|n");
  assert.equal(signaturePayload(base), "v1|d|clawdbot-control-ui|webchat|operator|a,b|5|t");
});
