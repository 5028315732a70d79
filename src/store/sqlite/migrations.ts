import { pendingMigrations } from '../shared/migration-files.js';
import { mapSqliteError, openDatabase, type SqliteDb } from './open.js';

export interface MigrateOptions {
  /** Stop after this version (tests apply migrations one at a time). Default: all. */
  to?: number;
}

/**
 * Applies pending migrations in one IMMEDIATE transaction: the write lock is taken before the applied
 * versions are read, so two processes starting at once apply each migration exactly once.
 *
 * @internal Not part of the published types, which must not import better-sqlite3.
 */
export function migrateDatabase(db: SqliteDb, opts: MigrateOptions = {}): number[] {
  try {
    return db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS weft_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at INTEGER NOT NULL
      )`);
      const applied = db.prepare('SELECT version FROM weft_migrations').pluck().all() as number[];
      const pending = pendingMigrations('sqlite', applied, opts.to);
      const record = db.prepare('INSERT INTO weft_migrations (version, name, applied_at) VALUES (?, ?, ?)');
      for (const m of pending) {
        db.exec(m.sql);
        record.run(m.version, m.name, Date.now());
      }
      return pending.map((m) => m.version);
    }).immediate();
  } catch (err) {
    throw mapSqliteError(err, 'migrating the SQLite database failed');
  }
}

/** Migrates a database file without keeping a store open (the `weft migrate` command). */
export function migrateSqlite(path: string, opts: MigrateOptions = {}): { applied: number[] } {
  const db = openDatabase({ path });
  try {
    return { applied: migrateDatabase(db, opts) };
  } finally {
    db.close();
  }
}
