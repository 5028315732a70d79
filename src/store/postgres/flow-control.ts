import type pg from 'pg';
import type { RunRecord } from '../types.js';
import { dbNowSql, prefixedRunColumns } from './run-queries.js';
import { query } from './connection.js';

/**
 * Claims for workflows with a concurrency limit. Per (workflow, key) group: a transaction-scoped
 * advisory lock serialises claimers (pg_try_advisory_xact_lock: a group another worker is claiming
 * right now is skipped, not waited for), then one statement counts the group's live leases and claims at
 * most limit - live runs with FOR UPDATE SKIP LOCKED. The count is taken after the lock, so it sees
 * every claim committed by the previous holder; a run leaves the count when it settles, parks or its
 * lease expires, none of which need the lock.
 */
export function flowControlSql(schema: string) {
  const runs = `"${schema}".runs`;
  // Leases by the database's clock, wake times by the caller's ($1): see run-queries.ts.
  const dbNow = dbNowSql(schema);
  const claimable = `(status = 'pending'
    OR (status = 'running' AND (owner IS NULL OR COALESCE(lease_expires_at, 0) <= ${dbNow}))
    OR (status = 'waiting' AND wake_at IS NOT NULL AND wake_at <= $1))`;
  const sameGroup = `workflow_id = $2 AND concurrency_key IS NOT DISTINCT FROM $3`;
  return {
    // Groups already at their limit are left out (a hint; the claim recounts under the lock), so a
    // backlog of full groups cannot fill the LIMIT and hide a free one.
    groups: `SELECT g.workflow_id AS "workflowId", g.concurrency_key AS "key" FROM ${runs} g
      WHERE g.workflow_id = ANY($2::text[]) AND ${claimable}
      GROUP BY g.workflow_id, g.concurrency_key
      HAVING (SELECT COUNT(*) FROM ${runs} l WHERE l.workflow_id = g.workflow_id
          AND l.concurrency_key IS NOT DISTINCT FROM g.concurrency_key
          AND l.status = 'running' AND l.owner IS NOT NULL AND l.lease_expires_at > ${dbNow}) < ($4::jsonb ->> g.workflow_id)::int
      ORDER BY MAX(g.priority) DESC, MIN(g.created_at) ASC
      LIMIT $3`,
    lock: `SELECT pg_try_advisory_xact_lock(hashtext($1), hashtext($2)) AS ok`,
    claim: `WITH c AS (
        SELECT id FROM ${runs} WHERE ${sameGroup} AND ${claimable}
        ORDER BY priority DESC, created_at ASC, id COLLATE "C" ASC
        LIMIT GREATEST(0, LEAST($6::int, $7::int - (SELECT COUNT(*)::int FROM ${runs}
          WHERE ${sameGroup} AND status = 'running' AND owner IS NOT NULL AND lease_expires_at > ${dbNow})))
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${runs} r SET status = 'running', owner = $4, lease_epoch = r.lease_epoch + 1,
        lease_expires_at = ${dbNow} + $5, wake_at = NULL, updated_at = $1
      FROM c WHERE r.id = c.id RETURNING ${prefixedRunColumns('r')}`,
  };
}

export type FlowControlSql = ReturnType<typeof flowControlSql>;

/** Runs inside the caller's transaction; returns the runs claimed, at most `limit`. */
export async function claimLimited(
  c: pg.PoolClient,
  sql: FlowControlSql,
  schema: string,
  opts: { owner: string; now: number; leaseMs: number; limit: number; limits: Record<string, number> },
): Promise<RunRecord[]> {
  const ids = Object.keys(opts.limits);
  if (ids.length === 0 || opts.limit <= 0) return [];
  const groups = await query<{ workflowId: string; key: string | null }>(c, sql.groups, [opts.now, ids, opts.limit * 4, JSON.stringify(opts.limits)]);
  const out: RunRecord[] = [];
  for (const g of groups.rows) {
    const left = opts.limit - out.length;
    if (left <= 0) break;
    const limit = opts.limits[g.workflowId];
    if (limit === undefined) continue;
    // PostgreSQL text cannot hold NUL: the null key gets its own tag, never equal to a 'k:'-prefixed one.
    const lockKey = g.key === null ? 'null' : `k:${g.key}`;
    const lock = await query<{ ok: boolean }>(c, sql.lock, [`weft:${schema}:${g.workflowId}`, lockKey]);
    if (!lock.rows[0]?.ok) continue;
    const res = await query<RunRecord>(c, sql.claim, [
      opts.now,
      g.workflowId,
      g.key,
      opts.owner,
      opts.leaseMs,
      left,
      limit,
    ]);
    out.push(...res.rows);
  }
  return out;
}
