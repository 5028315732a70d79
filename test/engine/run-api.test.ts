import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, WorkflowValidationError, type WorkflowStreamChunk } from '../../src/index.js';
import { MODES, N, addStep, bind, deferred, makeWeft, sleep, uid, untilStatus } from './helpers.js';

async function collect(stream: AsyncIterable<WorkflowStreamChunk>): Promise<WorkflowStreamChunk[]> {
  const out: WorkflowStreamChunk[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

function suspender(id = 'gate') {
  return createStep({
    id,
    inputSchema: N,
    outputSchema: z.object({ n: z.number(), answer: z.string() }),
    resumeSchema: z.object({ answer: z.string() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return suspend({ waitingFor: 'answer' }, { resumeLabel: `${id}-label` });
      return { n: inputData.n, answer: resumeData.answer };
    },
  });
}

describe.each(MODES)('Run API on the %s', (mode) => {
  it('createRun is idempotent on runId: two handles, startAsync twice, one run', async () => {
    const calls = { count: 0 };
    const w = bind(mode, createWorkflow({ id: uid('idem'), inputSchema: N, outputSchema: N }).then(addStep('a', 1, calls)).commit());
    const runId = uid('run');
    const h1 = await w.createRun({ runId });
    const h2 = await w.createRun({ runId });
    expect(h1.runId).toBe(runId);
    expect(h2.runId).toBe(runId);
    expect(h1.workflowId).toBe(w.id);
    await h1.startAsync({ inputData: { n: 1 } });
    await h2.startAsync({ inputData: { n: 1 } });
    await h1.startAsync({ inputData: { n: 1 } });
    const r = await untilStatus(w, runId, 'success');
    expect(r).toMatchObject({ result: { n: 2 } });
    // a third handle after the fact still points at the same run
    const h3 = await w.createRun({ runId });
    expect(await h3.start({ inputData: { n: 1 } })).toMatchObject({ status: 'success', result: { n: 2 } });
    expect(calls.count).toBe(1);
    const list = await w.listWorkflowRuns();
    expect(list.total).toBe(1);
    expect(list.runs.map((x) => x.runId)).toEqual([runId]);
  });

  it('createRun defaults runId to a UUID and keeps resourceId', async () => {
    const w = bind(mode, createWorkflow({ id: uid('ids'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit());
    const run = await w.createRun({ resourceId: 'user-7' });
    expect(run.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.resourceId).toBe('user-7');
    expect((await w.createRun()).runId).not.toBe(run.runId);
  });

  it('start resolves with the WorkflowResult; step failures resolve with status failed', async () => {
    const boom = createStep({ id: 'boom', inputSchema: N, outputSchema: N, execute: async () => { throw new TypeError('nope'); } });
    const w = bind(mode, createWorkflow({ id: uid('start'), inputSchema: N, outputSchema: N }).then(addStep('a')).then(boom).commit());
    const run = await w.createRun();
    const r = await run.start({ inputData: { n: 1 } });
    expect(r.status).toBe('failed');
    expect(r.runId).toBe(run.runId);
    expect(r.input).toEqual({ n: 1 });
    expect(r.steps.a?.status).toBe('success');
    expect(r.steps.boom).toMatchObject({ status: 'failed', payload: { n: 2 }, error: { name: 'TypeError', message: 'nope' } });
  });

  it('stream emits start, step start/result per step, and finish, in order', async () => {
    const w = bind(mode, createWorkflow({ id: uid('stream'), inputSchema: N, outputSchema: N }).then(addStep('a', 1)).then(addStep('b', 2)).commit());
    const run = await w.createRun();
    const s = run.stream({ inputData: { n: 1 } });
    expect(s.runId).toBe(run.runId);
    const events = await collect(s.fullStream);
    const result = await s.result;
    expect(result).toMatchObject({ status: 'success', result: { n: 4 } });
    expect(events.map((e) => [e.type, e.payload.id])).toEqual([
      ['workflow-start', undefined],
      ['workflow-step-start', 'a'],
      ['workflow-step-result', 'a'],
      ['workflow-step-start', 'b'],
      ['workflow-step-result', 'b'],
      ['workflow-finish', undefined],
    ]);
    for (const e of events) expect(e).toMatchObject({ runId: run.runId, from: 'WORKFLOW' });
    expect(events[2]!.payload).toMatchObject({ status: 'success', output: { n: 2 }, payload: { n: 1 } });
    expect(events[0]!.payload).toMatchObject({ runId: run.runId, workflowId: w.id });
    expect(events[5]!.payload).toMatchObject({ workflowStatus: 'success', finalWorkflowResult: { n: 4 } });
    expect(s.status).toBe('success');
  });

  it('stream: writer.write emits workflow-step-output, writer.custom passes data-* through', async () => {
    const talk = createStep({
      id: 'talk',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, writer }) => {
        await writer.write({ progress: 50 });
        await writer.custom({ type: 'data-note', text: 'hello' });
        return inputData;
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('writer'), inputSchema: N, outputSchema: N }).then(talk).commit());
    const s = (await w.createRun()).stream({ inputData: { n: 1 } });
    const events = await collect(s.fullStream);
    expect(events.map((e) => e.type)).toEqual([
      'workflow-start',
      'workflow-step-start',
      'workflow-step-output',
      'data-note',
      'workflow-step-result',
      'workflow-finish',
    ]);
    expect(events[2]!.payload).toMatchObject({ id: 'talk', output: { progress: 50 } });
    expect(events[3]!.payload).toMatchObject({ type: 'data-note', text: 'hello' });
  });

  it('stream: nested step events carry child.step ids; foreach emits progress', async () => {
    const child = createWorkflow({ id: 'child', inputSchema: N, outputSchema: N }).then(addStep('inner')).commit();
    const item = createStep({ id: 'item', inputSchema: z.number(), outputSchema: z.number(), execute: async ({ inputData }) => inputData * 2 });
    const w = bind(
      mode,
      createWorkflow({ id: uid('stream-nested'), inputSchema: N, outputSchema: z.any() })
        .then(child)
        .map(async ({ inputData }) => [inputData.n, inputData.n + 1])
        .foreach(item, { concurrency: 2 })
        .commit(),
    );
    const s = (await w.createRun()).stream({ inputData: { n: 1 } });
    const events = await collect(s.fullStream);
    expect((await s.result).status).toBe('success');
    const ids = events.filter((e) => e.type === 'workflow-step-start' || e.type === 'workflow-step-result').map((e) => `${e.type}:${String(e.payload.id)}`);
    expect(ids.slice(0, 4)).toEqual([
      'workflow-step-start:child',
      'workflow-step-start:child.inner',
      'workflow-step-result:child.inner',
      'workflow-step-result:child',
    ]);
    // foreach: one start, one progress per item, one result for the whole array (Mastra's order)
    expect(events.slice(5).map((e) => `${e.type}:${String(e.payload.id)}`)).toEqual([
      'workflow-step-start:item',
      'workflow-step-progress:item',
      'workflow-step-progress:item',
      'workflow-step-result:item',
      'workflow-finish:undefined',
    ]);
    expect(events[5]!.payload).toMatchObject({ payload: [2, 3] });
    expect(events[8]!.payload).toMatchObject({ status: "success", output: [4, 6] });
    const progress = events.filter((e) => e.type === 'workflow-step-progress');
    expect(progress).toHaveLength(2);
    expect(progress.map((e) => e.payload.completedCount)).toEqual([1, 2]);
    expect(progress[1]!.payload).toMatchObject({ id: 'item', totalCount: 2, iterationStatus: 'success' });
    expect(progress.map((e) => e.payload.iterationOutput).sort()).toEqual([4, 6]);
    expect(events.at(-1)!.type).toBe('workflow-finish');
  });

  it('stream of a suspending run emits workflow-step-suspended and finishes as suspended', async () => {
    const w = bind(mode, createWorkflow({ id: uid('stream-susp'), inputSchema: N, outputSchema: z.any() }).then(suspender()).commit());
    const s = (await w.createRun()).stream({ inputData: { n: 1 } });
    const events = await collect(s.fullStream);
    expect(events.map((e) => e.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-suspended', 'workflow-finish']);
    expect(events[2]!.payload).toMatchObject({ id: 'gate', suspendPayload: { waitingFor: 'answer' } });
    expect(events[3]!.payload).toMatchObject({ workflowStatus: 'suspended' });
  });

  it('stream rejects its result on invalid input and closes', async () => {
    const w = bind(mode, createWorkflow({ id: uid('stream-bad'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit());
    const s = (await w.createRun()).stream({ inputData: { n: 'x' } as any });
    await expect(s.result).rejects.toBeInstanceOf(WorkflowValidationError);
    expect(await collect(s.fullStream)).toEqual([]);
  });

  const byWhat: [string, (step: ReturnType<typeof suspender>) => Record<string, unknown>][] = [
    ['step object', (step) => ({ step })],
    ['step id', () => ({ step: 'gate' })],
    ['label', () => ({ label: 'gate-label' })],
    ['auto-detection', () => ({})],
  ];
  it.each(byWhat)('resume by %s, with resumeData validated against resumeSchema', async (_what, target) => {
    const step = suspender();
    const w = bind(mode, createWorkflow({ id: uid('resume'), inputSchema: N, outputSchema: z.any() }).then(step).then(addStep('after', 1) as any).commit());
    const run = await w.createRun();
    const r1 = await run.start({ inputData: { n: 1 } });
    expect(r1).toMatchObject({ status: 'suspended', suspended: [['gate']], suspendPayload: { gate: { waitingFor: 'answer' } } });
    await expect(run.resume({ ...target(step), resumeData: { answer: 42 } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/answer/) });
    // the rejected resume changed nothing
    expect((await w.getWorkflowRunExecutionResult(run.runId))?.status).toBe('suspended');
    const r2 = await run.resume({ ...target(step), resumeData: { answer: 'yes' } });
    expect(r2).toMatchObject({ status: 'success', result: { n: 2 } }); // 'after' parses with N, which strips `answer`
    expect(r2.steps.gate).toMatchObject({ status: 'success', output: { n: 1, answer: 'yes' }, resumePayload: { answer: 'yes' }, suspendPayload: { waitingFor: 'answer' } });
  });

  it('resume picks one of two suspended parallel steps; auto-detection refuses to guess', async () => {
    const w = bind(mode, createWorkflow({ id: uid('resume-two'), inputSchema: N, outputSchema: z.any() }).parallel([suspender('g1'), suspender('g2')]).commit());
    const run = await w.createRun();
    const r1 = await run.start({ inputData: { n: 1 } });
    expect(r1.status).toBe('suspended');
    if (r1.status === 'suspended') expect(r1.suspended.sort()).toEqual([['g1'], ['g2']]);
    await expect(run.resume({ resumeData: { answer: 'a' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const r2 = await run.resume({ step: 'g2', resumeData: { answer: 'b' } });
    expect(r2.status).toBe('suspended');
    if (r2.status === 'suspended') expect(r2.suspended).toEqual([['g1']]);
    const r3 = await run.resume({ label: 'g1-label', resumeData: { answer: 'a' } });
    expect(r3).toMatchObject({ status: 'success', result: { g1: { n: 1, answer: 'a' }, g2: { n: 1, answer: 'b' } } });
  });

  it('resumeAsync returns { runId } and the run finishes in the background', async () => {
    const gate = deferred();
    const slow = createStep({ id: 'slow', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => { await gate.promise; return inputData; } });
    const w = bind(mode, createWorkflow({ id: uid('resume-async'), inputSchema: N, outputSchema: z.any() }).then(suspender()).then(slow).commit());
    const run = await w.createRun();
    await run.start({ inputData: { n: 1 } });
    const res = await run.resumeAsync({ resumeData: { answer: 'ok' } });
    expect(res).toEqual({ runId: run.runId });
    expect((await w.getWorkflowRunExecutionResult(run.runId))?.status).toBe('running');
    gate.resolve();
    expect(await untilStatus(w, run.runId, 'success')).toMatchObject({ result: { n: 1, answer: 'ok' } });
  });

  it('cancel of a running step fires its abortSignal, marks the run canceled, and later steps never start', async () => {
    const entered = deferred();
    let abortSeen = false;
    const later = { count: 0 };
    const blocker = createStep({
      id: 'blocker',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, abortSignal }) => {
        entered.resolve();
        await new Promise<void>((resolve) => abortSignal.addEventListener('abort', () => { abortSeen = true; resolve(); }));
        return inputData;
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('cancel'), inputSchema: N, outputSchema: N }).then(blocker).then(addStep('later', 1, later)).commit());
    const run = await w.createRun();
    const s = run.stream({ inputData: { n: 1 } });
    const eventsP = collect(s.fullStream);
    await entered.promise;
    await run.cancel();
    const r = await s.result;
    expect(r.status).toBe('canceled');
    expect(abortSeen).toBe(true);
    await sleep(50);
    expect(later.count).toBe(0);
    const polled = await w.getWorkflowRunExecutionResult(run.runId);
    expect(polled?.status).toBe('canceled');
    expect(polled?.steps.later).toBeUndefined();
    const types = (await eventsP).map((e) => e.type);
    expect(types).toContain('workflow-canceled');
    expect(types.at(-1)).toBe('workflow-finish');
    // cancel is idempotent on a finished run
    await run.cancel();
    expect((await w.getWorkflowRunExecutionResult(run.runId))?.status).toBe('canceled');
  });

  it('cancel of a step that ignores its signal still ends the run and stops later steps', async () => {
    const entered = deferred();
    const release = deferred();
    const later = { count: 0 };
    const stubborn = createStep({ id: 'stubborn', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { entered.resolve(); await release.promise; return inputData; } });
    const w = bind(mode, createWorkflow({ id: uid('cancel2'), inputSchema: N, outputSchema: N }).then(stubborn).then(addStep('later', 1, later)).commit());
    const run = await w.createRun();
    const p = run.start({ inputData: { n: 1 } });
    await entered.promise;
    await run.cancel();
    expect((await p).status).toBe('canceled');
    release.resolve();
    await sleep(30);
    expect(later.count).toBe(0);
    expect((await w.getWorkflowRunExecutionResult(run.runId))?.status).toBe('canceled');
  });

  it('cancel of an unknown run rejects with RunNotFoundError', async () => {
    const w = bind(mode, createWorkflow({ id: uid('cancel3'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit());
    await expect((await w.createRun({ runId: 'never-started' })).cancel()).rejects.toMatchObject({ name: 'RunNotFoundError', code: 'RUN_NOT_FOUND' });
  });

  it('getWorkflowRunById returns the Mastra v1 run view, null when unknown', async () => {
    const w = bind(mode, createWorkflow({ id: uid('byid'), inputSchema: N, outputSchema: N }).then(addStep('a', 1)).commit());
    const run = await w.createRun({ resourceId: 'res-1' });
    await run.start({ inputData: { n: 1 }, initialState: { k: 'v' }, metadata: { who: 'test' } });
    const view = await w.getWorkflowRunById(run.runId);
    expect(view).toMatchObject({
      runId: run.runId,
      workflowName: w.id,
      resourceId: 'res-1',
      status: 'success',
      payload: { n: 1 },
      result: { n: 2 },
      state: { k: 'v' },
      metadata: { who: 'test' },
      steps: { a: { status: 'success', output: { n: 2 } } },
    });
    expect(view!.createdAt).toBeInstanceOf(Date);
    expect(view!.updatedAt.getTime()).toBeGreaterThanOrEqual(view!.createdAt.getTime());
    expect(view!.serializedStepGraph).toEqual([{ type: 'step', step: { id: 'a' } }]);
    expect(await w.getWorkflowRunById('missing')).toBeNull();
  });

  it('listWorkflowRuns: newest first, paginated, filtered by status, resourceId and dates', async () => {
    const boom = createStep({ id: 'boom', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { if (inputData.n < 0) throw new Error('neg'); return inputData; } });
    const w = bind(mode, createWorkflow({ id: uid('list'), inputSchema: N, outputSchema: N }).then(boom).commit());
    const ids: string[] = [];
    const marks: Date[] = [];
    for (let i = 0; i < 5; i++) {
      marks.push(new Date());
      await sleep(3);
      const run = await w.createRun({ runId: `list-${i}`, resourceId: i % 2 === 0 ? 'even' : 'odd' });
      ids.push(run.runId);
      await run.start({ inputData: { n: i === 3 ? -1 : i } });
      await sleep(3);
    }
    const all = await w.listWorkflowRuns();
    expect(all.total).toBe(5);
    expect(all.runs.map((r) => r.runId)).toEqual([...ids].reverse());
    expect(all.runs[0]).toMatchObject({ workflowName: w.id, status: 'success', resourceId: 'even' });
    expect(all.runs[0]!.createdAt).toBeInstanceOf(Date);

    const p0 = await w.listWorkflowRuns({ perPage: 2, page: 0 });
    const p1 = await w.listWorkflowRuns({ perPage: 2, page: 1 });
    const p2 = await w.listWorkflowRuns({ perPage: 2, page: 2 });
    expect([p0.total, p1.total, p2.total]).toEqual([5, 5, 5]);
    expect([...p0.runs, ...p1.runs, ...p2.runs].map((r) => r.runId)).toEqual([...ids].reverse());
    expect(p2.runs).toHaveLength(1);

    const failed = await w.listWorkflowRuns({ status: 'failed' });
    expect(failed).toMatchObject({ total: 1, runs: [{ runId: 'list-3', status: 'failed' }] });
    const odd = await w.listWorkflowRuns({ resourceId: 'odd' });
    expect(odd.runs.map((r) => r.runId)).toEqual(['list-3', 'list-1']);
    const between = await w.listWorkflowRuns({ fromDate: marks[1], toDate: marks[3] });
    expect(between.runs.map((r) => r.runId)).toEqual(['list-2', 'list-1']);
    const fromOnly = await w.listWorkflowRuns({ fromDate: marks[4]!.getTime() });
    expect(fromOnly.runs.map((r) => r.runId)).toEqual(['list-4']);
    // other workflows' runs are not listed
    const other = bind(mode, createWorkflow({ id: uid('list-other'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit());
    expect((await other.listWorkflowRuns()).total).toBe(0);
  });

  it('deleteWorkflowRunById removes the run and its journal', async () => {
    const w = bind(mode, createWorkflow({ id: uid('delete'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit());
    const run = await w.createRun();
    await run.start({ inputData: { n: 1 } });
    expect(await w.deleteWorkflowRunById(run.runId)).toBe(true);
    expect(await w.getWorkflowRunExecutionResult(run.runId)).toBeNull();
    expect(await w.getWorkflowRunById(run.runId)).toBeNull();
    expect((await w.listWorkflowRuns()).total).toBe(0);
    expect(await w.deleteWorkflowRunById(run.runId)).toBe(false);
  });
});

describe('the default engine', () => {
  it('runs each workflow object\'s own graph even when two workflows share an id', async () => {
    const make = (by: number) =>
      createWorkflow({ id: 'shared-id', inputSchema: N, outputSchema: N })
        .then(createStep({ id: 'a', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + by }) }))
        .then(suspender())
        .commit();
    const w1 = make(1);
    const w2 = make(100);
    const r1 = await w1.createRun();
    const r2 = await w2.createRun();
    expect((await r1.start({ inputData: { n: 0 } })).steps.a?.output).toEqual({ n: 1 });
    expect((await r2.start({ inputData: { n: 0 } })).steps.a?.output).toEqual({ n: 100 });
    expect(await r1.resume({ resumeData: { answer: 'x' } })).toMatchObject({ status: 'success', result: { n: 1, answer: 'x' } });
    expect(await r2.resume({ resumeData: { answer: 'y' } })).toMatchObject({ status: 'success', result: { n: 100, answer: 'y' } });
  });
});

describe('a Weft registry', () => {
  it('serves workflows by registry key and by id, and starts itself on first use', async () => {
    const wf = createWorkflow({ id: uid('onboarding'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit();
    const weft = makeWeft({ onboarding: wf });
    expect(weft.getWorkflow('onboarding')).toBe(wf);
    expect(weft.getWorkflow(wf.id)).toBe(wf);
    expect(() => weft.getWorkflow('nope')).toThrow(expect.objectContaining({ code: 'WORKFLOW_NOT_FOUND' }));
    const run = await weft.getWorkflow('onboarding').createRun();
    expect(await run.start({ inputData: { n: 1 } })).toMatchObject({ status: 'success', result: { n: 2 } });
    expect((await weft.getWorkflow('onboarding').listWorkflowRuns()).total).toBe(1);
  });
});
