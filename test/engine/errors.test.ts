import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createStep,
  createWorkflow,
  InvalidArgumentError,
  ResumeConflictError,
  RunNotFoundError,
  RunNotSuspendedError,
  StepNotSuspendedError,
  WeftError,
  WorkflowValidationError,
} from '../../src/index.js';
import { MODES, N, addStep, bind, deferred, makeWeft, sleep, uid, untilStatus } from './helpers.js';

function gateStep(id = 'gate') {
  return createStep({
    id,
    inputSchema: N,
    outputSchema: N,
    execute: async ({ inputData, resumeData, suspend }) => (resumeData ? { n: inputData.n + 1 } : suspend({})),
  });
}

describe.each(MODES)('bad input at public entry points on the %s', (mode) => {
  const Input = z.object({ user: z.object({ email: z.string().email() }), count: z.number().int() });

  it.each(['start', 'startAsync', 'stream'] as const)('invalid inputData: %s rejects with VALIDATION_FAILED naming the field, leaving no run', async (method) => {
    const calls = { count: 0 };
    const w = bind(mode, createWorkflow({ id: uid('bad-input'), inputSchema: Input, outputSchema: z.any() }).then(createStep({ id: 's', inputSchema: Input, outputSchema: z.any(), execute: async () => { calls.count++; return {}; } })).commit());
    const run = await w.createRun();
    const bad = { inputData: { user: { email: 'not-an-email' }, count: 1.5 } };
    const p = method === 'stream' ? run.stream(bad).result : run[method](bad);
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowValidationError);
    expect(err).toBeInstanceOf(WeftError);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', name: 'WorkflowValidationError' });
    expect((err as Error).message).toMatch(/user\.email/);
    expect((err as Error).message).toMatch(/count/);
    expect((err as WorkflowValidationError).issues.map((i) => i.path).sort()).toEqual(['count', 'user.email']);
    expect(calls.count).toBe(0);
    expect((await w.listWorkflowRuns()).total).toBe(0);
    expect(await w.getWorkflowRunExecutionResult(run.runId)).toBeNull();
    expect(await w.getWorkflowRunById(run.runId)).toBeNull();
    // the same handle can still be started with valid input
    await run.startAsync({ inputData: { user: { email: 'a@b.co' }, count: 1 } });
    expect((await w.listWorkflowRuns()).total).toBe(1);
  });

  it('missing inputData is invalid input too', async () => {
    const w = bind(mode, createWorkflow({ id: uid('no-input'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit());
    await expect((await w.createRun()).start({})).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect((await w.createRun()).start()).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('bad initialState is rejected (schema and non-object), leaving no run', async () => {
    const w = bind(mode, createWorkflow({ id: uid('bad-state'), inputSchema: N, outputSchema: N, stateSchema: z.object({ count: z.number() }) }).then(addStep('a')).commit());
    await expect((await w.createRun()).start({ inputData: { n: 1 }, initialState: { count: 'x' } as any })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/count/) });
    await expect((await w.createRun()).startAsync({ inputData: { n: 1 }, initialState: 5 as any })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect((await w.createRun()).start({ inputData: { n: 1 }, initialState: [] as any })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await w.listWorkflowRuns()).total).toBe(0);
  });

  it('non-object options and bad option fields are rejected', async () => {
    const w = bind(mode, createWorkflow({ id: uid('bad-opts'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit());
    const run = await w.createRun();
    for (const opts of [5, 'x', null, [], true]) {
      await expect(run.start(opts as any)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(run.startAsync(opts as any)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(run.start({ inputData: { n: 1 }, requestContext: 'ctx' as any })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(run.start({ inputData: { n: 1 }, metadata: 3 as any })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(run.start({ inputData: { n: 1 }, outputOptions: 'all' as any })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(run.resume(7 as any)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.createRun(5 as any)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.createRun({ runId: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.createRun({ runId: 42 as any })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.createRun({ resourceId: 42 as any })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.getWorkflowRunExecutionResult('' as any)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.getWorkflowRunById(undefined as any)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.deleteWorkflowRunById(3 as any)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.listWorkflowRuns('x' as any)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.listWorkflowRuns({ perPage: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.listWorkflowRuns({ page: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.listWorkflowRuns({ fromDate: new Date('nope') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await w.listWorkflowRuns()).total).toBe(0);
  });

  it('traceId must be 1-32 hex characters; a good one is recorded on the result', async () => {
    const w = bind(mode, createWorkflow({ id: uid('trace'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit());
    for (const traceId of ['xyz', '', 'a'.repeat(33), 'abc-123']) {
      await expect((await w.createRun()).start({ inputData: { n: 1 }, traceId })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/traceId/) });
      await expect((await w.createRun()).startAsync({ inputData: { n: 1 }, tracingOptions: { traceId } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect((await w.listWorkflowRuns()).total).toBe(0);
    const r = await (await w.createRun()).start({ inputData: { n: 1 }, tracingOptions: { traceId: 'ABCDEF0123456789abcdef0123456789' } });
    expect(r).toMatchObject({ status: 'success', traceId: 'abcdef0123456789abcdef0123456789' });
  });

  it('resume: unknown run, run not suspended, step not suspended', async () => {
    const w = bind(mode, createWorkflow({ id: uid('resume-err'), inputSchema: N, outputSchema: N }).then(addStep('a')).then(gateStep()).commit());
    const ghost = await w.createRun({ runId: 'ghost-run' });
    await expect(ghost.resume({ resumeData: {} })).rejects.toBeInstanceOf(RunNotFoundError);
    await expect(ghost.resumeAsync({ resumeData: {} })).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });

    const run = await w.createRun();
    expect((await run.start({ inputData: { n: 1 } })).status).toBe('suspended');
    await expect(run.resume({ step: 'a', resumeData: {} })).rejects.toBeInstanceOf(StepNotSuspendedError);
    await expect(run.resume({ step: 'nope', resumeData: {} })).rejects.toMatchObject({ code: 'STEP_NOT_SUSPENDED', message: expect.stringContaining('gate') });
    await expect(run.resume({ label: 'nope', resumeData: {} })).rejects.toMatchObject({ code: 'STEP_NOT_SUSPENDED' });
    await expect(run.resume({ step: 5 as any, resumeData: {} })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await run.resume({ resumeData: { go: true } })).status).toBe('success');
    const again = await run.resume({ resumeData: { go: true } }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(RunNotSuspendedError);
    expect(again).toMatchObject({ code: 'RUN_NOT_SUSPENDED', message: expect.stringContaining('success') });

    const fresh = await w.createRun();
    const failing = createWorkflow({ id: uid('resume-failed'), inputSchema: N, outputSchema: N }).then(createStep({ id: 'x', inputSchema: N, outputSchema: N, execute: async () => { throw new Error('x'); } })).commit();
    const fr = await bind(mode, failing).createRun();
    await fr.start({ inputData: { n: 1 } });
    await expect(fr.resume({ resumeData: {} })).rejects.toMatchObject({ code: 'RUN_NOT_SUSPENDED' });
    await expect(fresh.resume({})).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
  });

  it('resume of a running run is RunNotSuspendedError', async () => {
    const hold = deferred();
    const entered = deferred();
    const slow = createStep({ id: 'slow', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { entered.resolve(); await hold.promise; return inputData; } });
    const w = bind(mode, createWorkflow({ id: uid('resume-running'), inputSchema: N, outputSchema: N }).then(slow).commit());
    const run = await w.createRun();
    await run.startAsync({ inputData: { n: 1 } });
    await entered.promise;
    await expect(run.resume({ resumeData: {} })).rejects.toMatchObject({ code: 'RUN_NOT_SUSPENDED', message: expect.stringContaining('running') });
    hold.resolve();
  });

  it('step output that is not JSON-serialisable fails that step with a clear error, without retries', async () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cases: [string, unknown, RegExp][] = [
      ['function', { f: () => 1 }, /function at key "f" is not JSON-serialisable/],
      ['BigInt', { big: 10n }, /BigInt/],
      ['cycle', cyclic, /circular/i],
    ];
    for (const [name, value, pattern] of cases) {
      const attempts = { count: 0 };
      const bad = createStep({ id: 'bad', inputSchema: N, outputSchema: z.any(), retries: 3, execute: async () => { attempts.count++; return value; } });
      const w = bind(mode, createWorkflow({ id: uid(`nonjson-${name}`), inputSchema: N, outputSchema: z.any() }).then(bad).commit());
      const r = await (await w.createRun()).start({ inputData: { n: 1 } });
      expect(r.status, name).toBe('failed');
      if (r.status !== 'failed') continue;
      expect(r.error, name).toMatchObject({ code: 'PAYLOAD_NOT_SERIALIZABLE', message: expect.stringMatching(pattern) });
      expect(r.error.message).toContain('output of step "bad"');
      expect(r.steps.bad?.status).toBe('failed');
      expect(attempts.count, name).toBe(1);
    }
  });

  it('a step throwing a non-Error value fails with a serialised error', async () => {
    const weird = createStep({ id: 'weird', inputSchema: N, outputSchema: N, execute: async () => { throw 'just a string'; } });
    const w = bind(mode, createWorkflow({ id: uid('throw-string'), inputSchema: N, outputSchema: N }).then(weird).commit());
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r).toMatchObject({ status: 'failed', error: { name: 'Error', message: 'just a string' } });
  });

  it('a step whose input fails its inputSchema fails with VALIDATION_FAILED', async () => {
    const wants = createStep({ id: 'wants-string', inputSchema: z.object({ s: z.string() }), outputSchema: z.any(), execute: async ({ inputData }) => inputData });
    const w = bind(mode, createWorkflow({ id: uid('step-input'), inputSchema: N, outputSchema: z.any() }).then(wants as any).commit());
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r.status).toBe('failed');
    if (r.status !== 'failed') return;
    expect(r.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Step input validation failed: \n- s: /) });
    // the step it names is the one that failed
    expect(r.steps['wants-string']).toMatchObject({ status: 'failed', error: { code: 'VALIDATION_FAILED', message: r.error.message } });
  });
});

describe('maxPayloadBytes', () => {
  it('an oversized output fails that step alone; the engine and other runs carry on', async () => {
    const big = createStep({ id: 'big', inputSchema: N, outputSchema: z.any(), execute: async () => ({ blob: 'x'.repeat(5000) }) });
    const small = createStep({ id: 'small', inputSchema: N, outputSchema: z.any(), execute: async ({ inputData }) => ({ ok: inputData.n }) });
    const w = createWorkflow({ id: uid('payload'), inputSchema: N, outputSchema: z.any() }).parallel([big, small]).commit();
    const other = createWorkflow({ id: uid('payload-other'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit();
    makeWeft({ w, other }, { maxPayloadBytes: 1000 });
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r.status).toBe('failed');
    if (r.status === 'failed') expect(r.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/output of step "big".*over the limit of 1000/) });
    expect(r.steps.big?.status).toBe('failed');
    expect(r.steps.small).toMatchObject({ status: 'success', output: { ok: 1 } });
    expect(await (await other.createRun()).start({ inputData: { n: 1 } })).toMatchObject({ status: 'success', result: { n: 2 } });
  });

  it('an oversized workflow input is rejected up front', async () => {
    const Loose = z.object({ n: z.number(), pad: z.string() });
    const w = createWorkflow({ id: uid('payload-in'), inputSchema: Loose, outputSchema: z.any() }).then(createStep({ id: 'a', inputSchema: Loose, outputSchema: z.any(), execute: async () => ({}) })).commit();
    makeWeft({ w }, { maxPayloadBytes: 1000 });
    await expect((await w.createRun()).start({ inputData: { n: 1, pad: 'y'.repeat(5000) } })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect((await w.listWorkflowRuns()).total).toBe(0);
  });
});

describe.each(MODES)('concurrent resume on the %s', (mode) => {
  it('two resume() calls started in the same tick: exactly one wins, the other gets ResumeConflictError', async () => {
    const executions = { count: 0 };
    const gate = createStep({
      id: 'gate',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, resumeData, suspend }) => {
        if (!resumeData) return suspend({});
        executions.count++;
        await sleep(20);
        return { n: inputData.n + (resumeData as { by: number }).by };
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('race'), inputSchema: N, outputSchema: N }).then(gate).commit());
    const run = await w.createRun();
    await run.start({ inputData: { n: 1 } });
    const other = await w.createRun({ runId: run.runId }); // a second handle, as another caller would have
    const [a, b] = await Promise.allSettled([run.resume({ resumeData: { by: 10 } }), other.resume({ resumeData: { by: 100 } })]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    if (a.status === 'fulfilled') expect(a.value).toMatchObject({ status: 'success', result: { n: 11 } });
    if (b.status === 'rejected') {
      expect(b.reason).toBeInstanceOf(ResumeConflictError);
      expect(b.reason).toMatchObject({ code: 'RESUME_CONFLICT' });
    }
    expect(executions.count).toBe(1);
    expect((await w.getWorkflowRunExecutionResult(run.runId))?.steps.gate?.resumePayload).toEqual({ by: 10 });
  });

  it('many concurrent resumeAsync calls: one wins', async () => {
    const executions = { count: 0 };
    const gate = createStep({ id: 'gate', inputSchema: N, outputSchema: N, execute: async ({ inputData, resumeData, suspend }) => { if (!resumeData) return suspend({}); executions.count++; return inputData; } });
    const w = bind(mode, createWorkflow({ id: uid('race-many'), inputSchema: N, outputSchema: N }).then(gate).commit());
    const run = await w.createRun();
    await run.start({ inputData: { n: 1 } });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => run.resumeAsync({ resumeData: { go: true } })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'RESUME_CONFLICT' });
    await untilStatus(w, run.runId, ['success', 'failed', 'canceled']);
    expect((await w.getWorkflowRunExecutionResult(run.runId))?.status).toBe('success');
    expect(executions.count).toBe(1);
  });
});
