import type Database from 'better-sqlite3';
import type { BlobSource } from '../../domain/value-codec.js';
import { blobMap, expandRows, rowsNeedBlobs } from '../shared/blob-rows.js';
import type { JournalEntry } from '../types.js';
import type { SqliteDb } from './open.js';
import type { StreamClock } from './stream-queries.js';

/** Columns aliased to JournalEntry's keys, so a row is a JournalEntry with no mapping. */
export const JOURNAL_COLUMNS = `run_id AS runId, path, kind, status, attempt, input, output, error, meta,
  started_at AS startedAt, ended_at AS endedAt, seq, pos, first_pos AS firstPos`;

type Stmt = Database.Statement;

/**
 * The journal upsert for `rows` rows. The upsert keeps a row's original seq (see JournalQueries), and
 * its stream positions where the write is no new event (store/shared/stream-rules.ts, rowPositions):
 * SET expressions read the row as it was before the update.
 */
function upsertSql(rows: number): string {
  const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
  return `INSERT INTO journal (run_key, run_id, path, kind, status, attempt, input, output, error, meta, started_at,
      ended_at, pos, first_pos)
    VALUES ${values}
    ON CONFLICT (run_key, path) DO UPDATE SET kind = excluded.kind, status = excluded.status,
      attempt = excluded.attempt, input = excluded.input, output = excluded.output, error = excluded.error,
      meta = excluded.meta, started_at = excluded.started_at, ended_at = excluded.ended_at,
      pos = CASE WHEN journal.started_at = excluded.started_at AND journal.status = excluded.status THEN journal.pos ELSE excluded.pos END,
      first_pos = CASE WHEN journal.started_at = excluded.started_at THEN journal.first_pos ELSE excluded.first_pos END`;
}

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
  /** Prepared on first use: only `weft check` reads many journals at once. */
  private byRuns: Stmt | undefined;
  private readonly insertBlob: Stmt;
  private readonly blobsByRun: Stmt;
  private readonly removeBlobs: Stmt;
  private readonly blobSize: Stmt;

  /** Rows per multi-row upsert: one statement per chunk costs ~25 % less per row than one per row. */
  static readonly CHUNK = 16;
  private readonly upsertChunk: Stmt;
  /** Reused bind buffer for upsertChunk (better-sqlite3 copies the values when it binds them). */
  private readonly chunkValues: unknown[] = new Array(JournalQueries.CHUNK * 14);

  constructor(
    private readonly db: SqliteDb,
    private readonly clock: StreamClock,
  ) {
    // Positional parameters: binding an array is measurably faster than named binding on the hot path.
    this.upsertStmt = db.prepare(upsertSql(1));
    this.upsertChunk = db.prepare(upsertSql(JournalQueries.CHUNK));
    const key = `(SELECT rk FROM runs WHERE id = ?)`;
    this.byRun = db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM journal WHERE run_key = ${key} ORDER BY seq`);
    this.row = db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM journal WHERE run_key = ${key} AND path = ?`);
    this.setResumed = db.prepare(`UPDATE journal SET status = 'resumed', meta = ? WHERE run_key = ${key} AND path = ?`);
    this.removeRun = db.prepare(`DELETE FROM journal WHERE run_key = ${key}`);
    this.removeFailed = db.prepare(`DELETE FROM journal WHERE run_key = ${key} AND status = 'failed'`);
    this.insertBlob = db.prepare(`INSERT INTO blobs (run_key, hash, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`);
    this.blobsByRun = db.prepare(`SELECT hash, data FROM blobs WHERE run_key = ${key}`);
    this.removeBlobs = db.prepare(`DELETE FROM blobs WHERE run_key = ${key}`);
    this.blobSize = db.prepare(`SELECT COALESCE(SUM(LENGTH(CAST(data AS BLOB))), 0) FROM blobs WHERE run_key = ${key}`).pluck();
  }

  /** The run's blobs, read when one of its rows references them. */
  blobs(runId: string): BlobSource {
    return blobMap(this.blobsByRun.all(runId) as { hash: string; data: string }[]);
  }

  blobBytes(runId: string): number {
    return this.blobSize.get(runId) as number;
  }

  private writeBlobs(runKey: number, e: JournalEntry): void {
    for (const b of e.blobs!) this.insertBlob.run(runKey, b.hash, b.data);
  }

  upsert(runKey: number, e: JournalEntry, pos = this.clock.allocate(1)): void {
    if (e.blobs) this.writeBlobs(runKey, e);
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
      pos,
      pos,
    );
  }

  /**
   * Upserts rows in order, CHUNK rows per statement. A later row for the same (run, path) within one
   * statement updates the earlier one, as separate statements would: SQLite applies rows in order.
   */
  upsertAll(keys: number[], entries: JournalEntry[]): void {
    const n = entries.length;
    if (n === 0) return;
    // One position per row, taken in one statement for the batch; a row that keeps its position leaves
    // its number unused (positions only need to grow).
    let pos = this.clock.allocate(n);
    const chunk = JournalQueries.CHUNK;
    const v = this.chunkValues;
    let i = 0;
    for (; i + chunk <= n; i += chunk) {
      for (let j = 0; j < chunk; j++) {
        const e = entries[i + j]!;
        if (e.blobs) this.writeBlobs(keys[i + j]!, e);
        const o = j * 14;
        v[o] = keys[i + j];
        v[o + 1] = e.runId;
        v[o + 2] = e.path;
        v[o + 3] = e.kind;
        v[o + 4] = e.status;
        v[o + 5] = e.attempt;
        v[o + 6] = e.input ?? null;
        v[o + 7] = e.output ?? null;
        v[o + 8] = e.error ?? null;
        v[o + 9] = e.meta ?? null;
        v[o + 10] = e.startedAt;
        v[o + 11] = e.endedAt ?? null;
        v[o + 12] = pos;
        v[o + 13] = pos++;
      }
      this.upsertChunk.run(v);
    }
    for (; i < n; i++) this.upsert(keys[i]!, entries[i]!, pos++);
  }

  /** The rows of many runs in one statement, grouped by run, each run's in seq order, values resolved. */
  loadMany(runIds: readonly string[]): JournalEntry[] {
    this.byRuns ??= this.db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM journal
      WHERE run_key IN (SELECT rk FROM runs WHERE id IN (SELECT value FROM json_each(?))) ORDER BY run_key, seq`);
    const rows = this.byRuns.all(JSON.stringify(runIds)) as JournalEntry[];
    if (!rowsNeedBlobs(rows)) return rows;
    const blobsOfRun = new Map<string, BlobSource>();
    for (const r of rows) {
      if (!rowsNeedBlobs([r])) continue;
      let blobs = blobsOfRun.get(r.runId);
      if (!blobs) blobsOfRun.set(r.runId, (blobs = this.blobs(r.runId)));
      expandRows([r], blobs);
    }
    return rows;
  }

  /** The run's rows in order, values resolved (blob references replaced by what they reference). */
  load(runId: string): JournalEntry[] {
    const rows = this.byRun.all(runId) as JournalEntry[];
    return rowsNeedBlobs(rows) ? expandRows(rows, this.blobs(runId)) : rows;
  }

  get(runId: string, path: string): JournalEntry | undefined {
    const row = this.row.get(runId, path) as JournalEntry | undefined;
    return row && rowsNeedBlobs([row]) ? expandRows([row], this.blobs(runId))[0] : row;
  }

  markResumed(runId: string, path: string, meta: string): void {
    this.setResumed.run(meta, runId, path);
  }

  deleteFailed(runId: string): void {
    this.removeFailed.run(runId);
  }

  /** Deletes the run's rows and its blobs (call before the run row goes: both find it by id). */
  deleteRun(runId: string): void {
    this.removeRun.run(runId);
    this.removeBlobs.run(runId);
  }

  /** Deletes the run's rows but keeps its blobs (a rewind: its history still references them). */
  clearRows(runId: string): void {
    this.removeRun.run(runId);
  }
}
