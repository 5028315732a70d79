import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStep, createWorkflow, memoryStore, sqliteStore, Weft } from '../../src/index.js';
import type { WriteOp } from '../../src/store/types.js';
import { FakeClock, withTestSeams } from '../../src/testing/index.js';
import { startHarness } from '../server/harness.js';
import { N, makeWeft, uid, until, untilStatus } from './helpers.js';

/** A step that fails its first `failures` attempts (each with a numbered error), then passes its input on. */
function flaky(id: string, failures: number) {
  return createStep({
    id,
    inputSchema: N,
    outputSchema: N,
    execute: async ({ inputData, retryCount }) => {
      if (retryCount < failures) throw Object.assign(new Error(`failure ${retryCount + 1}`), { statusCode: 500 + retryCount });
      return inputData;
    },
  });
}

function journalOps(ops: readonly WriteOp[]): string[] {
  return ops.flatMap((op) => (op.type === 'journal' ? [`${op.entry.path}:${op.entry.status}`] : []));
}

describe('every attempt of a retried step, and its error', () => {
  it('in-process retries: attemptHistory lists each attempt with its error and retry delay; attempts stays a number', async () => {
    const w = createWorkflow({ id: uid('hist'), inputSchema: N, outputSchema: N, retryConfig: { attempts: 3, delay: 5 } }).then(flaky('f', 2)).commit();
    const written: string[] = [];
    makeWeft({ w }, withTestSeams({}, { onCommitted: (ops) => written.push(...journalOps(ops)) }));
    const run = await w.createRun();
    const r = await run.start({ inputData: { n: 1 } });
    expect(r.status).toBe('success');
    const f = r.steps.f!;
    expect(f.attempts).toBe(3);
    const history = f.attemptHistory!;
    expect(history.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(history[0]!.error).toBeInstanceOf(Error);
    expect(history[0]!.error).toMatchObject({ message: 'failure 1', statusCode: 500 });
    expect(history[1]!.error).toMatchObject({ message: 'failure 2', statusCode: 501 });
    expect(history.slice(0, 2).map((a) => a.retryDelayMs)).toEqual([5, 5]);
    for (const a of history) expect(a.endedAt).toBeGreaterThanOrEqual(a.startedAt);
    expect(history[1]!.startedAt).toBeGreaterThanOrEqual(history[0]!.endedAt!);
    expect(history[2]).toEqual({ attempt: 3, startedAt: f.startedAt, endedAt: f.endedAt });
    // One row for the step: the failed attempts ride along with the row that ends it.
    expect(written).toEqual(['f:success']);
    // The run view shows the same history, with errors in their stored shape.
    const view = await w.getWorkflowRunById(run.runId);
    expect(view?.steps.f?.attemptHistory?.[0]?.error).not.toBeInstanceOf(Error);
    expect(view?.steps.f?.attemptHistory?.[0]?.error).toMatchObject({ name: 'Error', message: 'failure 1', statusCode: 500 });
  });

  it('a step that gives up shows every failed attempt, the last one being the error it failed with', async () => {
    const w = createWorkflow({ id: uid('hist-fail'), inputSchema: N, outputSchema: N, retryConfig: { attempts: 1, delay: 0 } }).then(flaky('f', 5)).commit();
    makeWeft({ w });
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r.status).toBe('failed');
    const f = r.steps.f!;
    expect(f.attemptHistory?.map((a) => [a.attempt, a.error?.message, a.retryDelayMs])).toEqual([
      [1, 'failure 1', 0],
      [2, 'failure 2', undefined],
    ]);
    expect(f.error?.message).toBe('failure 2');
  });

  it('a step settled by its first attempt writes no meta and shows no history', async () => {
    const store = memoryStore();
    const w = createWorkflow({ id: uid('hist-none'), inputSchema: N, outputSchema: N, retryConfig: { attempts: 3 } }).then(flaky('f', 0)).commit();
    const weft = new Weft({ workflows: { w }, store });
    try {
      const run = await w.createRun();
      const r = await run.start({ inputData: { n: 1 } });
      expect(r.steps.f?.attemptHistory).toBeUndefined();
      expect(r.steps.f?.attempts).toBe(1);
      const rows = await store.loadJournal(run.runId);
      expect(rows.map((e) => [e.path, e.meta])).toEqual([['f', null]]);
    } finally {
      await weft.stop();
    }
  });

  it('retries parked in the store keep their attempts in the parked row, across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-attempts-'));
    const id = uid('hist-parked');
    const build = () => createWorkflow({ id, inputSchema: N, outputSchema: N, retryConfig: { attempts: 2, delay: 60_000 } }).then(flaky('f', 2)).commit();
    const clock = new FakeClock(1_900_000_000_000);
    const path = join(dir, 'w.db');
    try {
      const first = new Weft(withTestSeams({ workflows: { wf: build() }, store: sqliteStore({ path }), inProcessSleepMs: 10, worker: { pollMs: 10 } }, { clock }));
      const wf1 = first.getWorkflow('wf');
      const run = await wf1.createRun();
      await run.startAsync({ inputData: { n: 1 } });
      const parked = await untilStatus(wf1, run.runId, 'waiting');
      expect(parked.steps.f).toMatchObject({ status: 'waiting', attempts: 1 });
      expect(parked.steps.f?.attemptHistory?.map((a) => [a.attempt, a.error?.message, a.retryDelayMs])).toEqual([[1, 'failure 1', 60_000]]);
      await first.stop();

      // Another process takes the run up when its retry is due; the history goes on from the stored row.
      const second = new Weft(withTestSeams({ workflows: { wf: build() }, store: sqliteStore({ path }), inProcessSleepMs: 10, worker: { pollMs: 10 } }, { clock }));
      await second.start();
      const wf2 = second.getWorkflow('wf');
      clock.advance(60_000);
      // Parked again, not only failed: the retry's wake time is taken from the clock when the run parks,
      // so advancing before that would put the wake another minute ahead.
      await until(
        async () => {
          const r = await wf2.getWorkflowRunExecutionResult(run.runId);
          return r?.status === 'waiting' && r.steps.f?.attemptHistory?.length === 2;
        },
        5000,
        'the second attempt to fail and park',
      );
      clock.advance(60_000);
      const done = await untilStatus(wf2, run.runId, 'success');
      await second.stop();
      expect(done.steps.f?.attempts).toBe(3);
      expect(done.steps.f?.attemptHistory?.map((a) => [a.attempt, a.error?.message, a.retryDelayMs])).toEqual([
        [1, 'failure 1', 60_000],
        [2, 'failure 2', 60_000],
        [3, undefined, undefined],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('over HTTP, results and run views carry attemptHistory with plain errors', async () => {
    const w = createWorkflow({ id: 'hist-http', inputSchema: N, outputSchema: N, retryConfig: { attempts: 1, delay: 1 } }).then(flaky('f', 1)).commit();
    const h = await startHarness({ workflows: { w } });
    try {
      const res = await h.api('/workflows/w/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 } } });
      expect(res.body.status).toBe('success');
      expect(res.body.steps.f.attempts).toBe(2);
      expect(res.body.steps.f.attemptHistory).toEqual([
        { attempt: 1, startedAt: expect.any(Number), endedAt: expect.any(Number), retryDelayMs: 1, error: { name: 'Error', message: 'failure 1', statusCode: 500 } },
        { attempt: 2, startedAt: expect.any(Number), endedAt: expect.any(Number) },
      ]);
      const view = await h.api(`/workflows/w/runs/${res.body.runId}`);
      expect(view.body.view.steps.f.attemptHistory[0].error).toMatchObject({ message: 'failure 1', statusCode: 500 });
    } finally {
      await h.close();
    }
  });
});
