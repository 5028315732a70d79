import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { loadMigrations } from '../../src/store/shared/migration-files.js';
import { migrateSqlite } from '../../src/store/sqlite/migrations.js';
import { openDatabase } from '../../src/store/sqlite/open.js';
import { sqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { storeContract } from './contract.js';
import { T0, entry, newRun } from './contract-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'weft-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const freshPath = (): string => join(root, `db-${++n}`, 'weft.db');

storeContract('sqlite', async () => {
  const path = freshPath();
  return { store: sqliteStore({ path }), cleanup: async () => rmSync(join(path, '..'), { recursive: true, force: true }) };
});

storeContract('sqlite (synchronous=FULL)', async () => {
  const path = freshPath();
  return {
    store: sqliteStore({ path, synchronous: 'FULL', busyTimeoutMs: 1_000 }),
    cleanup: async () => rmSync(join(path, '..'), { recursive: true, force: true }),
  };
});

function schemaDump(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
      .all();
  } finally {
    db.close();
  }
}

describe('sqlite store', () => {
  it('fences a write whose cached epoch another connection moved (PRAGMA data_version)', async () => {
    const path = freshPath();
    const a = sqliteStore({ path });
    const b = sqliteStore({ path });
    const { run } = await a.createRun(newRun({ status: 'running', owner: 'w1', leaseExpiresAt: T0 + 60_000 }));
    // a caches the run's epoch while writing
    expect((await a.write([{ type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 's1') }])).fenced).toEqual([]);
    // another connection takes the run over: the epoch moves
    const claimed = await b.claimRun(run.runId, { owner: 'w2', leaseMs: 60_000, now: T0 + 120_000 });
    expect(claimed?.run.leaseEpoch).toBe(run.leaseEpoch + 1);
    // a's next write under the old epoch is rejected, and nothing of it lands
    const out = await a.write([
      { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 's2') },
      { type: 'run', runId: run.runId, epoch: run.leaseEpoch, now: T0 + 120_001, patch: { status: 'success', release: true } },
    ]);
    expect(out.fenced).toEqual([run.runId]);
    expect((await b.loadJournal(run.runId)).map((e) => e.path)).toEqual(['s1']);
    expect((await b.loadRun(run.runId))?.status).toBe('running');
    // the new owner writes under the new epoch
    expect((await b.write([{ type: 'journal', epoch: run.leaseEpoch + 1, entry: entry(run.runId, 's2') }])).fenced).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('creates the parent directory, uses WAL and the chosen synchronous level', async () => {
    const path = join(root, 'nested', 'deeper', 'weft.db');
    const store = sqliteStore({ path, synchronous: 'FULL' });
    await store.open();
    await store.createRun(newRun());
    await store.close();
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    // synchronous and busy_timeout are per connection: check the store's connection setup directly.
    const full = openDatabase({ path, synchronous: 'FULL', busyTimeoutMs: 1234 });
    expect(full.pragma('synchronous', { simple: true })).toBe(2);
    expect(full.pragma('busy_timeout', { simple: true })).toBe(1234);
    full.close();
    const normal = openDatabase({ path });
    expect(normal.pragma('synchronous', { simple: true })).toBe(1);
    expect(normal.pragma('journal_mode', { simple: true })).toBe('wal');
    normal.close();
  });

  it('keeps data across close and reopen', async () => {
    const path = freshPath();
    const a = sqliteStore({ path });
    const { run } = await a.createRun(newRun({ runId: 'keep-me' }));
    await a.write([{ type: 'journal', epoch: run.leaseEpoch, entry: entry('keep-me', 'step-1') }]);
    await a.close();
    const b = sqliteStore({ path });
    await b.open();
    expect(await b.loadRun('keep-me')).toEqual(run);
    expect((await b.loadJournal('keep-me')).map((e) => e.path)).toEqual(['step-1']);
    // seq keeps increasing after a reopen.
    await b.write([{ type: 'journal', epoch: run.leaseEpoch, entry: entry('keep-me', 'step-2') }]);
    const rows = await b.loadJournal('keep-me');
    expect(rows.map((e) => e.path)).toEqual(['step-1', 'step-2']);
    await b.close();
  });

  it('rejects a file that is not SQLite with a clear StoreError', async () => {
    const path = join(root, 'not-a-db.db');
    writeFileSync(path, 'this is definitely not a sqlite database, just some text\n'.repeat(100));
    const store = sqliteStore({ path });
    const err = await store.open().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code: 'STORE_CORRUPT', retryable: false });
    expect((err as Error).message).toMatch(/not a SQLite database/);
    expect((err as Error).message).toContain(path);
    // Other calls fail the same way instead of crashing.
    await expect(store.loadRun('x')).rejects.toBeInstanceOf(StoreError);
  });

  it('throws STORE_CLOSED after close until reopened', async () => {
    const store = sqliteStore({ path: freshPath() });
    await store.open();
    await store.close();
    await expect(store.loadRun('x')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await store.open();
    expect(await store.loadRun('x')).toBeNull();
    await store.close();
  });

  it('rejects bad options when the store is created', () => {
    expect(() => sqliteStore({ path: 'x', synchronous: 'OFF' as 'FULL' })).toThrow(/synchronous must be/);
    expect(() => sqliteStore({ path: 'x', busyTimeoutMs: -1 })).toThrow(StoreError);
    expect(() => sqliteStore({} as { path: string })).toThrow(/path is required/);
  });

  it('two stores on one file see each other and never claim the same run', async () => {
    const path = freshPath();
    const a = sqliteStore({ path });
    const b = sqliteStore({ path });
    await Promise.all([a.open(), b.open()]);
    for (let i = 0; i < 20; i++) await a.createRun(newRun({ now: T0 + i }));
    const opts = { leaseMs: 10_000, now: T0 + 100, limit: 7, workflowIds: ['wf-a'] };
    const seen = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const [ca, cb] = await Promise.all([a.claimRuns({ ...opts, owner: 'a' }), b.claimRuns({ ...opts, owner: 'b' })]);
      for (const c of [...ca, ...cb]) {
        expect(seen.has(c.run.runId)).toBe(false);
        seen.add(c.run.runId);
      }
    }
    expect(seen.size).toBe(20);
    await Promise.all([a.close(), b.close()]);
  });

  it('several processes claiming from one file never take the same run', async () => {
    const path = freshPath();
    const seed = sqliteStore({ path });
    const total = 400;
    for (let i = 0; i < total; i++) await seed.createRun(newRun({ runId: `mp-${i}`, now: T0 + i }));
    await seed.close();
    const script = fileURLToPath(new URL('./fixtures/sqlite-claimer.ts', import.meta.url));
    const viteNode = fileURLToPath(new URL('../../node_modules/.bin/vite-node', import.meta.url));
    const owners = ['p1', 'p2', 'p3'];
    const barrier = `${path}.go`;
    const running = Promise.all(
      owners.map((owner) => promisify(execFile)(viteNode, [script, path, owner, barrier], { timeout: 60_000 })),
    );
    const deadline = Date.now() + 50_000;
    while (!owners.every((o) => existsSync(`${barrier}.${o}`)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    writeFileSync(barrier, '');
    const outputs = await running;
    const byOwner = outputs.map((o) => JSON.parse(o.stdout.trim().split('\n').pop() ?? '[]') as string[]);
    const all = byOwner.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(total);
    const check = sqliteStore({ path });
    for (const [i, ids] of byOwner.entries()) {
      for (const id of ids.slice(0, 10)) {
        expect((await check.loadJournal(id)).map((e) => e.output)).toEqual([JSON.stringify(owners[i])]);
      }
    }
    await check.close();
  }, 120_000);

  describe('migrations', () => {
    it('records applied versions and is idempotent', () => {
      const path = freshPath();
      const all = loadMigrations('sqlite').map((m) => m.version);
      expect(migrateSqlite(path).applied).toEqual(all);
      expect(migrateSqlite(path).applied).toEqual([]);
      const db = new Database(path, { readonly: true });
      expect(db.prepare('SELECT version FROM weft_migrations ORDER BY version').pluck().all()).toEqual(all);
      db.close();
    });

    it('a database migrated one version at a time equals one migrated at once', () => {
      const stepwise = freshPath();
      const atOnce = freshPath();
      for (const m of loadMigrations('sqlite')) expect(migrateSqlite(stepwise, { to: m.version }).applied).toEqual([m.version]);
      migrateSqlite(atOnce);
      expect(schemaDump(stepwise)).toEqual(schemaDump(atOnce));
      // The first migration then all the rest, as an upgrade from the oldest release would do.
      const upgraded = freshPath();
      migrateSqlite(upgraded, { to: 1 });
      migrateSqlite(upgraded);
      expect(schemaDump(upgraded)).toEqual(schemaDump(atOnce));
    });

    it('refuses a database migrated by a newer weft', async () => {
      const path = freshPath();
      migrateSqlite(path);
      const db = new Database(path);
      db.prepare('INSERT INTO weft_migrations (version, name, applied_at) VALUES (9999, ?, 0)').run('future');
      db.close();
      await expect(sqliteStore({ path }).open()).rejects.toMatchObject({ code: 'STORE_VERSION' });
    });

    it('two stores opening a new file at once both succeed', async () => {
      const path = freshPath();
      const stores = Array.from({ length: 4 }, () => sqliteStore({ path }));
      await Promise.all(stores.map((s) => s.open()));
      await Promise.all(stores.map((s) => s.close()));
    });
  });
});
