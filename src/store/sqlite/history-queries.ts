import type Database from 'better-sqlite3';
import type { JournalEntry, JournalGeneration } from '../types.js';

type Stmt = Database.Statement;

/**
 * The journal_history table: whole journals kept when a run was rewound (time travel), one generation
 * per rewind. Rare writes, read only to show a run's history, so named parameters and no caching.
 */
export class HistoryQueries {
  private readonly nextGeneration: Stmt;
  private readonly archive: Stmt;
  private readonly byRun: Stmt;
  private readonly remove: Stmt;

  constructor(db: Database.Database) {
    this.nextGeneration = db.prepare(`SELECT COALESCE(MAX(generation), 0) + 1 FROM journal_history WHERE run_id = ?`).pluck();
    this.archive = db.prepare(`INSERT INTO journal_history (run_id, generation, reason, archived_at, path, kind, status,
        attempt, input, output, error, meta, started_at, ended_at, seq)
      SELECT run_id, @generation, @reason, @now, path, kind, status, attempt, input, output, error, meta, started_at,
        ended_at, seq
      FROM journal WHERE run_key = (SELECT rk FROM runs WHERE id = @runId)`);
    this.byRun = db.prepare(`SELECT generation, reason, archived_at AS archivedAt, run_id AS runId, path, kind, status,
        attempt, input, output, error, meta, started_at AS startedAt, ended_at AS endedAt, seq
      FROM journal_history WHERE run_id = ? ORDER BY generation, seq`);
    this.remove = db.prepare(`DELETE FROM journal_history WHERE run_id = ?`);
  }

  /** Copies the run's current journal into a new generation of its history. */
  keep(runId: string, reason: string, now: number): void {
    const generation = this.nextGeneration.get(runId) as number;
    this.archive.run({ runId, generation, reason, now });
  }

  load(runId: string): JournalGeneration[] {
    const out: JournalGeneration[] = [];
    for (const r of this.byRun.all(runId) as (JournalEntry & { generation: number; reason: string; archivedAt: number })[]) {
      const { generation, reason, archivedAt, ...entry } = r;
      let g = out[out.length - 1];
      if (!g || g.generation !== generation) out.push((g = { generation, reason, archivedAt, rows: [] }));
      g.rows.push(entry);
    }
    return out;
  }

  deleteRun(runId: string): void {
    this.remove.run(runId);
  }
}
