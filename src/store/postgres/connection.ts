import type pg from 'pg';
import { loadPg, pgDriver } from './driver.js';
import { StoreError } from '../../errors.js';
import { mapPgError } from './errors.js';
import type { PostgresStoreOptions } from './options.js';

export type { PostgresStoreOptions } from './options.js';

/** The caller's pool as the `pg.Pool` it is (options.ts types it structurally to keep pg out of the public types). */
export function callerPool(opts: PostgresStoreOptions): pg.Pool | undefined {
  return opts.pool as pg.Pool | undefined;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

/** The store's session settings, validated when the store is created. */
export interface SessionSettings {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

export function checkSessionSettings(opts: PostgresStoreOptions): SessionSettings {
  const ms = (v: number | undefined, fallback: number, name: string): number => {
    const n = v ?? fallback;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 2_147_483_647) {
      throw new StoreError(`postgresStore: ${name} must be a non-negative integer number of milliseconds`, { code: 'STORE_CONFIG' });
    }
    return n;
  };
  return {
    lockTimeoutMs: ms(opts.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, 'lockTimeoutMs'),
    statementTimeoutMs: ms(opts.statementTimeoutMs, DEFAULT_STATEMENT_TIMEOUT_MS, 'statementTimeoutMs'),
  };
}

export const DEFAULT_SCHEMA = 'weft';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema name is spliced into SQL text, so only plain lower-case identifiers are accepted. */
export function checkSchema(schema: string | undefined): string {
  const s = schema ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(s)) {
    throw new StoreError(
      `postgresStore: schema must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters), got "${s}"`,
      { code: 'STORE_CONFIG' },
    );
  }
  return s;
}

const INT8_OID = 20;

/**
 * BIGINT columns (epoch-ms timestamps, epochs, seq) come back as numbers instead of strings. Passed per
 * query so a caller's pool keeps its own global parsers.
 */
export const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (v: string) => Number(v)
      : pgDriver().types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export type Queryable = pg.Pool | pg.PoolClient;

/** A query with the store's type parsers; `name` makes pg prepare the statement once per connection. */
export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  db: Queryable,
  text: string,
  values: unknown[] = [],
  name?: string,
): Promise<pg.QueryResult<R>> {
  return db.query<R>({ text, values, types: pgTypes, ...(name ? { name } : {}) });
}

/** A pool of the store's own (loads the driver first, see driver.ts). */
export async function createPool(connectionString: string | undefined, settings?: SessionSettings): Promise<pg.Pool> {
  const pgm = await loadPg();
  const s = settings ?? { lockTimeoutMs: DEFAULT_LOCK_TIMEOUT_MS, statementTimeoutMs: DEFAULT_STATEMENT_TIMEOUT_MS };
  const pool = new pgm.Pool({
    ...(connectionString ? { connectionString } : {}),
    // Fail (retryably) instead of hanging forever when the server cannot be reached.
    connectionTimeoutMillis: 10_000,
    // jit=off: the store's statements are short index lookups; once a table is big their estimated cost
    // passes jit_above_cost and compiling them took longer (100-300 ms) than running them.
    // lock_timeout/statement_timeout: a session holding one of weft's rows (or a runaway statement)
    // must turn into a retryable error for that call, not freeze the worker behind it.
    options: `-c jit=off -c lock_timeout=${s.lockTimeoutMs} -c statement_timeout=${s.statementTimeoutMs}`,
  });
  return pool;
}

/**
 * Runs fn inside a transaction on one pooled client. A client whose connection failed is destroyed
 * rather than returned to the pool.
 */
export async function transaction<T>(pool: pg.Pool, what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw mapPgError(err, what);
  }
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    }
    throw mapPgError(err, what);
  } finally {
    client.release(broken);
  }
}
