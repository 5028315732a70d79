import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { MODES, bind, deferred, uid, untilStatus } from './helpers.js';

/** The flow of ../shared/seeds/run-startAsync.txt, exactly as the page writes it. */
describe.each(MODES)('seed page: Run.startAsync() on the %s', (mode) => {
  it('returns { runId } at once, then getWorkflowRunExecutionResult reports running and later success', async () => {
    const gate = deferred();
    const entered = deferred();
    let finished = false;
    const process = createStep({
      id: 'process',
      inputSchema: z.object({ value: z.string() }),
      outputSchema: z.object({ value: z.string(), length: z.number() }),
      execute: async ({ inputData }) => {
        entered.resolve();
        await gate.promise;
        finished = true;
        return { value: inputData.value.toUpperCase(), length: inputData.value.length };
      },
    });
    const workflow = bind(
      mode,
      createWorkflow({
        id: uid('seed'),
        inputSchema: z.object({ value: z.string() }),
        outputSchema: z.object({ value: z.string(), length: z.number() }),
      })
        .then(process)
        .commit(),
    );

    const run = await workflow.createRun();

    // Fire-and-forget - returns immediately
    const { runId } = await run.startAsync({
      inputData: {
        value: 'initial data',
      },
    });
    expect(runId).toBe(run.runId);
    // startAsync resolved while the step is still blocked on a promise only the test can settle.
    expect(finished).toBe(false);
    await entered.promise;
    expect(finished).toBe(false);

    // Optionally poll for completion later
    const result = await workflow.getWorkflowRunExecutionResult(runId);
    expect(result?.status).toBe('running');
    expect(result).toMatchObject({ runId, input: { value: 'initial data' } });

    gate.resolve();
    const done = await untilStatus(workflow, runId, ['success', 'failed']);
    expect(done.status).toBe('success');
    if (done.status !== 'success') throw new Error('unreachable');
    expect(done.result).toEqual({ value: 'INITIAL DATA', length: 12 });
    expect(done.steps.process).toMatchObject({
      status: 'success',
      payload: { value: 'initial data' },
      output: { value: 'INITIAL DATA', length: 12 },
      attempts: 1,
    });
    expect(typeof done.steps.process?.startedAt).toBe('number');
    expect(done.steps.process!.endedAt!).toBeGreaterThanOrEqual(done.steps.process!.startedAt);
  });

  it('the page\'s status checks: failed carries error, unknown run is null', async () => {
    const boom = createStep({
      id: 'boom',
      inputSchema: z.object({ value: z.string() }),
      outputSchema: z.object({}),
      execute: async () => {
        throw new Error('exploded');
      },
    });
    const workflow = bind(
      mode,
      createWorkflow({ id: uid('seed-fail'), inputSchema: z.object({ value: z.string() }), outputSchema: z.object({}) })
        .then(boom)
        .commit(),
    );
    const run = await workflow.createRun();
    const { runId } = await run.startAsync({ inputData: { value: 'x' } });
    const result = await untilStatus(workflow, runId, ['failed', 'success']);
    expect(result.status).toBe('failed');
    if (result.status === 'failed') expect(result.error).toMatchObject({ name: 'Error', message: 'exploded' });
    expect(await workflow.getWorkflowRunExecutionResult('no-such-run')).toBeNull();
  });
});
