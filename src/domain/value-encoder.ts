import { ENVELOPE_PREFIX, REF_LENGTH, hashText, refHash, refOf, reserved, type StoredBlob } from './codec-format.js';

/**
 * Encoding values to their stored form (codec-format.ts): blobs, array parts, and the caches that keep
 * the encoding of a growing value cheap.
 */

/** What the encoder remembers about a plain object or array it encoded (see CodecState.memo). */
interface MemoEntry {
  keys: string[] | null;
  vals: unknown[];
  encs: string[];
  /** JSON sizes of the children as plain text (before any became a blob reference), and of the node. */
  sizes: number[];
  size: number;
  enc: string;
  /** The blob `enc` references, when the node is one (checked to be stored before it is reused). */
  hash: string | null;
}

/**
 * State an encoder keeps across the values of one run: which blobs the store already has (or has been
 * sent in a write that commits before any later one), and what it encoded last time for each object,
 * so the unchanged parts of a growing value are neither re-serialized nor re-hashed.
 */
export interface CodecState {
  known: Set<string>;
  memo: WeakMap<object, MemoEntry>;
  /** Encoded text of array parts to their node (a cut array's unchanged parts are not hashed again). */
  parts: Map<string, string>;
  /**
   * The last arrays cut into parts (newest first): an array that grew by appending has the same first
   * parts, found by comparing element encodings instead of building and looking up each part's text.
   */
  cuts: { encs: string[]; parts: string[] }[];
  /**
   * Content caches for values that are equal but not the same objects (a schema's parse copies every
   * object on each step): blob text to its hash (no sha256 again), and long strings to their JSON (no
   * escaping again; a string's hash is cached on the string, so a lookup with the same string is O(1)).
   */
  hashes: Map<string, string>;
  strings: Map<string, string>;
}

export function newCodecState(): CodecState {
  return { known: new Set(), memo: new WeakMap(), parts: new Map(), cuts: [], hashes: new Map(), strings: new Map() };
}

/** Entries each content cache holds before it starts over (bounds its memory). */
const CACHE_CAP = 8192;

/** Strings at least this long are remembered with their JSON. */
const LONG_STRING = 128;

const RECENT_CUTS = 4;

export interface CodecOptions {
  /** Sub-values whose encoded text reaches this many characters are stored as blobs. */
  inlineMax: number;
  /** Elements per array part (and parts per level above). */
  chunk: number;
  /** Deepest nesting accepted. */
  maxDepth: number;
}

export interface EncodedText {
  text: string;
  /** Blobs this text references that the state did not know yet (they must be written with it). */
  blobs: StoredBlob[];
  /** Encoded data size: the text plus every blob it references that was new (for budgets). */
  bytes: number;
  /** True when decoding gives a different value than the one encoded (Date, NaN, undefined...). */
  lossy: boolean;
  /** About how many characters the value takes as one plain JSON text (what a size limit applies to). */
  valueSize: number;
}

/** Why a value cannot be encoded; the caller maps it to its own error (code + where). */
export class CodecProblem extends Error {
  constructor(
    readonly kind: 'not-serializable' | 'too-deep',
    message: string,
  ) {
    super(message);
  }
}

const PARTS_CAP = 4096;

function plainProto(v: object): boolean {
  const p: unknown = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

const OPAQUE: [new (...args: never[]) => object, string][] = [
  [Map, 'a Map'],
  [Set, 'a Set'],
  [WeakMap, 'a WeakMap'],
  [WeakSet, 'a WeakSet'],
  [Promise, 'a Promise'],
];

class Encoder {
  readonly blobs: StoredBlob[] = [];
  bytes = 0;
  /** The plain JSON size of the node last encoded (what the value would take as one text). */
  size = 0;
  lossy = false;
  private readonly stack = new Set<object>();
  /** Keys and indexes from the top to the node being encoded (a path is spelled only for errors). */
  private readonly at: (string | number)[] = [];

  constructor(
    private readonly o: CodecOptions,
    private readonly s: CodecState,
  ) {}

  private where(): string {
    let path = '';
    for (const k of this.at) path += typeof k === 'number' ? `[${k}]` : path ? `.${k}` : k;
    return path ? `at key "${path}"` : 'at the top level';
  }

  private blob(text: string): string {
    const hashes = this.s.hashes;
    let hash = hashes.get(text);
    if (hash === undefined) {
      hash = hashText(text);
      if (hashes.size >= CACHE_CAP) hashes.clear();
      hashes.set(text, hash);
    }
    if (!this.s.known.has(hash)) {
      this.s.known.add(hash);
      this.blobs.push({ hash, data: text });
      this.bytes += text.length;
    }
    return refOf(hash);
  }

  private longString(v: string): string {
    const strings = this.s.strings;
    let text = strings.get(v);
    if (text === undefined) {
      text = JSON.stringify(v);
      if (strings.size >= CACHE_CAP) strings.clear();
      strings.set(v, text);
    }
    return text;
  }

  /** Inline text, or a blob reference when it is large (never for the top node, which is the row). */
  private sized(text: string, top: boolean): string {
    return !top && text.length >= this.o.inlineMax ? this.blob(text) : text;
  }

  /** The encoded node of `v`, or undefined when JSON drops it (undefined, in an object). */
  node(v: unknown, depth: number, top: boolean): string | undefined {
    switch (typeof v) {
      case 'string': {
        // A long string is a leaf that cannot be cut: it goes out of the row whole.
        const text = v.length < LONG_STRING ? JSON.stringify(v) : this.longString(v);
        this.size = text.length;
        return this.sized(text, top);
      }
      case 'number':
        if (!Number.isFinite(v)) {
          this.lossy = true;
          this.size = 4;
          return 'null';
        }
        this.size = String(v).length;
        return String(v);
      case 'boolean':
        this.size = v ? 4 : 5;
        return v ? 'true' : 'false';
      case 'undefined':
        this.lossy = true;
        return undefined;
      case 'bigint':
        throw new CodecProblem('not-serializable', `a bigint ${this.where()} is not JSON-serialisable`);
      case 'function':
      case 'symbol':
        throw new CodecProblem('not-serializable', `a ${typeof v} ${this.where()} is not JSON-serialisable`);
    }
    if (v === null) {
      this.size = 4;
      return 'null';
    }
    const obj = v as object;
    if (depth >= this.o.maxDepth) throw new CodecProblem('too-deep', `a value nested deeper than ${this.o.maxDepth} levels ${this.where()}; flatten it`);
    if (this.stack.has(obj)) throw new CodecProblem('not-serializable', `a circular reference ${this.where()} is not JSON-serialisable`);
    const isArray = Array.isArray(obj);
    if (!isArray) {
      const toJSON = (obj as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        this.lossy = true;
        this.stack.add(obj);
        try {
          const key = this.at.length ? String(this.at[this.at.length - 1]) : '';
          const out = this.node((toJSON as (k: string) => unknown).call(obj, key), depth, top);
          if (out === undefined) this.size = 4;
          return out === undefined ? 'null' : out;
        } finally {
          this.stack.delete(obj);
        }
      }
      if (!plainProto(obj)) {
        for (const [cls, name] of OPAQUE) if (obj instanceof cls) throw new CodecProblem('not-serializable', `${name} ${this.where()} is not JSON-serialisable`);
        this.lossy = true;
        return this.object(obj as Record<string, unknown>, depth, top, false);
      }
    }
    this.stack.add(obj);
    try {
      return isArray ? this.array(obj as unknown[], depth, top) : this.object(obj as Record<string, unknown>, depth, top, true);
    } finally {
      this.stack.delete(obj);
    }
  }

  /** The child encodings, reusing a memo entry's for children that did not change. */
  private child(v: unknown, old: MemoEntry | undefined, i: number, depth: number): string | undefined {
    // An unchanged primitive keeps its encoding (a long string is not escaped and hashed again); a
    // blob reference is reused only while the blob is known to be stored.
    if (old !== undefined && i < old.vals.length && old.vals[i] === v && v !== undefined && (v === null || typeof v !== 'object')) {
      const enc = old.encs[i]!;
      if (this.reusable(enc)) {
        this.size = old.sizes[i]!;
        return enc;
      }
    }
    return this.node(v, depth + 1, false);
  }

  /**
   * Whether a remembered object is unchanged: the same keys in the same order and every child encoding
   * the same (children are visited, so a change however deep is seen). Allocates nothing when it is.
   */
  private unchanged(o: Record<string, unknown>, old: MemoEntry, depth: number): boolean {
    if (old.hash !== null && !this.s.known.has(old.hash)) return false;
    const ks = old.keys!;
    let i = 0;
    for (const k in o) {
      if (i >= ks.length || ks[i] !== k) return false;
      this.at.push(k);
      const enc = this.child(o[k], old, i, depth) ?? '';
      this.at.pop();
      if (enc !== old.encs[i]) return false;
      i++;
    }
    return i === ks.length;
  }

  private object(o: Record<string, unknown>, depth: number, top: boolean, memo: boolean): string {
    const old = memo && !top ? this.s.memo.get(o) : undefined;
    if (old !== undefined && old.keys !== null && this.unchanged(o, old, depth)) {
      this.size = old.size;
      return old.enc;
    }
    const keys = Object.keys(o);
    const n = keys.length;
    const encs: string[] = new Array(n);
    const sizes: number[] = new Array(n);
    let size = 2;
    let same = old !== undefined && old.keys !== null && old.keys.length === n;
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      this.at.push(k);
      const enc = this.child(o[k], old, i, depth) ?? '';
      this.at.pop();
      encs[i] = enc;
      sizes[i] = enc === '' ? 0 : this.size;
      if (enc !== '') size += k.length + 4 + this.size;
      if (same && (old!.keys![i] !== k || old!.encs[i] !== enc)) same = false;
    }
    // `"k":v` per key and a comma between two.
    if (size > 2) size -= 1;
    this.size = size;
    // Unchanged (verified child by child, however deep): its encoding and blob stand as they were.
    if (same && !top && this.reusable(old!.enc)) return old!.enc;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      if (encs[i] !== '') parts.push(`${JSON.stringify(reserved(k) ? `$${k}` : k)}:${encs[i]}`);
    }
    const enc = this.sized(`{${parts.join(',')}}`, top);
    if (memo && !top) this.s.memo.set(o, { keys, vals: keys.map((k) => o[k]), encs, sizes, size, enc, hash: refHash(enc) });
    return enc;
  }

  private array(a: unknown[], depth: number, top: boolean): string {
    const old = this.s.memo.get(a);
    const n = a.length;
    const vals: unknown[] = new Array(n);
    const encs: string[] = new Array(n);
    const sizes: number[] = new Array(n);
    let size = 2;
    let same = old !== undefined && old.keys === null && old.vals.length === n;
    let length = 2;
    for (let i = 0; i < n; i++) {
      const v = a[i];
      vals[i] = v;
      this.at.push(i);
      let enc = this.child(v, old, i, depth);
      this.at.pop();
      if (enc === undefined) {
        enc = 'null';
        this.size = 4;
      }
      encs[i] = enc;
      sizes[i] = this.size;
      size += this.size + 1;
      length += enc.length + 1;
      if (same && old!.encs[i] !== enc) same = false;
    }
    if (n > 0) size -= 1;
    this.size = size;
    if (same && !top && this.reusable(old!.enc)) return old!.enc;
    let enc: string;
    if (length < this.o.inlineMax || n <= this.o.chunk) enc = this.sized(`[${encs.join(',')}]`, top);
    else enc = this.sized(this.cut(encs), top);
    if (!top) this.s.memo.set(a, { keys: null, vals, encs, sizes, size, enc, hash: refHash(enc) });
    return enc;
  }

  /** A long array as parts of `chunk` elements, grouped `chunk` parts per level until few enough. */
  private cut(encs: string[]): string {
    const c = this.o.chunk;
    let level: string[] = [];
    for (let i = 0; i < encs.length; i += c) level.push(this.samePart(encs, i) ?? this.part(`[${encs.slice(i, i + c).join(',')}]`));
    const cuts = this.s.cuts;
    cuts.unshift({ encs, parts: level.slice() });
    if (cuts.length > RECENT_CUTS) cuts.pop();
    while (level.length > c) {
      const up: string[] = [];
      for (let i = 0; i < level.length; i += c) up.push(this.part(`{"$weft":"a","c":[${level.slice(i, i + c).join(',')}]}`));
      level = up;
    }
    return `{"$weft":"a","c":[${level.join(',')}]}`;
  }

  /** The node of the part starting at `from` when a recent cut had the same elements there. */
  private samePart(encs: string[], from: number): string | undefined {
    const end = from + this.o.chunk;
    next: for (const cut of this.s.cuts) {
      if (cut.encs.length < end || end > encs.length) continue;
      for (let i = from; i < end; i++) if (cut.encs[i] !== encs[i]) continue next;
      const node = cut.parts[from / this.o.chunk]!;
      if (this.reusable(node)) return node;
    }
    return undefined;
  }

  /** A part's node: a blob when large; unchanged parts are found in the state without hashing. */
  private part(text: string): string {
    if (text.length < this.o.inlineMax) return text;
    const cached = this.s.parts.get(text);
    if (cached !== undefined && this.reusable(cached)) return cached;
    const enc = this.blob(text);
    if (this.s.parts.size >= PARTS_CAP) this.s.parts.clear();
    this.s.parts.set(text, enc);
    return enc;
  }

  /** A remembered node can be reused when the blobs it references are known to this state. */
  private reusable(enc: string): boolean {
    if (!enc.startsWith(ENVELOPE_PREFIX)) return true;
    return enc.length === REF_LENGTH && this.s.known.has(enc.slice(10, -2));
  }
}

/**
 * Encodes a value known to be large (or to need the envelope) for storage. `state` carries blobs and
 * memo entries across calls of one run; without it every blob is returned.
 */
export function encodeLarge(value: unknown, opts: CodecOptions, state: CodecState = newCodecState()): EncodedText {
  const e = new Encoder(opts, state);
  let node: string | undefined;
  try {
    node = e.node(value, 0, true);
  } catch (err) {
    forgetBlobs(state, e.blobs);
    throw err;
  }
  const text = `{"$weft":1,"v":${node ?? 'null'}}`;
  return { text, blobs: e.blobs, bytes: e.bytes + text.length, lossy: e.lossy || node === undefined, valueSize: e.size };
}

/** Undoes an encode whose blobs will not be written (its value was refused): they are not stored. */
export function forgetBlobs(state: CodecState, blobs: readonly StoredBlob[]): void {
  for (const b of blobs) state.known.delete(b.hash);
}

/**
 * A rough lower bound on the JSON size of `value`, counted only until it reaches `limit` (so it costs
 * little on small values and stops early on large ones). Used to choose the plain path or the codec.
 */
export function reachesSize(value: unknown, limit: number): boolean {
  return left(value, limit) <= 0;
}

/** The budget left after counting `v` (stops at 0: every level costs, so a cycle or a deep value ends it). */
function left(v: unknown, budget: number): number {
  if (budget <= 0) return budget;
  if (typeof v === 'string') return budget - v.length - 2;
  if (v === null || typeof v !== 'object') return budget - 4;
  budget -= 2;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && budget > 0; i++) budget = left(v[i], budget - 1);
    return budget;
  }
  for (const k in v) {
    budget = left((v as Record<string, unknown>)[k], budget - k.length - 4);
    if (budget <= 0) return budget;
  }
  return budget;
}
