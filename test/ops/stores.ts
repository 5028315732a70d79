import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach } from 'vitest';
import { memoryStore, postgresStore, sqliteStore, Weft, type Store, type WeftOptions } from '../../src/index.js';
import { PG_URL, schemaFactory } from '../store/pg-helpers.js';

/**
 * Store factories for the day-2 operations tests (issue 18.8-11): each `make()` is fresh data, and each
 * `shared()` of it opens another store on that same data (a second process's view, for takeovers).
 */
export interface StoreCase {
  name: 'memory' | 'sqlite' | 'postgres';
  make: () => { shared: () => Store };
}

export function storeCases(tag: string): { cases: StoreCase[]; engine: (store: Store, opts: WeftOptions) => Weft } {
  const dirs: string[] = [];
  const wefts: Weft[] = [];
  const schemas = schemaFactory(tag);
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  afterEach(async () => {
    await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 200 })));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  afterAll(async () => {
    await schemas.dropAll(admin);
    await admin.end();
  });
  const cases: StoreCase[] = [
    {
      name: 'memory',
      make: () => {
        const store = memoryStore();
        return { shared: () => store };
      },
    },
    {
      name: 'sqlite',
      make: () => {
        const dir = mkdtempSync(join(tmpdir(), `weft-${tag}-`));
        dirs.push(dir);
        return { shared: () => sqliteStore({ path: join(dir, 'weft.db') }) };
      },
    },
    {
      name: 'postgres',
      make: () => {
        const schema = schemas.next();
        return { shared: () => postgresStore({ connectionString: PG_URL, schema }) };
      },
    },
  ];
  const engine = (store: Store, opts: WeftOptions): Weft => {
    const weft = new Weft({ store, ...opts });
    wefts.push(weft);
    return weft;
  };
  return { cases, engine };
}
