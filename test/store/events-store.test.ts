import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/store/memory/memory-store.js';
import { postgresStore } from '../../src/store/postgres/postgres-store.js';
import { sqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JournalEntry, NewEvent, Store } from '../../src/store/types.js';
import { decodeMeta, deliveredMeta, encodeMeta } from '../../src/domain/journal-meta.js';
import { LEASE_MS, T0, entry, newRun, runIn } from './contract-helpers.js';
import { PG_URL, schemaFactory } from './pg-helpers.js';

/** The store side of events, the same on every store: waits, sends, early events, fencing, races. */
const dir = mkdtempSync(join(tmpdir(), 'weft-evstore-'));
const schemas = schemaFactory('evs');
const admin = new pg.Pool({ connectionString: PG_URL });
let n = 0;
const stores: Record<string, () => Store> = {
  memory: () => memoryStore(),
  sqlite: () => sqliteStore({ path: join(dir, `s-${++n}.db`) }),
  postgres: () => postgresStore({ connectionString: PG_URL, schema: schemas.next() }),
};
afterAll(async () => {
  await schemas.dropAll(admin);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

const waitRow = (runId: string, path: string, key: string | null): JournalEntry =>
  entry(runId, path, { status: 'waiting', output: null, endedAt: null, meta: encodeMeta({ wait: { events: ['paid'], key, deadline: null, onTimeout: 'continue' } }) });
const ev = (over: Partial<NewEvent> = {}): NewEvent => ({ id: `e-${++n}`, name: 'paid', key: null, runId: null, data: '{"amount":1}', now: T0 + 10, ...over });

describe.each(Object.keys(stores))('events in the %s store', (kind) => {
  const open = async () => {
    const s = stores[kind]!();
    await s.open();
    return s;
  };

  it('a wait is registered under the lease; a send delivers it once, makes the run pending and fences its owner', async () => {
    const s = await open();
    try {
      const run = await runIn(s, 'running', { owner: 'w1' });
      expect(await s.registerWait!({ runId: run.runId, epoch: run.leaseEpoch + 1, entry: waitRow(run.runId, 'w', 'k1'), names: ['paid'], key: 'k1', since: T0, now: T0 })).toEqual({ fenced: true });
      expect(await s.registerWait!({ runId: run.runId, epoch: run.leaseEpoch, entry: waitRow(run.runId, 'w', 'k1'), names: ['paid'], key: 'k1', since: T0, now: T0 })).toEqual({ fenced: false, event: null });
      expect((await s.sendEvent!({ event: ev({ key: 'other' }) })).delivered).toEqual([]);
      const e = ev({ key: 'k1' });
      expect(await s.sendEvent!({ event: e })).toEqual({ created: true, delivered: [{ runId: run.runId, workflowId: run.workflowId }], started: [] });
      const after = await s.loadRun(run.runId);
      expect(after).toMatchObject({ status: 'pending', owner: null, leaseEpoch: run.leaseEpoch + 1 });
      const row = (await s.loadJournal(run.runId)).find((r) => r.path === 'w')!;
      expect(row.status).toBe('resumed');
      expect(decodeMeta(row.meta).event).toMatchObject({ id: e.id, name: 'paid', key: 'k1', data: { amount: 1 } });
      // The old owner's writes are fenced.
      const out = await s.write([{ type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { status: 'waiting' }, now: T0 + 20 }]);
      expect(out.fenced).toEqual([run.runId]);
      // The same id again stores and delivers nothing.
      expect(await s.sendEvent!({ event: { ...e, now: T0 + 30 } })).toEqual({ created: false, delivered: [], started: [] });
      expect(await s.loadEvent!(e.id)).toMatchObject({ id: e.id, key: 'k1', createdAt: T0 + 10 });
    } finally {
      await s.close();
    }
  });

  it('an event sent earlier is taken when a run reaches its wait (within the window, once per run)', async () => {
    const s = await open();
    try {
      const old = ev({ key: 'k', now: T0 - 5000 });
      const e = ev({ key: 'k', now: T0 + 5 });
      await s.sendEvent!({ event: old });
      await s.sendEvent!({ event: e });
      const run = await runIn(s, 'running', { owner: 'w1' });
      const req = (path: string) => ({ runId: run.runId, epoch: run.leaseEpoch, entry: waitRow(run.runId, path, 'k'), names: ['paid'], key: 'k', since: T0 - 1000, now: T0 + 50 });
      const got = await s.registerWait!(req('a'));
      expect(got).toMatchObject({ fenced: false, event: { id: e.id, data: '{"amount":1}' } });
      expect((await s.loadJournal(run.runId)).find((r) => r.path === 'a')!.status).toBe('resumed');
      // A second wait of the same run does not get the same event again (and the old one is outside the window).
      expect(await s.registerWait!(req('b'))).toEqual({ fenced: false, event: null });
      // Another run with the same key gets it too: events go to every run that waits for them.
      const other = await runIn(s, 'running', { owner: 'w2' });
      expect(await s.registerWait!({ ...req('a'), runId: other.runId, epoch: other.leaseEpoch, entry: waitRow(other.runId, 'a', 'k') })).toMatchObject({ event: { id: e.id } });
    } finally {
      await s.close();
    }
  });

  it('stale waits (the row timed out, the run ended) are dropped, not delivered; an event sent to one run reaches it whatever the key', async () => {
    const s = await open();
    try {
      const timedOut = await runIn(s, 'running', { owner: 'w1' });
      await s.registerWait!({ runId: timedOut.runId, epoch: timedOut.leaseEpoch, entry: waitRow(timedOut.runId, 'w', null), names: ['paid'], key: null, since: T0, now: T0 });
      await s.write([{ type: 'journal', epoch: timedOut.leaseEpoch, entry: { ...waitRow(timedOut.runId, 'w', null), status: 'resumed', meta: encodeMeta({ timedOut: true }) } }]);
      const canceled = await runIn(s, 'running', { owner: 'w1' });
      await s.registerWait!({ runId: canceled.runId, epoch: canceled.leaseEpoch, entry: waitRow(canceled.runId, 'w', null), names: ['paid'], key: null, since: T0, now: T0 });
      await s.cancelRun(canceled.runId, T0 + 1);
      const targeted = await runIn(s, 'running', { owner: 'w1' });
      await s.registerWait!({ runId: targeted.runId, epoch: targeted.leaseEpoch, entry: waitRow(targeted.runId, 'w', 'zz'), names: ['paid'], key: 'zz', since: T0, now: T0 });
      expect((await s.sendEvent!({ event: ev() })).delivered).toEqual([]);
      expect((await s.loadJournal(timedOut.runId))[0]!.meta).toBe(encodeMeta({ timedOut: true }));
      // An event sent to one run reaches that run whatever its wait's key.
      expect((await s.sendEvent!({ event: ev({ runId: targeted.runId }) })).delivered.map((d) => d.runId)).toEqual([targeted.runId]);
    } finally {
      await s.close();
    }
  });

  it('triggered runs are created with the event, and only when the event is new', async () => {
    const s = await open();
    try {
      const run = newRun({ runId: 'event:wf:x1' });
      expect(await s.sendEvent!({ event: ev({ id: 'x1' }), startRuns: [run] })).toMatchObject({ created: true, started: ['event:wf:x1'] });
      expect(await s.sendEvent!({ event: ev({ id: 'x1' }), startRuns: [run] })).toMatchObject({ created: false, started: [] });
      expect((await s.loadRun('event:wf:x1'))?.status).toBe('pending');
    } finally {
      await s.close();
    }
  });

  it("a delivered row's meta keeps what it had and records the event exactly (quotes, unicode, no data, no key)", async () => {
    const s = await open();
    try {
      const cases: Partial<NewEvent>[] = [
        { data: JSON.stringify({ text: 'a "quoted" \\ back\u2028slash é \u0001', n: [1.5, -2e-7, null], deep: { x: true } }) },
        { data: null },
        { data: '"just a string"', name: 'paid', key: null },
      ];
      for (const c of cases) {
        const run = await runIn(s, 'running', { owner: 'w1' });
        const row = { ...waitRow(run.runId, 'w', null), meta: encodeMeta({ wait: { events: ['paid'], key: null, deadline: null, onTimeout: 'continue' }, attempts: [] } as never) };
        await s.registerWait!({ runId: run.runId, epoch: run.leaseEpoch, entry: row, names: ['paid'], key: null, since: T0, now: T0 });
        const e = ev({ runId: run.runId, ...c });
        expect((await s.sendEvent!({ event: e })).delivered).toEqual([{ runId: run.runId, workflowId: run.workflowId }]);
        const stored = (await s.loadJournal(run.runId)).find((r) => r.path === 'w')!;
        const storedEvent = { id: e.id, name: e.name, key: e.key, data: e.data };
        expect(decodeMeta(stored.meta)).toEqual(decodeMeta(deliveredMeta(row.meta, storedEvent, e.now)));
      }
    } finally {
      await s.close();
    }
  });

  it('a wait and a send racing on the same key: exactly one of them delivers, never neither, never both', async () => {
    const s = await open();
    try {
      for (let i = 0; i < 40; i++) {
        const run = await runIn(s, 'running', { owner: 'w', leaseExpiresAt: T0 + LEASE_MS });
        const key = `race-${i}`;
        const [w, sent] = await Promise.all([
          s.registerWait!({ runId: run.runId, epoch: run.leaseEpoch, entry: waitRow(run.runId, 'w', key), names: ['paid'], key, since: T0, now: T0 + 20 }),
          s.sendEvent!({ event: ev({ key }) }),
        ]);
        const byWait = !w.fenced && w.event !== null;
        const bySend = sent.delivered.length === 1;
        expect(byWait !== bySend).toBe(true);
        expect((await s.loadJournal(run.runId))[0]!.status).toBe('resumed');
      }
    } finally {
      await s.close();
    }
  });
});
