import type { JournalEntry } from '../types.js';
import { query, type Queryable } from './connection.js';

export const JOURNAL_COLUMNS = `run_id AS "runId", path, kind, status, attempt, input, output, error, meta,
  started_at AS "startedAt", ended_at AS "endedAt", seq`;

/**
 * SQL for the journal of one schema. The batch insert is one statement: rows arrive as arrays, are
 * joined with runs on (id, lease_epoch) so fenced rows are skipped, and the ids of skipped rows come
 * back as the result. FOR SHARE on the matched runs rows makes a concurrent claim (which bumps the epoch)
 * wait for this batch, or makes this batch see the new epoch and skip: a zombie write can never land
 * after a new owner has loaded the journal. ORDER BY ord hands out seq in batch order.
 *
 * The runs rows are looked up one by one through a LATERAL subquery (OFFSET 0 keeps the planner from
 * flattening it into a join), and the statement is sent unnamed so it is planned for the table as it is
 * now: as a plain join, planned (and cached) while the table was young, it hash-joined against a
 * sequential scan of every run for each batch (measured: 1,332 sequential scans reading 8M rows in a
 * 10 s benchmark).
 */
export function journalSql(schema: string) {
  const journal = `"${schema}".journal`;
  return {
    batch: `WITH input AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[],
          $8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::bigint[])
          WITH ORDINALITY AS t(run_id, path, kind, status, attempt, input, output, error, meta, started_at, ended_at,
            epoch, ord)
      ),
      ok AS (
        SELECT i.* FROM input i CROSS JOIN LATERAL (SELECT 1 FROM "${schema}".runs r
          WHERE r.id = i.run_id AND r.lease_epoch = i.epoch OFFSET 0 FOR SHARE) fence
      ),
      ins AS (
        INSERT INTO ${journal} AS j (run_id, path, kind, status, attempt, input, output, error, meta, started_at,
          ended_at)
        SELECT run_id, path, kind, status, attempt, input, output, error, meta, started_at, ended_at
        FROM ok ORDER BY ord
        ON CONFLICT (run_id, path) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status,
          attempt = EXCLUDED.attempt, input = EXCLUDED.input, output = EXCLUDED.output, error = EXCLUDED.error,
          meta = EXCLUDED.meta, started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at
      )
      SELECT DISTINCT i.run_id AS "runId" FROM input i WHERE NOT EXISTS (SELECT 1 FROM ok WHERE ok.ord = i.ord)`,
    byRun: `SELECT ${JOURNAL_COLUMNS} FROM ${journal} WHERE run_id = $1 ORDER BY seq`,
    // One primary-key lookup per run (LATERAL, OFFSET 0 keeps it from being flattened into a join):
    // as `run_id = ANY($1)` on a journal without statistics yet, the planner read the whole table
    // for every claim of 100 runs.
    byRuns: `SELECT j.* FROM unnest($1::text[]) AS i(id)
      CROSS JOIN LATERAL (SELECT ${JOURNAL_COLUMNS} FROM ${journal} WHERE run_id = i.id OFFSET 0) j ORDER BY j.seq`,
    rowForUpdate: `SELECT ${JOURNAL_COLUMNS} FROM ${journal} WHERE run_id = $1 AND path = $2 FOR UPDATE`,
    setResumed: `UPDATE ${journal} SET status = 'resumed', meta = $3 WHERE run_id = $1 AND path = $2`,
  };
}

export type JournalSql = ReturnType<typeof journalSql>;

export interface JournalOp {
  epoch: number;
  entry: JournalEntry;
}

/**
 * Inserts a batch of journal rows; returns the run ids whose rows were fenced. Repeated (run, path,
 * epoch) keys are folded into one row first (an upsert cannot touch a row twice in one statement): the
 * last values win and the first occurrence keeps its place.
 */
export async function insertJournal(db: Queryable, sql: JournalSql, ops: JournalOp[]): Promise<string[]> {
  const cols: unknown[][] = Array.from({ length: 12 }, () => []);
  const index = new Map<string, number>();
  for (const { epoch, entry: e } of ops) {
    const key = `${epoch}\u0000${e.runId}\u0000${e.path}`;
    const values = [
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
      epoch,
    ];
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, cols[0]?.length ?? 0);
      values.forEach((v, i) => cols[i]?.push(v));
    } else {
      values.forEach((v, i) => {
        const col = cols[i];
        if (col) col[at] = v;
      });
    }
  }
  const res = await query<{ runId: string }>(db, sql.batch, cols);
  return res.rows.map((r) => r.runId);
}

export async function loadJournals(db: Queryable, sql: JournalSql, runIds: string[]): Promise<Map<string, JournalEntry[]>> {
  const out = new Map<string, JournalEntry[]>(runIds.map((id) => [id, []]));
  if (runIds.length === 0) return out;
  const { rows } = await query<JournalEntry>(db, sql.byRuns, [runIds]);
  for (const row of rows) out.get(row.runId)?.push(row);
  return out;
}
