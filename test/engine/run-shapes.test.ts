import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, InvalidArgumentError, memoryStore, sqliteStore, Weft, type Store } from '../../src/index.js';
import { uid } from './helpers.js';

/**
 * Mastra's read shapes: getWorkflowRunById({ fields, withNestedWorkflows }), the `snapshot` in
 * listWorkflowRuns, and shouldPersistSnapshot (which state a listing shows as the snapshot).
 */

const dirs: string[] = [];
const wefts: Weft[] = [];
afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 200 })));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const STORES: { name: string; make: () => () => Store }[] = [
  { name: 'memory', make: () => { const s = memoryStore(); return () => s; } },
  {
    name: 'sqlite',
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'weft-shapes-'));
      dirs.push(dir);
      return () => sqliteStore({ path: join(dir, 'weft.db') });
    },
  },
];

const V = z.object({ value: z.number() });
const E = z.object({});
const inc = (id: string) => createStep({ id, inputSchema: V, outputSchema: V, execute: async ({ inputData }) => ({ value: inputData.value + 1 }) });

function nested() {
  const inner = createWorkflow({ id: uid('inner'), inputSchema: V, outputSchema: V }).then(inc('inner-step')).commit();
  const outer = createWorkflow({ id: uid('outer'), inputSchema: V, outputSchema: V }).then(inner).then(inc('outer-step')).commit();
  return { inner, outer };
}

function persisting() {
  const gate = createStep({
    id: 'gate',
    inputSchema: E,
    outputSchema: z.object({ done: z.boolean() }),
    resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ resumeData, suspend, setState }) => {
      await setState({ seen: resumeData ? 'resumed' : 'first' });
      return resumeData ? { done: true } : suspend({ asking: true });
    },
  });
  return createWorkflow({
    id: uid('persist'),
    inputSchema: E,
    outputSchema: z.object({ done: z.boolean() }),
    options: { shouldPersistSnapshot: ({ workflowStatus }) => workflowStatus === 'suspended' },
  })
    .then(gate)
    .commit();
}

function start(store: Store, workflows: Record<string, any>): Weft {
  const weft = new Weft({ store, workflows });
  wefts.push(weft);
  return weft;
}

describe.each(STORES)('Mastra read shapes ($name)', ({ make }) => {
  it('getWorkflowRunById: fields keep the metadata and status plus what was asked; no fields is everything', async () => {
    const { outer } = nested();
    start(make()(), { outer });
    const run = await outer.createRun({ resourceId: 'u-1' });
    await run.start({ inputData: { value: 1 } });
    const statusOnly = await outer.getWorkflowRunById(run.runId, { fields: ['status'] });
    expect(statusOnly).toEqual({
      runId: run.runId,
      workflowName: outer.id,
      resourceId: 'u-1',
      status: 'success',
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    const withSteps = await outer.getWorkflowRunById(run.runId, { fields: ['status', 'steps', 'result'] });
    expect(withSteps?.steps?.['outer-step']).toMatchObject({ status: 'success', output: { value: 3 } });
    expect(withSteps?.result).toEqual({ value: 3 });
    expect(withSteps).not.toHaveProperty('payload');
    const all = await outer.getWorkflowRunById(run.runId);
    expect(all).toMatchObject({ status: 'success', result: { value: 3 }, payload: { value: 1 }, state: {}, requestContext: {} });
    expect(all?.serializedStepGraph.length).toBeGreaterThan(0);
    await expect(outer.getWorkflowRunById(run.runId, { fields: ['nope' as never] })).rejects.toThrow(InvalidArgumentError);
    await expect(outer.getWorkflowRunById(run.runId, { withNestedWorkflows: 'no' as never })).rejects.toThrow(InvalidArgumentError);
  });

  it('withNestedWorkflows: false leaves out the steps of nested workflows, keeping the nested workflow itself', async () => {
    const { inner, outer } = nested();
    start(make()(), { outer });
    const run = await outer.createRun();
    await run.start({ inputData: { value: 1 } });
    const full = await outer.getWorkflowRunById(run.runId);
    expect(Object.keys(full!.steps).sort()).toEqual([inner.id, `${inner.id}.inner-step`, 'outer-step'].sort());
    const top = await outer.getWorkflowRunById(run.runId, { withNestedWorkflows: false });
    expect(Object.keys(top!.steps).sort()).toEqual([inner.id, 'outer-step'].sort());
    const result = await outer.getWorkflowRunExecutionResult(run.runId, { withNestedWorkflows: false });
    // A result's steps carry Mastra's `input` pseudo-step (as run.start()'s result does); the view's do not.
    expect(Object.keys(result!.steps).sort()).toEqual([inner.id, 'input', 'outer-step'].sort());
  });

  it('listWorkflowRuns gives each run Mastra\'s snapshot: status, result, state, input', async () => {
    const { outer } = nested();
    start(make()(), { outer });
    const run = await outer.createRun();
    await run.start({ inputData: { value: 5 } });
    const { runs, total } = await outer.listWorkflowRuns();
    expect(total).toBe(1);
    expect(runs[0]).toMatchObject({ runId: run.runId, workflowName: outer.id, status: 'success' });
    expect(runs[0]!.snapshot).toEqual({
      runId: run.runId,
      status: 'success',
      result: { value: 7 },
      value: {},
      context: { input: { value: 5 } },
      requestContext: {},
      timestamp: expect.any(Number),
    });
  });

  it('shouldPersistSnapshot: the listing shows the last accepted state; every step and status is still recorded', async () => {
    const wf = persisting();
    const store = make();
    start(store(), { wf });
    const run = await wf.createRun();
    expect((await run.start({ inputData: {} })).status).toBe('suspended');
    let listed = (await wf.listWorkflowRuns()).runs[0]!;
    expect(listed.snapshot).toMatchObject({ status: 'suspended', value: { seen: 'first' } });
    expect((await run.resume({ resumeData: { ok: true } })).status).toBe('success');
    listed = (await wf.listWorkflowRuns()).runs[0]!;
    expect(listed.status).toBe('success');
    expect(listed.snapshot).toMatchObject({ status: 'suspended', value: { seen: 'first' } });
    expect(listed.snapshot).not.toHaveProperty('result');
    // The truth is unchanged: the run and its steps as they are.
    const view = await wf.getWorkflowRunById(run.runId);
    expect(view).toMatchObject({ status: 'success', result: { done: true }, state: { seen: 'resumed' } });
    expect(Object.keys(view!.steps)).toEqual(['gate']);
  });
});

describe('shouldPersistSnapshot across processes (SQLite)', () => {
  it('the recorded snapshot is stored with the run: another engine on the same file lists it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-shapes-'));
    dirs.push(dir);
    const wf = persisting();
    const a = start(sqliteStore({ path: join(dir, 'weft.db') }), { wf });
    const run = await wf.createRun();
    await run.start({ inputData: {} });
    await run.resume({ resumeData: { ok: true } });
    await a.stop();
    // A stopped engine gives its workflows up: the next one (as after a restart) reads the same file.
    start(sqliteStore({ path: join(dir, 'weft.db') }), { wf });
    const listed = (await wf.listWorkflowRuns()).runs[0]!;
    expect(listed).toMatchObject({ runId: run.runId, status: 'success', snapshot: { status: 'suspended' } });
  });
});
