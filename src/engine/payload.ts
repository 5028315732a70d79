import { PayloadError, WeftError } from '../errors.js';

export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/**
 * Finds a function or symbol that JSON.stringify would silently drop, and names where it is. A walk
 * followed by a plain stringify is about twice as fast as stringify with a replacer (which turns off
 * V8's fast path), and this runs once per step output. Objects with toJSON (Date, ...) are not entered;
 * cycles are left for stringify to report.
 */
function findNonJson(value: unknown, path: string, depth: number): string | null {
  const t = typeof value;
  if (t === 'function' || t === 'symbol') return path ? `a ${t} at key "${path}"` : `a ${t} at the top level`;
  if (t !== 'object' || value === null || depth > 2000) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findNonJson(value[i], `${path}[${i}]`, depth + 1);
      if (hit) return hit;
    }
    return null;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return null;
  for (const key in value as Record<string, unknown>) {
    const hit = findNonJson((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1);
    if (hit) return hit;
  }
  return null;
}

/**
 * Serialises a value for the store, exactly once per value. Functions, symbols, BigInt and cycles are
 * rejected with a clear error instead of being silently dropped, and the size limit is enforced here so
 * an oversized value fails its own step rather than the database.
 */
export function encode(value: unknown, what: string, maxBytes: number): string | null {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new PayloadError('PAYLOAD_NOT_SERIALIZABLE', `${what} is not JSON-serialisable: ${reason}`);
  }
  if (text === undefined) return null;
  const dropped = findNonJson(value, '', 0);
  if (dropped) throw new PayloadError('PAYLOAD_NOT_SERIALIZABLE', `${what}: ${dropped} is not JSON-serialisable`);
  // String length is a lower bound on UTF-8 bytes; only measure exactly when it could matter.
  if (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) {
    throw new PayloadError('PAYLOAD_TOO_LARGE', `${what} is ${Buffer.byteLength(text)} bytes, over the limit of ${maxBytes}`);
  }
  return text;
}

export function decode(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  return JSON.parse(text);
}

/** Stored data of a run that cannot be read back (a corrupt or hand-edited row). Fails that run alone. */
export class CorruptRunError extends WeftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RUN_CORRUPT', message, options);
  }
}

/** Decodes a stored journal value; a row that is not JSON fails the run with a clear RUN_CORRUPT error. */
export function decodeRow(text: string | null | undefined, runId: string, path: string, field: string): unknown {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CorruptRunError(`the journal row "${path}" (${field}) of run "${runId}" is not valid JSON; the run cannot be replayed`, { cause: err });
  }
}

/** Decodes for display: unreadable stored values are shown as a marker instead of failing the read. */
export function decodeForView(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { unreadable: true, text: text.slice(0, 200) };
  }
}
