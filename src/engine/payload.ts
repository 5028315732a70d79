import { CorruptRunError, PayloadError } from '../errors.js';
import { MAX_JSON_DEPTH } from '../domain/limits.js';
import {
  CodecProblem,
  decodeStored,
  encodeLarge,
  forgetBlobs,
  inlineText,
  needsEnvelope,
  reachesSize,
  type CodecOptions,
  type CodecState,
  type StoredBlob,
} from '../domain/value-codec.js';

export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/** Containers JSON.stringify would silently turn into `{}`: refused rather than lost. */
const OPAQUE: [new (...args: never[]) => object, string, string][] = [
  [Map, 'a Map', 'convert it to an object or an array of entries'],
  [Set, 'a Set', 'convert it to an array'],
  [WeakMap, 'a WeakMap', 'it cannot be stored'],
  [WeakSet, 'a WeakSet', 'it cannot be stored'],
  [Promise, 'a Promise', 'await it first'],
];

interface Walk {
  /** Set when JSON.parse(JSON.stringify(v)) would not give back an equal value (Date, NaN, ...). */
  lossy: boolean;
  /** Set when the value is nested deeper than MAX_JSON_DEPTH. */
  tooDeep: boolean;
}

function where(path: string): string {
  return path ? `at key "${path}"` : 'at the top level';
}

/**
 * Finds what JSON cannot carry and names where it is, or notes that the value changes on the way
 * (lossy). A walk followed by a plain stringify is about twice as fast as stringify with a replacer
 * (which turns off V8's fast path), and this runs once per step output. Cycles and BigInt are left for
 * stringify to report, which runs first.
 */
function inspect(value: unknown, path: string, depth: number, w: Walk): string | null {
  const t = typeof value;
  if (t === 'function' || t === 'symbol') return `a ${t} ${where(path)} is not JSON-serialisable`;
  if (t === 'number') {
    if (!Number.isFinite(value as number)) w.lossy = true;
    return null;
  }
  if (t !== 'object' || value === null) return null;
  if (depth >= MAX_JSON_DEPTH) {
    w.tooDeep = true;
    return `a value nested deeper than ${MAX_JSON_DEPTH} levels ${where(path)}`;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) {
        w.lossy = true;
        continue;
      }
      const hit = inspect(item, `${path}[${i}]`, depth + 1, w);
      if (hit) return hit;
    }
    return null;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    w.lossy = true;
    return null;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    for (const [cls, name, hint] of OPAQUE) if (value instanceof cls) return `${name} ${where(path)} is not JSON-serialisable (${hint})`;
    w.lossy = true;
  }
  for (const key in value as Record<string, unknown>) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) {
      w.lossy = true;
      continue;
    }
    const hit = inspect(v, path ? `${path}.${key}` : key, depth + 1, w);
    if (hit) return hit;
  }
  return null;
}

export interface Encoded {
  text: string | null;
  /** True when decoding `text` gives a different value than the one encoded. */
  lossy: boolean;
}

/**
 * Serialises a value for the store, exactly once per value. Functions, symbols, BigInt, cycles, Maps
 * and Sets, and values nested deeper than MAX_JSON_DEPTH are rejected with a clear error instead of
 * being silently dropped, and the size limit is enforced here so an oversized value fails its own step
 * rather than the database.
 */
export function encodeChecked(value: unknown, what: string, maxBytes: number): Encoded {
  if (value === undefined) return { text: null, lossy: false };
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new PayloadError('PAYLOAD_NOT_SERIALIZABLE', `${what} is not JSON-serialisable: ${reason}`);
  }
  if (text === undefined) return { text: null, lossy: true };
  const w: Walk = { lossy: false, tooDeep: false };
  const problem = inspect(value, '', 0, w);
  if (w.tooDeep) throw new PayloadError('PAYLOAD_TOO_DEEP', `${what}: ${problem}; flatten it`);
  if (problem) throw new PayloadError('PAYLOAD_NOT_SERIALIZABLE', `${what}: ${problem}`);
  // String length is a lower bound on UTF-8 bytes; only measure exactly when it could matter.
  if (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) {
    throw new PayloadError('PAYLOAD_TOO_LARGE', `${what} is ${Buffer.byteLength(text)} bytes, over the limit of ${maxBytes}`);
  }
  // Plain text that would read as the codec's envelope (a top-level "$weft" key) is enveloped itself.
  if (needsEnvelope(value)) return { text: inlineText(JSON.parse(text)), lossy: w.lossy };
  return { text, lossy: w.lossy };
}

/**
 * How one run's journal values are encoded (domain/value-codec.ts): the codec's options, its state
 * across the run's values, the blobs encoded but not yet handed to a write, and the run's size budget.
 */
export interface RunCodec {
  opts: CodecOptions;
  state: CodecState;
  /** Blobs to write with the next journal row (the first row that can reference them). */
  pending: StoredBlob[];
  /** Blob bytes the run holds, and the most it may (null: no budget). */
  used: number;
  budget: number | null;
}

/**
 * encodeChecked for journal values: a value that reaches the codec's inline size (or must be
 * enveloped) is stored by content, its new blobs queued on `codec.pending`; every other value is plain
 * JSON exactly as before. The budget counts the blob bytes the run stores.
 */
export function encodeForJournal(value: unknown, what: string, maxBytes: number, codec: RunCodec): Encoded {
  if (value === null || typeof value !== 'object' || !(reachesSize(value, codec.opts.inlineMax) || needsEnvelope(value))) {
    return encodeChecked(value, what, maxBytes);
  }
  let r;
  try {
    r = encodeLarge(value, codec.opts, codec.state);
  } catch (err) {
    if (!(err instanceof CodecProblem)) throw err;
    throw new PayloadError(err.kind === 'too-deep' ? 'PAYLOAD_TOO_DEEP' : 'PAYLOAD_NOT_SERIALIZABLE', `${what}: ${err.message}`);
  }
  const added = r.bytes - r.text.length;
  // The limit is on the value, as for plain values, whatever part of it is stored by reference
  // (measured in characters of its JSON: equal to bytes for ASCII, a lower bound otherwise).
  if (r.valueSize > maxBytes) {
    forgetBlobs(codec.state, r.blobs);
    throw new PayloadError('PAYLOAD_TOO_LARGE', `${what} is ${r.valueSize} bytes, over the limit of ${maxBytes}`);
  }
  if (codec.budget !== null && codec.used + added > codec.budget) {
    forgetBlobs(codec.state, r.blobs);
    throw new PayloadError(
      'RUN_BUDGET_EXCEEDED',
      `${what} would bring the run's stored values to ${codec.used + added} bytes, over its budget of ${codec.budget} (maxRunBytes)`,
    );
  }
  codec.used += added;
  for (const b of r.blobs) codec.pending.push(b);
  return { text: r.text, lossy: r.lossy };
}

/** encodeChecked, for values that are stored but not passed on: the JSON text only. */
export function encode(value: unknown, what: string, maxBytes: number): string | null {
  return encodeChecked(value, what, maxBytes).text;
}

/**
 * Dates survive the journal: a value JSON would turn a Date into a string (a step output, resume data)
 * is stored with each Date as `{ "__weft_date": "<ISO time>" }` and read back as a Date, so the next
 * step, a resume and a replay after a crash all see a Date (a schema such as `z.date()` accepts it, as
 * it does in Mastra, where values never leave memory). Everything else is plain JSON. (An object whose
 * only key is `__weft_date` reads back as a Date.)
 */
const DATE_KEY = '__weft_date';
const DATE_MARK = `"${DATE_KEY}"`;

/** encodeChecked, with Dates tagged (see above); `lossy` stays true when something else changes. */
export function encodeKeepingDates(value: unknown, what: string, maxBytes: number): Encoded {
  const checked = encodeChecked(value, what, maxBytes);
  if (!checked.lossy || checked.text === null || !containsDate(value, 0)) return checked;
  const tagged = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    return this[key] instanceof Date && typeof v === 'string' ? { [DATE_KEY]: v } : v;
  });
  if (tagged.length * 3 > maxBytes && Buffer.byteLength(tagged) > maxBytes) {
    throw new PayloadError('PAYLOAD_TOO_LARGE', `${what} is ${Buffer.byteLength(tagged)} bytes, over the limit of ${maxBytes}`);
  }
  return { text: tagged, lossy: true };
}

/**
 * The value with each Date replaced by its tag (`{ "__weft_date": "<ISO time>" }`, null for an invalid
 * Date, as JSON has it), for encoders that do not tag Dates themselves (the journal's value codec). Only
 * the arrays and plain objects on the way to a Date are copied; without a Date the value itself comes
 * back, so an encoder's identity memo keeps working. Objects with their own toJSON are left to it.
 */
export function tagDates(v: unknown, depth = 0): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : { [DATE_KEY]: v.toISOString() };
  if (v === null || typeof v !== 'object' || depth > MAX_JSON_DEPTH) return v;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return v;
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const t = tagDates(v[i], depth + 1);
      if (t !== v[i]) (out ??= v.slice())[i] = t;
    }
    return out ?? v;
  }
  let out: Record<string, unknown> | null = null;
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const t = tagDates(o[key], depth + 1);
    if (t !== o[key]) (out ??= { ...o })[key] = t;
  }
  return out ?? v;
}

/** Whether a Date is anywhere in the value (only walked for values already known to be lossy). */
function containsDate(v: unknown, depth: number): boolean {
  if (v instanceof Date) return true;
  if (v === null || typeof v !== 'object' || depth > MAX_JSON_DEPTH) return false;
  if (Array.isArray(v)) return v.some((item) => containsDate(item, depth + 1));
  for (const key in v as Record<string, unknown>) if (containsDate((v as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

export function encodeResumeData(value: unknown, what: string, maxBytes: number): string | null {
  return encodeKeepingDates(value, what, maxBytes).text;
}

/** Decodes stored JSON and revives its tagged Dates; text without a tag is parsed once, untouched. */
export function decodeKeepingDates(text: string | null | undefined): unknown {
  const v = decode(text);
  return text && text.includes(DATE_MARK) ? reviveDates(v) : v;
}

/** decodeForView, with tagged Dates revived (views show a Date where the step produced one). */
export function decodeViewKeepingDates(text: string | null | undefined): unknown {
  const v = decodeForView(text);
  return text && text.includes(DATE_MARK) ? reviveDates(v) : v;
}

/** Resume data as decoded from the journal, with its Dates back (see encodeResumeData). */
export function reviveDates(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    v.forEach((item, i) => {
      const r = reviveDates(item);
      if (r !== item) (out ??= [...v])[i] = r;
    });
    return out ?? v;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === DATE_KEY && typeof o[DATE_KEY] === 'string') return new Date(o[DATE_KEY]);
  let out: Record<string, unknown> | null = null;
  for (const k of keys) {
    const r = reviveDates(o[k]);
    if (r !== o[k]) (out ??= { ...o })[k] = r;
  }
  return out ?? v;
}

export function decode(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  return decodeStored(text);
}

/** Decodes a stored journal value; a row that is not JSON fails the run with a clear RUN_CORRUPT error. */
export function decodeRow(text: string | null | undefined, runId: string, path: string, field: string): unknown {
  if (text === null || text === undefined) return undefined;
  try {
    return decodeStored(text);
  } catch (err) {
    throw new CorruptRunError(`the journal row "${path}" (${field}) of run "${runId}" is not valid JSON; the run cannot be replayed`, { cause: err });
  }
}

/** Decodes for display: unreadable stored values are shown as a marker instead of failing the read. */
export function decodeForView(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  try {
    return decodeStored(text);
  } catch {
    return { unreadable: true, text: text.slice(0, 200) };
  }
}
