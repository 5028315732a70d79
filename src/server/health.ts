import type { Context, Hono } from 'hono';
import type { Weft } from '../engine/weft.js';

/** How long readiness waits for the store before answering "not ready". */
const READY_TIMEOUT_MS = 2000;

/**
 * Health endpoints for process managers, load balancers and container probes. They answer without a
 * token (a probe has none), say nothing about runs, and are registered before the API's guards.
 * - `GET /api/health` (and `/api/health/live`): the process is serving;
 * - `GET /api/health/ready`: the engine has started and its store answers (503 otherwise).
 */
export function healthRoutes(app: Hono, weft: Weft): void {
  const live = (c: Context) => c.json({ status: 'ok' });
  app.get('/api/health', live);
  app.get('/api/health/live', live);
  app.get('/api/health/ready', async (c) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        weft.listRuns({ perPage: 1 }),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the store did not answer in time')), READY_TIMEOUT_MS))),
      ]);
      return c.json({ status: 'ok' });
    } catch (err) {
      return c.json({ status: 'unavailable', reason: (err as Error)?.message ?? 'the store is not reachable' }, 503);
    } finally {
      clearTimeout(timer);
    }
  });
}
