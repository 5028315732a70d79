import type { ListRunsOptions, RunSummary, RunView } from '../define/run-types.js';
import type { AnyWorkflow } from '../define/workflow.js';
import type { WorkflowEvent } from '../domain/workflow-events.js';
import { EngineStoppedError, RunNotFoundError } from '../errors.js';
import type { Store, StoreEvent } from '../store/types.js';
import { Scheduler } from '../worker/cron.js';
import { newOwnerId } from '../worker/owner.js';
import { Worker } from '../worker/worker.js';
import { checkRunId } from './checks.js';
import { EventHub } from './events.js';
import { LocalExecutions, type RunReader } from './executions.js';
import { GroupCommitter } from './group-commit.js';
import { resolveOptions, type ResolvedOptions, type WeftOptions } from './options.js';
import { WorkflowRegistry } from './registry.js';
import { RunCommands } from './run-commands.js';
import { PendingHandles, RunQueries } from './run-queries.js';
import { SchedulesApi, type ScheduleInfo } from './schedules.js';
import { withStoreRetry, type RetryPolicy } from './store-retry.js';
import { engineRuntime } from './workflow-runtime.js';

export type { WeftOptions };

/**
 * The engine: a registry of workflows bound to a store, with a worker that executes runs. One Weft per
 * process is typical; several can share a store (they coordinate through leases). This class only
 * assembles the parts (see docs/architecture.md) and is their public face.
 */
export class Weft {
  readonly ownerId = newOwnerId();
  readonly #o: ResolvedOptions;
  readonly #store: Store;
  readonly #events = new EventHub();
  readonly #registry: WorkflowRegistry;
  readonly #committer: GroupCommitter;
  readonly #worker: Worker | null;
  readonly #executions: LocalExecutions;
  readonly #commands: RunCommands;
  readonly #queries: RunQueries;
  readonly #schedules: SchedulesApi;
  #startPromise: Promise<void> | null = null;
  #unsubscribe: (() => Promise<void>) | null = null;
  #scheduler: Scheduler | null = null;
  #stopped = false;

  constructor(opts: WeftOptions = {}) {
    const o = (this.#o = resolveOptions(opts));
    const store = (this.#store = o.store);
    const seams = o.seams;
    const retry: RetryPolicy = { maxMs: o.storeRetryMs, baseMs: 50, isStopped: () => this.#stopped };
    const storeCall = <T>(fn: () => Promise<T>): Promise<T> => withStoreRetry(fn, retry);
    const reader: RunReader = { loadRun: (id) => storeCall(() => store.loadRun(id)), loadJournal: (id) => storeCall(() => store.loadJournal(id)) };
    const pending = new PendingHandles();
    this.#committer = new GroupCommitter(store, retry, seams);
    const runtime = engineRuntime({
      ready: () => this.start(),
      register: (wf) => this.#registry.register(wf.id, wf),
      isRegistered: (id) => this.#registry.has(id),
      isExecuting: (runId) => this.#executions.has(runId),
      pending,
      now: seams.now,
      queries: () => this.#queries,
      commands: () => this.#commands,
      handleHost: {
        ready: () => this.start(),
        create: (wf, runId, resourceId, opts) => this.#commands.create(wf, runId, resourceId, opts),
        resume: (wf, runId, opts) => this.#commands.resume(wf, runId, opts),
        cancel: async (runId) => void (await this.#commands.cancel(runId)),
        waitForResult: (runId, includeState) => this.#executions.waitForResult(runId, includeState),
        events: this.#events,
      },
    });
    // The default engine does not claim the workflows it runs: they fall back to it while no engine has them.
    const registry = (this.#registry = new WorkflowRegistry(runtime, o.asDefaultEngine === null));
    o.asDefaultEngine?.(runtime);
    const workflowById = (id: string) => registry.byWorkflowId(id);
    const worker = (this.#worker = o.worker
      ? new Worker(
          {
            store,
            ownerId: this.ownerId,
            workflowIds: () => registry.ids(),
            limits: () => registry.limits(),
            launch: (c) => this.#executions.launch(c),
            onLeaseLost: (id, kind) => {
              if (!this.#executions.loseLease(id, kind) && !this.#stopped) seams.leaseLost?.(id, kind);
            },
            onError: o.onError,
            now: seams.now,
            crashPoint: (name) => seams.crash?.(name),
          },
          {
            ...o.worker,
            // Only a store other processes share can have a run taken over; in memory the guard would
            // only abort a step that blocked the event loop for longer than the lease.
            leaseGuard: store.kind !== 'memory' && seams.leaseGuard,
            keepAlive: store.kind !== 'memory' || o.inProcessSleepMs !== Infinity,
          },
        )
      : null);
    this.#executions = new LocalExecutions({
      interpreter: {
        committer: this.#committer,
        events: this.#events,
        maxPayloadBytes: o.maxPayloadBytes,
        inProcessSleepMs: o.inProcessSleepMs,
        seams,
        ...(worker?.opts.leaseGuard ? { leaseHeld: (runId: string) => worker.leaseHeld(runId) } : {}),
        faultBackoffMs: (runId) => this.#executions.faultBackoffMs(runId),
      },
      committer: this.#committer,
      reader,
      worker,
      workflowById,
      onError: o.onError,
      notified: () => this.#unsubscribe !== null,
    });
    const started = (runId: string) => pending.delete(runId);
    this.#commands = new RunCommands({ store, committer: this.#committer, executions: this.#executions, worker, ownerId: this.ownerId, reader, events: this.#events, seams, maxPayloadBytes: o.maxPayloadBytes, storeCall, started });
    this.#queries = new RunQueries({ store, reader, pending, storeCall, workflowById });
    this.#schedules = new SchedulesApi({
      store,
      start: () => this.start(),
      storeCall,
      scheduledWorkflows: () => registry.scheduled(),
      startRun: async (wf, runId, inputData) => (await this.#commands.create(wf, runId, undefined, { inputData })).created,
      now: seams.now,
    });
    for (const [key, wf] of Object.entries(o.workflows)) registry.register(key, wf);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Opens the store (migrating it), recovers unfinished runs and starts timers. Idempotent. */
  start(): Promise<void> {
    if (this.#stopped) return Promise.reject(new EngineStoppedError());
    this.#startPromise ??= this.#open();
    return this.#startPromise;
  }

  async #open(): Promise<void> {
    const store = this.#store;
    await withStoreRetry(() => store.open(), { maxMs: this.#o.storeRetryMs, baseMs: 50, isStopped: () => this.#stopped });
    if (store.subscribe) {
      try {
        this.#unsubscribe = await store.subscribe((e) => this.#onStoreEvent(e));
      } catch (err) {
        // Notifications only make things faster; polling still finds everything.
        this.#o.onError(err);
      }
    }
    await this.#worker?.start();
    const scheduled = this.#registry.scheduled();
    if (this.#worker && scheduled.length > 0) {
      this.#scheduler = new Scheduler(
        {
          store,
          scheduled: () => this.#registry.scheduled().map((wf) => ({ workflowId: wf.id, schedule: wf.schedule! })),
          fire: async (id, runId, inputData) => (await this.#commands.create(this.#registry.get(id), runId, undefined, { inputData })).created,
          onError: this.#o.onError,
          now: this.#o.seams.now,
        },
        this.#worker.opts.keepAlive,
      );
      await this.#scheduler.start();
    }
  }

  /**
   * Stops claiming, waits up to `timeoutMs` for in-flight steps, aborts the rest, releases their
   * leases so other workers take over at once, and closes the store.
   */
  async stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#scheduler?.stop();
    this.#worker?.stop();
    await this.#executions.stop(opts.timeoutMs ?? 10_000);
    await this.#committer.drain();
    this.#stopped = true;
    await this.#unsubscribe?.().catch((err: unknown) => this.#o.onError(err));
    this.#unsubscribe = null;
    this.#registry.unbindAll();
    if (this.#startPromise) await this.#store.close();
  }

  /** Events from other processes (PostgreSQL NOTIFY). Each only speeds up what polling would find. */
  #onStoreEvent(e: StoreEvent): void {
    const limited = (id: string) => this.#registry.byWorkflowId(id)?.concurrency !== undefined;
    switch (e.type) {
      case 'runnable':
        this.#worker?.wake(e.workflowId);
        return;
      case 'canceled':
        this.#executions.abort(e.runId, new Error('the run was canceled'));
        this.#executions.notify(e.runId);
        if (limited(e.workflowId)) this.#worker?.wake(e.workflowId);
        return;
      case 'settled':
        this.#executions.notify(e.runId);
        if (limited(e.workflowId)) this.#worker?.wake(e.workflowId);
        return;
      case 'reconnected':
        this.#worker?.recheck();
        this.#executions.notifyAll();
        return;
    }
  }

  // ---- registry ----------------------------------------------------------------------------------

  register(key: string, wf: AnyWorkflow): void {
    this.#registry.register(key, wf);
  }

  getWorkflow(key: string): AnyWorkflow {
    return this.#registry.get(key);
  }

  listWorkflows(): Record<string, AnyWorkflow> {
    return this.#registry.entries();
  }

  /** The workflow a stored run belongs to, if this process has it. */
  workflowById(id: string): AnyWorkflow | undefined {
    return this.#registry.byWorkflowId(id);
  }

  // ---- runs across workflows (CLI, HTTP API, dashboard) --------------------------------------------

  /** Lists runs of every workflow (or one, by `workflowId`), newest first, paginated in the store. */
  async listRuns(opts: ListRunsOptions & { workflowId?: string } = {}): Promise<{ runs: RunSummary[]; total: number }> {
    await this.start();
    return this.#queries.list(opts);
  }

  /** One run's full view, whatever its workflow; null when it does not exist. */
  async getRun(runId: string): Promise<RunView | null> {
    await this.start();
    return this.#queries.anyView(runId);
  }

  /** A stored run's summary; RUN_NOT_FOUND when it does not exist, or is not a run of `workflowId`. */
  async getRunSummary(runId: string, workflowId?: string): Promise<RunSummary> {
    await this.start();
    return this.#queries.summary(runId, workflowId);
  }

  /**
   * Retries a failed run from its failed step: steps that succeeded are replayed from the journal,
   * the failed step (and everything after it) runs again. Returns at once; the run continues here
   * when this process has room, otherwise on any worker.
   */
  async retryRun(workflowId: string, runId: string): Promise<{ runId: string }> {
    checkRunId(runId);
    const wf = this.#registry.get(workflowId);
    await this.start();
    await this.#commands.retry(wf, runId);
    return { runId };
  }

  /** Cancels a run by id, whatever its workflow; returns its summary after the change. */
  async cancelRun(runId: string): Promise<RunSummary> {
    checkRunId(runId);
    await this.start();
    if (!(await this.#queries.summary(runId).catch(() => null))) throw new RunNotFoundError(runId);
    await this.#commands.cancel(runId);
    return this.#queries.summary(runId);
  }

  /** Follows a run's live events in this process (what `run.stream()` and the server's SSE read). */
  subscribe(runId: string, listener: (e: WorkflowEvent) => void): () => void {
    return this.#events.subscribe(runId, listener);
  }

  // ---- schedules ---------------------------------------------------------------------------------

  /** The cron schedules of the registered workflows, with their shared pause state. */
  listSchedules(): Promise<ScheduleInfo[]> {
    return this.#schedules.list();
  }

  /** Pauses a schedule for every process on the store; fires while paused are skipped, not caught up. */
  pauseSchedule(workflowId: string): Promise<ScheduleInfo> {
    return this.#schedules.setPaused(workflowId, true);
  }

  resumeSchedule(workflowId: string): Promise<ScheduleInfo> {
    return this.#schedules.setPaused(workflowId, false);
  }

  /** Starts one run of the schedule now (with its inputData), paused or not. */
  triggerSchedule(workflowId: string): Promise<{ runId: string }> {
    return this.#schedules.trigger(workflowId);
  }
}
