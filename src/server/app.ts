import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { WorkflowEvent, WorkflowResult } from '../define/run-types.js';
import type { Weft } from '../engine/weft.js';
import { RunNotFoundError } from '../errors.js';
import { bearerAuth } from './auth.js';
import { healthRoutes } from './health.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { HttpError, toErrorResponse } from './http-errors.js';
import { mastraErrorBody } from './mastra/errors.js';
import { mastraRoutes } from './mastra/routes.js';
import { WEFT_API_PREFIX, resolveOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { checkRequestText } from './query.js';
import { apiHeaders, hostGuard, jsonOnly, jsonOrEmpty, originGuard, rootCors } from './request-guard.js';
import { FeedRegistry, type FeedSource } from './run-feed.js';
import type { ApiContext } from './routes/context.js';
import { eventRoutes } from './routes/events.js';
import { bulkRoutes } from './routes/bulk.js';
import { runRoutes } from './routes/runs.js';
import { sendEventRoutes, tokenRoutes } from './routes/send-event.js';
import { workflowRoutes } from './routes/workflows.js';

export interface WeftApp {
  app: Hono;
  options: ResolvedServerOptions;
  /** Ends open event streams and drops the in-memory event feeds. Does not stop the engine. */
  close(): void;
}

/**
 * Studio sends the request context it was given (its Request Context page) as base64 JSON in a
 * `requestContext` query parameter on every GET; it may be longer than other query values.
 */
const MASTRA_QUERY = { longValues: { requestContext: 16 * 1024 } };

function feedSource(weft: Weft): FeedSource {
  return {
    subscribe: (runId, listener: (e: WorkflowEvent) => void) => weft.subscribe(runId, listener),
    async load(runId): Promise<WorkflowResult | null> {
      const run = await weft.getRunSummary(runId).catch((err: unknown) => {
        if (err instanceof RunNotFoundError) return null;
        throw err;
      });
      const wf = run ? weft.workflowById(run.workflowName) : undefined;
      return wf ? wf.getWorkflowRunExecutionResult(runId) : null;
    },
  };
}

/**
 * Builds the HTTP API (weft's under /api/weft, Mastra's protocol under /api) and the dashboard (at /)
 * as a Hono app, without listening. Use
 * `serve()` to listen; use this to mount weft inside another Hono or fetch-based server.
 */
export function createApp(weft: Weft, options: ServerOptions = {}): WeftApp {
  const opts = resolveOptions(options);
  let close!: () => void;
  const closing = new Promise<void>((resolve) => (close = resolve));
  const feeds = new FeedRegistry(
    feedSource(weft),
    { capacity: opts.eventBufferSize, pollMs: opts.eventPollMs, maxFeeds: opts.maxEventFeeds },
    opts.onError,
  );
  const ctx: ApiContext = { weft, feeds, opts, closing };

  const app = new Hono();
  const mastraPrefix = opts.mastraApiPrefix;
  // Answers under Mastra's prefix (outside weft's own API) take Mastra's error shape, so Mastra
  // clients read `error` as a message; the stable `code` is added to it.
  const isWeftPath = (path: string) => path === WEFT_API_PREFIX || path.startsWith(`${WEFT_API_PREFIX}/`);
  const isMastraPath = (path: string) => mastraPrefix !== false && (path === mastraPrefix || path.startsWith(`${mastraPrefix}/`)) && !isWeftPath(path);
  // weft's own API keeps its stricter rule (a state-changing request is JSON even without a body);
  // Mastra's clients send some body-less POSTs and DELETEs without a content-type.
  const strictJson = jsonOnly();
  const mastraJson = jsonOrEmpty();
  app.onError((err, c) => {
    const { status, body } = toErrorResponse(err, opts.onError);
    // The unread rest of an oversized body would poison a reused connection; ask the client to drop it.
    if (status === 413) c.header('connection', 'close');
    return c.json(isMastraPath(c.req.path) ? mastraErrorBody(body) : body, status as ContentfulStatusCode);
  });
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));

  // Every API prefix gets the same guards: weft's own API lives under /api/weft, Mastra's protocol
  // under its prefix (/api by default, which already covers /api/weft).
  const prefixes = ['/api'];
  if (mastraPrefix !== false && mastraPrefix !== '/api' && !mastraPrefix.startsWith('/api/')) prefixes.push(mastraPrefix);

  // Order matters: the Host check covers the dashboard too; the API's headers are set on every answer
  // (refusals included); CORS preflights are answered before the token check, since browsers send no
  // Authorization on a preflight; ids are checked before any route can hand one to the store.
  for (const p of prefixes) app.use(`${p}/*`, apiHeaders(opts.corsOrigins.length > 0));
  app.use('*', hostGuard({ bind: opts.host, allowedHosts: opts.allowedHosts }));
  // Probes carry no token and no Origin: health answers before the API's guards (it reveals nothing).
  healthRoutes(app, weft);
  if (opts.corsOrigins.length > 0) app.use('/', rootCors(opts.corsOrigins));
  for (const p of prefixes) {
    app.use(`${p}/*`, originGuard(opts.corsOrigins));
    if (opts.token) {
      // A completion token is its own credential (a third party's webhook has no bearer token).
      const auth = bearerAuth(opts.token);
      app.use(`${p}/*`, (c, next) => (c.req.path.startsWith(`${WEFT_API_PREFIX}/tokens/`) ? next() : auth(c, next)));
    }
    app.use(`${p}/*`, (c, next) => (isWeftPath(c.req.path) ? strictJson(c, next) : mastraJson(c, next)));
    app.use(`${p}/*`, async (c, next) => {
      checkRequestText(c.req.url, isWeftPath(c.req.path) ? {} : MASTRA_QUERY);
      await next();
    });
    app.use(
      `${p}/*`,
      bodyLimit({
        maxSize: opts.maxBodyBytes,
        onError: () => {
          throw new HttpError('BODY_TOO_LARGE', `the request body is larger than the limit of ${opts.maxBodyBytes} bytes`);
        },
      }),
    );
  }

  const api = new Hono();
  const { perRun, allRuns } = runRoutes(ctx);
  api.route('/workflows', workflowRoutes(ctx));
  api.route('/workflows', perRun);
  api.route('/workflows', eventRoutes(ctx));
  // Before the per-run routes: /runs/bulk is not a run id.
  api.route('/runs/bulk', bulkRoutes(ctx));
  api.route('/runs', allRuns);
  api.route('/events', sendEventRoutes(ctx));
  api.route('/tokens', tokenRoutes(ctx));
  // Retention counters of this process (docs/operations.md, "Retention"): what its worker pruned.
  api.get('/retention', (c) => c.json(ctx.weft.retentionStats()));
  app.route(WEFT_API_PREFIX, api);
  // weft's routes first: Mastra's unknown-route answer must not take /api/weft paths.
  if (mastraPrefix !== false) app.route(mastraPrefix, mastraRoutes(ctx));
  if (opts.dashboard) app.route('/', dashboardRoutes());

  return {
    app,
    options: opts,
    close() {
      close();
      feeds.closeAll();
    },
  };
}
