import type pg from 'pg';
import type { ListRunsFilter, RunRecord } from '../types.js';
import { isCountable, normalisePage } from '../shared/run-rules.js';
import { query } from './connection.js';

/** Columns aliased to RunRecord's keys (BIGINTs parsed to numbers by pgTypes), so rows need no mapping. */
export const RUN_COLUMNS = `id AS "runId", workflow_id AS "workflowId", status, resource_id AS "resourceId", input,
  state, result, error, request_context AS "requestContext", tracing, status_reason AS "statusReason", owner,
  lease_epoch AS "leaseEpoch", lease_expires_at AS "leaseExpiresAt", wake_at AS "wakeAt", priority,
  concurrency_key AS "concurrencyKey", options, fingerprint, parent_run_id AS "parentRunId", created_at AS "createdAt",
  updated_at AS "updatedAt"`;

const prefixed = (alias: string): string => RUN_COLUMNS.replace(/(^|,\s*)(\w+)/g, `$1${alias}.$2`);
export const prefixedRunColumns = prefixed;

/**
 * SQL for the runs table of one schema, built once per store. Ids compare with COLLATE "C" so ordering
 * ties break by code point as in the memory store, whatever the database's collation.
 */
export function runSql(schema: string) {
  const runs = `"${schema}".runs`;
  // Leases are granted and judged by the database's clock (migration 0006): $3 is the lease's length.
  // Wake times stay on the caller's clock ($1), the clock the engine computed them with.
  const dbNow = dbNowSql(schema);
  const claimSet = `status = 'running', owner = $2, lease_epoch = r.lease_epoch + 1, lease_expires_at = ${dbNow} + $3,
    wake_at = NULL, updated_at = $1`;
  // shared/run-rules.ts `isUnreleased`; the first two terms are runs_unreleased's predicate (0008).
  const unreleased = `owner IS NOT NULL AND status IN ('success', 'failed', 'canceled', 'suspended')
    AND COALESCE(lease_expires_at, 0) <= ${dbNow}`;
  // Leases are held by running runs, and by settled ones kept for their lifecycle callbacks.
  const held = `status IN ('running', 'success', 'failed', 'canceled', 'suspended')`;
  const claimable = `(status = 'pending'
    OR (status = 'running' AND (owner IS NULL OR COALESCE(lease_expires_at, 0) <= ${dbNow}))
    OR (status = 'waiting' AND wake_at IS NOT NULL AND wake_at <= $1))`;
  return {
    insert: `INSERT INTO ${runs} (id, workflow_id, status, resource_id, input, state, request_context, tracing, owner,
        lease_epoch, lease_expires_at, priority, concurrency_key, created_at, options, fingerprint, labels, rerun_of, rerun_step,
        parent_run_id, parent_path, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, ${dbNow} + $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $13)
      ON CONFLICT (id) DO NOTHING RETURNING ${RUN_COLUMNS}`,
    // One run (a start while runs are started one at a time): scalar parameters, no unnest of 20
    // one-element arrays. Named, like insertMany; returns what insertMany returns.
    insertOne: `INSERT INTO ${runs} (id, workflow_id, status, resource_id, input, state, request_context, tracing, owner,
        lease_epoch, lease_expires_at, priority, concurrency_key, created_at, options, fingerprint, labels, rerun_of, rerun_step,
        parent_run_id, parent_path, updated_at)
      VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, 1, ${dbNow} + $10::bigint,
        $11::int, $12::text, $13::bigint, $14::text, $15::text, $16::text, $17::text, $18::text, $19::text, $20::text, $13::bigint)
      ON CONFLICT (id) DO NOTHING RETURNING id, lease_expires_at AS "leaseExpiresAt"`,
    insertMany: `INSERT INTO ${runs} (id, workflow_id, status, resource_id, input, state, request_context, tracing, owner,
        lease_epoch, lease_expires_at, priority, concurrency_key, created_at, options, fingerprint, labels, rerun_of, rerun_step,
        parent_run_id, parent_path, updated_at)
      SELECT id, workflow_id, status, resource_id, input, state, request_context, tracing, owner, 1, ${dbNow} + lease_ms,
        priority, concurrency_key, created_at, options, fingerprint, labels, rerun_of, rerun_step, parent_run_id, parent_path, created_at
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
        $9::text[], $10::bigint[], $11::int[], $12::text[], $13::bigint[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[],
        $19::text[], $20::text[])
        AS t(id, workflow_id, status, resource_id, input, state, request_context, tracing, owner, lease_ms,
          priority, concurrency_key, created_at, options, fingerprint, labels, rerun_of, rerun_step, parent_run_id, parent_path)
      ON CONFLICT (id) DO NOTHING RETURNING id, lease_expires_at AS "leaseExpiresAt"`,
    scan: `SELECT id AS "runId", workflow_id AS "workflowId", status, fingerprint FROM ${runs}
      WHERE id > $1 AND status = ANY($2::text[]) AND ($4::text[] IS NULL OR workflow_id = ANY($4::text[]))
      ORDER BY id LIMIT $3`,
    byIds: `SELECT ${RUN_COLUMNS} FROM ${runs} WHERE id = ANY($1::text[])`,
    byId: `SELECT ${RUN_COLUMNS} FROM ${runs} WHERE id = $1`,
    byIdForUpdate: `SELECT ${RUN_COLUMNS} FROM ${runs} WHERE id = $1 FOR UPDATE`,
    // SKIP LOCKED: concurrent claimers each take different runs instead of queueing on the same rows.
    // Each class of claimable run is read in claim order with its own LIMIT (pending ones from the
    // partial index runs_pending_claim) and locked with SKIP LOCKED; only the best $5 are claimed, so
    // a large backlog is never sorted. Candidates not taken are unlocked when the statement commits.
    // The workflow filter compares under "C" so runs_workflow_created (database collation) can never
    // drive a claim: planned without statistics, x read every finished run of the workflow through it.
    // The claim runs with sorts disabled (postgres-store.ts) so p can only be an ordered index walk.
    claimMany: `WITH p AS (
        SELECT id, priority, created_at FROM ${runs}
        WHERE status = 'pending' AND workflow_id COLLATE "C" = ANY($4::text[])
        ORDER BY priority DESC, created_at ASC, id COLLATE "C" ASC LIMIT $5 FOR UPDATE SKIP LOCKED
      ), x AS (
        SELECT id, priority, created_at FROM ${runs}
        WHERE status = 'running' AND (owner IS NULL OR COALESCE(lease_expires_at, 0) <= ${dbNow})
          AND workflow_id COLLATE "C" = ANY($4::text[])
        ORDER BY priority DESC, created_at ASC, id COLLATE "C" ASC LIMIT $5 FOR UPDATE SKIP LOCKED
      ), w AS (
        SELECT id, priority, created_at FROM ${runs}
        WHERE status = 'waiting' AND wake_at <= $1 AND workflow_id COLLATE "C" = ANY($4::text[])
        ORDER BY priority DESC, created_at ASC, id COLLATE "C" ASC LIMIT $5 FOR UPDATE SKIP LOCKED
      ), c AS (
        SELECT id FROM (SELECT * FROM p UNION ALL SELECT * FROM x UNION ALL SELECT * FROM w) u
        ORDER BY priority DESC, created_at ASC, id COLLATE "C" ASC LIMIT $5
      )
      UPDATE ${runs} r SET ${claimSet} FROM c WHERE r.id = c.id RETURNING ${prefixed('r')}`,
    claimOne: `UPDATE ${runs} r SET ${claimSet} WHERE r.id = $4 AND ${claimable} RETURNING ${prefixed('r')}`,
    // The status stays: the outcome is final, only the work after it (lifecycle callbacks) is taken over.
    claimUnreleased: `WITH c AS (
        SELECT id FROM ${runs} WHERE ${unreleased} AND workflow_id = ANY($4::text[]) AND ($6::text IS NULL OR id = $6)
        ORDER BY lease_expires_at LIMIT $5 FOR UPDATE SKIP LOCKED
      )
      UPDATE ${runs} r SET owner = $2, lease_epoch = r.lease_epoch + 1, lease_expires_at = ${dbNow} + $3, updated_at = $1
      FROM c WHERE r.id = c.id RETURNING ${prefixed('r')}`,
    // Renewal skips rows another transaction holds (a write batch of this very worker, say): waiting
    // on them while holding locks on others deadlocked against batches that lock in another order.
    // Skipped rows are checked without a lock (ownedOf) and renewed next round.
    renew: `UPDATE ${runs} r SET lease_expires_at = ${dbNow} + $1
      FROM (SELECT id FROM ${runs} WHERE id = ANY($2::text[]) AND owner = $3 AND ${held}
        FOR UPDATE SKIP LOCKED) x
      WHERE r.id = ANY($2::text[]) AND r.id = x.id AND r.owner = $3 AND r.${held} RETURNING r.id`,
    ownedOf: `SELECT id FROM ${runs} WHERE id = ANY($1::text[]) AND owner = $2 AND ${held}`,
    owners: `SELECT DISTINCT owner FROM ${runs}
      WHERE status = 'running' AND lease_expires_at > ${dbNow} AND owner IS NOT NULL ORDER BY owner`,
    expire: `UPDATE ${runs} SET lease_expires_at = 0 WHERE owner = $1 AND status = 'running'`,
    nextWake: `SELECT MIN(wake_at) AS "wakeAt" FROM ${runs}
      WHERE status = 'waiting' AND wake_at IS NOT NULL AND workflow_id = ANY($1::text[])`,
    // $3/$4: the owner and lease length that keep the canceled run held for its lifecycle callbacks.
    cancel: `UPDATE ${runs} SET status = 'canceled', owner = $3, lease_expires_at = ${dbNow} + $4, wake_at = NULL,
        lease_epoch = lease_epoch + 1, updated_at = $2
      WHERE id = $1 AND status NOT IN ('success', 'failed', 'canceled') RETURNING ${RUN_COLUMNS}`,
    retry: `UPDATE ${runs} SET status = $2, owner = $3, lease_expires_at = ${dbNow} + $4, lease_epoch = lease_epoch + 1,
        error = NULL, result = NULL, updated_at = $5
      WHERE id = $1 AND status = 'failed' RETURNING ${RUN_COLUMNS}`,
    deleteFailed: `DELETE FROM "${schema}".journal WHERE run_id = $1 AND status = 'failed'`,
    resume: `UPDATE ${runs} SET status = $2, owner = $3, lease_expires_at = ${dbNow} + $4, lease_epoch = lease_epoch + 1,
        request_context = COALESCE($5, request_context), updated_at = $6
      WHERE id = $1 AND status = 'suspended' RETURNING ${RUN_COLUMNS}`,
    remove: `WITH j AS (DELETE FROM "${schema}".journal WHERE run_id = $1),
        h AS (DELETE FROM "${schema}".journal_history WHERE run_id = $1),
        b AS (DELETE FROM "${schema}".blobs WHERE run_id = $1),
        w AS (DELETE FROM "${schema}".event_waits WHERE run_id = $1),
        s AS (DELETE FROM "${schema}".run_stream WHERE run_id = $1)
      DELETE FROM ${runs} WHERE id = $1 RETURNING id`,
    // Each optional field is a (set?, value) pair.
    revise: `UPDATE ${runs} SET status = $2, owner = $3, lease_expires_at = ${dbNow} + $4, lease_epoch = lease_epoch + 1,
        result = NULL, error = NULL, wake_at = NULL, status_reason = NULL,
        input = CASE WHEN $5 THEN $6 ELSE input END,
        state = CASE WHEN $7 THEN $8 ELSE state END,
        request_context = CASE WHEN $9 THEN $10 ELSE request_context END,
        options = CASE WHEN $11 THEN $12 ELSE options END,
        updated_at = $13
      WHERE id = $1 RETURNING ${RUN_COLUMNS}`,
    keepHistory: `INSERT INTO "${schema}".journal_history (run_id, generation, reason, archived_at, path, kind, status,
        attempt, input, output, error, meta, started_at, ended_at, seq)
      SELECT run_id, (SELECT COALESCE(MAX(generation), 0) + 1 FROM "${schema}".journal_history WHERE run_id = $1),
        $2, $3, path, kind, status, attempt, input, output, error, meta, started_at, ended_at, seq
      FROM "${schema}".journal WHERE run_id = $1`,
    clearJournal: `DELETE FROM "${schema}".journal WHERE run_id = $1`,
    insertJournal: `INSERT INTO "${schema}".journal (run_id, path, kind, status, attempt, input, output, error, meta,
        started_at, ended_at, pos, first_pos)
      SELECT x.*, x.pos FROM (
        SELECT u.*, nextval('"${schema}".stream_pos') AS pos FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
          $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[])
          AS u(run_id, path, kind, status, attempt, input, output, error, meta, started_at, ended_at)
      ) x`,
    history: `SELECT generation, reason, archived_at AS "archivedAt", run_id AS "runId", path, kind, status, attempt, input,
        output, error, meta, started_at AS "startedAt", ended_at AS "endedAt", seq
      FROM "${schema}".journal_history WHERE run_id = $1 ORDER BY generation, seq`,
    runs,
    runCounts: `"${schema}".run_counts`,
    runLabels: `"${schema}".run_labels`,
  };
}

export type RunSql = ReturnType<typeof runSql>;

/** The database's clock in epoch ms (migration 0006), schema-qualified. */
export function dbNowSql(schema: string): string {
  return `"${schema}".weft_now_ms()`;
}

/**
 * The length of a lease given as an absolute expiry on the caller's clock (NewRun, ResumeRequest): only
 * the difference of two times of one clock is trusted, whatever that clock's offset.
 */
export function leaseLength(owner: string | null, leaseExpiresAt: number | null | undefined, now: number): number | null {
  return owner && leaseExpiresAt != null ? Math.max(0, Math.round(leaseExpiresAt - now)) : null;
}


/**
 * listRuns: the page and the total in one statement, so a listing takes one connection (as two
 * concurrent queries it needed two, and failed under a connection shortage that starts got through) and
 * both come from one snapshot. A page past the end still returns the total (one row with no run).
 */
/** listRuns' conditions on run columns (named bare) and their parameter values ($1, $2, ...). */
export function runConditions(filter: ListRunsFilter): { where: string[]; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  if (filter.workflowId !== undefined) where.push(`workflow_id = ${param(filter.workflowId)}`);
  if (Array.isArray(filter.status)) where.push(`status = ANY(${param(filter.status)}::text[])`);
  else if (filter.status !== undefined) where.push(`status = ${param(filter.status)}`);
  if (filter.resourceId !== undefined) where.push(`resource_id = ${param(filter.resourceId)}`);
  if (filter.fromDate !== undefined) where.push(`created_at >= ${param(filter.fromDate)}`);
  if (filter.toDate !== undefined) where.push(`created_at <= ${param(filter.toDate)}`);
  if (filter.runIdPrefix !== undefined) {
    // A range on the primary key (ids are COLLATE "C", byte order) narrows the scan to the matching ids;
    // starts_with keeps the match exact.
    const p = param(filter.runIdPrefix);
    where.push(`id >= ${p} AND id < ${param(`${filter.runIdPrefix}\u{10FFFF}`)} AND starts_with(id, ${p})`);
  }
  return { where, values };
}

export async function listRuns(
  pool: pg.Pool,
  sql: RunSql,
  filter: ListRunsFilter,
): Promise<{ runs: RunRecord[]; total: number }> {
  const { offset, perPage } = normalisePage(filter);
  const { where, values } = runConditions(filter);
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  // The cursor narrows the page, never the total.
  let pageWhere = where;
  if (filter.before !== undefined) {
    values.push(filter.before.createdAt, filter.before.runId);
    const at = `$${values.length - 1}`;
    pageWhere = [...where, `(created_at < ${at} OR (created_at = ${at} AND id COLLATE "C" < $${values.length}))`];
  }
  const pageClause = pageWhere.length ? `WHERE ${pageWhere.join(' AND ')}` : '';
  const n = values.length;
  // Workflow and status filters are answered from run_counts (kept by triggers, migration 0005);
  // others count the matching rows.
  const countable = isCountable(filter);
  const countSql = countable
    ? `SELECT COALESCE(SUM(n), 0)::bigint AS total FROM ${sql.runCounts} ${clause}`
    : `SELECT COUNT(*)::bigint AS total FROM ${sql.runs} ${clause}`;
  const res = await query<RunRecord & { total: number }>(
    pool,
    `WITH c AS (${countSql})
     SELECT c.total, p.* FROM c LEFT JOIN LATERAL (
       SELECT ${RUN_COLUMNS} FROM ${sql.runs} ${pageClause}
       ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $${n + 1} OFFSET $${n + 2}
     ) p ON TRUE
     ORDER BY p."createdAt" DESC, p."runId" COLLATE "C" DESC`,
    [...values, perPage, offset],
  );
  const total = res.rows[0]?.total ?? 0;
  const runs: RunRecord[] = [];
  for (const { total: _total, ...run } of res.rows) if (run.runId !== null) runs.push(run);
  return { runs, total };
}
