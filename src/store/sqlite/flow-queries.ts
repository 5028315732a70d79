import type Database from 'better-sqlite3';
import type { FlowKeyRow, FlowKind, FlowOps } from '../shared/flow-rules.js';
import { appendItem } from '../shared/flow-rules.js';
import type { ClaimOptions, NewRun, RunRecord } from '../types.js';
import type { SqliteDb } from './open.js';
import type { RunQueries } from './run-queries.js';

type Stmt = Database.Statement;
type Throttles = NonNullable<ClaimOptions['throttles']>;

/**
 * Flow control on SQLite (migrations/sqlite/0010_flow_control.sql): the primitives of an admission
 * (shared/flow-rules.ts) and the throttled claim. Both run inside an IMMEDIATE transaction, whose
 * write lock on the file serialises them with every other admission and claim of every process.
 */
export class FlowQueries {
  private readonly keyGet: Stmt;
  private readonly keyPut: Stmt;
  private readonly keyDrop: Stmt;
  private readonly shape: Stmt;
  private readonly waitingInput: Stmt;
  private readonly merge: Stmt;
  private readonly cancelLive: Stmt;
  private readonly starts: Stmt;
  private readonly flowRun: Stmt;
  private readonly prune: Stmt;
  private readonly candidates: Stmt;
  private readonly live: Stmt;
  private readonly start: Stmt;

  constructor(db: SqliteDb) {
    this.keyGet = db.prepare(`SELECT workflow_id AS workflowId, kind, key, run_id AS runId, opened_at AS openedAt,
      expires_at AS expiresAt, size FROM flow_keys WHERE workflow_id = ? AND kind = ? AND key = ?`);
    this.keyPut = db.prepare(`INSERT INTO flow_keys (workflow_id, kind, key, run_id, opened_at, expires_at, size)
      VALUES (@workflowId, @kind, @key, @runId, @openedAt, @expiresAt, @size)
      ON CONFLICT (workflow_id, kind, key) DO UPDATE SET run_id = excluded.run_id, opened_at = excluded.opened_at,
        expires_at = excluded.expires_at, size = excluded.size`);
    this.keyDrop = db.prepare(`DELETE FROM flow_keys WHERE workflow_id = ? AND kind = ? AND key = ?`);
    this.shape = db.prepare(`UPDATE runs SET status = ?, wake_at = ?, status_reason = ? WHERE id = ?`);
    this.waitingInput = db.prepare(`SELECT input FROM runs WHERE id = ? AND status = 'waiting' AND owner IS NULL`).pluck();
    this.merge = db.prepare(`UPDATE runs SET input = ?, wake_at = COALESCE(?, wake_at), updated_at = ?
      WHERE id = ? AND status = 'waiting' AND owner IS NULL`);
    this.cancelLive = db.prepare(`UPDATE runs SET status = 'canceled', owner = NULL, lease_expires_at = NULL, wake_at = NULL,
        status_reason = ?, lease_epoch = lease_epoch + 1, updated_at = ?
      WHERE id = ? AND status NOT IN ('success', 'failed', 'canceled')`);
    this.starts = db.prepare(`SELECT COUNT(*) FROM flow_runs WHERE workflow_id = ? AND key = ? AND started_at > ?`).pluck();
    this.flowRun = db.prepare(`INSERT INTO flow_runs (run_id, workflow_id, key, started_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (run_id) DO UPDATE SET started_at = excluded.started_at WHERE flow_runs.started_at IS NULL`);
    this.prune = db.prepare(`DELETE FROM flow_runs WHERE workflow_id = ? AND key = ? AND started_at <= ?`);
    // Every claimable run of the throttled workflows in claim order, with its throttle key and start. A
    // run without a row counts as started (-1): its start left every window and was pruned, or it was
    // not admitted under the throttle; taking it over must not count it again.
    this.candidates = db.prepare(`SELECT r.id, r.workflow_id AS workflowId, r.concurrency_key AS ckey,
        COALESCE(f.key, '') AS fkey, CASE WHEN f.run_id IS NULL THEN -1 ELSE f.started_at END AS startedAt
      FROM runs r LEFT JOIN flow_runs f ON f.run_id = r.id
      WHERE r.workflow_id IN (SELECT value FROM json_each(@workflowIds)) AND (r.status = 'pending'
        OR (r.status = 'running' AND (r.owner IS NULL OR COALESCE(r.lease_expires_at, 0) <= @now))
        OR (r.status = 'waiting' AND r.wake_at IS NOT NULL AND r.wake_at <= @now))
      ORDER BY r.priority DESC, r.created_at ASC, r.id ASC`);
    this.live = db
      .prepare(`SELECT COUNT(*) FROM runs WHERE status = 'running' AND workflow_id = ?
        AND concurrency_key IS ? AND owner IS NOT NULL AND lease_expires_at > ?`)
      .pluck();
    this.start = this.flowRun;
  }

  /** The admission primitives over this connection (call inside the IMMEDIATE transaction). */
  ops(runs: RunQueries): FlowOps {
    return {
      run: (id) => runs.get(id) ?? null,
      key: (wf, kind, key) => (this.keyGet.get(wf, kind, key) as FlowKeyRow | undefined) ?? null,
      putKey: (row) => void this.keyPut.run(row),
      dropKey: (wf, kind: FlowKind, key) => void this.keyDrop.run(wf, kind, key),
      insertRun: (run: NewRun, shape) => {
        runs.insertRun(run);
        if (shape.status !== 'pending') this.shape.run(shape.status, shape.wakeAt, shape.statusReason, run.runId);
        return runs.get(run.runId) as RunRecord;
      },
      mergeInput: (id, mode, item, wakeAt, now) => {
        const input = this.waitingInput.get(id) as string | null | undefined;
        if (input === undefined) return null;
        this.merge.run(mode === 'replace' ? item : appendItem(input, item), wakeAt, now, id);
        return runs.get(id) ?? null;
      },
      cancel: (id, reason, now) => this.cancelLive.run(reason, now, id).changes > 0,
      countStarts: (wf, key, since) => this.starts.get(wf, key, since) as number,
      addFlowRun: (id, wf, key, at) => void this.flowRun.run(id, wf, key, at),
      pruneStarts: (wf, key, before) => void this.prune.run(wf, key, before),
    };
  }

  /**
   * Ids of claimable runs of throttled workflows that fit under their throttle and (when given) their
   * concurrency limit, in claim order; their first start is recorded. Read to the end if need be, so a
   * backlog of throttled keys cannot hide a free one behind it.
   */
  throttledIds(throttles: Throttles, limits: Record<string, number>, now: number, limit: number): string[] {
    const ids = Object.keys(throttles);
    if (ids.length === 0 || limit <= 0) return [];
    const rows = this.candidates.iterate({ workflowIds: JSON.stringify(ids), now }) as IterableIterator<{
      id: string;
      workflowId: string;
      ckey: string | null;
      fkey: string;
      startedAt: number | null;
    }>;
    const used = new Map<string, number>();
    const slots = new Map<string, number>();
    const out: string[] = [];
    const firsts: { id: string; workflowId: string; fkey: string }[] = [];
    for (const r of rows) {
      if (out.length >= limit) break;
      const t = throttles[r.workflowId]!;
      const tGroup = r.startedAt === null ? `${r.workflowId}\u0000${r.fkey}` : null;
      let n = 0;
      if (tGroup !== null) {
        n = used.get(tGroup) ?? -1;
        if (n < 0) n = this.starts.get(r.workflowId, r.fkey, now - t.periodMs) as number;
        used.set(tGroup, n);
      }
      const max = limits[r.workflowId];
      const cGroup = max === undefined ? null : `${r.workflowId}\u0000${r.ckey ?? '\u0001'}`;
      let left = 1;
      if (cGroup !== null) {
        left = slots.get(cGroup) ?? max! - (this.live.get(r.workflowId, r.ckey, now) as number);
        slots.set(cGroup, left);
      }
      if ((tGroup !== null && n >= t.limit) || left <= 0) continue;
      if (cGroup !== null) slots.set(cGroup, left - 1);
      if (tGroup !== null) {
        used.set(tGroup, n + 1);
        firsts.push(r);
      }
      out.push(r.id);
    }
    // Written after the read: SQLite cannot write while a statement is being iterated.
    const pruned = new Set<string>();
    for (const r of firsts) {
      const g = `${r.workflowId}\u0000${r.fkey}`;
      if (!pruned.has(g)) this.prune.run(r.workflowId, r.fkey, now - throttles[r.workflowId]!.periodMs);
      pruned.add(g);
      this.start.run(r.id, r.workflowId, r.fkey, now);
    }
    return out;
  }
}
