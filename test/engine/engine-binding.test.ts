import { describe, expect, it } from 'vitest';
import { createWorkflow, memoryStore, Weft, WorkflowAlreadyRegisteredError } from '../../src/index.js';
import { addStep, makeWeft, N, uid } from './helpers.js';

function workflow() {
  return createWorkflow({ id: uid('bound'), inputSchema: N, outputSchema: N }).then(addStep('inc')).commit();
}

describe('a workflow object belongs to one running engine', () => {
  it('a second engine cannot take a workflow another running engine has; nothing reaches its store', async () => {
    const wf = workflow();
    const storeA = memoryStore();
    const storeB = memoryStore();
    const a = makeWeft({ wf }, { store: storeA });
    let error: unknown;
    try {
      makeWeft({ wf }, { store: storeB });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WorkflowAlreadyRegisteredError);
    expect((error as WorkflowAlreadyRegisteredError).code).toBe('WORKFLOW_ALREADY_REGISTERED');
    expect((error as Error).message).toMatch(/stop\(\)|its own definition/);

    const run = await a.getWorkflow(wf.id).createRun();
    await run.startAsync({ inputData: { n: 1 } });
    // The workflow object itself goes to A too (it is A's alone).
    expect(await wf.getWorkflowRunExecutionResult(run.runId)).not.toBeNull();
    await storeB.open();
    expect((await storeB.listRuns({})).total).toBe(0);
    expect((await storeA.listRuns({})).total).toBe(1);
  });

  it('once the first engine stops, another may register the same workflow, and runs go there', async () => {
    const wf = workflow();
    const first = new Weft({ workflows: { wf }, store: memoryStore() });
    await first.start();
    await first.stop();
    const store = memoryStore();
    makeWeft({ wf }, { store });
    const result = await (await wf.createRun()).start({ inputData: { n: 1 } });
    expect(result.status).toBe('success');
    expect((await store.listRuns({})).total).toBe(1);
  });

  it('an engine that fails to construct keeps none of the workflows it was given', async () => {
    const free = workflow();
    const taken = workflow();
    makeWeft({ taken });
    expect(() => new Weft({ workflows: { free, taken }, store: memoryStore() })).toThrow(WorkflowAlreadyRegisteredError);
    const store = memoryStore();
    makeWeft({ free }, { store });
    expect((await (await free.createRun()).start({ inputData: { n: 1 } })).status).toBe('success');
    expect((await store.listRuns({})).total).toBe(1);
  });

  it('registering the same workflow twice with one engine is allowed', () => {
    const wf = workflow();
    const weft = makeWeft({ wf });
    expect(() => weft.register('again', wf)).not.toThrow();
    expect(weft.getWorkflow('again')).toBe(wf);
  });
});
