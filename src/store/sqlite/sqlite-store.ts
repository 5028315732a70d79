import { resolve } from 'node:path';
import { RunNotFoundError, StoreError } from '../../errors.js';
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
  PruneRequest,
  EventPruneRequest,
  RunLinks,
  JournalGeneration,
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
import { checkResumable, checkRetryable, checkRevisable, checkSuspendedRow, resumedMeta, resumedPaths } from '../shared/resume-rules.js';
import { createRunsSettled, writeSettled } from '../shared/isolate.js';
import { checkAdmission, checkClaim, checkInt, checkListFilter, checkNewRun, checkPrune, checkRevise, checkScan, checkText, checkWriteOp, isStorableText } from '../shared/validate.js';
import { checkEventPrune, checkSendEvent, checkWait } from '../shared/event-rules.js';
import { checkChildWait } from '../shared/child-rules.js';
import { expandHistory, rowsNeedBlobs } from '../shared/blob-rows.js';
import { checkOptions, isMemoryPath, mapSqliteError, openDatabase } from './open.js';
import type { SqliteStoreOptions } from './options.js';
import { WalSpace } from './wal-space.js';
import { admitSync, type AdmitOutcome, type FlowAdmission } from '../shared/flow-rules.js';
import { connect, createOne, type Connection } from './connection.js';
import { registerChildWaitTx, registerWaitTx, sendEventTx } from './event-commands.js';

/**
 * The embedded store: one better-sqlite3 connection, WAL, every statement prepared once. better-sqlite3
 * is synchronous, so each method runs to completion without yielding; methods are async only to honour
 * the Store interface (and so that errors arrive as rejections). Every write transaction is IMMEDIATE,
 * taking the file's write lock before reading, so several processes on one file stay consistent.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private conn: Connection | null = null;
  private closed = false;
  private readonly space: WalSpace | null;

  constructor(private readonly opts: SqliteStoreOptions) {
    const { busyTimeoutMs } = checkOptions(opts);
    this.space = isMemoryPath(opts.path) ? null : new WalSpace(resolve(opts.path), busyTimeoutMs);
  }

  async open(): Promise<void> {
    this.closed = false;
    this.connection();
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = null;
    this.closed = true;
    if (conn) {
      try {
        conn.db.close();
      } catch (err) {
        throw mapSqliteError(err, 'closing the SQLite database failed');
      }
    }
  }

  /** Opens lazily on first use; after close() only an explicit open() brings the store back. */
  private connection(): Connection {
    if (this.conn) return this.conn;
    if (this.closed) throw new StoreError('the SQLite store is closed', { code: 'STORE_CLOSED' });
    const db = openDatabase(this.opts);
    try {
      this.conn = connect(db);
      return this.conn;
    } catch (err) {
      db.close();
      throw mapSqliteError(err, `cannot open SQLite database ${this.opts.path}`);
    }
  }

  /** Runs fn against the connection, mapping driver errors to StoreErrors. */
  private use<T>(what: string, fn: (c: Connection) => T): T {
    try {
      return fn(this.connection());
    } catch (err) {
      const mapped = mapSqliteError(err, what);
      // The disk is full: give the WAL's space back now, so the engine's retry can succeed once some
      // space is free (see wal-space.ts).
      if (mapped instanceof StoreError && mapped.code === 'STORE_FULL' && this.conn) this.space?.onFull(this.conn.db);
      throw mapped;
    }
  }

  /** Housekeeping the worker calls about every 30 s: WAL checkpoints after a full disk (wal-space.ts). */
  async maintain(): Promise<void> {
    if (this.conn) this.space?.maintain(this.conn.db);
  }

  /**
   * Runs fn in an IMMEDIATE transaction. These are the writes that may move a lease epoch (claims,
   * cancel, resume, retry, delete), so the write path's cached epochs are forgotten.
   */
  private tx<T>(what: string, fn: (c: Connection) => T): T {
    return this.use(what, (c) => {
      c.keys.forgetEpochs();
      return c.db.transaction(() => fn(c)).immediate();
    });
  }

  async createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    checkNewRun(run);
    return this.tx('createRun', (c) => createOne(c.runs, c.keys, run));
  }

  async createRuns(runs: NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    if (runs.length === 0) return [];
    for (const r of runs) checkNewRun(r);
    return this.use('createRuns', (c) => c.createMany(runs));
  }

  async createRunsSettled(runs: NewRun[]): Promise<SettledCreate[]> {
    // Checked item by item by createRunsSettled, so straight to the insert.
    return createRunsSettled(runs, async (rs) => this.use('createRuns', (c) => c.createMany(rs)));
  }

  async admitRun(req: FlowAdmission): Promise<AdmitOutcome> {
    checkAdmission(req);
    // The key cache learns the new run's rk on its first write; the tx forgets epochs a cancel moved.
    return this.tx('admitRun', (c) => admitSync(c.flow.ops(c.runs), req, req.run.now));
  }

  async loadRun(runId: string): Promise<RunRecord | null> {
    if (!isStorableText(runId)) return null;
    return this.use('loadRun', (c) => c.runs.get(runId) ?? null);
  }

  async loadJournal(runId: string): Promise<JournalEntry[]> {
    if (!isStorableText(runId)) return [];
    return this.use('loadJournal', (c) => c.journal.load(runId));
  }

  async scanRuns(opts: ScanRunsOptions): Promise<RunHead[]> {
    checkScan(opts);
    return this.use('scanRuns', (c) => c.runs.scan(opts));
  }

  async loadJournals(runIds: readonly string[]): Promise<JournalEntry[]> {
    const ids = runIds.filter(isStorableText);
    if (ids.length === 0) return [];
    return this.use('loadJournals', (c) => c.db.transaction(() => c.journal.loadMany(ids)).deferred());
  }

  async listRuns(filter: ListRunsFilter): Promise<ListRunsResult> {
    checkListFilter(filter);
    // Deferred (read) transaction: the page and the total come from one snapshot.
    return this.use('listRuns', (c) => c.db.transaction(() => c.runs.listRuns(filter)).deferred());
  }

  async deleteRun(runId: string): Promise<boolean> {
    if (!isStorableText(runId)) return false;
    return this.tx('deleteRun', (c) => {
      c.journal.deleteRun(runId);
      c.events.dropRunWaits(runId);
      c.history.deleteRun(runId);
      c.streams.deleteRun(runId);
      return c.runs.deleteRun(runId);
    });
  }

  async loadLinks(runId: string): Promise<RunLinks> {
    if (!isStorableText(runId)) return { rerunOf: null, reruns: [], parent: null, children: [] };
    return this.use('loadLinks', (c) => c.runs.links(runId));
  }

  /** One retention batch in one transaction: the ids are chosen and deleted with their journals. */
  async pruneRuns(req: PruneRequest): Promise<number> {
    checkPrune(req);
    return this.tx('pruneRuns', (c) => {
      let n = 0;
      for (const id of c.runs.prunable(req)) {
        c.journal.deleteRun(id);
        c.history.deleteRun(id);
        c.events.dropRunWaits(id);
        c.streams.deleteRun(id);
        if (c.runs.deleteRun(id)) n++;
      }
      return n;
    });
  }

  /** One event-pruning batch in one transaction (see EventPruneRequest). */
  async pruneEvents(req: EventPruneRequest): Promise<number> {
    checkEventPrune(req);
    return this.tx('pruneEvents', (c) => c.events.prune(req));
  }

  async readStream(runId: string, after: number, limit: number): Promise<StreamRow[]> {
    checkText(runId, 'runId');
    checkInt(after, 'after', 0, Number.MAX_SAFE_INTEGER);
    return this.use('readStream', (c) => c.streams.read(runId, after, limit));
  }

  async blobBytes(runId: string): Promise<number> {
    if (!isStorableText(runId)) return 0;
    return this.use('blobBytes', (c) => c.journal.blobBytes(runId));
  }

  async write(ops: WriteOp[]): Promise<WriteOutcome> {
    if (ops.length === 0) return { fenced: [] };
    for (const op of ops) checkWriteOp(op);
    return this.use('write', (c) => c.write(ops));
  }

  /** SQLite locks the whole file, never one run, so nothing is ever deferred: runs only fail alone. */
  async writeSettled(ops: WriteOp[]): Promise<WriteOutcome> {
    if (ops.length === 0) return { fenced: [] };
    return writeSettled(ops, async (batch) => this.use('write', (c) => c.write(batch)));
  }

  async claimRun(runId: string, opts: Omit<ClaimOptions, 'limit' | 'workflowIds'>): Promise<ClaimedRun | null> {
    checkClaim(opts);
    if (!isStorableText(runId)) return null;
    return this.tx('claimRun', (c) => {
      const run = c.runs.claimIfReady(runId, opts.owner, opts.now + opts.leaseMs, opts.now);
      return run ? { run, journal: c.journal.load(runId) } : null;
    });
  }

  async claimRuns(opts: ClaimOptions): Promise<ClaimedRun[]> {
    checkClaim(opts);
    const workflowIds = opts.workflowIds.filter(isStorableText);
    if (!(opts.limit >= 1) || workflowIds.length === 0) return [];
    return this.tx('claimRuns', (c) => {
      const out: ClaimedRun[] = [];
      const all = opts.limits ?? {};
      // Only the limits of workflows this claimer runs: a limit never widens workflowIds.
      const limits = Object.fromEntries(workflowIds.filter((id) => all[id] !== undefined).map((id) => [id, all[id] as number]));
      const allT = opts.throttles ?? {};
      const throttles = Object.fromEntries(workflowIds.filter((id) => allT[id] !== undefined).map((id) => [id, allT[id]!]));
      const free = workflowIds.filter((id) => limits[id] === undefined && throttles[id] === undefined);
      const ids = free.length ? c.runs.claimableIds(free, opts.now, Math.floor(opts.limit)) : [];
      // Throttled workflows (with their concurrency limit, if any) are claimed by the throttled path.
      const limitedOnly = Object.fromEntries(Object.entries(limits).filter(([id]) => throttles[id] === undefined));
      if (Object.keys(limitedOnly).length) ids.push(...c.workers.limitedIds(limitedOnly, opts.now, Math.floor(opts.limit) - ids.length));
      if (Object.keys(throttles).length) ids.push(...c.flow.throttledIds(throttles, limits, opts.now, Math.floor(opts.limit) - ids.length));
      for (const id of ids) {
        const run = c.runs.claim(id, opts.owner, opts.now + opts.leaseMs, opts.now);
        if (run) out.push({ run, journal: c.journal.load(id) });
      }
      return out;
    });
  }

  async claimUnreleased(opts: ClaimOptions & { runId?: string }): Promise<ClaimedRun[]> {
    checkClaim(opts);
    const workflowIds = opts.workflowIds.filter(isStorableText);
    if (!(opts.limit >= 1) || workflowIds.length === 0) return [];
    if (opts.runId !== undefined && !isStorableText(opts.runId)) return [];
    const find = (c: Connection) => c.runs.unreleasedIds(workflowIds, opts.now, Math.floor(opts.limit), opts.runId ?? null);
    // Workers ask on every poll and there is nearly never anything: look without the write lock first.
    if (this.use('claimUnreleased', find).length === 0) return [];
    return this.tx('claimUnreleased', (c) => {
      const out: ClaimedRun[] = [];
      for (const id of find(c)) {
        const run = c.runs.claimUnreleased(id, opts.owner, opts.now + opts.leaseMs, opts.now);
        if (run) out.push({ run, journal: c.journal.load(id) });
      }
      return out;
    });
  }

  async renewLeases(owner: string, runIds: string[], leaseMs: number, now: number): Promise<{ lost: string[] }> {
    if (runIds.length === 0) return { lost: [] };
    checkClaim({ owner, leaseMs, now });
    return this.tx('renewLeases', (c) => {
      const kept = c.runs.renewLeases(owner, runIds.filter(isStorableText), now + leaseMs);
      return { lost: runIds.filter((id) => !kept.has(id)) };
    });
  }

  async listOwners(now: number): Promise<string[]> {
    return this.use('listOwners', (c) => c.runs.listOwners(now));
  }

  async expireOwner(owner: string): Promise<number> {
    if (!isStorableText(owner)) return 0;
    return this.tx('expireOwner', (c) => c.runs.expireOwner(owner));
  }

  async nextWakeAt(workflowIds: string[]): Promise<number | null> {
    const ids = workflowIds.filter(isStorableText);
    if (ids.length === 0) return null;
    return this.use('nextWakeAt', (c) => c.runs.nextWakeAt(ids));
  }

  async resumeRun(req: ResumeRequest): Promise<RunRecord> {
    if (!isStorableText(req.runId)) throw new RunNotFoundError(req.runId);
    const paths = resumedPaths(req);
    for (const p of paths) checkText(p, 'path');
    checkText(req.resumeData, 'resumeData');
    checkText(req.requestContext, 'requestContext');
    checkText(req.owner, 'owner');
    return this.tx('resumeRun', (c) => {
      checkResumable(req.runId, c.runs.get(req.runId));
      const rows = paths.map((p) => {
        const row = c.journal.get(req.runId, p);
        checkSuspendedRow(req.runId, p, row);
        return row;
      });
      for (const row of rows) c.journal.markResumed(req.runId, row.path, resumedMeta(row.meta, req.resumeData));
      const run = c.runs.resumeRun(req.runId, req.owner, req.leaseExpiresAt, req.requestContext, req.now);
      if (!run) throw new StoreError(`resumeRun: run ${req.runId} changed inside its own transaction`);
      return run;
    });
  }

  async retryRun(req: RetryRequest): Promise<RunRecord> {
    if (!isStorableText(req.runId)) throw new RunNotFoundError(req.runId);
    checkText(req.owner, 'owner');
    return this.tx('retryRun', (c) => {
      const run = c.runs.get(req.runId);
      checkRetryable(req.runId, run);
      c.journal.deleteFailed(req.runId);
      const retried = c.runs.retry(req.runId, req.owner, req.leaseExpiresAt, req.now);
      if (!retried) throw new StoreError(`retryRun: run ${req.runId} changed inside its own transaction`);
      return retried;
    });
  }

  async reviseRun(req: ReviseRequest): Promise<ClaimedRun> {
    checkRevise(req);
    return this.tx('reviseRun', (c) => {
      const run = c.runs.get(req.runId);
      // A run created here starts its course now: no status to check.
      if (!run && req.create) createOne(c.runs, c.keys, req.create);
      else checkRevisable(req, run);
      if (req.journal) {
        c.history.keep(req.runId, req.journal.reason, req.now);
        c.journal.clearRows(req.runId);
        const rk = c.keys.lookup(req.runId)![0];
        c.journal.upsertAll(req.journal.rows.map(() => rk), req.journal.rows);
      }
      const revised = c.runs.reviseRun(req.runId, req.owner, req.leaseExpiresAt, req.patch, req.now);
      if (!revised) throw new StoreError(`reviseRun: run ${req.runId} changed inside its own transaction`);
      c.keys.forget(req.runId);
      return { run: revised, journal: c.journal.load(req.runId) };
    });
  }

  async loadHistory(runId: string): Promise<JournalGeneration[]> {
    if (!isStorableText(runId)) return [];
    return this.use('loadHistory', (c) => {
      const gens = c.history.load(runId);
      return gens.some((g) => rowsNeedBlobs(g.rows)) ? expandHistory(gens, c.journal.blobs(runId)) : gens;
    });
  }

  async ensureSchedule(workflowId: string, now: number): Promise<ScheduleRecord> {
    checkText(workflowId, 'workflowId');
    return this.tx('ensureSchedule', (c) => c.workers.ensureSchedule(workflowId, now));
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    return this.use('listSchedules', (c) => c.workers.listSchedules());
  }

  async setSchedulePaused(workflowId: string, paused: boolean, now: number): Promise<ScheduleRecord | null> {
    if (!isStorableText(workflowId)) return null;
    return this.tx('setSchedulePaused', (c) => c.workers.setSchedulePaused(workflowId, paused, now));
  }

  async markScheduleFired(workflowId: string, fireAt: number, now: number): Promise<void> {
    if (!isStorableText(workflowId)) return;
    this.tx('markScheduleFired', (c) => c.workers.markScheduleFired(workflowId, fireAt, now));
  }

  async sendEvent(req: SendEventRequest): Promise<SendEventResult> {
    checkSendEvent(req);
    return this.tx('sendEvent', (c) => sendEventTx(c, req));
  }

  async registerWait(req: WaitRequest): Promise<WaitResult> {
    checkWait(req);
    return this.tx('registerWait', (c) => registerWaitTx(c, req));
  }

  async loadEvent(id: string): Promise<StoredEvent | null> {
    if (!isStorableText(id)) return null;
    return this.use('loadEvent', (c) => c.events.load(id));
  }

  /** One write transaction: the child's outcome (and its trigger) cannot interleave with this read. */
  async registerChildWait(req: ChildWaitRequest): Promise<ChildWaitResult> {
    checkChildWait(req);
    return this.tx('registerChildWait', (c) => registerChildWaitTx(c, req));
  }

  async cancelRun(runId: string, now: number, hold?: HoldRequest): Promise<RunRecord | null> {
    if (!isStorableText(runId)) return null;
    if (hold) checkText(hold.owner, 'owner');
    return this.tx('cancelRun', (c) => c.runs.cancelRun(runId, now, hold?.owner ?? null, hold?.leaseExpiresAt ?? null) ?? c.runs.get(runId) ?? null);
  }
}

export function sqliteStore(opts: SqliteStoreOptions): Store {
  return new SqliteStore(opts);
}
