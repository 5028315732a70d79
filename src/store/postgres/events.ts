import type pg from 'pg';
import type { JournalEntry, NewRun, RunStatus, SendEventRequest, SendEventResult, StoredEvent, WaitRequest, WaitResult } from '../types.js';
import { deliverable, deliveredMeta, eventExpiry } from '../shared/event-rules.js';
import { query } from './connection.js';
import { JOURNAL_COLUMNS } from './journal-queries.js';

const EVENT_COLUMNS = `id, name, match_key AS key, run_id AS "runId", data, created_at AS "createdAt"`;

/** The statements on the events tables of one schema (migrations/postgres/0010_events.sql). */
export interface EventSql {
  lockExclusive: string;
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
  row: string;
  deliver: string;
  dropWaits: string;
  addWaits: string;
  upsertRow: string;
  earlyKeyed: string;
  earlyAny: string;
  earlyRun: string;
  sendOneTrip: string;
}

export function eventSql(schema: string): EventSql {
  const s = `"${schema}"`;
  const notDelivered = `NOT EXISTS (SELECT 1 FROM ${s}.event_deliveries d WHERE d.event_id = e.id AND d.run_id = $3)`;
  return {
    // Transaction-level advisory locks on (name, key) taken before any run row (see lockFor*): a wait
    // registered while an event is being sent sees the event, or the send sees the wait, never neither.
    lockExclusive: `SELECT pg_advisory_xact_lock(hashtextextended(x, 0)) FROM unnest($1::text[]) AS n(x) ORDER BY x COLLATE "C"`,
    lockShared: `SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))`,
    lockSharedKeyed: `SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0)), pg_advisory_xact_lock(hashtextextended($2, 0))`,
    // The waiting run (its row locked), its wait's row, and whether it got this event already: one trip.
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
    row: `SELECT ${JOURNAL_COLUMNS} FROM ${s}.journal WHERE run_id = $1 AND path = $2`,
    // An early event taken by its wait: the delivery recorded, and an event sent to this run consumed.
    deliver: `WITH consumed AS (UPDATE ${s}.events SET consumed_at = $4 WHERE id = $1 AND run_id = $2)
      INSERT INTO ${s}.event_deliveries (event_id, run_id, path, delivered_at) VALUES ($1, $2, $3, $4)`,
    dropWaits: `DELETE FROM ${s}.event_waits WHERE run_id = $1 AND path = $2`,
    addWaits: `INSERT INTO ${s}.event_waits (run_id, path, name, match_key, created_at)
      SELECT $1, $2, n, $4, $5 FROM unnest($3::text[]) AS n ON CONFLICT (run_id, path, name) DO UPDATE SET match_key = EXCLUDED.match_key`,
    // Stream positions as the batch write gives them (write-batch.ts, JOURNAL_UPSERT).
    upsertRow: `INSERT INTO ${s}.journal AS j (run_id, path, kind, status, attempt, input, output, error, meta, started_at, ended_at,
        pos, first_pos)
      SELECT x.*, x.pos FROM (SELECT $1::text, $2::text, $3::text, $4::text, $5::int, $6::text, $7::text, $8::text, $9::text,
        $10::bigint, $11::bigint, nextval('${s}.stream_pos') AS pos) x
      ON CONFLICT (run_id, path) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, attempt = EXCLUDED.attempt,
        input = EXCLUDED.input, output = EXCLUDED.output, error = EXCLUDED.error, meta = EXCLUDED.meta,
        started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at,
        pos = CASE WHEN j.started_at = EXCLUDED.started_at AND j.status = EXCLUDED.status THEN j.pos ELSE EXCLUDED.pos END,
        first_pos = CASE WHEN j.started_at = EXCLUDED.started_at THEN j.first_pos ELSE EXCLUDED.first_pos END`,
    earlyKeyed: `SELECT ${EVENT_COLUMNS}, seq FROM ${s}.events e WHERE run_id IS NULL AND name = $1 AND match_key = $4
      AND created_at >= $2 AND ${notDelivered} ORDER BY created_at, seq LIMIT 1`,
    earlyAny: `SELECT ${EVENT_COLUMNS}, seq FROM ${s}.events e WHERE run_id IS NULL AND name = $1 AND created_at >= $2
      AND ${notDelivered} ORDER BY created_at, seq LIMIT 1`,
    earlyRun: `SELECT ${EVENT_COLUMNS}, seq FROM ${s}.events e WHERE run_id = $3 AND name = $1 AND created_at >= $2
      AND ${notDelivered} ORDER BY created_at, seq LIMIT 1`,
    sendOneTrip: `SELECT created, run_id AS "runId", workflow_id AS "workflowId" FROM ${s}.weft_send_event($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  };
}

type Row = { id: string; workflowId: string; status: RunStatus; leaseEpoch: number };

const lockKey = (schema: string, name: string, key: string | null) => (key === null ? `${schema}\n${name}\n*` : `${schema}\n${name}\nk\n${key}`);

/**
 * Which sends a wait must not miss decides its locks. A wait with a key conflicts only with sends of
 * that (name, key): both lock (name, key) exclusively, so sends and waits of other keys run in
 * parallel. A wait without a key takes any event of the name: it locks (name, *) exclusively, and every
 * send of the name holds (name, *) shared, so sends do not wait for each other. An event sent to one
 * run locks that run's row first, as a wait registration of the run does.
 */
async function lockForWait(c: pg.PoolClient, sql: EventSql, schema: string, names: string[], key: string | null): Promise<void> {
  await query(c, sql.lockExclusive, [[...new Set(names)].map((n) => lockKey(schema, n, key)).sort()]);
}

async function lockForSend(c: pg.PoolClient, sql: EventSql, schema: string, name: string, key: string | null): Promise<void> {
  if (key === null) await query(c, sql.lockShared, [lockKey(schema, name, null)]);
  else await query(c, sql.lockSharedKeyed, [lockKey(schema, name, null), lockKey(schema, name, key)]);
}

/**
 * See Store.sendEvent, for a send that starts no runs: one statement, the server-side function of
 * migration 0017 (the steps of sendEvent below, without their six round trips). Not inside a
 * transaction: the statement is one.
 */
export async function sendEventOneTrip(pool: pg.Pool, sql: EventSql, schema: string, req: SendEventRequest): Promise<SendEventResult> {
  const ev = req.event;
  const lockAny = lockKey(schema, ev.name, null);
  const lockKeyed = ev.key === null ? null : lockKey(schema, ev.name, ev.key);
  const rows = (
    await query<{ created: boolean; runId: string | null; workflowId: string | null }>(pool, sql.sendOneTrip, [
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

/** See Store.registerWait. Runs inside a transaction. */
export async function registerWait(c: pg.PoolClient, sql: EventSql, schema: string, req: WaitRequest): Promise<WaitResult> {
  await lockForWait(c, sql, schema, req.names, req.key);
  const run = (await query<Row>(c, sql.runForUpdate, [req.runId])).rows[0];
  if (!run || run.leaseEpoch !== req.epoch) return { fenced: true };
  const path = req.entry.path;
  await query(c, sql.dropWaits, [req.runId, path]);
  let best: (StoredEvent & { seq: number }) | null = null;
  for (const n of req.names) {
    const since = Math.round(req.since);
    const found = [
      (await query<StoredEvent & { seq: number }>(c, sql.earlyRun, [n, since, req.runId])).rows[0],
      req.key === null
        ? (await query<StoredEvent & { seq: number }>(c, sql.earlyAny, [n, since, req.runId])).rows[0]
        : (await query<StoredEvent & { seq: number }>(c, sql.earlyKeyed, [n, since, req.runId, req.key])).rows[0],
    ];
    for (const f of found) if (f && (!best || f.createdAt < best.createdAt || (f.createdAt === best.createdAt && f.seq < best.seq))) best = f;
  }
  const e = req.entry;
  const upsert = (status: string, meta: string | null) =>
    query(c, sql.upsertRow, [e.runId, e.path, e.kind, status, e.attempt, e.input, e.output, e.error, meta, Math.round(e.startedAt), e.endedAt === null ? null : Math.round(e.endedAt)]);
  if (best) {
    const { seq: _seq, ...event } = best;
    await query(c, sql.deliver, [event.id, req.runId, path, Math.round(req.now)]);
    await upsert('resumed', deliveredMeta(e.meta, event, req.now));
    return { fenced: false, event };
  }
  await upsert(e.status, e.meta);
  await query(c, sql.addWaits, [req.runId, path, req.names, req.key, Math.round(req.now)]);
  return { fenced: false, event: null };
}

