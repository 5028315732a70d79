import type Database from 'better-sqlite3';
import { STREAM_RESET, type StreamOp, type StreamRow } from '../types.js';
import { streamPage } from '../shared/stream-rules.js';
import type { SqliteDb } from './open.js';

type Stmt = Database.Statement;

/** Hands out stream positions (migrations/sqlite/0012): called inside the write transaction. */
export class StreamClock {
  private readonly take: Stmt;

  constructor(db: SqliteDb) {
    this.take = db.prepare('UPDATE stream_clock SET pos = pos + ? WHERE id = 1 RETURNING pos').pluck();
  }

  /** Reserves `n` positions; returns the first. */
  allocate(n: number): number {
    return (this.take.get(n) as number) - n + 1;
  }
}

const COLUMNS = `pos, path, step, attempt, type, payload`;

/** Prepared statements on run_stream (the rules: store/shared/stream-rules.ts). */
export class StreamQueries {
  private readonly insert: Stmt;
  private readonly close: Stmt;
  private readonly voidEpochs: Stmt;
  private readonly voidAttempts: Stmt;
  private readonly page: Stmt;
  private readonly removeRun: Stmt;

  constructor(
    db: SqliteDb,
    private readonly clock: StreamClock,
  ) {
    this.insert = db.prepare(`INSERT INTO run_stream (run_key, pos, path, step, attempt, epoch, open, type, payload, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.close = db.prepare(`UPDATE run_stream SET open = 0 WHERE run_key = ? AND open = 1 AND path = ? AND attempt = ? AND epoch = ?`);
    this.voidEpochs = db.prepare(`DELETE FROM run_stream WHERE run_key = ? AND open = 1 AND epoch < ? RETURNING pos, path, step, attempt`);
    this.voidAttempts = db.prepare(`DELETE FROM run_stream WHERE run_key = ? AND open = 1 AND path = ? AND epoch = ? AND attempt < ?
      RETURNING pos, path, step, attempt`);
    this.page = db.prepare(`SELECT ${COLUMNS} FROM run_stream WHERE run_key = (SELECT rk FROM runs WHERE id = ?) AND pos > ?
      ORDER BY pos LIMIT ?`);
    this.removeRun = db.prepare(`DELETE FROM run_stream WHERE run_key = (SELECT rk FROM runs WHERE id = ?)`);
  }

  /** Applies one stream op of the run `runKey` (its epoch already checked). */
  apply(runKey: number, op: StreamOp): void {
    switch (op.type) {
      case 'chunks': {
        if (op.chunks.length === 0) return;
        let pos = this.clock.allocate(op.chunks.length);
        for (const c of op.chunks) this.insert.run(runKey, pos++, c.path, c.step, c.attempt, op.epoch, 1, c.type, c.payload, op.now);
        return;
      }
      case 'stream-close':
        this.close.run(runKey, op.path, op.attempt, op.epoch);
        return;
      case 'stream-void': {
        const gone = (op.path === undefined
          ? this.voidEpochs.all(runKey, op.epoch)
          : this.voidAttempts.all(runKey, op.path, op.epoch, op.beforeAttempt)) as { pos: number; path: string; step: string; attempt: number }[];
        if (gone.length === 0) return;
        const byPath = new Map<string, typeof gone>();
        for (const g of gone.sort((a, b) => a.pos - b.pos)) byPath.set(g.path, [...(byPath.get(g.path) ?? []), g]);
        let pos = this.clock.allocate(byPath.size);
        for (const [path, list] of byPath) {
          const last = list[list.length - 1]!;
          this.insert.run(runKey, pos++, path, last.step, last.attempt, op.epoch, 0, STREAM_RESET, JSON.stringify({ voided: list.map((g) => g.pos) }), op.now);
        }
        return;
      }
    }
  }

  read(runId: string, after: number, limit: number): StreamRow[] {
    const rows = this.page.all(runId, after, streamPage(limit)) as Omit<StreamRow, 'runId'>[];
    return rows.map((r) => ({ runId, ...r }));
  }

  deleteRun(runId: string): void {
    this.removeRun.run(runId);
  }
}
