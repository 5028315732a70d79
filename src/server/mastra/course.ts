import { Hono, type Context } from 'hono';
import type { RunHandle, RunSummary, WorkflowResult } from '../../define/run-types.js';
import type { AnyWorkflow } from '../../define/workflow.js';
import type { ApiContext } from '../routes/context.js';
import { NotImplementedError, readMastraBody, restartBody, runIdQuery, timeTravelBody } from './body.js';
import { feedResponse, latestSeq } from './stream.js';
import { mastraResult } from './views.js';

/**
 * Mastra's routes that change a run's course: restart (carry an active run on now, from its last step)
 * and time travel (execute a step and what follows again, with given inputs). The engine calls are
 * Mastra's method names (`run.restart`, `run.timeTravel`, `workflow.restartAllActiveWorkflowRuns`); a
 * method an engine lacks answers 501 NOT_IMPLEMENTED naming it, after the request was validated and the
 * run found (400/404 come first).
 */
type Opts = Record<string, unknown>;
interface PendingRun {
  restart?: (opts: Opts) => Promise<WorkflowResult>;
  timeTravel?: (opts: Opts) => Promise<WorkflowResult>;
}
interface PendingWorkflow {
  restartAllActiveWorkflowRuns?: () => Promise<void>;
}
type StoredRun = (c: Context, runId: string) => Promise<{ wf: AnyWorkflow; summary: RunSummary; run: RunHandle }>;

function method<T extends keyof PendingRun>(run: RunHandle, name: T): NonNullable<PendingRun[T]> {
  const fn = (run as unknown as PendingRun)[name];
  if (typeof fn !== 'function') {
    throw new NotImplementedError(`${name === 'restart' ? 'restart' : 'time travel'} needs the engine method run.${name}() (Mastra parity), which weft does not have yet`);
  }
  return fn.bind(run) as NonNullable<PendingRun[T]>;
}

export function courseRoutes(ctx: ApiContext, storedRun: StoredRun, workflowOf: (c: Context) => AnyWorkflow): Hono {
  const app = new Hono();
  const report = (err: unknown) => ctx.opts.onError(err);

  app.post('/workflows/:workflowId/restart', async (c) => {
    const runId = runIdQuery(c, true);
    const opts = restartBody(await readMastraBody(c));
    const restart = method((await storedRun(c, runId)).run, 'restart');
    void restart(opts).catch(report);
    return c.json({ message: 'Workflow run restarted' });
  });

  app.post('/workflows/:workflowId/restart-async', async (c) => {
    const runId = runIdQuery(c, true);
    const opts = restartBody(await readMastraBody(c));
    const restart = method((await storedRun(c, runId)).run, 'restart');
    return c.json(mastraResult(await restart(opts)));
  });

  const restartAll = (wait: boolean) => async (c: Context) => {
    await readMastraBody(c);
    const wf = workflowOf(c) as AnyWorkflow & PendingWorkflow;
    if (typeof wf.restartAllActiveWorkflowRuns !== 'function') {
      throw new NotImplementedError('restarting all active runs needs the engine method workflow.restartAllActiveWorkflowRuns() (Mastra parity), which weft does not have yet; weft recovers active runs of a dead worker by itself once its lease expires');
    }
    const done = wf.restartAllActiveWorkflowRuns();
    if (wait) await done;
    else void done.catch(report);
    return c.json({ message: 'All active workflow runs restarted' });
  };
  app.post('/workflows/:workflowId/restart-all-active-workflow-runs', restartAll(false));
  app.post('/workflows/:workflowId/restart-all-active-workflow-runs-async', restartAll(true));

  app.post('/workflows/:workflowId/time-travel', async (c) => {
    const runId = runIdQuery(c, true);
    const opts = timeTravelBody(await readMastraBody(c));
    const timeTravel = method((await storedRun(c, runId)).run, 'timeTravel');
    void timeTravel(opts).catch(report);
    return c.json({ message: 'Workflow run time travel started' });
  });

  app.post('/workflows/:workflowId/time-travel-async', async (c) => {
    const runId = runIdQuery(c, true);
    const opts = timeTravelBody(await readMastraBody(c));
    const timeTravel = method((await storedRun(c, runId)).run, 'timeTravel');
    return c.json(mastraResult(await timeTravel(opts)));
  });

  app.post('/workflows/:workflowId/time-travel-stream', async (c) => {
    const runId = runIdQuery(c, true);
    const opts = timeTravelBody(await readMastraBody(c));
    const { wf, summary, run } = await storedRun(c, runId);
    const timeTravel = method(run, 'timeTravel');
    const feed = ctx.feeds.get(summary.runId);
    await feed.ready;
    await feed.sync();
    const afterSeq = latestSeq(feed);
    void timeTravel(opts).catch(report);
    return feedResponse(c, { feed, workflowId: wf.id, afterSeq, closeOnSuspend: true, closing: ctx.closing });
  });

  return app;
}
