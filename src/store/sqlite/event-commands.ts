import type { ChildWaitRequest, ChildWaitResult, RunStatus, SendEventRequest, SendEventResult, StoredEvent, WaitRequest, WaitResult } from '../types.js';
import { childSettled } from '../shared/child-rules.js';
import { deliverable, deliveredMeta, eventExpiry, wakesUp } from '../shared/event-rules.js';
import { createOne, type Connection } from './connection.js';

/**
 * The SQLite store's event and wait transactions, each run inside one IMMEDIATE transaction by the
 * store (see SqliteStore.tx): an event's send and its deliveries, a run's wait for events, and a parent
 * run's wait for its child.
 */

/** Stores the event unless its id exists, starts the runs it starts and delivers it to the waiting runs. */
export function sendEventTx(c: Connection, req: SendEventRequest): SendEventResult {
  const ev = req.event;
  const stored: StoredEvent = { id: ev.id, name: ev.name, key: ev.key, runId: ev.runId, data: ev.data, createdAt: ev.now };
  if (!c.events.insert(stored, eventExpiry(ev))) return { created: false, delivered: [], started: [] };
  const started: string[] = [];
  for (const r of req.startRuns ?? []) if (createOne(c.runs, c.keys, r).created) started.push(r.runId);
  const delivered: SendEventResult['delivered'] = [];
  const done = new Set<string>();
  for (const w of c.events.waitsFor(stored)) {
    if (done.has(w.runId) || c.events.wasDelivered(stored.id, w.runId)) continue;
    const run = c.events.run(w.runId);
    const row = run ? c.events.journalRow(run.rk, w.path) : undefined;
    c.events.dropWait(w.runId, w.path);
    if (!run || !deliverable({ status: run.status as RunStatus }, row)) continue;
    c.events.markDelivered(stored, w.runId, run.rk, w.path, deliveredMeta(row!.meta, stored, ev.now), ev.now, wakesUp(run.status as RunStatus));
    c.keys.forget(w.runId);
    done.add(w.runId);
    delivered.push({ runId: w.runId, workflowId: run.workflowId });
  }
  return { created: true, delivered, started };
}

/** Registers the wait, or delivers an event stored earlier that it matches (fenced by the run's epoch). */
export function registerWaitTx(c: Connection, req: WaitRequest): WaitResult {
  const run = c.events.run(req.runId);
  if (!run || run.epoch !== req.epoch) return { fenced: true };
  const path = req.entry.path;
  c.events.dropWait(req.runId, path);
  const early = c.events.early(req.runId, req.names, req.key, req.since);
  if (early) {
    c.events.recordDelivery(early, req.runId, path, req.now);
    c.journal.upsert(run.rk, { ...req.entry, status: 'resumed', meta: deliveredMeta(req.entry.meta, early, req.now) });
    return { fenced: false, event: early };
  }
  c.journal.upsert(run.rk, req.entry);
  c.events.addWaits(req.runId, path, req.names, req.key, req.now);
  return { fenced: false, event: null };
}

/** The parent's wait row is written only while the child is unsettled (fenced by the parent's epoch). */
export function registerChildWaitTx(c: Connection, req: ChildWaitRequest): ChildWaitResult {
  const run = c.events.run(req.runId);
  if (!run || run.epoch !== req.epoch) return { fenced: true };
  const child = c.runs.get(req.childRunId) ?? null;
  if (!child || childSettled(child.status)) return { fenced: false, waiting: false, child };
  c.journal.upsert(run.rk, req.entry);
  return { fenced: false, waiting: true, child };
}
