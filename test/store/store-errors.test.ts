import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { mapPgError } from '../../src/store/postgres/errors.js';
import { mapSqliteError } from '../../src/store/sqlite/open.js';
import { sqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { newRun } from './contract-helpers.js';

/**
 * StoreError messages can reach an HTTP 500 body: they are weft's words and the driver's error code,
 * never the driver's text (values, names, paths); that text stays in `cause`.
 */
const SECRET = 'secret-value-42';
const pgError = (code: string, message = `value "${SECRET}" is out of range`) => Object.assign(new Error(message), { code });

describe('store error messages carry no driver text', () => {
  it('PostgreSQL: every mapping keeps the server text in cause only', () => {
    for (const code of ['22003', '23505', '42P01', '57P01', '55P03', '57014', '53100', '3D000', '28P01', '42501', 'XX000', 'ECONNREFUSED']) {
      const mapped = mapPgError(pgError(code), 'listRuns');
      expect(mapped).toBeInstanceOf(StoreError);
      expect(mapped.message).not.toContain(SECRET);
      expect(mapped.message).toContain(code);
      expect(mapped.message.startsWith('listRuns: ')).toBe(true);
      expect((mapped.cause as Error).message).toContain(SECRET);
    }
    expect(mapPgError(new Error(`Connection terminated unexpectedly ${SECRET}`)).message).not.toContain(SECRET);
    expect(mapPgError(new Error(SECRET)).message).toBe('the PostgreSQL driver failed');
  });

  it('a full disk is a retryable STORE_FULL on both databases', () => {
    expect(mapPgError(pgError('53100'))).toMatchObject({ code: 'STORE_FULL', retryable: true });
    expect(mapSqliteError(pgError('SQLITE_FULL'))).toMatchObject({ code: 'STORE_FULL', retryable: true });
  });

  it('SQLite: every mapping keeps the driver text in cause only', () => {
    for (const code of ['SQLITE_CONSTRAINT_CHECK', 'SQLITE_ERROR', 'SQLITE_BUSY', 'SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN', 'EACCES']) {
      const mapped = mapSqliteError(pgError(code), 'write');
      expect(mapped.message).not.toContain(SECRET);
      expect(mapped.message).toContain(code);
    }
  });

  const dir = mkdtempSync(join(tmpdir(), 'weft-errors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SQLite: a refusal by the database (a trigger) reaches the caller without its text', async () => {
    const path = join(dir, 'weft.db');
    const store = sqliteStore({ path });
    await store.open();
    const db = new Database(path);
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON runs WHEN NEW.id = 'poison' BEGIN SELECT RAISE(ABORT, '${SECRET}'); END`);
    db.close();
    const err = await store.createRun(newRun({ runId: 'poison' })).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect(err?.message).toBe('createRun: SQLite failed (SQLITE_CONSTRAINT_TRIGGER)');
    expect(String((err?.cause as Error).message)).toContain(SECRET);
    await store.close();
  });
});
