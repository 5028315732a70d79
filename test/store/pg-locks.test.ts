import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, postgresStore, Weft } from '../../src/index.js';
import type { Store, WriteOutcome } from '../../src/store/types.js';
import { PG_URL, backendPid, blockedBy, outcome, schemaFactory, waitUntil } from './pg-helpers.js';

/**
 * Another session holding a run's row (SELECT ... FOR UPDATE, a long transaction) must delay that run
 * alone: the worker's other runs keep writing, new starts are acknowledged, and statements that do wait
 * give up after lock_timeout / statement_timeout with a retryable error.
 */
const admin = new pg.Pool({ connectionString: PG_URL, max: 4 });
const schemas = schemaFactory('lck');
afterAll(async () => {
  await schemas.dropAll(admin);
  await admin.end();
});

/** Holds run `runId`'s row locked from another session until `release()`. */
async function lockRow(schema: string, runId: string): Promise<{ pid: number; release: () => Promise<void> }> {
  const c = await admin.connect();
  await c.query('BEGIN');
  await c.query(`SELECT id FROM "${schema}".runs WHERE id = $1 FOR UPDATE`, [runId]);
  const pid = await backendPid(c);
  return {
    pid,
    release: async () => {
      await c.query('COMMIT');
      c.release();
    },
  };
}

const N = z.object({ n: z.number() });

describe('postgres: a run row locked by another session', () => {
  it('delays that run alone: other runs finish and startAsync acknowledges while the lock is held', async () => {
    const schema = schemas.next();
    const gates = new Map<string, { entered: boolean; open: () => void; opened: Promise<void> }>();
    const gate = (runId: string) => {
      let open!: () => void;
      const opened = new Promise<void>((r) => (open = r));
      gates.set(runId, { entered: false, open, opened });
    };
    const first = createStep({
      id: 'first',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, runId }) => {
        const g = gates.get(runId);
        if (g) {
          g.entered = true;
          await g.opened;
        }
        return { n: inputData.n + 1 };
      },
    });
    const second = createStep({ id: 'second', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n * 2 }) });
    const wf = createWorkflow({ id: 'locky', inputSchema: N, outputSchema: N }).then(first).then(second).commit();

    // Watch what the store reports, to know the victim's write was attempted while its row was locked.
    const store = postgresStore({ connectionString: PG_URL, schema });
    const deferred = new Set<string>();
    const settled = store.writeSettled?.bind(store);
    if (settled) {
      store.writeSettled = async (ops) => {
        const out: WriteOutcome = await settled(ops);
        for (const id of out.deferred ?? []) deferred.add(id);
        return out;
      };
    }
    const weft = new Weft({ workflows: { wf }, store: store as Store, worker: { pollMs: 50, leaseMs: 60_000 }, onError: () => {} });
    await weft.start();
    gate('victim');
    gate('bystander');
    try {
      await (await wf.createRun({ runId: 'victim' })).startAsync({ inputData: { n: 1 } });
      await (await wf.createRun({ runId: 'bystander' })).startAsync({ inputData: { n: 1 } });
      await waitUntil(() => gates.get('victim')!.entered && gates.get('bystander')!.entered, 'both runs to be inside their first step');
      const lock = await lockRow(schema, 'victim');
      try {
        gates.get('victim')!.open();
        // The victim's step is done: its journal row is now either deferred (the store skipped the
        // locked row) or, as before, waiting on the lock with the whole batch behind it.
        await waitUntil(async () => deferred.has('victim') || (await blockedBy(admin, lock.pid)) > 0, "the victim's write to meet the lock");
        gates.get('bystander')!.open();
        const news = Array.from({ length: 20 }, (_, i) => `new-${i}`);
        let acked: Awaited<ReturnType<typeof outcome>> | null = null;
        void outcome(Promise.all(news.map(async (runId) => (await wf.createRun({ runId })).startAsync({ inputData: { n: 1 } })))).then((o) => (acked = o));
        await waitUntil(() => acked, 'startAsync to acknowledge 20 new runs', 5_000);
        expect(acked!.ok).toBe(true);
        for (const runId of ['bystander', ...news]) {
          await waitUntil(async () => (await wf.getWorkflowRunExecutionResult(runId))?.status === 'success', `${runId} to finish while the lock is held`, 5_000);
        }
        // Still held: nothing of the victim's step was written.
        expect((await store.loadJournal('victim')).map((e) => e.path)).toEqual([]);
        expect((await store.loadRun('victim'))?.status).toBe('running');
      } finally {
        await lock.release();
      }
      const done = await waitUntil(async () => {
        const r = await wf.getWorkflowRunExecutionResult('victim');
        return r?.status === 'success' ? r : null;
      }, 'the victim to finish once the lock is released');
      expect(done.status === 'success' && done.result).toEqual({ n: 4 });
    } finally {
      for (const g of gates.values()) g.open();
      await weft.stop();
    }
  });

  it('writeSettled defers the locked run without waiting; write() waits, up to lock_timeout', async () => {
    const schema = schemas.next();
    const store = postgresStore({ connectionString: PG_URL, schema, lockTimeoutMs: 300 });
    await store.open();
    try {
      const now = Date.now();
      const mk = (runId: string) => ({
        runId, workflowId: 'wf', status: 'running' as const, resourceId: null, input: '{}', state: null, requestContext: null,
        tracing: null, priority: 0, concurrencyKey: null, owner: 'w', leaseExpiresAt: now + 60_000, now,
      });
      await store.createRuns([mk('a'), mk('b')]);
      const entry = (runId: string, path: string) => ({
        type: 'journal' as const, epoch: 1,
        entry: { runId, path, kind: 'step' as const, status: 'success' as const, attempt: 1, input: null, output: '{}', error: null, meta: null, startedAt: now, endedAt: now },
      });
      const lock = await lockRow(schema, 'b');
      try {
        const out = await store.writeSettled!([entry('a', 's1'), entry('b', 's1'), { type: 'run', runId: 'b', epoch: 1, now, patch: { status: 'success', release: true } }]);
        expect(out).toEqual({ fenced: [], deferred: ['b'] });
        expect((await store.loadJournal('a')).map((e) => e.path)).toEqual(['s1']);
        expect(await store.loadJournal('b')).toEqual([]);
        const waited = await outcome(store.write([entry('b', 's1')]));
        expect(waited.ok ? null : waited.error).toMatchObject({ code: 'STORE_TIMEOUT', retryable: true });
      } finally {
        await lock.release();
      }
      expect(await store.writeSettled!([entry('b', 's1')])).toEqual({ fenced: [] });
      expect((await store.loadJournal('b')).map((e) => e.path)).toEqual(['s1']);
    } finally {
      await store.close();
    }
  });

  it('a cancel behind a held row fails with a retryable STORE_TIMEOUT after lock_timeout, or statement_timeout', async () => {
    for (const opts of [{ lockTimeoutMs: 200 }, { lockTimeoutMs: 0, statementTimeoutMs: 300 }]) {
      const schema = schemas.next();
      const store = postgresStore({ connectionString: PG_URL, schema, ...opts });
      await store.open();
      try {
        const now = Date.now();
        await store.createRun({
          runId: 'r', workflowId: 'wf', status: 'pending', resourceId: null, input: '{}', state: null, requestContext: null,
          tracing: null, priority: 0, concurrencyKey: null, owner: null, leaseExpiresAt: null, now,
        });
        const lock = await lockRow(schema, 'r');
        try {
          const canceled = await outcome(store.cancelRun('r', now));
          expect(canceled.ok ? null : canceled.error).toMatchObject({ code: 'STORE_TIMEOUT', retryable: true });
        } finally {
          await lock.release();
        }
        expect((await store.cancelRun('r', now))?.status).toBe('canceled');
      } finally {
        await store.close();
      }
    }
  });

  it('migrations run without the lock and statement timeouts (they may wait for another migrator)', async () => {
    const schema = schemas.next();
    const store = postgresStore({ connectionString: PG_URL, schema, lockTimeoutMs: 100, statementTimeoutMs: 100 });
    // Another process is migrating this schema: it holds the migration lock.
    const other = await admin.connect();
    await other.query('SELECT pg_advisory_lock(hashtext($1))', [`weft:migrate:${schema}`]);
    const pid = await backendPid(other);
    const opened = outcome(store.open());
    try {
      // Wait (on the database's word) until the migration has waited well past both timeouts.
      await waitUntil(async () => {
        const { rows } = await admin.query<{ n: number }>(
          `SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND clock_timestamp() - query_start > interval '400 ms'`,
          [pid],
        );
        return rows[0]!.n > 0;
      }, 'the migration to wait on the other migrator for 400 ms');
    } finally {
      await other.query('SELECT pg_advisory_unlock(hashtext($1))', [`weft:migrate:${schema}`]);
      other.release();
    }
    expect((await opened).ok).toBe(true);
    await store.close();
  });

  it('rejects timeouts that are not non-negative integers', () => {
    expect(() => postgresStore({ connectionString: PG_URL, lockTimeoutMs: -1 })).toThrow(/lockTimeoutMs/);
    expect(() => postgresStore({ connectionString: PG_URL, statementTimeoutMs: 1.5 })).toThrow(/statementTimeoutMs/);
  });
});
