/**
 * The PostgreSQL store's public options. This file imports nothing from `pg` on purpose: it is part of
 * weft's published types, and a type from `pg` here would make every user's compile depend on
 * @types/pg (TS7016 under `skipLibCheck: false`, a silent `any` under `true`).
 */

/**
 * A node-postgres pool (`new pg.Pool(...)`), described by a few of its members so the type needs no
 * @types/pg. weft uses the value as the `pg.Pool` it is: pass a real one.
 */
export interface PgPool {
  connect(): Promise<unknown>;
  query(...args: never[]): unknown;
  end(): Promise<void>;
}

export interface PostgresStoreOptions {
  /** Used to create a pool owned (and ended) by the store. Ignored when `pool` is given. */
  connectionString?: string;
  /** A `pg.Pool` owned by the caller: the store uses it but never ends it. */
  pool?: PgPool;
  /** Schema holding weft's tables, so weft can share a database with the application. Default 'weft'. */
  schema?: string;
  /**
   * How long a statement may wait for a lock (PostgreSQL lock_timeout) before it fails with a retryable
   * STORE_TIMEOUT. Default 5000; 0 waits forever. Applies to pools the store creates (set it on your own
   * pool with `options`). Group-commit writes never wait for a run row another session holds (that run
   * alone is retried later), so this bounds cancels, resumes and retries behind a long transaction.
   */
  lockTimeoutMs?: number;
  /**
   * How long one statement may run (PostgreSQL statement_timeout) before it fails with a retryable
   * STORE_TIMEOUT. Default 30000; 0 means no limit. Migrations and statistics upkeep run without it.
   */
  statementTimeoutMs?: number;
  /**
   * The offset between this process's clock and the database's is measured on open and every minute
   * (Store.clockOffsetMs); above this many ms it is reported once through onError. Default 2000.
   */
  clockSkewWarnMs?: number;
  /** Called with problems found in the background (clock skew). Default: console.warn. */
  onError?: (err: unknown) => void;
}
