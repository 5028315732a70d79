import { isTerminal } from '../../domain/run-status.js';
import type { ChildWaitRequest, JournalEntry, RunRecord } from '../types.js';
import { wakesUp } from './event-rules.js';
import { checkText } from './validate.js';

/**
 * The rules of child runs, written once for the three stores. The SQL stores apply `wakeParent` in a
 * trigger on the runs table (migrations sqlite 0013, postgres 0016), so every statement that settles a
 * child wakes its parent in the same transaction; the memory store calls it where a status changes.
 */

export function checkChildWait(req: ChildWaitRequest): void {
  checkText(req.runId, 'runId');
  checkText(req.childRunId, 'childRunId');
  checkText(req.entry.path, 'path');
  if (req.entry.status !== 'waiting') throw new TypeError('registerChildWait: the row must be waiting');
}

/** Whether a child in this status has an outcome its parent takes (suspended and paused children do not). */
export function childSettled(status: RunRecord['status']): boolean {
  return isTerminal(status);
}

/**
 * What a child's outcome does to its parent (given the parent's row and the waiting row at the child's
 * parent path): nothing when the parent is gone or settled, or the row no longer waits; otherwise the
 * row is resumed, and a running or waiting parent becomes pending with a new epoch. Mutates both.
 */
export function wakeParent(parent: RunRecord | undefined, row: JournalEntry | undefined, now: number): JournalEntry | null {
  if (!parent || isTerminal(parent.status) || !row || row.status !== 'waiting') return null;
  if (wakesUp(parent.status)) {
    parent.status = 'pending';
    parent.owner = null;
    parent.leaseExpiresAt = null;
    parent.leaseEpoch += 1;
  }
  parent.wakeAt = null;
  parent.updatedAt = now;
  return { ...row, status: 'resumed' };
}
