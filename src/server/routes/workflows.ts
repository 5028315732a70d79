import { Hono } from 'hono';
import type { StartOptions } from '../../define/run-types.js';
import { onlyKeys, optObject, optString, readJsonObject, wantsWait, type JsonObject } from '../body.js';
import { parseRunFilter } from '../query.js';
import { describeWorkflow, summaryJson } from '../views.js';
import type { ApiContext } from './context.js';

const START_KEYS = ['inputData', 'initialState', 'requestContext', 'tracingOptions', 'metadata', 'traceId', 'outputOptions', 'runId', 'resourceId', 'idempotencyKey'];

function startOptions(body: JsonObject): StartOptions {
  const opts: StartOptions = {};
  if ('inputData' in body) opts.inputData = body.inputData;
  if ('initialState' in body) opts.initialState = body.initialState;
  const requestContext = optObject(body, 'requestContext');
  if (requestContext) opts.requestContext = requestContext;
  const tracing = optObject(body, 'tracingOptions');
  if (tracing) opts.tracingOptions = tracing;
  const metadata = optObject(body, 'metadata');
  if (metadata) opts.metadata = metadata;
  const traceId = optString(body, 'traceId', 32);
  if (traceId) opts.traceId = traceId;
  const outputOptions = optObject(body, 'outputOptions');
  if (outputOptions) opts.outputOptions = outputOptions;
  const idempotencyKey = optString(body, 'idempotencyKey', 512);
  if (idempotencyKey !== undefined) opts.idempotencyKey = idempotencyKey;
  return opts;
}

/** GET /workflows, GET /workflows/:id, POST /workflows/:id/runs, GET /workflows/:id/runs. */
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

  app.get('/:id/runs', async (c) => {
    const wf = weft.getWorkflow(c.req.param('id'));
    const filter = parseRunFilter(c, false);
    const res = await weft.listRuns({ ...filter, workflowId: wf.id });
    return c.json({ runs: res.runs.map(summaryJson), total: res.total, page: filter.page, perPage: filter.perPage });
  });

  return app;
}
