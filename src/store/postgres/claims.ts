import type pg from 'pg';
import type { ClaimOptions, ClaimedRun, RunRecord } from '../types.js';
import { isStorableText } from '../shared/validate.js';
import { query, transaction } from './connection.js';
import { claimLimited } from './flow-control.js';
import { claimThrottled } from './flow-admission.js';
import { loadJournal, loadJournals } from './journal-queries.js';
import type { CoreStatements } from './core-statements.js';

/**
 * Claims and leases on PostgreSQL: a run claimed by id, runnable runs claimed in claim order (free
 * workflows, then those under a concurrency limit, then throttled ones), runs held for their callbacks,
 * and lease renewal. The callers (store-core.ts) check the arguments first.
 */

/**
 * Planner settings for the claim statement only (SET LOCAL ends with its transaction). JIT is off
 * because disabled sorts add a huge cost that would trip jit_above_cost: compiling took 330 ms.
 */
const CLAIM_PLANNER = 'SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off; SET LOCAL jit = off';

export async function claimOneRun(pool: pg.Pool, st: CoreStatements, runId: string, opts: Omit<ClaimOptions, 'limit' | 'workflowIds'>): Promise<ClaimedRun | null> {
  const res = await query<RunRecord>(pool, st.runSql.claimOne, [opts.now, opts.owner, Math.round(opts.leaseMs), runId]);
  const run = res.rows[0];
  if (!run) return null;
  // Loaded after the claim committed: any write by the previous owner either landed before the
  // epoch bump or is now fenced, so this journal is complete.
  const journal = await loadJournal(pool, st.journalSql, runId);
  return { run, journal };
}

export async function claimRunnable(pool: pg.Pool, st: CoreStatements, opts: ClaimOptions): Promise<ClaimedRun[]> {
  // A workflow id the store could not hold has no runs; sent along, it would fail every claim.
  const workflowIds = opts.workflowIds.filter(isStorableText);
  if (!(opts.limit >= 1) || workflowIds.length === 0) return [];
  const limits = opts.limits ?? {};
  const allT = opts.throttles ?? {};
  // Throttled workflows (with their concurrency limit, if any) are claimed by claimThrottled.
  const throttled = workflowIds.filter((id) => allT[id] !== undefined);
  const limited = workflowIds.filter((id) => limits[id] !== undefined && allT[id] === undefined);
  const free = limited.length || throttled.length ? workflowIds.filter((id) => limits[id] === undefined && allT[id] === undefined) : workflowIds;
  const rows: RunRecord[] = [];
  if (free.length) {
    const res = await transaction(pool, 'claimRuns', async (c) => {
      // Pending runs must be read in claim order from runs_pending_claim, never gathered and
      // sorted: right after a bulk load the table has no statistics yet, the planner guesses a
      // handful of pending rows and sorts the whole backlog on every claim (100 ms at 100k runs,
      // draining at a seventh of the speed). Only this transaction plans without sorts.
      await c.query(CLAIM_PLANNER);
      // Unnamed, so it is planned for the table as it is now, not with a plan cached while the
      // table was small (the hazard described in journal-queries.ts).
      return query<RunRecord>(c, st.runSql.claimMany, [opts.now, opts.owner, Math.round(opts.leaseMs), free, Math.floor(opts.limit)]);
    });
    rows.push(...res.rows);
  }
  const left = Math.floor(opts.limit) - rows.length;
  if (limited.length && left > 0) {
    const only = Object.fromEntries(limited.map((id) => [id, limits[id]!]));
    rows.push(
      ...(await transaction(pool, 'claimRuns', (c) =>
        claimLimited(c, st.flowSql, st.schema, { owner: opts.owner, now: opts.now, leaseMs: opts.leaseMs, limit: left, limits: only }),
      )),
    );
  }
  const rest = Math.floor(opts.limit) - rows.length;
  if (throttled.length && rest > 0) {
    const throttles = Object.fromEntries(throttled.map((id) => [id, allT[id]!]));
    const only = Object.fromEntries(throttled.filter((id) => limits[id] !== undefined).map((id) => [id, limits[id]!]));
    rows.push(
      ...(await transaction(pool, 'claimRuns', (c) =>
        claimThrottled(c, st.admitSql, st.schema, { owner: opts.owner, now: opts.now, leaseMs: opts.leaseMs, limit: rest, throttles, limits: only }),
      )),
    );
  }
  // RETURNING has no defined order.
  const runs = rows.sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt || (a.runId < b.runId ? -1 : 1));
  const journals = await loadJournals(pool, st.journalSql, runs.map((r) => r.runId));
  return runs.map((run) => ({ run, journal: journals.get(run.runId) ?? [] }));
}

export async function claimUnreleasedRuns(pool: pg.Pool, st: CoreStatements, opts: ClaimOptions & { runId?: string }): Promise<ClaimedRun[]> {
  const workflowIds = opts.workflowIds.filter(isStorableText);
  if (!(opts.limit >= 1) || workflowIds.length === 0) return [];
  if (opts.runId !== undefined && !isStorableText(opts.runId)) return [];
  const params = [opts.now, opts.owner, Math.round(opts.leaseMs), workflowIds, Math.floor(opts.limit), opts.runId ?? null];
  const runs = (await query<RunRecord>(pool, st.runSql.claimUnreleased, params)).rows;
  if (runs.length === 0) return [];
  const journals = await loadJournals(pool, st.journalSql, runs.map((r) => r.runId));
  return runs.map((run) => ({ run, journal: journals.get(run.runId) ?? [] }));
}

export async function renewRunLeases(
  pool: pg.Pool,
  st: CoreStatements,
  owner: string,
  runIds: string[],
  leaseMs: number,
): Promise<{ lost: string[]; skipped?: string[] }> {
  const ids = runIds.filter(isStorableText);
  const res = await query<{ id: string }>(pool, st.runSql.renew, [Math.round(leaseMs), ids, owner]);
  const kept = new Set(res.rows.map((r) => r.id));
  const missing = runIds.filter((id) => !kept.has(id));
  if (missing.length === 0) return { lost: [] };
  // Not renewed: either no longer ours, or locked by another transaction right now (still ours,
  // but its lease was not extended: the worker must not count on it).
  const owned = await query<{ id: string }>(pool, st.runSql.ownedOf, [missing.filter(isStorableText), owner]);
  const still = new Set(owned.rows.map((r) => r.id));
  const skipped = missing.filter((id) => still.has(id));
  const lost = missing.filter((id) => !still.has(id));
  return skipped.length ? { lost, skipped } : { lost };
}
