import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, RequestContext, sqliteStore, type Store } from '../../src/index.js';
import { TOOL_MARKER, fakeTool } from './fake-agents.js';
import { makeWeft, uid } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STORES: [string, () => Store][] = [
  ['memory', () => memoryStore()],
  ['sqlite', () => sqliteStore({ path: join(dir, `${uid('db')}.db`) })],
];

const V = z.object({ value: z.number() });
const D = z.object({ doubled: z.number() });

function doubleTool(calls: { input: unknown; context: any }[] = []) {
  return fakeTool({
    id: 'double-tool',
    description: 'Doubles a number',
    inputSchema: V,
    outputSchema: D,
    execute: async (input, context) => {
      calls.push({ input, context });
      return { doubled: input.value * 2 };
    },
  });
}

describe.each(STORES)('tool steps (%s store)', (_name, makeStore) => {
  const onStore = <W extends { id: string }>(w: W) => {
    makeWeft({ [w.id]: w as any }, { store: makeStore() });
    return w;
  };

  it('createStep(tool): the tool gets its input as the first argument and a tool context as the second', async () => {
    const calls: { input: unknown; context: any }[] = [];
    const step = createStep(doubleTool(calls));
    expect(step).toMatchObject({ id: 'double-tool', component: 'TOOL', description: 'Doubles a number' });
    const w = onStore(createWorkflow({ id: uid('tool'), inputSchema: V, outputSchema: D }).then(step).commit());
    const run = await w.createRun();
    const r = await run.start({ inputData: { value: 5 }, requestContext: new RequestContext({ tenant: 't1' }) });
    expect(r).toMatchObject({ status: 'success', result: { doubled: 10 }, steps: { 'double-tool': { status: 'success', output: { doubled: 10 } } } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.input).toEqual({ value: 5 });
    const ctx = calls[0]!.context;
    expect(ctx.requestContext.get('tenant')).toBe('t1');
    expect(ctx.abortSignal).toBeInstanceOf(AbortSignal);
    expect(ctx.workflow).toMatchObject({ runId: run.runId, workflowId: w.id, state: {} });
    expect(typeof ctx.workflow.suspend).toBe('function');
    expect(typeof ctx.workflow.setState).toBe('function');
  });

  it("a tool's own validation failure (returned, not thrown) fails the step with ToolValidationError", async () => {
    // The tool's output schema is stricter than what it returns: weft's input check passes, the tool's own fails.
    const liar = fakeTool({ id: 'liar', inputSchema: V, outputSchema: D, execute: async () => ({ doubled: 'many' }) as never });
    const w = onStore(createWorkflow({ id: uid('tool-invalid'), inputSchema: V, outputSchema: z.any() }).then(createStep(liar)).commit());
    const r = await (await w.createRun()).start({ inputData: { value: 1 } });
    expect(r.status).toBe('failed');
    expect(r.steps.liar).toMatchObject({
      status: 'failed',
      error: { name: 'ToolValidationError', code: 'VALIDATION_FAILED', issues: [{ path: 'doubled', message: expect.any(String) }] },
    });
    expect((r.steps.liar as any).error.message).toMatch(/^output of tool "liar" is invalid: \n- doubled: /);
  });

  it("a tool's own input validation failure fails the step at once, without retries", async () => {
    // The tool checks its input with a stricter schema than the one it shows (weft's check passes):
    // the failure comes back from the tool as a value, as Mastra tools return it.
    const inner = fakeTool({ id: 'strict', inputSchema: z.object({ value: z.number().positive() }), outputSchema: D, execute: async (i) => ({ doubled: i.value * 2 }) });
    let calls = 0;
    const strict = { ...inner, inputSchema: V, execute: async (input: any, ctx: any) => (calls++, inner.execute(input, ctx)) };
    const w = onStore(createWorkflow({ id: uid('tool-retry'), inputSchema: V, outputSchema: z.any() }).then(createStep(strict, { retries: 3 })).commit());
    const r = await (await w.createRun()).start({ inputData: { value: -1 } });
    expect(r).toMatchObject({ status: 'failed', steps: { strict: { status: 'failed', error: { name: 'ToolValidationError', code: 'VALIDATION_FAILED' } } } });
    expect((r.steps.strict as any).error.message).toMatch(/^input of tool "strict" is invalid: \n- value: /);
    expect(calls).toBe(1);
  });

  it('weft checks the step input against the tool input schema before the tool runs', async () => {
    const calls: unknown[] = [];
    const w = onStore(createWorkflow({ id: uid('tool-input'), inputSchema: z.any(), outputSchema: z.any() }).then(createStep(doubleTool(calls as any))).commit());
    const r = await (await w.createRun()).start({ inputData: { value: 'five' } });
    expect(r).toMatchObject({ status: 'failed', steps: { 'double-tool': { error: { name: 'WorkflowValidationError', code: 'VALIDATION_FAILED' } } } });
    expect(calls).toEqual([]);
  });

  it('a tool can suspend through context.workflow.suspend and gets resumeData on resume', async () => {
    const approve = fakeTool({
      id: 'approve',
      inputSchema: z.object({ amount: z.number() }),
      outputSchema: z.object({ approved: z.boolean(), amount: z.number() }),
      suspendSchema: z.object({ ask: z.string() }),
      resumeSchema: z.object({ ok: z.boolean() }),
      execute: async (input, { workflow }) => {
        if (!workflow.resumeData) {
          await workflow.suspend({ ask: `approve ${input.amount}?` });
          return undefined;
        }
        return { approved: workflow.resumeData.ok, amount: input.amount };
      },
    });
    const w = onStore(createWorkflow({ id: uid('tool-suspend'), inputSchema: z.object({ amount: z.number() }), outputSchema: z.any() }).then(createStep(approve)).commit());
    const run = await w.createRun();
    const first = await run.start({ inputData: { amount: 42 } });
    expect(first).toMatchObject({ status: 'suspended', steps: { approve: { status: 'suspended', suspendPayload: { ask: 'approve 42?' } } } });
    const done = await run.resume({ step: 'approve', resumeData: { ok: true } });
    expect(done).toMatchObject({ status: 'success', result: { approved: true, amount: 42 } });
  });

  it('.tool() adds a tool after .map(); with { id } the same tool is used twice', async () => {
    const w = onStore(
      createWorkflow({ id: uid('tool-builder'), inputSchema: V, outputSchema: D })
        .map(async ({ inputData }) => ({ value: inputData.value + 1 }))
        .tool(doubleTool())
        .map(async ({ inputData }) => ({ value: inputData.doubled }))
        .tool(doubleTool(), {}, { id: 'double-again' })
        .commit(),
    );
    expect(w.steps['double-tool']).toMatchObject({ component: 'TOOL', description: 'Doubles a number' });
    const r = await (await w.createRun()).start({ inputData: { value: 5 } });
    expect(r).toMatchObject({ status: 'success', result: { doubled: 24 }, steps: { 'double-tool': { output: { doubled: 12 } }, 'double-again': { output: { doubled: 24 } } } });
  });

  it('createStep(classifier) and .classifier(): the input is the state to classify, { answers, usage } out', async () => {
    const evaluated: any[] = [];
    const classifier = {
      id: 'sentiment',
      model: { specificationVersion: 'v4' },
      questions: { tone: { type: 'choice', criteria: { happy: null, sad: null } } } as const,
      async evaluate(options: any) {
        evaluated.push(options);
        const happy = String(options.state.text).includes(':)');
        return { answers: { tone: { type: 'choice', choice: happy ? 'happy' : 'sad' } }, usage: { totalTokens: 3 }, warnings: [], response: { timestamp: new Date(), modelId: 'm' } };
      },
    };
    const step = createStep(classifier, { maxRetries: 2 });
    expect(step).toMatchObject({ id: 'sentiment', component: 'CLASSIFIER' });
    const w = onStore(
      createWorkflow({ id: uid('classifier'), inputSchema: z.object({ text: z.string() }), outputSchema: z.any() })
        .then(step)
        .map(async ({ getInitData }) => getInitData())
        .classifier(classifier, {}, { id: 'sentiment-again' })
        .commit(),
    );
    const r = await (await w.createRun()).start({ inputData: { text: 'great :)' } });
    expect(r).toMatchObject({ status: 'success', result: { answers: { tone: { choice: 'happy' } }, usage: { totalTokens: 3 } } });
    expect(r.steps.sentiment).toMatchObject({ output: { answers: { tone: { type: 'choice', choice: 'happy' } }, usage: { totalTokens: 3 } } });
    expect(evaluated[0]).toMatchObject({ state: { text: 'great :)' }, maxRetries: 2 });
    expect(evaluated[0].abortSignal).toBeInstanceOf(AbortSignal);
    expect(evaluated[1]).not.toHaveProperty('maxRetries');
  });
});

describe('tool recognition', () => {
  it('a plain object with id, schemas and execute is a step config: its execute gets the step context', async () => {
    let got: any;
    const step = createStep({ id: 'plain', inputSchema: V, outputSchema: V, execute: async (ctx) => ((got = ctx), ctx.inputData) });
    expect(step.component).toBe('STEP');
    const w = createWorkflow({ id: uid('plain'), inputSchema: V, outputSchema: V }).then(step).commit();
    makeWeft({ [w.id]: w });
    await (await w.createRun()).start({ inputData: { value: 1 } });
    expect(got.inputData).toEqual({ value: 1 });
  });

  it("an object carrying Mastra's tool marker is a tool, whatever else it has", () => {
    const marked = { [TOOL_MARKER]: true, id: 't', inputSchema: V, outputSchema: V, execute: async (i: { value: number }) => i };
    expect(createStep(marked).component).toBe('TOOL');
  });
});
