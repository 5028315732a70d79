import { Hono } from 'hono';
import type { ApiContext } from '../routes/context.js';

/**
 * What Mastra Studio asks for when it loads, for the Mastra features weft does not have (agents,
 * tools, processors, scorers, MCP servers, workspaces, review queues, auth providers). Each answer
 * is what a Mastra server with none of them configured gives, so Studio loads and shows those
 * sections empty instead of failing. Everything else Studio might call for them gets a 404 with
 * code NOT_FOUND (see the catch-all in routes.ts), which Studio shows as an error in that section only.
 */
export function studioRoutes(_ctx: ApiContext): Hono {
  const app = new Hono();
  const empty = {};
  app.get('/auth/capabilities', (c) => c.json({ enabled: false, login: null }));
  app.get('/system/packages', (c) =>
    c.json({
      packages: [],
      isDev: false,
      cmsEnabled: false,
      liveKitConnectionRouteEnabled: false,
      observabilityEnabled: false,
      storageType: 'weft',
      observabilityStorageType: null,
      observabilityStorageCapabilities: { metrics: false, logs: false, traceQueryDiscovery: false },
    }),
  );
  app.get('/editor/builder/settings', (c) => c.json({ enabled: false, modelPolicy: { active: false } }));
  app.get('/workspaces', (c) => c.json({ workspaces: [] }));
  app.get('/agents', (c) => c.json(empty));
  app.get('/tools', (c) => c.json(empty));
  app.get('/processors', (c) => c.json(empty));
  app.get('/scores/scorers', (c) => c.json(empty));
  app.get('/mcp/v0/servers', (c) => c.json({ servers: [], total_count: 0, next: null }));
  app.get('/observability/feedback', (c) => {
    const perPage = Number(c.req.query('perPage') ?? 10) || 10;
    return c.json({ feedback: [], pagination: { total: 0, page: 0, perPage, hasMore: false }, deltaCursor: '0' });
  });
  app.get('/experiments/review-summary', (c) => c.json({ counts: [] }));
  // weft's cron schedules are not Mastra schedules (those also drive agents); Studio shows none.
  app.get('/schedules', (c) => c.json({ schedules: [] }));
  return app;
}
