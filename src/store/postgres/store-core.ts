import type pg from 'pg';
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
  JournalGeneration,
  PruneRequest,
  EventPruneRequest,
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
  StoreEvent,
  WriteOp,
  WriteOutcome,
  StreamRow,
} from '../types.js';
import { isStreamOp } from '../types.js';
import { resumedPaths } from '../shared/resume-rules.js';
import { callerPool, checkSchema, checkSessionSettings, createPool, query, transaction, type SessionSettings } from './connection.js';
import type { PostgresStoreOptions } from './options.js';
import { mapPgError } from './errors.js';
import { expandHistory, rowsNeedBlobs } from '../shared/blob-rows.js';
import { journalSql, loadBlobs, loadJournal, loadJournals, type JournalSql } from './journal-queries.js';
import { migrateSchema } from './migrations.js';
import { listRuns, runSql, type RunSql } from './run-queries.js';
import { checkEventPrune, checkSendEvent, checkWait } from '../shared/event-rules.js';
import * as events from './events.js';
import { registerChildWait } from './child-runs.js';
import { checkChildWait } from '../shared/child-rules.js';
import { writeOps } from './one-run-write.js';
import { readStream, streamSql, type StreamSql } from './stream-queries.js';
import { listLabelled, loadLinks, pruneRuns } from './search-queries.js';
import { pruneEvents } from './event-pruning.js';
import { createRunsSettled, writeSettled } from '../shared/isolate.js';
import { checkAdmission, checkClaim, checkInt, checkListFilter, checkNewRun, checkPrune, checkRevise, checkScan, checkText, checkWriteOp, isStorableText } from '../shared/validate.js';
import { flowControlSql, type FlowControlSql } from './flow-control.js';
import { admitPg, flowSql, type FlowSql } from './flow-admission.js';
import type { AdmitOutcome, FlowAdmission } from '../shared/flow-rules.js';
import { channelFor, PgListener } from './notify.js';
import * as schedules from './schedules.js';
import { analyzeIfStale } from './maintenance.js';
import { loadPg } from './driver.js';
import { DbClock, DEFAULT_CLOCK_SKEW_WARN_MS } from './clock.js';
import type { CoreStatements } from './core-statements.js';
import { claimOneRun, claimRunnable, claimUnreleasedRuns, renewRunLeases } from './claims.js';
import { cancelOn, resumeIn, retryIn, reviseIn } from './course-commands.js';
import { createOneRun, insertRuns, pgRunValues } from './run-inserts.js';


/**
 * The PostgreSQL store's implementation, loaded by its facade (postgres-store.ts) on first use so that
 * `import 'weft'` does not load these modules. The scaling store: a pg pool on one schema. Timestamps are BIGINT epoch ms, payloads TEXT (JSON the
 * engine serialised once; see migrations/postgres/0001_init.sql). Hot statements are named so each
 * connection prepares them once; names carry the schema so two stores can share one pool.
 */
export class PostgresStoreCore implements Store {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  private pool: pg.Pool | null = null;
  private readonly ownsPool: boolean;
  private opening: Promise<void> | null = null;
  private closed = false;
  private readonly runSql: RunSql;
  private readonly admitSql: FlowSql;
  private readonly journalSql: JournalSql;
  private readonly streamSql: StreamSql;
  private readonly flowSql: FlowControlSql;
  private readonly scheduleSql: schedules.ScheduleSql;
  private readonly eventSql: events.EventSql;
  private listener: PgListener | null = null;
  private readonly names: { createMany: string; createOne: string };
  private readonly settings: SessionSettings;
  private readonly clock: DbClock;
  private readonly statements: CoreStatements;
  private readonly onPoolError = (): void => {
    // An idle client lost its connection (server restart, admin shutdown). pg discards the client; the
    // next query opens a new connection or fails with a retryable StoreError. Without a listener the
    // 'error' event would crash the process.
  };

  constructor(private readonly opts: PostgresStoreOptions = {}) {
    this.schema = checkSchema(opts.schema);
    this.settings = checkSessionSettings(opts);
    const warnMs = opts.clockSkewWarnMs ?? DEFAULT_CLOCK_SKEW_WARN_MS;
    if (!(typeof warnMs === 'number' && warnMs >= 0)) throw new StoreError('postgresStore: clockSkewWarnMs must be a non-negative number', { code: 'STORE_CONFIG' });
    // Measured against the wall clock until an engine gives its own (setClock).
    this.clock = new DbClock(Date.now, warnMs, opts.onError ?? ((err) => console.warn('[weft]', err)));
    this.ownsPool = !opts.pool;
    this.runSql = runSql(this.schema);
    this.admitSql = flowSql(this.schema);
    this.journalSql = journalSql(this.schema);
    this.streamSql = streamSql(this.schema);
    this.flowSql = flowControlSql(this.schema);
    this.scheduleSql = schedules.scheduleSql(this.schema);
    this.eventSql = events.eventSql(this.schema);
    this.statements = { schema: this.schema, runSql: this.runSql, journalSql: this.journalSql, flowSql: this.flowSql, admitSql: this.admitSql };
    const n = (s: string): string => `weft_${this.schema}_${s}`;
    this.names = { createMany: n('create_many'), createOne: n('create_one') };
  }

  async open(): Promise<void> {
    if (this.closed) {
      this.closed = false;
      this.opening = null;
    }
    await this.ready();
  }

  /**
   * The database's clock minus this process's, in ms (positive: this process is behind), measured on
   * open and every minute. Leases never depend on it (the database grants and judges them); the engine
   * adds it to its clock so the times it writes (wake times, run and step times) are on the database's.
   */
  setClock(now: () => number): void {
    this.clock.setLocal(now);
  }

  get clockOffsetMs(): number {
    return this.clock.offsetMs;
  }

  /** Measures the clock offset now (it is also measured on open and every minute) and returns it. */
  async measureClock(): Promise<number> {
    await this.run('measureClock', (pool) => this.clock.measure(pool));
    return this.clock.offsetMs;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.stop();
    const listener = this.listener;
    this.listener = null;
    await listener?.close();
    const opening = this.opening;
    this.opening = null;
    await opening?.catch(() => {});
    const pool = this.pool;
    this.pool = null;
    if (!pool) return;
    pool.off('error', this.onPoolError);
    if (this.ownsPool) {
      // Idle connections can still be terminated by the server while the pool shuts down (a restart,
      // a dropped database); with no listener that 'error' event would crash the process.
      pool.on('error', ignorePoolError);
      await pool.end().catch(() => {});
    }
  }

  /** The pool, opened and migrated on first use. A failed open is retried by the next call. */
  private async ready(): Promise<pg.Pool> {
    if (this.closed) throw new StoreError('the PostgreSQL store is closed', { code: 'STORE_CLOSED' });
    if (!this.opening) {
      this.opening = (async () => {
        // The driver's type parsers are used by every query, on a caller's pool too.
        await loadPg();
        const pool = callerPool(this.opts) ?? (await createPool(this.opts.connectionString, this.settings));
        pool.on('error', this.onPoolError);
        try {
          await migrateSchema(pool, this.schema);
          // Not fatal: the offset stays 0 until the next measurement.
          await this.clock.measure(pool).catch(() => {});
        } catch (err) {
          pool.off('error', this.onPoolError);
          if (this.ownsPool) {
            pool.on('error', ignorePoolError);
            await pool.end().catch(() => {});
          }
          throw err;
        }
        this.pool = pool;
        this.clock.start(pool);
      })();
      this.opening.catch(() => {
        this.opening = null;
      });
    }
    await this.opening;
    if (!this.pool) throw new StoreError('the PostgreSQL store is closed', { code: 'STORE_CLOSED' });
    return this.pool;
  }

  private async run<T>(what: string, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.ready());
    } catch (err) {
      throw mapPgError(err, what);
    }
  }

  private async tx<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.run(what, (pool) => transaction(pool, what, fn));
  }

  async createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    checkNewRun(run);
    return this.run('createRun', (pool) => createOneRun(pool, this.runSql, run));
  }

  /** One INSERT ... SELECT FROM unnest for the whole batch; existing ids are read back in one query. */
  async createRuns(runs: NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    if (runs.length === 0) return [];
    for (const r of runs) checkNewRun(r);
    return this.insertRuns(runs);
  }

  /** createRuns without the checks (createRunsSettled made them already, item by item). */
  private async insertRuns(runs: NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    return this.run('createRuns', (pool) => insertRuns(pool, this.runSql, this.names, runs));
  }

  async createRunsSettled(runs: NewRun[]): Promise<SettledCreate[]> {
    return createRunsSettled(runs, (rs) => this.insertRuns(rs));
  }

  async admitRun(req: FlowAdmission): Promise<AdmitOutcome> {
    checkAdmission(req);
    return this.tx('admitRun', (c) =>
      admitPg(c, this.admitSql, this.schema, req, async (run) => (await query<RunRecord>(c, this.runSql.insert, pgRunValues(run))).rows[0] ?? null),
    );
  }

  async loadRun(runId: string): Promise<RunRecord | null> {
    // An id the store could not have stored names no run (and PostgreSQL would alter or refuse it).
    if (!isStorableText(runId)) return null;
    return this.run('loadRun', async (pool) => (await query<RunRecord>(pool, this.runSql.byId, [runId])).rows[0] ?? null);
  }

  async loadJournal(runId: string): Promise<JournalEntry[]> {
    if (!isStorableText(runId)) return [];
    return this.run('loadJournal', async (pool) => await loadJournal(pool, this.journalSql, runId));
  }

  async scanRuns(opts: ScanRunsOptions): Promise<RunHead[]> {
    checkScan(opts);
    return this.run('scanRuns', async (pool) =>
      (await query<RunHead>(pool, this.runSql.scan, [opts.after ?? '', opts.statuses, opts.limit, opts.workflowIds ?? null])).rows,
    );
  }

  async loadJournals(runIds: readonly string[]): Promise<JournalEntry[]> {
    const ids = runIds.filter(isStorableText);
    if (ids.length === 0) return [];
    return this.run('loadJournals', async (pool) => [...(await loadJournals(pool, this.journalSql, ids)).values()].flat());
  }

  async listRuns(filter: ListRunsFilter): Promise<ListRunsResult> {
    checkListFilter(filter);
    const labels = filter.labels;
    // Filters by tags or searchable metadata read the label index (search-queries.ts).
    if (labels?.length) return this.run('listRuns', (pool) => listLabelled(pool, this.runSql, { ...filter, labels }));
    return this.run('listRuns', (pool) => listRuns(pool, this.runSql, filter));
  }

  async deleteRun(runId: string): Promise<boolean> {
    if (!isStorableText(runId)) return false;
    return this.run('deleteRun', async (pool) => (await query(pool, this.runSql.remove, [runId])).rowCount !== 0);
  }

  async blobBytes(runId: string): Promise<number> {
    if (!isStorableText(runId)) return 0;
    return this.run('blobBytes', async (pool) => Number((await query<{ n: string }>(pool, this.journalSql.blobBytes, [runId])).rows[0]?.n ?? 0));
  }

  /**
   * A batch is one statement (atomic by itself); a batch with stream ops (chunks) takes a few more, so
   * it runs in a transaction.
   */
  private async applyBatch(pool: pg.Pool, ops: WriteOp[], skipLocked: boolean): Promise<WriteOutcome> {
    if (!ops.some(isStreamOp)) return writeOps(pool, this.schema, ops, skipLocked);
    // A new owner's void (every run claimed again starts with one) is one statement of its own: it is
    // right whatever happens to the rest of the batch, so it needs no transaction with it.
    const takeovers = ops.filter((op) => op.type === 'stream-void' && op.path === undefined) as Extract<WriteOp, { type: 'stream-void' }>[];
    if (takeovers.length > 0) {
      await query(pool, this.streamSql.voidTakeovers, [takeovers.map((v) => v.runId), takeovers.map((v) => v.epoch), Math.round(takeovers[0]!.now)]);
      ops = ops.filter((op) => !(op.type === 'stream-void' && op.path === undefined));
      if (ops.length === 0) return { fenced: await this.fencedOf(pool, takeovers) };
    }
    if (!ops.some(isStreamOp)) return writeOps(pool, this.schema, ops, skipLocked);
    return transaction(pool, 'write', (c) => writeOps(c, this.schema, ops, skipLocked));
  }

  /** The runs of these ops whose epoch moved on (a batch of takeover voids alone reports them). */
  private async fencedOf(pool: pg.Pool, ops: { runId: string; epoch: number }[]): Promise<string[]> {
    const ids = [...new Set(ops.map((o) => o.runId))];
    const rows = (await query<{ id: string; epoch: number }>(pool, `SELECT id, lease_epoch AS epoch FROM "${this.schema}".runs WHERE id = ANY($1::text[])`, [ids])).rows;
    const epochs = new Map(rows.map((r) => [r.id, r.epoch]));
    return ids.filter((id) => ops.some((o) => o.runId === id && epochs.get(id) !== o.epoch));
  }

  async readStream(runId: string, after: number, limit: number): Promise<StreamRow[]> {
    checkText(runId, 'runId');
    checkInt(after, 'after', 0, Number.MAX_SAFE_INTEGER);
    if (!isStorableText(runId)) return [];
    return this.run('readStream', (pool) => readStream(pool, this.streamSql, runId, after, limit));
  }

  /** The whole batch in one statement (write-batch.ts), waiting for run rows other transactions hold. */
  async write(ops: WriteOp[]): Promise<WriteOutcome> {
    if (ops.length === 0) return { fenced: [] };
    for (const op of ops) checkWriteOp(op);
    return this.run('write', (pool) => this.applyBatch(pool, ops, false));
  }

  /**
   * The group-commit path: a run the store refuses fails alone, and a run whose row another session
   * holds is deferred instead of waited for, so one locked run cannot stall every other run's writes.
   */
  async writeSettled(ops: WriteOp[]): Promise<WriteOutcome> {
    if (ops.length === 0) return { fenced: [] };
    return writeSettled(ops, (batch) => this.run('write', (pool) => this.applyBatch(pool, batch, true)));
  }

  async claimRun(runId: string, opts: Omit<ClaimOptions, 'limit' | 'workflowIds'>): Promise<ClaimedRun | null> {
    checkClaim(opts);
    if (!isStorableText(runId)) return null;
    return this.run('claimRun', (pool) => claimOneRun(pool, this.statements, runId, opts));
  }

  async claimRuns(opts: ClaimOptions): Promise<ClaimedRun[]> {
    checkClaim(opts);
    return this.run('claimRuns', (pool) => claimRunnable(pool, this.statements, opts));
  }

  async claimUnreleased(opts: ClaimOptions & { runId?: string }): Promise<ClaimedRun[]> {
    checkClaim(opts);
    return this.run('claimUnreleased', (pool) => claimUnreleasedRuns(pool, this.statements, opts));
  }

  async renewLeases(owner: string, runIds: string[], leaseMs: number, now: number): Promise<{ lost: string[]; skipped?: string[] }> {
    if (runIds.length === 0) return { lost: [] };
    checkClaim({ owner, leaseMs, now });
    return this.run('renewLeases', (pool) => renewRunLeases(pool, this.statements, owner, runIds, leaseMs));
  }

  async maintain(): Promise<void> {
    await this.run('maintain', (pool) => analyzeIfStale(pool, this.schema));
  }

  /** Owners with a live lease by the database's clock; the caller's `now` is not needed. */
  async listOwners(_now: number): Promise<string[]> {
    return this.run('listOwners', async (pool) =>
      (await query<{ owner: string }>(pool, this.runSql.owners)).rows.map((r) => r.owner),
    );
  }

  async expireOwner(owner: string): Promise<number> {
    if (!isStorableText(owner)) return 0;
    return this.run('expireOwner', async (pool) => (await query(pool, this.runSql.expire, [owner])).rowCount ?? 0);
  }

  async nextWakeAt(workflowIds: string[]): Promise<number | null> {
    const ids = workflowIds.filter(isStorableText);
    if (ids.length === 0) return null;
    return this.run('nextWakeAt', async (pool) => {
      const res = await query<{ wakeAt: number | null }>(pool, this.runSql.nextWake, [ids]);
      return res.rows[0]?.wakeAt ?? null;
    });
  }

  async sendEvent(req: SendEventRequest): Promise<SendEventResult> {
    checkSendEvent(req);
    if (!req.startRuns?.length) return this.run('sendEvent', (pool) => events.sendEventOneTrip(pool, this.eventSql, this.schema, req));
    return this.tx('sendEvent', (c) =>
      events.sendEvent(c, this.eventSql, this.schema, req, async (run) => ((await query(c, this.runSql.insert, pgRunValues(run))).rowCount ?? 0) > 0),
    );
  }

  async registerWait(req: WaitRequest): Promise<WaitResult> {
    checkWait(req);
    return this.run('registerWait', (pool) => events.registerWait(pool, this.eventSql, this.schema, req));
  }

  async registerChildWait(req: ChildWaitRequest): Promise<ChildWaitResult> {
    checkChildWait(req);
    return this.tx('registerChildWait', (c) => registerChildWait(c, this.schema, req));
  }

  async loadEvent(id: string): Promise<StoredEvent | null> {
    if (!isStorableText(id)) return null;
    return this.run('loadEvent', async (pool) => (await query<StoredEvent>(pool, this.eventSql.byId, [id])).rows[0] ?? null);
  }

  /** Row locks serialise concurrent resumes: the loser sees the run pending/running and conflicts. */
  async resumeRun(req: ResumeRequest): Promise<RunRecord> {
    if (!isStorableText(req.runId)) throw new RunNotFoundError(req.runId);
    const paths = resumedPaths(req);
    for (const p of paths) checkText(p, 'path');
    checkText(req.resumeData, 'resumeData');
    checkText(req.requestContext, 'requestContext');
    checkText(req.owner, 'owner');
    return this.tx('resumeRun', (c) => resumeIn(c, this.statements, req, paths));
  }

  async retryRun(req: RetryRequest): Promise<RunRecord> {
    if (!isStorableText(req.runId)) throw new RunNotFoundError(req.runId);
    checkText(req.owner, 'owner');
    return this.tx('retryRun', (c) => retryIn(c, this.statements, req));
  }

  async reviseRun(req: ReviseRequest): Promise<ClaimedRun> {
    checkRevise(req);
    return this.tx('reviseRun', (c) => reviseIn(c, this.statements, req));
  }

  async loadLinks(runId: string): Promise<RunLinks> {
    if (!isStorableText(runId)) return { rerunOf: null, reruns: [], parent: null, children: [] };
    return this.run('loadLinks', (pool) => loadLinks(pool, this.schema, runId));
  }

  async pruneRuns(req: PruneRequest): Promise<number> {
    checkPrune(req);
    return this.run('pruneRuns', (pool) => pruneRuns(pool, this.schema, req));
  }

  async pruneEvents(req: EventPruneRequest): Promise<number> {
    checkEventPrune(req);
    return this.run('pruneEvents', (pool) => pruneEvents(pool, this.schema, req));
  }

  async loadHistory(runId: string): Promise<JournalGeneration[]> {
    if (!isStorableText(runId)) return [];
    return this.run('loadHistory', async (pool) => {
      const out: JournalGeneration[] = [];
      for (const r of (await query<JournalEntry & { generation: number; reason: string; archivedAt: number }>(pool, this.runSql.history, [runId])).rows) {
        const { generation, reason, archivedAt, ...entry } = r;
        let g = out[out.length - 1];
        if (!g || g.generation !== generation) out.push((g = { generation, reason, archivedAt: Number(archivedAt), rows: [] }));
        g.rows.push(entry);
      }
      return out.some((g) => rowsNeedBlobs(g.rows)) ? expandHistory(out, await loadBlobs(pool, this.journalSql, runId)) : out;
    });
  }

  async cancelRun(runId: string, now: number, hold?: HoldRequest): Promise<RunRecord | null> {
    if (!isStorableText(runId)) return null;
    if (hold) checkText(hold.owner, 'owner');
    return this.run('cancelRun', (pool) => cancelOn(pool, this.statements, runId, now, hold));
  }


  /** LISTEN on the schema's channel over one dedicated connection shared by every subscriber. */
  async subscribe(onEvent: (event: StoreEvent) => void): Promise<() => Promise<void>> {
    await this.ready();
    this.listener ??= new PgListener({ connectionString: this.opts.connectionString, pool: callerPool(this.opts) }, channelFor(this.schema));
    const listener = this.listener;
    await listener.add(onEvent);
    return async () => {
      listener.remove(onEvent);
      if (listener.size === 0 && this.listener === listener) {
        this.listener = null;
        await listener.close();
      }
    };
  }

  async ensureSchedule(workflowId: string, now: number): Promise<ScheduleRecord> {
    checkText(workflowId, 'workflowId');
    return this.run('ensureSchedule', (pool) => schedules.ensureSchedule(pool, this.scheduleSql, workflowId, now));
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    return this.run('listSchedules', (pool) => schedules.listSchedules(pool, this.scheduleSql));
  }

  async setSchedulePaused(workflowId: string, paused: boolean, now: number): Promise<ScheduleRecord | null> {
    if (!isStorableText(workflowId)) return null;
    return this.run('setSchedulePaused', (pool) => schedules.setSchedulePaused(pool, this.scheduleSql, workflowId, paused, now));
  }

  async markScheduleFired(workflowId: string, fireAt: number, now: number): Promise<void> {
    if (!isStorableText(workflowId)) return;
    return this.run('markScheduleFired', (pool) => schedules.markScheduleFired(pool, this.scheduleSql, workflowId, fireAt, now));
  }
}

function ignorePoolError(): void {}
