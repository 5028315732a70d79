import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  cloneStep,
  cloneWorkflow,
  createStep,
  createWorkflow,
  memoryStore,
  sqliteStore,
  Weft,
  Workflow,
  WorkflowDefinitionError,
  type AnyWorkflow,
  type Store,
} from '../../src/index.js';

const N = z.object({ n: z.number() });
const dir = mkdtempSync(join(tmpdir(), 'weft-clone-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
const STORES: [string, () => Store][] = [
  ['memory', () => memoryStore()],
  ['SQLite', () => sqliteStore({ path: join(dir, `clone-${++seq}.db`) })],
];

const engines: Weft[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((w) => w.stop({ timeoutMs: 500 })));
});

async function startOn(store: () => Store, workflows: Record<string, AnyWorkflow>): Promise<Weft> {
  const weft = new Weft({ store: store(), workflows });
  engines.push(weft);
  await weft.start();
  return weft;
}

describe('cloneStep', () => {
  const calls: string[] = [];
  const add = createStep({
    id: 'add',
    description: 'adds one',
    inputSchema: N,
    outputSchema: N,
    resumeSchema: z.object({ ok: z.boolean() }),
    retries: 2,
    timeoutMs: 1000,
    metadata: { team: 'core' },
    execute: async ({ inputData }) => {
      calls.push('add');
      return { n: inputData.n + 1 };
    },
  });

  it('copies everything but the id, frozen like any step', () => {
    const copy = cloneStep(add, { id: 'add-again' });
    expect(copy).toMatchObject({
      component: 'STEP',
      id: 'add-again',
      description: 'adds one',
      inputSchema: add.inputSchema,
      outputSchema: add.outputSchema,
      resumeSchema: add.resumeSchema,
      retries: 2,
      timeoutMs: 1000,
      metadata: { team: 'core' },
      execute: add.execute,
    });
    expect(Object.isFrozen(copy)).toBe(true);
    expect(add.id).toBe('add');
  });

  it('rejects a bad id or a non-step with WorkflowDefinitionError', () => {
    expect(() => cloneStep(add, { id: 'no spaces' })).toThrow(WorkflowDefinitionError);
    expect(() => cloneStep(add, undefined as any)).toThrow(/cloneStep needs options \{ id \}/);
    expect(() => cloneStep({ id: 'x' } as any, { id: 'y' })).toThrow(/cloneStep needs a step made by createStep/);
  });

  it.each(STORES)('lets one step run twice side by side under two ids (%s)', async (_name, store) => {
    calls.length = 0;
    const wf = createWorkflow({ id: 'twice', inputSchema: N, outputSchema: z.any() })
      .parallel([add, cloneStep(add, { id: 'add-2' })])
      .commit();
    const weft = await startOn(store, { wf });
    const r = await (await weft.getWorkflow('wf').createRun()).start({ inputData: { n: 1 } });
    expect(r).toMatchObject({ status: 'success', result: { add: { n: 2 }, 'add-2': { n: 2 } } });
    expect(r.steps['add-2']).toMatchObject({ status: 'success', output: { n: 2 } });
    expect(calls).toEqual(['add', 'add']);
  });

  it('given a workflow, clones the workflow', () => {
    const wf = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: N }).then(add).commit();
    const copy = cloneStep(wf, { id: 'inner-2' });
    expect(copy).toBeInstanceOf(Workflow);
    expect(copy.id).toBe('inner-2');
  });
});

describe('cloneWorkflow', () => {
  const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const double = createStep({ id: 'double', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n * 2 }) });

  it('copies the config and the graph under the new id, committed; the original is untouched', () => {
    const original = createWorkflow({
      id: 'orig',
      description: 'd',
      inputSchema: N,
      outputSchema: N,
      stateSchema: z.object({}),
      retryConfig: { attempts: 2, delay: 5 },
      options: { validateOutputs: true },
      metadata: { m: 1 },
      schedule: { cron: '0 * * * *', inputData: { n: 1 } },
    })
      .then(inc)
      .map(({ inputData }) => inputData)
      .then(double)
      .commit();
    const copy = cloneWorkflow(original, { id: 'copy' });
    expect(copy).toBeInstanceOf(Workflow);
    expect(copy).toMatchObject({
      id: 'copy',
      description: 'd',
      inputSchema: original.inputSchema,
      outputSchema: original.outputSchema,
      stateSchema: original.stateSchema,
      retryConfig: { attempts: 2, delay: 5 },
      options: { validateOutputs: true },
      metadata: { m: 1 },
      committed: true,
    });
    expect(copy.schedule).toBeUndefined();
    expect(copy.serializedStepGraph).toEqual(original.serializedStepGraph);
    expect(original.id).toBe('orig');
    expect(() => (copy as any).then(inc)).toThrow(/committed/);
  });

  it('commits a copy of an uncommitted workflow; an empty one has no execution flow', () => {
    const draft = createWorkflow({ id: 'draft', inputSchema: N, outputSchema: N }).then(inc);
    expect(cloneWorkflow(draft, { id: 'draft-2' }).committed).toBe(true);
    expect(draft.committed).toBe(false);
    expect(() => cloneWorkflow(createWorkflow({ id: 'empty', inputSchema: N, outputSchema: N }), { id: 'e2' })).toThrow(
      /Execution flow of workflow is not defined/,
    );
    expect(() => cloneWorkflow({} as any, { id: 'x' })).toThrow(/cloneWorkflow needs a workflow made by createWorkflow/);
    expect(() => cloneWorkflow(draft, { id: 'bad id' })).toThrow(/id must be/);
  });

  it.each(STORES)('the clone runs on its own and nests beside the original (%s)', async (_name, store) => {
    const inner = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: N }).then(inc).then(double).commit();
    const twin = cloneWorkflow(inner, { id: 'inner-twin' });
    const outer = createWorkflow({ id: 'outer', inputSchema: N, outputSchema: z.any() }).parallel([inner, twin]).commit();
    const weft = await startOn(store, { outer, twin });
    const both = await (await weft.getWorkflow('outer').createRun()).start({ inputData: { n: 1 } });
    expect(both).toMatchObject({ status: 'success', result: { inner: { n: 4 }, 'inner-twin': { n: 4 } } });
    expect(both.steps['inner-twin']).toMatchObject({ status: 'success', output: { n: 4 } });
    const alone = await (await weft.getWorkflow('inner-twin').createRun()).start({ inputData: { n: 5 } });
    expect(alone).toMatchObject({ status: 'success', result: { n: 12 } });
    expect((await weft.listRuns({ workflowId: 'inner-twin' })).total).toBe(1);
  });
});
