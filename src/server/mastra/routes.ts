import { Hono, type Context } from 'hono';
import type { AnyWorkflow } from '../../define/workflow.js';
import { isTerminal } from '../../domain/run-status.js';
import { InvalidArgumentError, RunConflictError } from '../../errors.js';
import { HttpError } from '../http-errors.js';
import type { ApiContext } from '../routes/context.js';
import { createRunBody, readMastraBody, resumeBody, runIdQuery, startBody } from './body.js';
import { describeForMastra, mastraStepGraph } from './info.js';
import { courseRoutes } from './course.js';
import { listRunsForMastra, runCounts } from './runs.js';
import { durableResponse, durableTail, feedResponse, latestSeq } from './stream.js';
import { studioRoutes } from './studio.js';
import { mastraResult, mastraRun, parseFields, runningSteps } from './views.js';

/** How many create-run resource ids are kept until the run starts (create-run itself stores nothing). */
const MAX_CREATED = 10_000;

/**
 * Mastra's workflow protocol (the routes of @mastra/server that @mastra/client-js and Mastra Studio
 * call), answered by weft's engine. Paths are relative to the Mastra prefix (`/api` by default).
 * docs/api.md, "Mastra's protocol", maps each route to the engine call behind it.
 */
export function mastraRoutes(ctx: ApiContext): Hono {
  const { weft, feeds } = ctx;
  const app = new Hono();
  // create-run stores nothing in weft (a run exists once it starts); the resource id it was given
  // is kept here, by run id, for the start that follows. Oldest entries go first.
  const created = new Map<string, string>();
  const remember = (runId: string, resourceId: string | undefined) => {
    if (resourceId === undefined) return;
    created.set(runId, resourceId);
    if (created.size > MAX_CREATED) created.delete(created.keys().next().value!);
  };
  const workflowOf = (c: Context): AnyWorkflow => weft.getWorkflow(c.req.param('workflowId')!);
  /** A stored run of this workflow (RUN_NOT_FOUND otherwise) and a handle on it. */
  const storedRun = async (c: Context, runId: string) => {
    const wf = workflowOf(c);
    const summary = await weft.getRunSummary(runId, wf.id);
    return { wf, summary, run: await wf.createRun({ runId, ...(summary.resourceId ? { resourceId: summary.resourceId } : {}) }) };
  };
  /** A handle for a run that create-run named (or a new one), with the resource id it was given. */
  const newRun = async (wf: AnyWorkflow, runId: string | undefined, resourceId: string | undefined) => {
    const rid = resourceId ?? (runId ? created.get(runId) : undefined);
    const run = await wf.createRun({ ...(runId ? { runId } : {}), ...(rid ? { resourceId: rid } : {}) });
    created.delete(run.runId);
    return run;
  };

  app.get('/workflows', (c) => {
    const partial = c.req.query('partial') === 'true';
    const out: Record<string, unknown> = {};
    for (const [key, wf] of Object.entries(weft.listWorkflows())) out[key] = describeForMastra(wf, partial);
    return c.json(out);
  });

  // Registered before /workflows/:workflowId, which would otherwise take "run-counts" for an id.
  app.get('/workflows/run-counts', async (c) => c.json(await runCounts(ctx)));

  app.get('/workflows/:workflowId', (c) => c.json(describeForMastra(workflowOf(c))));

  app.get('/workflows/:workflowId/runs', async (c) => c.json(await listRunsForMastra(ctx, workflowOf(c), c)));

  app.get('/workflows/:workflowId/runs/:runId', async (c) => {
    const fields = parseFields(c.req.query('fields'));
    const nested = c.req.query('withNestedWorkflows');
    if (nested !== undefined && nested !== 'true' && nested !== 'false') throw new InvalidArgumentError('withNestedWorkflows must be true or false');
    const { wf, summary } = await storedRun(c, c.req.param('runId'));
    const view = await wf.getWorkflowRunById(summary.runId);
    if (!view) return c.json({ error: 'Workflow run not found', code: 'RUN_NOT_FOUND' }, 404);
    const running = feeds.has(view.runId) ? runningSteps(feeds.get(view.runId).since(undefined).map((e) => e.event)) : undefined;
    return c.json(mastraRun(view, { ...(fields ? { fields } : {}), withNestedWorkflows: nested !== 'false', graph: mastraStepGraph(wf), ...(running ? { running } : {}) }));
  });

  app.delete('/workflows/:workflowId/runs/:runId', async (c) => {
    const { wf, summary } = await storedRun(c, c.req.param('runId'));
    await wf.deleteWorkflowRunById(summary.runId);
    feeds.drop(summary.runId);
    return c.json({ message: 'Workflow run deleted' });
  });

  app.post('/workflows/:workflowId/create-run', async (c) => {
    const wf = workflowOf(c);
    const runId = runIdQuery(c, false);
    const { resourceId } = createRunBody(await readMastraBody(c));
    const run = await wf.createRun({ ...(runId ? { runId } : {}), ...(resourceId ? { resourceId } : {}) });
    remember(run.runId, resourceId);
    return c.json({ runId: run.runId });
  });

  // start: Mastra's fire-and-forget start. weft returns once the run is stored (durable), after the
  // input was validated, so a bad input is a 400 here instead of a log line on the server.
  app.post('/workflows/:workflowId/start', async (c) => {
    const wf = workflowOf(c);
    const runId = runIdQuery(c, true);
    const { opts, resourceId } = startBody(await readMastraBody(c));
    const run = await newRun(wf, runId, resourceId);
    // Subscribed before the start, so a stream or runById right after sees the run's live events.
    const hadFeed = feeds.has(run.runId);
    await feeds.get(run.runId).ready;
    try {
      await run.startAsync(opts);
    } catch (err) {
      if (!hadFeed) feeds.drop(run.runId);
      throw err;
    }
    return c.json({ message: 'Workflow run started' });
  });

  app.post('/workflows/:workflowId/start-async', async (c) => {
    const wf = workflowOf(c);
    const runId = runIdQuery(c, false);
    const { opts, resourceId } = startBody(await readMastraBody(c));
    const run = await newRun(wf, runId, resourceId);
    return c.json(mastraResult(await run.start(opts)));
  });

  app.post('/workflows/:workflowId/stream', async (c) => {
    const wf = workflowOf(c);
    const runId = runIdQuery(c, true);
    const { opts, resourceId, closeOnSuspend } = startBody(await readMastraBody(c));
    const existing = await weft.getRun(runId);
    if (existing && existing.workflowName !== wf.id) throw new RunConflictError(runId, `it is a run of the workflow ${existing.workflowName}`);
    if (existing && isTerminal(existing.status)) {
      throw new RunConflictError(runId, `Workflow run ${runId} already finished with status "${existing.status}". Use /observe to read its stream back, or stream a new runId.`);
    }
    // The feed subscribes before the run starts, so the stream misses none of its events.
    const hadFeed = feeds.has(runId);
    const feed = feeds.get(runId);
    await feed.ready;
    const afterSeq = existing ? latestSeq(feed) : 0;
    if (!existing) {
      try {
        await (await newRun(wf, runId, resourceId)).startAsync(opts);
      } catch (err) {
        if (!hadFeed) feeds.drop(runId);
        throw err;
      }
    }
    // A run that already exists (a second stream of the same run) is followed from now on.
    return feedResponse(c, { feed, workflowId: wf.id, afterSeq, closeOnSuspend, closing: ctx.closing });
  });

  // observe: the run's stream so far (from `offset`, an index into it), then live until it settles.
  app.post('/workflows/:workflowId/observe', async (c) => {
    const runId = runIdQuery(c, true);
    const offsetText = c.req.query('offset');
    const offset = offsetText === undefined || offsetText === '' ? 0 : Number(offsetText);
    if (!Number.isInteger(offset) || offset < 0) throw new InvalidArgumentError('offset must be a non-negative integer');
    await readMastraBody(c);
    const { wf, summary } = await storedRun(c, runId);
    // A run this server started or streamed has a live feed (its chunks as Mastra streamed them); any
    // other run is read from its durable stream, whichever process executes it.
    if (!feeds.has(summary.runId)) {
      return durableResponse(c, { weft, runId: summary.runId, workflowId: wf.id, offset, pollMs: ctx.opts.eventPollMs, closing: ctx.closing });
    }
    const feed = feeds.get(summary.runId);
    await feed.ready;
    await feed.sync();
    const history = feed.since(undefined);
    const afterSeq = offset === 0 ? 0 : (history[Math.min(offset, history.length) - 1]?.seq ?? 0);
    return feedResponse(c, { feed, workflowId: wf.id, afterSeq, closeOnSuspend: true, endWhenSettled: true, closing: ctx.closing });
  });

  const resumeRoute = (path: string, answer: 'wait' | 'message' | 'runId' | 'stream') =>
    app.post(`/workflows/:workflowId/${path}`, async (c) => {
      const runId = runIdQuery(c, true);
      const opts = resumeBody(await readMastraBody(c));
      const { wf, summary, run } = await storedRun(c, runId);
      if (answer === 'wait') return c.json(mastraResult(await run.resume(opts)));
      if (answer === 'stream' && !feeds.has(summary.runId)) {
        // No live feed here (the run was started by another process, or before a restart): the
        // resumed execution, wherever it runs, is read from the durable stream after what is stored now.
        const after = await durableTail(weft, summary.runId);
        await run.resumeAsync(opts);
        return durableResponse(c, { weft, runId: summary.runId, workflowId: wf.id, offset: 0, after, pollMs: ctx.opts.eventPollMs, closing: ctx.closing });
      }
      const feed = feeds.get(summary.runId);
      await feed.ready;
      await feed.sync();
      const afterSeq = latestSeq(feed);
      await run.resumeAsync(opts);
      if (answer === 'message') return c.json({ message: 'Workflow run resumed' });
      if (answer === 'runId') return c.json({ runId: summary.runId });
      return feedResponse(c, { feed, workflowId: wf.id, afterSeq, closeOnSuspend: true, closing: ctx.closing });
    });
  resumeRoute('resume', 'message');
  resumeRoute('resume-async', 'wait');
  resumeRoute('resume-no-wait', 'runId');
  resumeRoute('resume-stream', 'stream');

  app.post('/workflows/:workflowId/runs/:runId/cancel', async (c) => {
    await readMastraBody(c);
    const { summary, run } = await storedRun(c, c.req.param('runId'));
    await run.cancel();
    void feeds.get(summary.runId).sync();
    return c.json({ message: 'Workflow run cancelled' });
  });

  app.route('/', courseRoutes(ctx, storedRun, workflowOf));
  app.route('/', studioRoutes(ctx));

  // Any other Mastra route (agents, memory, vectors, ...): weft serves workflows only.
  app.all('*', (c) => {
    throw new HttpError('NOT_FOUND', `weft does not implement ${c.req.method} ${c.req.path}: weft serves Mastra's workflow routes only (no agents, tools, memory, vectors, datasets, nor stored traces and logs: weft's traces go to your OpenTelemetry SDK)`);
  });
  return app;
}

