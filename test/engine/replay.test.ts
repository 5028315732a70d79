import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, type Store } from '../../src/index.js';
import type { JournalEntry } from '../../src/store/types.js';
import { N, addStep, deferred, makeWeft, uid, untilStatus } from './helpers.js';

function row(runId: string, path: string, over: Partial<JournalEntry>): JournalEntry {
  const now = Date.now();
  return { runId, path, kind: 'step', status: 'success', attempt: 1, input: null, output: null, error: null, meta: null, startedAt: now, endedAt: now, ...over };
}

/** A run left `running` by a dead worker (expired lease), with the given rows already journaled. */
async function halfDoneRun(store: Store, workflowId: string, input: unknown, rows: Omit<JournalEntry, 'runId'>[], state: unknown = {}): Promise<string> {
  await store.open();
  const runId = uid('half');
  const now = Date.now();
  const { run } = await store.createRun({
    runId,
    workflowId,
    status: 'running',
    resourceId: null,
    input: JSON.stringify(input),
    state: JSON.stringify(state),
    requestContext: JSON.stringify({ tenant: 't1' }),
    tracing: null,
    priority: 0,
    concurrencyKey: null,
    owner: 'another-host:4242:deadbeef',
    leaseExpiresAt: now - 1,
    now,
  });
  const { fenced } = await store.write(rows.map((r) => ({ type: 'journal' as const, epoch: run.leaseEpoch, entry: { ...r, runId } })));
  expect(fenced).toEqual([]);
  return runId;
}

/** A step that blocks until aborted while `hold.on` is true (the "crash" point), and counts executions. */
function holdStep(id: string, hold: { on: boolean }, calls: { count: number }, entered = deferred()) {
  const step = createStep({
    id,
    inputSchema: z.any(),
    outputSchema: z.any(),
    execute: async ({ inputData, abortSignal }) => {
      calls.count++;
      if (hold.on) {
        entered.resolve();
        await new Promise<void>((resolve) => abortSignal.addEventListener('abort', () => resolve()));
      }
      return inputData;
    },
  });
  return { step, entered };
}

describe('journal replay', () => {
  it('a half-done run recovered from the store does not re-execute its journaled steps', async () => {
    const a = { count: 0 };
    const b = { count: 0 };
    let seen: unknown;
    const readState = createStep({
      id: 'c',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, state, requestContext, getStepResult }) => {
        seen = { state, tenant: requestContext.get('tenant'), a: getStepResult('a') };
        return inputData;
      },
    });
    const w = createWorkflow({ id: uid('replay'), inputSchema: N, outputSchema: N }).then(addStep('a', 1, a)).then(addStep('b', 10, b)).then(readState).commit();
    const store = memoryStore();
    const runId = await halfDoneRun(store, w.id, { n: 1 }, [
      row('', 'a', { input: '{"n":1}', output: '{"n":2}', meta: JSON.stringify({ statePatch: { fromA: true } }) }),
    ], { initial: 1 });
    const weft = makeWeft({ w }, { store, worker: { pollMs: 10 } });
    await weft.start();
    const r = await untilStatus(w, runId, ['success', 'failed']);
    expect(r).toMatchObject({ status: 'success', result: { n: 12 } });
    expect(a.count).toBe(0);
    expect(b.count).toBe(1);
    expect(r.steps.a).toMatchObject({ status: 'success', output: { n: 2 } });
    expect(seen).toEqual({ state: { initial: 1, fromA: true }, tenant: 't1', a: { n: 2 } });
  });

  it('a run taken over after its worker stopped re-runs only the step that was in flight', async () => {
    const hold = { on: true };
    const a = { count: 0 };
    const bCalls = { count: 0 };
    const c = { count: 0 };
    const { step: b, entered } = holdStep('b', hold, bCalls);
    const w = createWorkflow({ id: uid('takeover'), inputSchema: N, outputSchema: N }).then(addStep('a', 1, a)).then(b).then(addStep('c', 100, c)).commit();
    const store = memoryStore();
    const first = makeWeft({ w }, { store });
    const run = await w.createRun();
    await run.startAsync({ inputData: { n: 1 } });
    await entered.promise;
    await first.stop({ timeoutMs: 10 });

    hold.on = false;
    const second = makeWeft({ w }, { store, worker: { pollMs: 10 } });
    await second.start();
    const r = await untilStatus(w, run.runId, ['success', 'failed']);
    expect(r).toMatchObject({ status: 'success', result: { n: 102 } });
    expect([a.count, bCalls.count, c.count]).toEqual([1, 2, 1]);
  });

  it('branch decisions are reused: the recovered run takes the path it took before', async () => {
    const hold = { on: true };
    const condCalls = { x: 0, y: 0 };
    const xCalls = { count: 0 };
    const yCalls = { count: 0 };
    const { step: x, entered } = holdStep('x', hold, xCalls);
    const { step: y } = holdStep('y', { on: false }, yCalls);
    const w = createWorkflow({ id: uid('replay-branch'), inputSchema: N, outputSchema: z.any() })
      .branch([
        [async () => condCalls.x++ === 0, x], // true the first time only
        [async () => condCalls.y++ !== 0, y], // false the first time only
      ])
      .commit();
    const store = memoryStore();
    const first = makeWeft({ w }, { store });
    const run = await w.createRun();
    await run.startAsync({ inputData: { n: 1 } });
    await entered.promise;
    await first.stop({ timeoutMs: 10 });

    hold.on = false;
    const second = makeWeft({ w }, { store, worker: { pollMs: 10 } });
    await second.start();
    const r = await untilStatus(w, run.runId, ['success', 'failed']);
    expect(r).toMatchObject({ status: 'success', result: { x: { n: 1 } } });
    if (r.status === 'success') expect(Object.keys(r.result)).toEqual(['x']);
    expect(condCalls).toEqual({ x: 1, y: 1 });
    expect([xCalls.count, yCalls.count]).toEqual([2, 0]);
  });

  it('loop conditions are reused: a recovered loop does not re-decide finished iterations', async () => {
    const hold = { on: true };
    const entered = deferred();
    const bodyInputs: number[] = [];
    const condCounts: number[] = [];
    let condCalls = 0;
    const body = createStep({
      id: 'inc',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, abortSignal }) => {
        bodyInputs.push(inputData.n);
        if (hold.on && inputData.n === 1) {
          entered.resolve();
          await new Promise<void>((resolve) => abortSignal.addEventListener('abort', () => resolve()));
        }
        return { n: inputData.n + 1 };
      },
    });
    const w = createWorkflow({ id: uid('replay-loop'), inputSchema: N, outputSchema: N })
      // "until" is false on the first evaluation and true on any later one: re-deciding iteration 1 would stop at n=1.
      .dountil(body, async ({ iterationCount }) => {
        condCounts.push(iterationCount);
        return condCalls++ > 0;
      })
      .commit();
    const store = memoryStore();
    const first = makeWeft({ w }, { store });
    const run = await w.createRun();
    await run.startAsync({ inputData: { n: 0 } });
    await entered.promise;
    await first.stop({ timeoutMs: 10 });

    hold.on = false;
    const second = makeWeft({ w }, { store, worker: { pollMs: 10 } });
    await second.start();
    const r = await untilStatus(w, run.runId, ['success', 'failed']);
    expect(r).toMatchObject({ status: 'success', result: { n: 2 } });
    expect(bodyInputs).toEqual([0, 1, 1]); // iteration 1 once; iteration 2 in flight at the stop, so twice
    expect(condCounts).toEqual([1, 2]);
  });

  it('loop decisions written to the journal directly are honoured', async () => {
    const bodyInputs: number[] = [];
    const condCounts: number[] = [];
    const body = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { bodyInputs.push(inputData.n); return { n: inputData.n + 1 }; } });
    const w = createWorkflow({ id: uid('replay-loop2'), inputSchema: N, outputSchema: N })
      .dountil(body, async ({ iterationCount }) => { condCounts.push(iterationCount); return true; })
      .commit();
    const store = memoryStore();
    const runId = await halfDoneRun(store, w.id, { n: 0 }, [
      row('', 'loop#0[1]/inc', { input: '{"n":0}', output: '{"n":1}' }),
      row('', 'loop#0[1]', { kind: 'decision', output: 'false' }),
    ]);
    const weft = makeWeft({ w }, { store, worker: { pollMs: 10 } });
    await weft.start();
    const r = await untilStatus(w, runId, ['success', 'failed']);
    expect(r).toMatchObject({ status: 'success', result: { n: 2 } });
    expect(bodyInputs).toEqual([1]);
    expect(condCounts).toEqual([2]);
  });

  it('.map results are reused', async () => {
    const hold = { on: true };
    const mapCalls = { count: 0 };
    const bCalls = { count: 0 };
    const { step: b, entered } = holdStep('b', hold, bCalls);
    const w = createWorkflow({ id: uid('replay-map'), inputSchema: N, outputSchema: z.any() })
      .map(async () => ({ token: `t${++mapCalls.count}` }))
      .then(b)
      .commit();
    const store = memoryStore();
    const first = makeWeft({ w }, { store });
    const run = await w.createRun();
    await run.startAsync({ inputData: { n: 1 } });
    await entered.promise;
    await first.stop({ timeoutMs: 10 });
    hold.on = false;
    const second = makeWeft({ w }, { store, worker: { pollMs: 10 } });
    await second.start();
    const r = await untilStatus(w, run.runId, ['success', 'failed']);
    expect(r).toMatchObject({ status: 'success', result: { token: 't1' } });
    expect(mapCalls.count).toBe(1);
  });

  it('a durable sleep survives a restart: the wake time is stored, not a timer alone', async () => {
    const after = { count: 0 };
    const w = createWorkflow({ id: uid('replay-sleep'), inputSchema: N, outputSchema: N }).sleep(200).then(addStep('b', 1, after)).commit();
    const store = memoryStore();
    const first = makeWeft({ w }, { store, inProcessSleepMs: 20 });
    const run = await w.createRun();
    const t0 = Date.now();
    await run.startAsync({ inputData: { n: 1 } });
    await untilStatus(w, run.runId, 'waiting');
    await first.stop();
    const second = makeWeft({ w }, { store, inProcessSleepMs: 20, worker: { pollMs: 10 } });
    await second.start();
    const r = await untilStatus(w, run.runId, ['success', 'failed']);
    expect(r).toMatchObject({ status: 'success', result: { n: 2 } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(195);
    expect(after.count).toBe(1);
  });

  it('a suspended run resumes on a new engine over the same store', async () => {
    const gate = createStep({ id: 'gate', inputSchema: N, outputSchema: N, execute: async ({ inputData, resumeData, suspend }) => (resumeData ? { n: inputData.n + 1 } : suspend({})) });
    const before = { count: 0 };
    const w = createWorkflow({ id: uid('replay-resume'), inputSchema: N, outputSchema: N }).then(addStep('a', 1, before)).then(gate).commit();
    const store = memoryStore();
    const first = makeWeft({ w }, { store });
    const run = await w.createRun();
    expect((await run.start({ inputData: { n: 1 } })).status).toBe('suspended');
    await first.stop();
    makeWeft({ w }, { store });
    const again = await w.createRun({ runId: run.runId });
    expect(await again.resume({ resumeData: { ok: true } })).toMatchObject({ status: 'success', result: { n: 3 } });
    expect(before.count).toBe(1);
  });
});
