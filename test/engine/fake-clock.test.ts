import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, Weft } from '../../src/index.js';
import { FakeClock, withTestSeams } from '../../src/testing/index.js';
import { waitUntil } from '../support/wait.js';

const N = z.object({ n: z.number() });


async function statusOf(wf: ReturnType<typeof build>['wf'], runId: string): Promise<string | undefined> {
  return (await wf.getWorkflowRunExecutionResult(runId))?.status;
}

function build() {
  const calls = { before: 0, after: 0 };
  const before = createStep({ id: 'before', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => (calls.before++, { n: inputData.n + 1 }) });
  const after = createStep({ id: 'after', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => (calls.after++, { n: inputData.n * 10 }) });
  const wf = createWorkflow({ id: 'hour-nap', inputSchema: N, outputSchema: N }).then(before).sleep(3_600_000).then(after).commit();
  return { wf, calls };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  await waitUntil(check, { timeout: 5000, message: what });
}

describe('weft/testing FakeClock', () => {
  it('lets an hour-long durable sleep come due without waiting an hour', async () => {
    const clock = new FakeClock(1_800_000_000_000);
    const { wf, calls } = build();
    const weft = new Weft(withTestSeams({ workflows: { wf }, store: memoryStore(), worker: { pollMs: 10 } }, { clock }));
    const run = await wf.createRun();
    await run.startAsync({ inputData: { n: 1 } });
    await until(async () => (await statusOf(wf, run.runId)) === 'waiting', 'the run to park');
    const parked = await wf.getWorkflowRunById(run.runId);
    expect(parked?.createdAt.getTime()).toBe(1_800_000_000_000); // run timestamps come from the fake clock

    // Many poll cycles pass in real time, but not on the clock: the run stays asleep.
    await new Promise((r) => setTimeout(r, 100));
    expect(await statusOf(wf, run.runId)).toBe('waiting');
    expect(calls).toEqual({ before: 1, after: 0 });

    clock.advance(3_600_000);
    await until(async () => (await statusOf(wf, run.runId)) === 'success', 'the run to wake and finish');
    const done = await wf.getWorkflowRunExecutionResult(run.runId);
    expect(done?.status === 'success' && done.result).toEqual({ n: 20 });
    expect(calls).toEqual({ before: 1, after: 1 });
    await weft.stop();
  });
});
