import { StoreError } from '../../errors.js';
import type { AdmitOutcome, FlowAdmission } from '../shared/flow-rules.js';
import type {
  ChildWaitRequest,
  ChildWaitResult,
  EventPruneRequest,
  StreamRow,
  ClaimOptions,
  ClaimedRun,
  HoldRequest,
  JournalEntry,
  JournalGeneration,
  ListRunsFilter,
  ListRunsResult,
  NewRun,
  PruneRequest,
  ResumeRequest,
  RetryRequest,
  ReviseRequest,
  RunHead,
  RunLinks,
  RunRecord,
  ScanRunsOptions,
  ScheduleRecord,
  SendEventRequest,
  SendEventResult,
  SettledCreate,
  Store,
  StoreEvent,
  StoredEvent,
  WaitRequest,
  WaitResult,
  WriteOp,
  WriteOutcome,
} from '../types.js';
import { checkSchema, checkSessionSettings } from './connection.js';
import type { PostgresStoreOptions } from './options.js';
import type { PostgresStoreCore } from './store-core.js';

/**
 * The PostgreSQL store, as exported. It checks its options when created and loads its implementation
 * (store-core.ts and the query modules, about fifteen) on its first call, so `import 'weft'` costs a
 * program that never uses PostgreSQL nothing. Every call is the implementation's, unchanged.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  private core: PostgresStoreCore | null = null;
  private loading: Promise<PostgresStoreCore> | null = null;
  private clockSource: (() => number) | null = null;
  /** Closed before anything was loaded: the implementation starts closed too (calls fail until open). */
  private closedEarly = false;

  constructor(private readonly opts: PostgresStoreOptions = {}) {
    this.schema = checkSchema(opts.schema);
    checkSessionSettings(opts);
    const warnMs = opts.clockSkewWarnMs;
    if (warnMs !== undefined && !(typeof warnMs === 'number' && warnMs >= 0)) {
      throw new StoreError('postgresStore: clockSkewWarnMs must be a non-negative number', { code: 'STORE_CONFIG' });
    }
  }

  private impl(): Promise<PostgresStoreCore> {
    if (this.core) return Promise.resolve(this.core);
    this.loading ??= import('./store-core.js').then(async ({ PostgresStoreCore }) => {
      const core = new PostgresStoreCore(this.opts);
      if (this.clockSource) core.setClock(this.clockSource);
      if (this.closedEarly) await core.close();
      this.core = core;
      return core;
    });
    // A failed load (a broken install) is tried again by the next call.
    this.loading.catch(() => (this.loading = null));
    return this.loading;
  }

  private async call<T>(fn: (core: PostgresStoreCore) => Promise<T>): Promise<T> {
    return fn(this.core ?? (await this.impl()));
  }

  /** See PostgresStoreCore.clockOffsetMs: 0 until the store has opened and measured it. */
  get clockOffsetMs(): number {
    return this.core?.clockOffsetMs ?? 0;
  }

  setClock(now: () => number): void {
    this.clockSource = now;
    this.core?.setClock(now);
  }

  /** Measures the clock offset now (it is also measured on open and every minute) and returns it. */
  measureClock(): Promise<number> {
    return this.call((c) => c.measureClock());
  }

  open(): Promise<void> {
    this.closedEarly = false;
    return this.call((c) => c.open());
  }

  async close(): Promise<void> {
    // Nothing was opened while nothing was loaded: remember the close instead of loading to do it.
    if (!this.core && !this.loading) {
      this.closedEarly = true;
      return;
    }
    return this.call((c) => c.close());
  }

  createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    return this.call((c) => c.createRun(run));
  }
  createRuns(runs: NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    return this.call((c) => c.createRuns(runs));
  }
  createRunsSettled(runs: NewRun[]): Promise<SettledCreate[]> {
    return this.call((c) => c.createRunsSettled(runs));
  }
  admitRun(req: FlowAdmission): Promise<AdmitOutcome> {
    return this.call((c) => c.admitRun(req));
  }
  loadRun(runId: string): Promise<RunRecord | null> {
    return this.call((c) => c.loadRun(runId));
  }
  loadJournal(runId: string): Promise<JournalEntry[]> {
    return this.call((c) => c.loadJournal(runId));
  }
  scanRuns(opts: ScanRunsOptions): Promise<RunHead[]> {
    return this.call((c) => c.scanRuns(opts));
  }
  loadJournals(runIds: readonly string[]): Promise<JournalEntry[]> {
    return this.call((c) => c.loadJournals(runIds));
  }
  listRuns(filter: ListRunsFilter): Promise<ListRunsResult> {
    return this.call((c) => c.listRuns(filter));
  }
  deleteRun(runId: string): Promise<boolean> {
    return this.call((c) => c.deleteRun(runId));
  }
  blobBytes(runId: string): Promise<number> {
    return this.call((c) => c.blobBytes(runId));
  }
  write(ops: WriteOp[]): Promise<WriteOutcome> {
    return this.call((c) => c.write(ops));
  }
  writeSettled(ops: WriteOp[]): Promise<WriteOutcome> {
    return this.call((c) => c.writeSettled(ops));
  }
  claimRun(runId: string, opts: Omit<ClaimOptions, 'limit' | 'workflowIds'>): Promise<ClaimedRun | null> {
    return this.call((c) => c.claimRun(runId, opts));
  }
  claimRuns(opts: ClaimOptions): Promise<ClaimedRun[]> {
    return this.call((c) => c.claimRuns(opts));
  }
  claimUnreleased(opts: ClaimOptions & { runId?: string }): Promise<ClaimedRun[]> {
    return this.call((c) => c.claimUnreleased(opts));
  }
  renewLeases(owner: string, runIds: string[], leaseMs: number, now: number): Promise<{ lost: string[]; skipped?: string[] }> {
    return this.call((c) => c.renewLeases(owner, runIds, leaseMs, now));
  }
  maintain(): Promise<void> {
    return this.call((c) => c.maintain());
  }
  listOwners(now: number): Promise<string[]> {
    return this.call((c) => c.listOwners(now));
  }
  expireOwner(owner: string): Promise<number> {
    return this.call((c) => c.expireOwner(owner));
  }
  nextWakeAt(workflowIds: string[]): Promise<number | null> {
    return this.call((c) => c.nextWakeAt(workflowIds));
  }
  sendEvent(req: SendEventRequest): Promise<SendEventResult> {
    return this.call((c) => c.sendEvent(req));
  }
  registerWait(req: WaitRequest): Promise<WaitResult> {
    return this.call((c) => c.registerWait(req));
  }
  loadEvent(id: string): Promise<StoredEvent | null> {
    return this.call((c) => c.loadEvent(id));
  }
  resumeRun(req: ResumeRequest): Promise<RunRecord> {
    return this.call((c) => c.resumeRun(req));
  }
  retryRun(req: RetryRequest): Promise<RunRecord> {
    return this.call((c) => c.retryRun(req));
  }
  reviseRun(req: ReviseRequest): Promise<ClaimedRun> {
    return this.call((c) => c.reviseRun(req));
  }
  loadLinks(runId: string): Promise<RunLinks> {
    return this.call((c) => c.loadLinks(runId));
  }
  readStream(runId: string, after: number, limit: number): Promise<StreamRow[]> {
    return this.call((c) => c.readStream(runId, after, limit));
  }
  pruneEvents(req: EventPruneRequest): Promise<number> {
    return this.call((c) => c.pruneEvents(req));
  }
  registerChildWait(req: ChildWaitRequest): Promise<ChildWaitResult> {
    return this.call((c) => c.registerChildWait(req));
  }
  pruneRuns(req: PruneRequest): Promise<number> {
    return this.call((c) => c.pruneRuns(req));
  }
  loadHistory(runId: string): Promise<JournalGeneration[]> {
    return this.call((c) => c.loadHistory(runId));
  }
  cancelRun(runId: string, now: number, hold?: HoldRequest): Promise<RunRecord | null> {
    return this.call((c) => c.cancelRun(runId, now, hold));
  }
  subscribe(onEvent: (event: StoreEvent) => void): Promise<() => Promise<void>> {
    return this.call((c) => c.subscribe(onEvent));
  }
  ensureSchedule(workflowId: string, now: number): Promise<ScheduleRecord> {
    return this.call((c) => c.ensureSchedule(workflowId, now));
  }
  listSchedules(): Promise<ScheduleRecord[]> {
    return this.call((c) => c.listSchedules());
  }
  setSchedulePaused(workflowId: string, paused: boolean, now: number): Promise<ScheduleRecord | null> {
    return this.call((c) => c.setSchedulePaused(workflowId, paused, now));
  }
  markScheduleFired(workflowId: string, fireAt: number, now: number): Promise<void> {
    return this.call((c) => c.markScheduleFired(workflowId, fireAt, now));
  }
}

export function postgresStore(opts: PostgresStoreOptions = {}): Store {
  return new PostgresStore(opts);
}
