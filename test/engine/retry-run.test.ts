import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, RunConflictError, RunNotFoundError, Weft } from '../../src/index.js';

const N = z.object({ n: z.number() });

describe('weft.retryRun', () => {
  it('retries a failed run from its failed step; steps that succeeded are not executed again', async () => {
    const calls = { first: 0, flaky: 0 };
    let broken = true;
    const first = createStep({ id: 'first', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => (calls.first++, { n: inputData.n + 1 }) });
    const flaky = createStep({
      id: 'flaky',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData }) => {
        calls.flaky++;
        if (broken) throw new Error('downstream is down');
        return { n: inputData.n * 10 };
      },
    });
    const wf = createWorkflow({ id: 'retry-me', inputSchema: N, outputSchema: N }).then(first).then(flaky).commit();
    const weft = new Weft({ workflows: { wf }, store: memoryStore() });
    const run = await wf.createRun();
    const failed = await run.start({ inputData: { n: 1 } });
    expect(failed.status).toBe('failed');

    await expect(weft.retryRun('retry-me', 'no-such-run')).rejects.toBeInstanceOf(RunNotFoundError);
    broken = false;
    expect(await weft.retryRun('retry-me', run.runId)).toEqual({ runId: run.runId });
    let result = await wf.getWorkflowRunExecutionResult(run.runId);
    for (let i = 0; i < 100 && result?.status !== 'success'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      result = await wf.getWorkflowRunExecutionResult(run.runId);
    }
    expect(result?.status).toBe('success');
    expect(result?.status === 'success' && result.result).toEqual({ n: 20 });
    expect(calls).toEqual({ first: 1, flaky: 2 });
    await expect(weft.retryRun('retry-me', run.runId)).rejects.toBeInstanceOf(RunConflictError);
    await weft.stop();
  });
});
