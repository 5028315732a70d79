import { PayloadError, WeftError } from '../errors.js';

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
