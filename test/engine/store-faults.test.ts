import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, sqliteStore, StoreError, Weft, type Store } from '../../src/index.js';
import { FakeClock, withTestSeams } from '../../src/testing/index.js';
import { waitUntil } from '../support/wait.js';
import { uid } from './helpers.js';

/**
 * A full disk is outside the machine's control, so it is injected at the store boundary: a real SQLite
 * store whose writes fail with STORE_FULL while `full` is set, as SQLite's SQLITE_FULL does.
 */
function fullDisk(inner: Store, which: 'journal writes' | 'every write') {
  const state = { full: false, refused: 0 };
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'write' || prop === 'writeSettled') {
        const apply = (Reflect.get(target, prop, receiver) as Store['write']).bind(target);
        return async (ops: Parameters<Store['write']>[0]) => {
          const hit = which === 'every write' || ops.some((op) => op.type === 'journal');
          if (state.full && hit) {
            state.refused++;
            throw new StoreError('database or disk is full', { code: 'STORE_FULL', retryable: true });
          }
          return apply(ops);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { store, state };
}

let dir: string;
const wefts: Weft[] = [];
afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 500 })));
  rmSync(dir, { recursive: true, force: true });
});

function build(calls: number[]) {
  const first = createStep({
    id: 'first',
    inputSchema: z.object({ n: z.number() }),
    outputSchema: z.object({ n: z.number() }),
    // No retries: if a store failure were charged to the step, the run would fail at once.
    retries: 0,
    execute: async ({ inputData, retryCount }) => {
      calls.push(retryCount);
      return { n: inputData.n + 1 };
    },
  });
  return createWorkflow({ id: uid('disk'), inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ n: z.number() }) }).then(first).commit();
}

describe('a store failure while recording a step is the engine\'s problem, not the step\'s', () => {
  it('the run is parked with the reason, keeps its step retries, and finishes once space is back', async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-full-'));
    const clock = new FakeClock(1_900_000_000_000);
    const { store, state } = fullDisk(sqliteStore({ path: join(dir, 'w.db') }), 'journal writes');
    const calls: number[] = [];
    const wf = build(calls);
    const weft = new Weft(withTestSeams({ workflows: { wf }, store, storeRetryMs: 50, worker: { pollMs: 10 }, onError: () => {} }, { clock }));
    wefts.push(weft);
    await weft.start();
    state.full = true;
    const run = await wf.createRun();
    await run.startAsync({ inputData: { n: 1 } });

    const parked = await waitUntil(async () => {
      const v = await weft.getRun(run.runId);
      return v?.status === 'waiting' ? v : null;
    }, { message: 'the run to be parked' });
    expect(parked.statusReason).toMatch(/store could not record this run.*disk is full/);
    expect(calls).toEqual([0]);
    expect(state.refused).toBeGreaterThan(0);

    state.full = false;
    clock.advance(5_000);
    const done = await waitUntil(async () => {
      const r = await wf.getWorkflowRunExecutionResult(run.runId);
      return r?.status === 'success' ? r : null;
    }, { message: 'the run to finish after space came back' });
    expect(done.status === 'success' && done.result).toEqual({ n: 2 });
    // At-least-once: the step ran again (its result was never recorded), on its first attempt each time.
    expect(calls).toEqual([0, 0]);
    expect((await weft.getRun(run.runId))?.statusReason).toBeUndefined();
  });

  it('when not even parking can be written, the lease runs out and the run is carried on later; it never fails', async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-full-'));
    const { store, state } = fullDisk(sqliteStore({ path: join(dir, 'w.db') }), 'every write');
    const calls: number[] = [];
    const wf = build(calls);
    const weft = new Weft({ workflows: { wf }, store, storeRetryMs: 20, worker: { pollMs: 20, leaseMs: 300 }, onError: () => {} });
    wefts.push(weft);
    await weft.start();
    state.full = true;
    const run = await wf.createRun();
    await run.startAsync({ inputData: { n: 1 } });
    await waitUntil(() => calls.length >= 2, { message: 'the step to be tried again after the lease ran out' });
    expect((await weft.getRun(run.runId))?.status).toBe('running');

    state.full = false;
    const done = await waitUntil(async () => {
      const r = await wf.getWorkflowRunExecutionResult(run.runId);
      return r && r.status !== 'running' && r.status !== 'waiting' && r.status !== 'pending' ? r : null;
    }, { message: 'the run to settle after space came back' });
    expect(done.status).toBe('success');
    expect(calls.every((c) => c === 0)).toBe(true);
  });
});
