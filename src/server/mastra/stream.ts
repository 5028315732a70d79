import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { isTerminal } from '../../domain/run-status.js';
import type { WorkflowEvent } from '../../domain/workflow-events.js';
import { FinalChunks } from '../../engine/durable-stream.js';
import type { Weft } from '../../engine/weft.js';
import type { FeedEvent, RunFeed } from '../run-feed.js';

/**
 * Mastra's workflow streams (`/stream`, `/resume-stream`, `/observe`): a text body of JSON chunks,
 * each followed by the ASCII record separator (0x1E), which @mastra/client-js splits on. The chunks
 * are weft's run events, which already use Mastra's vocabulary (`workflow-start`,
 * `workflow-step-start`, `workflow-step-result`, `workflow-step-suspended`, `workflow-finish`, ...),
 * with the two fields Mastra adds: `workflowId` on `workflow-start` and `stepName` on step events.
 *
 * The events come from the server's run feed (live events of this process, plus events rebuilt from
 * the store for a run another worker executes), so a stream follows a run wherever it runs. `/observe`
 * of a run this server has no feed for (another process executes or executed it, or this server
 * restarted since) reads the run's durable stream instead (durableResponse), output chunks included.
 */
const RECORD_SEPARATOR = '\x1E';

/**
 * Mastra's `stepCallId` names one execution of a step (its start, output and result chunks share it).
 * weft derives it from the run, the step and the execution's start time, so a replayed chunk gets the
 * same id as the live one; it is shaped like a UUID, as Mastra's is.
 */
function stepCallId(runId: string, stepId: string, startedAt: unknown): string {
  const h = createHash('sha256').update(`${runId}\0${stepId}\0${String(startedAt)}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function mastraChunk(e: WorkflowEvent, workflowId: string): WorkflowEvent {
  const payload = { ...e.payload };
  if (e.type === 'workflow-start') {
    payload.workflowId ??= workflowId;
    delete payload.runId;
  } else if (e.type.startsWith('workflow-step-') && typeof payload.id === 'string') {
    payload.stepName ??= payload.id;
    payload.stepCallId ??= stepCallId(e.runId, payload.id, payload.startedAt);
  } else if (e.type === 'workflow-finish') {
    // Mastra's usage counters (all zero for workflows whose steps call no model).
    const usage = (payload.output as { usage?: Record<string, number> } | undefined)?.usage ?? {};
    payload.output = { usage: { cachedInputTokens: 0, cacheCreationInputTokens: 0, reasoningTokens: 0, ...usage } };
  }
  return { type: e.type, runId: e.runId, from: e.from, payload };
}

/** Whether a chunk ends a stream: a finish that is final, or a suspension when the caller closes on one. */
export function endsStream(e: WorkflowEvent, closeOnSuspend: boolean): boolean {
  if (e.type !== 'workflow-finish') return false;
  const status = String(e.payload.workflowStatus);
  return status === 'suspended' ? closeOnSuspend : isTerminal(status as never) || status === 'canceled';
}

export interface FeedStreamOptions {
  feed: RunFeed;
  workflowId: string;
  /**
   * Events up to this sequence number are not sent (what the run did before this request); the
   * retained events after it are sent first, then live ones as they come.
   */
  afterSeq: number;
  closeOnSuspend: boolean;
  /** For observe: end once the feed is settled and the replay is sent, even if no finish follows. */
  endWhenSettled?: boolean;
  closing: Promise<void>;
}

export function feedResponse(c: Context, o: FeedStreamOptions): Response {
  const encoder = new TextEncoder();
  let off: (() => void) | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        off?.();
        controller.close();
      };
      const send = (e: FeedEvent, canEnd = true) => {
        if (done) return;
        controller.enqueue(encoder.encode(JSON.stringify(mastraChunk(e.event, o.workflowId)) + RECORD_SEPARATOR));
        if (canEnd && endsStream(e.event, o.closeOnSuspend)) finish();
      };
      let last = o.afterSeq;
      off = o.feed.listen((e) => {
        if (e.seq <= last) return;
        last = e.seq;
        send(e);
      });
      // Events appended while the route awaited the engine (between afterSeq and now) come first. In
      // that history a suspended finish that a resume has since followed does not end the stream; only
      // the latest event can.
      const history = o.feed.since(undefined).filter((e) => e.seq > last);
      history.forEach((e, i) => {
        last = e.seq;
        send(e, i === history.length - 1);
      });
      if (done) return;
      if (o.endWhenSettled && o.feed.isFinished) finish();
      void o.closing.then(finish);
    },
    cancel() {
      off?.();
    },
  });
  return c.body(body, 200, { 'content-type': 'text/plain; charset=utf-8' });
}

/** The sequence number of the feed's latest retained event (0 when it has none). */
export function latestSeq(feed: RunFeed): number {
  return feed.since(undefined).at(-1)?.seq ?? 0;
}

export interface DurableStreamOptions {
  weft: Weft;
  runId: string;
  workflowId: string;
  /** Chunks of the stream not sent (Mastra's observe `offset`, an index into the chunks). */
  offset: number;
  /** Read after this event id (a resume's stream: what was stored before it); absent: from the start. */
  after?: string | null;
  pollMs: number;
  closing: Promise<void>;
}

/** The id of the last event of the run's durable stream as stored now (null: none). */
export async function durableTail(weft: Weft, runId: string): Promise<string | null> {
  let last: string | null = null;
  for (;;) {
    const page = await weft.readRunStream(runId, { after: last });
    last = page.events.at(-1)?.id ?? last;
    if (!page.more) return last;
  }
}

/**
 * The run's durable stream from its start (or `after`), followed until the run settles, as Mastra's chunks. Output
 * chunks pass through FinalChunks: each is sent once its call is recorded (or the run settled), so a
 * chunk a retry or a crash superseded is never sent, and no reset is either (Mastra's clients have
 * no way to take a chunk back).
 */
export function durableResponse(c: Context, o: DurableStreamOptions): Response {
  const encoder = new TextEncoder();
  const stop = new AbortController();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let sent = 0;
      const send = (e: WorkflowEvent) => {
        if (stop.signal.aborted) return;
        if (sent++ < o.offset) return;
        controller.enqueue(encoder.encode(JSON.stringify(mastraChunk(e, o.workflowId)) + RECORD_SEPARATOR));
      };
      void o.closing.then(() => stop.abort());
      void (async () => {
        const gate = new FinalChunks();
        try {
          for await (const e of o.weft.followRunStream(o.runId, { after: o.after ?? null, signal: stop.signal, pollMs: o.pollMs })) for (const out of gate.push(e)) send(out);
          for (const out of gate.flush()) send(out);
          if (!stop.signal.aborted) controller.close();
        } catch (err) {
          if (!stop.signal.aborted) controller.error(err);
        }
      })();
    },
    cancel() {
      stop.abort();
    },
  });
  return c.body(body, 200, { 'content-type': 'text/plain; charset=utf-8' });
}
