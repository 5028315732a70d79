import { Hono } from 'hono';
import { onlyKeys, optString, readJsonObject, wantsWait } from '../body.js';
import { startOptions } from './start-body.js';
import { parseRunFilter } from '../query.js';
import { describeWorkflow, summaryJson } from '../views.js';
import type { ApiContext } from './context.js';
import { startBatch } from './start-batch.js';

const START_KEYS = ['inputData', 'initialState', 'requestContext', 'tracingOptions', 'metadata', 'tags', 'traceId', 'outputOptions', 'runId', 'resourceId', 'idempotencyKey'];

/** GET /workflows, GET /workflows/:id, GET /workflows/:id/versions, POST /workflows/:id/runs, POST /workflows/:id/runs/batch, GET /workflows/:id/runs. */
export function workflowRoutes(ctx: ApiContext): Hono {
  const app = new Hono();
  const { weft, feeds } = ctx;

  app.get('/', (c) => {
    const list = Object.entries(weft.listWorkflows()).map(([key, wf]) => describeWorkflow(key, wf));
    return c.json({ workflows: list });
  });

  app.get('/:id', (c) => {
    const key = c.req.param('id');
    const wf = weft.getWorkflow(key);
    return c.json(describeWorkflow(key, wf));
  });

  // The versions of a workflow and how many unfinished runs each still has (the dashboard's drain view).
  app.get('/:id/versions', async (c) => c.json({ versions: await weft.workflowVersions(c.req.param('id')) }));

  app.post('/:id/runs', async (c) => {
    const wf = weft.getWorkflow(c.req.param('id'));
    const wait = wantsWait(c);
    const body = await readJsonObject(c);
    onlyKeys(body, START_KEYS, 'start request');
    const runId = optString(body, 'runId');
    const resourceId = optString(body, 'resourceId');
    const opts = startOptions(body);
    const run = await wf.createRun({ ...(runId ? { runId } : {}), ...(resourceId ? { resourceId } : {}) });
    // The feed subscribes before the run starts, so a stream opened right after this returns misses nothing.
    const hadFeed = feeds.has(run.runId);
    const feed = feeds.get(run.runId);
    await feed.ready;
    try {
      if (wait) return c.json(await run.start(opts), 200);
      // Flow control may join the start to another run (debounce, batch, idempotency key): name that one.
      const started = await run.startAsync(opts);
      return c.json({ runId: started.runId }, 202);
    } catch (err) {
      if (!hadFeed) feeds.drop(run.runId);
      throw err;
    }
  });

  app.post('/:id/runs/batch', async (c) => {
    const wf = weft.getWorkflow(c.req.param('id'));
    return c.json(await startBatch(wf, await readJsonObject(c), ctx.opts.onError), 200);
  });

  app.get('/:id/runs', async (c) => {
    const wf = weft.getWorkflow(c.req.param('id'));
    const filter = parseRunFilter(c, false);
    const res = await weft.listRuns({ ...filter, workflowId: wf.id });
    return c.json({ runs: res.runs.map(summaryJson), total: res.total, page: filter.page, perPage: filter.perPage, ...(res.nextCursor ? { nextCursor: res.nextCursor } : {}) });
  });

  return app;
}
