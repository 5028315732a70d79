import type { SerializedError } from '../errors.js';

/**
 * The extra fields a journal row carries in its `meta` JSON column, and their one codec. The engine
 * writes them; the stores rewrite `resumePayload` when a run is resumed (inside their transaction);
 * the read model shows them. Everything that touches `meta` goes through this module.
 */
/** The child run of one ctx.startWorkflow call. */
export interface ChildMeta {
  runId: string;
  workflowId: string;
}

export interface RowMeta {
  /** What the step passed to suspend(). */
  suspendPayload?: unknown;
  /** The resume data of the resume that ended the suspension. */
  resumePayload?: unknown;
  /** Labels a resume may target instead of the step. */
  resumeLabels?: string[];
  /** setState() calls the step made (shallow merge); replayed when the row is replayed. */
  statePatch?: Record<string, unknown>;
  /** A retry parked in the store waits until this time (epoch ms). */
  retryAt?: number;
  /** A durable sleep ends at this time (epoch ms). */
  wakeAt?: number;
  suspendedAt?: number;
  resumedAt?: number;
  /** Time travel: the node runs with this input instead of the previous node's output. */
  inputOverride?: unknown;
  /** Time travel: a step before the target that had no result; recorded so it is not executed. */
  skipped?: boolean;
  /** A wait for events (`.waitForEvent`): what it waits for, with which key, until when (null: forever). */
  wait?: WaitMeta;
  /** A step's call of ctx.startWorkflow (row `<step path>@child<n>`): the child run it started and awaits. */
  child?: ChildMeta;
  /** The event that ended the wait (its data as decoded JSON). */
  event?: DeliveredEvent;
  /** The wait ended at its deadline without an event. */
  timedOut?: boolean;
  /**
   * The failed attempts of this execution of the step that were retried, oldest first (absent when the
   * first attempt settled it). The row itself describes the latest attempt.
   */
  attempts?: AttemptMeta[];
  /**
   * The call wrote output chunks and its start went to the run's stream with the first of them
   * (engine/interpreter/chunk-journal.ts): stream readers take its start from there, not from this row.
   */
  streamed?: true;
}

/** The meta of a row whose call streamed its start (see RowMeta.streamed), the rest kept. */
export function streamedMeta(meta: string | null): string {
  return JSON.stringify({ ...decodeMeta(meta), streamed: true });
}

export interface WaitMeta {
  events: string[];
  key: string | null;
  deadline: number | null;
  /** What happens at the deadline: the step runs with `timedOut` ('continue'), or the run fails ('fail'). */
  onTimeout: 'continue' | 'fail';
}

/** An event as the step that waited for it sees it. */
export interface DeliveredEvent {
  id: string;
  name: string;
  key: string | null;
  data: unknown;
  receivedAt: number;
}

/** The meta of a wait row an event ended: `event` set, `resumedAt` the time of delivery, the rest kept. */
export function deliveredMeta(meta: string | null, e: { id: string; name: string; key: string | null; data: string | null }, now: number): string {
  const out = decodeMeta(meta);
  out.event = { id: e.id, name: e.name, key: e.key, data: e.data === null ? undefined : JSON.parse(e.data), receivedAt: now };
  out.resumedAt = now;
  return JSON.stringify(out);
}

/**
 * deliveredMeta's text around the event, for a store that picks the event inside the database
 * (PostgreSQL's weft_register_wait, migration 0019): for an event whose data is JSON text as
 * JSON.stringify writes it,
 *   deliveredMeta(meta, e, now) === before + '{"id":' + id + ',"name":' + name + ',"key":' + key
 *     + (data === null ? '' : ',"data":' + data) + after
 * with id, name and key as JSON (key null when there is none). Built field by field as JSON.stringify
 * writes an object, with `event` where deliveredMeta puts it: in its place when the meta had one, else
 * after the rest and before `resumedAt`.
 */
export function deliveredMetaAround(meta: string | null, now: number): { before: string; after: string } {
  const out = decodeMeta(meta) as Record<string, unknown>;
  out.event = null;
  out.resumedAt = now;
  const head: string[] = [];
  const tail: string[] = [];
  let past = false;
  for (const [k, v] of Object.entries(out)) {
    if (k === 'event') {
      past = true;
      continue;
    }
    (past ? tail : head).push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
  }
  return { before: `{${[...head, '"event":'].join(',')}`, after: `,"receivedAt":${JSON.stringify(now)}}${tail.map((f) => `,${f}`).join('')}}` };
}

/** One failed attempt of a step that was retried: when it ran, what it failed with, how long the retry waited. */
export interface AttemptMeta {
  /** 1-based. */
  attempt: number;
  startedAt: number;
  endedAt: number;
  error: SerializedError;
  retryDelayMs: number;
}

/** The meta column's text, or null when there is nothing to keep (most rows). */
export function encodeMeta(meta: RowMeta | null | undefined): string | null {
  if (!meta) return null;
  for (const k in meta) if ((meta as Record<string, unknown>)[k] !== undefined) return JSON.stringify(meta);
  return null;
}

/** Parses a meta column; throws SyntaxError on text that is not JSON (callers decide what that means). */
export function decodeMeta(text: string | null | undefined): RowMeta {
  if (text === null || text === undefined) return {};
  const v = JSON.parse(text) as unknown;
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as RowMeta) : {};
}

/** The meta of a row being resumed: `resumePayload` set from the resume data's JSON text, the rest kept. */
export function resumedMeta(meta: string | null, resumeData: string | null): string {
  const out = decodeMeta(meta);
  out.resumePayload = resumeData === null ? undefined : JSON.parse(resumeData);
  return JSON.stringify(out);
}
