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
import { checkResumable, checkRetryable, checkRevisable, checkSuspendedRow, resumedMeta, resumedPaths } from '../shared/resume-rules.js';
import { insertedRecord, newRunValues } from '../shared/run-rules.js';
import { callerPool, checkSchema, checkSessionSettings, createPool, query, transaction, type SessionSettings } from './connection.js';
import type { PostgresStoreOptions } from './options.js';
import { mapPgError } from './errors.js';
import { expandHistory, rowsNeedBlobs } from '../shared/blob-rows.js';
import { journalSql, loadBlobs, loadJournal, loadJournals, type JournalSql } from './journal-queries.js';
import { migrateSchema } from './migrations.js';
import { leaseLength, listRuns, runSql, type RunSql } from './run-queries.js';
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
import { claimLimited, flowControlSql, type FlowControlSql } from './flow-control.js';
import { admitPg, claimThrottled, flowSql, type FlowSql } from './flow-admission.js';
import type { AdmitOutcome, FlowAdmission } from '../shared/flow-rules.js';
import { channelFor, PgListener } from './notify.js';
import * as schedules from './schedules.js';
import { analyzeIfStale } from './maintenance.js';
import { loadPg } from './driver.js';
import { DbClock, DEFAULT_CLOCK_SKEW_WARN_MS } from './clock.js';

/**
 * Planner settings for the claim statement only (SET LOCAL ends with its transaction). JIT is off
 * because disabled sorts add a huge cost that would trip jit_above_cost: compiling took 330 ms.
 */
const CLAIM_PLANNER = 'SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off; SET LOCAL jit = off';

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
    return this.run('createRun', async (pool) => {
      const ins = await query<RunRecord>(pool, this.runSql.insert, pgRunValues(run));
      const inserted = ins.rows[0];
      if (inserted) return { created: true, run: inserted };
      const existing = (await query<RunRecord>(pool, this.runSql.byId, [run.runId])).rows[0];
      if (!existing) throw new StoreError(`createRun: run ${run.runId} neither inserted nor found`);
      return { created: false, run: existing };
    });
  }

  /** One INSERT ... SELECT FROM unnest for the whole batch; existing ids are read back in one query. */
  async createRuns(runs: NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    if (runs.length === 0) return [];
    for (const r of runs) checkNewRun(r);
    return this.insertRuns(runs);
  }

  /** createRuns without the checks (createRunsSettled made them already, item by item). */
  private async insertRuns(runs: NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    return this.run('createRuns', async (pool) => {
      // Only the ids (and the lease the database granted) come back: the rows are built from the input.
      const inserted =
        runs.length === 1
          ? await query<{ id: string; leaseExpiresAt: number | null }>(pool, this.runSql.insertOne, pgRunValues(runs[0]!), this.names.createOne)
          : await query<{ id: string; leaseExpiresAt: number | null }>(pool, this.runSql.insertMany, runColumns(runs), this.names.createMany);
      const created = new Map(inserted.rows.map((r) => [r.id, r.leaseExpiresAt]));
      const byId = new Map<string, RunRecord>();
      for (const r of runs) {
        if (created.has(r.runId) && !byId.has(r.runId)) byId.set(r.runId, { ...insertedRecord(r), leaseExpiresAt: created.get(r.runId) ?? null });
      }
      const missing = runs.filter((r) => !byId.has(r.runId)).map((r) => r.runId);
      const existing = new Map<string, RunRecord>();
      if (missing.length) {
        for (const r of (await query<RunRecord>(pool, this.runSql.byIds, [missing])).rows) existing.set(r.runId, r);
      }
      const firstSeen = new Set<string>();
      return runs.map((r) => {
        const fresh = byId.get(r.runId);
        if (fresh && !firstSeen.has(r.runId)) {
          firstSeen.add(r.runId);
          return { created: true, run: fresh };
        }
        const run = fresh ?? existing.get(r.runId);
        if (!run) throw new StoreError(`createRuns: run ${r.runId} neither inserted nor found`);
        return { created: false, run };
      });
    });
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
    return this.run('claimRun', async (pool) => {
      const res = await query<RunRecord>(pool, this.runSql.claimOne, [opts.now, opts.owner, Math.round(opts.leaseMs), runId]);
      const run = res.rows[0];
      if (!run) return null;
      // Loaded after the claim committed: any write by the previous owner either landed before the
      // epoch bump or is now fenced, so this journal is complete.
      const journal = await loadJournal(pool, this.journalSql, runId);
      return { run, journal };
    });
  }

  async claimRuns(opts: ClaimOptions): Promise<ClaimedRun[]> {
    checkClaim(opts);
    // A workflow id the store could not hold has no runs; sent along, it would fail every claim.
    const workflowIds = opts.workflowIds.filter(isStorableText);
    if (!(opts.limit >= 1) || workflowIds.length === 0) return [];
    const limits = opts.limits ?? {};
    const allT = opts.throttles ?? {};
    // Throttled workflows (with their concurrency limit, if any) are claimed by claimThrottled.
    const throttled = workflowIds.filter((id) => allT[id] !== undefined);
    const limited = workflowIds.filter((id) => limits[id] !== undefined && allT[id] === undefined);
    const free = limited.length || throttled.length ? workflowIds.filter((id) => limits[id] === undefined && allT[id] === undefined) : workflowIds;
    return this.run('claimRuns', async (pool) => {
      const rows: RunRecord[] = [];
      if (free.length) {
        const res = await transaction(pool, 'claimRuns', async (c) => {
          // Pending runs must be read in claim order from runs_pending_claim, never gathered and
          // sorted: right after a bulk load the table has no statistics yet, the planner guesses a
          // handful of pending rows and sorts the whole backlog on every claim (100 ms at 100k runs,
          // draining at a seventh of the speed). Only this transaction plans without sorts.
          await c.query(CLAIM_PLANNER);
          // Unnamed, so it is planned for the table as it is now, not with a plan cached while the
          // table was small (the hazard described in journal-queries.ts).
          return query<RunRecord>(c, this.runSql.claimMany, [opts.now, opts.owner, Math.round(opts.leaseMs), free, Math.floor(opts.limit)]);
        });
        rows.push(...res.rows);
      }
      const left = Math.floor(opts.limit) - rows.length;
      if (limited.length && left > 0) {
        const only = Object.fromEntries(limited.map((id) => [id, limits[id]!]));
        rows.push(
          ...(await transaction(pool, 'claimRuns', (c) =>
            claimLimited(c, this.flowSql, this.schema, { owner: opts.owner, now: opts.now, leaseMs: opts.leaseMs, limit: left, limits: only }),
          )),
        );
      }
      const rest = Math.floor(opts.limit) - rows.length;
      if (throttled.length && rest > 0) {
        const throttles = Object.fromEntries(throttled.map((id) => [id, allT[id]!]));
        const only = Object.fromEntries(throttled.filter((id) => limits[id] !== undefined).map((id) => [id, limits[id]!]));
        rows.push(
          ...(await transaction(pool, 'claimRuns', (c) =>
            claimThrottled(c, this.admitSql, this.schema, { owner: opts.owner, now: opts.now, leaseMs: opts.leaseMs, limit: rest, throttles, limits: only }),
          )),
        );
      }
      // RETURNING has no defined order.
      const runs = rows.sort(
        (a, b) => b.priority - a.priority || a.createdAt - b.createdAt || (a.runId < b.runId ? -1 : 1),
      );
      const journals = await loadJournals(pool, this.journalSql, runs.map((r) => r.runId));
      return runs.map((run) => ({ run, journal: journals.get(run.runId) ?? [] }));
    });
  }

  async claimUnreleased(opts: ClaimOptions & { runId?: string }): Promise<ClaimedRun[]> {
    checkClaim(opts);
    const workflowIds = opts.workflowIds.filter(isStorableText);
    if (!(opts.limit >= 1) || workflowIds.length === 0) return [];
    if (opts.runId !== undefined && !isStorableText(opts.runId)) return [];
    return this.run('claimUnreleased', async (pool) => {
      const params = [opts.now, opts.owner, Math.round(opts.leaseMs), workflowIds, Math.floor(opts.limit), opts.runId ?? null];
      const runs = (await query<RunRecord>(pool, this.runSql.claimUnreleased, params)).rows;
      if (runs.length === 0) return [];
      const journals = await loadJournals(pool, this.journalSql, runs.map((r) => r.runId));
      return runs.map((run) => ({ run, journal: journals.get(run.runId) ?? [] }));
    });
  }

  async renewLeases(owner: string, runIds: string[], leaseMs: number, now: number): Promise<{ lost: string[]; skipped?: string[] }> {
    if (runIds.length === 0) return { lost: [] };
    checkClaim({ owner, leaseMs, now });
    const ids = runIds.filter(isStorableText);
    return this.run('renewLeases', async (pool) => {
      const res = await query<{ id: string }>(pool, this.runSql.renew, [Math.round(leaseMs), ids, owner]);
      const kept = new Set(res.rows.map((r) => r.id));
      const missing = runIds.filter((id) => !kept.has(id));
      if (missing.length === 0) return { lost: [] };
      // Not renewed: either no longer ours, or locked by another transaction right now (still ours,
      // but its lease was not extended: the worker must not count on it).
      const owned = await query<{ id: string }>(pool, this.runSql.ownedOf, [missing.filter(isStorableText), owner]);
      const still = new Set(owned.rows.map((r) => r.id));
      const skipped = missing.filter((id) => still.has(id));
      const lost = missing.filter((id) => !still.has(id));
      return skipped.length ? { lost, skipped } : { lost };
    });
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
    return this.tx('resumeRun', async (c) => {
      checkResumable(req.runId, (await query<RunRecord>(c, this.runSql.byIdForUpdate, [req.runId])).rows[0]);
      // Rows in one order (the run row's lock already keeps two resumes of this run apart).
      for (const p of [...paths].sort()) {
        const row = (await query<JournalEntry>(c, this.journalSql.rowForUpdate, [req.runId, p])).rows[0];
        checkSuspendedRow(req.runId, p, row);
        await query(c, this.journalSql.setResumed, [req.runId, p, resumedMeta(row.meta, req.resumeData)]);
      }
      const res = await query<RunRecord>(c, this.runSql.resume, [
        req.runId,
        req.owner ? 'running' : 'pending',
        req.owner,
        leaseLength(req.owner, req.leaseExpiresAt, req.now),
        req.requestContext,
        req.now,
      ]);
      const run = res.rows[0];
      if (!run) throw new StoreError(`resumeRun: run ${req.runId} changed while locked`);
      return run;
    });
  }

  async retryRun(req: RetryRequest): Promise<RunRecord> {
    if (!isStorableText(req.runId)) throw new RunNotFoundError(req.runId);
    checkText(req.owner, 'owner');
    return this.tx('retryRun', async (c) => {
      const run = (await query<RunRecord>(c, this.runSql.byIdForUpdate, [req.runId])).rows[0];
      checkRetryable(req.runId, run);
      await query(c, this.runSql.deleteFailed, [req.runId]);
      const status = req.owner ? 'running' : 'pending';
      const res = await query<RunRecord>(c, this.runSql.retry, [req.runId, status, req.owner, leaseLength(req.owner, req.leaseExpiresAt, req.now), req.now]);
      const retried = res.rows[0];
      if (!retried) throw new StoreError(`retryRun: run ${req.runId} changed inside its own transaction`);
      return retried;
    });
  }

  async reviseRun(req: ReviseRequest): Promise<ClaimedRun> {
    checkRevise(req);
    return this.tx('reviseRun', async (c) => {
      const run = (await query<RunRecord>(c, this.runSql.byIdForUpdate, [req.runId])).rows[0];
      // A run created here starts its course now: no status to check.
      if (!run && req.create) await query(c, this.runSql.insert, pgRunValues(req.create));
      else checkRevisable(req, run);
      if (req.journal) {
        await query(c, this.runSql.keepHistory, [req.runId, req.journal.reason, req.now]);
        await query(c, this.runSql.clearJournal, [req.runId]);
        const rows = req.journal.rows;
        if (rows.length) {
          const col = <K extends keyof JournalEntry>(k: K) => rows.map((e) => e[k] ?? null);
          await query(c, this.runSql.insertJournal, [
            col('runId'), col('path'), col('kind'), col('status'), col('attempt'), col('input'), col('output'),
            col('error'), col('meta'), col('startedAt'), col('endedAt'),
          ]);
        }
      }
      const p = req.patch;
      const set = (k: keyof ReviseRequest['patch']) => [k in p, p[k] ?? null];
      const status = req.owner ? 'running' : 'pending';
      const res = await query<RunRecord>(c, this.runSql.revise, [
        req.runId, status, req.owner, leaseLength(req.owner, req.leaseExpiresAt, req.now),
        ...set('input'), ...set('state'), ...set('requestContext'), ...set('options'), req.now,
      ]);
      const revised = res.rows[0];
      if (!revised) throw new StoreError(`reviseRun: run ${req.runId} changed inside its own transaction`);
      const journal = await loadJournal(c, this.journalSql, req.runId);
      return { run: revised, journal };
    });
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
    const owner = hold?.owner ?? null;
    return this.run('cancelRun', async (pool) => {
      const params = [runId, now, owner, leaseLength(owner, hold?.leaseExpiresAt, now)];
      const canceled = (await query<RunRecord>(pool, this.runSql.cancel, params)).rows[0];
      if (canceled) return canceled;
      return (await query<RunRecord>(pool, this.runSql.byId, [runId])).rows[0] ?? null;
    });
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

/** A new run's column values (shared/run-rules.ts), with the lease as a length: the database adds its clock. */
/** insertMany's columns: one array per column, each run once (the first occurrence of an id). */
/** How many values pgRunValues gives (insertOne's parameters, insertMany's arrays). */
const RUN_VALUE_COUNT = 20;

function runColumns(runs: NewRun[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: RUN_VALUE_COUNT }, () => []);
  const seen = new Set<string>();
  for (const r of runs) {
    if (seen.has(r.runId)) continue;
    seen.add(r.runId);
    pgRunValues(r).forEach((v, i) => cols[i]!.push(v));
  }
  return cols;
}

function pgRunValues(run: NewRun): unknown[] {
  const values = newRunValues(run);
  values[9] = leaseLength(run.owner, run.leaseExpiresAt, run.now);
  values[12] = Math.round(run.now);
  return values;
}

function ignorePoolError(): void {}
