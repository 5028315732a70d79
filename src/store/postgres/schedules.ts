import type { ScheduleRecord } from '../types.js';
import { query, type Queryable } from './connection.js';

const COLUMNS = `workflow_id AS "workflowId", paused, since, last_fire_at AS "lastFireAt", updated_at AS "updatedAt"`;

/** The schedules table of one schema (migrations/postgres/0002_workers.sql). */
export function scheduleSql(schema: string) {
  const t = `"${schema}".schedules`;
  return {
    ensure: `WITH ins AS (
        INSERT INTO ${t} (workflow_id, paused, since, updated_at) VALUES ($1, FALSE, $2, $2)
        ON CONFLICT (workflow_id) DO NOTHING RETURNING ${COLUMNS}
      )
      SELECT * FROM ins UNION ALL SELECT ${COLUMNS} FROM ${t} WHERE workflow_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
    list: `SELECT ${COLUMNS} FROM ${t} ORDER BY workflow_id COLLATE "C"`,
    setPaused: `UPDATE ${t} SET paused = $2, since = CASE WHEN paused AND NOT $2 THEN $3 ELSE since END, updated_at = $3
      WHERE workflow_id = $1 RETURNING ${COLUMNS}`,
    fired: `UPDATE ${t} SET last_fire_at = GREATEST(COALESCE(last_fire_at, 0), $2), updated_at = $3 WHERE workflow_id = $1`,
  };
}

export type ScheduleSql = ReturnType<typeof scheduleSql>;

export async function ensureSchedule(db: Queryable, sql: ScheduleSql, workflowId: string, now: number): Promise<ScheduleRecord> {
  const row = (await query<ScheduleRecord>(db, sql.ensure, [workflowId, now])).rows[0];
  if (row) return row;
  // Lost a race with a concurrent insert that had not committed when the snapshot was taken.
  const again = (await query<ScheduleRecord>(db, sql.ensure, [workflowId, now])).rows[0];
  if (!again) throw new Error(`schedule ${workflowId} neither inserted nor found`);
  return again;
}

export async function listSchedules(db: Queryable, sql: ScheduleSql): Promise<ScheduleRecord[]> {
  return (await query<ScheduleRecord>(db, sql.list)).rows;
}

export async function setSchedulePaused(
  db: Queryable,
  sql: ScheduleSql,
  workflowId: string,
  paused: boolean,
  now: number,
): Promise<ScheduleRecord | null> {
  return (await query<ScheduleRecord>(db, sql.setPaused, [workflowId, paused, now])).rows[0] ?? null;
}

export async function markScheduleFired(db: Queryable, sql: ScheduleSql, workflowId: string, fireAt: number, now: number): Promise<void> {
  await query(db, sql.fired, [workflowId, fireAt, now]);
}
