// Unit tests of the helpers behind the channels, skills, nodes, chat and cron views.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cronPatch, parseDataUrl, parseParams, skillReasons, toolText } from "../src/viewhelpers.js";

test("skillReasons", () => {
  const none = { bins: [], anyBins: [], env: [], config: [], os: [] };
  assert.deepEqual(skillReasons({ eligible: true, missing: none }), []);
  assert.deepEqual(skillReasons({ eligible: false, disabled: true, missing: none }), ["disabled in skills.entries"]);
  assert.deepEqual(skillReasons({ eligible: false, missing: { ...none, bins: ["jq", "gh"], env: ["KEY"] } }), ["missing binary: jq, gh", "missing env: KEY"]);
  assert.deepEqual(skillReasons({ eligible: false, missing: { ...none, anyBins: ["a", "b"], os: ["darwin"], config: ["browser.enabled"] } }), [
    "needs one of: a, b",
    "config not set: browser.enabled",
    "only on: darwin",
  ]);
  assert.deepEqual(skillReasons({ eligible: false, missing: none }), ["not eligible"]);
});

test("parseParams", () => {
  assert.equal(parseParams("  "), undefined);
  assert.deepEqual(parseParams('{"a": 1}'), { a: 1 });
  assert.throws(() => parseParams("{a:"), /params are not valid JSON/);
});

test("toolText", () => {
  assert.equal(toolText(undefined), "");
  assert.equal(toolText("plain"), "plain");
  assert.equal(toolText({ content: [{ type: "text", text: "one" }, { type: "image" }, { type: "text", text: "two" }] }), "one\n[image]\ntwo");
  assert.equal(toolText({ path: "a" }), '{\n  "path": "a"\n}');
  assert.equal(toolText("x".repeat(12), 10), "xxxxxxxxxx… (2 more characters)");
});

test("parseDataUrl", () => {
  assert.deepEqual(parseDataUrl("data:image/png;base64,iVBO"), { mimeType: "image/png", content: "iVBO" });
  assert.equal(parseDataUrl("data:text/plain,hello"), null);
  assert.equal(parseDataUrl("https://example.invalid/a.png"), null);
});

test("cronPatch", () => {
  const job = { name: "a", schedule: { kind: "every", everyMs: 3600000 }, payload: { kind: "systemEvent", text: "t" } };
  assert.deepEqual(cronPatch({ name: "a", every: "60", text: "t" }, job), {});
  assert.deepEqual(cronPatch({ name: "b", every: "30", text: "u" }, job), {
    name: "b",
    schedule: { kind: "every", everyMs: 1800000 },
    payload: { kind: "systemEvent", text: "u" },
  });
  assert.throws(() => cronPatch({ name: " ", every: "1" }, job), /name is required/);
  assert.throws(() => cronPatch({ name: "a", every: "0" }, job), /positive number/);
  const cron = { name: "c", schedule: { kind: "cron", expr: "0 7 * * *" }, payload: { kind: "agentTurn", message: "m" } };
  assert.deepEqual(cronPatch({ name: "c", expr: "0 8 * * *", tz: "UTC", text: "m" }, cron), { schedule: { kind: "cron", expr: "0 8 * * *", tz: "UTC" } });
  assert.throws(() => cronPatch({ name: "c", expr: "", text: "m" }, cron), /cron expression/);
});
