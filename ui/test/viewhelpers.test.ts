// Unit tests of the helpers behind the channels, skills, nodes, chat and cron views.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_ATTACHMENTS,
  MAX_ATTACHMENT_BYTES,
  attachmentProblem,
  commandHints,
  configuredModels,
  cronPatch,
  defaultModel,
  presenceCounts,
  parseDataUrl,
  parseParams,
  sessionModel,
  sessionPatch,
  skillReasons,
  toolText,
} from "../src/viewhelpers.js";

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

test("attachmentProblem", () => {
  assert.equal(attachmentProblem({ name: "a.png", type: "image/png", size: 10 }, 0), "");
  assert.equal(attachmentProblem({ name: "a.png", type: "image/png", size: MAX_ATTACHMENT_BYTES }, 0), "");
  assert.equal(attachmentProblem({ name: "a.png", type: "image/png", size: MAX_ATTACHMENT_BYTES + 1 }, 0), "a.png is larger than 5 MB");
  assert.equal(attachmentProblem({ name: "a.txt", type: "text/plain", size: 10 }, 0), "a.txt is not an image");
  assert.equal(attachmentProblem({ name: "e.png", type: "image/png", size: 0 }, 0), "e.png is empty");
  assert.equal(attachmentProblem({ type: "image/png", size: 1 }, MAX_ATTACHMENTS), "at most 8 images per message");
  assert.equal(attachmentProblem({ type: "image/png", size: 1 }, MAX_ATTACHMENTS - 1), "");
});

test("sessionPatch", () => {
  const row = { key: "k", label: "old", model: "m1", modelProvider: "local", thinkingLevel: "low" };
  assert.equal(sessionModel(row), "local/m1");
  assert.equal(sessionModel({ model: "a/b", modelProvider: "x" }), "a/b");
  assert.equal(sessionModel({}), "");
  assert.deepEqual(sessionPatch({ label: "old", model: "local/m1", thinking: "low", verbose: "" }, row), {});
  assert.deepEqual(sessionPatch({ label: "old", model: "m1", thinking: "low", verbose: "" }, row), {});
  assert.deepEqual(sessionPatch({ label: " new ", model: "local/m2", thinking: "", verbose: "on" }, row), {
    label: "new",
    model: "local/m2",
    thinkingLevel: null,
    verboseLevel: "on",
  });
  assert.deepEqual(sessionPatch({ label: "", model: "", thinking: "low", verbose: "" }, row), { label: null, model: null });
  assert.throws(() => sessionPatch({ label: "x".repeat(65) }, row), /longer than 64/);
});

test("presenceCounts", () => {
  const c = presenceCounts([
    { ts: 1, mode: "gateway", roles: [] },
    { ts: 1, mode: "ui", roles: ["operator"] },
    { ts: 1, mode: "ui", roles: ["operator"] },
    { ts: 1, mode: "node", roles: ["node"] },
    { ts: 1, mode: "ui", roles: ["operator"], reason: "disconnect" },
    { ts: 1 },
    null,
  ]);
  assert.equal(c.total, 5);
  assert.deepEqual(c.byMode, [["ui", 2], ["gateway", 1], ["node", 1], ["unknown", 1]]);
  assert.deepEqual(c.byRole, [["operator", 2], ["node", 1]]);
  assert.deepEqual(presenceCounts(undefined as any), { total: 0, byMode: [], byRole: [] });
});

test("defaultModel", () => {
  assert.equal(defaultModel({ agents: { defaults: { model: { primary: "local/m1", fallbacks: [] } } } }), "local/m1");
  assert.equal(defaultModel({ agents: { defaults: { model: "openai/gpt-4o" } } }), "openai/gpt-4o");
  assert.equal(defaultModel({}), "");
  assert.equal(defaultModel(null), "");
});

test("configuredModels", () => {
  assert.deepEqual(configuredModels({ models: { providers: { b: { models: [{ id: "x" }, { id: "y" }] }, a: { models: [] }, c: {} } } }), { providers: ["a", "b", "c"], count: 2 });
  assert.deepEqual(configuredModels({}), { providers: [], count: 0 });
});

test("commandHints", () => {
  assert.deepEqual(
    commandHints("/").map((c) => c.name),
    ["new", "reset", "status", "stop", "think", "model", "compact", "verbose", "help", "approve"],
  );
  assert.deepEqual(commandHints("/s").map((c) => c.name), ["status", "stop"]);
  assert.deepEqual(commandHints("/ST").map((c) => c.name), ["status", "stop"]);
  assert.deepEqual(commandHints("/compact").map((c) => c.name), ["compact"]);
  assert.deepEqual(commandHints("/think high"), [], "arguments are being typed");
  assert.deepEqual(commandHints("/nothing"), []);
  assert.deepEqual(commandHints("hello /s"), []);
  assert.deepEqual(commandHints(""), []);
});
