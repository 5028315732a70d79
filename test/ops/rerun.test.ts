import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, InvalidArgumentError, RunConflictError, RunNotFoundError, type Weft } from '../../src/index.js';
import { waitUntil } from '../support/wait.js';
import { storeCases } from './stores.js';

/**
 * Rerun from a step (issue 18.8): a new run copies the source's journal up to a step and executes from
 * there with the current code; the source is unchanged and the two are linked both ways.
 */

const { cases, engine } = storeCases('rerun');
const N = z.object({ n: z.number() });
let seq = 0;

function pipeline(calls: Record<string, number>, behaviour: { failAt?: string } = {}) {
  seq++;
  const step = (id: string, by: number) =>
    createStep({
      id,
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData }) => {
        calls[id] = (calls[id] ?? 0) + 1;
        if (behaviour.failAt === id) throw new Error(`${id} broke`);
        return { n: inputData.n + by };
      },
    });
  return createWorkflow({ id: `pipeline-${seq}`, inputSchema: N, outputSchema: N, searchable: ['customerId'] })
    .then(step('fetch', 1))
    .then(step('transform', 10))
    .then(step('publish', 100))
    .commit();
}

async function settled(weft: Weft, runId: string) {
  return waitUntil(
    async () => {
      const v = await weft.getRun(runId);
      return v && ['success', 'failed'].includes(v.status) ? v : null;
    },
    { message: `run ${runId} to settle` },
  );
}

describe.each(cases)('rerun from a step ($name)', ({ make }) => {
  it('copies the journal before the step, executes from it with the current code, leaves the source unchanged, links both ways', async () => {
    const calls: Record<string, number> = {};
    const behaviour: { failAt?: string } = { failAt: 'publish' };
    const wf = pipeline(calls, behaviour);
    const weft = engine(make().shared(), { workflows: { wf } });
    await weft.start();
    const source = await wf.createRun({ resourceId: 'r1' });
    const first = await source.start({ inputData: { n: 1 }, metadata: { customerId: 'c9' }, tags: ['nightly'] });
    expect(first.status).toBe('failed');
    const before = await weft.getRun(source.runId);
    const journalBefore = JSON.stringify(before?.steps);

    behaviour.failAt = undefined; // "the fix is deployed"
    const { runId, rerunOf, fromPath } = await weft.rerun(source.runId, { step: 'transform' });
    expect(rerunOf).toBe(source.runId);
    expect(fromPath).toBe('transform');
    expect(runId).not.toBe(source.runId);
    const view = await settled(weft, runId);
    expect(view.status).toBe('success');
    expect(view.result).toEqual({ n: 112 });
    // fetch was copied, not executed again; transform and publish ran with the current code.
    expect(calls).toEqual({ fetch: 1, transform: 2, publish: 2 });
    expect(view.resourceId).toBe('r1');

    const after = await weft.getRun(source.runId);
    expect(after?.status).toBe('failed');
    expect(JSON.stringify(after?.steps)).toBe(journalBefore);

    const links = await weft.getRunLinks(runId);
    expect(links.rerunOf).toMatchObject({ runId: source.runId, step: 'transform' });
    expect(links.reruns).toEqual([]);
    const back = await weft.getRunLinks(source.runId);
    expect(back.rerunOf).toBeNull();
    expect(back.reruns.map((l) => l.runId)).toEqual([runId]);
    // The rerun carries the source's tags and searchable metadata.
    expect((await weft.listRuns({ tags: ['nightly'] })).total).toBe(2);
    expect((await weft.listRuns({ workflowId: wf.id, metadata: { customerId: 'c9' } })).total).toBe(2);
  });

  it('takes new input for the step (checked by its schema), and a chosen id once', async () => {
    const calls: Record<string, number> = {};
    const wf = pipeline(calls);
    const weft = engine(make().shared(), { workflows: { wf } });
    await weft.start();
    const source = await wf.createRun();
    expect((await source.start({ inputData: { n: 1 } })).status).toBe('success');
    await expect(weft.rerun(source.runId, { step: 'publish', inputData: { n: 'x' } })).rejects.toThrow(/inputData of rerun step "publish"/);
    const r = await weft.rerun(source.runId, { step: 'publish', inputData: { n: 1000 }, runId: 'rerun-fixed-id' });
    expect(r.runId).toBe('rerun-fixed-id');
    expect((await settled(weft, r.runId)).result).toEqual({ n: 1100 });
    expect(calls).toEqual({ fetch: 1, transform: 1, publish: 2 });
    await expect(weft.rerun(source.runId, { step: 'publish', runId: 'rerun-fixed-id' })).rejects.toBeInstanceOf(RunConflictError);
    await expect(weft.rerun(source.runId, { step: 'publish', runId: source.runId })).rejects.toBeInstanceOf(RunConflictError);
    // The first rerun is intact, and the source lists exactly one rerun.
    expect((await weft.getRun('rerun-fixed-id'))?.result).toEqual({ n: 1100 });
    expect((await weft.getRunLinks(source.runId)).reruns).toHaveLength(1);
  });

  it('refuses an unknown step, an unknown run and bad options', async () => {
    const wf = pipeline({});
    const weft = engine(make().shared(), { workflows: { wf } });
    await weft.start();
    const source = await wf.createRun();
    await source.start({ inputData: { n: 1 } });
    await expect(weft.rerun(source.runId, { step: 'nope' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(weft.rerun('no-such-run', { step: 'fetch' })).rejects.toBeInstanceOf(RunNotFoundError);
    await expect(weft.rerun(source.runId, {} as never)).rejects.toThrow(/needs `step`/);
    await expect(weft.rerun(source.runId, { step: 'fetch', extra: 1 } as never)).rejects.toThrow(/unknown rerun option "extra"/);
    await expect(weft.getRunLinks('no-such-run')).rejects.toBeInstanceOf(RunNotFoundError);
  });
});
