// The DOM-free half of the config form: what kind of input a schema node gets, which
// uiHint applies to a path, and the merge patch (RFC 7396) an edit set becomes.
// Unit-tested under node (test/configmodel.test.ts).

export interface UiHint {
  label?: string;
  help?: string;
  group?: string;
  order?: number;
  advanced?: boolean;
  sensitive?: boolean;
  placeholder?: string;
  itemTemplate?: unknown;
}

/** REDACTED is what config.get shows for a secret; sent back it keeps the stored value. */
export const REDACTED = "__CLAWDBOT_REDACTED__";

export type FieldKind = "object" | "string" | "number" | "integer" | "boolean" | "enum" | "list" | "map" | "objlist" | "raw";

/** kindOf picks the input for a schema node; "raw" means the form shows it read-only. */
export function kindOf(node: any): FieldKind {
  if (!node || typeof node !== "object") return "raw";
  if (Array.isArray(node.enum) && node.enum.length && node.enum.every((v: unknown) => typeof v === "string")) return "enum";
  const t = Array.isArray(node.type) ? node.type.filter((x: string) => x !== "null") : [node.type];
  if (t.length !== 1) return "raw";
  switch (t[0]) {
    case "object":
      if (node.properties && Object.keys(node.properties).length) return "object";
      // A map: free keys, each value of one schema (models.providers, telegram groups).
      return node.additionalProperties && typeof node.additionalProperties === "object" && kindOf(node.additionalProperties) !== "raw" ? "map" : "raw";
    case "string":
    case "number":
    case "integer":
    case "boolean":
      return t[0];
    case "array": {
      const k = kindOf(node.items);
      if (k === "string" || k === "number" || k === "integer" || k === "enum") return "list";
      return k === "object" ? "objlist" : "raw";
    }
  }
  return "raw";
}

/**
 * hintFor finds the hint of a dotted path; "*" in a hint key matches any one segment
 * (a map key or an array index), as config.schema's uiHints use it.
 */
export function hintFor(hints: Record<string, UiHint>, path: string[]): UiHint {
  const exact = hints[path.join(".")];
  if (exact) return exact;
  for (const [segs, h] of wildcards(hints)) {
    if (segs.length === path.length && segs.every((s, i) => s === "*" || s === path[i])) return h;
  }
  return {};
}

// The wildcard keys of a hints object, split once (the form looks hints up on every
// render).
const wildcardCache = new WeakMap<object, [string[], UiHint][]>();
function wildcards(hints: Record<string, UiHint>): [string[], UiHint][] {
  let w = wildcardCache.get(hints);
  if (!w) {
    w = Object.entries(hints)
      .filter(([k]) => k.split(".").includes("*"))
      .map(([k, h]) => [k.split("."), h] as [string[], UiHint]);
    wildcardCache.set(hints, w);
  }
  return w;
}

/** labelOf is the hint's label, else the key split into words ("maxBytes" → "Max bytes"). */
export function labelOf(hint: UiHint, key: string): string {
  if (hint.label) return hint.label;
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** orderedKeys sorts an object node's keys by hint order, then by name. */
export function orderedKeys(props: Record<string, unknown>, hints: Record<string, UiHint>, base: string[]): string[] {
  const ord = (k: string) => hintFor(hints, [...base, k]).order ?? Number.MAX_SAFE_INTEGER;
  return Object.keys(props).sort((a, b) => ord(a) - ord(b) || a.localeCompare(b));
}

export function getPath(obj: unknown, path: string[]): unknown {
  let cur: any = obj;
  for (const p of path) {
    if (cur == null || typeof cur !== "object") return undefined;
    cur = cur[p];
  }
  return cur;
}

/**
 * buildPatch turns edits (dotted path → new value; null removes the key) into one
 * merge patch object. Paths must not contain "." inside a segment.
 */
export function buildPatch(edits: Map<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of edits) {
    const segs = path.split(".");
    let cur: any = out;
    for (const s of segs.slice(0, -1)) {
      if (cur[s] == null || typeof cur[s] !== "object" || Array.isArray(cur[s])) cur[s] = {};
      cur = cur[s];
    }
    // A copy: later edits under this path (fields of a map entry just added) are merged
    // into it, and the edit itself must stay as it is.
    cur[segs[segs.length - 1]] = value && typeof value === "object" ? JSON.parse(JSON.stringify(value)) : value;
  }
  return out;
}

/**
 * parseField reads an input's text as the kind's value: "" is null (unset, the default
 * applies); a number that does not parse, or a list item that does not, is an error.
 */
export function parseField(kind: FieldKind, text: string, itemKind?: FieldKind): { value: unknown } | { error: string } {
  const t = text.trim();
  switch (kind) {
    case "number":
    case "integer": {
      if (t === "") return { value: null };
      const n = Number(t);
      if (!Number.isFinite(n)) return { error: `not a number: ${t}` };
      if (kind === "integer" && !Number.isInteger(n)) return { error: `not a whole number: ${t}` };
      return { value: n };
    }
    case "list": {
      const items = text.split("\n").map((s) => s.trim()).filter(Boolean);
      if (!items.length) return { value: null };
      if (itemKind === "number" || itemKind === "integer") {
        const nums = items.map(Number);
        const bad = items.find((_, i) => !Number.isFinite(nums[i]));
        return bad !== undefined ? { error: `not a number: ${bad}` } : { value: nums };
      }
      return { value: items };
    }
    case "string":
    case "enum":
      return { value: t === "" ? null : text };
    default:
      return { value: text };
  }
}

/** SCALAR_KINDS are the kinds a list item's field gets an input for. */
export const SCALAR_KINDS: ReadonlySet<FieldKind> = new Set(["string", "number", "integer", "boolean", "enum", "list"]);

/**
 * pendingValue finds the value a path has inside a pending edit of one of its parents
 * (a map entry just added from an itemTemplate); found is false when none covers it.
 */
export function pendingValue(edits: Map<string, unknown>, path: string[]): { found: boolean; value?: unknown } {
  for (let i = path.length - 1; i >= 1; i--) {
    const k = path.slice(0, i).join(".");
    if (edits.has(k)) {
      const v = edits.get(k);
      return v && typeof v === "object" ? { found: true, value: getPath(v, path.slice(i)) } : { found: true, value: undefined };
    }
  }
  return { found: false };
}

/**
 * mapKeys lists a map's entries as the form shows them: the config's keys, minus those
 * removed (a null edit), plus those added (an object edit), in config order then added
 * order.
 */
export function mapKeys(cur: unknown, edits: Map<string, unknown>, path: string[]): string[] {
  const base = path.join(".") + ".";
  const keys = cur && typeof cur === "object" && !Array.isArray(cur) ? Object.keys(cur) : [];
  const out = keys.filter((k) => edits.get(base + k) !== null);
  for (const [p, v] of edits) {
    if (!p.startsWith(base)) continue;
    const k = p.slice(base.length);
    if (!k.includes(".") && v !== null && !out.includes(k)) out.push(k);
  }
  return out;
}

/** mapKeyProblem checks a new map key: empty, with a "." (edits are dotted paths), or taken. */
export function mapKeyProblem(key: string, taken: string[]): string {
  if (!key.trim()) return "enter a name";
  if (key !== key.trim()) return "no spaces around the name";
  if (key.includes(".")) return "a name cannot contain “.”";
  if (taken.includes(key)) return `“${key}” already exists`;
  return "";
}

/**
 * newEntry is the value a new map entry or list item starts as: a copy of the hint's
 * itemTemplate when it is a plain object, else {} (or "" for a map of scalars).
 */
export function newEntry(hint: UiHint, valueKind: FieldKind): unknown {
  const t = hint.itemTemplate;
  if (t && typeof t === "object" && !Array.isArray(t)) return JSON.parse(JSON.stringify(t));
  if (valueKind === "object") return {};
  if (valueKind === "boolean") return false;
  if (valueKind === "number" || valueKind === "integer") return 0;
  if (valueKind === "list") return [];
  return "";
}

/**
 * setItemField returns a copy of a list of objects with one item's field set (null or
 * undefined deletes the key): a list is replaced whole by a merge patch, so every item
 * edit is an edit of the list.
 */
export function setItemField(items: unknown[], index: number, field: string, value: unknown): unknown[] {
  const out = items.map((x) => (x && typeof x === "object" ? { ...(x as object) } : x));
  const item: Record<string, unknown> = out[index] && typeof out[index] === "object" ? (out[index] as Record<string, unknown>) : {};
  if (value === null || value === undefined) delete item[field];
  else item[field] = value;
  out[index] = item;
  return out;
}
