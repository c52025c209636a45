// export.mjs: a one-off exporter (not run in CI, not run by go generate) that writes
// schema/config/clawdbot.json from the original's published package.
//
// The original (npm clawdbot@2026.1.24) validates its config file with a zod schema
// (ClawdbotSchema); zod exports it as JSON Schema. This script takes that export as
// the facts (every key, type, enum and strictness the original accepts), then:
//   - rewrites anyOf-of-string-consts as enum and drops zod's ±2^53-1 integer bounds,
//   - adds the gateway's own extension keys (marked "x-clawgate-extension"),
//   - marks every key this gateway acts on with "x-implemented": true
//     (the list is implemented.json next to this script),
//   - adds $schema, $id, title and description.
//
// Usage (node >= 22; ../shared/original-clients/install.sh installs the package):
//   node tools/configschema/export.mjs [path/to/node_modules/clawdbot] > schema/config/clawdbot.json
// then `go generate ./...`.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = process.argv[2] ?? join(homedir(), ".cache/clawdbot-original/node_modules/clawdbot");
const { ClawdbotSchema } = await import(pathToFileURL(join(pkg, "dist/config/zod-schema.js")).href);
const version = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version;

const raw = ClawdbotSchema.toJSONSchema({ target: "draft-2020-12", unrepresentable: "any", io: "input" });
const plan = JSON.parse(readFileSync(join(here, "implemented.json"), "utf8"));

const MAXSAFE = 9007199254740991;
function tidy(n) {
  if (Array.isArray(n)) return n.map(tidy);
  if (!n || typeof n !== "object") return n;
  const out = {};
  for (const [k, v] of Object.entries(n)) {
    if ((k === "maximum" && v === MAXSAFE) || (k === "minimum" && v === -MAXSAFE)) continue;
    if (k === "propertyNames" && v && v.type === "string" && Object.keys(v).length === 1) continue;
    out[k] = ["properties", "$defs"].includes(k)
      ? Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, tidy(pv)]))
      : tidy(v);
  }
  if (Array.isArray(out.anyOf) && out.anyOf.length > 0 &&
      out.anyOf.every((b) => b && b.type === "string" && "const" in b && Object.keys(b).length === 2)) {
    const vals = out.anyOf.map((b) => b.const);
    delete out.anyOf;
    return { type: "string", enum: vals, ...out };
  }
  return out;
}

// node returns the schema node at a dotted path ("gateway.auth.token"; "*" steps
// into a record's values or an array's items), or undefined.
function node(root, path) {
  let cur = root;
  for (const seg of path.split(".")) {
    if (!cur) return undefined;
    if (seg === "*") cur = cur.additionalProperties && typeof cur.additionalProperties === "object" ? cur.additionalProperties : cur.items;
    else cur = cur.properties?.[seg];
  }
  return cur;
}

const schema = tidy(raw);
delete schema.$schema;
for (const [path, ext] of Object.entries(plan.extensions)) {
  const i = path.lastIndexOf(".");
  const parent = i < 0 ? schema : node(schema, path.slice(0, i));
  if (!parent || !parent.properties) throw new Error(`extension ${path}: no parent object`);
  if (parent.properties[path.slice(i + 1)]) throw new Error(`extension ${path}: the original has it`);
  parent.properties[path.slice(i + 1)] = { ...ext, "x-clawgate-extension": true };
}
for (const [path, extra] of Object.entries(plan.implemented)) {
  const n = node(schema, path);
  if (!n) throw new Error(`implemented ${path}: not in the schema`);
  Object.assign(n, extra, { "x-implemented": true });
}
const out = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://schema.clawgate.dev/config/clawdbot.json",
  title: "ClawdbotConfig",
  description: `The gateway config file (~/.clawdbot/clawdbot.json, JSON5; path overridable with CLAWDBOT_CONFIG_PATH or CLAWDBOT_STATE_DIR): the shape of the original ${version}, exported from its zod schema by tools/configschema/export.mjs, plus the extensions marked x-clawgate-extension. Keys marked x-implemented are the ones this gateway acts on; the others are accepted and reported as not implemented.`,
  ...schema,
};
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
