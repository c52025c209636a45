// The schema-driven config form: config.schema's JSON Schema and uiHints become one
// collapsible section per top-level key, objects nest as fieldsets, and strings,
// numbers, booleans, enums and lists of scalars get inputs. Edits are kept by dotted
// path until Apply, which sends them as one merge patch (config.patch with baseHash);
// a conflict keeps them, so a reload re-applies them onto the new file. Secrets show
// masked and are only sent when retyped. Maps (additionalProperties: models.providers,
// telegram groups) get add/remove of entries, each entry edited like any object (a
// removed entry is null in the patch); lists of objects (agents.list) get add/remove of
// items and inputs for the items' scalar fields, and are sent whole (a merge patch
// replaces a list). New entries start from the uiHints itemTemplate when it is a plain
// object. Shapes the form cannot edit (unions, objects inside list items) are shown
// read-only and stay editable in the raw file below.
import { html, nothing, type TemplateResult } from "lit";
import type { ConfigFormContext } from "./views/config.js";
import {
  REDACTED,
  SCALAR_KINDS,
  buildPatch,
  getPath,
  hintFor,
  kindOf,
  labelOf,
  mapKeyProblem,
  mapKeys,
  newEntry,
  orderedKeys,
  parseField,
  pendingValue,
  setItemField,
  type FieldKind,
  type UiHint,
} from "./configmodel.js";

class FormState {
  edits = new Map<string, unknown>();
  texts = new Map<string, string>(); // what the user typed, shown while it does not parse
  invalid = new Map<string, string>();
  open = new Set<string>();
  /** The name typed for a new map entry, and its problem, by map path. */
  newKeys = new Map<string, string>();
  keyErrors = new Map<string, string>();
  advanced = false;
  filter = "";
  busy = false;
}

const st = new FormState();

/** resetConfigForm drops every pending edit (Discard, and between browser tests). */
export function resetConfigForm(): void {
  st.edits.clear();
  st.texts.clear();
  st.invalid.clear();
  st.keyErrors.clear();
}

/** dropUnder forgets the typed text and parse errors at and under a path. */
function dropUnder(key: string): void {
  for (const m of [st.texts, st.invalid] as Map<string, unknown>[]) {
    for (const k of [...m.keys()]) if (k === key || k.startsWith(key + ".")) m.delete(k);
  }
}

function fieldId(path: string[]): string {
  return "cfg-" + path.join("-").replace(/[^A-Za-z0-9_-]/g, "_");
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function matches(path: string[], node: any, hints: Record<string, UiHint>, f: string): boolean {
  const h = hintFor(hints, path);
  const text = `${path.join(".")} ${labelOf(h, path[path.length - 1])} ${h.help ?? ""}`.toLowerCase();
  if (text.includes(f)) return true;
  if (kindOf(node) === "object") return Object.entries(node.properties).some(([k, n]) => matches([...path, k], n, hints, f));
  return false;
}

export function renderConfigForm(ctx: ConfigFormContext): TemplateResult {
  if (!ctx.schemaAvailable) return html`<p class="muted">This gateway has no config.schema; edit the raw file below.</p>`;
  if (!ctx.schema) return html`<p class="muted" id="config-form-loading">Loading the config schema…</p>`;
  const hints = ctx.uiHints ?? {};
  const props = ctx.schema.properties ?? {};
  const f = st.filter.trim().toLowerCase();
  // setEdit records the value of a path (or drops the edit when it is the file's value).
  const setEdit = (path: string[], value: unknown) => {
    const key = path.join(".");
    const cur = getPath(ctx.config, path);
    // An emptied secret field keeps the stored secret (clear it in the raw file).
    const keepSecret = cur === REDACTED && value === null;
    if (keepSecret || same(value, cur) || (value === null && cur === undefined)) {
      st.edits.delete(key);
      st.texts.delete(key);
    } else st.edits.set(key, value);
  };
  // edit parses what was typed into an input; commit stores the value (setEdit, or a
  // list item's field).
  const edit = (path: string[], kind: FieldKind, text: string, itemKind?: FieldKind, commit = (v: unknown) => setEdit(path, v)) => {
    const key = path.join(".");
    const r = kind === "boolean" ? { value: text === "" ? null : text === "true" } : parseField(kind, text, itemKind);
    st.texts.set(key, text);
    if ("error" in r) {
      st.invalid.set(key, r.error);
    } else {
      st.invalid.delete(key);
      commit(r.value);
      if (kind === "boolean") st.texts.delete(key);
    }
    ctx.update();
  };

  // input renders the control of a scalar, enum or list-of-scalars value.
  const input = (path: string[], node: any, kind: FieldKind, cur: unknown, val: unknown, edited: boolean, described: string | typeof nothing,
    commit?: (v: unknown) => void): TemplateResult => {
    const key = path.join(".");
    const id = fieldId(path);
    const h = hintFor(hints, path);
    const label = labelOf(h, path[path.length - 1]);
    const typed = st.texts.get(key);
    const err = st.invalid.get(key);
    const def = node.default !== undefined ? `default: ${JSON.stringify(node.default)}` : "";
    switch (kind) {
      case "boolean":
        return html`<select id=${id} data-path=${key} data-value=${val == null ? "" : String(val)} aria-describedby=${described}
          @change=${(e: Event) => edit(path, kind, (e.target as HTMLSelectElement).value, undefined, commit)}>
          <option value="" ?selected=${val == null}>default${node.default !== undefined ? ` (${node.default ? "on" : "off"})` : ""}</option>
          <option value="true" ?selected=${val === true}>on</option>
          <option value="false" ?selected=${val === false}>off</option>
        </select>`;
      case "enum":
        return html`<select id=${id} data-path=${key} data-value=${val == null ? "" : String(val)} aria-describedby=${described} @change=${(e: Event) => edit(path, kind, (e.target as HTMLSelectElement).value, undefined, commit)}>
          <option value="" ?selected=${val == null}>default${node.default !== undefined ? ` (${node.default})` : ""}</option>
          ${node.enum.map((o: string) => html`<option value=${o} ?selected=${val === o}>${o}</option>`)}
        </select>`;
      case "list": {
        const itemKind = kindOf(node.items);
        const text = typed ?? (Array.isArray(val) ? val.join("\n") : "");
        return html`<textarea id=${id} data-path=${key} class="mono" rows="3" spellcheck="false" aria-describedby=${described} placeholder="one per line"
          .value=${text} @input=${(e: Event) => edit(path, kind, (e.target as HTMLTextAreaElement).value, itemKind, commit)}></textarea>`;
      }
      case "string":
      case "number":
      case "integer": {
        const secret = !!h.sensitive;
        const hidden = secret && cur === REDACTED && (!edited || val === REDACTED);
        const text = typed ?? (hidden || val == null ? "" : String(val));
        const ph = hidden ? "stored (hidden): type to replace" : h.placeholder || def;
        return html`<input id=${id} data-path=${key} type=${secret ? "password" : kind === "string" ? "text" : "number"}
          step=${kind === "number" ? "any" : nothing} autocomplete=${secret ? "new-password" : "off"} spellcheck="false"
          aria-describedby=${described} placeholder=${ph || nothing} aria-invalid=${err ? "true" : "false"}
          .value=${text} @input=${(e: Event) => edit(path, kind, (e.target as HTMLInputElement).value, undefined, commit)}>`;
      }
      default:
        return html`<pre id=${id} data-path=${key} class="mono cfg-raw" tabindex="0" aria-label="${label} (edit in the raw file)">${cur === undefined ? "(not set)" : JSON.stringify(cur, null, 2)}</pre>`;
    }
  };

  // mapField renders a map: one block per entry (edited as its value schema says) with
  // Remove, and a name input with Add.
  const mapField = (path: string[], node: any, label: string, h: UiHint): TemplateResult => {
    const key = path.join(".");
    const id = fieldId(path);
    const cur = getPath(ctx.config, path);
    const pend = pendingValue(st.edits, path);
    const keys = mapKeys(cur !== undefined ? cur : pend.value, st.edits, path);
    const valueNode = node.additionalProperties;
    const add = () => {
      const name = st.newKeys.get(key) ?? "";
      const problem = mapKeyProblem(name, keys);
      if (problem) st.keyErrors.set(key, problem);
      else {
        st.keyErrors.delete(key);
        st.newKeys.delete(key);
        const entry = `${key}.${name}`;
        if (st.edits.get(entry) === null) st.edits.delete(entry); // re-adding a removed entry restores it
        else st.edits.set(entry, newEntry(hintFor(hints, path).itemTemplate !== undefined ? hintFor(hints, path) : hintFor(hints, [...path, "*"]), kindOf(valueNode)));
      }
      ctx.update();
    };
    const remove = (k: string) => {
      const entry = `${key}.${k}`;
      for (const p of [...st.edits.keys()]) if (p.startsWith(entry + ".")) st.edits.delete(p);
      dropUnder(entry);
      if (getPath(ctx.config, [...path, k]) !== undefined) st.edits.set(entry, null);
      else st.edits.delete(entry);
      ctx.update();
    };
    const err = st.keyErrors.get(key);
    return html`<fieldset class="cfg-group cfg-map" data-path=${key}>
      <legend>${label} <span class="count">${keys.length}</span></legend>
      ${h.help ? html`<p class="help">${h.help}</p>` : nothing}
      ${keys.map((k) => html`<div class="cfg-entry" data-entry=${k}>
        <div class="row"><strong class="mono">${k}</strong>${st.edits.has(`${key}.${k}`) && getPath(cur, [k]) === undefined ? html`<span class="tag">new</span>` : nothing}
          <span class="spacer"></span>
          <button type="button" id="${fieldId([...path, k])}-remove" class="danger ghost cfg-remove" aria-label="Remove ${k}" @click=${() => remove(k)}>Remove</button></div>
        ${field([...path, k], valueNode, true)}
      </div>`)}
      <div class="row cfg-add">
        <input id="${id}-new" type="text" spellcheck="false" autocomplete="off" aria-label="New ${label.toLowerCase()} entry name" placeholder="new entry name"
          .value=${st.newKeys.get(key) ?? ""} @input=${(e: Event) => st.newKeys.set(key, (e.target as HTMLInputElement).value)}
          @keydown=${(e: KeyboardEvent) => { if (e.key === "Enter") { e.preventDefault(); add(); } }}>
        <button type="button" id="${id}-add" @click=${add}>Add</button>
        ${err ? html`<small class="error" role="alert">${err}</small>` : nothing}
      </div>
    </fieldset>`;
  };

  // listField renders a list of objects: one block per item with inputs for its scalar
  // fields and Remove, and Add. Every change replaces the whole list in the patch.
  const listField = (path: string[], node: any, label: string, h: UiHint): TemplateResult => {
    const key = path.join(".");
    const id = fieldId(path);
    const cur = getPath(ctx.config, path);
    const pend = pendingValue(st.edits, path);
    const base = st.edits.has(key) ? st.edits.get(key) : cur !== undefined ? cur : pend.value;
    const items: unknown[] = Array.isArray(base) ? base : [];
    const setList = (next: unknown[]) => setEdit(path, next);
    const props = node.items.properties ?? {};
    const itemHint = hintFor(hints, path).itemTemplate !== undefined ? hintFor(hints, path) : hintFor(hints, [...path, "*"]);
    return html`<fieldset class="cfg-group cfg-list" data-path=${key}>
      <legend>${label} <span class="count">${items.length}</span>${st.edits.has(key) ? html` <span class="tag">changed</span>` : nothing}</legend>
      ${h.help ? html`<p class="help">${h.help}</p>` : nothing}
      ${items.map((item: any, i) => {
        const ip = [...path, String(i)];
        const name = item && typeof item === "object" ? item.name || item.id || "" : "";
        return html`<div class="cfg-entry" data-index=${i}>
          <div class="row"><strong>${label} ${i + 1}</strong>${name ? html`<span class="muted mono">${name}</span>` : nothing}<span class="spacer"></span>
            <button type="button" id="${fieldId(ip)}-remove" class="danger ghost cfg-remove" aria-label="Remove ${label} ${i + 1}"
              @click=${() => { dropUnder(key); setList(items.filter((_, j) => j !== i)); ctx.update(); }}>Remove</button></div>
          ${orderedKeys(props, hints, ip).map((k) => {
            const fp = [...ip, k];
            const fh = hintFor(hints, fp);
            if (fh.advanced && !st.advanced) return nothing;
            const kind = kindOf(props[k]);
            const fid = fieldId(fp);
            const fcur = getPath(cur, [String(i), k]);
            const fval = item && typeof item === "object" ? item[k] : undefined;
            const described = fh.help ? `${fid}-help` : nothing;
            const commit = (v: unknown) => {
              const keep = fh.sensitive && v === null && fval === REDACTED;
              if (!keep) setList(setItemField(items, i, k, v));
            };
            return html`<div class="cfg-field${st.invalid.has(fp.join(".")) ? " invalid" : ""}">
              <label for=${fid}>${labelOf(fh, k)}</label>
              ${input(fp, props[k], SCALAR_KINDS.has(kind) ? kind : "raw", fcur ?? fval, fval, fval !== fcur, described, commit)}
              ${fh.help ? html`<small class="help" id="${fid}-help">${fh.help}</small>` : nothing}
              ${st.invalid.has(fp.join(".")) ? html`<small class="error" role="alert">${st.invalid.get(fp.join("."))}</small>` : nothing}
            </div>`;
          })}
        </div>`;
      })}
      <div class="row cfg-add"><button type="button" id="${id}-add" @click=${() => { setList([...items, newEntry(itemHint, "object")]); ctx.update(); }}>Add ${label.toLowerCase()} item</button></div>
    </fieldset>`;
  };

  const field = (path: string[], node: any, inEntry = false): TemplateResult | typeof nothing => {
    const key = path.join(".");
    const h = hintFor(hints, path);
    if (h.advanced && !st.advanced && !st.edits.has(key)) return nothing;
    if (f && !inEntry && !matches(path, node, hints, f)) return nothing;
    const kind = kindOf(node);
    const label = labelOf(h, path[path.length - 1]);
    if (kind === "object") {
      return html`<fieldset class="cfg-group" data-path=${key}>
        <legend>${label}</legend>
        ${h.help ? html`<p class="help">${h.help}</p>` : nothing}
        ${orderedKeys(node.properties, hints, path).map((k) => field([...path, k], node.properties[k], inEntry))}
      </fieldset>`;
    }
    if (kind === "map") return mapField(path, node, label, h);
    if (kind === "objlist") return listField(path, node, label, h);
    const id = fieldId(path);
    const cur = getPath(ctx.config, path);
    const edited = st.edits.has(key);
    const pend = cur === undefined && !edited ? pendingValue(st.edits, path) : { found: false };
    const val = edited ? st.edits.get(key) : pend.found ? pend.value : cur;
    const err = st.invalid.get(key);
    const help = h.help ? html`<small class="help" id="${id}-help">${h.help}</small>` : nothing;
    const described = h.help ? `${id}-help` : nothing;
    const cls = `cfg-field${edited ? " edited" : ""}${err ? " invalid" : ""}`;
    const errLine = err ? html`<small class="error" role="alert">${err}</small>` : nothing;
    return html`<div class=${cls}>
      <label for=${id}>${label}${edited ? html` <span class="tag">changed</span>` : nothing}</label>
      ${input(path, node, kind, cur, val, edited, described)} ${help} ${errLine}
    </div>`;
  };

  const sections = orderedKeys(props, hints, []).filter((k) => {
    const h = hintFor(hints, [k]);
    return (!h.advanced || st.advanced) && (!f || matches([k], props[k], hints, f));
  });
  const apply = async (e: Event) => {
    e.preventDefault();
    if (st.invalid.size || !st.edits.size || st.busy) return;
    st.busy = true;
    ctx.update();
    const ok = await ctx.patch(buildPatch(st.edits));
    st.busy = false;
    if (ok) resetConfigForm();
    ctx.update();
  };
  return html`<form id="config-form" class="cfg-form" @submit=${apply} aria-label="Config form">
    <div class="row">
      <input id="config-form-filter" type="search" placeholder="Find a setting" aria-label="Find a setting" .value=${st.filter}
        @input=${(e: Event) => ((st.filter = (e.target as HTMLInputElement).value), ctx.update())}>
      <label class="inline"><input id="config-form-advanced" type="checkbox" .checked=${st.advanced}
        @change=${(e: Event) => ((st.advanced = (e.target as HTMLInputElement).checked), ctx.update())}> show advanced</label>
    </div>
    ${sections.map((k) => {
      const h = hintFor(hints, [k]);
      const node = props[k];
      const isOpen = st.open.has(k) || !!f;
      const n = [...st.edits.keys()].filter((p) => p === k || p.startsWith(k + ".")).length;
      return html`<details class="cfg-section" data-section=${k} ?open=${isOpen}
        @toggle=${(e: Event) => {
          const o = (e.target as HTMLDetailsElement).open;
          // While a filter opens every matching section, toggles are not the user's.
          if (f || o === st.open.has(k)) return;
          if (o) st.open.add(k);
          else st.open.delete(k);
          ctx.update();
        }}>
        <summary id="cfg-section-${k}">${labelOf(h, k)}${n ? html` <span class="tag">${n} changed</span>` : nothing}
          ${h.help ? html`<small class="muted"> — ${h.help}</small>` : nothing}</summary>
        ${isOpen ? (kindOf(node) === "object" ? orderedKeys(node.properties, hints, [k]).map((c) => field([k, c], node.properties[c])) : field([k], node)) : nothing}
      </details>`;
    })}
    <div class="row cfg-actions">
      <button id="config-form-apply" type="submit" class="primary" ?disabled=${!st.edits.size || st.invalid.size > 0 || st.busy}>
        ${st.edits.size ? `Apply ${st.edits.size} change${st.edits.size > 1 ? "s" : ""}` : "Apply"}</button>
      <button id="config-form-discard" type="button" ?disabled=${!st.edits.size && !st.invalid.size} @click=${() => (resetConfigForm(), ctx.update())}>Discard changes</button>
      ${st.invalid.size ? html`<span class="error">Fix the marked fields first.</span>` : nothing}
    </div>
  </form>`;
}
