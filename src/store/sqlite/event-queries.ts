import type Database from 'better-sqlite3';
import type { EventPruneRequest, JournalEntry, StoredEvent } from '../types.js';
import { tokenRecordOf } from '../shared/event-rules.js';
import { JOURNAL_COLUMNS } from './journal-queries.js';
import type { SqliteDb } from './open.js';

type Stmt = Database.Statement;

const EVENT_COLUMNS = `id, name, match_key AS key, run_id AS runId, data, created_at AS createdAt`;

/** A run as event delivery needs it. */
export interface WaitingRun {
  rk: number;
  workflowId: string;
  status: string;
  epoch: number;
}

/** Prepared statements on the events tables (migrations/sqlite/0008_events.sql). */
export class EventQueries {
  private readonly insertEvent: Stmt;
  private readonly byId: Stmt;
  private readonly waitsByKey: Stmt;
  private readonly waitsAny: Stmt;
  private readonly waitsOfRun: Stmt;
  private readonly runById: Stmt;
  private readonly row: Stmt;
  private readonly deliver: Stmt;
  private readonly delivered: Stmt;
  private readonly setRow: Stmt;
  private readonly wake: Stmt;
  private readonly dropWaits: Stmt;
  private readonly addWait: Stmt;
  private readonly earlyKeyed: Stmt;
  private readonly earlyAny: Stmt;
  private readonly earlyRun: Stmt;
  private readonly consume: Stmt;
  private readonly waitsOfDeleted: Stmt;
  private readonly expired: Stmt;
  private readonly consumed: Stmt;
  private readonly removeEvent: Stmt;
  private readonly removeDeliveries: Stmt;

  constructor(db: SqliteDb) {
    this.insertEvent = db.prepare(`INSERT INTO events (id, name, match_key, run_id, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO NOTHING`);
    this.consume = db.prepare(`UPDATE events SET consumed_at = ? WHERE id = ? AND run_id = ?`);
    this.waitsOfDeleted = db.prepare(`DELETE FROM event_waits WHERE run_id = ?`);
    // Retention (migration 0014): candidates through events_expiry and events_consumed, never a scan.
    this.expired = db.prepare(`SELECT id, name FROM events WHERE expires_at < ? ORDER BY expires_at LIMIT ?`);
    this.consumed = db.prepare(`SELECT id, name FROM events WHERE consumed_at < ? ORDER BY consumed_at LIMIT ?`);
    this.removeEvent = db.prepare(`DELETE FROM events WHERE id = ?`);
    this.removeDeliveries = db.prepare(`DELETE FROM event_deliveries WHERE event_id = ?`);
    this.byId = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`);
    this.waitsByKey = db.prepare(`SELECT run_id AS runId, path FROM event_waits WHERE name = ? AND match_key = ?
      UNION SELECT run_id, path FROM event_waits WHERE name = ? AND match_key IS NULL ORDER BY 1, 2`);
    this.waitsAny = db.prepare(`SELECT run_id AS runId, path FROM event_waits WHERE name = ? AND match_key IS NULL ORDER BY 1, 2`);
    this.waitsOfRun = db.prepare(`SELECT run_id AS runId, path FROM event_waits WHERE run_id = ? AND name = ? ORDER BY 2`);
    this.runById = db.prepare(`SELECT rk, workflow_id AS workflowId, status, lease_epoch AS epoch FROM runs WHERE id = ?`);
    this.row = db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM journal WHERE run_key = ? AND path = ?`);
    this.deliver = db.prepare(`INSERT INTO event_deliveries (event_id, run_id, path, delivered_at) VALUES (?, ?, ?, ?)`);
    this.delivered = db.prepare(`SELECT 1 FROM event_deliveries WHERE event_id = ? AND run_id = ?`).pluck();
    this.setRow = db.prepare(`UPDATE journal SET status = 'resumed', meta = ? WHERE run_key = ? AND path = ?`);
    this.wake = db.prepare(`UPDATE runs SET
        status = CASE WHEN status IN ('running', 'waiting') THEN 'pending' ELSE status END,
        owner = CASE WHEN status IN ('running', 'waiting') THEN NULL ELSE owner END,
        lease_expires_at = CASE WHEN status IN ('running', 'waiting') THEN NULL ELSE lease_expires_at END,
        lease_epoch = CASE WHEN status IN ('running', 'waiting') THEN lease_epoch + 1 ELSE lease_epoch END,
        wake_at = NULL, updated_at = ?
      WHERE rk = ?`);
    this.dropWaits = db.prepare(`DELETE FROM event_waits WHERE run_id = ? AND path = ?`);
    this.addWait = db.prepare(`INSERT OR REPLACE INTO event_waits (run_id, path, name, match_key, created_at) VALUES (?, ?, ?, ?, ?)`);
    const notDelivered = `NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id AND d.run_id = ?)`;
    this.earlyKeyed = db.prepare(`SELECT ${EVENT_COLUMNS}, seq FROM events e
      WHERE run_id IS NULL AND name = ? AND match_key = ? AND created_at >= ? AND ${notDelivered} ORDER BY created_at, seq LIMIT 1`);
    this.earlyAny = db.prepare(`SELECT ${EVENT_COLUMNS}, seq FROM events e
      WHERE run_id IS NULL AND name = ? AND created_at >= ? AND ${notDelivered} ORDER BY created_at, seq LIMIT 1`);
    this.earlyRun = db.prepare(`SELECT ${EVENT_COLUMNS}, seq FROM events e
      WHERE run_id = ? AND name = ? AND created_at >= ? AND ${notDelivered} ORDER BY created_at, seq LIMIT 1`);
  }

  insert(e: StoredEvent, expiresAt: number): boolean {
    return this.insertEvent.run(e.id, e.name, e.key, e.runId, e.data, e.createdAt, expiresAt).changes > 0;
  }

  load(id: string): StoredEvent | null {
    return (this.byId.get(id) as StoredEvent | undefined) ?? null;
  }

  /** The waits an event may end, in (run, path) order. */
  waitsFor(e: StoredEvent): { runId: string; path: string }[] {
    if (e.runId !== null) return this.waitsOfRun.all(e.runId, e.name) as { runId: string; path: string }[];
    return (e.key === null ? this.waitsAny.all(e.name) : this.waitsByKey.all(e.name, e.key, e.name)) as { runId: string; path: string }[];
  }

  run(runId: string): WaitingRun | undefined {
    return this.runById.get(runId) as WaitingRun | undefined;
  }

  journalRow(rk: number, path: string): JournalEntry | undefined {
    return this.row.get(rk, path) as JournalEntry | undefined;
  }

  wasDelivered(eventId: string, runId: string): boolean {
    return this.delivered.get(eventId, runId) !== undefined;
  }

  /** Records the delivery and the row's new meta, and wakes the run up (see event-rules: wakesUp). */
  markDelivered(e: StoredEvent, runId: string, rk: number, path: string, meta: string, now: number, wake: boolean): void {
    this.recordDelivery(e, runId, path, now);
    this.setRow.run(meta, rk, path);
    if (wake) this.wake.run(now, rk);
  }

  /** Records a delivery; an event sent to this run is consumed by it (retention may delete it). */
  recordDelivery(e: StoredEvent, runId: string, path: string, now: number): void {
    this.deliver.run(e.id, runId, path, now);
    if (e.runId === runId) this.consume.run(now, e.id, runId);
  }

  /** The waits of a run being deleted. */
  dropRunWaits(runId: string): void {
    this.waitsOfDeleted.run(runId);
  }

  /** One retention batch (see EventPruneRequest); runs inside the caller's transaction. */
  prune(req: EventPruneRequest): number {
    const chosen = new Map<string, string>();
    for (const r of [...this.expired.all(req.now, req.limit), ...this.consumed.all(req.consumedBefore, req.limit)] as { id: string; name: string }[]) {
      if (chosen.size < req.limit) chosen.set(r.id, r.name);
    }
    let n = 0;
    for (const [id, name] of chosen) {
      for (const doomed of [id, tokenRecordOf({ id, name })]) {
        if (doomed === null || this.removeEvent.run(doomed).changes === 0) continue;
        this.removeDeliveries.run(doomed);
        n++;
      }
    }
    return n;
  }

  dropWait(runId: string, path: string): void {
    this.dropWaits.run(runId, path);
  }

  addWaits(runId: string, path: string, names: string[], key: string | null, now: number): void {
    for (const n of names) this.addWait.run(runId, path, n, key, now);
  }

  /** The earliest event sent since `since` this wait takes and this run did not get yet. */
  early(runId: string, names: string[], key: string | null, since: number): StoredEvent | null {
    let best: (StoredEvent & { seq: number }) | null = null;
    const pick = (e: unknown) => {
      const c = e as (StoredEvent & { seq: number }) | undefined;
      if (c && (!best || c.createdAt < best.createdAt || (c.createdAt === best.createdAt && c.seq < best.seq))) best = c;
    };
    for (const n of names) {
      pick(this.earlyRun.get(runId, n, since, runId));
      pick(key === null ? this.earlyAny.get(n, since, runId) : this.earlyKeyed.get(n, key, since, runId));
    }
    if (!best) return null;
    const { seq: _seq, ...event } = best as StoredEvent & { seq: number };
    return event;
  }
}
