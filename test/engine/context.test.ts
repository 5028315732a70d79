import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, RequestContext } from '../../src/index.js';
import { MODES, N, addStep, bind, uid } from './helpers.js';

const State = z.object({ count: z.number(), tag: z.string().optional() });

describe.each(MODES)('step context on the %s', (mode) => {
  it('state + setState: shallow merge, visible to later steps, validated, includeState in results', async () => {
    const seen: unknown[] = [];
    const bump = createStep({
      id: 'bump',
      inputSchema: N,
      outputSchema: N,
      stateSchema: State,
      execute: async ({ inputData, state, setState }) => {
        seen.push({ ...state });
        await setState({ count: state.count + inputData.n });
        return inputData;
      },
    });
    const read = createStep({
      id: 'read',
      inputSchema: N,
      outputSchema: z.object({ count: z.number(), tag: z.string().optional() }),
      execute: async ({ state }) => ({ ...state }),
    });
    const w = bind(mode, createWorkflow({ id: uid('state'), inputSchema: N, outputSchema: z.any(), stateSchema: State }).then(bump).then(read).commit());
    const run = await w.createRun();
    const r = await run.start({ inputData: { n: 5 }, initialState: { count: 1, tag: 't' }, outputOptions: { includeState: true } });
    expect(r).toMatchObject({ status: 'success', result: { count: 6, tag: 't' }, state: { count: 6, tag: 't' } });
    expect(seen).toEqual([{ count: 1, tag: 't' }]);
    const polled = await w.getWorkflowRunExecutionResult(run.runId, { includeState: true });
    expect(polled?.state).toEqual({ count: 6, tag: 't' });
    expect((await w.getWorkflowRunExecutionResult(run.runId))?.state).toBeUndefined();
    const plain = await (await w.createRun()).start({ inputData: { n: 1 }, initialState: { count: 0 } });
    expect(plain.state).toBeUndefined();
  });

  it('setState with a value the stateSchema rejects fails the step', async () => {
    const bad = createStep({
      id: 'bad',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, setState }) => {
        await setState({ count: 'many' as any });
        return inputData;
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('state-bad'), inputSchema: N, outputSchema: z.any(), stateSchema: State }).then(bad).commit());
    const r = await (await w.createRun()).start({ inputData: { n: 1 }, initialState: { count: 0 } });
    expect(r.status).toBe('failed');
    if (r.status === 'failed') expect(r.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/count/) });
  });

  it('getStepResult (by step and by id, null when unknown) and getInitData', async () => {
    const a = addStep('a', 1);
    let got: unknown[] = [];
    const b = createStep({
      id: 'b',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, getStepResult, getInitData }) => {
        got = [getStepResult(a), getStepResult('a'), getStepResult('nope'), getStepResult('b'), getInitData()];
        return inputData;
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('gsr'), inputSchema: N, outputSchema: N }).then(a).then(b).commit());
    await (await w.createRun()).start({ inputData: { n: 10 } });
    expect(got).toEqual([{ n: 11 }, { n: 11 }, null, null, { n: 10 }]);
  });

  it('suspend with payload and resumeLabel; resumeData undefined unless resuming', async () => {
    const resumeSeen: unknown[] = [];
    const ask = createStep({
      id: 'ask',
      inputSchema: N,
      outputSchema: z.object({ reply: z.string() }),
      execute: async ({ resumeData, suspend }) => {
        resumeSeen.push(resumeData);
        if (resumeData === undefined) return suspend({ question: 'name?' }, { resumeLabel: 'name' });
        return { reply: (resumeData as { name: string }).name };
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('suspend'), inputSchema: N, outputSchema: z.any() }).then(ask).commit());
    const run = await w.createRun();
    const r1 = await run.start({ inputData: { n: 1 } });
    expect(r1).toMatchObject({ status: 'suspended', suspended: [['ask']], suspendPayload: { ask: { question: 'name?' } } });
    expect(r1.steps.ask).toMatchObject({ status: 'suspended', payload: { n: 1 }, suspendPayload: { question: 'name?' } });
    expect(r1.steps.ask?.output).toBeUndefined();
    const r2 = await run.resume({ label: 'name', resumeData: { name: 'Ada' } });
    expect(r2).toMatchObject({ status: 'success', result: { reply: 'Ada' } });
    expect(resumeSeen).toEqual([undefined, { name: 'Ada' }]);
  });

  it('resumeData is undefined for the other steps of a resumed run', async () => {
    let afterResume: unknown = 'unset';
    const gate = createStep({ id: 'gate', inputSchema: N, outputSchema: N, execute: async ({ inputData, resumeData, suspend }) => (resumeData ? inputData : suspend({})) });
    const after = createStep({ id: 'after', inputSchema: N, outputSchema: N, execute: async ({ inputData, resumeData }) => { afterResume = resumeData; return inputData; } });
    const w = bind(mode, createWorkflow({ id: uid('resume-other'), inputSchema: N, outputSchema: N }).then(gate).then(after).commit());
    const run = await w.createRun();
    await run.start({ inputData: { n: 1 } });
    expect((await run.resume({ resumeData: { go: true } })).status).toBe('success');
    expect(afterResume).toBeUndefined();
  });

  it('bail ends the run as success with that result; later steps do not run', async () => {
    const later = { count: 0 };
    const quit = createStep({ id: 'quit', inputSchema: N, outputSchema: N, execute: async ({ bail }) => bail({ early: true }) });
    const w = bind(mode, createWorkflow({ id: uid('bail'), inputSchema: N, outputSchema: z.any() }).then(quit).then(addStep('later', 1, later)).commit());
    const run = await w.createRun();
    const r = await run.start({ inputData: { n: 1 } });
    expect(r).toMatchObject({ status: 'success', result: { early: true } });
    expect(later.count).toBe(0);
    expect(r.steps.later).toBeUndefined();
    expect((await w.getWorkflowRunExecutionResult(run.runId))?.status).toBe('success');
  });

  it('abort ends the run as canceled; later steps do not run', async () => {
    const later = { count: 0 };
    const stop = createStep({
      id: 'stop',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, abort, abortSignal }) => {
        abort();
        expect(abortSignal.aborted).toBe(true);
        return inputData;
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('abort'), inputSchema: N, outputSchema: N }).then(stop).then(addStep('later', 1, later)).commit());
    const run = await w.createRun();
    const r = await run.start({ inputData: { n: 1 } });
    expect(r.status).toBe('canceled');
    expect(later.count).toBe(0);
    expect((await w.getWorkflowRunExecutionResult(run.runId))?.status).toBe('canceled');
  });

  it('requestContext: a RequestContext instance or a plain object, visible in steps and after resume', async () => {
    const seen: unknown[] = [];
    const look = (id: string) =>
      createStep({
        id,
        inputSchema: z.any(),
        outputSchema: z.any(),
        execute: async ({ inputData, requestContext, resumeData, suspend }) => {
          seen.push([id, requestContext instanceof RequestContext, requestContext.get('user'), requestContext.get('plan')]);
          if (id === 'gate' && resumeData === undefined) return suspend({});
          return inputData;
        },
      });
    const w = bind(mode, createWorkflow({ id: uid('rc'), inputSchema: N, outputSchema: z.any() }).then(look('first')).then(look('gate')).commit());
    const ctx = new RequestContext();
    ctx.set('user', 'u-1');
    ctx.set('plan', 'pro');
    const run = await w.createRun();
    expect((await run.start({ inputData: { n: 1 }, requestContext: ctx })).status).toBe('suspended');
    expect((await run.resume({ resumeData: { go: 1 } })).status).toBe('success');
    expect(seen).toEqual([
      ['first', true, 'u-1', 'pro'],
      ['gate', true, 'u-1', 'pro'],
      ['gate', true, 'u-1', 'pro'],
    ]);

    seen.length = 0;
    const run2 = await w.createRun();
    await run2.start({ inputData: { n: 1 }, requestContext: { user: 'u-2' } });
    await run2.resume({ resumeData: { go: 1 }, requestContext: { user: 'u-3' } });
    expect(seen).toEqual([
      ['first', true, 'u-2', undefined],
      ['gate', true, 'u-2', undefined],
      ['gate', true, 'u-3', undefined],
    ]);
  });

  it('retryCount, runId, workflowId, resourceId', async () => {
    const seen: unknown[] = [];
    const flaky = createStep({
      id: 'flaky',
      inputSchema: N,
      outputSchema: N,
      retries: 2,
      execute: async ({ inputData, retryCount, runId, workflowId, resourceId }) => {
        seen.push({ retryCount, runId, workflowId, resourceId });
        if (retryCount < 2) throw new Error('again');
        return inputData;
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('ids'), inputSchema: N, outputSchema: N }).then(flaky).commit());
    const run = await w.createRun({ resourceId: 'res-9' });
    const r = await run.start({ inputData: { n: 1 } });
    expect(r.status).toBe('success');
    expect(seen).toEqual([0, 1, 2].map((retryCount) => ({ retryCount, runId: run.runId, workflowId: w.id, resourceId: 'res-9' })));
  });

  it('context functions of nested workflows see the parent run ids and the child scope', async () => {
    let got: unknown;
    const inner = createStep({
      id: 'inner',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, runId, workflowId, getInitData, getStepResult }) => {
        got = { runId, workflowId, init: getInitData(), before: getStepResult('c0') };
        return inputData;
      },
    });
    const child = createWorkflow({ id: 'child', inputSchema: N, outputSchema: N }).then(addStep('c0', 1)).then(inner).commit();
    const w = bind(mode, createWorkflow({ id: uid('nested-ctx'), inputSchema: N, outputSchema: N }).then(addStep('p0', 10)).then(child).commit());
    const run = await w.createRun();
    await run.start({ inputData: { n: 0 } });
    expect(got).toEqual({ runId: run.runId, workflowId: w.id, init: { n: 10 }, before: { n: 11 } });
  });
});
