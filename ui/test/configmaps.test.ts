// Unit tests of the config form's maps and lists of objects (configmodel.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildPatch, mapKeyProblem, mapKeys, newEntry, pendingValue, setItemField } from "../src/configmodel.js";

test("map entries: added, removed, and the merge patch they make", () => {
  const cur = { openai: { baseUrl: "https://o" }, local: { baseUrl: "http://l" } };
  const edits = new Map<string, unknown>([
    ["models.providers.local", null],
    ["models.providers.lab", {}],
    ["models.providers.lab.baseUrl", "http://127.0.0.1:9/v1"],
    ["models.providers.openai.apiKey", "sk-x"],
  ]);
  assert.deepEqual(mapKeys(cur, edits, ["models", "providers"]), ["openai", "lab"]);
  assert.deepEqual(buildPatch(edits), {
    models: { providers: { local: null, lab: { baseUrl: "http://127.0.0.1:9/v1" }, openai: { apiKey: "sk-x" } } },
  });
  assert.deepEqual(mapKeys(undefined, new Map(), ["a"]), []);
});

test("mapKeyProblem", () => {
  assert.equal(mapKeyProblem("lab", ["openai"]), "");
  assert.match(mapKeyProblem("", []), /name/);
  assert.match(mapKeyProblem("a.b", []), /“\.”/);
  assert.match(mapKeyProblem("openai", ["openai"]), /exists/);
  assert.match(mapKeyProblem(" x", []), /spaces/);
});

test("newEntry uses a plain itemTemplate, copied", () => {
  const tpl = { baseUrl: "http://localhost:11434/v1", models: [] };
  const hint = { itemTemplate: tpl };
  const a = newEntry(hint, "object") as any;
  assert.deepEqual(a, tpl);
  a.baseUrl = "changed";
  assert.equal(tpl.baseUrl, "http://localhost:11434/v1");
  assert.deepEqual(newEntry({}, "object"), {});
  assert.equal(newEntry({ itemTemplate: [1] }, "string"), "");
  assert.equal(newEntry({}, "boolean"), false);
});

test("pendingValue reads inside an added entry", () => {
  const edits = new Map<string, unknown>([["models.providers.lab", { baseUrl: "http://t" }]]);
  assert.deepEqual(pendingValue(edits, ["models", "providers", "lab", "baseUrl"]), { found: true, value: "http://t" });
  assert.deepEqual(pendingValue(edits, ["models", "providers", "lab", "api"]), { found: true, value: undefined });
  assert.deepEqual(pendingValue(edits, ["models", "providers", "openai", "baseUrl"]), { found: false });
});

test("setItemField copies the list; null deletes the key", () => {
  const items = [{ id: "main", name: "Main" }, { id: "work" }];
  const next = setItemField(items, 1, "name", "Work");
  assert.deepEqual(next, [{ id: "main", name: "Main" }, { id: "work", name: "Work" }]);
  assert.deepEqual(items[1], { id: "work" });
  assert.deepEqual(setItemField(next, 0, "name", null), [{ id: "main" }, { id: "work", name: "Work" }]);
  assert.deepEqual(buildPatch(new Map([["agents.list", next]])), { agents: { list: next } });
});
