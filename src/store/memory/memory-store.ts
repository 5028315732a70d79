import type {
  ClaimOptions,
  ClaimedRun,
  HoldRequest,
  JournalEntry,
  ListRunsFilter,
  ListRunsResult,
  NewRun,
  JournalGeneration,
  PruneRequest,
  EventPruneRequest,
  RunLink,
  RunLinks,
  ResumeRequest,
  RetryRequest,
  ReviseRequest,
  RunPatch,
  RunHead,
  RunRecord,
  ScanRunsOptions,
  ScheduleRecord,
  SendEventRequest,
  SendEventResult,
  SettledCreate,
  StoredEvent,
  WaitRequest,
  WaitResult,
  Store,
  WriteOp,
  WriteOutcome,
  StreamRow,
} from '../types.js';
import { isStreamOp, isTerminal, runIdOf } from '../types.js';
import { applyRunPatch, insertedRecord, isClaimable, isUnreleased, normalisePage } from '../shared/run-rules.js';
import { isSettled } from '../../domain/run-status.js';
import { checkResumable, checkRetryable, checkRevisable, checkSuspendedRow, resumedMeta, resumedPaths } from '../shared/resume-rules.js';
import { RunNotFoundError } from '../../errors.js';
import type { BlobSource } from '../../domain/value-codec.js';
import { expandHistory, expandRows, rowsNeedBlobs } from '../shared/blob-rows.js';
import { RunIndex, type IndexedRun } from './run-index.js';
import { FlowBook } from './flow-book.js';
import { admitSync, appendItem, type AdmitOutcome, type FlowAdmission, type FlowOps } from '../shared/flow-rules.js';
import { claimsBefore } from './run-queue.js';
import { createRunsSettled, writeSettled } from '../shared/isolate.js';
import { MemoryEvents } from './events.js';
import { MemoryStreams } from './streams.js';
import { rowPositions } from '../shared/stream-rules.js';
import { checkEventPrune, checkSendEvent, checkWait } from '../shared/event-rules.js';
import { checkAdmission, checkClaim, checkInt, checkListFilter, checkNewRun, checkPrune, checkRevise, checkScan, checkText, checkWriteOp } from '../shared/validate.js';

interface MemoryRun extends IndexedRun {
  record: RunRecord;
  journal: Map<string, JournalEntry>;
  history?: JournalGeneration[];
  rerunOf?: { runId: string; step: string };
  /** The run's blobs by hash (values stored by reference, domain/value-codec.ts). */
  blobs?: Map<string, string>;
}

/**
 * An in-process store: the default for workflows used without a Weft, and for tests. It keeps the same
 * semantics as the durable stores (epochs, leases, claims) but nothing survives the process.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly runs = new Map<string, MemoryRun>();
  private readonly index = new RunIndex<MemoryRun>();
  private readonly schedules = new Map<string, ScheduleRecord>();
  /** Settled runs still owned (their lifecycle callbacks are not recorded yet): few, so kept apart. */
  private readonly held = new Set<MemoryRun>();
  private readonly eventBook = new MemoryEvents({
    run: (id) => this.runs.get(id),
    positioned: (prev, entry) => this.positioned(prev, entry),
    create: (run) => this.createOne(run).created,
    changed: (id) => {
      const r = this.runs.get(id);
      if (!r) return;
      this.index.refresh(r);
      this.noteHeld(r);
    },
  });
  private readonly flow = new FlowBook();
  private readonly streams = new MemoryStreams();
  /** The stream position last handed out (journal rows and chunks share it). */
  private streamPos = 0;
  private readonly nextPos = (): number => ++this.streamPos;

  /** Call after anything that may have changed a run's owner or status. */
  private noteHeld(r: MemoryRun): void {
    if (r.record.owner !== null && isSettled(r.record.status) && !r.gone) this.held.add(r);
    else this.held.delete(r);
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    // The same rules as the durable stores, so a run accepted here is accepted everywhere.
    checkNewRun(run);
    return this.createOne(run);
  }

  private createOne(run: NewRun): { created: boolean; run: RunRecord } {
    const existing = this.runs.get(run.runId);
    if (existing) return { created: false, run: { ...existing.record } };
    const record = insertedRecord(run);
    const r: MemoryRun = { record, journal: new Map() };
    if (run.labels) r.labels = new Set(JSON.parse(run.labels) as string[]);
    if (run.rerunOf) r.rerunOf = { ...run.rerunOf };
    this.runs.set(run.runId, r);
    this.index.add(r);
    return { created: true, run: { ...record } };
  }

  async createRuns(runs: NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    // All or nothing, like a transaction: checked before the first insert.
    for (const r of runs) checkNewRun(r);
    const out: { created: boolean; run: RunRecord }[] = [];
    for (const r of runs) out.push(await this.createRun(r));
    return out;
  }

  async createRunsSettled(runs: NewRun[]): Promise<SettledCreate[]> {
    return createRunsSettled(runs, (rs) => this.createRuns(rs));
  }

  async sendEvent(req: SendEventRequest): Promise<SendEventResult> {
    checkSendEvent(req);
    return this.eventBook.send(req);
  }

  async registerWait(req: WaitRequest): Promise<WaitResult> {
    checkWait(req);
    return this.eventBook.wait(req);
  }

  async loadEvent(id: string): Promise<StoredEvent | null> {
    return this.eventBook.load(id);
  }

  async pruneEvents(req: EventPruneRequest): Promise<number> {
    checkEventPrune(req);
    return this.eventBook.prune(req);
  }

  async admitRun(req: FlowAdmission): Promise<AdmitOutcome> {
    checkAdmission(req);
    const book = this.flow;
    const ops: FlowOps = {
      run: (id) => {
        const r = this.runs.get(id);
        return r ? { ...r.record } : null;
      },
      key: (wf, kind, key) => book.key(wf, kind, key),
      putKey: (row) => book.putKey(row),
      dropKey: (wf, kind, key) => book.dropKey(wf, kind, key),
      insertRun: (run, shape) => {
        const record = { ...insertedRecord(run), status: shape.status, wakeAt: shape.wakeAt, statusReason: shape.statusReason };
        const r: MemoryRun = { record, journal: new Map() };
        this.runs.set(run.runId, r);
        this.index.add(r);
        return { ...record };
      },
      mergeInput: (id, mode, item, wakeAt, now) => {
        const r = this.runs.get(id);
        if (!r || r.record.status !== 'waiting' || r.record.owner !== null) return null;
        const rec = r.record;
        rec.input = mode === 'replace' ? item : appendItem(rec.input, item);
        if (wakeAt !== null) rec.wakeAt = wakeAt;
        rec.updatedAt = now;
        this.index.refresh(r);
        return { ...rec };
      },
      cancel: (id, reason, now) => {
        const r = this.runs.get(id);
        if (!r || isTerminal(r.record.status)) return false;
        Object.assign(r.record, { status: 'canceled', owner: null, leaseExpiresAt: null, wakeAt: null, statusReason: reason, updatedAt: now });
        r.record.leaseEpoch += 1;
        this.index.refresh(r);
        this.noteHeld(r);
        return true;
      },
      countStarts: (wf, key, since) => book.countStarts(wf, key, since),
      addFlowRun: (id, wf, key, at) => book.addFlowRun(id, wf, key, at),
      pruneStarts: (wf, key, before) => book.pruneStarts(wf, key, before),
    };
    return admitSync(ops, req, req.run.now);
  }

  async loadRun(runId: string): Promise<RunRecord | null> {
    const r = this.runs.get(runId);
    return r ? { ...r.record } : null;
  }

  async loadJournal(runId: string): Promise<JournalEntry[]> {
    const r = this.runs.get(runId);
    return r ? journalOf(r) : [];
  }

  async scanRuns(opts: ScanRunsOptions): Promise<RunHead[]> {
    checkScan(opts);
    const statuses = new Set<string>(opts.statuses);
    const workflows = opts.workflowIds ? new Set(opts.workflowIds) : null;
    const out: RunHead[] = [];
    for (const { record: rec } of this.runs.values()) {
      if (!statuses.has(rec.status) || (workflows && !workflows.has(rec.workflowId))) continue;
      if (opts.after !== null && !(rec.runId > opts.after)) continue;
      out.push({ runId: rec.runId, workflowId: rec.workflowId, status: rec.status, fingerprint: rec.fingerprint });
    }
    return out.sort((a, b) => (a.runId < b.runId ? -1 : 1)).slice(0, opts.limit);
  }

  async loadJournals(runIds: readonly string[]): Promise<JournalEntry[]> {
    const out: JournalEntry[] = [];
    for (const id of runIds) {
      const r = this.runs.get(id);
      if (r) out.push(...journalOf(r));
    }
    return out;
  }

  async listRuns(filter: ListRunsFilter): Promise<ListRunsResult> {
    checkListFilter(filter);
    const { offset, perPage } = normalisePage(filter);
    return this.index.list(filter, offset, perPage);
  }

  async deleteRun(runId: string): Promise<boolean> {
    const r = this.runs.get(runId);
    if (!r) return false;
    this.runs.delete(runId);
    this.eventBook.dropRunWaits(runId);
    this.index.remove(r);
    this.held.delete(r);
    this.streams.delete(runId);
    return true;
  }

  /** A copy of `entry` with its stream positions (a new one taken when the write is a new event). */
  private positioned(prev: JournalEntry | undefined, entry: JournalEntry): JournalEntry {
    const row = { ...entry, ...rowPositions(prev, entry, this.streamPos + 1) };
    if (row.pos === this.streamPos + 1) this.streamPos++;
    return row;
  }

  async readStream(runId: string, after: number, limit: number): Promise<StreamRow[]> {
    checkText(runId, 'runId');
    checkInt(after, 'after', 0, Number.MAX_SAFE_INTEGER);
    return this.streams.read(runId, after, limit);
  }

  async loadLinks(runId: string): Promise<RunLinks> {
    const r = this.runs.get(runId);
    const link = (x: MemoryRun): RunLink => ({ runId: x.record.runId, step: x.rerunOf!.step, createdAt: x.record.createdAt });
    const reruns = [...this.runs.values()].filter((x) => x.rerunOf?.runId === runId).map(link);
    reruns.sort((a, b) => b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : -1));
    return { rerunOf: r?.rerunOf ? { ...link(r), runId: r.rerunOf.runId } : null, reruns };
  }

  async pruneRuns(req: PruneRequest): Promise<number> {
    checkPrune(req);
    const victims = [...this.runs.values()]
      .filter((x) => x.record.workflowId === req.workflowId && x.record.status === req.status && x.record.updatedAt < req.before && x.record.owner === null)
      .sort((a, b) => a.record.createdAt - b.record.createdAt)
      .slice(0, req.limit);
    // Another pass may have taken some meanwhile: only the runs this one deleted count.
    let n = 0;
    for (const v of victims) if (await this.deleteRun(v.record.runId)) n++;
    return n;
  }

  async blobBytes(runId: string): Promise<number> {
    let n = 0;
    for (const data of this.runs.get(runId)?.blobs?.values() ?? []) n += Buffer.byteLength(data);
    return n;
  }

  async write(ops: WriteOp[]): Promise<WriteOutcome> {
    for (const op of ops) checkWriteOp(op);
    const fenced = new Set<string>();
    for (const op of ops) {
      const runId = runIdOf(op);
      const r = this.runs.get(runId);
      if (!r || r.record.leaseEpoch !== op.epoch) {
        fenced.add(runId);
        continue;
      }
      if (op.type === 'journal') {
        // Stored as a copy with its stream positions; readers get copies. The map's insertion order is
        // the seq order: re-setting a path keeps its original place.
        const row = this.positioned(r.journal.get(op.entry.path), op.entry);
        if (op.entry.blobs) {
          const blobs = (r.blobs ??= new Map());
          for (const b of op.entry.blobs) if (!blobs.has(b.hash)) blobs.set(b.hash, b.data);
          delete row.blobs;
        }
        r.journal.set(op.entry.path, row);
      } else if (isStreamOp(op)) {
        this.streams.apply(op, this.nextPos);
      } else {
        applyRunPatch(r.record, op.patch, op.now);
        this.index.refresh(r);
        this.noteHeld(r);
      }
    }
    return { fenced: [...fenced] };
  }

  async writeSettled(ops: WriteOp[]): Promise<WriteOutcome> {
    return writeSettled(ops, (batch) => this.write(batch));
  }

  async claimRun(runId: string, opts: Omit<ClaimOptions, 'limit' | 'workflowIds'>): Promise<ClaimedRun | null> {
    checkClaim(opts);
    const r = this.runs.get(runId);
    if (!r || !isClaimable(r.record, opts.now)) return null;
    return this.takeClaim(r, opts.owner, opts.leaseMs, opts.now);
  }

  async claimRuns(opts: ClaimOptions): Promise<ClaimedRun[]> {
    checkClaim(opts);
    const wanted = new Set(opts.workflowIds);
    const isWanted = (r: MemoryRun): boolean => wanted.has(r.record.workflowId);
    // Expired leases and due timers, among the few started runs; pending runs come from the queue.
    const started = [...this.index.startedRuns()].filter((r) => isWanted(r) && isClaimable(r.record, opts.now));
    started.sort((a, b) => (claimsBefore(a.record, b.record) ? -1 : 1));
    // Concurrency limits: free slots per (workflow, key) = limit - runs holding a live lease.
    const limits = opts.limits ?? {};
    const slots = new Map<string, number>();
    const slotKey = (rec: RunRecord) => `${rec.workflowId}\u0000${rec.concurrencyKey ?? '\u0001'}`;
    if (Object.keys(limits).length) {
      for (const r of this.index.startedRuns()) {
        const rec = r.record;
        const max = limits[rec.workflowId];
        if (max === undefined) continue;
        const k = slotKey(rec);
        const live = rec.status === 'running' && rec.owner !== null && (rec.leaseExpiresAt ?? 0) > opts.now ? 1 : 0;
        slots.set(k, (slots.get(k) ?? max) - live);
      }
    }
    const throttles = opts.throttles ?? {};
    const throttled = new Map<string, number>();
    const out: ClaimedRun[] = [];
    const passed: MemoryRun[] = [];
    let i = 0;
    let pending = this.index.nextPending(isWanted, passed);
    // Synchronous from candidate selection to the last claim: an await in between would let a concurrent
    // claimRuns take the same candidates.
    while (out.length < opts.limit) {
      const other = started[i];
      const fromQueue = pending !== undefined && (other === undefined || claimsBefore(pending.record, other.record));
      const r = fromQueue ? pending : other;
      if (r === undefined) break;
      if (fromQueue) pending = this.index.nextPending(isWanted, passed);
      else i++;
      // Throttle first, then the concurrency limit; a run is taken only when both have room.
      const wf = r.record.workflowId;
      const t = throttles[wf];
      const first = t ? this.flow.throttleOf(r.record.runId) : null;
      const tGroup = first && !first.started ? `${wf}\u0000${first.key}` : null;
      let used = 0;
      if (t && first && tGroup !== null) {
        used = throttled.get(tGroup) ?? -1;
        if (used < 0) {
          this.flow.pruneStarts(wf, first.key, opts.now - t.periodMs);
          used = this.flow.countStarts(wf, first.key, opts.now - t.periodMs);
        }
        throttled.set(tGroup, used);
      }
      const k = limits[wf] !== undefined ? slotKey(r.record) : null;
      const left = k === null ? 1 : (slots.get(k) ?? limits[wf] ?? 0);
      if ((t && tGroup !== null && used >= t.limit) || left <= 0) {
        if (fromQueue) passed.push(r);
        continue;
      }
      if (k !== null) slots.set(k, left - 1);
      if (tGroup !== null && first) {
        throttled.set(tGroup, used + 1);
        this.flow.started(r.record.runId, wf, first.key, opts.now);
      }
      out.push(this.takeClaim(r, opts.owner, opts.leaseMs, opts.now));
    }
    if (pending) passed.push(pending);
    this.index.requeue(passed);
    return out;
  }

  async claimUnreleased(opts: ClaimOptions & { runId?: string }): Promise<ClaimedRun[]> {
    checkClaim(opts);
    const wanted = new Set(opts.workflowIds);
    const out: ClaimedRun[] = [];
    for (const r of this.held) {
      if (out.length >= opts.limit) break;
      const rec = r.record;
      if (!wanted.has(rec.workflowId) || !isUnreleased(rec, opts.now)) continue;
      if (opts.runId !== undefined && rec.runId !== opts.runId) continue;
      // The status stays: the outcome is final, only the work after it is taken over.
      rec.owner = opts.owner;
      rec.leaseEpoch += 1;
      rec.leaseExpiresAt = opts.now + opts.leaseMs;
      rec.updatedAt = opts.now;
      out.push({ run: { ...rec }, journal: journalOf(r) });
    }
    return out;
  }

  private takeClaim(r: MemoryRun, owner: string, leaseMs: number, now: number): ClaimedRun {
    const rec = r.record;
    rec.status = 'running';
    rec.owner = owner;
    rec.leaseEpoch += 1;
    rec.leaseExpiresAt = now + leaseMs;
    rec.wakeAt = null;
    rec.updatedAt = now;
    this.index.refresh(r);
    this.noteHeld(r);
    return { run: { ...rec }, journal: journalOf(r) };
  }

  async renewLeases(owner: string, runIds: string[], leaseMs: number, now: number): Promise<{ lost: string[] }> {
    if (runIds.length > 0) checkClaim({ owner, leaseMs, now });
    const lost: string[] = [];
    for (const id of runIds) {
      const r = this.runs.get(id);
      // Running runs, and settled ones held for their lifecycle callbacks.
      if (!r || r.record.owner !== owner || !(r.record.status === 'running' || isSettled(r.record.status))) lost.push(id);
      else r.record.leaseExpiresAt = now + leaseMs;
    }
    return { lost };
  }

  async listOwners(now: number): Promise<string[]> {
    const owners = new Set<string>();
    for (const r of this.index.startedRuns()) {
      const rec = r.record;
      if (rec.owner && rec.status === 'running' && (rec.leaseExpiresAt ?? 0) > now) owners.add(rec.owner);
    }
    return [...owners];
  }

  async expireOwner(owner: string): Promise<number> {
    let n = 0;
    for (const r of this.index.startedRuns()) {
      if (r.record.owner === owner && r.record.status === 'running') {
        r.record.leaseExpiresAt = 0;
        n++;
      }
    }
    return n;
  }

  async nextWakeAt(workflowIds: string[]): Promise<number | null> {
    const wanted = new Set(workflowIds);
    let min: number | null = null;
    for (const r of this.index.startedRuns()) {
      const rec = r.record;
      if (rec.status === 'waiting' && rec.wakeAt !== null && wanted.has(rec.workflowId)) {
        if (min === null || rec.wakeAt < min) min = rec.wakeAt;
      }
    }
    return min;
  }

  async resumeRun(req: ResumeRequest): Promise<RunRecord> {
    const r = this.runs.get(req.runId);
    const paths = resumedPaths(req);
    for (const p of paths) checkText(p, 'path');
    checkText(req.resumeData, 'resumeData');
    checkText(req.requestContext, 'requestContext');
    checkText(req.owner, 'owner');
    checkResumable(req.runId, r?.record);
    const rec = r.record;
    const rows = paths.map((p) => {
      const row = r.journal.get(p);
      checkSuspendedRow(req.runId, p, row);
      return row;
    });
    for (const row of rows) r.journal.set(row.path, { ...row, status: 'resumed', meta: resumedMeta(row.meta, req.resumeData) });
    rec.status = req.owner ? 'running' : 'pending';
    rec.owner = req.owner;
    rec.leaseExpiresAt = req.owner ? req.leaseExpiresAt : null;
    rec.leaseEpoch += 1;
    if (req.requestContext !== null) rec.requestContext = req.requestContext;
    rec.updatedAt = req.now;
    this.index.refresh(r);
    this.noteHeld(r);
    return { ...rec };
  }

  async retryRun(req: RetryRequest): Promise<RunRecord> {
    const r = this.runs.get(req.runId);
    checkRetryable(req.runId, r?.record);
    const rec = r.record;
    for (const [path, e] of r.journal) if (e.status === 'failed') r.journal.delete(path);
    rec.status = req.owner ? 'running' : 'pending';
    rec.error = null;
    rec.result = null;
    rec.owner = req.owner;
    rec.leaseExpiresAt = req.owner ? req.leaseExpiresAt : null;
    rec.leaseEpoch += 1;
    rec.updatedAt = req.now;
    this.index.refresh(r);
    this.noteHeld(r);
    return { ...rec };
  }

  async reviseRun(req: ReviseRequest): Promise<ClaimedRun> {
    checkRevise(req);
    let r = this.runs.get(req.runId);
    if (!r && req.create) {
      await this.createRun(req.create);
      r = this.runs.get(req.runId)!;
    } else checkRevisable(req, r?.record);
    if (!r) throw new RunNotFoundError(req.runId);
    if (req.journal) {
      // A generation is the journal that was replaced: an empty journal leaves nothing to keep.
      const history = (r.history ??= []);
      if (r.journal.size > 0) history.push({ generation: history.length + 1, reason: req.journal.reason, archivedAt: req.now, rows: journalOf(r) });
      r.journal = new Map(req.journal.rows.map((e) => [e.path, this.positioned(undefined, e)]));
    }
    const rec = r.record;
    const p = req.patch;
    if ('input' in p) rec.input = p.input ?? null;
    if ('state' in p) rec.state = p.state ?? null;
    if ('requestContext' in p) rec.requestContext = p.requestContext ?? null;
    if ('options' in p) rec.options = p.options ?? null;
    rec.status = req.owner ? 'running' : 'pending';
    rec.owner = req.owner;
    rec.leaseExpiresAt = req.owner ? req.leaseExpiresAt : null;
    rec.leaseEpoch += 1;
    rec.result = null;
    rec.error = null;
    rec.wakeAt = null;
    rec.statusReason = null;
    rec.updatedAt = req.now;
    this.index.refresh(r);
    return { run: { ...rec }, journal: journalOf(r) };
  }

  async loadHistory(runId: string): Promise<JournalGeneration[]> {
    const r = this.runs.get(runId);
    return expandHistory((r?.history ?? []).map((g) => ({ ...g, rows: g.rows.map((e) => ({ ...e })) })), blobSource(r));
  }

  async ensureSchedule(workflowId: string, now: number): Promise<ScheduleRecord> {
    checkText(workflowId, 'workflowId');
    let s = this.schedules.get(workflowId);
    if (!s) this.schedules.set(workflowId, (s = { workflowId, paused: false, since: now, lastFireAt: null, updatedAt: now }));
    return { ...s };
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    return [...this.schedules.values()].sort((a, b) => (a.workflowId < b.workflowId ? -1 : 1)).map((s) => ({ ...s }));
  }

  async setSchedulePaused(workflowId: string, paused: boolean, now: number): Promise<ScheduleRecord | null> {
    const s = this.schedules.get(workflowId);
    if (!s) return null;
    if (s.paused && !paused) s.since = now;
    s.paused = paused;
    s.updatedAt = now;
    return { ...s };
  }

  async markScheduleFired(workflowId: string, fireAt: number, now: number): Promise<void> {
    const s = this.schedules.get(workflowId);
    if (!s) return;
    s.lastFireAt = Math.max(s.lastFireAt ?? 0, fireAt);
    s.updatedAt = now;
  }

  async cancelRun(runId: string, now: number, hold?: HoldRequest): Promise<RunRecord | null> {
    if (hold) checkText(hold.owner, 'owner');
    const r = this.runs.get(runId);
    if (!r) return null;
    const rec = r.record;
    if (isTerminal(rec.status)) return { ...rec };
    const patch: RunPatch = { status: 'canceled', release: true, wakeAt: null };
    applyRunPatch(rec, patch, now);
    if (hold) {
      rec.owner = hold.owner;
      rec.leaseExpiresAt = hold.leaseExpiresAt;
    }
    rec.leaseEpoch += 1;
    this.index.refresh(r);
    this.noteHeld(r);
    return { ...rec };
  }
}

function blobSource(r: MemoryRun | undefined): BlobSource {
  return (h) => r?.blobs?.get(h);
}

function journalOf(r: MemoryRun): JournalEntry[] {
  const rows = [...r.journal.values()].map((e, i) => ({ ...e, seq: i + 1 }));
  return r.blobs && rowsNeedBlobs(rows) ? expandRows(rows, blobSource(r)) : rows;
}

export function memoryStore(): Store {
  return new MemoryStore();
}
