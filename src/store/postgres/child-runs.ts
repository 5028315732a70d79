import type pg from 'pg';
import { childSettled } from '../shared/child-rules.js';
import type { ChildWaitRequest, ChildWaitResult, RunRecord } from '../types.js';
import { query } from './connection.js';
import { RUN_COLUMNS } from './run-queries.js';

/**
 * Store.registerChildWait inside a transaction. The parent's row is locked first (the fence, and the
 * lock the child's runs_child_settled trigger takes before it looks for the waiting row, migration
 * 0016), then the child is read: a child that settled before this lock was granted is seen settled
 * here; one that settles after it finds the waiting row this transaction writes.
 */
export async function registerChildWait(c: pg.PoolClient, schema: string, req: ChildWaitRequest): Promise<ChildWaitResult> {
  const runs = `"${schema}".runs`;
  const parent = (await query<{ epoch: number }>(c, `SELECT lease_epoch AS epoch FROM ${runs} WHERE id = $1 FOR NO KEY UPDATE`, [req.runId])).rows[0];
  if (!parent || Number(parent.epoch) !== req.epoch) return { fenced: true };
  const child = (await query<RunRecord>(c, `SELECT ${RUN_COLUMNS} FROM ${runs} WHERE id = $1`, [req.childRunId])).rows[0] ?? null;
  if (!child || childSettled(child.status)) return { fenced: false, waiting: false, child };
  const e = req.entry;
  await query(
    c,
    `INSERT INTO "${schema}".journal (run_id, path, kind, status, attempt, input, output, error, meta, started_at, ended_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (run_id, path) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, attempt = EXCLUDED.attempt,
       input = EXCLUDED.input, output = EXCLUDED.output, error = EXCLUDED.error, meta = EXCLUDED.meta,
       started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at`,
    [req.runId, e.path, e.kind, e.status, e.attempt, e.input, e.output, e.error, e.meta, Math.round(e.startedAt), e.endedAt === null ? null : Math.round(e.endedAt)],
  );
  return { fenced: false, waiting: true, child };
}
