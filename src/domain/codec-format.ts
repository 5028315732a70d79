import { createHash } from 'node:crypto';

/**
 * The stored form of values, shared by value-encoder.ts and value-decoder.ts: how large JSON values are
 * stored so that a value that grows a little each step (an agent's conversation) costs what it gained,
 * not its whole size, every time it is written.
 *
 * Stored text is either plain JSON (every small value: the hot path is unchanged) or an envelope
 * `{"$weft":1,"v":<node>}`. Inside an envelope a node is JSON where an object with a `$weft` key is
 * the codec's own:
 * - `{"$weft":"<hash>"}`: a sub-value stored once as a blob of the run, keyed by the sha256 of its
 *   encoded text (base64url). A sub-value whose encoded text reaches `inlineMax` characters is a blob.
 * - `{"$weft":"a","c":[<node>,...]}`: an array cut into parts at fixed element boundaries (`chunk`
 *   elements per part, parts grouped `chunk` per level above that): appending to an array rewrites
 *   only its last part at each level, so the bytes written per append stay bounded.
 * User keys of the reserved family (`$weft`, `$$weft`, ...) get one more `$` inside an envelope, so any
 * JSON value round-trips exactly; a top-level object with a `$weft` key is always enveloped.
 */

export interface StoredBlob {
  hash: string;
  data: string;
}

export const ENVELOPE_PREFIX = '{"$weft":';

/** `{"$weft":"<43 characters>"}` */
export const REF_LENGTH = 55;

/** Keys that belong to the codec or must be escaped: `$weft`, `$$weft`, ... */
export function reserved(k: string): boolean {
  if (k.length < 5 || k.charCodeAt(0) !== 36) return false;
  let i = 0;
  while (k.charCodeAt(i) === 36) i++;
  return i >= 1 && k.length - i === 4 && k.endsWith('weft');
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** The hash a node references when it is a blob reference, else null. */
export function refHash(enc: string): string | null {
  return enc.length === REF_LENGTH && enc.startsWith(ENVELOPE_PREFIX) ? enc.slice(10, -2) : null;
}

export function refOf(hash: string): string {
  return `{"$weft":"${hash}"}`;
}

/** Whether stored text is an envelope (needs the codec, and maybe the run's blobs, to decode). */
export function isEnvelope(text: string): boolean {
  return text.startsWith(ENVELOPE_PREFIX);
}

/** Whether plain JSON text of this value would be mistaken for an envelope (top-level `$weft` key). */
export function needsEnvelope(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, '$weft');
}

/** The blob hashes stored text references directly (blobs reference others: see blobRefs). */
export function blobRefs(text: string): string[] {
  const out: string[] = [];
  const re = /\{"\$weft":"([A-Za-z0-9_-]{43})"\}/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[1]!);
  return out;
}
