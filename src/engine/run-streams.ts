import { createHash } from 'node:crypto';
import type { LegacyStreamChunk, WorkflowStreamChunk } from '../define/stream-types.js';
import { isTerminal, type RunStatus } from '../domain/run-status.js';
import type { WorkflowEvent } from '../domain/workflow-events.js';
import type { EventSource } from './events.js';

/**
 * The streams of a run handle: Mastra 1.71's chunk shapes, and when a stream ends. Their events come
 * either from the in-process EventHub (a run executing here from the moment the stream subscribed:
 * `runStream`) or from the run's durable stream (durable-stream.ts); the shapes and closing rules
 * here are the same for both.
 */

/** When a stream ends: after any outcome (success, failed, canceled, suspended), or only a terminal one. */
export type CloseRule = 'settled' | 'terminal';

const USAGE = { inputTokens: 0, outputTokens: 0, totalTokens: 0, cachedInputTokens: 0, cacheCreationInputTokens: 0, reasoningTokens: 0 };

/**
 * An id for one call of a step, the same on its start, result and suspension events: derived from the
 * run, the step and when the call started, so every reader of the run sees the same id.
 */
function stepCallId(runId: string, id: unknown, startedAt: unknown): string {
  const h = createHash('sha1').update(`${runId}\u0000${String(id)}\u0000${String(startedAt)}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function isStepEvent(type: string): boolean {
  return type.startsWith('workflow-step-') && type !== 'workflow-step-output';
}

/** Mastra's WorkflowStreamEvent for a weft event. */
export function toChunk(e: WorkflowEvent): WorkflowStreamChunk {
  const p = e.payload;
  if (e.type === 'workflow-step-output') {
    return { type: e.type, runId: e.runId, from: 'USER', payload: { stepName: p.id, ...p, runId: e.runId } };
  }
  if (e.type.startsWith('data-')) return { type: e.type, runId: e.runId, from: 'USER', payload: p };
  if (isStepEvent(e.type)) {
    const payload: Record<string, unknown> = { stepName: p.id, ...p };
    if (p.startedAt !== undefined) payload.stepCallId = stepCallId(e.runId, p.id, p.startedAt);
    return { type: e.type, runId: e.runId, from: 'WORKFLOW', payload };
  }
  if (e.type === 'workflow-finish') {
    return { type: e.type, runId: e.runId, from: 'WORKFLOW', payload: { ...p, output: { usage: { ...USAGE } } } };
  }
  return { type: e.type, runId: e.runId, from: 'WORKFLOW', payload: p };
}

/**
 * Mastra's legacy chunks for a weft event: `start`, `step-start`, `step-result` then `step-finish`,
 * `step-suspended`, `step-waiting`, and `finish` once the run ended. What legacy readers never got
 * (writer output, custom events, retries, foreach progress, a suspended run's finish) is left out.
 */
export function toLegacyChunks(e: WorkflowEvent): LegacyStreamChunk[] {
  const p = e.payload;
  const call = p.startedAt !== undefined ? { stepCallId: stepCallId(e.runId, p.id, p.startedAt) } : {};
  switch (e.type) {
    case 'workflow-start':
      return [{ type: 'start', payload: { runId: e.runId } }];
    case 'workflow-step-start':
      return [{ type: 'step-start', payload: { id: p.id, ...call, ...p } }];
    case 'workflow-step-result':
      return [
        { type: 'step-result', payload: { id: p.id, ...call, ...p } },
        { type: 'step-finish', payload: { id: p.id, ...call, metadata: {} } },
      ];
    case 'workflow-step-suspended':
      return [{ type: 'step-suspended', payload: { id: p.id, ...call, ...p } }];
    case 'workflow-step-waiting':
      return [{ type: 'step-waiting', payload: { id: p.id, ...p } }];
    case 'workflow-finish':
      return isTerminal(p.workflowStatus as RunStatus) ? [{ type: 'finish', payload: { runId: e.runId } }] : [];
    default:
      return [];
  }
}

/** Whether this event ends a stream under the rule. */
export function ends(e: WorkflowEvent, rule: CloseRule): boolean {
  if (e.type !== 'workflow-finish') return false;
  return rule === 'settled' || isTerminal(e.payload.workflowStatus as RunStatus);
}

export interface RunStream<T> {
  stream: ReadableStream<T> & AsyncIterable<T>;
  /** Ends the stream now (the run settled without an event reaching this process, say). */
  close(): void;
  /** Resolves once the stream ended (by an event, close() or the reader canceling). */
  closed: Promise<void>;
}

/** The consumer side of a run stream: events go in, mapped chunks come out, ending by the rule. */
export interface StreamSink<T> extends RunStream<T> {
  /** Maps and enqueues one event; returns true once the stream has ended. */
  push(e: WorkflowEvent): boolean;
  /** Ends the stream with an error (its source failed). */
  fail(err: unknown): void;
  /** Aborts when the stream ends (by any cause): its sources stop. */
  signal: AbortSignal;
}

/** A stream of chunks fed by `push`, ending after the event that `rule` names, on close() or cancel. */
export function streamSink<T>(map: (e: WorkflowEvent) => T[], rule: CloseRule, onEvent?: (e: WorkflowEvent) => void): StreamSink<T> {
  let done!: () => void;
  const closed = new Promise<void>((resolve) => (done = resolve));
  const stop = new AbortController();
  let ended = false;
  let controller!: ReadableStreamDefaultController<T>;
  const finish = () => {
    ended = true;
    stop.abort();
    done();
  };
  const close = () => {
    if (ended) return;
    finish();
    controller.close();
  };
  const stream = new ReadableStream<T>({
    start(c) {
      controller = c;
    },
    cancel() {
      if (!ended) finish();
    },
  });
  const push = (e: WorkflowEvent): boolean => {
    if (ended) return true;
    onEvent?.(e);
    for (const chunk of map(e)) controller.enqueue(chunk);
    if (ends(e, rule)) close();
    return ended;
  };
  const fail = (err: unknown) => {
    if (ended) return;
    finish();
    controller.error(err);
  };
  return { stream: stream as ReadableStream<T> & AsyncIterable<T>, close, closed, push, fail, signal: stop.signal };
}

/**
 * A ReadableStream of one run's live events in this process mapped to chunks, subscribed at once (so
 * nothing emitted after this call is missed), ending after the event that `rule` names or on close().
 * `onEvent` sees every event first (a handle's status follows them).
 */
export function runStream<T>(
  hub: EventSource,
  runId: string,
  map: (e: WorkflowEvent) => T[],
  rule: CloseRule,
  onEvent?: (e: WorkflowEvent) => void,
): RunStream<T> {
  const sink = streamSink(map, rule, onEvent);
  const unsubscribe = hub.subscribe(runId, (e) => void sink.push(e));
  sink.signal.addEventListener('abort', unsubscribe, { once: true });
  return sink;
}

/** A watcher must never break the emitting execution: its errors (thrown or rejected) are dropped. */
export function guardWatcher(cb: (chunk: WorkflowStreamChunk) => void | Promise<void>): (e: WorkflowEvent) => void {
  return (e) => {
    try {
      const r = cb(toChunk(e));
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(() => {});
    } catch {
      // The watcher's own problem; the run goes on.
    }
  };
}

export const ZERO_USAGE = USAGE;
