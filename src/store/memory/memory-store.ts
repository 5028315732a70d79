import type {
  ChildWaitRequest,
  ChildWaitResult,
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
import { isStreamOp, runIdOf } from '../types.js';
import { applyRunPatch, isClaimable, normalisePage } from '../shared/run-rules.js';
import { expandHistory } from '../shared/blob-rows.js';
import { admitSync, type AdmitOutcome, type FlowAdmission } from '../shared/flow-rules.js';
import { createRunsSettled, writeSettled } from '../shared/isolate.js';
import { checkEventPrune, checkSendEvent, checkWait } from '../shared/event-rules.js';
import { checkAdmission, checkClaim, checkInt, checkListFilter, checkNewRun, checkPrune, checkRevise, checkScan, checkText, checkWriteOp } from '../shared/validate.js';
import { claimRuns, claimUnreleased, expireOwner, listOwners, nextWakeAt, renewLeases, takeClaim } from './claims.js';
import { flowOps } from './flow-admission.js';
import { blobSource, journalOf, MemoryRuns, type MemoryRun } from './memory-runs.js';
import { cancelRun, resumeRun, retryRun, reviseRun } from './run-commands.js';

/**
 * An in-process store: the default for workflows used without a Weft, and for tests. It keeps the same
 * semantics as the durable stores (epochs, leases, claims) but nothing survives the process.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly data = new MemoryRuns();
  private readonly schedules = new Map<string, ScheduleRecord>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    // The same rules as the durable stores, so a run accepted here is accepted everywhere.
    checkNewRun(run);
    return this.data.createOne(run);
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
    return this.data.eventBook.send(req);
  }

  async registerWait(req: WaitRequest): Promise<WaitResult> {
    checkWait(req);
    return this.data.eventBook.wait(req);
  }

  async loadEvent(id: string): Promise<StoredEvent | null> {
    return this.data.eventBook.load(id);
  }

  async pruneEvents(req: EventPruneRequest): Promise<number> {
    checkEventPrune(req);
    return this.data.eventBook.prune(req);
  }

  async admitRun(req: FlowAdmission): Promise<AdmitOutcome> {
    checkAdmission(req);
    return admitSync(flowOps(this.data), req, req.run.now);
  }

  async loadRun(runId: string): Promise<RunRecord | null> {
    const r = this.data.runs.get(runId);
    return r ? { ...r.record } : null;
  }

  async loadJournal(runId: string): Promise<JournalEntry[]> {
    const r = this.data.runs.get(runId);
    return r ? journalOf(r) : [];
  }

  async scanRuns(opts: ScanRunsOptions): Promise<RunHead[]> {
    checkScan(opts);
    const statuses = new Set<string>(opts.statuses);
    const workflows = opts.workflowIds ? new Set(opts.workflowIds) : null;
    const out: RunHead[] = [];
    for (const { record: rec } of this.data.runs.values()) {
      if (!statuses.has(rec.status) || (workflows && !workflows.has(rec.workflowId))) continue;
      if (opts.after !== null && !(rec.runId > opts.after)) continue;
      out.push({ runId: rec.runId, workflowId: rec.workflowId, status: rec.status, fingerprint: rec.fingerprint });
    }
    return out.sort((a, b) => (a.runId < b.runId ? -1 : 1)).slice(0, opts.limit);
  }

  async loadJournals(runIds: readonly string[]): Promise<JournalEntry[]> {
    const out: JournalEntry[] = [];
    for (const id of runIds) {
      const r = this.data.runs.get(id);
      if (r) out.push(...journalOf(r));
    }
    return out;
  }

  async listRuns(filter: ListRunsFilter): Promise<ListRunsResult> {
    checkListFilter(filter);
    const { offset, perPage } = normalisePage(filter);
    return this.data.index.list(filter, offset, perPage);
  }

  async deleteRun(runId: string): Promise<boolean> {
    const r = this.data.runs.get(runId);
    if (!r) return false;
    this.data.runs.delete(runId);
    this.data.eventBook.dropRunWaits(runId);
    this.data.index.remove(r);
    this.data.held.delete(r);
    this.data.streams.delete(runId);
    this.data.children.deleted(r);
    return true;
  }

  async readStream(runId: string, after: number, limit: number): Promise<StreamRow[]> {
    checkText(runId, 'runId');
    checkInt(after, 'after', 0, Number.MAX_SAFE_INTEGER);
    return this.data.streams.read(runId, after, limit);
  }

  async loadLinks(runId: string): Promise<RunLinks> {
    const r = this.data.runs.get(runId);
    const link = (x: MemoryRun): RunLink => ({ runId: x.record.runId, step: x.rerunOf!.step, createdAt: x.record.createdAt });
    const reruns = [...this.data.runs.values()].filter((x) => x.rerunOf?.runId === runId).map(link);
    reruns.sort((a, b) => b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : -1));
    return { rerunOf: r?.rerunOf ? { ...link(r), runId: r.rerunOf.runId } : null, reruns, ...this.data.children.links(r, runId) };
  }

  async registerChildWait(req: ChildWaitRequest): Promise<ChildWaitResult> {
    return this.data.children.wait(req);
  }

  async pruneRuns(req: PruneRequest): Promise<number> {
    checkPrune(req);
    const victims = [...this.data.runs.values()]
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
    for (const data of this.data.runs.get(runId)?.blobs?.values() ?? []) n += Buffer.byteLength(data);
    return n;
  }

  async write(ops: WriteOp[]): Promise<WriteOutcome> {
    for (const op of ops) checkWriteOp(op);
    const fenced = new Set<string>();
    for (const op of ops) {
      const runId = runIdOf(op);
      const r = this.data.runs.get(runId);
      if (!r || r.record.leaseEpoch !== op.epoch) {
        fenced.add(runId);
        continue;
      }
      if (op.type === 'journal') {
        // Stored as a copy with its stream positions; readers get copies. The map's insertion order is
        // the seq order: re-setting a path keeps its original place.
        const row = this.data.positioned(r.journal.get(op.entry.path), op.entry);
        if (op.entry.blobs) {
          const blobs = (r.blobs ??= new Map());
          for (const b of op.entry.blobs) if (!blobs.has(b.hash)) blobs.set(b.hash, b.data);
          delete row.blobs;
        }
        r.journal.set(op.entry.path, row);
      } else if (isStreamOp(op)) {
        this.data.streams.apply(op, this.data.nextPos);
      } else {
        const before = r.record.status;
        applyRunPatch(r.record, op.patch, op.now);
        this.data.index.refresh(r);
        this.data.noteHeld(r);
        this.data.children.statusChanged(r, before, op.now);
      }
    }
    return { fenced: [...fenced] };
  }

  async writeSettled(ops: WriteOp[]): Promise<WriteOutcome> {
    return writeSettled(ops, (batch) => this.write(batch));
  }

  async claimRun(runId: string, opts: Omit<ClaimOptions, 'limit' | 'workflowIds'>): Promise<ClaimedRun | null> {
    checkClaim(opts);
    const r = this.data.runs.get(runId);
    if (!r || !isClaimable(r.record, opts.now)) return null;
    return takeClaim(this.data, r, opts.owner, opts.leaseMs, opts.now);
  }

  async claimRuns(opts: ClaimOptions): Promise<ClaimedRun[]> {
    checkClaim(opts);
    return claimRuns(this.data, opts);
  }

  async claimUnreleased(opts: ClaimOptions & { runId?: string }): Promise<ClaimedRun[]> {
    checkClaim(opts);
    return claimUnreleased(this.data, opts);
  }

  async renewLeases(owner: string, runIds: string[], leaseMs: number, now: number): Promise<{ lost: string[] }> {
    if (runIds.length > 0) checkClaim({ owner, leaseMs, now });
    return renewLeases(this.data, owner, runIds, leaseMs, now);
  }

  async listOwners(now: number): Promise<string[]> {
    return listOwners(this.data, now);
  }

  async expireOwner(owner: string): Promise<number> {
    return expireOwner(this.data, owner);
  }

  async nextWakeAt(workflowIds: string[]): Promise<number | null> {
    return nextWakeAt(this.data, workflowIds);
  }

  async resumeRun(req: ResumeRequest): Promise<RunRecord> {
    return resumeRun(this.data, req);
  }

  async retryRun(req: RetryRequest): Promise<RunRecord> {
    return retryRun(this.data, req);
  }

  async reviseRun(req: ReviseRequest): Promise<ClaimedRun> {
    checkRevise(req);
    const create = !this.data.runs.get(req.runId) && req.create ? req.create : null;
    if (create) await this.createRun(create);
    return reviseRun(this.data, req, create !== null);
  }

  async loadHistory(runId: string): Promise<JournalGeneration[]> {
    const r = this.data.runs.get(runId);
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
    return cancelRun(this.data, runId, now, hold);
  }
}

export function memoryStore(): Store {
  return new MemoryStore();
}
