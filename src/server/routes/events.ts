import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { findRun } from '../views.js';
import type { FeedEvent } from '../run-feed.js';
import type { ApiContext } from './context.js';

/**
 * GET /workflows/:id/runs/:runId/events: Server-Sent Events of one run. Each event's `id` can be sent
 * back as `Last-Event-ID` (header, or `?lastEventId=` for the first request) to resume after it. The
 * stream replays retained events, follows live ones, and ends once the run's latest event is a
 * `workflow-finish` (ended or suspended), with a final `event: end` message so clients do not reconnect.
 */
export function eventRoutes(ctx: ApiContext): Hono {
  const app = new Hono();
  app.get('/:id/runs/:runId/events', async (c) => {
    const { run } = await findRun(ctx.weft, c.req.param('id'), c.req.param('runId'));
    const lastEventId = c.req.header('last-event-id') ?? c.req.query('lastEventId');
    const feed = ctx.feeds.get(run.runId);
    await feed.ready;
    // Catch up with changes made elsewhere (a resume by another process) before deciding what to send.
    await feed.sync();
    return streamSSE(c, async (stream) => {
      const queue: FeedEvent[] = feed.since(lastEventId);
      let wake: (() => void) | null = null;
      let ended = false;
      const end = () => {
        ended = true;
        wake?.();
      };
      const off = feed.listen((e) => {
        queue.push(e);
        wake?.();
      });
      stream.onAbort(end);
      void ctx.closing.then(end);
      try {
        await stream.write(': weft event stream\n\n');
        while (!ended) {
          for (let e = queue.shift(); e; e = queue.shift()) {
            await stream.writeSSE({ id: e.id, data: JSON.stringify({ ...e.event, id: e.id }) });
          }
          // Replays can pass an older workflow-finish (a suspension that was resumed since); only a
          // finish that is still the run's latest state ends the stream.
          if (feed.isFinished) {
            // Tells the client the stream is complete, so it does not reconnect.
            await stream.writeSSE({ event: 'end', data: '{}' });
            break;
          }
          const beat = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(true), ctx.opts.heartbeatMs);
            wake = () => {
              clearTimeout(timer);
              resolve(false);
            };
          });
          wake = null;
          if (beat && !ended) await stream.write(': keep-alive\n\n');
        }
      } finally {
        off();
      }
    });
  });
  return app;
}
