import type { ListRunsFilter, NewRun, PruneRequest, ReviseRequest, RunHead, RunLink, RunLinks, RunPatch, RunRecord, ScanRunsOptions } from '../types.js';
import { isCountable, newRunValues, normalisePage } from '../shared/run-rules.js';
import type { SqliteDb } from './open.js';
import type Database from 'better-sqlite3';

/** Columns aliased to RunRecord's keys, so a row is a RunRecord with no mapping. */
export const RUN_COLUMNS = `id AS runId, workflow_id AS workflowId, status, resource_id AS resourceId, input, state,
  result, error, request_context AS requestContext, tracing, status_reason AS statusReason, owner,
  lease_epoch AS leaseEpoch, lease_expires_at AS leaseExpiresAt, wake_at AS wakeAt, priority,
  concurrency_key AS concurrencyKey, options, fingerprint, parent_run_id AS parentRunId, created_at AS createdAt,
  updated_at AS updatedAt`;

/** RUN_COLUMNS naming the runs table (for joins with tables that share a column name). */
const QUALIFIED_RUN_COLUMNS = RUN_COLUMNS.replace(/(^|,\s*)(\w+)/g, '$1runs.$2');

/** The claimable rule of shared/run-rules.ts `isClaimable`, in SQL. */
const CLAIMABLE = `(status = 'pending'
  OR (status = 'running' AND (owner IS NULL OR COALESCE(lease_expires_at, 0) <= @now))
  OR (status = 'waiting' AND wake_at IS NOT NULL AND wake_at <= @now))`;

const WORKFLOW_IN = `workflow_id IN (SELECT value FROM json_each(@workflowIds))`;

/** shared/run-rules.ts `isUnreleased` in SQL; the first two terms are runs_unreleased's predicate. */
const UNRELEASED = `owner IS NOT NULL AND status IN ('success', 'failed', 'canceled', 'suspended')
  AND COALESCE(lease_expires_at, 0) <= @now`;


const CLAIM_SET = `status = 'running', owner = @owner, lease_epoch = lease_epoch + 1,
  lease_expires_at = @leaseExpiresAt, wake_at = NULL, updated_at = @now`;

type Stmt = Database.Statement;

/** Prepared statements on the runs table. Each is prepared once per connection. */
export class RunQueries {
  private readonly insert: Stmt;
  private readonly byId: Stmt;
  private readonly retryStmt: Stmt;
  private readonly patch: Stmt;
  private readonly claimCandidates: Stmt;
  private readonly claimOne: Stmt;
  private readonly claimIfClaimable: Stmt;
  private readonly unreleasedCandidates: Stmt;
  private readonly claimUnreleasedOne: Stmt;
  private readonly renew: Stmt;
  private readonly owners: Stmt;
  private readonly expire: Stmt;
  private readonly wake: Stmt;
  private readonly cancel: Stmt;
  private readonly resume: Stmt;
  private readonly remove: Stmt;
  private readonly revise: Stmt;
  /** Prepared on first use: only `weft check` scans. */
  private scanStmt: Stmt | undefined;
  /** listRuns statements by filter shape: at most 48 shapes, each prepared on first use. */
  private readonly listStatements = new Map<string, { page: Stmt; count: Stmt }>();
  private readonly rare = new Map<string, Stmt>();

  constructor(private readonly db: SqliteDb) {
    // Positional parameters: binding an array is measurably faster than named binding on the hot path.
    this.insert = db
      .prepare(`INSERT INTO runs (id, workflow_id, status, resource_id, input, state, request_context,
        tracing, owner, lease_epoch, lease_expires_at, priority, concurrency_key, created_at, options, fingerprint, labels,
        rerun_of, rerun_step, parent_run_id, parent_path, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO NOTHING RETURNING rk`)
      .pluck();
    this.byId = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`);
    // Each field is a (set?, value) pair of positional parameters; `release` appears twice.
    this.patch = db.prepare(`UPDATE runs SET
        status = CASE WHEN ? THEN ? ELSE status END,
        state = CASE WHEN ? THEN ? ELSE state END,
        result = CASE WHEN ? THEN ? ELSE result END,
        error = CASE WHEN ? THEN ? ELSE error END,
        wake_at = CASE WHEN ? THEN ? ELSE wake_at END,
        status_reason = CASE WHEN ? THEN ? ELSE status_reason END,
        request_context = CASE WHEN ? THEN ? ELSE request_context END,
        owner = CASE WHEN ? THEN NULL ELSE owner END,
        lease_expires_at = CASE WHEN ? THEN NULL ELSE lease_expires_at END,
        updated_at = ?
      WHERE rk = ? AND lease_epoch = ?`);
    // One branch per claimable status so each can use its (status, ...) index.
    this.claimCandidates = db
      .prepare(
        // Each class of claimable run is read in claim order with its own LIMIT (pending ones from the
        // partial index runs_pending_claim), so a backlog of a million queued runs costs a claim the
        // same as ten: nothing is sorted but the few candidates.
        `SELECT id FROM (
          SELECT * FROM (SELECT id, priority, created_at FROM runs INDEXED BY runs_pending_claim
            WHERE status = 'pending' AND ${WORKFLOW_IN} ORDER BY priority DESC, created_at ASC, id ASC LIMIT @limit)
          UNION ALL
          SELECT * FROM (SELECT id, priority, created_at FROM runs WHERE status = 'running'
            AND (owner IS NULL OR COALESCE(lease_expires_at, 0) <= @now) AND ${WORKFLOW_IN}
            ORDER BY priority DESC, created_at ASC, id ASC LIMIT @limit)
          UNION ALL
          SELECT * FROM (SELECT id, priority, created_at FROM runs WHERE status = 'waiting' AND wake_at <= @now
            AND ${WORKFLOW_IN} ORDER BY priority DESC, created_at ASC, id ASC LIMIT @limit)
        ) ORDER BY priority DESC, created_at ASC, id ASC LIMIT @limit`,
      )
      .pluck();
    this.claimOne = db.prepare(`UPDATE runs SET ${CLAIM_SET} WHERE id = @runId RETURNING ${RUN_COLUMNS}`);
    this.claimIfClaimable = db.prepare(
      `UPDATE runs SET ${CLAIM_SET} WHERE id = @runId AND ${CLAIMABLE} RETURNING ${RUN_COLUMNS}`,
    );
    this.unreleasedCandidates = db
      .prepare(
        `SELECT id FROM runs INDEXED BY runs_unreleased WHERE ${UNRELEASED} AND ${WORKFLOW_IN}
           AND (@runId IS NULL OR id = @runId)
         ORDER BY lease_expires_at LIMIT @limit`,
      )
      .pluck();
    // The status stays: the outcome is final, only the work after it (lifecycle callbacks) is taken over.
    this.claimUnreleasedOne = db.prepare(`UPDATE runs SET owner = @owner, lease_epoch = lease_epoch + 1,
        lease_expires_at = @leaseExpiresAt, updated_at = @now
      WHERE id = @runId AND ${UNRELEASED} RETURNING ${RUN_COLUMNS}`);
    // Running runs, and settled ones their owner holds for their lifecycle callbacks.
    this.renew = db
      .prepare(
        `UPDATE runs SET lease_expires_at = @leaseExpiresAt
         WHERE id IN (SELECT value FROM json_each(@runIds)) AND owner = @owner
           AND status IN ('running', 'success', 'failed', 'canceled', 'suspended')
         RETURNING id`,
      )
      .pluck();
    this.owners = db
      .prepare(
        `SELECT DISTINCT owner FROM runs
         WHERE status = 'running' AND lease_expires_at > ? AND owner IS NOT NULL ORDER BY owner`,
      )
      .pluck();
    this.expire = db.prepare(`UPDATE runs SET lease_expires_at = 0 WHERE owner = ? AND status = 'running'`);
    this.wake = db
      .prepare(`SELECT MIN(wake_at) FROM runs WHERE status = 'waiting' AND wake_at IS NOT NULL AND ${WORKFLOW_IN}`)
      .pluck();
    this.cancel = db.prepare(`UPDATE runs SET status = 'canceled', owner = @owner, lease_expires_at = @leaseExpiresAt,
        wake_at = NULL, lease_epoch = lease_epoch + 1, updated_at = @now
      WHERE id = @runId AND status NOT IN ('success', 'failed', 'canceled') RETURNING ${RUN_COLUMNS}`);
    this.resume = db.prepare(`UPDATE runs SET status = @status, owner = @owner, lease_expires_at = @leaseExpiresAt,
        lease_epoch = lease_epoch + 1, request_context = COALESCE(@requestContext, request_context), updated_at = @now
      WHERE id = @runId AND status = 'suspended' RETURNING ${RUN_COLUMNS}`);
    this.remove = db.prepare(`DELETE FROM runs WHERE id = ?`);
    // Each optional field is a (set?, value) pair, as in the patch statement.
    this.revise = db.prepare(`UPDATE runs SET status = ?, owner = ?, lease_expires_at = ?, lease_epoch = lease_epoch + 1,
        result = NULL, error = NULL, wake_at = NULL, status_reason = NULL,
        input = CASE WHEN ? THEN ? ELSE input END,
        state = CASE WHEN ? THEN ? ELSE state END,
        request_context = CASE WHEN ? THEN ? ELSE request_context END,
        options = CASE WHEN ? THEN ? ELSE options END,
        updated_at = ?
      WHERE id = ? RETURNING ${RUN_COLUMNS}`);
    this.retryStmt = db.prepare(`UPDATE runs SET status = @status, owner = @owner, lease_expires_at = @leaseExpiresAt,
        lease_epoch = lease_epoch + 1, error = NULL, result = NULL, updated_at = @now
      WHERE id = @runId AND status = 'failed' RETURNING ${RUN_COLUMNS}`);
  }

  /** A run's new course (ReviseRequest): claimed by `owner` or pending, its outcome cleared, the patch applied. */
  reviseRun(runId: string, owner: string | null, leaseExpiresAt: number | null, patch: ReviseRequest['patch'], now: number): RunRecord | undefined {
    const set = (k: keyof ReviseRequest['patch']) => [k in patch ? 1 : 0, patch[k] ?? null];
    return this.revise.get(
      owner ? 'running' : 'pending',
      owner,
      owner ? leaseExpiresAt : null,
      ...set('input'),
      ...set('state'),
      ...set('requestContext'),
      ...set('options'),
      now,
      runId,
    ) as RunRecord | undefined;
  }

  /** Inserts a run; returns its rk, or undefined when a run with this id exists. */
  insertRun(run: NewRun): number | undefined {
    const values = newRunValues(run);
    values.push(run.now); // updated_at
    return this.insert.get(values) as number | undefined;
  }

  /**
   * Store.scanRuns: a page of run heads in id order. The unary `+` keeps the planner off the status
   * indexes: through them every page sorted all unfinished runs again (quadratic over a scan); walking
   * the id index from `after` reads each run once and sorts nothing.
   */
  scan(o: ScanRunsOptions): RunHead[] {
    this.scanStmt ??= this.db.prepare(`SELECT id AS runId, workflow_id AS workflowId, status, fingerprint FROM runs
      WHERE id > @after AND +status IN (SELECT value FROM json_each(@statuses))
        AND (@workflowIds IS NULL OR +workflow_id IN (SELECT value FROM json_each(@workflowIds)))
      ORDER BY id LIMIT @limit`);
    return this.scanStmt.all({
      after: o.after ?? '',
      statuses: JSON.stringify(o.statuses),
      workflowIds: o.workflowIds ? JSON.stringify(o.workflowIds) : null,
      limit: o.limit,
    }) as RunHead[];
  }

  get(runId: string): RunRecord | undefined {
    return this.byId.get(runId) as RunRecord | undefined;
  }

  /** Applies a patch to the run at rk if the epoch still matches; returns whether it did. */
  applyPatch(rk: number, epoch: number, patch: RunPatch, now: number): boolean {
    const info = this.patch.run(
      patch.status !== undefined ? 1 : 0,
      patch.status ?? null,
      patch.state !== undefined ? 1 : 0,
      patch.state ?? null,
      patch.result !== undefined ? 1 : 0,
      patch.result ?? null,
      patch.error !== undefined ? 1 : 0,
      patch.error ?? null,
      patch.wakeAt !== undefined ? 1 : 0,
      patch.wakeAt ?? null,
      patch.statusReason !== undefined ? 1 : 0,
      patch.statusReason ?? null,
      patch.requestContext !== undefined ? 1 : 0,
      patch.requestContext ?? null,
      patch.release ? 1 : 0,
      patch.release ? 1 : 0,
      now,
      rk,
      epoch,
    );
    return info.changes > 0;
  }

  claimableIds(workflowIds: string[], now: number, limit: number): string[] {
    return this.claimCandidates.all({ workflowIds: JSON.stringify(workflowIds), now, limit }) as string[];
  }

  /** Claims a run already known to be claimable (inside the same transaction as the candidate query). */
  claim(runId: string, owner: string, leaseExpiresAt: number, now: number): RunRecord | undefined {
    return this.claimOne.get({ runId, owner, leaseExpiresAt, now }) as RunRecord | undefined;
  }

  claimIfReady(runId: string, owner: string, leaseExpiresAt: number, now: number): RunRecord | undefined {
    return this.claimIfClaimable.get({ runId, owner, leaseExpiresAt, now }) as RunRecord | undefined;
  }

  unreleasedIds(workflowIds: string[], now: number, limit: number, runId: string | null): string[] {
    return this.unreleasedCandidates.all({ workflowIds: JSON.stringify(workflowIds), now, limit, runId }) as string[];
  }

  claimUnreleased(runId: string, owner: string, leaseExpiresAt: number, now: number): RunRecord | undefined {
    return this.claimUnreleasedOne.get({ runId, owner, leaseExpiresAt, now }) as RunRecord | undefined;
  }

  renewLeases(owner: string, runIds: string[], leaseExpiresAt: number): Set<string> {
    return new Set(this.renew.all({ owner, runIds: JSON.stringify(runIds), leaseExpiresAt }) as string[]);
  }

  listOwners(now: number): string[] {
    return this.owners.all(now) as string[];
  }

  expireOwner(owner: string): number {
    return this.expire.run(owner).changes;
  }

  nextWakeAt(workflowIds: string[]): number | null {
    return (this.wake.get({ workflowIds: JSON.stringify(workflowIds) }) as number | null | undefined) ?? null;
  }

  /** `owner`/`leaseExpiresAt` keep the canceled run held for its lifecycle callbacks; null releases it. */
  cancelRun(runId: string, now: number, owner: string | null, leaseExpiresAt: number | null): RunRecord | undefined {
    return this.cancel.get({ runId, now, owner, leaseExpiresAt: owner ? leaseExpiresAt : null }) as RunRecord | undefined;
  }

  resumeRun(
    runId: string,
    owner: string | null,
    leaseExpiresAt: number | null,
    requestContext: string | null,
    now: number,
  ): RunRecord | undefined {
    return this.resume.get({
      runId,
      status: owner ? 'running' : 'pending',
      owner,
      leaseExpiresAt: owner ? leaseExpiresAt : null,
      requestContext,
      now,
    }) as RunRecord | undefined;
  }

  deleteRun(runId: string): boolean {
    return this.remove.run(runId).changes > 0;
  }

  listRuns(filter: ListRunsFilter): { runs: RunRecord[]; total: number } {
    const { offset, perPage } = normalisePage(filter);
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (filter.workflowId !== undefined) {
      where.push('workflow_id = @workflowId');
      params.workflowId = filter.workflowId;
    }
    if (Array.isArray(filter.status)) {
      where.push('status IN (SELECT value FROM json_each(@statuses))');
      params.statuses = JSON.stringify(filter.status);
    } else if (filter.status !== undefined) {
      where.push('status = @status');
      params.status = filter.status;
    }
    if (filter.resourceId !== undefined) {
      where.push('resource_id = @resourceId');
      params.resourceId = filter.resourceId;
    }
    if (filter.fromDate !== undefined) {
      where.push('created_at >= @fromDate');
      params.fromDate = filter.fromDate;
    }
    if (filter.toDate !== undefined) {
      where.push('created_at <= @toDate');
      params.toDate = filter.toDate;
    }
    if (filter.runIdPrefix !== undefined) {
      // The range lets the unique index on id narrow the scan to the matching ids (U+10FFFF is the
      // highest character, so every id that starts with the prefix sorts below prefix + U+10FFFF,
      // but for ids with that very character right after the prefix); substr makes the match exact.
      where.push('id >= @prefix AND id < @prefixEnd AND substr(id, 1, @prefixLength) = @prefix');
      params.prefix = filter.runIdPrefix;
      params.prefixEnd = `${filter.runIdPrefix}\u{10FFFF}`;
      params.prefixLength = filter.runIdPrefix.length;
    }
    const labels = filter.labels ?? [];
    if (labels.length > 0) return this.listLabelled(labels, where, params, perPage, offset);
    // The cursor narrows the page, never the total.
    const pageWhere = filter.before !== undefined ? [...where, '(created_at < @beforeAt OR (created_at = @beforeAt AND id < @beforeId))'] : where;
    const shape = pageWhere.join(' AND ');
    let stmts = this.listStatements.get(shape);
    if (!stmts) {
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const pageClause = shape ? `WHERE ${shape}` : '';
      // Workflow and status filters are answered from run_counts (kept by triggers); others count rows.
      stmts = {
        page: this.db.prepare(
          `SELECT ${RUN_COLUMNS} FROM runs ${pageClause} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`,
        ),
        count: isCountable(filter)
          ? this.db.prepare(`SELECT COALESCE(SUM(n), 0) FROM run_counts ${clause}`).pluck()
          : this.db.prepare(`SELECT COUNT(*) FROM runs ${clause}`).pluck(),
      };
      this.listStatements.set(shape, stmts);
    }
    const pageParams = filter.before !== undefined ? { ...params, beforeAt: filter.before.createdAt, beforeId: filter.before.runId } : params;
    const runs = stmts.page.all({ ...pageParams, limit: perPage, offset }) as RunRecord[];
    const total = stmts.count.get(params) as number;
    return { runs, total };
  }

  /**
   * A listing filtered by labels: the newest rows of the first label (its index, in order) joined to
   * their runs, the other labels checked by primary-key lookups. Ordered by creation time, then by
   * insertion order (rk) for runs created in the same millisecond.
   */
  private listLabelled(labels: string[], where: string[], params: Record<string, string | number>, perPage: number, offset: number) {
    // The workflow is in the label rows; every other condition is on the run.
    const onLabels = where.filter((w) => w.startsWith('workflow_id')).map((w) => `l.${w}`);
    const onRuns = where.filter((w) => !w.startsWith('workflow_id'));
    const conds = [`l.label = @label0`, ...onLabels];
    const p: Record<string, string | number> = { ...params, label0: labels[0]! };
    labels.slice(1).forEach((label, i) => {
      conds.push(`EXISTS (SELECT 1 FROM run_labels x WHERE x.label = @label${i + 1} AND x.at = l.at AND x.run_key = l.run_key)`);
      p[`label${i + 1}`] = label;
    });
    const shape = `labels:${labels.length}:${where.join(' AND ')}`;
    let stmts = this.listStatements.get(shape);
    if (!stmts) {
      const all = [...conds, ...onRuns].join(' AND ');
      const from = `FROM run_labels l JOIN runs ON runs.rk = l.run_key WHERE ${all}`;
      // Without conditions on the run, the label rows alone are counted (no run is read).
      const count = onRuns.length === 0 ? `SELECT COUNT(*) FROM run_labels l WHERE ${conds.join(' AND ')}` : `SELECT COUNT(*) ${from}`;
      stmts = {
        page: this.db.prepare(`SELECT ${QUALIFIED_RUN_COLUMNS} ${from} ORDER BY l.at DESC, l.run_key DESC LIMIT @limit OFFSET @offset`),
        count: this.db.prepare(count).pluck(),
      };
      this.listStatements.set(shape, stmts);
    }
    const runs = stmts.page.all({ ...p, limit: perPage, offset }) as RunRecord[];
    const total = stmts.count.get(p) as number;
    return { runs, total };
  }

  /** The run's source (when it is a rerun) and its reruns, newest first. */
  links(runId: string): RunLinks {
    const own = this.cached(`SELECT rerun_of AS runId, rerun_step AS step, created_at AS createdAt FROM runs WHERE id = ?`).get(runId) as
      | { runId: string | null; step: string; createdAt: number }
      | undefined;
    const reruns = this.cached(
      `SELECT id AS runId, rerun_step AS step, created_at AS createdAt FROM runs WHERE rerun_of = ? ORDER BY created_at DESC, rk DESC`,
    ).all(runId) as RunLink[];
    const parent = this.cached(`SELECT parent_run_id AS runId, parent_path AS step, created_at AS createdAt FROM runs WHERE id = ?`).get(runId) as
      | { runId: string | null; step: string; createdAt: number }
      | undefined;
    const children = this.cached(
      `SELECT id AS runId, parent_path AS step, created_at AS createdAt FROM runs WHERE parent_run_id = ? ORDER BY created_at, rk`,
    ).all(runId) as RunLink[];
    return {
      rerunOf: own?.runId ? { runId: own.runId, step: own.step, createdAt: own.createdAt } : null,
      reruns,
      parent: parent?.runId ? { runId: parent.runId, step: parent.step, createdAt: parent.createdAt } : null,
      children,
    };
  }

  /** Statements off the hot path, prepared on first use. */
  private cached(sql: string): Stmt {
    let stmt = this.rare.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.rare.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Ids of up to `limit` runs a retention pass may delete: of the workflow, in the status, finished
   * before `before` and released. Read through the (workflow_id, created_at) index: a run is never
   * updated before it was created, so created_at < before is a safe pre-filter.
   */
  prunable(req: PruneRequest): string[] {
    return this.cached(
      `SELECT id FROM runs WHERE workflow_id = @workflowId AND created_at < @before AND status = @status
         AND updated_at < @before AND owner IS NULL ORDER BY created_at LIMIT @limit`,
    ).all(req).map((r) => (r as { id: string }).id);
  }

  retry(runId: string, owner: string | null, leaseExpiresAt: number | null, now: number): RunRecord | undefined {
    return this.retryStmt.get({ runId, owner, leaseExpiresAt: owner ? leaseExpiresAt : null, status: owner ? 'running' : 'pending', now }) as
      | RunRecord
      | undefined;
  }
}
