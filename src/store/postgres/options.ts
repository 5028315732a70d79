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
}
