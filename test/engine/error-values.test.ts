import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, sqliteStore, Weft, type WorkflowStreamChunk } from '../../src/index.js';
import { MODES, bind, uid } from './helpers.js';

const Empty = z.object({});

/** A step failing with an error that carries what real errors carry: custom fields and a cause chain. */
function apiFailure(id = 'call-api') {
  return createStep({
    id,
    inputSchema: Empty,
    outputSchema: Empty,
    execute: async () => {
      const root = new Error('connection refused');
      const http = new Error('HTTP request failed', { cause: root });
      const err = new Error('API call failed', { cause: http }) as Error & Record<string, unknown>;
      err.statusCode = 429;
      err.code = 'RATE_LIMITED';
      err.responseHeaders = { 'retry-after': '60' };
      err.isRetryable = true;
      err.callback = () => 'functions are not data';
      throw err;
    },
  });
}

function expectApiError(error: unknown): void {
  expect(error).toBeInstanceOf(Error);
  const e = error as any;
  expect(e.message).toBe('API call failed');
  expect(e.name).toBe('Error');
  expect(e).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED', responseHeaders: { 'retry-after': '60' }, isRetryable: true });
  expect(e.callback).toBeUndefined();
  expect(e.cause).toBeInstanceOf(Error);
  expect(e.cause.message).toBe('HTTP request failed');
  expect(e.cause.cause).toBeInstanceOf(Error);
  expect(e.cause.cause.message).toBe('connection refused');
  // The stack is kept on the instance (where the step threw), but not in its JSON (Mastra's serializeStack: false).
  expect(e.stack).toMatch(/API call failed/);
  expect(JSON.stringify(e)).not.toContain('"stack"');
  expect(JSON.parse(JSON.stringify(e))).toEqual({
    message: 'API call failed',
    name: 'Error',
    code: 'RATE_LIMITED',
    statusCode: 429,
    responseHeaders: { 'retry-after': '60' },
    isRetryable: true,
    cause: { message: 'HTTP request failed', name: 'Error', cause: { message: 'connection refused', name: 'Error' } },
  });
}

describe.each(MODES)('errors in results on the %s', (mode) => {
  it("a failed step's error is an Error instance with its custom properties and cause chain", async () => {
    const w = bind(mode, createWorkflow({ id: uid('err-props'), inputSchema: Empty, outputSchema: Empty }).then(apiFailure()).commit());
    const run = await w.createRun();
    const r = await run.start({ inputData: {} });
    expect(r.status).toBe('failed');
    expectApiError(r.steps['call-api']?.error);
    // result.error stays the plain object it is in Mastra (and in weft before), custom fields included.
    if (r.status !== 'failed') throw new Error('unreachable');
    expect(r.error).not.toBeInstanceOf(Error);
    expect(r.error).toMatchObject({ message: 'API call failed', statusCode: 429, code: 'RATE_LIMITED', cause: { message: 'HTTP request failed' } });
    // Without stacks, as Mastra's; the run view keeps the stored stack for whoever operates the run.
    expect(JSON.stringify(r.error)).not.toContain('"stack"');
    // Polling gives the same values.
    const polled = await w.getWorkflowRunExecutionResult(run.runId);
    expectApiError(polled?.steps['call-api']?.error);
    // The run view (Mastra's WorkflowState) keeps errors in their stored, plain shape.
    const view = await w.getWorkflowRunById(run.runId);
    expect(view?.steps['call-api']?.error).not.toBeInstanceOf(Error);
    expect(view?.steps['call-api']?.error).toMatchObject({ name: 'Error', message: 'API call failed', statusCode: 429 });
    expect(view?.error?.stack).toMatch(/API call failed/);
  });

  it('built-in error classes come back as themselves; thrown strings and objects become Errors', async () => {
    const typeErr = createStep({ id: 'type-err', inputSchema: Empty, outputSchema: Empty, execute: async () => { throw new TypeError('not a function'); } });
    const str = createStep({ id: 'str', inputSchema: Empty, outputSchema: Empty, execute: async () => { throw 'plain text'; } });
    const obj = createStep({ id: 'obj', inputSchema: Empty, outputSchema: Empty, execute: async () => { throw { message: 'object thrown', status: 503 }; } });
    const results = [];
    for (const s of [typeErr, str, obj]) {
      const w = bind(mode, createWorkflow({ id: uid('err-kinds'), inputSchema: Empty, outputSchema: Empty }).then(s).commit());
      results.push((await (await w.createRun()).start({ inputData: {} })).steps[s.id]?.error);
    }
    expect(results[0]).toBeInstanceOf(TypeError);
    expect(results[0]).toMatchObject({ name: 'TypeError', message: 'not a function' });
    expect(results[1]).toBeInstanceOf(Error);
    expect(results[1]?.message).toBe('plain text');
    expect(results[2]).toBeInstanceOf(Error);
    expect(results[2]).toMatchObject({ message: 'object thrown', status: 503 });
  });

  it('a nested workflow that failed shows an Error instance under its own id', async () => {
    const inner = createWorkflow({ id: uid('err-inner'), inputSchema: Empty, outputSchema: Empty }).then(apiFailure()).commit();
    const w = bind(mode, createWorkflow({ id: uid('err-outer'), inputSchema: Empty, outputSchema: Empty }).then(inner).commit());
    const r = await (await w.createRun()).start({ inputData: {} });
    expectApiError(r.steps[inner.id]?.error);
    expectApiError(r.steps[`${inner.id}.call-api`]?.error);
  });

  it('stream events carry the step error as an Error instance', async () => {
    const w = bind(mode, createWorkflow({ id: uid('err-events'), inputSchema: Empty, outputSchema: Empty }).then(apiFailure()).commit());
    const s = (await w.createRun()).stream({ inputData: {} });
    const events: WorkflowStreamChunk[] = [];
    for await (const e of s.fullStream) events.push(e);
    await s.result;
    const failed = events.find((e) => e.type === 'workflow-step-result' && e.payload.status === 'failed');
    expectApiError(failed?.payload.error);
  });

  it('steps.input is the workflow input, as in Mastra; a step called `input` takes its place', async () => {
    const w = bind(mode, createWorkflow({ id: uid('steps-input'), inputSchema: z.object({ n: z.number() }), outputSchema: z.any() }).then(createStep({ id: 'a', inputSchema: z.object({ n: z.number() }), outputSchema: z.any(), execute: async ({ inputData }) => inputData })).commit());
    const r = await (await w.createRun()).start({ inputData: { n: 7 } });
    expect(r.steps.input).toEqual({ n: 7 });
    expect(Object.keys(r.steps)).toEqual(['input', 'a']);

    const named = createStep({ id: 'input', inputSchema: z.any(), outputSchema: z.any(), execute: async () => ({ mine: true }) });
    const w2 = bind(mode, createWorkflow({ id: uid('steps-input-named'), inputSchema: z.any(), outputSchema: z.any() }).then(named).commit());
    const r2 = await (await w2.createRun()).start({ inputData: { n: 1 } });
    expect(r2.steps.input).toMatchObject({ status: 'success', output: { mine: true } });
  });
});

describe('errors after a crash', () => {
  it('a new process reading the journal gives the same Error values as the process that ran the step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-errors-'));
    const id = uid('err-reload');
    const build = () => createWorkflow({ id, inputSchema: Empty, outputSchema: Empty }).then(apiFailure()).commit();
    try {
      const first = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path: join(dir, 'w.db') }) });
      const run = await first.getWorkflow('wf').createRun();
      const live = await run.start({ inputData: {} });
      await first.stop();
      const second = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path: join(dir, 'w.db') }) });
      await second.start();
      const reloaded = await second.getWorkflow('wf').getWorkflowRunExecutionResult(run.runId);
      await second.stop();
      expectApiError(reloaded?.steps['call-api']?.error);
      expect(reloaded?.steps['call-api']?.error).toEqual(live.steps['call-api']?.error);
      expect(reloaded?.steps['call-api']?.error?.stack).toBe(live.steps['call-api']?.error?.stack);
      expect(reloaded).toEqual(live);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
