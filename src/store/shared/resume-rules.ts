import { ResumeConflictError, RunConflictError, RunNotFoundError, RunNotSuspendedError, StepNotSuspendedError } from '../../errors.js';
import type { JournalEntry, ResumeRequest, ReviseRequest, RunRecord } from '../types.js';

export { resumedMeta } from '../../domain/journal-meta.js';

/**
 * The checks the lifecycle commands make inside the store, written once for all three stores (the SQL
 * stores run them inside the transaction that holds the run's row).
 */
export function checkResumable(runId: string, run: RunRecord | undefined | null): asserts run is RunRecord {
  if (!run) throw new RunNotFoundError(runId);
  if (run.status === 'suspended') return;
  // pending/running right after a resume means another resume won the race.
  if (run.status === 'pending' || run.status === 'running') throw new ResumeConflictError(runId);
  throw new RunNotSuspendedError(runId, run.status);
}

/** The rows a resume marks resumed: `paths` when given (several foreach items), else `path`; each once. */
export function resumedPaths(req: ResumeRequest): string[] {
  return req.paths?.length ? [...new Set(req.paths)] : [req.path];
}

/** The row a resume targets must still be suspended. */
export function checkSuspendedRow(runId: string, path: string, row: JournalEntry | undefined | null): asserts row is JournalEntry {
  if (!row || row.status !== 'suspended') throw new StepNotSuspendedError(runId, path, []);
}

/** Only a failed run can be retried. */
export function checkRetryable(runId: string, run: RunRecord | undefined | null): asserts run is RunRecord {
  if (!run) throw new RunNotFoundError(runId);
  if (run.status !== 'failed') throw new RunConflictError(runId, `only a failed run can be retried; its status is "${run.status}"`);
}

/** A revision applies to a run in one of the statuses it names. */
export function checkRevisable(req: Pick<ReviseRequest, 'runId' | 'from'>, run: RunRecord | undefined | null): asserts run is RunRecord {
  if (!run) throw new RunNotFoundError(req.runId);
  if (!req.from.includes(run.status)) {
    const active = run.status === 'pending' || run.status === 'running' || run.status === 'waiting';
    throw new RunConflictError(req.runId, active ? `the run is still running (status "${run.status}")` : `its status is "${run.status}" (expected ${req.from.join(' or ')})`);
  }
}
