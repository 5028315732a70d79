import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { findRun } from '../views.js';
import type { ApiContext } from './context.js';

/**
 * GET /workflows/:id/runs/:runId/events: Server-Sent Events of one run's durable stream (docs/api.md,
 * "Run events"; docs/durability.md, "Run streams"): its step events and output chunks, read from the
 * store, so a run executed by any process can be followed, and read back after it finished.
 *
 * Each event's `id` is its stream position (`<position>:<n>`), the same in every process and after a
 * restart: sent back as `Last-Event-ID` (header, or `?lastEventId=` for the first request) the stream
 * continues right after it, with no gap and no duplicate. An id of the in-memory feeds of earlier weft
 * versions (`<8 hex>.<n>`) replays from the start; any other id is refused (400 INVALID_ARGUMENT).
 * The stream ends once the run's latest state is settled (ended or suspended) and every event up to it
 * was sent, with a final `event: end` message so clients do not reconnect; when the server stops, it
 * ends without one, and the client reconnects with its last id.
 */
export function eventRoutes(ctx: ApiContext): Hono {
  const app = new Hono();
  app.get('/:id/runs/:runId/events', async (c) => {
    const { run } = await findRun(ctx.weft, c.req.param('id'), c.req.param('runId'));
    const lastEventId = c.req.header('last-event-id') ?? c.req.query('lastEventId');
    const stop = new AbortController();
    // Validates the id before the response starts (a bad one is a 400, not a broken stream).
    const events = ctx.weft.followRunStream(run.runId, { after: lastEventId ?? null, signal: stop.signal, pollMs: ctx.opts.eventPollMs });
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => stop.abort());
      void ctx.closing.then(() => stop.abort());
      try {
        await stream.write(': weft event stream\n\n');
        let next = events.next();
        for (;;) {
          let timer: NodeJS.Timeout | undefined;
          const beat = new Promise<'beat'>((resolve) => (timer = setTimeout(() => resolve('beat'), ctx.opts.heartbeatMs)));
          const r = await Promise.race([next, beat]);
          clearTimeout(timer);
          if (r === 'beat') {
            await stream.write(': keep-alive\n\n');
            continue;
          }
          if (r.done) break;
          await stream.writeSSE({ id: r.value.id, data: JSON.stringify({ ...r.value.event, id: r.value.id }) });
          next = events.next();
        }
        // Ended by the run settling (or being deleted), not by the client or a closing server.
        if (!stop.signal.aborted) await stream.writeSSE({ event: 'end', data: '{}' });
      } finally {
        stop.abort();
        await events.return(undefined);
      }
    });
  });
  return app;
}
