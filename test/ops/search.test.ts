import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, InvalidArgumentError, WorkflowDefinitionError } from '../../src/index.js';
import { storeCases } from './stores.js';

/**
 * Search (issue 18.9): runs carry tags and the metadata keys their workflow declares searchable, and
 * listings filter by them through the label index, on every store.
 */

const { cases, engine } = storeCases('search');
const In = z.object({ n: z.number() });
let seq = 0;

function orders() {
  seq++;
  return createWorkflow({ id: `orders-${seq}`, inputSchema: In, outputSchema: In, searchable: ['customerId', 'plan'] })
    .then(createStep({ id: 'noop', inputSchema: In, outputSchema: In, execute: async ({ inputData }) => inputData }))
    .commit();
}

describe('searchable definition', () => {
  it('takes an array of metadata keys', () => {
    expect(() => createWorkflow({ id: 'x', inputSchema: In, outputSchema: In, searchable: 'customerId' as unknown as string[] })).toThrow(WorkflowDefinitionError);
    expect(() => createWorkflow({ id: 'x', inputSchema: In, outputSchema: In, searchable: [''] })).toThrow(/searchable key must not be empty/);
  });
});

describe.each(cases)('search ($name)', ({ make }) => {
  it('filters by tags and searchable metadata (every filter must match), with totals and pages', async () => {
    const wf = orders();
    const other = orders();
    const weft = engine(make().shared(), { workflows: { wf, other } });
    await weft.start();
    const started: Record<string, string> = {};
    for (let i = 0; i < 12; i++) {
      const run = await wf.createRun();
      const plan = i % 3 === 0 ? 'pro' : 'free';
      const tags = i % 2 === 0 ? ['vip', `batch-${i % 4}`] : ['batch-x'];
      await run.start({ inputData: { n: i }, metadata: { customerId: `c${i % 4}`, plan, note: `not indexed ${i}` }, tags });
      started[run.runId] = `${i}`;
    }
    // The same customer on another workflow: found only when listing across workflows.
    await (await other.createRun()).start({ inputData: { n: 99 }, metadata: { customerId: 'c0' } });

    const c0 = await weft.listRuns({ workflowId: wf.id, metadata: { customerId: 'c0' } });
    expect(c0.total).toBe(3);
    expect(c0.runs.map((r) => started[r.runId])).toEqual(['8', '4', '0']);
    expect((await weft.listRuns({ metadata: { customerId: 'c0' } })).total).toBe(4);

    const vipPro = await weft.listRuns({ workflowId: wf.id, tags: ['vip'], metadata: { plan: 'pro' } });
    expect(vipPro.runs.map((r) => started[r.runId])).toEqual(['6', '0']);
    expect(vipPro.total).toBe(2);

    const vip = await weft.listRuns({ tags: ['vip'], perPage: 4, page: 1 });
    expect(vip.total).toBe(6);
    expect(vip.runs.map((r) => started[r.runId])).toEqual(['2', '0']);
    expect((await weft.listRuns({ tags: ['vip', 'batch-x'] })).total).toBe(0);
    expect((await weft.listRuns({ tags: ['vip'], status: 'failed' })).total).toBe(0);
    expect((await weft.listRuns({ tags: ['vip'], status: ['success'] })).total).toBe(6);

    // workflow.listWorkflowRuns takes the same filters.
    expect((await wf.listWorkflowRuns({ metadata: { customerId: 'c1', plan: 'free' } })).total).toBe(2);
  });

  it('numbers and booleans match their text; unsearchable keys and bad filters are refused', async () => {
    const wf = orders();
    const weft = engine(make().shared(), { workflows: { wf } });
    await weft.start();
    const run = await wf.createRun();
    await run.start({ inputData: { n: 1 }, metadata: { customerId: 42, plan: true } });
    expect((await weft.listRuns({ workflowId: wf.id, metadata: { customerId: '42' } })).total).toBe(1);
    expect((await weft.listRuns({ workflowId: wf.id, metadata: { customerId: 42, plan: 'true' } })).total).toBe(1);
    await expect(weft.listRuns({ workflowId: wf.id, metadata: { note: 'x' } })).rejects.toThrow(/not searchable on workflow/);
    await expect(weft.listRuns({ tags: [''] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(weft.listRuns({ metadata: { customerId: { deep: 1 } } as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect((await wf.createRun()).start({ inputData: { n: 1 }, tags: 'vip' as unknown as string[] })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('a deleted run leaves the index', async () => {
    const wf = orders();
    const weft = engine(make().shared(), { workflows: { wf } });
    await weft.start();
    const run = await wf.createRun();
    await run.start({ inputData: { n: 1 }, tags: ['gone'], metadata: { customerId: 'z' } });
    expect((await weft.listRuns({ tags: ['gone'] })).total).toBe(1);
    expect(await wf.deleteWorkflowRunById(run.runId)).toBe(true);
    expect((await weft.listRuns({ tags: ['gone'] })).total).toBe(0);
    expect((await weft.listRuns({ workflowId: wf.id, metadata: { customerId: 'z' } })).runs).toEqual([]);
  });
});
