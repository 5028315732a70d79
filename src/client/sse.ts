import type { WorkflowEvent } from '../define/run-types.js';
import { WeftError } from '../errors.js';
import type { Transport } from './http.js';

/** A run event as received over HTTP: the engine's event plus its SSE id (usable as Last-Event-ID). */
export type StreamEvent = WorkflowEvent & { id: string };

export interface WatchOptions {
  /** Resume after this event id (from a previous stream). */
  lastEventId?: string;
  /** Stops the stream. */
  signal?: AbortSignal;
  /** Reconnect attempts after a dropped connection before giving up. Default 10. */
  maxReconnects?: number;
  /** Delay before a reconnect, in ms. Default 500. */
  reconnectDelayMs?: number;
}

/** Splits an SSE byte stream into `{ id, data }` messages. */
async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<{ id?: string; event?: string; data: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let idx: number;
      while ((idx = buf.indexOf('\n\n')) !== -1) {
        const block = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        let id: string | undefined;
        let event: string | undefined;
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') id = value;
          else if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
        }
        if (data.length) yield { ...(id !== undefined ? { id } : {}), ...(event !== undefined ? { event } : {}), data: data.join('\n') };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Follows a run's event stream until the server ends it (after the `workflow-finish` that is the run's
 * latest state), reconnecting with Last-Event-ID after a dropped
 * connection so no event is missed (the server replays what it retained after that id).
 */
export async function* watchEvents(transport: Transport, path: string, opts: WatchOptions = {}): AsyncGenerator<StreamEvent> {
  let lastId = opts.lastEventId;
  const maxReconnects = opts.maxReconnects ?? 10;
  const delayMs = opts.reconnectDelayMs ?? 500;
  let failures = 0;
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      let res: Response;
      try {
        res = await transport.open(path, lastId ? { 'last-event-id': lastId } : {}, ctl.signal);
      } catch (err) {
        if (err instanceof WeftError && (err as { status?: number }).status !== undefined) throw err; // an HTTP error: no retry
        if (ctl.signal.aborted || ++failures > maxReconnects) throw err;
        await new Promise((r) => setTimeout(r, delayMs));
        continue;
      }
      if (!res.body) throw new WeftError('BAD_RESPONSE', 'the event stream has no body');
      let finished = false;
      try {
        for await (const msg of parseSse(res.body)) {
          if (msg.event === 'end') {
            finished = true;
            break;
          }
          const event = JSON.parse(msg.data) as StreamEvent;
          if (msg.id !== undefined) lastId = msg.id;
          failures = 0;
          yield event;
        }
      } catch (err) {
        if (ctl.signal.aborted) return;
        if (++failures > maxReconnects) throw err;
      }
      if (finished || ctl.signal.aborted) return;
      // The server ends a stream only after workflow-finish or when it shuts down: reconnect.
      await new Promise((r) => setTimeout(r, delayMs));
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    ctl.abort();
  }
}
