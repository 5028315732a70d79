import { Hono } from 'hono';
import { onlyKeys, optString, readJsonObject } from '../body.js';
import type { ApiContext } from './context.js';

const KEYS = ['key', 'data', 'id', 'runId'];

/**
 * POST /events/:name: sends an event (weft.sendEvent), or to one run with `runId` (run.sendEvent).
 * Body: { key?, data?, id?, runId? }. Answers 202 with what the send did: { id, created, delivered,
 * started }. An unknown name is 404 UNKNOWN_EVENT, data failing the event's schema 400, and neither
 * stores anything.
 */
export function sendEventRoutes(ctx: ApiContext): Hono {
  const app = new Hono();
  app.post('/:name', async (c) => {
    const body = await readJsonObject(c);
    onlyKeys(body, KEYS, 'event');
    const name = c.req.param('name');
    const runId = optString(body, 'runId');
    if (runId !== undefined) {
      const summary = await ctx.weft.getRunSummary(runId);
      const run = await ctx.weft.getWorkflow(summary.workflowName).createRun({ runId });
      return c.json(await run.sendEvent(name, body.data), 202);
    }
    const key = optString(body, 'key');
    const id = optString(body, 'id');
    const out = await ctx.weft.sendEvent(name, { data: body.data, ...(key !== undefined ? { key } : {}), ...(id !== undefined ? { id } : {}) });
    return c.json(out, 202);
  });
  return app;
}

/**
 * POST /tokens/:token: completes a token made by `ctx.createToken()`; the JSON body is the data. The
 * token is the credential: this route needs no bearer token (see app.ts), so a third party's webhook
 * or an approval link's page can call it. 200 { runId, delivered }; 404 TOKEN_NOT_FOUND, 410
 * TOKEN_EXPIRED, 409 TOKEN_USED, 400 VALIDATION_FAILED change nothing.
 */
export function tokenRoutes(ctx: ApiContext): Hono {
  const app = new Hono();
  app.post('/:token', async (c) => {
    const body = await readJsonObject(c);
    return c.json(await ctx.weft.completeToken(c.req.param('token'), body), 200);
  });
  return app;
}
