// The schema-driven config form: config.schema's JSON Schema and uiHints become one
// collapsible section per top-level key, objects nest as fieldsets, and strings,
// numbers, booleans, enums and lists of scalars get inputs. Edits are kept by dotted
// path until Apply, which sends them as one merge patch (config.patch with baseHash);
// a conflict keeps them, so a reload re-applies them onto the new file. Secrets show
// masked and are only sent when retyped. Shapes the form cannot edit (maps, lists of
// objects, unions) are shown read-only and stay editable in the raw file below.
import { html, nothing, type TemplateResult } from "lit";
import type { ConfigFormContext } from "./views/config.js";
import { REDACTED, buildPatch, getPath, hintFor, kindOf, labelOf, orderedKeys, parseField, type FieldKind, type UiHint } from "./configmodel.js";

class FormState {
  edits = new Map<string, unknown>();
  texts = new Map<string, string>(); // what the user typed, shown while it does not parse
  invalid = new Map<string, string>();
  open = new Set<string>();
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
  const edit = (path: string[], kind: FieldKind, text: string, itemKind?: FieldKind) => {
    const key = path.join(".");
    const r = parseField(kind, text, itemKind);
    st.texts.set(key, text);
    if ("error" in r) {
      st.invalid.set(key, r.error);
    } else {
      st.invalid.delete(key);
      const cur = getPath(ctx.config, path);
      // An emptied secret field keeps the stored secret (clear it in the raw file).
      const keepSecret = cur === REDACTED && r.value === null;
      if (keepSecret || same(r.value, cur) || (r.value === null && cur === undefined)) {
        st.edits.delete(key);
        st.texts.delete(key);
      } else st.edits.set(key, r.value);
    }
    ctx.update();
  };

  const field = (path: string[], node: any): TemplateResult | typeof nothing => {
    const key = path.join(".");
    const h = hintFor(hints, path);
    if (h.advanced && !st.advanced && !st.edits.has(key)) return nothing;
    if (f && !matches(path, node, hints, f)) return nothing;
    const kind = kindOf(node);
    const label = labelOf(h, path[path.length - 1]);
    if (kind === "object") {
      return html`<fieldset class="cfg-group" data-path=${key}>
        <legend>${label}</legend>
        ${h.help ? html`<p class="help">${h.help}</p>` : nothing}
        ${orderedKeys(node.properties, hints, path).map((k) => field([...path, k], node.properties[k]))}
      </fieldset>`;
    }
    const id = fieldId(path);
    const cur = getPath(ctx.config, path);
    const edited = st.edits.has(key);
    const val = edited ? st.edits.get(key) : cur;
    const typed = st.texts.get(key);
    const err = st.invalid.get(key);
    const def = node.default !== undefined ? `default: ${JSON.stringify(node.default)}` : "";
    const help = h.help ? html`<small class="help" id="${id}-help">${h.help}</small>` : nothing;
    const described = h.help ? `${id}-help` : nothing;
    const cls = `cfg-field${edited ? " edited" : ""}${err ? " invalid" : ""}`;
    const errLine = err ? html`<small class="error" role="alert">${err}</small>` : nothing;
    let input: TemplateResult;
    switch (kind) {
      case "boolean":
        input = html`<select id=${id} data-path=${key} aria-describedby=${described}
          @change=${(e: Event) => {
            const v = (e.target as HTMLSelectElement).value;
            const cur2 = getPath(ctx.config, path);
            const next = v === "" ? null : v === "true";
            if (same(next, cur2) || (next === null && cur2 === undefined)) st.edits.delete(key);
            else st.edits.set(key, next);
            ctx.update();
          }}>
          <option value="" ?selected=${val == null}>default${node.default !== undefined ? ` (${node.default ? "on" : "off"})` : ""}</option>
          <option value="true" ?selected=${val === true}>on</option>
          <option value="false" ?selected=${val === false}>off</option>
        </select>`;
        break;
      case "enum":
        input = html`<select id=${id} data-path=${key} aria-describedby=${described} @change=${(e: Event) => edit(path, kind, (e.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${val == null}>default${node.default !== undefined ? ` (${node.default})` : ""}</option>
          ${node.enum.map((o: string) => html`<option value=${o} ?selected=${val === o}>${o}</option>`)}
        </select>`;
        break;
      case "list": {
        const itemKind = kindOf(node.items);
        const text = typed ?? (Array.isArray(val) ? val.join("\n") : "");
        input = html`<textarea id=${id} data-path=${key} class="mono" rows="3" spellcheck="false" aria-describedby=${described} placeholder="one per line"
          .value=${text} @input=${(e: Event) => edit(path, kind, (e.target as HTMLTextAreaElement).value, itemKind)}></textarea>`;
        break;
      }
      case "raw":
        input = html`<pre id=${id} data-path=${key} class="mono cfg-raw" tabindex="0" aria-label="${label} (edit in the raw file)">${cur === undefined ? "(not set)" : JSON.stringify(cur, null, 2)}</pre>`;
        break;
      default: {
        const secret = !!h.sensitive;
        const hidden = secret && cur === REDACTED && !edited;
        const text = typed ?? (hidden || val == null ? "" : String(val));
        const ph = hidden ? "stored (hidden): type to replace" : h.placeholder || def;
        input = html`<input id=${id} data-path=${key} type=${secret ? "password" : kind === "string" ? "text" : "number"}
          step=${kind === "number" ? "any" : nothing} autocomplete=${secret ? "new-password" : "off"} spellcheck="false"
          aria-describedby=${described} placeholder=${ph || nothing} aria-invalid=${err ? "true" : "false"}
          .value=${text} @input=${(e: Event) => edit(path, kind, (e.target as HTMLInputElement).value)}>`;
      }
    }
    return html`<div class=${cls}>
      <label for=${id}>${label}${edited ? html` <span class="tag">changed</span>` : nothing}</label>
      ${input} ${help} ${errLine}
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
