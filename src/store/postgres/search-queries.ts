import type pg from 'pg';
import type { PruneRequest, RunLink, RunLinks, RunRecord } from '../types.js';
import { query } from './connection.js';
import { normalisePage } from '../shared/run-rules.js';
import type { ListRunsFilter } from '../types.js';
import { prefixedRunColumns, runConditions, type RunSql } from './run-queries.js';

/**
 * Search, rerun links and retention pruning (migration 0013). Off the hot path: none of these runs on
 * a claim or a write.
 */

const RUN = prefixedRunColumns('r');
/**
 * A listing filtered by labels: the newest rows of the first label (its primary key, in order) joined
 * to their runs, the other labels checked by primary-key lookups; the page and the total in one
 * statement, as listRuns does. `where` holds listRuns' other conditions on unprefixed run columns.
 */
export async function listLabelled(pool: pg.Pool, sql: RunSql, filter: ListRunsFilter & { labels: string[] }): Promise<{ runs: RunRecord[]; total: number }> {
  const { offset, perPage } = normalisePage(filter);
  const { where, values } = runConditions(filter);
  const labels = filter.labels;
  const vals = [...values];
  const param = (v: unknown): string => {
    vals.push(v);
    return `$${vals.length}`;
  };
  // listRuns' conditions name run columns bare: the workflow is in the label rows (an index-only
  // scan), every other condition is on the run.
  const conds = [`l.label = ${param(labels[0])}`, ...where.filter((w) => w.startsWith('workflow_id')).map((w) => `l.${w}`)];
  const onRuns = where.filter((w) => !w.startsWith('workflow_id')).map((w) => `r.${w}`);
  for (const label of labels.slice(1)) {
    conds.push(`EXISTS (SELECT 1 FROM ${sql.runLabels} x WHERE x.label = ${param(label)} AND x.at = l.at AND x.run_id = l.run_id)`);
  }
  const from = `FROM ${sql.runLabels} l JOIN ${sql.runs} r ON r.id = l.run_id WHERE ${[...conds, ...onRuns].join(' AND ')}`;
  // Without conditions on the run, the label rows alone are counted (no run is read).
  const count = onRuns.length === 0 ? `SELECT COUNT(*)::bigint AS total FROM ${sql.runLabels} l WHERE ${conds.join(' AND ')}` : `SELECT COUNT(*)::bigint AS total ${from}`;
  const n = vals.length;
  const res = await query<RunRecord & { total: number }>(
    pool,
    `WITH c AS (${count})
     SELECT c.total, p.* FROM c LEFT JOIN LATERAL (
       SELECT ${RUN}, l.at AS label_at ${from}
       ORDER BY l.at DESC, l.run_id COLLATE "C" DESC LIMIT $${n + 1} OFFSET $${n + 2}
     ) p ON TRUE
     ORDER BY p.label_at DESC, p."runId" COLLATE "C" DESC`,
    [...vals, perPage, offset],
  );
  const total = Number(res.rows[0]?.total ?? 0);
  const runs: RunRecord[] = [];
  for (const row of res.rows) {
    const { total: _t, label_at: _a, ...run } = row as RunRecord & { total: number; label_at: unknown };
    if (run.runId !== null) runs.push(run);
  }
  return { runs, total };
}

export async function loadLinks(pool: pg.Pool, schema: string, runId: string): Promise<RunLinks> {
  const res = await query<{ own: boolean; runId: string | null; step: string; createdAt: number }>(
    pool,
    `SELECT TRUE AS own, rerun_of AS "runId", rerun_step AS step, created_at AS "createdAt" FROM "${schema}".runs WHERE id = $1
     UNION ALL
     (SELECT FALSE, id, rerun_step, created_at FROM "${schema}".runs WHERE rerun_of = $1 ORDER BY created_at DESC, id COLLATE "C" DESC)`,
    [runId],
  );
  let rerunOf: RunLink | null = null;
  const reruns: RunLink[] = [];
  for (const r of res.rows) {
    if (r.own) {
      if (r.runId) rerunOf = { runId: r.runId, step: r.step, createdAt: Number(r.createdAt) };
    } else reruns.push({ runId: r.runId!, step: r.step, createdAt: Number(r.createdAt) });
  }
  return { rerunOf, reruns };
}

/**
 * One retention batch in one statement: the chosen runs (SKIP LOCKED: a run another transaction is
 * writing is left for the next batch, never waited for) are deleted with their journals, history and
 * event waits.
 */
export async function pruneRuns(pool: pg.Pool, schema: string, req: PruneRequest): Promise<number> {
  const s = `"${schema}"`;
  const res = await query<{ n: number }>(
    pool,
    `WITH c AS (
       SELECT id FROM ${s}.runs WHERE workflow_id = $1 AND created_at < $3 AND status = $2 AND updated_at < $3 AND owner IS NULL
       ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED
     ),
     j AS (DELETE FROM ${s}.journal WHERE run_id IN (SELECT id FROM c)),
     h AS (DELETE FROM ${s}.journal_history WHERE run_id IN (SELECT id FROM c)),
     b AS (DELETE FROM ${s}.blobs WHERE run_id IN (SELECT id FROM c)),
     w AS (DELETE FROM ${s}.event_waits WHERE run_id IN (SELECT id FROM c)),
     st AS (DELETE FROM ${s}.run_stream WHERE run_id IN (SELECT id FROM c)),
     d AS (DELETE FROM ${s}.runs WHERE id IN (SELECT id FROM c) RETURNING 1)
     SELECT COUNT(*)::int AS n FROM d`,
    [req.workflowId, req.status, Math.round(req.before), req.limit],
  );
  return res.rows[0]?.n ?? 0;
}
