import type pg from 'pg';
import { StoreError } from '../../errors.js';
import type { ClaimedRun, HoldRequest, JournalEntry, ResumeRequest, RetryRequest, ReviseRequest, RunRecord } from '../types.js';
import { checkResumable, checkRetryable, checkRevisable, checkSuspendedRow, resumedMeta } from '../shared/resume-rules.js';
import { query } from './connection.js';
import { loadJournal } from './journal-queries.js';
import { leaseLength } from './run-queries.js';
import { pgRunValues } from './run-inserts.js';
import type { CoreStatements } from './core-statements.js';

/**
 * The commands that change a run's course on PostgreSQL (resume, retry, revise inside the transaction
 * the store opened, with the run's row locked first; cancel as one statement). The callers check the
 * arguments.
 */

export async function resumeIn(c: pg.PoolClient, st: CoreStatements, req: ResumeRequest, paths: string[]): Promise<RunRecord> {
  checkResumable(req.runId, (await query<RunRecord>(c, st.runSql.byIdForUpdate, [req.runId])).rows[0]);
  // Rows in one order (the run row's lock already keeps two resumes of this run apart).
  for (const p of [...paths].sort()) {
    const row = (await query<JournalEntry>(c, st.journalSql.rowForUpdate, [req.runId, p])).rows[0];
    checkSuspendedRow(req.runId, p, row);
    await query(c, st.journalSql.setResumed, [req.runId, p, resumedMeta(row.meta, req.resumeData)]);
  }
  const res = await query<RunRecord>(c, st.runSql.resume, [
    req.runId,
    req.owner ? 'running' : 'pending',
    req.owner,
    leaseLength(req.owner, req.leaseExpiresAt, req.now),
    req.requestContext,
    req.now,
  ]);
  const run = res.rows[0];
  if (!run) throw new StoreError(`resumeRun: run ${req.runId} changed while locked`);
  return run;
}

export async function retryIn(c: pg.PoolClient, st: CoreStatements, req: RetryRequest): Promise<RunRecord> {
  const run = (await query<RunRecord>(c, st.runSql.byIdForUpdate, [req.runId])).rows[0];
  checkRetryable(req.runId, run);
  await query(c, st.runSql.deleteFailed, [req.runId]);
  const status = req.owner ? 'running' : 'pending';
  const res = await query<RunRecord>(c, st.runSql.retry, [req.runId, status, req.owner, leaseLength(req.owner, req.leaseExpiresAt, req.now), req.now]);
  const retried = res.rows[0];
  if (!retried) throw new StoreError(`retryRun: run ${req.runId} changed inside its own transaction`);
  return retried;
}

export async function reviseIn(c: pg.PoolClient, st: CoreStatements, req: ReviseRequest): Promise<ClaimedRun> {
  const run = (await query<RunRecord>(c, st.runSql.byIdForUpdate, [req.runId])).rows[0];
  // A run created here starts its course now: no status to check.
  if (!run && req.create) await query(c, st.runSql.insert, pgRunValues(req.create));
  else checkRevisable(req, run);
  if (req.journal) {
    await query(c, st.runSql.keepHistory, [req.runId, req.journal.reason, req.now]);
    await query(c, st.runSql.clearJournal, [req.runId]);
    const rows = req.journal.rows;
    if (rows.length) {
      const col = <K extends keyof JournalEntry>(k: K) => rows.map((e) => e[k] ?? null);
      await query(c, st.runSql.insertJournal, [
        col('runId'), col('path'), col('kind'), col('status'), col('attempt'), col('input'), col('output'),
        col('error'), col('meta'), col('startedAt'), col('endedAt'),
      ]);
    }
  }
  const p = req.patch;
  const set = (k: keyof ReviseRequest['patch']) => [k in p, p[k] ?? null];
  const status = req.owner ? 'running' : 'pending';
  const res = await query<RunRecord>(c, st.runSql.revise, [
    req.runId, status, req.owner, leaseLength(req.owner, req.leaseExpiresAt, req.now),
    ...set('input'), ...set('state'), ...set('requestContext'), ...set('options'), req.now,
  ]);
  const revised = res.rows[0];
  if (!revised) throw new StoreError(`reviseRun: run ${req.runId} changed inside its own transaction`);
  const journal = await loadJournal(c, st.journalSql, req.runId);
  return { run: revised, journal };
}

/** Cancels an unfinished run (held by `hold`'s owner when given); a finished or unknown run is returned as it is. */
export async function cancelOn(pool: pg.Pool, st: CoreStatements, runId: string, now: number, hold?: HoldRequest): Promise<RunRecord | null> {
  const owner = hold?.owner ?? null;
  const params = [runId, now, owner, leaseLength(owner, hold?.leaseExpiresAt, now)];
  const canceled = (await query<RunRecord>(pool, st.runSql.cancel, params)).rows[0];
  if (canceled) return canceled;
  return (await query<RunRecord>(pool, st.runSql.byId, [runId])).rows[0] ?? null;
}
