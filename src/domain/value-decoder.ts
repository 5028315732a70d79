import { isEnvelope, needsEnvelope, reserved } from './codec-format.js';
import { encodeLarge, type CodecOptions } from './value-encoder.js';

/** Decoding stored text (plain JSON or an envelope, codec-format.ts) back to values, blob references resolved. */

/** Where a decoder finds a blob's text; undefined when the run has no such blob (corrupt). */
export type BlobSource = (hash: string) => string | undefined;

export class MissingBlobError extends Error {
  constructor(readonly hash: string) {
    super(`blob ${hash} is missing`);
  }
}

function setKey(out: Record<string, unknown>, k: string, v: unknown): void {
  // "__proto__" from JSON is an own key like any other; assignment would set the prototype instead.
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

function decodeNode(n: unknown, blobs: BlobSource): unknown {
  if (n === null || typeof n !== 'object') return n;
  if (Array.isArray(n)) return n.map((x) => decodeNode(x, blobs));
  const o = n as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(o, '$weft')) {
    const tag = o.$weft;
    if (tag === 'a') {
      const out: unknown[] = [];
      for (const part of o.c as unknown[]) {
        const items = decodeNode(part, blobs) as unknown[];
        for (const item of items) out.push(item);
      }
      return out;
    }
    const hash = tag as string;
    const data = blobs(hash);
    if (data === undefined) throw new MissingBlobError(hash);
    return decodeNode(JSON.parse(data), blobs);
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) setKey(out, reserved(k) ? k.slice(1) : k, decodeNode(o[k], blobs));
  return out;
}

const noBlobs: BlobSource = () => undefined;

/** Decodes stored text (plain JSON or an envelope) to a fresh value. Throws on bad JSON or a missing blob. */
export function decodeStored(text: string, blobs: BlobSource = noBlobs): unknown {
  if (!isEnvelope(text)) return JSON.parse(text);
  const env = JSON.parse(text) as { v?: unknown };
  return decodeNode(env.v, blobs);
}

/** Plain JSON for a value decoded from the store, enveloped only when a top-level `$weft` key needs it. */
export function inlineText(value: unknown): string {
  if (!needsEnvelope(value)) return JSON.stringify(value);
  const opts: CodecOptions = { inlineMax: Infinity, chunk: Infinity, maxDepth: Infinity };
  return encodeLarge(value, opts).text;
}

/**
 * Stored text with every blob reference resolved: what a reader without the run's blobs can decode
 * (plain JSON, or an inline envelope). Plain text is returned as is.
 */
export function expandStored(text: string, blobs: BlobSource): string {
  if (!isEnvelope(text)) return text;
  return inlineText(decodeStored(text, blobs));
}
