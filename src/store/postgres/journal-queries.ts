import type { BlobSource } from '../../domain/value-codec.js';
import { blobMap, expandRows, rowsNeedBlobs } from '../shared/blob-rows.js';
import type { JournalEntry } from '../types.js';
import { query, type Queryable } from './connection.js';

export const JOURNAL_COLUMNS = `run_id AS "runId", path, kind, status, attempt, input, output, error, meta,
  started_at AS "startedAt", ended_at AS "endedAt", seq, pos, first_pos AS "firstPos"`;

/** SQL for the journal of one schema (the batch write is in write-batch.ts). */
export function journalSql(schema: string) {
  const journal = `"${schema}".journal`;
  return {
    byRun: `SELECT ${JOURNAL_COLUMNS} FROM ${journal} WHERE run_id = $1 ORDER BY seq`,
    // One primary-key lookup per run (LATERAL, OFFSET 0 keeps it from being flattened into a join):
    // as `run_id = ANY($1)` on a journal without statistics yet, the planner read the whole table
    // for every claim of 100 runs.
    byRuns: `SELECT j.* FROM unnest($1::text[]) AS i(id)
      CROSS JOIN LATERAL (SELECT ${JOURNAL_COLUMNS} FROM ${journal} WHERE run_id = i.id OFFSET 0) j ORDER BY j.seq`,
    rowForUpdate: `SELECT ${JOURNAL_COLUMNS} FROM ${journal} WHERE run_id = $1 AND path = $2 FOR UPDATE`,
    setResumed: `UPDATE ${journal} SET status = 'resumed', meta = $3 WHERE run_id = $1 AND path = $2`,
    blobsByRun: `SELECT hash, data FROM "${schema}".blobs WHERE run_id = $1`,
    blobBytes: `SELECT COALESCE(SUM(octet_length(data)), 0)::bigint AS n FROM "${schema}".blobs WHERE run_id = $1`,
  };
}

export type JournalSql = ReturnType<typeof journalSql>;

export async function loadBlobs(db: Queryable, sql: JournalSql, runId: string): Promise<BlobSource> {
  return blobMap((await query<{ hash: string; data: string }>(db, sql.blobsByRun, [runId])).rows);
}

/** Rows of one run with their values resolved (its blobs are read only when a row references one). */
export async function resolveRows<R extends JournalEntry>(db: Queryable, sql: JournalSql, runId: string, rows: R[]): Promise<R[]> {
  return rowsNeedBlobs(rows) ? expandRows(rows, await loadBlobs(db, sql, runId)) : rows;
}

export async function loadJournal(db: Queryable, sql: JournalSql, runId: string): Promise<JournalEntry[]> {
  return resolveRows(db, sql, runId, (await query<JournalEntry>(db, sql.byRun, [runId])).rows);
}

export async function loadJournals(db: Queryable, sql: JournalSql, runIds: string[]): Promise<Map<string, JournalEntry[]>> {
  const out = new Map<string, JournalEntry[]>(runIds.map((id) => [id, []]));
  if (runIds.length === 0) return out;
  const { rows } = await query<JournalEntry>(db, sql.byRuns, [runIds]);
  for (const row of rows) out.get(row.runId)?.push(row);
  for (const [id, list] of out) if (rowsNeedBlobs(list)) await resolveRows(db, sql, id, list);
  return out;
}
