import type Database from 'better-sqlite3';
import type { RunRecord, ScheduleRecord } from '../types.js';
import type { SqliteDb } from './open.js';

/**
 * Multi-worker additions to the SQLite store: claims under concurrency limits and the schedules table
 * (migrations/sqlite/0002_workers.sql). Statements are prepared once per connection.
 */
export class WorkerQueries {
  private readonly candidates: Database.Statement;
  private readonly live: Database.Statement;
  private readonly ensureIns: Database.Statement;
  private readonly scheduleById: Database.Statement;
  private readonly schedules: Database.Statement;
  private readonly pause: Database.Statement;
  private readonly fired: Database.Statement;

  constructor(db: SqliteDb) {
    this.candidates = db.prepare(`SELECT id, workflow_id AS workflowId, concurrency_key AS key FROM runs
      WHERE workflow_id IN (SELECT value FROM json_each(@workflowIds)) AND (status = 'pending'
        OR (status = 'running' AND (owner IS NULL OR COALESCE(lease_expires_at, 0) <= @now))
        OR (status = 'waiting' AND wake_at IS NOT NULL AND wake_at <= @now))
      ORDER BY priority DESC, created_at ASC, id ASC`);
    this.live = db
      .prepare(`SELECT COUNT(*) FROM runs WHERE status = 'running' AND workflow_id = @workflowId
        AND concurrency_key IS @key AND owner IS NOT NULL AND lease_expires_at > @now`)
      .pluck();
    const cols = `workflow_id AS workflowId, paused, since, last_fire_at AS lastFireAt, updated_at AS updatedAt`;
    this.ensureIns = db.prepare(`INSERT INTO schedules (workflow_id, paused, since, updated_at) VALUES (?, 0, ?, ?)
      ON CONFLICT (workflow_id) DO NOTHING`);
    this.scheduleById = db.prepare(`SELECT ${cols} FROM schedules WHERE workflow_id = ?`);
    this.schedules = db.prepare(`SELECT ${cols} FROM schedules ORDER BY workflow_id`);
    this.pause = db.prepare(`UPDATE schedules SET since = CASE WHEN paused = 1 AND @paused = 0 THEN @now ELSE since END,
      paused = @paused, updated_at = @now WHERE workflow_id = @workflowId`);
    this.fired = db.prepare(`UPDATE schedules SET last_fire_at = MAX(COALESCE(last_fire_at, 0), @fireAt), updated_at = @now
      WHERE workflow_id = @workflowId`);
  }

  /**
   * Ids of claimable runs of limited workflows that fit under their limits, in claim order. Must run in
   * the claim's IMMEDIATE transaction: the file's write lock serialises claimers, so counting the live
   * leases and claiming cannot interleave with another process's claim.
   */
  limitedIds(limits: Record<string, number>, now: number, limit: number): string[] {
    const ids = Object.keys(limits);
    if (ids.length === 0 || limit <= 0) return [];
    // Read lazily to the end if need be: a capped candidate list could hold nothing but the backlog of
    // full groups and hide a free group queued behind it.
    const rows = this.candidates.iterate({ workflowIds: JSON.stringify(ids), now }) as IterableIterator<{
      id: string;
      workflowId: string;
      key: string | null;
    }>;
    const slots = new Map<string, number>();
    const out: string[] = [];
    for (const r of rows) {
      if (out.length >= limit) break;
      const group = `${r.workflowId}\u0000${r.key ?? '\u0001'}`;
      let left = slots.get(group);
      if (left === undefined) {
        const max = limits[r.workflowId] ?? 0;
        left = max - (this.live.get({ workflowId: r.workflowId, key: r.key, now }) as number);
      }
      if (left > 0) {
        out.push(r.id);
        left--;
      }
      slots.set(group, left);
    }
    return out;
  }

  ensureSchedule(workflowId: string, now: number): ScheduleRecord {
    this.ensureIns.run(workflowId, now, now);
    return toSchedule(this.scheduleById.get(workflowId) as RawSchedule);
  }

  listSchedules(): ScheduleRecord[] {
    return (this.schedules.all() as RawSchedule[]).map(toSchedule);
  }

  setSchedulePaused(workflowId: string, paused: boolean, now: number): ScheduleRecord | null {
    this.pause.run({ workflowId, paused: paused ? 1 : 0, now });
    const row = this.scheduleById.get(workflowId) as RawSchedule | undefined;
    return row ? toSchedule(row) : null;
  }

  markScheduleFired(workflowId: string, fireAt: number, now: number): void {
    this.fired.run({ workflowId, fireAt, now });
  }
}

type RawSchedule = Omit<ScheduleRecord, 'paused'> & { paused: number };

function toSchedule(r: RawSchedule): ScheduleRecord {
  return { ...r, paused: r.paused === 1 };
}

export type { RunRecord };
