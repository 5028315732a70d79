import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, RunConflictError, RunNotFoundError, sqliteStore, Weft } from '../../src/index.js';
import { waitUntil } from '../support/wait.js';
import { deferred } from './helpers.js';

const N = z.object({ n: z.number() });
const wefts: Weft[] = [];
let dir: string;
afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 300 })));
  rmSync(dir, { recursive: true, force: true });
});

function engine(build: () => ReturnType<typeof createWorkflow>, opts: ConstructorParameters<typeof Weft>[0] = {}): Weft {
  const weft = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path: join(dir, 'w.db') }), onError: () => {}, ...opts });
  wefts.push(weft);
  return weft;
}

describe('restart', () => {
  it('refuses a run that was never started, and one that is not active', async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-restart-'));
    const weft = engine(() => createWorkflow({ id: 'r', inputSchema: N, outputSchema: N }).then(createStep({ id: 's', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => inputData })).commit());
    const wf = weft.getWorkflow('wf');
    await expect((await wf.createRun()).restart()).rejects.toBeInstanceOf(RunNotFoundError);
    const done = await wf.createRun();
    await done.start({ inputData: { n: 1 } });
    await expect(done.restart()).rejects.toBeInstanceOf(RunConflictError);
  });

  it('takes an active run over now from its last recorded step; the holder is fenced, finished steps are not run again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-restart-'));
    const calls = { first: 0, held: 0 };
    const gate = deferred();
    const first = createStep({ id: 'first', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => (calls.first++, { n: inputData.n + 1 }) });
    const held = createStep({
      id: 'held',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData }) => {
        calls.held++;
        // The first engine's attempt hangs (a stuck worker); the restarted one goes through.
        if (calls.held === 1) await gate.promise;
        return { n: inputData.n * 10 };
      },
    });
    const build = () => createWorkflow({ id: 'r2', inputSchema: N, outputSchema: N }).then(first).then(held).commit();
    const stuck = engine(build, { worker: { leaseMs: 60_000 } });
    const run = await stuck.getWorkflow('wf').createRun();
    await run.startAsync({ inputData: { n: 1 } });
    await waitUntil(() => calls.held === 1, { message: 'the stuck attempt to start' });

    const rescuer = engine(build);
    const result = await (await rescuer.getWorkflow('wf').createRun({ runId: run.runId })).restart();
    expect(result.status === 'success' && result.result).toEqual({ n: 20 });
    expect(calls).toEqual({ first: 1, held: 2 });
    gate.resolve();
    // The stuck engine's late result is fenced: the recorded one stays the rescuer's.
    expect((await rescuer.getWorkflow('wf').getWorkflowRunExecutionResult(run.runId))?.status).toBe('success');
  });

  it('restartAllActiveWorkflowRuns moves the runs nobody carries and leaves runs live workers hold', async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-restart-'));
    const gate = deferred();
    const wait = createStep({ id: 'wait', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => (await gate.promise, inputData) });
    const build = () => createWorkflow({ id: 'r3', inputSchema: N, outputSchema: N }).then(wait).commit();
    // It polls once, at start: afterwards only the restart moves runs (no race with its next poll).
    const worker = engine(build, { worker: { leaseMs: 60_000, pollMs: 60_000 } });
    const live = await worker.getWorkflow('wf').createRun();
    await live.startAsync({ inputData: { n: 1 } });
    // A run whose owner died: running, with a lease that ran out.
    const store = sqliteStore({ path: join(dir, 'w.db') });
    await store.open();
    const { run: orphan } = await store.createRun({
      runId: 'orphan', workflowId: 'r3', status: 'running', resourceId: null, input: '{"n":2}', state: '{}', requestContext: null,
      tracing: null, priority: 0, concurrencyKey: null, owner: 'dead-worker', leaseExpiresAt: 1, now: 1,
    });
    const liveBefore = await store.loadRun(live.runId);

    const client = engine(build, { worker: false });
    await client.getWorkflow('wf').restartAllActiveWorkflowRuns();
    const orphanAfter = await store.loadRun('orphan');
    expect(orphanAfter).toMatchObject({ status: 'pending', owner: null, leaseEpoch: orphan.leaseEpoch + 1 });
    expect(await store.loadRun(live.runId)).toEqual(liveBefore);
    const active = await client.getWorkflow('wf').listActiveWorkflowRuns();
    expect(active.runs.map((r) => r.runId).sort()).toEqual([live.runId, 'orphan'].sort());
    gate.resolve();
    await store.close();
  });
});
