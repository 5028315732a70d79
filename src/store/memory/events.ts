import type { EventPruneRequest, JournalEntry, NewRun, RunRecord, SendEventRequest, SendEventResult, StoredEvent, WaitRequest, WaitResult } from '../types.js';
import { deliverable, deliveredMeta, eventExpiry, eventMatches, tokenRecordOf, wakesUp } from '../shared/event-rules.js';

/** What the event book needs from the memory store's runs. */
export interface MemoryRunAccess {
  run(runId: string): { record: RunRecord; journal: Map<string, JournalEntry> } | undefined;
  /** Creates a run unless it exists; returns whether it was created. */
  create(run: NewRun): boolean;
  /** The run's status, owner or epoch changed (the store re-indexes it). */
  changed(runId: string): void;
  /** `entry` with the stream positions it gets when written over `prev` (shared/stream-rules.ts). */
  positioned(prev: JournalEntry | undefined, entry: JournalEntry): JournalEntry;
}

const ANY = '\u0000any';

/**
 * Events, waits and deliveries of the memory store, with the same rules as the SQL stores' tables:
 * waits are found by (name, key), early events by name in send order, deliveries by (event, run).
 */
export class MemoryEvents {
  private readonly events = new Map<string, StoredEvent>();
  private readonly byName = new Map<string, StoredEvent[]>();
  /** name -> key (or ANY) -> "runId\npath" */
  private readonly waits = new Map<string, Map<string, Set<string>>>();
  /** "runId\npath" -> the (name, key) entries registered for it. */
  private readonly waitsOf = new Map<string, { names: string[]; key: string }>();
  /** runId -> its "runId\npath" entries (a deleted run's waits go with it). */
  private readonly waitsOfRun = new Map<string, Set<string>>();
  private readonly deliveries = new Set<string>();
  /** eventId -> the runs it was delivered to (its delivery records go with it when it is pruned). */
  private readonly deliveredTo = new Map<string, Set<string>>();
  /** eventId -> when retention may delete it, and when the run it was sent to took it. */
  private readonly lifetimes = new Map<string, { expiresAt: number; consumedAt: number | null }>();

  constructor(private readonly runs: MemoryRunAccess) {}

  load(id: string): StoredEvent | null {
    const e = this.events.get(id);
    return e ? { ...e } : null;
  }

  send(req: SendEventRequest): SendEventResult {
    const ev = req.event;
    if (this.events.has(ev.id)) return { created: false, delivered: [], started: [] };
    const stored: StoredEvent = { id: ev.id, name: ev.name, key: ev.key, runId: ev.runId, data: ev.data, createdAt: ev.now };
    this.events.set(ev.id, stored);
    this.lifetimes.set(ev.id, { expiresAt: eventExpiry(ev), consumedAt: null });
    let list = this.byName.get(ev.name);
    if (!list) this.byName.set(ev.name, (list = []));
    list.push(stored);

    const started: string[] = [];
    for (const r of req.startRuns ?? []) if (this.runs.create(r)) started.push(r.runId);

    const candidates: string[] = [];
    const byKey = this.waits.get(ev.name);
    if (byKey) {
      const keys = ev.runId !== null ? [...byKey.keys()] : ev.key === null ? [ANY] : [ev.key, ANY];
      for (const k of keys) for (const w of byKey.get(k) ?? []) candidates.push(w);
    }
    const delivered: SendEventResult['delivered'] = [];
    const done = new Set<string>();
    for (const w of candidates.sort()) {
      const [runId, path] = w.split('\n') as [string, string];
      if (ev.runId !== null && runId !== ev.runId) continue;
      if (done.has(runId) || this.deliveries.has(`${ev.id}\n${runId}`)) continue;
      const run = this.runs.run(runId);
      const row = run?.journal.get(path);
      this.dropWait(w);
      if (!run || !deliverable(run.record, row)) continue;
      run.journal.set(path, { ...row!, status: 'resumed', meta: deliveredMeta(row!.meta, stored, ev.now) });
      this.recordDelivery(stored, runId, ev.now);
      done.add(runId);
      const rec = run.record;
      if (wakesUp(rec.status)) {
        rec.status = 'pending';
        rec.owner = null;
        rec.leaseExpiresAt = null;
        rec.leaseEpoch += 1;
      }
      rec.wakeAt = null;
      rec.updatedAt = ev.now;
      this.runs.changed(runId);
      delivered.push({ runId, workflowId: rec.workflowId });
    }
    return { created: true, delivered, started };
  }

  wait(req: WaitRequest): WaitResult {
    const run = this.runs.run(req.runId);
    if (!run || run.record.leaseEpoch !== req.epoch) return { fenced: true };
    const path = req.entry.path;
    const w = `${req.runId}\n${path}`;
    this.dropWait(w);
    let found: StoredEvent | null = null;
    for (const name of req.names) {
      for (const e of this.byName.get(name) ?? []) {
        if (found && e.createdAt >= found.createdAt) break;
        if (eventMatches(e, req) && !this.deliveries.has(`${e.id}\n${req.runId}`)) {
          found = e;
          break;
        }
      }
    }
    if (found) {
      this.recordDelivery(found, req.runId, req.now);
      run.journal.set(path, this.runs.positioned(run.journal.get(path), { ...req.entry, status: 'resumed', meta: deliveredMeta(req.entry.meta, found, req.now) }));
      return { fenced: false, event: { ...found } };
    }
    run.journal.set(path, this.runs.positioned(run.journal.get(path), { ...req.entry }));
    const key = req.key ?? ANY;
    for (const name of req.names) {
      let byKey = this.waits.get(name);
      if (!byKey) this.waits.set(name, (byKey = new Map()));
      let set = byKey.get(key);
      if (!set) byKey.set(key, (set = new Set()));
      set.add(w);
    }
    this.waitsOf.set(w, { names: req.names, key });
    let mine = this.waitsOfRun.get(req.runId);
    if (!mine) this.waitsOfRun.set(req.runId, (mine = new Set()));
    mine.add(w);
    return { fenced: false, event: null };
  }

  /**
   * One retention batch (see EventPruneRequest). The memory store holds little: it walks its events in
   * send order instead of keeping indexes by expiry.
   */
  prune(req: EventPruneRequest): number {
    const chosen: StoredEvent[] = [];
    for (const e of this.events.values()) {
      if (chosen.length >= req.limit) break;
      const l = this.lifetimes.get(e.id)!;
      if (l.expiresAt < req.now || (l.consumedAt !== null && l.consumedAt < req.consumedBefore)) chosen.push(e);
    }
    let n = 0;
    for (const e of chosen) {
      for (const id of [e.id, tokenRecordOf(e)]) if (id !== null && this.remove(id)) n++;
    }
    return n;
  }

  /** The waits of a deleted run. */
  dropRunWaits(runId: string): void {
    for (const w of [...(this.waitsOfRun.get(runId) ?? [])]) this.dropWait(w);
  }

  private remove(id: string): boolean {
    const e = this.events.get(id);
    if (!e) return false;
    this.events.delete(id);
    this.lifetimes.delete(id);
    const list = this.byName.get(e.name);
    const i = list ? list.indexOf(e) : -1;
    if (i >= 0) list!.splice(i, 1);
    if (list && list.length === 0) this.byName.delete(e.name);
    for (const runId of this.deliveredTo.get(id) ?? []) this.deliveries.delete(`${id}\n${runId}`);
    this.deliveredTo.delete(id);
    return true;
  }

  private recordDelivery(e: StoredEvent, runId: string, now: number): void {
    this.deliveries.add(`${e.id}\n${runId}`);
    let set = this.deliveredTo.get(e.id);
    if (!set) this.deliveredTo.set(e.id, (set = new Set()));
    set.add(runId);
    const l = this.lifetimes.get(e.id);
    if (l && e.runId === runId) l.consumedAt = now;
  }

  private dropWait(w: string): void {
    const reg = this.waitsOf.get(w);
    if (!reg) return;
    this.waitsOf.delete(w);
    const runId = w.slice(0, w.indexOf('\n'));
    const mine = this.waitsOfRun.get(runId);
    mine?.delete(w);
    if (mine?.size === 0) this.waitsOfRun.delete(runId);
    for (const name of reg.names) this.waits.get(name)?.get(reg.key)?.delete(w);
  }
}
