import type Database from 'better-sqlite3';
import type { JournalEntry } from '../types.js';
import type { SqliteDb } from './open.js';

/** Columns aliased to JournalEntry's keys, so a row is a JournalEntry with no mapping. */
export const JOURNAL_COLUMNS = `run_id AS runId, path, kind, status, attempt, input, output, error, meta,
  started_at AS startedAt, ended_at AS endedAt, seq`;

type Stmt = Database.Statement;

/**
 * Prepared statements on the journal table. The upsert keeps the row's original seq, so a row keeps
 * its place in the run's history when a later event (retry, resume) updates it.
 */
export class JournalQueries {
  private readonly upsertStmt: Stmt;
  private readonly byRun: Stmt;
  private readonly row: Stmt;
  private readonly setResumed: Stmt;
  private readonly removeRun: Stmt;
  private readonly removeFailed: Stmt;

  constructor(db: SqliteDb) {
    // Positional parameters: binding an array is measurably faster than named binding on the hot path.
    this.upsertStmt = db.prepare(`INSERT INTO journal (run_key, run_id, path, kind, status, attempt, input, output, error,
        meta, started_at, ended_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (run_key, path) DO UPDATE SET kind = excluded.kind, status = excluded.status,
        attempt = excluded.attempt, input = excluded.input, output = excluded.output, error = excluded.error,
        meta = excluded.meta, started_at = excluded.started_at, ended_at = excluded.ended_at`);
    const key = `(SELECT rk FROM runs WHERE id = ?)`;
    this.byRun = db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM journal WHERE run_key = ${key} ORDER BY seq`);
    this.row = db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM journal WHERE run_key = ${key} AND path = ?`);
    this.setResumed = db.prepare(`UPDATE journal SET status = 'resumed', meta = ? WHERE run_key = ${key} AND path = ?`);
    this.removeRun = db.prepare(`DELETE FROM journal WHERE run_key = ${key}`);
    this.removeFailed = db.prepare(`DELETE FROM journal WHERE run_key = ${key} AND status = 'failed'`);
  }

  upsert(runKey: number, e: JournalEntry): void {
    this.upsertStmt.run(
      runKey,
      e.runId,
      e.path,
      e.kind,
      e.status,
      e.attempt,
      e.input ?? null,
      e.output ?? null,
      e.error ?? null,
      e.meta ?? null,
      e.startedAt,
      e.endedAt ?? null,
    );
  }

  load(runId: string): JournalEntry[] {
    return this.byRun.all(runId) as JournalEntry[];
  }

  get(runId: string, path: string): JournalEntry | undefined {
    return this.row.get(runId, path) as JournalEntry | undefined;
  }

  markResumed(runId: string, path: string, meta: string): void {
    this.setResumed.run(meta, runId, path);
  }

  deleteFailed(runId: string): void {
    this.removeFailed.run(runId);
  }

  deleteRun(runId: string): void {
    this.removeRun.run(runId);
  }
}
