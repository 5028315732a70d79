import { STREAM_RESET, type StreamOp, type StreamRow } from '../types.js';
import { streamPage } from '../shared/stream-rules.js';
import { query, type Queryable } from './connection.js';

/** SQL on run_stream for one schema (the rules: store/shared/stream-rules.ts). */
export function streamSql(schema: string) {
  const s = `"${schema}"`;
  const nextPos = `nextval('${s}.stream_pos')`;
  const cols = `run_id, pos, path, step, attempt, epoch, open, type, payload, created_at`;
  // A void deletes the open chunks it names and appends one reset per step path naming their positions.
  const voidSql = (cond: string) => `WITH d AS (DELETE FROM ${s}.run_stream WHERE run_id = $1 AND open AND ${cond}
        RETURNING pos, path, step, attempt),
      g AS (SELECT path, (array_agg(step ORDER BY pos DESC))[1] AS step, (array_agg(attempt ORDER BY pos DESC))[1] AS attempt,
          json_agg(pos ORDER BY pos) AS voided
        FROM d GROUP BY path)
      INSERT INTO ${s}.run_stream (${cols})
      SELECT $1, ${nextPos}, g.path, g.step, g.attempt, $2, false, '${STREAM_RESET}', json_build_object('voided', g.voided)::text, $3
      FROM g`;
  return {
    /** Locks the batch's runs (as the batch statement does) and reads their epochs. */
    lock: (skipLocked: boolean) => `SELECT id, lease_epoch AS epoch FROM ${s}.runs WHERE id = ANY($1::text[])
      ORDER BY id COLLATE "C" FOR NO KEY UPDATE${skipLocked ? ' SKIP LOCKED' : ''}`,
    // Positions are drawn one per chunk, then handed to the chunks in their order (whatever order the
    // sequence was called in), so a run's chunks keep the order they were written in.
    chunks: `WITH c AS (
        SELECT * FROM unnest($4::text[], $5::text[], $6::int[], $7::text[], $8::text[]) WITH ORDINALITY
          AS c(path, step, attempt, type, payload, ord)
      ),
      p AS (SELECT ${nextPos} AS pos FROM c),
      r AS (SELECT pos, row_number() OVER (ORDER BY pos) AS rn FROM p)
      INSERT INTO ${s}.run_stream (${cols})
      SELECT $1, r.pos, c.path, c.step, c.attempt, $2, true, c.type, c.payload, $3 FROM c JOIN r ON r.rn = c.ord`,
    close: `UPDATE ${s}.run_stream SET open = false WHERE run_id = $1 AND open AND epoch = $2 AND path = $3 AND attempt = $4`,
    voidEpochs: voidSql('epoch < $2'),
    // Takeover voids of many runs at once, each where its run's epoch still is the one given (fenced
    // like a write; a row lock keeps a concurrent claim from moving it meanwhile).
    voidTakeovers: `WITH v AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS v(run_id, epoch)),
      l AS (SELECT r.id, r.lease_epoch FROM ${s}.runs r JOIN v ON v.run_id = r.id AND v.epoch = r.lease_epoch
        ORDER BY r.id COLLATE "C" FOR NO KEY UPDATE OF r),
      d AS (DELETE FROM ${s}.run_stream t USING l WHERE t.run_id = l.id AND t.open AND t.epoch < l.lease_epoch
        RETURNING t.run_id, t.pos, t.path, t.step, t.attempt, l.lease_epoch AS epoch),
      g AS (SELECT run_id, path, max(epoch) AS epoch, (array_agg(step ORDER BY pos DESC))[1] AS step,
          (array_agg(attempt ORDER BY pos DESC))[1] AS attempt, json_agg(pos ORDER BY pos) AS voided
        FROM d GROUP BY run_id, path)
      INSERT INTO ${s}.run_stream (${cols})
      SELECT g.run_id, ${nextPos}, g.path, g.step, g.attempt, g.epoch, false, '${STREAM_RESET}', json_build_object('voided', g.voided)::text, $3
      FROM g`,
    voidAttempts: voidSql('path = $4 AND epoch = $2 AND attempt < $5'),
    page: `SELECT pos, path, step, attempt, type, payload FROM ${s}.run_stream WHERE run_id = $1 AND pos > $2 ORDER BY pos LIMIT $3`,
  };
}

export type StreamSql = ReturnType<typeof streamSql>;

/** Applies one stream op (its run locked and its epoch checked by the caller, in the same transaction). */
export async function applyStreamOp(db: Queryable, sql: StreamSql, op: StreamOp): Promise<void> {
  switch (op.type) {
    case 'chunks': {
      if (op.chunks.length === 0) return;
      const col = (k: 'path' | 'step' | 'attempt' | 'type' | 'payload') => op.chunks.map((c) => c[k]);
      await query(db, sql.chunks, [op.runId, op.epoch, Math.round(op.now), col('path'), col('step'), col('attempt'), col('type'), col('payload')]);
      return;
    }
    case 'stream-close':
      await query(db, sql.close, [op.runId, op.epoch, op.path, op.attempt]);
      return;
    case 'stream-void':
      if (op.path === undefined) await query(db, sql.voidEpochs, [op.runId, op.epoch, Math.round(op.now)]);
      else await query(db, sql.voidAttempts, [op.runId, op.epoch, Math.round(op.now), op.path, op.beforeAttempt]);
      return;
  }
}

export async function readStream(db: Queryable, sql: StreamSql, runId: string, after: number, limit: number): Promise<StreamRow[]> {
  const rows = (await query<Omit<StreamRow, 'runId'>>(db, sql.page, [runId, after, streamPage(limit)])).rows;
  return rows.map((r) => ({ runId, ...r }));
}
