import type { Dom } from './dom.js';

/**
 * Forms built from a JSON Schema (a workflow's input schema, a step's resume schema): one field per
 * property for objects of strings, numbers, integers, booleans and enums (nested objects as fieldsets,
 * anything else as a JSON field), beside a JSON text area that stays the value sent. Editing a field
 * rewrites the JSON; editing the JSON refills the fields, so either can be used.
 */
export function schemaFormLib(dom: Dom) {
  const { h } = dom;
  type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; enum?: unknown[]; description?: string; title?: string; default?: unknown; anyOf?: Schema[] };
  type Field = { path: string[]; get(): unknown; set(v: unknown): void; el: HTMLElement };

  function typeOf(s: Schema): string | undefined {
    if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null');
    if (s.type) return s.type;
    // zod's optional/nullable shapes come as anyOf [X, null].
    const inner = s.anyOf?.find((x) => x.type !== 'null');
    return inner ? typeOf(inner) : undefined;
  }

  function getAt(obj: unknown, path: string[]): unknown {
    let cur = obj;
    for (const k of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
    return cur;
  }

  function setAt(obj: Record<string, unknown>, path: string[], v: unknown): void {
    let cur = obj;
    for (const k of path.slice(0, -1)) {
      if (cur[k] === null || typeof cur[k] !== 'object') cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    const last = path[path.length - 1]!;
    if (v === undefined) delete cur[last];
    else cur[last] = v;
  }

  function field(idBase: string, path: string[], name: string, s: Schema, required: boolean, onChange: () => void, fields: Field[]): HTMLElement {
    const id = `${idBase}-${path.join('-')}`;
    const t = typeOf(s);
    const label = h('label', { for: id }, name, required ? '' : h('span', { className: 'muted' }, ' (optional)'));
    const hint = s.description ? h('p', { className: 'muted hint' }, s.description) : null;
    if (t === 'object' && s.properties) {
      const set = h('fieldset', { className: 'schema-object' }, h('legend', {}, name));
      for (const [k, sub] of Object.entries(s.properties)) set.appendChild(field(idBase, [...path, k], k, sub, (s.required ?? []).includes(k), onChange, fields));
      return set;
    }
    let control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
    let get: () => unknown;
    let set: (v: unknown) => void;
    if (s.enum) {
      const sel = h('select', { id, name: path.join('.') });
      if (!required) sel.appendChild(h('option', { value: '' }, '—'));
      for (const v of s.enum) sel.appendChild(h('option', { value: JSON.stringify(v) }, String(v)));
      control = sel;
      get = () => (sel.value === '' ? undefined : (JSON.parse(sel.value) as unknown));
      set = (v) => (sel.value = v === undefined ? '' : JSON.stringify(v));
    } else if (t === 'boolean') {
      const box = h('input', { id, type: 'checkbox', name: path.join('.') });
      control = box;
      get = () => box.checked;
      set = (v) => (box.checked = v === true);
    } else if (t === 'number' || t === 'integer') {
      const num = h('input', { id, type: 'number', name: path.join('.'), step: t === 'integer' ? '1' : 'any' });
      control = num;
      get = () => (num.value === '' ? undefined : Number(num.value));
      set = (v) => (num.value = typeof v === 'number' ? String(v) : '');
    } else if (t === 'string') {
      const txt = h('input', { id, type: 'text', name: path.join('.') });
      control = txt;
      get = () => (txt.value === '' && !required ? undefined : txt.value);
      set = (v) => (txt.value = typeof v === 'string' ? v : '');
    } else {
      // Arrays, unions and the rest: a JSON value in its own small text area.
      const area = h('textarea', { id, rows: 2, spellcheck: 'false', name: path.join('.') });
      control = area;
      get = () => {
        if (area.value.trim() === '') return undefined;
        try {
          return JSON.parse(area.value) as unknown;
        } catch {
          return area.value;
        }
      };
      set = (v) => (area.value = v === undefined ? '' : JSON.stringify(v));
    }
    control.addEventListener('input', onChange);
    control.addEventListener('change', onChange);
    const wrap = h('div', { className: 'schema-field' }, label, control, hint);
    fields.push({ path, get, set, el: wrap });
    return wrap;
  }

  /**
   * A form body for `schema` with `initial` as its value. `area` is the JSON text area the caller submits
   * from; the fields (when the schema is an object with properties) keep it up to date.
   */
  function schemaFields(idBase: string, schema: Record<string, unknown> | undefined, area: HTMLTextAreaElement): HTMLElement | null {
    const s = schema as Schema | undefined;
    if (!s || typeOf(s) !== 'object' || !s.properties || Object.keys(s.properties).length === 0) return null;
    const fields: Field[] = [];
    const sync = () => {
      let base: Record<string, unknown> = {};
      try {
        const parsed = JSON.parse(area.value || '{}') as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) base = parsed as Record<string, unknown>;
      } catch {
        // the JSON was being edited into something invalid: the fields start it again
      }
      for (const f of fields) setAt(base, f.path, f.get());
      area.value = JSON.stringify(base, null, 2);
    };
    const wrap = h('div', { className: 'schema-form', role: 'group', 'aria-label': 'fields from the schema' });
    for (const [k, sub] of Object.entries(s.properties)) wrap.appendChild(field(idBase, [k], k, sub, (s.required ?? []).includes(k), sync, fields));
    const fill = () => {
      try {
        const v = JSON.parse(area.value || '{}') as unknown;
        for (const f of fields) f.set(getAt(v, f.path));
      } catch {
        // invalid JSON: the fields keep their values until it parses again
      }
    };
    area.addEventListener('input', fill);
    fill();
    return wrap;
  }

  /** A starting value from the schema: each property's default, else nothing. */
  function defaultsOf(schema: Record<string, unknown> | undefined): Record<string, unknown> {
    const s = schema as Schema | undefined;
    const out: Record<string, unknown> = {};
    for (const [k, sub] of Object.entries(s?.properties ?? {})) if (sub.default !== undefined) out[k] = sub.default;
    return out;
  }

  return { schemaFields, defaultsOf };
}

export type SchemaForm = ReturnType<typeof schemaFormLib>;
