import type { JournalEntry } from './journal-records.js';
import type { NewRun, RunRecord } from './run-records.js';

/** Events as sent and stored, the waits runs register for them, and a parent run's wait for its child. */

/**
 * An event as sent (weft.sendEvent, run.sendEvent, POST /api/events/:name). Stored first, then delivered:
 * to the runs waiting for it now, and to runs that reach a matching wait later (within a window).
 */
export interface NewEvent {
  /** Idempotency key: a second send with the same id stores and delivers nothing. */
  id: string;
  name: string;
  /** Correlation key (matched against a wait's `match` key); null: only waits without a key get it. */
  key: string | null;
  /** Set when the event is sent to one run (run.sendEvent): only that run's waits get it. */
  runId: string | null;
  /** JSON text of the event's data. */
  data: string | null;
  now: number;
  /**
   * When retention may delete the event's record (ms): the end of its early-event window for an event,
   * the expiry for a token's record. Default: `now` + DEFAULT_EVENT_KEEP_MS. See EventPruneRequest.
   */
  expiresAt?: number;
}

export interface StoredEvent {
  id: string;
  name: string;
  key: string | null;
  runId: string | null;
  data: string | null;
  createdAt: number;
}

export interface SendEventRequest {
  event: NewEvent;
  /** Runs the event starts (workflow triggers), created in the same transaction, only when the event is new. */
  startRuns?: NewRun[];
}

export interface SendEventResult {
  /** False when an event with this id was stored before (nothing was delivered or started). */
  created: boolean;
  /** Runs the event was delivered to now (made runnable). */
  delivered: { runId: string; workflowId: string }[];
  /** Ids of the runs the event started (created now). */
  started: string[];
}

/**
 * A run reaching a wait for events (under its lease: applied only while its epoch equals `epoch`). The
 * store looks for an event stored since `since` that matches and was not delivered to this run yet: when
 * there is one, it is delivered now (the row is written 'resumed' with it, atomically); otherwise the
 * row is written as given ('waiting') and the wait is registered, so a later send finds the run.
 */
export interface WaitRequest {
  runId: string;
  epoch: number;
  /** The waiting journal row (status 'waiting', meta.wait set); its path is the wait's. */
  entry: JournalEntry;
  names: string[];
  /** null: any event of these names (events sent with or without a key). */
  key: string | null;
  since: number;
  now: number;
}

export type WaitResult = { fenced: true } | { fenced: false; event: StoredEvent | null };

/**
 * A batch of event pruning (retention): up to `limit` stored events are deleted with their delivery
 * records, the ones past their `expiresAt` (before `now`) and the ones sent to one run that this run
 * took before `consumedBefore` (a run takes an event once, so nothing can take them again). Deleting a
 * token's completion (`token:<hash>`) deletes the token's record (`token-record:<hash>`) with it, so a
 * token never works twice.
 */
export interface EventPruneRequest {
  now: number;
  consumedBefore: number;
  limit: number;
}

/**
 * A parent run waiting for a child (under its lease: applied only while its epoch equals `epoch`). The
 * store reads the child in the same transaction: when it is settled (success, failed, canceled) or gone,
 * nothing is written and the child is returned; otherwise the waiting row is written as given, and the
 * child's outcome will mark it 'resumed' and wake the parent (see NewRun.parent).
 */
export interface ChildWaitRequest {
  runId: string;
  epoch: number;
  /** The parent's waiting row (status 'waiting'); the child's NewRun.parent.path is its path. */
  entry: JournalEntry;
  childRunId: string;
}

export type ChildWaitResult =
  | { fenced: true }
  /** `waiting`: the row was written and the parent waits; otherwise `child` is settled, or null when gone. */
  | { fenced: false; waiting: boolean; child: RunRecord | null };
