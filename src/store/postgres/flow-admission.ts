import type pg from 'pg';
import { admissionLocks, admitAsync, type AdmitOutcome, type AsyncFlowOps, type FlowAdmission, type FlowKeyRow } from '../shared/flow-rules.js';
import type { ClaimOptions, NewRun, RunRecord } from '../types.js';
import { query } from './connection.js';
import { dbNowSql, prefixedRunColumns, RUN_COLUMNS } from './run-queries.js';

type Throttles = NonNullable<ClaimOptions['throttles']>;

/**
 * Flow control on PostgreSQL (migrations/postgres/0012_flow_control.sql). An admission takes one
 * transaction-scoped advisory lock per key it involves (sorted, so two admissions never wait in a
 * cycle), which serialises the admissions of one key across every worker; the decision itself is
 * shared/flow-rules.ts. Times are the database's clock, so windows mean the same to every worker.
 */
export function flowSql(schema: string) {
  const s = `"${schema}"`;
  const dbNow = dbNowSql(schema);
  return {
    now: `SELECT ${dbNow} AS now`,
    lock: `SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`,
    keyGet: `SELECT workflow_id AS "workflowId", kind, key, run_id AS "runId", opened_at AS "openedAt", expires_at AS "expiresAt", size
      FROM ${s}.flow_keys WHERE workflow_id = $1 AND kind = $2 AND key = $3`,
    keyPut: `INSERT INTO ${s}.flow_keys (workflow_id, kind, key, run_id, opened_at, expires_at, size) VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (workflow_id, kind, key) DO UPDATE SET run_id = EXCLUDED.run_id, opened_at = EXCLUDED.opened_at,
        expires_at = EXCLUDED.expires_at, size = EXCLUDED.size`,
    keyDrop: `DELETE FROM ${s}.flow_keys WHERE workflow_id = $1 AND kind = $2 AND key = $3`,
    shape: `UPDATE ${s}.runs SET status = $2, wake_at = $3, status_reason = $4 WHERE id = $1 RETURNING ${RUN_COLUMNS}`,
    // The row lock waits for a claim that holds the run; once it committed the run is no longer waiting.
    merge: `UPDATE ${s}.runs SET input = CASE WHEN $2 = 'replace' THEN $3
          WHEN input IS NULL OR input = '[]' THEN '[' || $3 || ']' ELSE left(input, -1) || ',' || $3 || ']' END,
        wake_at = COALESCE($4, wake_at), updated_at = $5
      WHERE id = $1 AND status = 'waiting' AND owner IS NULL RETURNING ${RUN_COLUMNS}`,
    cancel: `UPDATE ${s}.runs SET status = 'canceled', owner = NULL, lease_expires_at = NULL, wake_at = NULL,
        status_reason = $2, lease_epoch = lease_epoch + 1, updated_at = $3
      WHERE id = $1 AND status NOT IN ('success', 'failed', 'canceled')`,
    starts: `SELECT COUNT(*)::int AS n FROM ${s}.flow_runs WHERE workflow_id = $1 AND key = $2 AND started_at > $3`,
    flowRun: `INSERT INTO ${s}.flow_runs (run_id, workflow_id, key, started_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (run_id) DO UPDATE SET started_at = EXCLUDED.started_at WHERE ${s}.flow_runs.started_at IS NULL`,
    prune: `DELETE FROM ${s}.flow_runs WHERE workflow_id = $1 AND key = $2 AND started_at <= $3`,
    byId: `SELECT ${RUN_COLUMNS} FROM ${s}.runs WHERE id = $1`,
    // Throttled claim: candidates in claim order whose key has room by the counts before this claim
    // (a hint that keeps full keys from filling the LIMIT; the caller recounts in order).
    throttleLock: `SELECT pg_try_advisory_xact_lock(hashtext($1), hashtext($2)) AS ok`,
    // A run without a flow_runs row counts as started (-1): its start left every window and was pruned,
    // or it was not admitted under the throttle; taking it over must not count it again.
    candidates: `SELECT r.id, r.concurrency_key AS ckey, COALESCE(f.key, '') AS fkey,
        CASE WHEN f.run_id IS NULL THEN -1 ELSE f.started_at END AS "startedAt"
      FROM ${s}.runs r LEFT JOIN ${s}.flow_runs f ON f.run_id = r.id
      WHERE r.workflow_id = $1 AND (r.status = 'pending'
          OR (r.status = 'running' AND (r.owner IS NULL OR COALESCE(r.lease_expires_at, 0) <= ${dbNow}))
          OR (r.status = 'waiting' AND r.wake_at IS NOT NULL AND r.wake_at <= $2))
        AND (f.run_id IS NULL OR f.started_at IS NOT NULL OR (SELECT COUNT(*) FROM ${s}.flow_runs w WHERE w.workflow_id = $1
          AND w.key = COALESCE(f.key, '') AND w.started_at > $3) < $4)
      ORDER BY r.priority DESC, r.created_at ASC, r.id COLLATE "C" ASC LIMIT $5 FOR UPDATE OF r SKIP LOCKED`,
    // One round trip each for every key of a claim: its window's starts, and its live leases.
    startsMany: `SELECT key, COUNT(*)::int AS n FROM ${s}.flow_runs WHERE workflow_id = $1 AND key = ANY($2::text[]) AND started_at > $3 GROUP BY key`,
    pruneMany: `DELETE FROM ${s}.flow_runs WHERE workflow_id = $1 AND key = ANY($2::text[]) AND started_at <= $3`,
    liveMany: `SELECT concurrency_key AS key, COUNT(*)::int AS n FROM ${s}.runs WHERE workflow_id = $1
      AND (concurrency_key = ANY($2::text[]) OR ($3 AND concurrency_key IS NULL))
      AND status = 'running' AND owner IS NOT NULL AND lease_expires_at > ${dbNow} GROUP BY concurrency_key`,
    claim: `UPDATE ${s}.runs r SET status = 'running', owner = $2, lease_epoch = r.lease_epoch + 1,
        lease_expires_at = ${dbNow} + $3, wake_at = NULL, updated_at = $4
      WHERE r.id = ANY($1::text[]) RETURNING ${prefixedRunColumns('r')}`,
    started: `INSERT INTO ${s}.flow_runs (run_id, workflow_id, key, started_at)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
      ON CONFLICT (run_id) DO UPDATE SET started_at = EXCLUDED.started_at WHERE ${s}.flow_runs.started_at IS NULL`,
  };
}

export type FlowSql = ReturnType<typeof flowSql>;

/** One admission inside the caller's transaction. `insert` inserts the run (null when its id exists). */
export async function admitPg(
  c: pg.PoolClient,
  sql: FlowSql,
  schema: string,
  req: FlowAdmission,
  insert: (run: NewRun) => Promise<RunRecord | null>,
): Promise<AdmitOutcome> {
  const wf = req.run.workflowId;
  for (const name of admissionLocks(req)) await query(c, sql.lock, [`weft:${schema}:flow:${wf}`, name]);
  const now = Number((await query<{ now: number }>(c, sql.now)).rows[0]!.now);
  const one = async (text: string, values: unknown[]) => (await query<RunRecord>(c, text, values)).rows[0] ?? null;
  const ops: AsyncFlowOps = {
    run: (id) => one(sql.byId, [id]),
    key: async (w, kind, key) => (await query<FlowKeyRow>(c, sql.keyGet, [w, kind, key])).rows[0] ?? null,
    putKey: async (r) => void (await query(c, sql.keyPut, [r.workflowId, r.kind, r.key, r.runId, r.openedAt, r.expiresAt, r.size])),
    dropKey: async (w, kind, key) => void (await query(c, sql.keyDrop, [w, kind, key])),
    insertRun: async (run, shape) => {
      const rec = await insert(run);
      if (!rec) throw new Error(`admitRun: run ${run.runId} appeared inside its own admission`);
      if (shape.status === 'pending') return rec;
      return (await one(sql.shape, [run.runId, shape.status, shape.wakeAt, shape.statusReason]))!;
    },
    mergeInput: (id, mode, item, wakeAt, at) => one(sql.merge, [id, mode, item, wakeAt, at]),
    cancel: async (id, reason, at) => ((await query(c, sql.cancel, [id, reason, at])).rowCount ?? 0) > 0,
    countStarts: async (w, key, since) => (await query<{ n: number }>(c, sql.starts, [w, key, since])).rows[0]!.n,
    addFlowRun: async (id, w, key, at) => void (await query(c, sql.flowRun, [id, w, key, at])),
    pruneStarts: async (w, key, before) => void (await query(c, sql.prune, [w, key, before])),
  };
  return admitAsync(ops, req, now);
}

/**
 * Claims for throttled workflows inside the caller's transaction. One try-lock per workflow serialises
 * its claimers (a workflow another worker is claiming right now is skipped, not waited for); under it
 * the candidates are taken in claim order while their throttle key (first starts within the window)
 * and their concurrency key (live leases), when limited, both have room. First starts are recorded.
 */
export async function claimThrottled(
  c: pg.PoolClient,
  sql: FlowSql,
  schema: string,
  opts: { owner: string; now: number; leaseMs: number; limit: number; throttles: Throttles; limits: Record<string, number> },
): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  for (const [wf, t] of Object.entries(opts.throttles)) {
    const left = opts.limit - out.length;
    if (left <= 0) break;
    const lock = await query<{ ok: boolean }>(c, sql.throttleLock, [`weft:${schema}:throttle`, wf]);
    if (!lock.rows[0]?.ok) continue;
    const now = Number((await query<{ now: number }>(c, sql.now)).rows[0]!.now);
    const since = now - t.periodMs;
    const rows = await query<{ id: string; ckey: string | null; fkey: string; startedAt: number | null }>(c, sql.candidates, [
      wf,
      opts.now,
      since,
      t.limit,
      left * 4,
    ]);
    const firstKeys = [...new Set(rows.rows.filter((r) => r.startedAt === null).map((r) => r.fkey))];
    const used = new Map<string, number>(firstKeys.map((k) => [k, 0]));
    if (firstKeys.length) {
      for (const r of (await query<{ key: string; n: number }>(c, sql.startsMany, [wf, firstKeys, since])).rows) used.set(r.key, r.n);
    }
    const max = opts.limits[wf];
    const cGroup = (k: string | null) => (k === null ? '\u0001' : `k${k}`);
    const slots = new Map<string, number>();
    if (max !== undefined && rows.rows.length) {
      const keys = [...new Set(rows.rows.map((r) => r.ckey).filter((k): k is string => k !== null))];
      const hasNull = rows.rows.some((r) => r.ckey === null);
      for (const r of rows.rows) slots.set(cGroup(r.ckey), max);
      for (const r of (await query<{ key: string | null; n: number }>(c, sql.liveMany, [wf, keys, hasNull])).rows) slots.set(cGroup(r.key), max - r.n);
    }
    const take: { id: string; fkey: string; first: boolean }[] = [];
    for (const r of rows.rows) {
      if (take.length >= left) break;
      const first = r.startedAt === null;
      const n = first ? used.get(r.fkey)! : 0;
      const free = max === undefined ? 1 : slots.get(cGroup(r.ckey))!;
      if ((first && n >= t.limit) || free <= 0) continue;
      if (max !== undefined) slots.set(cGroup(r.ckey), free - 1);
      if (first) used.set(r.fkey, n + 1);
      take.push({ id: r.id, fkey: r.fkey, first });
    }
    if (take.length === 0) continue;
    const claimed = await query<RunRecord>(c, sql.claim, [take.map((x) => x.id), opts.owner, Math.round(opts.leaseMs), opts.now]);
    const firsts = take.filter((x) => x.first);
    // Starts outside every window from now on are forgotten as their keys are used.
    if (firstKeys.length) await query(c, sql.pruneMany, [wf, firstKeys, since]);
    if (firsts.length) {
      await query(c, sql.started, [firsts.map((x) => x.id), firsts.map(() => wf), firsts.map((x) => x.fkey), firsts.map(() => now)]);
    }
    out.push(...claimed.rows);
  }
  return out;
}
