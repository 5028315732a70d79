import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { memoryStore } from '../../src/store/memory/memory-store.js';
import { postgresStore } from '../../src/store/postgres/postgres-store.js';
import { sqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JournalEntry, NewEvent, Store } from '../../src/store/types.js';
import { encodeMeta } from '../../src/domain/journal-meta.js';
import { T0, entry, runIn } from './contract-helpers.js';
import { PG_URL, schemaFactory } from './pg-helpers.js';

/**
 * Store.pruneEvents, the same on every store: expired events go, events taken by the run they were sent
 * to go after `consumedBefore`, a token's completion takes its record along, and the rest stays.
 */
const dir = mkdtempSync(join(tmpdir(), 'weft-evprune-'));
const schemas = schemaFactory('evp');
const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
let n = 0;
type Opened = { store: Store; waitRows: () => Promise<number | null> };
const stores: Record<string, () => Opened> = {
  memory: () => ({ store: memoryStore(), waitRows: async () => null }),
  sqlite: () => {
    const path = join(dir, `s-${++n}.db`);
    const waitRows = async () => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS c FROM event_waits').get() as { c: number }).c;
      } finally {
        db.close();
      }
    };
    return { store: sqliteStore({ path }), waitRows };
  },
  postgres: () => {
    const schema = schemas.next();
    const waitRows = async () => Number((await admin.query(`SELECT COUNT(*) AS c FROM "${schema}".event_waits`)).rows[0].c);
    return { store: postgresStore({ connectionString: PG_URL, schema }), waitRows };
  },
};
afterAll(async () => {
  await schemas.dropAll(admin);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;
const waitRow = (runId: string, path: string, key: string | null, name = 'paid'): JournalEntry =>
  entry(runId, path, { status: 'waiting', output: null, endedAt: null, meta: encodeMeta({ wait: { events: [name], key, deadline: null, onTimeout: 'continue' } }) });
const ev = (over: Partial<NewEvent> = {}): NewEvent => ({ id: `e-${++n}`, name: 'paid', key: null, runId: null, data: '{"amount":1}', now: T0, expiresAt: T0 + HOUR, ...over });

describe.each(Object.keys(stores))('event pruning in the %s store', (kind) => {
  const open = async () => {
    const o = stores[kind]!();
    await o.store.open();
    return o;
  };
  const exists = async (s: Store, id: string) => (await s.loadEvent!(id)) !== null;

  it('deletes events past their expiry in batches of `limit`, and keeps the others', async () => {
    const { store: s } = await open();
    try {
      const old = [];
      for (let i = 0; i < 5; i++) old.push(ev({ expiresAt: T0 + HOUR + i }));
      const young = ev({ expiresAt: T0 + 3 * HOUR });
      for (const e of [...old, young]) await s.sendEvent!({ event: e });
      const now = T0 + 2 * HOUR;
      expect(await s.pruneEvents!({ now: T0 + HOUR, consumedBefore: 0, limit: 10 })).toBe(0); // expiry is exclusive
      expect(await s.pruneEvents!({ now, consumedBefore: 0, limit: 2 })).toBe(2);
      expect(await s.pruneEvents!({ now, consumedBefore: 0, limit: 2 })).toBe(2);
      expect(await s.pruneEvents!({ now, consumedBefore: 0, limit: 2 })).toBe(1);
      expect(await s.pruneEvents!({ now, consumedBefore: 0, limit: 2 })).toBe(0);
      for (const e of old) expect(await exists(s, e.id)).toBe(false);
      expect(await exists(s, young.id)).toBe(true);
      // Its id is free again: the same id is a new event now.
      expect((await s.sendEvent!({ event: { ...old[0]!, now: now, expiresAt: now + HOUR } })).created).toBe(true);
      await expect(s.pruneEvents!({ now, consumedBefore: 0, limit: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    } finally {
      await s.close();
    }
  });

  it('an event sent to one run is consumed when that run takes it (at once or when it reaches its wait); an event for every run is not', async () => {
    const { store: s } = await open();
    try {
      const a = await runIn(s, 'running', { owner: 'w1' });
      const b = await runIn(s, 'running', { owner: 'w1' });
      const c = await runIn(s, 'running', { owner: 'w1' });
      await s.registerWait!({ runId: a.runId, epoch: a.leaseEpoch, entry: waitRow(a.runId, 'w', null), names: ['paid'], key: null, since: T0, now: T0 });
      // a takes its event at once; b's arrives before b waits (an early event); c's is never taken.
      const toA = ev({ runId: a.runId, now: T0 + 10, expiresAt: T0 + HOUR });
      const toB = ev({ runId: b.runId, now: T0 + 10, expiresAt: T0 + HOUR });
      const toC = ev({ runId: c.runId, now: T0 + 10, expiresAt: T0 + HOUR });
      expect((await s.sendEvent!({ event: toA })).delivered).toHaveLength(1);
      expect((await s.sendEvent!({ event: toB })).delivered).toEqual([]);
      await s.sendEvent!({ event: toC });
      const tookB = await s.registerWait!({ runId: b.runId, epoch: b.leaseEpoch, entry: waitRow(b.runId, 'w', null), names: ['paid'], key: null, since: T0, now: T0 + 20 });
      expect(tookB).toMatchObject({ event: { id: toB.id } });
      // A broadcast event delivered to a run stays for its window: another run may still reach a wait for it.
      const d = await runIn(s, 'running', { owner: 'w1' });
      await s.registerWait!({ runId: d.runId, epoch: d.leaseEpoch, entry: waitRow(d.runId, 'w', 'k'), names: ['paid'], key: 'k', since: T0, now: T0 });
      const all = ev({ key: 'k', now: T0 + 30, expiresAt: T0 + HOUR });
      expect((await s.sendEvent!({ event: all })).delivered).toHaveLength(1);

      expect(await s.pruneEvents!({ now: T0 + 40, consumedBefore: T0 + 10, limit: 10 })).toBe(0); // consumed at T0 + 10 and + 20: not before
      expect(await s.pruneEvents!({ now: T0 + 40, consumedBefore: T0 + 21, limit: 10 })).toBe(2);
      expect(await exists(s, toA.id)).toBe(false);
      expect(await exists(s, toB.id)).toBe(false);
      expect(await exists(s, toC.id)).toBe(true);
      expect(await exists(s, all.id)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("a token's completion is deleted with the token's record, so the token cannot work again", async () => {
    const { store: s } = await open();
    try {
      const r = await runIn(s, 'running', { owner: 'w1' });
      await s.registerWait!({ runId: r.runId, epoch: r.leaseEpoch, entry: waitRow(r.runId, 'w', null, 'weft.token'), names: ['weft.token'], key: null, since: T0, now: T0 });
      const record = ev({ id: 'token-record:abc', name: 'weft.token.issued', runId: r.runId, data: '{"expiresAt":0}', expiresAt: T0 + 100 * HOUR });
      const other = ev({ id: 'token-record:def', name: 'weft.token.issued', runId: r.runId, data: '{"expiresAt":0}', expiresAt: T0 + 100 * HOUR });
      await s.sendEvent!({ event: record });
      await s.sendEvent!({ event: other });
      expect((await s.sendEvent!({ event: ev({ id: 'token:abc', name: 'weft.token', runId: r.runId, now: T0 + 5 }) })).delivered).toHaveLength(1);
      expect(await s.pruneEvents!({ now: T0 + 10, consumedBefore: T0 + 10, limit: 10 })).toBe(2);
      expect(await exists(s, 'token:abc')).toBe(false);
      expect(await exists(s, 'token-record:abc')).toBe(false);
      expect(await exists(s, 'token-record:def')).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("a deleted run's waits are deleted with it", async () => {
    const { store: s, waitRows } = await open();
    try {
      const r = await runIn(s, 'running', { owner: 'w1' });
      await s.registerWait!({ runId: r.runId, epoch: r.leaseEpoch, entry: waitRow(r.runId, 'w', 'k9'), names: ['paid'], key: 'k9', since: T0, now: T0 });
      if ((await waitRows()) !== null) expect(await waitRows()).toBe(1);
      expect(await s.deleteRun(r.runId)).toBe(true);
      if ((await waitRows()) !== null) expect(await waitRows()).toBe(0);
      // Whatever the store keeps, a send for the deleted run's key reaches nobody.
      expect((await s.sendEvent!({ event: ev({ key: 'k9' }) })).delivered).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
