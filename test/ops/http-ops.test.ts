import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, WeftRemoteError } from '../../src/client/index.js';
import { createStep, createWorkflow } from '../../src/index.js';
import { startHarness, type Harness } from '../server/harness.js';
import { waitUntil } from '../support/wait.js';

/** Search and rerun over HTTP and through the typed client (issue 18.8, 18.9), on a real SQLite file. */

const N = z.object({ n: z.number() });
const behaviour = { fail: true };
const billing = createWorkflow({ id: 'billing', inputSchema: N, outputSchema: N, searchable: ['customerId'] })
  .then(createStep({ id: 'price', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n * 2 }) }))
  .then(
    createStep({
      id: 'charge',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData }) => {
        if (behaviour.fail) throw new Error('gateway down');
        return { n: inputData.n + 1 };
      },
    }),
  )
  .commit();

let h: Harness;
let client: ReturnType<typeof createClient>;
beforeAll(async () => {
  h = await startHarness({ workflows: { billing } });
  client = createClient({ baseUrl: h.url });
});
afterAll(async () => {
  await h.close();
});

describe('HTTP and client: search', () => {
  it('starts runs with tags and metadata, and filters listings by them', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await h.api('/workflows/billing/runs?wait=true', { method: 'POST', json: { inputData: { n: i }, metadata: { customerId: `c${i % 2}` }, tags: i === 3 ? ['vip'] : [] } });
      expect(res.status).toBe(200);
    }
    const byCustomer = await h.api('/workflows/billing/runs?metadata.customerId=c1');
    expect(byCustomer.status).toBe(200);
    expect(byCustomer.body.total).toBe(2);
    expect((await h.api('/runs?tags=vip')).body.total).toBe(1);
    expect((await h.api('/runs?tags=vip&metadata.customerId=c0')).body.total).toBe(0);
    const bad = await h.api('/workflows/billing/runs?metadata.plan=pro');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_ARGUMENT');
    expect((await h.api('/runs?color=red')).status).toBe(400);

    expect((await client.listRuns({ tags: ['vip'] })).total).toBe(1);
    expect((await client.getWorkflow('billing').listWorkflowRuns({ metadata: { customerId: 'c0' } })).total).toBe(2);
  });
});

describe('HTTP: retention counters', () => {
  it('GET /retention shows what this process pruned', async () => {
    await h.weft.applyRetention();
    const res = await h.api('/retention');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deleted: {}, lastError: null });
    expect(res.body.passes).toBeGreaterThanOrEqual(1);
  });
});

describe('HTTP and client: rerun', () => {
  it('reruns a failed run from a step and shows the links both ways', async () => {
    behaviour.fail = true;
    const run = await client.getWorkflow('billing').createRun();
    expect((await run.start({ inputData: { n: 5 } })).status).toBe('failed');
    behaviour.fail = false;
    const res = await h.api(`/workflows/billing/runs/${run.runId}/rerun`, { method: 'POST', json: { step: 'charge' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ rerunOf: run.runId, fromPath: 'charge' });
    const rerunId = res.body.runId as string;
    const done = await waitUntil(async () => {
      const r = await client.getWorkflow('billing').getWorkflowRunExecutionResult(rerunId);
      return r?.status === 'success' ? r : null;
    });
    expect(done.result).toEqual({ n: 11 });
    const links = await h.api(`/runs/${run.runId}/links`);
    expect(links.body.reruns.map((l: { runId: string }) => l.runId)).toEqual([rerunId]);
    expect((await client.getRunLinks(rerunId))?.rerunOf).toMatchObject({ runId: run.runId, step: 'charge' });
    expect(await client.getRunLinks('missing-run')).toBeNull();

    // Through the client, with new input for the step.
    const again = await run.rerun({ step: 'charge', inputData: { n: 100 } });
    const second = await waitUntil(async () => {
      const r = await client.getWorkflow('billing').getWorkflowRunExecutionResult(again.runId);
      return r?.status === 'success' ? r : null;
    });
    expect(second.result).toEqual({ n: 101 });
    await expect(run.rerun({ step: 'nope' })).rejects.toBeInstanceOf(WeftRemoteError);
    const unknownKey = await h.api(`/workflows/billing/runs/${run.runId}/rerun`, { method: 'POST', json: { step: 'charge', extra: true } });
    expect(unknownKey.status).toBe(400);
    // The source is unchanged: still failed.
    expect((await client.getWorkflow('billing').getWorkflowRunExecutionResult(run.runId))?.status).toBe('failed');
  });
});
