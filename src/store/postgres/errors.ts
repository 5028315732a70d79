import { StoreError, WeftError } from '../../errors.js';

/**
 * SQLSTATE codes after which the same call can succeed if tried again: the server went away or is
 * restarting (57P0x, class 08), the transaction lost a serialization or deadlock race (40001, 40P01),
 * or the server is out of connection slots (53300).
 */
const RETRYABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '53300']);

/**
 * A statement gave up waiting: lock_timeout (55P03, lock_not_available) or statement_timeout (57014,
 * query_canceled). Retryable: the lock or the load is usually gone on the next try.
 */
const TIMEOUT_SQLSTATES = new Set(['55P03', '57014']);

/**
 * The server is out of disk space (disk_full, 53100). Retryable with STORE_FULL: space may come back (a
 * cleanup, a bigger volume), and the engine's store retry backs off meanwhile.
 */
const FULL_SQLSTATES = new Set(['53100']);


/** Node socket errors seen when the server is down, restarting or unreachable. */
const RETRYABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** pg reports some connection failures as plain Errors with no code. */
const RETRYABLE_MESSAGES =
  /connection terminated|connection timeout|timeout exceeded when trying to connect|connection error|not queryable|connection ended|server closed the connection/i;

function codesOf(err: unknown): string[] {
  const out: string[] = [];
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string') out.push(code);
  // Node reports a refused connection to a host with several addresses as an AggregateError.
  const inner = (err as { errors?: unknown })?.errors;
  if (Array.isArray(inner)) for (const e of inner) out.push(...codesOf(e));
  return out;
}

export function isRetryablePgError(err: unknown): boolean {
  for (const code of codesOf(err)) {
    if (RETRYABLE_SQLSTATES.has(code) || TIMEOUT_SQLSTATES.has(code) || RETRYABLE_NODE_CODES.has(code) || /^08/.test(code)) return true;
  }
  const message = err instanceof Error ? err.message : '';
  return RETRYABLE_MESSAGES.test(message);
}

/** What a SQLSTATE class means, for messages that must not carry the server's own text. */
const SQLSTATE_CLASSES: Record<string, string> = {
  '22': 'the database refused a value (data exception)',
  '23': 'the database refused the change (constraint violation)',
  '25': 'the transaction was in a state that does not allow this',
  '42': "the statement does not fit the database's schema or the role's rights",
  '53': 'the database server ran out of a resource',
  '54': 'the statement exceeded a database limit',
  XX: 'the database reported an internal error',
};

/**
 * Driver errors become StoreErrors here; weft's own errors pass through untouched.
 *
 * Messages are weft's own words plus the SQLSTATE (or the socket error code): a StoreError can reach an
 * HTTP 500 body, and the server's text may carry values, table and constraint names, host names. The
 * driver's error stays available as `cause` for logs.
 */
export function mapPgError(err: unknown, context?: string): Error {
  if (err instanceof WeftError) return err;
  const codes = codesOf(err);
  const code = codes[0];
  const tag = code ? ` (${code})` : '';
  const prefix = context ? `${context}: ` : '';
  if (codes.some((c) => TIMEOUT_SQLSTATES.has(c))) {
    const what = codes.includes('55P03') ? 'waiting for a lock held by another session' : 'running longer than statement_timeout';
    return new StoreError(`${prefix}PostgreSQL gave up ${what}${tag}`, { cause: err, code: 'STORE_TIMEOUT', retryable: true });
  }
  if (codes.some((c) => FULL_SQLSTATES.has(c))) {
    return new StoreError(`${prefix}the database server is out of disk space${tag}`, { cause: err, code: 'STORE_FULL', retryable: true });
  }
  if (isRetryablePgError(err)) {
    return new StoreError(`${prefix}PostgreSQL is unavailable${tag}`, { cause: err, code: 'STORE_UNAVAILABLE', retryable: true });
  }
  const message = err instanceof Error ? err.message : '';
  if (/after calling end on the pool/i.test(message)) {
    return new StoreError(`${prefix}the PostgreSQL pool was closed`, { cause: err, code: 'STORE_CLOSED' });
  }
  if (code === '3D000') return new StoreError(`${prefix}the PostgreSQL database does not exist${tag}`, { cause: err, code: 'STORE_UNAVAILABLE' });
  if (code === '28P01' || code === '28000') {
    return new StoreError(`${prefix}PostgreSQL refused the connection's credentials${tag}`, { cause: err, code: 'STORE_UNAVAILABLE' });
  }
  if (code === '42501') return new StoreError(`${prefix}the PostgreSQL role lacks a permission${tag}`, { cause: err, code: 'STORE_UNAVAILABLE' });
  const what = (code && SQLSTATE_CLASSES[code.slice(0, 2)]) ?? (code ? 'the database failed' : 'the PostgreSQL driver failed');
  return new StoreError(`${prefix}${what}${tag}`, { cause: err });
}
