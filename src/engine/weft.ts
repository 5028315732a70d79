import type { CreateRunOptions, ListRunsOptions, ResultQueryOptions, RunHandle, RunSummary, RunView, WorkflowResult } from '../define/run-types.js';
import type { WorkflowRuntime } from '../define/runtime.js';
import { Workflow, type AnyWorkflow } from '../define/workflow.js';
import { InvalidArgumentError, LeaseLostError, RunNotFoundError, WorkflowNotFoundError, EngineStoppedError } from '../errors.js';
import type { ClaimedRun, NewRun, RunRecord, RunStatus, Store, StoreEvent } from '../store/types.js';
import { isTerminal } from '../store/types.js';
import { newOwnerId } from '../worker/owner.js';
import { Worker } from '../worker/worker.js';
import { parseSchedule, Scheduler } from '../worker/cron.js';
import { SchedulesApi, type ScheduleInfo } from './schedules.js';
import { testHooks } from '../testing/crash-points.js';
import { EventHub } from './events.js';
import { RunExecution, type ExecutionEnd, type ExecutionHost } from './execution.js';
import { GroupCommitter } from './group-commit.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './payload.js';
import { buildResult, buildRunView, summarise } from './results.js';
import { Run } from './run.js';
import { newRunId } from './ids.js';
import { withStoreRetry, type RetryPolicy } from './store-retry.js';
import { openDefaultStore } from './default-store.js';
import { listFilterOf } from './list-filter.js';

export interface WeftOptions {
  /** Registry: key -> committed workflow. */
  workflows?: Record<string, AnyWorkflow>;
  /** Defaults to sqliteStore({ path: '.weft/weft.db' }). */
  store?: Store;
  /** How this process executes runs; `false` makes it a pure client that never executes. */
  worker?:
    | false
    | {
        concurrency?: number;
        /** How long a claimed run stays this process's without a renewal (default 15 000). */
        leaseMs?: number;
        /** Fallback polling interval (default 1000); notifications and timers wake the worker sooner. */
        pollMs?: number;
        /** Lease renewal interval (default leaseMs / 3, at most 1000 without store notifications). */
        renewMs?: number;
      };
  /** Largest JSON payload (input, output, state) accepted, in bytes. Default 16 MiB. */
  maxPayloadBytes?: number;
  /** Sleeps and retry delays up to this many ms wait in process; longer ones park the run. Default 5000. */
  inProcessSleepMs?: number;
  /** How long store calls are retried through connection loss before a run gives up. Default 5 min. */
  storeRetryMs?: number;
  /** Called with background errors (a failed poll, a lost connection). Default: console.error. */
  onError?: (err: unknown) => void;
}

/** Lease settings of a run created, resumed or retried already claimed by this process. */
export interface LocalClaim {
  owner: string;
  leaseExpiresAt: number;
}

/** Settled statuses end a `start()`/`resume()` wait; `waiting` does not (the run goes on later). */
const SETTLED: readonly RunStatus[] = ['success', 'failed', 'canceled', 'suspended'];

/**
 * The engine: a registry of workflows bound to a store, with a worker that executes runs. One Weft per
 * process is typical; several can share a store (they coordinate through leases).
 */
export class Weft implements WorkflowRuntime {
  readonly store: Store;
  readonly ownerId = newOwnerId();
  readonly events = new EventHub();
  private readonly registry = new Map<string, AnyWorkflow>();
  private readonly byId = new Map<string, AnyWorkflow>();
  private readonly committer: GroupCommitter;
  private readonly worker: Worker | null;
  private readonly host: ExecutionHost;
  private readonly retry: RetryPolicy;
  private readonly executions = new Map<string, { exec: RunExecution; done: Promise<ExecutionEnd> }>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Handles created but not started: reported as `pending` in this process (nothing is stored yet). */
  private readonly unstarted = new Map<string, string>();
  private startPromise: Promise<void> | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private scheduler: Scheduler | null = null;
  private readonly schedulesApi: SchedulesApi;
  private stopped = false;
  private readonly onError: (err: unknown) => void;

  constructor(opts: WeftOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('Weft options must be an object');
    this.store = opts.store ?? openDefaultStore();
    this.onError = opts.onError ?? ((err) => console.error('[weft]', err));
    this.retry = { maxMs: opts.storeRetryMs ?? 300_000, baseMs: 50, isStopped: () => this.stopped };
    this.committer = new GroupCommitter(this.store, this.retry);
    const maxPayloadBytes = opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!(Number.isFinite(maxPayloadBytes) && maxPayloadBytes > 0)) throw new InvalidArgumentError('maxPayloadBytes must be a positive number');
    const clock = testHooks.now ?? Date.now;
    const store = this.store;
    this.host = {
      committer: this.committer,
      events: this.events,
      maxPayloadBytes,
      inProcessSleepMs: opts.inProcessSleepMs ?? 5000,
      // On a store that keeps time by its own clock (PostgreSQL: the database's), the times this
      // process writes (wake times, run and step times) follow that clock too, so workers whose clocks
      // disagree still agree on when a timer is due.
      now: store.clockOffsetMs === undefined ? clock : () => clock() + (store.clockOffsetMs ?? 0),
    };
    if (opts.worker === false) this.worker = null;
    else {
      const w = opts.worker ?? {};
      const concurrency = w.concurrency ?? 100;
      const leaseMs = w.leaseMs ?? 15_000;
      const pollMs = w.pollMs ?? 1000;
      if (!(Number.isInteger(concurrency) && concurrency > 0)) throw new InvalidArgumentError('worker.concurrency must be a positive integer');
      if (!(leaseMs >= 100)) throw new InvalidArgumentError('worker.leaseMs must be at least 100');
      if (!(pollMs >= 1)) throw new InvalidArgumentError('worker.pollMs must be at least 1');
      if (w.renewMs !== undefined && !(w.renewMs >= 10 && w.renewMs < leaseMs)) throw new InvalidArgumentError('worker.renewMs must be at least 10 and less than leaseMs');
      // Only a store other processes share can have a run taken over; in memory the guard would only
      // abort a step that blocked the event loop for longer than the lease.
      const leaseGuard = this.store.kind !== 'memory' && testHooks.leaseGuard;
      const worker = new Worker(
        {
          store: this.store,
          ownerId: this.ownerId,
          workflowIds: () => [...this.byId.keys()],
          limits: () => this.limits(),
          launch: (c) => this.launch(c),
          onLeaseLost: (id, kind) => {
            const e = this.executions.get(id);
            if (e) e.exec.loseLease(kind);
            else if (!this.stopped) testHooks.leaseLost?.(id, kind);
          },
          onError: (e) => this.onError(e),
          now: () => this.host.now(),
        },
        { concurrency, leaseMs, pollMs, renewMs: w.renewMs, leaseGuard, keepAlive: this.store.kind !== 'memory' || opts.inProcessSleepMs !== Infinity },
      );
      this.worker = worker;
      if (leaseGuard) this.host.leaseHeld = (runId) => worker.leaseHeld(runId);
    }
    this.schedulesApi = new SchedulesApi({
      store: this.store,
      start: () => this.start(),
      storeCall: (fn) => this.storeCall(fn),
      scheduledWorkflows: () => [...this.byId.values()].filter((wf) => wf.schedule !== undefined),
      startRun: (wf, runId, inputData) => this.startScheduled(wf, runId, inputData),
      now: () => this.host.now(),
    });
    for (const [key, wf] of Object.entries(opts.workflows ?? {})) this.register(key, wf);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Opens the store (migrating it), recovers unfinished runs and starts timers. Idempotent. */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new EngineStoppedError());
    this.startPromise ??= (async () => {
      await withStoreRetry(() => this.store.open(), this.retry);
      if (this.store.subscribe) {
        try {
          this.unsubscribe = await this.store.subscribe((e) => this.onStoreEvent(e));
        } catch (err) {
          // Notifications only make things faster; polling still finds everything.
          this.onError(err);
        }
      }
      await this.worker?.start();
      if (this.worker && [...this.byId.values()].some((wf) => wf.schedule)) {
        this.scheduler = new Scheduler(
          {
            store: this.store,
            scheduled: () => [...this.byId.values()].filter((wf) => wf.schedule).map((wf) => ({ workflowId: wf.id, schedule: wf.schedule! })),
            fire: (id, runId, inputData) => this.startScheduled(this.getWorkflow(id), runId, inputData),
            onError: (e) => this.onError(e),
            now: () => this.host.now(),
          },
          this.worker.opts.keepAlive,
        );
        await this.scheduler.start();
      }
    })();
    return this.startPromise;
  }

  /**
   * Stops claiming, waits up to `timeoutMs` for in-flight steps, aborts the rest, releases their
   * leases so other workers take over at once, and closes the store.
   */
  async stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopped) return;
    this.scheduler?.stop();
    this.worker?.stop();
    const inflight = [...this.executions.values()].map((e) => e.done);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(inflight), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    const left = [...this.executions.values()];
    for (const e of left) e.exec.abort(new Error('the engine is stopping'));
    await Promise.allSettled(left.map((e) => e.done));
    await Promise.allSettled(
      left.map((e) =>
        this.committer.write({ type: 'run', runId: e.exec.runId, epoch: e.exec.epoch, patch: { release: true }, now: this.host.now() }),
      ),
    );
    await this.committer.drain();
    this.stopped = true;
    await this.unsubscribe?.().catch((err: unknown) => this.onError(err));
    this.unsubscribe = null;
    for (const wf of this.byId.values()) if (wf.runtime === this) wf.runtime = undefined;
    if (this.startPromise) await this.store.close();
  }

  /** Events from other processes (PostgreSQL NOTIFY). Each only speeds up what polling would find. */
  private onStoreEvent(e: StoreEvent): void {
    switch (e.type) {
      case 'runnable':
        this.worker?.wake(e.workflowId);
        return;
      case 'canceled':
        this.abortLocal(e.runId, new Error('the run was canceled'));
        this.notify(e.runId);
        if (this.byId.get(e.workflowId)?.concurrency) this.worker?.wake(e.workflowId);
        return;
      case 'settled':
        this.notify(e.runId);
        if (this.byId.get(e.workflowId)?.concurrency) this.worker?.wake(e.workflowId);
        return;
      case 'reconnected':
        this.worker?.recheck();
        for (const id of [...this.waiters.keys()]) this.notify(id);
        return;
    }
  }

  /** Concurrency limits of the registered workflows, by workflow id. */
  private limits(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, wf] of this.byId) if (wf.concurrency) out[id] = wf.concurrency.limit;
    return out;
  }

  private async startScheduled(wf: AnyWorkflow, runId: string, inputData: unknown): Promise<boolean> {
    const run = (await wf.createRun({ runId })) as Run;
    return run.startScheduled({ inputData } as never);
  }

  // ---- schedules ---------------------------------------------------------------------------------

  /** The cron schedules of the registered workflows, with their shared pause state. */
  listSchedules(): Promise<ScheduleInfo[]> {
    return this.schedulesApi.list();
  }

  /** Pauses a schedule for every process on the store; fires while paused are skipped, not caught up. */
  pauseSchedule(workflowId: string): Promise<ScheduleInfo> {
    return this.schedulesApi.setPaused(workflowId, true);
  }

  resumeSchedule(workflowId: string): Promise<ScheduleInfo> {
    return this.schedulesApi.setPaused(workflowId, false);
  }

  /** Starts one run of the schedule now (with its inputData), paused or not. */
  triggerSchedule(workflowId: string): Promise<{ runId: string }> {
    return this.schedulesApi.trigger(workflowId);
  }

  // ---- registry ----------------------------------------------------------------------------------

  register(key: string, wf: AnyWorkflow): void {
    if (!(wf instanceof Workflow)) throw new InvalidArgumentError(`workflows.${key} is not a workflow made by createWorkflow`);
    if (!wf.isCommitted) throw new InvalidArgumentError(`workflow "${wf.id}" must be committed before it is registered`);
    if (wf.schedule) parseSchedule(wf.id, wf.schedule);
    this.registry.set(key, wf);
    this.byId.set(wf.id, wf);
    wf.runtime = this;
  }

  getWorkflow(key: string): AnyWorkflow {
    const wf = this.registry.get(key) ?? this.byId.get(key);
    if (!wf) throw new WorkflowNotFoundError(key);
    return wf;
  }

  listWorkflows(): Record<string, AnyWorkflow> {
    return Object.fromEntries(this.registry);
  }

  /** The workflow a stored run belongs to, if this process has it. */
  workflowById(id: string): AnyWorkflow | undefined {
    return this.byId.get(id);
  }

  // ---- WorkflowRuntime -------------------------------------------------------------------------------

  async createRun(wf: AnyWorkflow, opts: CreateRunOptions): Promise<RunHandle> {
    if (opts.runId !== undefined && (typeof opts.runId !== 'string' || opts.runId.length === 0 || opts.runId.length > 200)) {
      throw new InvalidArgumentError('runId must be a non-empty string of at most 200 characters');
    }
    if (opts.resourceId !== undefined && typeof opts.resourceId !== 'string') throw new InvalidArgumentError('resourceId must be a string');
    if (!this.byId.has(wf.id)) this.register(wf.id, wf);
    const runId = opts.runId ?? newRunId(this.host.now());
    if (!this.executions.has(runId)) this.unstarted.set(runId, wf.id);
    // Bounded: handles that are never started must not grow memory for the life of the process.
    if (this.unstarted.size > 10_000) this.unstarted.delete(this.unstarted.keys().next().value as string);
    return new Run(this, wf, runId, opts.resourceId);
  }

  async getWorkflowRunExecutionResult(wf: AnyWorkflow, runId: string, opts: ResultQueryOptions): Promise<WorkflowResult | null> {
    await this.start();
    const run = await this.loadRun(runId);
    if (!run || run.workflowId !== wf.id) {
      if (this.unstarted.get(runId) === wf.id) return { status: 'pending', runId, input: undefined, steps: {} } as WorkflowResult;
      return null;
    }
    const journal = await this.storeCall(() => this.store.loadJournal(runId));
    return buildResult(run, journal, opts.includeState ?? false);
  }

  async getWorkflowRunById(wf: AnyWorkflow, runId: string, _opts: ResultQueryOptions): Promise<RunView | null> {
    await this.start();
    const run = await this.loadRun(runId);
    if (!run || run.workflowId !== wf.id) return null;
    const journal = await this.storeCall(() => this.store.loadJournal(runId));
    return buildRunView(wf, run, journal);
  }

  async listWorkflowRuns(wf: AnyWorkflow, opts: ListRunsOptions): Promise<{ runs: RunSummary[]; total: number }> {
    await this.start();
    const res = await this.storeCall(() => this.store.listRuns({ ...listFilterOf(opts), workflowId: wf.id }));
    return { runs: res.runs.map(summarise), total: res.total };
  }

  async deleteWorkflowRunById(wf: AnyWorkflow, runId: string): Promise<boolean> {
    await this.start();
    const run = await this.loadRun(runId);
    if (!run || run.workflowId !== wf.id) return false;
    this.executions.get(runId)?.exec.abort(new Error('the run was deleted'));
    return this.storeCall(() => this.store.deleteRun(runId));
  }

  // ---- across workflows (CLI, HTTP API, dashboard) ------------------------------------------------

  /**
   * Lists runs of every workflow, newest first. A run whose workflow this process does not have is
   * reported with a `statusReason`: it is never failed for that, and runs again once a worker that
   * has the workflow starts.
   */
  async listRuns(opts: ListRunsOptions & { workflowId?: string } = {}): Promise<{ runs: RunSummary[]; total: number }> {
    await this.start();
    const filter = listFilterOf(opts);
    const res = await this.storeCall(() => this.store.listRuns({ ...filter, workflowId: opts.workflowId }));
    return { runs: res.runs.map((r) => this.explain(summarise(r))), total: res.total };
  }

  /**
   * Retries a failed run from its failed step: steps that succeeded are replayed from the journal,
   * the failed step (and everything after it) runs again. Returns at once; the run continues here
   * when this process has room, otherwise on any worker.
   */
  async retryRun(workflowId: string, runId: string): Promise<{ runId: string }> {
    if (typeof runId !== 'string' || runId.length === 0) throw new InvalidArgumentError('runId must be a non-empty string');
    const wf = this.getWorkflow(workflowId);
    await this.start();
    const run = await this.loadRun(runId);
    if (!run || run.workflowId !== wf.id) throw new RunNotFoundError(runId);
    await this.withLocalClaim(wf, async (claim, launched) => {
      const retried = await this.storeCall(() =>
        this.store.retryRun({ runId, now: this.host.now(), owner: claim?.owner ?? null, leaseExpiresAt: claim?.leaseExpiresAt ?? null }),
      );
      if (claim) {
        const journal = await this.storeCall(() => this.store.loadJournal(runId));
        this.launch({ run: retried, journal });
        launched();
      } else this.queued();
    });
    return { runId };
  }

  /** One run's full view, whatever its workflow; null when it does not exist. */
  async getRun(runId: string): Promise<RunView | null> {
    if (typeof runId !== 'string' || runId.length === 0) throw new InvalidArgumentError('runId must be a non-empty string');
    await this.start();
    const run = await this.loadRun(runId);
    if (!run) return null;
    const journal = await this.storeCall(() => this.store.loadJournal(runId));
    const wf = this.byId.get(run.workflowId);
    if (wf) return buildRunView(wf, run, journal);
    return this.explain(buildRunView(null, run, journal));
  }

  private explain<T extends RunSummary>(s: T): T {
    if (!isTerminal(s.status) && s.status !== 'suspended' && !this.byId.has(s.workflowName) && !s.statusReason) {
      s.statusReason = `workflow "${s.workflowName}" is not registered in this process; the run waits for a worker that has it`;
    }
    return s;
  }

  // ---- used by Run handles ---------------------------------------------------------------------

  /** @internal */
  storeCall<T>(fn: () => Promise<T>): Promise<T> {
    return withStoreRetry(fn, this.retry);
  }

  /** @internal Group-committed run creation (one transaction for a burst of startAsync calls). */
  createStoredRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    return this.committer.create(run);
  }

  /** @internal */
  loadRun(runId: string): Promise<RunRecord | null> {
    return this.storeCall(() => this.store.loadRun(runId));
  }

  /**
   * @internal Runs `use` with the lease settings for a run this process creates (or resumes, or
   * retries) already claimed, or with null when it has no free slot or the workflow is limited (only
   * the store's claim can count a limited run across every worker). The slot is reserved until `use`
   * ends; `use` calls `launched()` once the run executes here, otherwise the slot is given back.
   */
  async withLocalClaim<T>(wf: AnyWorkflow, use: (claim: LocalClaim | null, launched: () => void) => Promise<T>): Promise<T> {
    const worker = this.worker;
    if (wf.concurrency || !worker?.reserve()) return use(null, () => {});
    let launched = false;
    try {
      return await use({ owner: this.ownerId, leaseExpiresAt: this.host.now() + worker.opts.leaseMs }, () => (launched = true));
    } finally {
      worker.unreserve(launched);
    }
  }

  /** @internal */
  get maxPayloadBytes(): number {
    return this.host.maxPayloadBytes;
  }

  /** @internal */
  now(): number {
    return this.host.now();
  }

  /** @internal */
  markStarted(runId: string): void {
    this.unstarted.delete(runId);
  }

  /** @internal Another worker should pick this run up (it was queued, not claimed here). */
  queued(): void {
    this.worker?.nudge();
  }

  /** @internal Executes a claimed run in this process. */
  launch(claimed: ClaimedRun, own?: AnyWorkflow): void {
    const runId = claimed.run.runId;
    // A handle passes its own workflow: on the default engine two workflow objects may share an id,
    // and each run must execute the graph it was created from.
    const wf = own ?? this.byId.get(claimed.run.workflowId);
    if (!wf || this.stopped) {
      void this.release(claimed);
      return;
    }
    // A run claimed by the worker's poll is tracked already (from when the claim was sent).
    if (this.worker && !this.worker.isActive(runId)) this.worker.track(runId);
    let exec: RunExecution;
    try {
      exec = new RunExecution(this.host, wf, claimed);
    } catch (err) {
      // Unreadable run data fails this run alone, with the reason, instead of looping on it forever.
      this.worker?.untrack(runId);
      void this.failCorrupt(claimed, err);
      return;
    }
    const done = exec
      .run()
      .catch((err): ExecutionEnd => {
        this.onError(err);
        return { status: 'lost', outcome: { t: 'canceled' } };
      })
      .then((end) => {
        this.executions.delete(runId);
        this.worker?.untrack(runId);
        // A parked run, or a finished run of a limited workflow (a slot is free), may let more runs go.
        if (end.status === 'waiting' || wf.concurrency) this.worker?.nudge();
        this.notify(runId);
        return end;
      });
    this.executions.set(runId, { exec, done });
  }

  private async failCorrupt(claimed: ClaimedRun, err: unknown): Promise<void> {
    const error = JSON.stringify({ name: 'CorruptRunError', code: 'RUN_CORRUPT', message: `the stored run could not be read: ${String((err as Error)?.message ?? err)}` });
    try {
      await this.committer.write({ type: 'run', runId: claimed.run.runId, epoch: claimed.run.leaseEpoch, patch: { status: 'failed', error, release: true }, now: this.host.now() });
    } catch (e) {
      this.onError(e);
    }
    this.notify(claimed.run.runId);
  }

  private async release(claimed: ClaimedRun): Promise<void> {
    try {
      await this.committer.write({ type: 'run', runId: claimed.run.runId, epoch: claimed.run.leaseEpoch, patch: { release: true }, now: this.host.now() });
    } catch (err) {
      // Fenced: someone else holds the run now, which is all a release wanted.
      if (!(err instanceof LeaseLostError)) this.onError(err);
    }
  }

  /** @internal Aborts a local execution (cancel). */
  abortLocal(runId: string, reason: unknown): void {
    this.executions.get(runId)?.exec.abort(reason);
  }

  private notify(runId: string): void {
    const set = this.waiters.get(runId);
    if (!set) return;
    this.waiters.delete(runId);
    for (const fn of set) fn();
  }

  /**
   * @internal Waits until the run settles (success, failed, canceled or suspended) and returns its
   * result. Local executions resolve directly. A run executing elsewhere is reloaded when the store
   * notifies that it settled (PostgreSQL); polling with back-off stays as the fallback, slow when
   * notifications are on and quick without them.
   */
  async waitForResult(runId: string, includeState: boolean): Promise<WorkflowResult> {
    const notified = this.unsubscribe !== null;
    let pollMs = notified ? 1000 : 20;
    const maxPollMs = notified ? 5000 : 500;
    for (;;) {
      const local = this.executions.get(runId);
      if (local) {
        const end = await local.done;
        if ((SETTLED as RunStatus[]).includes(end.status as RunStatus)) {
          return buildResult(local.exec.finalRecord(), local.exec.journal.values(), includeState, local.exec.decoded);
        }
        continue;
      }
      // Listen before looking, so a notification that lands while the run is loaded is not missed.
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      let set = this.waiters.get(runId);
      if (!set) this.waiters.set(runId, (set = new Set()));
      set.add(wake);
      try {
        const run = await this.loadRun(runId);
        if (!run) throw new RunNotFoundError(runId);
        if (SETTLED.includes(run.status) || isTerminal(run.status)) {
          const journal = await this.storeCall(() => this.store.loadJournal(runId));
          return buildResult(run, journal, includeState);
        }
        if (this.executions.has(runId)) continue;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, pollMs)))]);
        clearTimeout(timer);
      } finally {
        const entry = this.waiters.get(runId);
        entry?.delete(wake);
        if (entry?.size === 0) this.waiters.delete(runId);
      }
      pollMs = Math.min(pollMs * 2, maxPollMs);
    }
  }
}
