import type pg from 'pg';
import { pendingMigrations } from '../shared/migration-files.js';
import { callerPool, checkSchema, checkSessionSettings, createPool, transaction } from './connection.js';
import type { PostgresStoreOptions } from './options.js';
import { mapPgError } from './errors.js';
import { loadPg } from './driver.js';

export interface PgMigrateOptions {
  /** Stop after this version (tests apply migrations one at a time). Default: all. */
  to?: number;
}

/**
 * Applies pending migrations to one schema in a single transaction. A transaction-scoped advisory lock
 * keyed by the schema name serialises processes that start at once; PostgreSQL DDL is transactional,
 * so a failed migration leaves nothing behind. Migration files use unqualified names and run with
 * search_path set to the schema.
 *
 * @internal Not part of the published types, which must not import pg.
 */
export async function migrateSchema(pool: pg.Pool, schema: string, opts: PgMigrateOptions = {}): Promise<number[]> {
  const s = checkSchema(schema);
  return transaction(pool, 'migrating the PostgreSQL schema failed', async (c) => {
    // No lock or statement timeout here: a migration may wait for another process's migration (the
    // advisory lock) and may rebuild indexes of big tables; failing it half-way helps nobody.
    await c.query('SET LOCAL lock_timeout = 0; SET LOCAL statement_timeout = 0');
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`weft:migrate:${s}`]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS "${s}"`);
    await c.query(`SET LOCAL search_path TO "${s}"`);
    await c.query(`CREATE TABLE IF NOT EXISTS "${s}".weft_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at BIGINT NOT NULL
    )`);
    const { rows } = await c.query<{ version: number }>(`SELECT version FROM "${s}".weft_migrations`);
    const pending = pendingMigrations(
      'postgres',
      rows.map((r) => r.version),
      opts.to,
    );
    for (const m of pending) {
      await c.query(m.sql);
      await c.query(`INSERT INTO "${s}".weft_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [
        m.version,
        m.name,
        Date.now(),
      ]);
    }
    return pending.map((m) => m.version);
  });
}

/** Migrates a schema without keeping a store open (the `weft migrate` command). */
export async function migratePostgres(
  opts: PostgresStoreOptions & PgMigrateOptions = {},
): Promise<{ applied: number[] }> {
  const schema = checkSchema(opts.schema);
  await loadPg();
  const pool = callerPool(opts) ?? (await createPool(opts.connectionString, checkSessionSettings(opts)));
  const onError = (): void => {};
  if (!opts.pool) pool.on('error', onError);
  try {
    return { applied: await migrateSchema(pool, schema, opts) };
  } catch (err) {
    throw mapPgError(err, 'migrating the PostgreSQL schema failed');
  } finally {
    if (!opts.pool) await pool.end().catch(() => {});
  }
}
