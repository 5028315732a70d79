import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { StoreError, WeftError } from '../../errors.js';
import type { SqliteStoreOptions } from './options.js';
import { NORMAL_AUTOCHECKPOINT_PAGES } from './wal-space.js';

export type SqliteDb = Database.Database;

export type { SqliteStoreOptions } from './options.js';

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * The driver, loaded when the first database is opened rather than by `import 'weft'` (its dozen CommonJS
 * modules are a good part of the import time; a program that never opens a SQLite file never loads them).
 */
let driver: typeof Database | undefined;
function sqliteDriver(): typeof Database {
  driver ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return driver;
}

/** Validates options up front, so a typo fails when the store is created rather than on first use. */
export function checkOptions(opts: SqliteStoreOptions): Required<Omit<SqliteStoreOptions, 'path'>> {
  if (!opts || typeof opts.path !== 'string') {
    throw new StoreError('sqliteStore: a path is required', { code: 'STORE_CONFIG' });
  }
  const synchronous = opts.synchronous ?? 'NORMAL';
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new StoreError(`sqliteStore: synchronous must be 'NORMAL' or 'FULL', got ${String(synchronous)}`, {
      code: 'STORE_CONFIG',
    });
  }
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (typeof busyTimeoutMs !== 'number' || !Number.isFinite(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new StoreError(`sqliteStore: busyTimeoutMs must be a non-negative number of milliseconds`, {
      code: 'STORE_CONFIG',
    });
  }
  return { synchronous, busyTimeoutMs };
}

export function isMemoryPath(path: string): boolean {
  return path === ':memory:' || path === '' || path.startsWith('file:');
}

/**
 * Opens one connection and sets it up: WAL (readers never block the writer), the chosen synchronous
 * level and a busy timeout. Reading the journal mode is also the first real read of the file, so a file
 * that is not SQLite fails here with a clear error instead of on some later query.
 */
export function openDatabase(opts: SqliteStoreOptions): SqliteDb {
  const { synchronous, busyTimeoutMs } = checkOptions(opts);
  const memory = isMemoryPath(opts.path);
  const path = memory ? opts.path : resolve(opts.path);
  if (!memory) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw mapSqliteError(err, `cannot create the directory for ${path}`);
    }
  }
  let db: SqliteDb | undefined;
  try {
    const Driver = sqliteDriver();
    db = new Driver(path, { timeout: busyTimeoutMs });
    db.pragma(`busy_timeout = ${Math.floor(busyTimeoutMs)}`);
    if (!memory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') {
        throw new StoreError(`could not switch ${path} to WAL mode (journal_mode is ${String(mode)})`, {
          code: 'STORE_ERROR',
        });
      }
    }
    db.pragma(`synchronous = ${synchronous}`);
    // Checkpoint every ~64 MiB of WAL instead of SQLite's 4 MiB default: under NORMAL a checkpoint is
    // where the fsync happens, so fewer checkpoints buy 10-25% more journal rows/s. The size limit
    // truncates the WAL back after a checkpoint so it does not stay large. A full disk switches to a
    // small autocheckpoint until space is back (wal-space.ts).
    db.pragma(`wal_autocheckpoint = ${NORMAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma('journal_size_limit = 67108864');
    db.pragma('foreign_keys = OFF');
    return db;
  } catch (err) {
    try {
      db?.close();
    } catch {
      // The handle is unusable anyway.
    }
    throw mapSqliteError(err, `cannot open SQLite database ${path}`);
  }
}

/**
 * Driver errors become StoreErrors here; weft's own errors pass through untouched. Messages are weft's
 * words plus SQLite's (or the OS's) error code, never the driver's text, which can reach an HTTP 500
 * body; the driver's error stays available as `cause` for logs.
 */
export function mapSqliteError(err: unknown, context?: string): Error {
  if (err instanceof WeftError) return err;
  const code = (err as { code?: unknown })?.code;
  const prefix = context ? `${context}: ` : '';
  if (typeof code === 'string') {
    const tag = ` (${code})`;
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
      return new StoreError(`${prefix}the file is not a SQLite database or is corrupt${tag}`, { cause: err, code: 'STORE_CORRUPT' });
    }
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      return new StoreError(`${prefix}the database is locked by another connection${tag}`, { cause: err, code: 'STORE_BUSY', retryable: true });
    }
    if (code === 'SQLITE_FULL') {
      // Retryable: space may come back (a cleanup, a bigger volume); the engine backs off meanwhile and
      // the store gives the WAL's space back (wal-space.ts).
      return new StoreError(`${prefix}the disk is full${tag}`, { cause: err, code: 'STORE_FULL', retryable: true });
    }
    if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM') {
      return new StoreError(`${prefix}the database file cannot be opened or written${tag}`, { cause: err, code: 'STORE_UNAVAILABLE' });
    }
    if (code.startsWith('SQLITE_IOERR')) {
      return new StoreError(`${prefix}I/O error${tag}`, { cause: err, code: 'STORE_IO', retryable: true });
    }
    if (code === 'EACCES' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EEXIST') {
      return new StoreError(`${prefix}the path cannot be used${tag}`, { cause: err, code: 'STORE_UNAVAILABLE' });
    }
    if (code.startsWith('SQLITE_')) return new StoreError(`${prefix}SQLite failed${tag}`, { cause: err });
  }
  return new StoreError(`${prefix}the SQLite store failed`, { cause: err });
}
