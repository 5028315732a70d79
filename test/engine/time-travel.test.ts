import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, RunConflictError, sqliteStore, Weft, type AnyWorkflow, type Store } from '../../src/index.js';
import { uid } from './helpers.js';

const wefts: Weft[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 500 })));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const stores: [string, () => Store][] = [
  ['memory', () => memoryStore()],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'weft-tt-'));
      dirs.push(dir);
      return sqliteStore({ path: join(dir, 'w.db') });
    },
  ],
];

const N = z.object({ n: z.number() });

/** step1 -> step2 -> step3, each adding 1 and counting its calls. */
function chain(calls: Record<string, number>) {
  const add = (id: string) =>
    createStep({ id, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ((calls[id] = (calls[id] ?? 0) + 1), { n: inputData.n + 1 }) });
  return createWorkflow({ id: uid('tt'), inputSchema: N, outputSchema: N }).then(add('step1')).then(add('step2')).then(add('step3')).commit();
}

describe.each(stores)('time travel on %s', (_name, makeStore) => {
  function engine<W extends AnyWorkflow>(wf: W): W {
    const weft = new Weft({ workflows: { wf }, store: makeStore() });
    wefts.push(weft);
    return weft.getWorkflow('wf') as W;
  }
  const weftOf = () => wefts[wefts.length - 1]!;

  it('runs the target and what follows with the results given for the steps before it; they are not executed', async () => {
    const calls: Record<string, number> = {};
    const wf = engine(chain(calls));
    const run = await wf.createRun();
    const result = await run.timeTravel({ step: 'step2', context: { step1: { status: 'success', payload: { n: 0 }, output: { n: 10 } } } });
    expect(result.status).toBe('success');
    expect(result.status === 'success' && result.result).toEqual({ n: 12 });
    expect(calls).toEqual({ step2: 1, step3: 1 });
    expect(result.steps.step1).toMatchObject({ status: 'success', output: { n: 10 } });
  });

  it('on a finished run: the steps before the target keep their recorded results; the old journal stays readable', async () => {
    const calls: Record<string, number> = {};
    const wf = engine(chain(calls));
    const run = await wf.createRun();
    expect(await run.start({ inputData: { n: 0 } })).toMatchObject({ status: 'success', result: { n: 3 } });
    const again = await run.timeTravel({ step: 'step3', inputData: { n: 100 } });
    expect(again.status === 'success' && again.result).toEqual({ n: 101 });
    expect(calls).toEqual({ step1: 1, step2: 1, step3: 2 });
    const history = await weftOf().getRunHistory(run.runId);
    expect(history).toHaveLength(1);
    expect(history[0]!.reason).toBe('time travel to step3');
    expect(history[0]!.steps.step3).toMatchObject({ status: 'success', output: { n: 3 } });
    const view = await wf.getWorkflowRunById(run.runId);
    expect(view?.steps.step3).toMatchObject({ status: 'success', output: { n: 101 } });
  });

  it('a step before the target with no result is recorded as skipped, never executed', async () => {
    const calls: Record<string, number> = {};
    const wf = engine(chain(calls));
    const result = await (await wf.createRun()).timeTravel({ step: 'step3', inputData: { n: 5 } });
    expect(result.status === 'success' && result.result).toEqual({ n: 6 });
    expect(calls).toEqual({ step3: 1 });
    expect(result.steps.step1?.status).toBe('skipped');
  });

  it('perStep: executes the target only, then the run is paused', async () => {
    const calls: Record<string, number> = {};
    const wf = engine(chain(calls));
    const result = await (await wf.createRun()).timeTravel({ step: 'step2', context: { step1: { status: 'success', output: { n: 1 } } }, perStep: true });
    expect(result.status).toBe('paused');
    expect(calls).toEqual({ step2: 1 });
    expect(result.steps.step2).toMatchObject({ status: 'success', output: { n: 2 } });
  });

  it('into a parallel group and a branch: given siblings are not run, the branch takes the target', async () => {
    const calls: string[] = [];
    const step = (id: string) => createStep({ id, inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => (calls.push(id), { from: id, got: inputData }) });
    const wf = engine(
      createWorkflow({ id: uid('tt-par'), inputSchema: z.any(), outputSchema: z.any() })
        .parallel([step('p1'), step('p2')])
        .branch([
          [async () => false, step('a')],
          [async () => false, step('b')],
        ])
        .commit(),
    );
    const r1 = await (await wf.createRun()).timeTravel({ step: 'p1', context: { p2: { status: 'success', output: 'p2 given' } } });
    expect(r1.status).toBe('success');
    expect(calls).toEqual(['p1']); // p2 given; both branch conditions are false
    calls.length = 0;
    const r2 = await (await wf.createRun()).timeTravel({ step: 'b', context: { p1: { status: 'success', output: 1 }, p2: { status: 'success', output: 2 } } });
    expect(calls).toEqual(['b']);
    expect(r2.status === 'success' && r2.result).toEqual({ b: { from: 'b', got: { p1: 1, p2: 2 } } });
  });

  it('into a nested workflow by dotted path, with nestedStepsContext for the steps before it inside', async () => {
    const calls: string[] = [];
    const step = (id: string) => createStep({ id, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => (calls.push(id), { n: inputData.n + 1 }) });
    const inner = createWorkflow({ id: uid('inner'), inputSchema: N, outputSchema: N }).then(step('i1')).then(step('i2')).commit();
    const wf = engine(createWorkflow({ id: uid('tt-nest'), inputSchema: N, outputSchema: N }).then(step('outer')).then(inner).commit());
    const r = await (await wf.createRun()).timeTravel({
      step: `${inner.id}.i2`,
      context: { outer: { status: 'success', output: { n: 1 } } },
      nestedStepsContext: { [inner.id]: { i1: { status: 'success', output: { n: 50 } } } },
    });
    expect(r.status === 'success' && r.result).toEqual({ n: 51 });
    expect(calls).toEqual(['i2']);
  });

  it('resumeData reaches the target as resumeData', async () => {
    const seen: unknown[] = [];
    const ask = createStep({
      id: 'ask',
      inputSchema: z.any(),
      outputSchema: z.any(),
      resumeSchema: z.object({ ok: z.boolean() }),
      execute: async ({ resumeData, suspend }) => (seen.push(resumeData), resumeData ? { ok: resumeData.ok } : suspend({})),
    });
    const wf = engine(createWorkflow({ id: uid('tt-resume'), inputSchema: z.any(), outputSchema: z.any() }).then(ask).commit());
    const run = await wf.createRun();
    expect((await run.start({ inputData: {} })).status).toBe('suspended');
    const r = await run.timeTravel({ step: 'ask', resumeData: { ok: true } });
    expect(r.status === 'success' && r.result).toEqual({ ok: true });
    expect(seen).toEqual([undefined, { ok: true }]);
  });

  it('refuses a run that is still running, an unknown step, and input the target does not accept; nothing changes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = createStep({ id: 'slow', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => (await gate, inputData) });
    const wf = engine(createWorkflow({ id: uid('tt-busy'), inputSchema: N, outputSchema: N }).then(slow).commit());
    const run = await wf.createRun();
    await run.startAsync({ inputData: { n: 1 } });
    await expect(run.timeTravel({ step: 'slow' })).rejects.toBeInstanceOf(RunConflictError);
    await expect(run.timeTravel({ step: 'slow' })).rejects.toThrow(/still running/);
    release();
    const fresh = await wf.createRun();
    await expect(fresh.timeTravel({ step: 'nonExistent' })).rejects.toThrow(/nonExistent/);
    await expect(fresh.timeTravel({ step: 'slow', inputData: { wrong: 1 } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await wf.getWorkflowRunExecutionResult(fresh.runId)).toMatchObject({ status: 'pending' });
  });
});
