import type pg from 'pg';
import type { EventPruneRequest } from '../types.js';
import { query } from './connection.js';

/**
 * One batch of event pruning in one statement (see EventPruneRequest). Candidates come from the
 * events_expiry and events_consumed indexes (migration 0017), never a scan; rows another pass holds are
 * skipped (SKIP LOCKED), not waited for. A token's completion takes its record along; an event's
 * delivery records go with it (they only matter while the event can still be matched).
 */
export async function pruneEvents(pool: pg.Pool, schema: string, req: EventPruneRequest): Promise<number> {
  const s = `"${schema}"`;
  const res = await query<{ n: number }>(
    pool,
    `WITH expired AS (
       SELECT id, name FROM ${s}.events WHERE expires_at < $1 ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED
     ),
     consumed AS (
       SELECT id, name FROM ${s}.events WHERE consumed_at < $2 ORDER BY consumed_at LIMIT $3 FOR UPDATE SKIP LOCKED
     ),
     chosen AS ((SELECT id, name FROM expired UNION SELECT id, name FROM consumed) LIMIT $3),
     doomed AS (
       SELECT id FROM chosen
       UNION SELECT 'token-record:' || substr(id, 7) FROM chosen WHERE name = 'weft.token' AND id LIKE 'token:%'
     ),
     gone AS (DELETE FROM ${s}.events WHERE id IN (SELECT id FROM doomed) RETURNING id),
     deliveries AS (DELETE FROM ${s}.event_deliveries WHERE event_id IN (SELECT id FROM gone))
     SELECT COUNT(*)::int AS n FROM gone`,
    [Math.round(req.now), Math.round(req.consumedBefore), req.limit],
  );
  return res.rows[0]?.n ?? 0;
}
