import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createStep,
  createWorkflow,
  memoryStore,
  sqliteStore,
  Weft,
  type AnyWorkflow,
  type Store,
  type WorkflowResult,
} from '../../src/index.js';

/**
 * `options.validateInputs` (default true), as in Mastra: false skips every input-side schema check of a
 * run (workflow input, initialState, step and nested-workflow inputs, resume data, suspend payloads,
 * setState); the run's root workflow decides for the workflows nested in it. Output validation is
 * `validateOutputs`, apart.
 */

const dir = mkdtempSync(join(tmpdir(), 'weft-validate-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
const STORES: [string, () => Store][] = [
  ['memory', () => memoryStore()],
  ['SQLite', () => sqliteStore({ path: join(dir, `v-${++seq}.db`) })],
];

const engines: Weft[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((w) => w.stop({ timeoutMs: 500 })));
});

const N = z.object({ n: z.number() });
const S = z.object({ s: z.string() });

/** What each step saw, by step id. */
let seen: Record<string, unknown> = {};
const record = <I extends string>(id: I, extra: Partial<Parameters<typeof createStep>[0]> = {}) =>
  createStep({
    id,
    inputSchema: S,
    outputSchema: z.any(),
    ...extra,
    execute: async (ctx) => {
      seen[id] = ctx.inputData;
      return (extra.execute ?? (async () => ctx.inputData))(ctx);
    },
  } as Parameters<typeof createStep>[0]);

interface Case {
  /** Builds the workflow (validateInputs as given). */
  build(validateInputs: boolean): AnyWorkflow;
  /** Runs it on the engine; returns the final result. */
  drive(weft: Weft): Promise<WorkflowResult>;
  /** With validateInputs false: what the run gives. */
  skipped(r: WorkflowResult): void;
  /** With validateInputs true: the message of the VALIDATION_FAILED error. */
  message: RegExp;
}

const start = async (weft: Weft, inputData: unknown, more: Record<string, unknown> = {}) =>
  (await weft.getWorkflow('wf').createRun()).start({ inputData, ...more });

const CASES: Record<string, Case> = {
  'the workflow input': {
    build: (v) => createWorkflow({ id: 'wf', inputSchema: S, outputSchema: z.any(), options: { validateInputs: v } }).then(record('a')).commit(),
    drive: (weft) => start(weft, { n: 1 }),
    skipped: (r) => expect(r).toMatchObject({ status: 'success', input: { n: 1 }, result: { n: 1 } }),
    message: /^Invalid input data: \n- s: /,
  },
  'initialState': {
    build: (v) =>
      createWorkflow({ id: 'wf', inputSchema: S, outputSchema: z.any(), stateSchema: z.object({ count: z.number() }), options: { validateInputs: v } })
        .then(record('a', { execute: async ({ state }) => state }))
        .commit(),
    drive: (weft) => start(weft, { s: 'x' }, { initialState: { count: 'many' } }),
    skipped: (r) => expect(r).toMatchObject({ status: 'success', result: { count: 'many' } }),
    message: /^Invalid initial data: \n- count: /,
  },
  "a step's input": {
    build: (v) =>
      createWorkflow({ id: 'wf', inputSchema: S, outputSchema: z.any(), options: { validateInputs: v } })
        .then(createStep({ id: 'to-n', inputSchema: S, outputSchema: N, execute: async () => ({ n: 1 }) }))
        .then(record('a') as any)
        .commit(),
    drive: (weft) => start(weft, { s: 'x' }),
    skipped: (r) => {
      expect(r).toMatchObject({ status: 'success', result: { n: 1 } });
      expect(seen.a).toEqual({ n: 1 });
    },
    message: /^Step input validation failed: \n- s: /,
  },
  "a nested workflow's input": {
    build: (v) => {
      const inner = createWorkflow({ id: 'inner', inputSchema: S, outputSchema: z.any() }).then(record('a')).commit();
      return createWorkflow({ id: 'wf', inputSchema: N, outputSchema: z.any(), options: { validateInputs: v } }).then(inner as any).commit();
    },
    drive: (weft) => start(weft, { n: 2 }),
    skipped: (r) => expect(r).toMatchObject({ status: 'success', result: { n: 2 } }),
    message: /^Step input validation failed: \n- s: /,
  },
  'resume data': {
    build: (v) =>
      createWorkflow({ id: 'wf', inputSchema: S, outputSchema: z.any(), options: { validateInputs: v } })
        .then(record('ask', { resumeSchema: z.object({ ok: z.boolean() }), execute: async ({ resumeData, suspend }) => resumeData ?? suspend({}) }))
        .commit(),
    drive: async (weft) => {
      const first = await start(weft, { s: 'x' });
      expect(first.status).toBe('suspended');
      return (await weft.getWorkflow('wf').createRun({ runId: first.runId })).resume({ resumeData: { ok: 'yes' } });
    },
    skipped: (r) => expect(r).toMatchObject({ status: 'success', result: { ok: 'yes' } }),
    message: /^Invalid resume data: \n- ok: /,
  },
  'a suspend payload': {
    build: (v) =>
      createWorkflow({ id: 'wf', inputSchema: S, outputSchema: z.any(), options: { validateInputs: v } })
        .then(record('ask', { suspendSchema: z.object({ reason: z.string() }), execute: async ({ suspend }) => suspend({ reason: 42 }) }))
        .commit(),
    drive: (weft) => start(weft, { s: 'x' }),
    skipped: (r) => expect(r).toMatchObject({ status: 'suspended', suspendPayload: { ask: { reason: 42 } } }),
    message: /^Step suspend data validation failed: \n- reason: /,
  },
  'setState': {
    build: (v) =>
      createWorkflow({ id: 'wf', inputSchema: S, outputSchema: z.any(), stateSchema: z.object({ count: z.number() }), options: { validateInputs: v } })
        .then(
          record('a', {
            execute: async ({ setState, inputData }) => {
              await setState({ count: 'many' });
              return inputData;
            },
          }),
        )
        .then(record('b', { execute: async ({ state }) => state }))
        .commit(),
    drive: (weft) => start(weft, { s: 'x' }, { initialState: { count: 1 } }),
    skipped: (r) => expect(r).toMatchObject({ status: 'success', result: { count: 'many' } }),
    message: /^Step state data validation failed: \n- count: /,
  },
};

describe.each(STORES)('options.validateInputs on %s', (_name, store) => {
  const engine = async (wf: AnyWorkflow) => {
    const weft = new Weft({ store: store(), workflows: { wf } });
    engines.push(weft);
    await weft.start();
    return weft;
  };

  it.each(Object.keys(CASES))('false skips the check of %s', async (name) => {
    seen = {};
    const c = CASES[name]!;
    c.skipped(await c.drive(await engine(c.build(false))));
  });

  it.each(Object.keys(CASES))('true (the default) checks %s', async (name) => {
    seen = {};
    const c = CASES[name]!;
    expect(c.build(true).options.validateInputs).toBe(true);
    const outcome = await c.drive(await engine(c.build(true))).then(
      (r) => (r.status === 'failed' ? r.error : r),
      (err: unknown) => err,
    );
    expect(outcome).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(c.message) });
  });

  it("the root workflow's setting decides inside nested workflows too", async () => {
    const inner = (v: boolean) =>
      createWorkflow({ id: 'inner', inputSchema: z.any(), outputSchema: z.any(), options: { validateInputs: v } })
        .then(createStep({ id: 'to-n', inputSchema: z.any(), outputSchema: N, execute: async () => ({ n: 1 }) }))
        .then(record('a') as any)
        .commit();
    const outer = (v: boolean, nested: boolean) =>
      createWorkflow({ id: 'wf', inputSchema: z.any(), outputSchema: z.any(), options: { validateInputs: v } }).then(inner(nested)).commit();

    const lenient = await start(await engine(outer(false, true)), {});
    expect(lenient).toMatchObject({ status: 'success', result: { n: 1 } });
    const strict = await start(await engine(outer(true, false)), {});
    expect(strict).toMatchObject({ status: 'failed', error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Step input validation failed/) } });
  });

  it('validateOutputs stays on its own: outputs are checked with validateInputs false', async () => {
    const wf = createWorkflow({ id: 'wf', inputSchema: z.any(), outputSchema: z.any(), options: { validateInputs: false, validateOutputs: true } })
      .then(createStep({ id: 'bad-out', inputSchema: S, outputSchema: N, execute: async () => ({ n: 'one' }) as any }))
      .commit();
    const r = await start(await engine(wf), { nope: true });
    expect(r).toMatchObject({ status: 'failed', error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Step output validation failed: \n- n: /) } });
  });
});
