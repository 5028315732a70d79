import { InvalidArgumentError, ShardRoutingError, ShardUnsupportedError, StoreError } from '../../errors.js';
import type {
  ChildWaitRequest,
  ChildWaitResult,
  EventPruneRequest,
  StreamRow,
  AdmitOutcome,
  ClaimOptions,
  ClaimedRun,
  FlowAdmission,
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
import { runIdOf } from '../types.js';
import { checkAdmission, checkClaim, checkNewRun, checkWriteOp } from '../shared/validate.js';
import { byteCompare, fillFrom, linksAcross, listAcross, scanAcross } from './fan-out.js';
import { ShardRouter, type ShardBy } from './routing.js';

export interface ShardedStoreOptions {
  /** How runs whose ids the store makes are placed (see ShardBy). Default 'runId'. */
  by?: ShardBy;
  /**
   * The shards this process's worker takes runs from (indexes into `stores`; default: all). Workers
   * per shard: give each worker process the same stores, in the same order, and its own `claimFrom`;
   * starts, reads and listings still reach every shard.
   */
  claimFrom?: readonly number[];
}

/**
 * One Store over several: a router. A run lives on the shard its id hashes to, so every run-scoped
 * operation goes to one shard without a lookup; cross-run reads fan out and merge; claims ask the
 * shards in turn. What is per shard and what cannot be exact across shards is in docs/performance.md
 * ("Sharding") and docs/operations.md ("Shards").
 */
export class ShardedStore implements Store {
  readonly kind: Store['kind'];
  readonly router: ShardRouter;
  /** Where the next claim starts, so no shard is always asked last. */
  private turn = 0;
  /** The shards claims, takeovers and timers look at (ClaimFrom). */
  private readonly claimable: readonly Store[];

  constructor(
    readonly shards: readonly Store[],
    opts: ShardedStoreOptions = {},
  ) {
    if (!Array.isArray(shards) || shards.length === 0) throw new InvalidArgumentError('shardedStore needs at least one store');
    if (new Set(shards).size !== shards.length) throw new InvalidArgumentError('shardedStore: the same store is given twice');
    const kinds = new Set(shards.map((s) => s.kind));
    if (kinds.size !== 1) throw new InvalidArgumentError(`shardedStore: every shard must be the same kind of store (got ${[...kinds].join(', ')})`);
    const by = opts.by ?? 'runId';
    if (by !== 'runId' && by !== 'workflow' && typeof by !== 'function') throw new InvalidArgumentError(`shardedStore: by must be 'runId', 'workflow' or a function`);
    this.kind = shards[0]!.kind;
    this.router = new ShardRouter(shards.length, by);
    const from = opts.claimFrom ?? shards.map((_, i) => i);
    if (!Array.isArray(from) || from.length === 0 || from.some((i) => !Number.isInteger(i) || i < 0 || i >= shards.length) || new Set(from).size !== from.length) {
      throw new InvalidArgumentError(`shardedStore: claimFrom must list distinct shard indexes 0..${shards.length - 1}`);
    }
    this.claimable = from.map((i) => shards[i]!);
    if (shards.every((s) => s.subscribe)) this.subscribe = (onEvent) => this.subscribeAll(onEvent);
  }

  /** The first shard's offset: shards on several servers must keep their clocks in sync (NTP). */
  get clockOffsetMs(): number | undefined {
    return this.shards[0]!.clockOffsetMs;
  }

  setClock(now: () => number): void {
    for (const s of this.shards) s.setClock?.(now);
  }

  newRunId(workflowId: string, now: number): string {
    return this.router.newRunId(workflowId, now);
  }

  colocatedRunId(nearRunId: string, candidate: string): string {
    return this.router.colocatedRunId(nearRunId, candidate);
  }

  /** A child run's outcome wakes its parent in one transaction: both must live on one shard. */
  private checkChildPlacement(runs: readonly NewRun[]): void {
    for (const r of runs) {
      if (r.parent && this.router.ofRun(r.parent.runId) !== this.router.ofRun(r.runId)) {
        throw new ShardUnsupportedError(
          `child run "${r.runId}" would live on another shard than its parent "${r.parent.runId}"; let ctx.startWorkflow derive the child's id (it is placed on the parent's shard)`,
        );
      }
    }
  }

  private of(runId: string): Store {
    return this.shards[this.router.ofRun(runId)]!;
  }

  private all<T>(fn: (s: Store, i: number) => Promise<T>): Promise<T[]> {
    return Promise.all(this.shards.map(fn));
  }

  async open(): Promise<void> {
    await this.all((s) => s.open());
  }

  async close(): Promise<void> {
    const out = await Promise.allSettled(this.shards.map((s) => s.close()));
    const failed = out.find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    this.checkChildPlacement([run]);
    return this.of(run.runId).createRun(run);
  }

  /**
   * All or nothing per shard. Across shards, every item is checked before any shard writes, so a batch
   * with an item the store refuses (INVALID_ARGUMENT) stores nothing; a shard failing for another
   * reason (its database down) can leave the other shards' items created (a retry finds them:
   * creation is idempotent on the run id).
   */
  async createRuns(runs: NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    this.checkChildPlacement(runs);
    const groups = this.router.group(runs, (r) => this.router.ofRun(r.runId));
    if (groups.size === 1) return this.shards[groups.keys().next().value!]!.createRuns(runs);
    for (const r of runs) checkNewRun(r);
    const out = new Array<{ created: boolean; run: RunRecord }>(runs.length);
    await Promise.all(
      [...groups].map(async ([shard, g]) => {
        const res = await this.shards[shard]!.createRuns(g.items);
        res.forEach((r, i) => (out[g.at[i]!] = r));
      }),
    );
    return out;
  }

  /**
   * Failures stay per item across shards too: a shard that fails as a whole (after others committed)
   * fails its own items with that error, and the other shards' items stand.
   */
  async createRunsSettled(runs: NewRun[]): Promise<SettledCreate[]> {
    if (runs.length === 0) return [];
    this.checkChildPlacement(runs);
    const groups = this.router.group(runs, (r) => this.router.ofRun(r.runId));
    const out = new Array<SettledCreate>(runs.length);
    const settled = await Promise.allSettled(
      [...groups].map(async ([shard, g]) => {
        const s = this.shards[shard]!;
        const res: SettledCreate[] = s.createRunsSettled ? await s.createRunsSettled(g.items) : await s.createRuns(g.items);
        res.forEach((r, i) => (out[g.at[i]!] = r));
      }),
    );
    const failures = settled.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failures.length === settled.length) throw failures[0]!.reason;
    [...groups.values()].forEach((g, k) => {
      const o = settled[k]!;
      if (o.status === 'rejected') for (const at of g.at) out[at] = { error: asError(o.reason) };
    });
    return out;
  }

  /**
   * Flow control is decided with the rows of earlier starts of the same workflow, in one transaction:
   * exact only when those starts all live on one shard, the workflow's home ('workflow' or function
   * placement). A start without flow rules is only a create (idempotent on its id).
   */
  async admitRun(req: FlowAdmission): Promise<AdmitOutcome> {
    checkAdmission(req);
    const { runId, workflowId } = req.run;
    const shard = this.router.ofRun(runId);
    if (req.idempotency || req.rate || req.singleton || req.debounce || req.batch) {
      const home = this.router.homeOf(workflowId);
      if (home === null) {
        throw new ShardUnsupportedError(
          `flow control (idempotency keys, rate limits, singletons, debounce, batching) of workflow "${workflowId}" cannot be exact over shards that spread its runs by run id: build the sharded store with by: 'workflow' (or a function)`,
        );
      }
      if (home !== shard) {
        throw new ShardRoutingError(
          `run "${runId}" routes to shard ${shard}, but the flow control of workflow "${workflowId}" lives on shard ${home}: start it without a run id, or with one from store.newRunId("${workflowId}")`,
        );
      }
    }
    return this.shards[shard]!.admitRun(req);
  }

  loadRun(runId: string): Promise<RunRecord | null> {
    return this.of(runId).loadRun(runId);
  }

  loadJournal(runId: string): Promise<JournalEntry[]> {
    return this.of(runId).loadJournal(runId);
  }

  scanRuns(opts: ScanRunsOptions): Promise<RunHead[]> {
    return scanAcross(this.shards, opts);
  }

  async loadJournals(runIds: readonly string[]): Promise<JournalEntry[]> {
    const groups = this.router.group(runIds, (id) => this.router.ofRun(id));
    const rows = await Promise.all([...groups].map(([shard, g]) => this.shards[shard]!.loadJournals(g.items)));
    const byRun = new Map<string, JournalEntry[]>();
    for (const e of rows.flat()) {
      let list = byRun.get(e.runId);
      if (!list) byRun.set(e.runId, (list = []));
      list.push(e);
    }
    return [...new Set(runIds)].flatMap((id) => byRun.get(id) ?? []);
  }

  listRuns(filter: ListRunsFilter): Promise<ListRunsResult> {
    return listAcross(this.shards, filter);
  }

  deleteRun(runId: string): Promise<boolean> {
    return this.of(runId).deleteRun(runId);
  }

  blobBytes(runId: string): Promise<number> {
    return this.of(runId).blobBytes(runId);
  }

  /**
   * A batch's runs are committed shard by shard (one transaction each, at once): a run's ops all go to
   * its shard, so each run's ops stay atomic; runs on different shards were never ordered.
   */
  async write(ops: WriteOp[]): Promise<WriteOutcome> {
    const groups = this.router.group(ops, (op) => this.router.ofRun(runIdOf(op)));
    if (groups.size === 1) return this.shards[groups.keys().next().value!]!.write(ops);
    // As in createRuns: a batch with an op the store refuses writes nothing on any shard.
    for (const op of ops) checkWriteOp(op);
    const outs = await Promise.all([...groups].map(([shard, g]) => this.shards[shard]!.write(g.items)));
    return { fenced: outs.flatMap((o) => o.fenced) };
  }

  /** Like createRunsSettled: a shard that fails whole, after others committed, fails its own runs. */
  async writeSettled(ops: WriteOp[]): Promise<WriteOutcome> {
    if (ops.length === 0) return { fenced: [] };
    const groups = this.router.group(ops, (op) => this.router.ofRun(runIdOf(op)));
    const entries = [...groups];
    const settled = await Promise.allSettled(
      entries.map(([shard, g]) => {
        const s = this.shards[shard]!;
        return s.writeSettled ? s.writeSettled(g.items) : s.write(g.items);
      }),
    );
    if (settled.every((o) => o.status === 'rejected')) throw (settled[0] as PromiseRejectedResult).reason;
    const out: Required<WriteOutcome> = { fenced: [], failed: [], deferred: [] };
    settled.forEach((o, k) => {
      if (o.status === 'fulfilled') {
        out.fenced.push(...o.value.fenced);
        out.failed.push(...(o.value.failed ?? []));
        out.deferred.push(...(o.value.deferred ?? []));
      } else {
        const error = asError(o.reason);
        for (const runId of new Set(entries[k]![1].items.map(runIdOf))) out.failed.push({ runId, error });
      }
    });
    return out;
  }

  claimRun(runId: string, opts: Omit<ClaimOptions, 'limit' | 'workflowIds'>): Promise<ClaimedRun | null> {
    return this.of(runId).claimRun(runId, opts);
  }

  /**
   * Shards are asked in turn (a rotating start) for what is left of `limit`: priority and age order
   * hold within a shard and within the returned batch, not across shards (a shard asked first may
   * give a run that another shard's older or higher-priority run should have preceded). Concurrency limits and throttles count the runs of one
   * shard, so they are exact only when a workflow's runs share a shard.
   */
  async claimRuns(opts: ClaimOptions): Promise<ClaimedRun[]> {
    checkClaim(opts);
    if (opts.limit <= 0 || opts.workflowIds.length === 0) return [];
    this.checkPerWorkflow(opts);
    const claimed = await fillFrom(this.claimable.length, this.nextTurn(), opts.limit, (i, limit) => this.claimable[i]!.claimRuns({ ...opts, limit }));
    // One batch is handed out in claim order, whichever shards its runs came from.
    return claimed.sort((a, b) => b.run.priority - a.run.priority || a.run.createdAt - b.run.createdAt || byteCompare(a.run.runId, b.run.runId));
  }

  async claimUnreleased(opts: ClaimOptions & { runId?: string }): Promise<ClaimedRun[]> {
    const take = (s: Store, o: typeof opts) => (s.claimUnreleased ? s.claimUnreleased(o) : Promise.resolve([]));
    if (opts.runId !== undefined) return take(this.of(opts.runId), opts);
    if (opts.limit <= 0) return [];
    return fillFrom(this.claimable.length, this.nextTurn(), opts.limit, (i, limit) => take(this.claimable[i]!, { ...opts, limit }));
  }

  private nextTurn(): number {
    this.turn = (this.turn + 1) % this.claimable.length;
    return this.turn;
  }

  private checkPerWorkflow(opts: ClaimOptions): void {
    const limited = [...Object.keys(opts.limits ?? {}), ...Object.keys(opts.throttles ?? {})];
    const spread = limited.find((wf) => this.router.homeOf(wf) === null);
    if (spread !== undefined) {
      throw new ShardUnsupportedError(
        `the concurrency limit or throttle of workflow "${spread}" cannot be exact over shards that spread its runs by run id: build the sharded store with by: 'workflow' (or a function)`,
      );
    }
  }

  async renewLeases(owner: string, runIds: string[], leaseMs: number, now: number): Promise<{ lost: string[]; skipped?: string[] }> {
    const groups = this.router.group(runIds, (id) => this.router.ofRun(id));
    const outs = await Promise.all([...groups].map(([shard, g]) => this.shards[shard]!.renewLeases(owner, g.items, leaseMs, now)));
    const skipped = outs.flatMap((o) => o.skipped ?? []);
    return { lost: outs.flatMap((o) => o.lost), ...(skipped.length ? { skipped } : {}) };
  }

  async listOwners(now: number): Promise<string[]> {
    return [...new Set((await this.all((s) => s.listOwners(now))).flat())];
  }

  async expireOwner(owner: string): Promise<number> {
    return (await this.all((s) => s.expireOwner(owner))).reduce((a, b) => a + b, 0);
  }

  async nextWakeAt(workflowIds: string[]): Promise<number | null> {
    const all = (await Promise.all(this.claimable.map((s) => s.nextWakeAt(workflowIds)))).filter((t): t is number => t !== null);
    return all.length ? Math.min(...all) : null;
  }

  resumeRun(req: ResumeRequest): Promise<RunRecord> {
    return this.of(req.runId).resumeRun(req);
  }

  cancelRun(runId: string, now: number, hold?: HoldRequest): Promise<RunRecord | null> {
    return this.of(runId).cancelRun(runId, now, hold);
  }

  retryRun(req: RetryRequest): Promise<RunRecord> {
    return this.of(req.runId).retryRun(req);
  }

  reviseRun(req: ReviseRequest): Promise<ClaimedRun> {
    return this.of(req.runId).reviseRun(req);
  }

  loadHistory(runId: string): Promise<JournalGeneration[]> {
    return this.of(runId).loadHistory(runId);
  }

  readStream(runId: string, after: number, limit: number): Promise<StreamRow[]> {
    return this.of(runId).readStream(runId, after, limit);
  }

  registerChildWait(req: ChildWaitRequest): Promise<ChildWaitResult> {
    // Asked on the parent's shard: no child lives elsewhere (checkChildPlacement refuses to create one),
    // so an id routing to another shard is reported like any missing child.
    const s = this.of(req.runId);
    if (!s.registerChildWait) throw new ShardUnsupportedError(`the ${s.kind} store does not support child runs`);
    return s.registerChildWait(req);
  }

  /** Shard after shard, each for what is left of the batch (as pruneRuns). */
  async pruneEvents(req: EventPruneRequest): Promise<number> {
    let n = 0;
    for (const s of this.shards) {
      if (n >= req.limit) break;
      if (s.pruneEvents) n += await s.pruneEvents({ ...req, limit: req.limit - n });
    }
    return n;
  }

  loadLinks(runId: string): Promise<RunLinks> {
    return linksAcross(this.shards, this.router.ofRun(runId), runId);
  }

  /** Shard after shard, each for what is left of the batch. */
  async pruneRuns(req: PruneRequest): Promise<number> {
    let n = 0;
    for (const s of this.shards) {
      if (n >= req.limit) break;
      if (s.pruneRuns) n += await s.pruneRuns({ ...req, limit: req.limit - n });
    }
    return n;
  }

  /** Present when every shard delivers events (PostgreSQL); otherwise workers poll, as on one store. */
  readonly subscribe?: (onEvent: (event: StoreEvent) => void) => Promise<() => Promise<void>>;

  private async subscribeAll(onEvent: (event: StoreEvent) => void): Promise<() => Promise<void>> {
    const stops: (() => Promise<void>)[] = [];
    try {
      for (const s of this.shards) if (s.subscribe) stops.push(await s.subscribe(onEvent));
    } catch (err) {
      await Promise.allSettled(stops.map((stop) => stop()));
      throw err;
    }
    return async () => void (await Promise.all(stops.map((stop) => stop())));
  }

  async maintain(): Promise<void> {
    await this.all(async (s) => s.maintain?.());
  }

  /**
   * An event for one run goes to that run's shard. Any other event is stored on every shard (each
   * delivers it to its own waiting runs, and keeps it for runs that reach a wait later) with the runs it
   * starts on their own shards: the same event id is idempotent per shard, so a send that failed on one
   * shard is completed there by sending it again, and nothing is delivered or started twice.
   */
  async sendEvent(req: SendEventRequest): Promise<SendEventResult> {
    const send = (s: Store, r: SendEventRequest): Promise<SendEventResult> => {
      if (!s.sendEvent) throw new ShardUnsupportedError(`the ${s.kind} store does not support events`);
      return s.sendEvent(r);
    };
    const starts = this.router.group(req.startRuns ?? [], (r) => this.router.ofRun(r.runId));
    if (req.event.runId !== null) {
      const shard = this.router.ofRun(req.event.runId);
      if ([...starts.keys()].some((k) => k !== shard)) throw new ShardUnsupportedError('an event sent to one run cannot start runs on other shards');
      return send(this.shards[shard]!, req);
    }
    const outs = await this.all((s, i) => send(s, { event: req.event, ...(starts.has(i) ? { startRuns: starts.get(i)!.items } : {}) }));
    const home = this.router.ofRun(req.event.id);
    return {
      created: outs[home]!.created,
      delivered: outs.flatMap((o) => o.delivered),
      started: outs.flatMap((o) => o.started),
    };
  }

  registerWait(req: WaitRequest): Promise<WaitResult> {
    const s = this.of(req.runId);
    if (!s.registerWait) throw new ShardUnsupportedError(`the ${s.kind} store does not support waiting for events`);
    return s.registerWait(req);
  }

  /** An event lives on its run's shard (a run's event) or on all of them: the first one found. */
  async loadEvent(id: string): Promise<StoredEvent | null> {
    const found = await this.all(async (s) => (s.loadEvent ? s.loadEvent(id) : null));
    return found.find((e) => e !== null) ?? null;
  }

  ensureSchedule(workflowId: string, now: number): Promise<ScheduleRecord> {
    return this.shards[this.router.ofWorkflow(workflowId)]!.ensureSchedule(workflowId, now);
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    // Each workflow's schedule row lives on its workflow's shard only.
    const rows = (await this.all(async (s, i) => (await s.listSchedules()).filter((r) => this.router.ofWorkflow(r.workflowId) === i))).flat();
    return rows.sort((a, b) => byteCompare(a.workflowId, b.workflowId));
  }

  setSchedulePaused(workflowId: string, paused: boolean, now: number): Promise<ScheduleRecord | null> {
    return this.shards[this.router.ofWorkflow(workflowId)]!.setSchedulePaused(workflowId, paused, now);
  }

  markScheduleFired(workflowId: string, fireAt: number, now: number): Promise<void> {
    return this.shards[this.router.ofWorkflow(workflowId)]!.markScheduleFired(workflowId, fireAt, now);
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new StoreError('a shard failed', { cause: reason, retryable: true });
}

/**
 * A store that spreads runs over several stores of one kind (SQLite files, PostgreSQL servers or
 * schemas). The order of `stores` is part of the layout: keep it, and the count, for the data's life.
 */
export function shardedStore(stores: readonly Store[], opts: ShardedStoreOptions = {}): ShardedStore {
  return new ShardedStore(stores, opts);
}
