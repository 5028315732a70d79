import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach } from 'vitest';
import { memoryStore, postgresStore, sqliteStore, type Store, type Weft } from '../../src/index.js';
import { PG_URL, schemaFactory } from '../store/pg-helpers.js';

export interface StoreKinds {
  /** A fresh store of each kind: memory, a new SQLite file, a new PostgreSQL schema. */
  stores: Record<string, () => Store>;
  /** A new SQLite file path in the file's scratch directory. */
  file(): string;
  /** The path `file()` (or the sqlite store) gave last, to reopen it. */
  lastFile(): string;
  /** Engines the tests push here are stopped after each test. */
  wefts: Weft[];
}

/**
 * The set-up of a test file that runs the same tests on every store: its SQLite files and PostgreSQL
 * schemas are made on demand and removed after the file, its engines stopped after each test. Call it
 * at the top level of the file.
 */
export function useStoreKinds(tag: string): StoreKinds {
  const dir = mkdtempSync(join(tmpdir(), `weft-${tag}-`));
  const schemas = schemaFactory(tag);
  const admin = new pg.Pool({ connectionString: PG_URL });
  let files = 0;
  const wefts: Weft[] = [];
  afterEach(async () => {
    await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 500 })));
  });
  afterAll(async () => {
    await schemas.dropAll(admin);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });
  const file = () => join(dir, `${tag}-${++files}.db`);
  return {
    stores: {
      memory: () => memoryStore(),
      sqlite: () => sqliteStore({ path: file() }),
      postgres: () => postgresStore({ connectionString: PG_URL, schema: schemas.next() }),
    },
    file,
    lastFile: () => join(dir, `${tag}-${files}.db`),
    wefts,
  };
}
