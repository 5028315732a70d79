import type pg from 'pg';
import { deliveredMetaAround } from '../../domain/journal-meta.js';
import { StoreError } from '../../errors.js';
import type { JournalEntry, NewRun, RunStatus, SendEventRequest, SendEventResult, StoredEvent, WaitRequest, WaitResult } from '../types.js';
import { deliverable, deliveredMeta, eventExpiry } from '../shared/event-rules.js';
import { query, type Queryable } from './connection.js';

const EVENT_COLUMNS = `id, name, match_key AS key, run_id AS "runId", data, created_at AS "createdAt"`;

/** The statements on the events tables of one schema (migrations/postgres/0010_events.sql). */
export interface EventSql {
  lockShared: string;
  lockSharedKeyed: string;
  deliveryTarget: string;
  markDelivered: string;
  insert: string;
  byId: string;
  waitsByKey: string;
  waitsAny: string;
  waitsOfRun: string;
  runForUpdate: string;
  dropWaits: string;
  sendOneTrip: string;
  registerOneTrip: string;
}

export function eventSql(schema: string): EventSql {
  const s = `"${schema}"`;
  return {
    // Transaction-level advisory locks on (name, key) taken before any run row (see lockForSend and
    // waitLocks): a wait registered while an event is being sent sees the event, or the send sees the
    // wait, never neither.
    lockShared: `SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))`,
    lockSharedKeyed: `SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0)), pg_advisory_xact_lock(hashtextextended($2, 0))`,
    // The waiting run (its row locked: already, see sendEvent), its wait's row, and whether it got this event already.
    deliveryTarget: `SELECT r.workflow_id AS "workflowId", r.status, j.status AS "rowStatus", j.meta,
        EXISTS (SELECT 1 FROM ${s}.event_deliveries d WHERE d.event_id = $3 AND d.run_id = r.id) AS "already"
      FROM ${s}.runs r LEFT JOIN ${s}.journal j ON j.run_id = r.id AND j.path = $2 WHERE r.id = $1 FOR UPDATE OF r`,
    // A delivery in one statement: the wait's registration goes, the delivery is recorded, the row
    // becomes 'resumed' with the event, and a running or waiting run becomes pending with a new epoch.
    markDelivered: `WITH dropped AS (DELETE FROM ${s}.event_waits WHERE run_id = $1 AND path = $2),
      recorded AS (INSERT INTO ${s}.event_deliveries (event_id, run_id, path, delivered_at) VALUES ($3, $1, $2, $5)),
      resumed AS (UPDATE ${s}.journal SET status = 'resumed', meta = $4 WHERE run_id = $1 AND path = $2),
      consumed AS (UPDATE ${s}.events SET consumed_at = $5 WHERE id = $3 AND run_id = $1)
      UPDATE ${s}.runs SET
        status = CASE WHEN status IN ('running', 'waiting') THEN 'pending' ELSE status END,
        owner = CASE WHEN status IN ('running', 'waiting') THEN NULL ELSE owner END,
        lease_expires_at = CASE WHEN status IN ('running', 'waiting') THEN NULL ELSE lease_expires_at END,
        lease_epoch = CASE WHEN status IN ('running', 'waiting') THEN lease_epoch + 1 ELSE lease_epoch END,
        wake_at = NULL, updated_at = $5
      WHERE id = $1`,
    insert: `INSERT INTO ${s}.events (id, name, match_key, run_id, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (id) DO NOTHING RETURNING seq`,
    byId: `SELECT ${EVENT_COLUMNS} FROM ${s}.events WHERE id = $1`,
    waitsByKey: `SELECT run_id AS "runId", path FROM ${s}.event_waits WHERE name = $1 AND (match_key = $2 OR match_key IS NULL)
      ORDER BY run_id COLLATE "C", path COLLATE "C"`,
    waitsAny: `SELECT run_id AS "runId", path FROM ${s}.event_waits WHERE name = $1 AND match_key IS NULL ORDER BY run_id COLLATE "C", path COLLATE "C"`,
    waitsOfRun: `SELECT run_id AS "runId", path FROM ${s}.event_waits WHERE run_id = $1 AND name = $2 ORDER BY path COLLATE "C"`,
    runForUpdate: `SELECT id, workflow_id AS "workflowId", status, lease_epoch AS "leaseEpoch" FROM ${s}.runs WHERE id = $1 FOR UPDATE`,
    dropWaits: `DELETE FROM ${s}.event_waits WHERE run_id = $1 AND path = $2`,
    sendOneTrip: `SELECT created, run_id AS "runId", workflow_id AS "workflowId" FROM ${s}.weft_send_event($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    registerOneTrip: `SELECT fenced, ev_id AS id, ev_name AS name, ev_key AS key, ev_run_id AS "runId", ev_data AS data, ev_created_at AS "createdAt"
      FROM ${s}.weft_register_wait($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
  };
}

const lockKey = (schema: string, name: string, key: string | null) => (key === null ? `${schema}\n${name}\n*` : `${schema}\n${name}\nk\n${key}`);

/**
 * Which sends a wait must not miss decides its locks. A wait with a key conflicts only with sends of
 * that (name, key): both lock (name, key) exclusively, so sends and waits of other keys run in
 * parallel. A wait without a key takes any event of the name: it locks (name, *) exclusively, and every
 * send of the name holds (name, *) shared, so sends do not wait for each other. An event sent to one
 * run locks that run's row first, as a wait registration of the run does. These are the keys of a
 * wait's locks; weft_register_wait takes them exclusively in byte order (so two waits never deadlock).
 */
function waitLocks(schema: string, names: string[], key: string | null): string[] {
  return [...new Set(names)].map((n) => lockKey(schema, n, key)).sort();
}

async function lockForSend(c: pg.PoolClient, sql: EventSql, schema: string, name: string, key: string | null): Promise<void> {
  if (key === null) await query(c, sql.lockShared, [lockKey(schema, name, null)]);
  else await query(c, sql.lockSharedKeyed, [lockKey(schema, name, null), lockKey(schema, name, key)]);
}

/**
 * See Store.sendEvent, for a send that starts no runs: one statement, the server-side function of
 * migration 0017 (the steps of sendEvent below, without their six round trips). Called on the pool,
 * outside a transaction: the statement is one (tests call it inside one to hold its locks).
 */
export async function sendEventOneTrip(db: Queryable, sql: EventSql, schema: string, req: SendEventRequest): Promise<SendEventResult> {
  const ev = req.event;
  const lockAny = lockKey(schema, ev.name, null);
  const lockKeyed = ev.key === null ? null : lockKey(schema, ev.name, ev.key);
  const rows = (
    await query<{ created: boolean; runId: string | null; workflowId: string | null }>(db, sql.sendOneTrip, [
      ev.id, ev.name, ev.key, ev.runId, ev.data, Math.round(ev.now), eventExpiry(ev), lockAny, lockKeyed,
    ])
  ).rows;
  if (!rows[0]?.created) return { created: false, delivered: [], started: [] };
  const delivered = rows.filter((r) => r.runId !== null).map((r) => ({ runId: r.runId!, workflowId: r.workflowId! }));
  return { created: true, delivered, started: [] };
}

/** See Store.sendEvent. Runs inside a transaction; `insertRun` creates a triggered run unless it exists. */
export async function sendEvent(
  c: pg.PoolClient,
  sql: EventSql,
  schema: string,
  req: SendEventRequest,
  insertRun: (run: NewRun) => Promise<boolean>,
): Promise<SendEventResult> {
  const ev = req.event;
  const stored: StoredEvent = { id: ev.id, name: ev.name, key: ev.key, runId: ev.runId, data: ev.data, createdAt: Math.round(ev.now) };
  if (ev.runId !== null) await query(c, sql.runForUpdate, [ev.runId]);
  else await lockForSend(c, sql, schema, ev.name, ev.key);
  const ins = await query(c, sql.insert, [stored.id, stored.name, stored.key, stored.runId, stored.data, stored.createdAt, eventExpiry(ev)]);
  if (ins.rowCount === 0) return { created: false, delivered: [], started: [] };
  const started: string[] = [];
  for (const r of req.startRuns ?? []) if (await insertRun(r)) started.push(r.runId);
  const waits = (
    ev.runId !== null
      ? await query<{ runId: string; path: string }>(c, sql.waitsOfRun, [ev.runId, ev.name])
      : ev.key === null
        ? await query<{ runId: string; path: string }>(c, sql.waitsAny, [ev.name])
        : await query<{ runId: string; path: string }>(c, sql.waitsByKey, [ev.name, ev.key])
  ).rows;
  const delivered: SendEventResult['delivered'] = [];
  const done = new Set<string>();
  for (const w of waits) {
    if (done.has(w.runId)) continue;
    // The run's row locked by its own statement first: a statement that waits for the lock reads the
    // other tables in its old snapshot, and would see a row another send has just resumed as waiting.
    await query(c, sql.runForUpdate, [w.runId]);
    const t = (await query<{ workflowId: string; status: RunStatus; rowStatus: string | null; meta: string | null; already: boolean }>(c, sql.deliveryTarget, [w.runId, w.path, stored.id])).rows[0];
    if (t?.already) continue;
    if (!t || !deliverable(t, t.rowStatus === null ? null : { status: t.rowStatus as JournalEntry['status'] })) {
      await query(c, sql.dropWaits, [w.runId, w.path]);
      continue;
    }
    await query(c, sql.markDelivered, [w.runId, w.path, stored.id, deliveredMeta(t.meta, stored, stored.createdAt), stored.createdAt]);
    const run = { workflowId: t.workflowId };
    done.add(w.runId);
    delivered.push({ runId: w.runId, workflowId: run.workflowId });
  }
  return { created: true, delivered, started };
}

/**
 * See Store.registerWait: one statement, the server-side function of migration 0019 (the same locks,
 * fencing, lookups, delivery and row as the steps it replaced, in one round trip). Called on the pool,
 * outside a transaction: the statement is one. Named, so each connection prepares it once.
 */
export async function registerWait(db: Queryable, sql: EventSql, schema: string, req: WaitRequest): Promise<WaitResult> {
  const e = req.entry;
  const { before, after } = deliveredMetaAround(e.meta, req.now);
  const row = (
    await query<{ fenced: boolean } & StoredEvent>(
      db,
      sql.registerOneTrip,
      [
        req.runId, req.epoch, waitLocks(schema, req.names, req.key), req.names, req.key, Math.round(req.since), Math.round(req.now),
        e.runId, e.path, e.kind, e.status, e.attempt, e.input, e.output, e.error, e.meta, Math.round(e.startedAt), e.endedAt === null ? null : Math.round(e.endedAt),
        before, after,
      ],
      `weft_${schema}_register_wait`,
    )
  ).rows[0];
  if (!row) throw new StoreError('registerWait: weft_register_wait returned no row');
  if (row.fenced) return { fenced: true };
  if (row.id === null) return { fenced: false, event: null };
  return { fenced: false, event: { id: row.id, name: row.name, key: row.key, runId: row.runId, data: row.data, createdAt: row.createdAt } };
}
