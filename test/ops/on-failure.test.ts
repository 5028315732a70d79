import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, WorkflowDefinitionError, type AnyWorkflow } from '../../src/index.js';
import { waitUntil } from '../support/wait.js';
import { storeCases } from './stores.js';

/**
 * onFailure (issue 18.11): when a run fails for good, a run of the named workflow is started durably
 * with the failed run's id, error and input, once per failed outcome.
 */

const { cases, engine } = storeCases('onfail');
const In = z.object({ n: z.number() });
const FailureIn = z.object({
  runId: z.string(),
  workflowId: z.string(),
  resourceId: z.string().optional(),
  error: z.object({ message: z.string() }).passthrough().optional(),
  input: z.unknown(),
});

let seq = 0;
function workflows(opts: { fails: () => boolean }) {
  seq++;
  const alerts: z.infer<typeof FailureIn>[] = [];
  const alert = createWorkflow({ id: `alert-${seq}`, inputSchema: FailureIn, outputSchema: z.object({ ok: z.boolean() }) })
    .then(
      createStep({
        id: 'notify',
        inputSchema: FailureIn,
        outputSchema: z.object({ ok: z.boolean() }),
        execute: async ({ inputData }) => {
          alerts.push(inputData);
          return { ok: true };
        },
      }),
    )
    .commit();
  const job = createWorkflow({ id: `job-${seq}`, inputSchema: In, outputSchema: In, onFailure: alert.id })
    .then(
      createStep({
        id: 'work',
        inputSchema: In,
        outputSchema: In,
        execute: async ({ inputData }) => {
          if (opts.fails()) throw new Error(`card declined for ${inputData.n}`);
          return inputData;
        },
      }),
    )
    .commit();
  return { alert, job, alerts };
}

async function failureRuns(alert: AnyWorkflow, weft: { listRuns: (o: { workflowId: string }) => Promise<{ total: number; runs: { runId: string; status: string }[] }> }) {
  return (await weft.listRuns({ workflowId: alert.id })).runs;
}

describe('onFailure definition', () => {
  it('must name a workflow', () => {
    expect(() => createWorkflow({ id: 'x', inputSchema: In, outputSchema: In, onFailure: '' })).toThrow(WorkflowDefinitionError);
    expect(() => createWorkflow({ id: 'x', inputSchema: In, outputSchema: In, onFailure: 5 as unknown as string })).toThrow(/onFailure must name a workflow/);
  });
});

describe.each(cases)('onFailure ($name)', ({ make }) => {
  it('a failed run starts one run of the named workflow with its id, error and input; a success starts none', async () => {
    let fail = true;
    const { alert, job, alerts } = workflows({ fails: () => fail });
    const weft = engine(make().shared(), { workflows: { alert, job } });
    await weft.start();
    const run = await job.createRun({ resourceId: 'shop-1' });
    const result = await run.start({ inputData: { n: 7 } });
    expect(result.status).toBe('failed');
    await waitUntil(async () => (await failureRuns(alert, weft)).some((r) => r.status === 'success'), { message: 'the onFailure run to finish' });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ runId: run.runId, workflowId: job.id, resourceId: 'shop-1', input: { n: 7 } });
    expect(alerts[0]!.error?.message).toBe('card declined for 7');
    // The failure run carries the failed run's resource, and the failed run is released (its outcome recorded).
    const [fr] = await failureRuns(alert, weft);
    expect((await weft.getRun(fr!.runId))?.resourceId).toBe('shop-1');
    fail = false;
    expect((await (await job.createRun()).start({ inputData: { n: 1 } })).status).toBe('success');
    expect(await failureRuns(alert, weft)).toHaveLength(1);
  });

  it('a retried run that fails again gets a second failure run; delivering the same outcome again creates none', async () => {
    const { alert, job, alerts } = workflows({ fails: () => true });
    const weft = engine(make().shared(), { workflows: { alert, job } });
    await weft.start();
    const run = await job.createRun();
    expect((await run.start({ inputData: { n: 2 } })).status).toBe('failed');
    await waitUntil(async () => alerts.length === 1, { message: 'the first alert' });
    await weft.retryRun(job.id, run.runId);
    await waitUntil(async () => (await failureRuns(alert, weft)).filter((r) => r.status === 'success').length === 2, { message: 'two failure runs to finish' });
    expect(alerts.map((a) => a.runId)).toEqual([run.runId, run.runId]);
  });
});
