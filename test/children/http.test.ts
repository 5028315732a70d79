import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../../src/client/index.js';
import { createStep, createWorkflow } from '../../src/index.js';
import { startHarness, type Harness } from '../server/harness.js';
import { waitUntil } from '../support/wait.js';

/** Child runs over HTTP: a waiting parent's view names its child; links both ways in the API and the client. */
let release: () => void = () => {};
const held = new Promise<void>((r) => (release = r));
const child = createWorkflow({ id: 'child', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ n: z.number() }) })
  .then(createStep({ id: 'work', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ n: z.number() }), execute: async ({ inputData }) => (await held, { n: inputData.n + 1 }) }))
  .commit();
const parent = createWorkflow({ id: 'parent', inputSchema: z.object({ n: z.number() }), outputSchema: z.any() })
  .then(createStep({ id: 'spawn', inputSchema: z.object({ n: z.number() }), outputSchema: z.any(), execute: async (ctx) => ctx.startWorkflow(child, { n: ctx.inputData.n }) }))
  .commit();

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workflows: { child, parent } });
});
afterAll(async () => {
  release();
  await h.close();
});

const viewOf = (key: string, runId: string, status: string) =>
  waitUntil(async () => {
    const r = await h.api(`/workflows/${key}/runs/${runId}`);
    return r.body?.view?.status === status ? r.body.view : null;
  }, { message: `run ${runId} ${status}` });

describe('child runs over HTTP', () => {
  it('shows what a parent waits for and links parent and child both ways', async () => {
    await h.api('/workflows/parent/runs', { method: 'POST', json: { runId: 'p1', inputData: { n: 1 } } });
    const view = await viewOf('parent', 'p1', 'waiting');
    expect(view.waitingForChildren).toEqual([expect.objectContaining({ path: 'spawn@child0', workflowId: 'child' })]);
    const childId = view.waitingForChildren[0].runId as string;

    const links = await h.api('/runs/p1/links');
    expect(links.status).toBe(200);
    expect(links.body).toMatchObject({ parent: null, children: [{ runId: childId, step: 'spawn', path: 'spawn@child0' }] });
    const client = createClient({ baseUrl: h.url });
    expect(await client.getRunLinks(childId)).toMatchObject({ parent: { runId: 'p1', step: 'spawn' }, children: [] });

    release();
    const done = await viewOf('parent', 'p1', 'success');
    expect(done.result).toEqual({ n: 2 });
    expect(done.waitingForChildren).toBeUndefined();
  });
});
