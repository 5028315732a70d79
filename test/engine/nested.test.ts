import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { MODES, N, addStep, bind, uid } from './helpers.js';

function approvalChild() {
  const approve = createStep({
    id: 'approve',
    inputSchema: N,
    outputSchema: z.object({ n: z.number(), approved: z.boolean() }),
    resumeSchema: z.object({ ok: z.boolean() }),
    suspendSchema: z.object({ ask: z.string() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return suspend({ ask: `approve ${inputData.n}?` });
      return { n: inputData.n, approved: resumeData.ok };
    },
  });
  const child = createWorkflow({ id: 'child', inputSchema: N, outputSchema: z.any() }).then(addStep('c1', 1)).then(approve).commit();
  return { child, approve };
}

describe.each(MODES)('nested workflows on the %s', (mode) => {
  it('runs a committed workflow as a step; child steps show as child.step', async () => {
    const child = createWorkflow({ id: 'child', inputSchema: N, outputSchema: N }).then(addStep('c1', 1)).then(addStep('c2', 10)).commit();
    const parent = bind(mode, createWorkflow({ id: uid('parent'), inputSchema: N, outputSchema: N }).then(addStep('p1', 100)).then(child).then(addStep('p2', 1000)).commit());
    const r = await (await parent.createRun()).start({ inputData: { n: 0 } });
    expect(r).toMatchObject({ status: 'success', result: { n: 1111 } });
    expect(r.steps.child).toMatchObject({ status: 'success', payload: { n: 100 }, output: { n: 111 } });
    expect(r.steps['child.c1']).toMatchObject({ status: 'success', payload: { n: 100 }, output: { n: 101 } });
    expect(r.steps['child.c2']).toMatchObject({ status: 'success', output: { n: 111 } });
    expect(Object.keys(r.steps)).toEqual(expect.arrayContaining(['p1', 'child', 'child.c1', 'child.c2', 'p2']));
  });

  it('a nested workflow inside .parallel is keyed by its id', async () => {
    const child = createWorkflow({ id: 'child', inputSchema: N, outputSchema: N }).then(addStep('c1', 1)).commit();
    const parent = bind(mode, createWorkflow({ id: uid('parent-par'), inputSchema: N, outputSchema: z.any() }).parallel([child, addStep('side', 5)]).commit());
    const r = await (await parent.createRun()).start({ inputData: { n: 1 } });
    expect(r).toMatchObject({ status: 'success', result: { child: { n: 2 }, side: { n: 6 } } });
  });

  it('a failing child fails the parent', async () => {
    const boom = createStep({ id: 'boom', inputSchema: N, outputSchema: N, execute: async () => { throw new Error('child broke'); } });
    const child = createWorkflow({ id: 'child', inputSchema: N, outputSchema: N }).then(boom).commit();
    const after = { count: 0 };
    const parent = bind(mode, createWorkflow({ id: uid('parent-f'), inputSchema: N, outputSchema: N }).then(child).then(addStep('after', 1, after)).commit());
    const r = await (await parent.createRun()).start({ inputData: { n: 1 } });
    expect(r.status).toBe('failed');
    if (r.status === 'failed') expect(r.error.message).toBe('child broke');
    expect(r.steps['child.boom']?.status).toBe('failed');
    expect(r.steps.child).toMatchObject({ status: 'failed', payload: { n: 1 }, error: { message: 'child broke' } });
    expect(after.count).toBe(0);
  });

  const targets: [string, (a: { child: unknown; approve: unknown }) => unknown][] = [
    ['a dotted path', () => 'child.approve'],
    ['an array of ids', () => ['child', 'approve']],
    ['an array of [workflow, step]', ({ child, approve }) => [child, approve]],
    ['auto-detection', () => undefined],
  ];
  it.each(targets)('a nested step suspends the parent and resumes through it by %s', async (_name, target) => {
    const { child, approve } = approvalChild();
    const parent = bind(mode, createWorkflow({ id: uid('parent-s'), inputSchema: N, outputSchema: z.any() }).then(child).then(createStep({ id: 'done', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => ({ final: inputData }) })).commit());
    const run = await parent.createRun();
    const r1 = await run.start({ inputData: { n: 1 } });
    expect(r1.status).toBe('suspended');
    if (r1.status !== 'suspended') throw new Error('unreachable');
    expect(r1.suspended).toEqual([['child', 'approve']]);
    // keyed by the nested workflow id (Mastra's key) and by the full dotted path
    expect(r1.suspendPayload).toEqual({ child: { ask: 'approve 2?' }, 'child.approve': { ask: 'approve 2?' } });
    expect(r1.steps['child.approve']).toMatchObject({ status: 'suspended', suspendPayload: { ask: 'approve 2?' } });
    expect(r1.steps['child.c1']?.status).toBe('success');
    // the nested workflow itself shows as suspended too (as in Mastra)
    expect(r1.steps.child).toMatchObject({ status: 'suspended', suspendPayload: { ask: 'approve 2?' } });

    const step = target({ child, approve });
    const r2 = await run.resume({ ...(step !== undefined ? { step: step as any } : {}), resumeData: { ok: true } });
    expect(r2).toMatchObject({ status: 'success', result: { final: { n: 2, approved: true } } });
    expect(r2.steps['child.approve']).toMatchObject({ status: 'success', resumePayload: { ok: true }, output: { n: 2, approved: true } });
    expect(r2.steps.child).toMatchObject({ status: 'success', output: { n: 2, approved: true } });
  });

  it('streams a nested suspension for the inner step and then for the nested workflow', async () => {
    const { child } = approvalChild();
    const parent = bind(mode, createWorkflow({ id: uid('parent-ev'), inputSchema: N, outputSchema: z.any() }).then(child).commit());
    const s = (await parent.createRun()).stream({ inputData: { n: 1 } });
    const events: string[] = [];
    for await (const e of s.fullStream) events.push(`${e.type}:${String(e.payload.id)}`);
    expect(events).toEqual([
      'workflow-start:undefined',
      'workflow-step-start:child',
      'workflow-step-start:child.c1',
      'workflow-step-result:child.c1',
      'workflow-step-start:child.approve',
      'workflow-step-suspended:child.approve',
      'workflow-step-suspended:child',
      'workflow-finish:undefined',
    ]);
  });
});
