import { describe, expect, it } from 'vitest';
import {
  decodeStored,
  encodeLarge,
  expandStored,
  inlineText,
  isEnvelope,
  newCodecState,
  reachesSize,
  type CodecOptions,
  type StoredBlob,
} from '../../src/domain/value-codec.js';

/** A small seeded PRNG (mulberry32) so a failing case can be reproduced from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['a', 'b', '$weft', '$$weft', '$$$weft', '$weftx', '__proto__', 'c', '', '0', '12', 'msg', 'v', '$'];

function randomJson(r: () => number, depth: number, shared: unknown[]): unknown {
  const pick = r();
  if (depth > 4 || pick < 0.35) {
    const p = r();
    if (p < 0.2) return null;
    if (p < 0.35) return r() < 0.5;
    if (p < 0.55) return Math.floor(r() * 2e6) - 1e6 + (r() < 0.3 ? r() : 0);
    const len = r() < 0.05 ? 300 + Math.floor(r() * 700) : Math.floor(r() * 20);
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(r() < 0.95 ? 32 + Math.floor(r() * 90) : Math.floor(r() * 0xd7ff));
    return s;
  }
  if (shared.length > 0 && r() < 0.15) return shared[Math.floor(r() * shared.length)];
  let out: unknown;
  if (pick < 0.65) {
    // Long arrays (cut into parts) only near the top, so values stay small enough to test by hundreds.
    const n = depth < 2 && r() < 0.2 ? 20 + Math.floor(r() * 120) : Math.floor(r() * 6);
    out = Array.from({ length: n }, () => randomJson(r, depth + 1, shared));
  } else {
    const o: Record<string, unknown> = {};
    const n = Math.floor(r() * 6);
    for (let i = 0; i < n; i++) {
      const k = KEYS[Math.floor(r() * KEYS.length)]!;
      Object.defineProperty(o, k, { value: randomJson(r, depth + 1, shared), enumerable: true, writable: true, configurable: true });
    }
    out = o;
  }
  if (r() < 0.3) shared.push(out);
  return out;
}

/** What JSON itself gives back: the value a round trip must equal exactly. */
function viaJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

const OPTS: CodecOptions = { inlineMax: 256, chunk: 8, maxDepth: 256 };

function roundTrip(value: unknown, opts: CodecOptions, state = newCodecState(), store = new Map<string, string>()): unknown {
  const enc = encodeLarge(value, opts, state);
  for (const b of enc.blobs) store.set(b.hash, b.data);
  return decodeStored(enc.text, (h) => store.get(h));
}

describe('value codec', () => {
  it('round-trips random JSON exactly, with shared sub-values, reserved keys and long arrays', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed);
      const value = randomJson(r, 0, []);
      const expected = viaJson(value);
      expect(roundTrip(value, OPTS), `seed ${seed}`).toEqual(expected);
      // Key order and "__proto__" as an own key survive too (toEqual does not see either).
      expect(JSON.stringify(roundTrip(value, OPTS)), `seed ${seed}`).toBe(JSON.stringify(expected));
      expect(Object.getPrototypeOf(roundTrip({ x: value }, OPTS))).toBe(Object.prototype);
    }
  });

  it('round-trips a value that is appended to and edited in place across many encodes with one state', () => {
    const r = rng(7);
    const state = newCodecState();
    const store = new Map<string, string>();
    const messages: Record<string, unknown>[] = [];
    for (let turn = 0; turn < 300; turn++) {
      messages.push({ role: turn % 2 ? 'user' : 'assistant', text: 'x'.repeat(200 + Math.floor(r() * 200)), turn });
      // In-place edits of earlier objects must be seen, however deep (the memo is verified, not trusted).
      if (turn % 17 === 0 && turn > 0) messages[Math.floor(r() * turn)]!.text = `edited ${turn}`;
      if (turn % 23 === 0) messages[0]!.meta = { deep: { n: turn } };
      if (turn % 29 === 0) (messages[0]!.meta as { deep: { n: number } }).deep.n = -turn;
      const value = { messages: [...messages], turn };
      expect(roundTrip(value, OPTS, state, store), `turn ${turn}`).toEqual(viaJson(value));
    }
  });

  it('writes bounded bytes per append of a growing array (no re-writing of earlier elements)', () => {
    const state = newCodecState();
    const messages: unknown[] = [];
    const perTurn: number[] = [];
    for (let turn = 0; turn < 1200; turn++) {
      messages.push({ role: 'user', text: `${turn} ${'y'.repeat(1000)}` });
      const enc = encodeLarge({ messages: [...messages] }, { inlineMax: 1024, chunk: 64, maxDepth: 256 }, state);
      perTurn.push(enc.bytes);
    }
    // One message (~1 KB), the last part of each level (64 refs, ~3.5 KB) and the row: bounded, not growing.
    const late = Math.max(...perTurn.slice(600));
    expect(late).toBeLessThan(8_000);
    expect(Math.max(...perTurn.slice(100, 200))).toBeGreaterThan(1000);
  });

  it('envelopes a top-level $weft key so plain JSON is never taken for codec data', () => {
    const v = { $weft: 1, v: 2 };
    const text = inlineText(v);
    expect(isEnvelope(text)).toBe(true);
    expect(decodeStored(text)).toEqual(v);
    expect(decodeStored(inlineText({ $$weft: 'a', k: { $weft: 'b' } }))).toEqual({ $$weft: 'a', k: { $weft: 'b' } });
    expect(inlineText({ a: { $weft: 'x' } })).toBe('{"a":{"$weft":"x"}}');
  });

  it('expands stored text to inline text any reader can decode', () => {
    const big = { list: Array.from({ length: 100 }, (_, i) => ({ i, s: 'z'.repeat(50) })) };
    const enc = encodeLarge(big, OPTS);
    expect(enc.blobs.length).toBeGreaterThan(1);
    const blobs = new Map(enc.blobs.map((b: StoredBlob) => [b.hash, b.data]));
    expect(JSON.parse(expandStored(enc.text, (h) => blobs.get(h)))).toEqual(big);
    expect(() => decodeStored(enc.text)).toThrow(/missing/);
  });

  it('refuses what JSON cannot carry, naming where', () => {
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => encodeLarge(cyc, OPTS)).toThrow(/circular/);
    expect(() => encodeLarge({ a: [1, () => 1] }, OPTS)).toThrow(/a\[1\]/);
    expect(() => encodeLarge({ m: new Map() }, OPTS)).toThrow(/Map/);
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(() => encodeLarge(deep, OPTS)).toThrow(/deeper/);
    const lossy = encodeLarge({ d: new Date(0), n: NaN, u: undefined }, OPTS);
    expect(lossy.lossy).toBe(true);
    expect(decodeStored(lossy.text)).toEqual({ d: '1970-01-01T00:00:00.000Z', n: null });
  });

  it('sizes values only as far as the threshold', () => {
    expect(reachesSize({ n: 1 }, 1024)).toBe(false);
    expect(reachesSize({ s: 'x'.repeat(2000) }, 1024)).toBe(true);
    expect(reachesSize(Array.from({ length: 1e6 }, () => 1), 1024)).toBe(true);
  });
});

describe('value codec sizes', () => {
  it('reports the plain JSON size of the value, memo hits included', () => {
    const state = newCodecState();
    const list = Array.from({ length: 300 }, (_, i) => ({ i, s: `é${'q'.repeat(40)}` }));
    for (let round = 0; round < 2; round++) {
      const v = { list: [...list], n: round };
      expect(encodeLarge(v, OPTS, state).valueSize).toBe(JSON.stringify(v).length);
    }
  });
});
