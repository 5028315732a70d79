import { ResumeConflictError, RunNotFoundError, RunNotSuspendedError } from '../../errors.js';
import type { JournalEntry, RunRecord } from '../types.js';

/**
 * The checks resumeRun makes, in the order the memory store makes them, for the SQL stores (which run
 * them inside the transaction that holds the run's row).
 */
export function checkResumable(runId: string, run: RunRecord | undefined | null): asserts run is RunRecord {
  if (!run) throw new RunNotFoundError(runId);
  if (run.status === 'suspended') return;
  // pending/running right after a resume means another resume won the race.
  if (run.status === 'pending' || run.status === 'running') throw new ResumeConflictError(runId);
  throw new RunNotSuspendedError(runId, run.status);
}

export function checkSuspendedRow(
  runId: string,
  path: string,
  row: JournalEntry | undefined | null,
): asserts row is JournalEntry {
  if (!row || row.status !== 'suspended') throw new RunNotSuspendedError(runId, `step ${path} not suspended`);
}

/** The row's meta with resumePayload set (or removed when there is no resume data), other keys kept. */
export function resumedMeta(meta: string | null, resumeData: string | null): string {
  const parsed = meta ? (JSON.parse(meta) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
  out.resumePayload = resumeData === null ? undefined : JSON.parse(resumeData);
  return JSON.stringify(out);
}
