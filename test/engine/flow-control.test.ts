import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, InvalidArgumentError, memoryStore, postgresStore, sqliteStore, Weft, WorkflowDefinitionError } from '../../src/index.js';
import { PG_URL, schemaFactory } from '../store/pg-helpers.js';
import type { AnyWorkflow, Store, WorkflowResult } from '../../src/index.js';
import { FakeClock, withTestSeams } from '../../src/testing/index.js';
import { deferred, until, untilStatus, uid } from './helpers.js';
import { waitUntil } from '../support/wait.js';

const In = z.object({ key: z.string(), n: z.number() });
const Out = z.object({ seen: z.unknown() });
const root = mkdtempSync(join(tmpdir(), 'weft-flow-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const stores: [string, () => Store][] = [
  ['memory', () => memoryStore()],
  ['sqlite', () => sqliteStore({ path: join(root, `${uid('db')}.db`) })],
];

/** A workflow whose one step records every input it ran with. */
function recorder(id: string, flow: Record<string, unknown>, inputSchema: z.ZodTypeAny = In) {
  const seen: unknown[] = [];
  const gate = { wait: null as Promise<void> | null };
  const step = createStep({
    id: 'record',
    inputSchema,
    outputSchema: Out,
    execute: async ({ inputData }) => {
      seen.push(inputData);
      if (gate.wait) await gate.wait;
      return { seen: inputData };
    },
  });
  const wf = createWorkflow({ id, inputSchema: In, outputSchema: Out, ...flow }).then(step as never).commit();
  return { wf, seen, gate };
}


const wefts: Weft[] = [];
afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 500 })));
});

/**
 * An engine on `store` with a fake clock, and `quiet()`: resolves once the worker has finished two whole
 * claim passes after the call (the first may have begun before it), so "what is not due stays undone"
 * is checked against the worker having looked, while the fake clock stands still.
 */
function engine(store: Store, wf: AnyWorkflow, clock: FakeClock): { weft: Weft; quiet: () => Promise<void> } {
  let passes = 0;
  const claimRuns = store.claimRuns.bind(store);
  store.claimRuns = async (opts) => {
    try {
      return await claimRuns(opts);
    } finally {
      passes++;
    }
  };
  const weft = new Weft(withTestSeams({ workflows: { wf }, store, worker: { pollMs: 10 } }, { clock }));
  wefts.push(weft);
  const quiet = async () => {
    const from = passes;
    await waitUntil(() => passes >= from + 2 || null, { message: 'two claim passes of the worker' });
  };
  return { weft, quiet };
}

describe('flow control: definitions', () => {
  const make = (flow: Record<string, unknown>) => () => createWorkflow({ id: uid('bad'), inputSchema: In, outputSchema: Out, ...flow });
  it.each([
    [{ rateLimit: { limit: 0, period: 1000 } }, 'rateLimit.limit must be a positive integer'],
    [{ throttle: { limit: 1, period: '5 minutes' } }, 'throttle.period must be a positive duration'],
    [{ rateLimit: { limit: 1, period: 10 }, throttle: { limit: 1, period: 10 } }, 'declare rateLimit or throttle, not both'],
    [{ debounce: { period: '1s', key: 'k' } }, 'debounce.key must be a function'],
    [{ singleton: { mode: 'drop' } }, `singleton.mode must be 'skip' or 'cancel'`],
    [{ batch: { maxSize: 2, timeout: '1s' }, debounce: { period: '1s' } }, 'debounce and batch cannot be combined'],
    [{ singleton: { mode: 'skip' }, batch: { maxSize: 2, timeout: '1s' } }, 'singleton cannot be combined'],
    [{ idempotency: { ttl: -1 } }, 'idempotency.ttl must be a positive duration'],
  ])('refuses %j', (flow, message) => {
    expect(make(flow)).toThrow(WorkflowDefinitionError);
    expect(make(flow)).toThrow(message);
  });

  it('refuses a bad idempotencyKey at start', async () => {
    const { wf } = recorder(uid('idem-bad'), {});
    engine(memoryStore(), wf, new FakeClock(1_800_000_000_000));
    const run = await wf.createRun();
    await expect(run.startAsync({ inputData: { key: 'a', n: 1 }, idempotencyKey: '' })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

for (const [name, makeStore] of stores) {
  describe(`flow control on ${name}`, () => {
    it('debounce: a burst runs once, with the last input, after the quiet period', async () => {
      const clock = new FakeClock(1_800_000_000_000);
      const { wf, seen } = recorder(uid('debounce'), { debounce: { period: '10s', key: (i: { key: string }) => i.key } });
      const { quiet } = engine(makeStore(), wf, clock);
      const ids: string[] = [];
      for (let n = 1; n <= 3; n++) ids.push((await (await wf.createRun()).startAsync({ inputData: { key: 'doc', n } })).runId);
      const other = (await (await wf.createRun()).startAsync({ inputData: { key: 'other', n: 9 } })).runId;
      expect(new Set(ids).size).toBe(1);
      expect(other).not.toBe(ids[0]);
      clock.advance(9_999);
      await quiet();
      expect(seen).toEqual([]);
      clock.advance(1);
      const done = await untilStatus(wf, ids[0]!, 'success');
      expect(done.status === 'success' && done.result).toEqual({ seen: { key: 'doc', n: 3 } });
      await untilStatus(wf, other, 'success');
      expect(seen).toHaveLength(2);
    });

    it('batch: starts become one run whose input is the array of inputs', async () => {
      const clock = new FakeClock(1_800_000_000_000);
      const { wf, seen } = recorder(uid('batch'), { batch: { maxSize: 3, timeout: '1m' } }, z.array(In));
      const { quiet } = engine(makeStore(), wf, clock);
      const runs = await Promise.all([1, 2, 3, 4].map(async () => wf.createRun()));
      const ids: string[] = [];
      for (const [i, r] of runs.entries()) ids.push((await r.startAsync({ inputData: { key: 'k', n: i } })).runId);
      expect(ids.slice(0, 3).every((id) => id === ids[0])).toBe(true);
      expect(ids[3]).not.toBe(ids[0]);
      // The full batch is due at once; the fourth start waits for its timeout.
      await untilStatus(wf, ids[0]!, 'success');
      expect(seen).toEqual([[{ key: 'k', n: 0 }, { key: 'k', n: 1 }, { key: 'k', n: 2 }]]);
      await quiet();
      expect(seen).toHaveLength(1);
      clock.advance(60_000);
      await untilStatus(wf, ids[3]!, 'success');
      expect(seen[1]).toEqual([{ key: 'k', n: 3 }]);
    });

    it('rate limit: starts over the limit are skipped with the reason; after the period they run again', async () => {
      const clock = new FakeClock(1_800_000_000_000);
      const { wf, seen } = recorder(uid('rate'), { rateLimit: { limit: 2, period: '1m' } });
      engine(makeStore(), wf, clock);
      const results: WorkflowResult[] = [];
      for (let n = 0; n < 3; n++) results.push(await (await wf.createRun()).start({ inputData: { key: 'a', n } }));
      expect(results.map((r) => r.status)).toEqual(['success', 'success', 'canceled']);
      expect(results[2]).toMatchObject({ statusReason: 'skipped: rate limit of 2 per 60000 ms reached for key ""' });
      clock.advance(60_000);
      expect((await (await wf.createRun()).start({ inputData: { key: 'a', n: 3 } })).status).toBe('success');
      expect(seen).toHaveLength(3);
    });

    it('throttle: at most `limit` runs begin per period; the rest wait in order and none is lost', async () => {
      const clock = new FakeClock(1_800_000_000_000);
      const { wf, seen } = recorder(uid('throttle'), { throttle: { limit: 1, period: '1m', key: (i: { key: string }) => i.key } });
      const { quiet } = engine(makeStore(), wf, clock);
      const ids: string[] = [];
      // One ms apart: claim order is (priority, created, id), and a frozen clock would leave it to the ids.
      for (let n = 0; n < 3; n++) {
        ids.push((await (await wf.createRun()).startAsync({ inputData: { key: 'a', n } })).runId);
        clock.advance(1);
      }
      await untilStatus(wf, ids[0]!, 'success');
      await quiet();
      expect(seen).toEqual([{ key: 'a', n: 0 }]);
      clock.advance(60_000);
      await untilStatus(wf, ids[1]!, 'success');
      await quiet();
      expect(seen).toHaveLength(2);
      clock.advance(60_000);
      await untilStatus(wf, ids[2]!, 'success');
      expect(seen.map((s) => (s as { n: number }).n)).toEqual([0, 1, 2]);
    });

    it('singleton skip and cancel', async () => {
      const clock = new FakeClock(1_800_000_000_000);
      const skip = recorder(uid('single-skip'), { singleton: { mode: 'skip' } });
      const cancel = recorder(uid('single-cancel'), { singleton: { mode: 'cancel', key: (i: { key: string }) => i.key } });
      const weft = new Weft(withTestSeams({ workflows: { a: skip.wf, b: cancel.wf }, store: makeStore(), worker: { pollMs: 10 } }, { clock }));
      wefts.push(weft);
      const held = deferred();
      skip.gate.wait = held.promise;
      const first = await (await skip.wf.createRun()).startAsync({ inputData: { key: 'x', n: 1 } });
      await until(() => skip.seen.length === 1);
      const second = await (await skip.wf.createRun()).start({ inputData: { key: 'x', n: 2 } });
      expect(second).toMatchObject({ status: 'canceled', statusReason: `skipped: singleton key "" is held by run ${first.runId}` });
      held.resolve();
      await untilStatus(skip.wf, first.runId, 'success');

      const held2 = deferred();
      cancel.gate.wait = held2.promise;
      const old = await (await cancel.wf.createRun()).startAsync({ inputData: { key: 'x', n: 1 } });
      await until(() => cancel.seen.length === 1);
      cancel.gate.wait = null;
      const fresh = await (await cancel.wf.createRun()).start({ inputData: { key: 'x', n: 2 } });
      expect(fresh.status).toBe('success');
      const replaced = await untilStatus(cancel.wf, old.runId, 'canceled');
      expect(replaced).toMatchObject({ statusReason: expect.stringContaining('replaced by run') });
      held2.resolve();
    });

    it('idempotencyKey: a repeated start follows the first one; after the TTL it starts anew', async () => {
      const clock = new FakeClock(1_800_000_000_000);
      const { wf, seen } = recorder(uid('idem'), { idempotency: { ttl: '1h' } });
      engine(makeStore(), wf, clock);
      const a = await (await wf.createRun()).start({ inputData: { key: 'a', n: 1 }, idempotencyKey: 'order-1' });
      const b = await (await wf.createRun()).startAsync({ inputData: { key: 'a', n: 2 }, idempotencyKey: 'order-1' });
      expect(a.status).toBe('success');
      expect(b.runId).toBe((await wf.listWorkflowRuns()).runs[0]?.runId);
      expect(seen).toEqual([{ key: 'a', n: 1 }]);
      clock.advance(3_600_000);
      const c = await (await wf.createRun()).start({ inputData: { key: 'a', n: 3 }, idempotencyKey: 'order-1' });
      expect(c.status).toBe('success');
      expect(seen).toHaveLength(2);
    });
  });
}

/**
 * On PostgreSQL the windows and wake times of flow control follow the database's clock, which a fake
 * clock cannot move: these are the behaviours that need no time to pass (the rest are in the store
 * contract, whose PostgreSQL clock follows the test's, and in test/workers/flow-limits.test.ts).
 */
describe('flow control on postgres (real clock)', () => {
  const schemas = schemaFactory('flowengine');
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  afterAll(async () => {
    await schemas.dropAll(admin);
    await admin.end();
  });
  const pgEngine = (workflows: Record<string, AnyWorkflow>) => {
    const weft = new Weft({ workflows, store: postgresStore({ connectionString: PG_URL, schema: schemas.next() }), worker: { pollMs: 20 } });
    wefts.push(weft);
    return weft;
  };

  it('rate limit (skip), singleton (skip), a full batch and an idempotency key', async () => {
    const rate = recorder(uid('pg-rate'), { rateLimit: { limit: 2, period: '1h' } });
    const single = recorder(uid('pg-single'), { singleton: { mode: 'skip' } });
    const batch = recorder(uid('pg-batch'), { batch: { maxSize: 2, timeout: '1h' } }, z.array(In));
    const idem = recorder(uid('pg-idem'), {});
    pgEngine({ a: rate.wf, b: single.wf, c: batch.wf, d: idem.wf });

    const results: WorkflowResult[] = [];
    for (let n = 0; n < 3; n++) results.push(await (await rate.wf.createRun()).start({ inputData: { key: 'a', n } }));
    expect(results.map((r) => r.status)).toEqual(['success', 'success', 'canceled']);
    expect(results[2]).toMatchObject({ statusReason: expect.stringMatching(/^skipped: rate limit of 2 per 3600000 ms/) });

    const held = deferred();
    single.gate.wait = held.promise;
    const first = await (await single.wf.createRun()).startAsync({ inputData: { key: 'x', n: 1 } });
    await until(() => single.seen.length === 1, 10_000);
    expect((await (await single.wf.createRun()).start({ inputData: { key: 'x', n: 2 } })).status).toBe('canceled');
    held.resolve();
    await untilStatus(single.wf, first.runId, 'success', 10_000);

    const [b1, b2] = await Promise.all([0, 1].map(async (n) => (await batch.wf.createRun()).startAsync({ inputData: { key: 'k', n } })));
    expect(b2!.runId).toBe(b1!.runId);
    await untilStatus(batch.wf, b1!.runId, 'success', 10_000);
    expect((batch.seen[0] as { n: number }[]).map((x) => x.n).sort()).toEqual([0, 1]);

    const i1 = await (await idem.wf.createRun()).start({ inputData: { key: 'a', n: 1 }, idempotencyKey: 'k-1' });
    const i2 = await (await idem.wf.createRun()).startAsync({ inputData: { key: 'a', n: 2 }, idempotencyKey: 'k-1' });
    expect(i1.status).toBe('success');
    expect(i2.runId).toBe((await idem.wf.listWorkflowRuns()).runs[0]?.runId);
    expect(idem.seen).toHaveLength(1);
  }, 30_000);
});
