import type pg from 'pg';
import type { JournalEntry, NewRun, RunStatus, SendEventRequest, SendEventResult, StoredEvent, WaitRequest, WaitResult } from '../types.js';
import { deliverable, deliveredMeta, wakesUp } from '../shared/event-rules.js';
import { query } from './connection.js';
import { JOURNAL_COLUMNS } from './journal-queries.js';

const EVENT_COLUMNS = `id, name, match_key AS key, run_id AS "runId", data, created_at AS "createdAt"`;

/** The statements on the events tables of one schema (migrations/postgres/0010_events.sql). */
export interface EventSql {
  lockName: string;
  insert: string;
  byId: string;
  waitsByKey: string;
  waitsAny: string;
  waitsOfRun: string;
  runForUpdate: string;
  row: string;
  delivered: string;
  deliver: string;
  setRow: string;
  wake: string;
  dropWaits: string;
  addWaits: string;
  upsertRow: string;
  earlyKeyed: string;
  earlyAny: string;
  earlyRun: string;
}

export function eventSql(schema: string): EventSql {
  const s = `"${schema}"`;
  const notDelivered = `NOT EXISTS (SELECT 1 FROM ${s}.event_deliveries d WHERE d.event_id = e.id AND d.run_id = $3)`;
  return {
    // Sends and waits of one event name take this lock first (then run rows), so a wait registered while
    // an event is being sent sees the event, or the send sees the wait: never neither.
    lockName: `SELECT pg_advisory_xact_lock(hashtextextended(x, 0)) FROM unnest($1::text[]) AS n(x) ORDER BY x COLLATE "C"`,
    insert: `INSERT INTO ${s}.events (id, name, match_key, run_id, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (id) DO NOTHING RETURNING seq`,
    byId: `SELECT ${EVENT_COLUMNS} FROM ${s}.events WHERE id = $1`,
    waitsByKey: `SELECT run_id AS "runId", path FROM ${s}.event_waits WHERE name = $1 AND (match_key = $2 OR match_key IS NULL)
      ORDER BY run_id COLLATE "C", path COLLATE "C"`,
    waitsAny: `SELECT run_id AS "runId", path FROM ${s}.event_waits WHERE name = $1 AND match_key IS NULL ORDER BY run_id COLLATE "C", path COLLATE "C"`,
    waitsOfRun: `SELECT run_id AS "runId", path FROM ${s}.event_waits WHERE run_id = $1 AND name = $2 ORDER BY path COLLATE "C"`,
    runForUpdate: `SELECT id, workflow_id AS "workflowId", status, lease_epoch AS "leaseEpoch" FROM ${s}.runs WHERE id = $1 FOR UPDATE`,
    row: `SELECT ${JOURNAL_COLUMNS} FROM ${s}.journal WHERE run_id = $1 AND path = $2`,
    delivered: `SELECT 1 FROM ${s}.event_deliveries WHERE event_id = $1 AND run_id = $2`,
    deliver: `INSERT INTO ${s}.event_deliveries (event_id, run_id, path, delivered_at) VALUES ($1, $2, $3, $4)`,
    setRow: `UPDATE ${s}.journal SET status = 'resumed', meta = $3 WHERE run_id = $1 AND path = $2`,
    wake: `UPDATE ${s}.runs SET status = 'pending', owner = NULL, lease_expires_at = NULL, lease_epoch = lease_epoch + 1,
      wake_at = NULL, updated_at = $2 WHERE id = $1`,
    dropWaits: `DELETE FROM ${s}.event_waits WHERE run_id = $1 AND path = $2`,
    addWaits: `INSERT INTO ${s}.event_waits (run_id, path, name, match_key, created_at)
      SELECT $1, $2, n, $4, $5 FROM unnest($3::text[]) AS n ON CONFLICT (run_id, path, name) DO UPDATE SET match_key = EXCLUDED.match_key`,
    upsertRow: `INSERT INTO ${s}.journal (run_id, path, kind, status, attempt, input, output, error, meta, started_at, ended_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
      ON CONFLICT (run_id, path) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, attempt = EXCLUDED.attempt,
        input = EXCLUDED.input, output = EXCLUDED.output, error = EXCLUDED.error, meta = EXCLUDED.meta,
        started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at`,
    earlyKeyed: `SELECT ${EVENT_COLUMNS}, seq FROM ${s}.events e WHERE run_id IS NULL AND name = $1 AND match_key = $4
      AND created_at >= $2 AND ${notDelivered} ORDER BY created_at, seq LIMIT 1`,
    earlyAny: `SELECT ${EVENT_COLUMNS}, seq FROM ${s}.events e WHERE run_id IS NULL AND name = $1 AND created_at >= $2
      AND ${notDelivered} ORDER BY created_at, seq LIMIT 1`,
    earlyRun: `SELECT ${EVENT_COLUMNS}, seq FROM ${s}.events e WHERE run_id = $3 AND name = $1 AND created_at >= $2
      AND ${notDelivered} ORDER BY created_at, seq LIMIT 1`,
  };
}

type Row = { id: string; workflowId: string; status: RunStatus; leaseEpoch: number };

async function lockNames(c: pg.PoolClient, sql: EventSql, schema: string, names: string[]): Promise<void> {
  await query(c, sql.lockName, [[...new Set(names)].map((n) => `${schema}\n${n}`).sort()]);
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
  await lockNames(c, sql, schema, [ev.name]);
  const ins = await query(c, sql.insert, [stored.id, stored.name, stored.key, stored.runId, stored.data, stored.createdAt]);
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
    if ((await query(c, sql.delivered, [stored.id, w.runId])).rowCount) continue;
    const run = (await query<Row>(c, sql.runForUpdate, [w.runId])).rows[0];
    const row = run ? (await query<JournalEntry>(c, sql.row, [w.runId, w.path])).rows[0] : undefined;
    await query(c, sql.dropWaits, [w.runId, w.path]);
    if (!run || !deliverable(run, row)) continue;
    await query(c, sql.deliver, [stored.id, w.runId, w.path, stored.createdAt]);
    await query(c, sql.setRow, [w.runId, w.path, deliveredMeta(row!.meta, stored, stored.createdAt)]);
    if (wakesUp(run.status)) await query(c, sql.wake, [w.runId, stored.createdAt]);
    done.add(w.runId);
    delivered.push({ runId: w.runId, workflowId: run.workflowId });
  }
  return { created: true, delivered, started };
}

/** See Store.registerWait. Runs inside a transaction. */
export async function registerWait(c: pg.PoolClient, sql: EventSql, schema: string, req: WaitRequest): Promise<WaitResult> {
  await lockNames(c, sql, schema, req.names);
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

