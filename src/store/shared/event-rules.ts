import { isTerminal } from '../../domain/run-status.js';
import type { EventPruneRequest, JournalEntry, NewEvent, RunRecord, RunStatus, SendEventRequest, StoredEvent, WaitRequest } from '../types.js';
import { checkInt, checkMs, checkNewRun, checkText } from './validate.js';

export { deliveredMeta } from '../../domain/journal-meta.js';

/**
 * The rules of event delivery, written once for the three stores (the SQL stores apply them inside the
 * transaction that holds the waiting run's row).
 */

/** Checks a send before anything is written. */
export function checkSendEvent(req: SendEventRequest): void {
  const e = req.event;
  checkText(e.id, 'event id');
  checkText(e.name, 'event name');
  checkText(e.key, 'event key');
  checkText(e.runId, 'event runId');
  checkMs(e.now, 'now');
  if (e.expiresAt !== undefined) checkMs(e.expiresAt, 'expiresAt');
  for (const r of req.startRuns ?? []) checkNewRun(r);
}

export function checkWait(req: WaitRequest): void {
  checkText(req.runId, 'runId');
  checkText(req.entry.path, 'path');
  checkText(req.key, 'wait key');
  for (const n of req.names) checkText(n, 'event name');
  checkMs(req.since, 'since');
  checkMs(req.now, 'now');
}

/**
 * What a send does to a run found waiting: nothing when the run is gone or settled, or its row is no
 * longer a wait (timed out, rewound: the wait registration is stale and is dropped); otherwise deliver.
 */
export function deliverable(run: Pick<RunRecord, 'status'> | null | undefined, row: Pick<JournalEntry, 'status'> | null | undefined): boolean {
  return !!run && !isTerminal(run.status) && !!row && row.status === 'waiting';
}

/**
 * A delivered run goes on: running or waiting runs become pending with a new epoch (a process about to
 * park it is fenced, and a worker claims it); a pending run already will be claimed; a paused or
 * suspended run keeps its status and sees the event when it is continued.
 */
export function wakesUp(status: RunStatus): boolean {
  return status === 'running' || status === 'waiting';
}

/** Whether a stored event matches a wait (the memory store's form of the SQL stores' queries). */
export function eventMatches(e: StoredEvent, req: Pick<WaitRequest, 'runId' | 'names' | 'key' | 'since'>): boolean {
  if (!req.names.includes(e.name) || e.createdAt < req.since) return false;
  if (e.runId !== null) return e.runId === req.runId;
  return req.key === null || e.key === req.key;
}

/** How long a stored event is kept when its sender gives no `expiresAt` (one day). */
export const DEFAULT_EVENT_KEEP_MS = 86_400_000;

/** When retention may delete an event's record (see NewEvent.expiresAt). */
export function eventExpiry(e: NewEvent): number {
  return Math.round(e.expiresAt ?? e.now + DEFAULT_EVENT_KEEP_MS);
}

export function checkEventPrune(req: EventPruneRequest): void {
  checkMs(req.now, 'now');
  checkMs(req.consumedBefore, 'consumedBefore');
  checkInt(req.limit, 'limit', 1, 10_000);
}

/**
 * The token record that goes with a token's completion event (see engine/tokens.ts): deleting the
 * completion without its record would let the token work a second time.
 */
export function tokenRecordOf(e: Pick<StoredEvent, 'id' | 'name'>): string | null {
  return e.name === TOKEN_COMPLETION && e.id.startsWith('token:') ? `token-record:${e.id.slice('token:'.length)}` : null;
}

/** The name of a token's completion event (reserved: only the token route sends it). */
export const TOKEN_COMPLETION = 'weft.token';
