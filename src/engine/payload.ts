import { PayloadError } from '../errors.js';

export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

function rejectNonJson(this: unknown, key: string, value: unknown): unknown {
  const t = typeof value;
  if (t === 'function' || t === 'symbol') {
    throw new PayloadError('PAYLOAD_NOT_SERIALIZABLE', `a ${t} at key "${key}" is not JSON-serialisable`);
  }
  return value;
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
    text = JSON.stringify(value, rejectNonJson);
  } catch (err) {
    if (err instanceof PayloadError) throw new PayloadError(err.code as 'PAYLOAD_NOT_SERIALIZABLE', `${what}: ${err.message}`);
    const reason = err instanceof Error ? err.message : String(err);
    throw new PayloadError('PAYLOAD_NOT_SERIALIZABLE', `${what} is not JSON-serialisable: ${reason}`);
  }
  if (text === undefined) return null;
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
