import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, InvalidArgumentError, Weft, WorkflowDefinitionError, type AnyWorkflow, type Store } from '../../src/index.js';
import { FakeClock, withTestSeams } from '../../src/testing/index.js';
import { waitUntil } from '../support/wait.js';
import { storeCases } from './stores.js';

/**
 * Retention (issue 18.10): workflows' policies are applied by workers in the background, in small
 * batches, with counters; held runs (work after their outcome not recorded) and other workflows' runs
 * are kept.
 */

const { cases, engine } = storeCases('retain');
const N = z.object({ n: z.number(), fail: z.boolean().optional() });
const DAY = 86_400_000;
let seq = 0;

/** The workflows of test number `k` (a new one by default); the same `k` builds a second definition for another engine. */
function workflows(k = ++seq) {
  const step = createStep({
    id: 'work',
    inputSchema: N,
    outputSchema: N,
    execute: async ({ inputData }) => {
      if (inputData.fail) throw new Error('no');
      return inputData;
    },
  });
  const kept = createWorkflow({ id: `kept-${k}`, inputSchema: N, outputSchema: N, retention: { success: '7d', failed: '30d' } }).then(step).commit();
  const forever = createWorkflow({ id: `forever-${k}`, inputSchema: N, outputSchema: N }).then(step).commit();
  return { kept, forever };
}

describe('retention definition', () => {
  it('takes durations per outcome', () => {
    const base = { id: 'r', inputSchema: N, outputSchema: N };
    expect(() => createWorkflow({ ...base, retention: { success: 'soon' } })).toThrow(WorkflowDefinitionError);
    expect(() => createWorkflow({ ...base, retention: { success: 0 } })).toThrow(/positive duration/);
    expect(() => createWorkflow({ ...base, retention: { running: '1d' } as never })).toThrow(/not an outcome/);
    expect(createWorkflow({ ...base, retention: { success: '12h', canceled: 60_000 } }).operations.retention).toEqual({ success: 43_200_000, canceled: 60_000 });
    expect(() => new Weft({ worker: { pruneBatch: 0 } })).toThrow(InvalidArgumentError);
  });
});

describe.each(cases)('retention ($name)', ({ make }) => {
  function testEngine(store: Store, clock: FakeClock, wfs: ReturnType<typeof workflows>, worker: Record<string, number> = {}) {
    return engine(store, withTestSeams({ workflows: { ...wfs }, worker: { pruneEveryMs: 60_000, pruneBatch: 2, ...worker } }, { clock }));
  }

  it('deletes finished runs past their outcome\'s duration in batches, and nothing else', async () => {
    const clock = new FakeClock();
    const wfs = workflows();
    const weft = testEngine(make().shared(), clock, wfs);
    await weft.start();
    const start = async (wf: AnyWorkflow, fail = false) => (await wf.createRun()).start({ inputData: { n: 1, fail } });
    for (let i = 0; i < 5; i++) await start(wfs.kept);
    await start(wfs.kept, true);
    await start(wfs.forever);
    const count = async (id: string) => (await weft.listRuns({ workflowId: id })).total;

    // Nothing is old enough yet.
    expect(await weft.applyRetention()).toEqual({ deleted: 0, eventsDeleted: 0 });
    clock.advance(8 * DAY);
    // Five successes past 7 days, in batches of two: three batches; the failure (30 d) and the other
    // workflow's run stay.
    expect(await weft.applyRetention()).toEqual({ deleted: 5, eventsDeleted: 0 });
    expect(await count(wfs.kept.id)).toBe(1);
    expect(await count(wfs.forever.id)).toBe(1);
    const stats = weft.retentionStats();
    expect(stats.deleted[wfs.kept.id]).toEqual({ success: 5, failed: 0, canceled: 0 });
    expect(stats.batches).toBeGreaterThanOrEqual(4); // the empty pass's batches, then 2 + 2 + 1 (+ the empty failed batch)
    expect(stats.lastError).toBeNull();
    clock.advance(23 * DAY);
    expect(await weft.applyRetention()).toEqual({ deleted: 1, eventsDeleted: 0 });
    expect(await count(wfs.kept.id)).toBe(0);
    expect(await count(wfs.forever.id)).toBe(1);
  });

  it('workers apply it in the background', async () => {
    const clock = new FakeClock();
    const wfs = workflows();
    const weft = testEngine(make().shared(), clock, wfs, { pruneEveryMs: 20 });
    await weft.start();
    for (let i = 0; i < 3; i++) await (await wfs.kept.createRun()).start({ inputData: { n: i } });
    clock.advance(8 * DAY);
    await waitUntil(async () => (await weft.listRuns({ workflowId: wfs.kept.id })).total === 0, { message: 'the background pass to prune' });
    expect(weft.retentionStats().deleted[wfs.kept.id]?.success).toBe(3);
  });

  it('keeps a finished run still held by its owner (its work after the outcome is not recorded)', async () => {
    const clock = new FakeClock();
    const wfs = workflows();
    const store = make().shared();
    const weft = testEngine(store, clock, wfs);
    await weft.start();
    // A run settled by an owner that never released it, as a process that died before recording its
    // callbacks or onFailure run leaves it (the store's own writes, no engine involved).
    const t0 = clock.now();
    await store.createRun({ runId: 'held-run', workflowId: wfs.kept.id, status: 'running', resourceId: null, input: '{"n":1}', state: '{}', requestContext: null, tracing: null, priority: 0, concurrencyKey: null, owner: 'dead-owner', leaseExpiresAt: t0 + 1000, now: t0 });
    await store.write([{ type: 'run', runId: 'held-run', epoch: 1, patch: { status: 'success', result: '{"n":1}' }, now: t0 }]);
    await (await wfs.kept.createRun({ runId: 'released-run' })).start({ inputData: { n: 2 } });
    clock.advance(8 * DAY);
    expect(await weft.applyRetention()).toEqual({ deleted: 1, eventsDeleted: 0 });
    expect(await store.loadRun('released-run')).toBeNull();
    expect((await store.loadRun('held-run'))?.owner).toBe('dead-owner');
  });

  it('two engines on one store prune together: every old run deleted once, no errors', async () => {
    const clock = new FakeClock();
    const wfs = workflows();
    const data = make();
    const errors: unknown[] = [];
    const a = engine(data.shared(), withTestSeams({ workflows: { ...wfs }, worker: { pruneEveryMs: 60_000, pruneBatch: 3 }, onError: (e) => errors.push(e) }, { clock }));
    const b = engine(data.shared(), withTestSeams({ workflows: { ...workflows(seq) }, worker: { pruneEveryMs: 60_000, pruneBatch: 3 }, onError: (e) => errors.push(e) }, { clock }));
    await a.start();
    await b.start();
    for (let i = 0; i < 30; i++) await (await wfs.kept.createRun()).startAsync({ inputData: { n: i } });
    await waitUntil(async () => (await a.listRuns({ workflowId: wfs.kept.id, status: 'success' })).total === 30, { message: 'the runs to finish' });
    clock.advance(8 * DAY);
    const [da, db] = await Promise.all([a.applyRetention(), b.applyRetention()]);
    expect(da.deleted + db.deleted).toBe(30);
    expect((await a.listRuns({ workflowId: wfs.kept.id })).total).toBe(0);
    expect(errors).toEqual([]);
  });
});
