import type { RerunOptions, RunGeneration, RunLinksView, LoopView, RunSummary, RunView } from '../define/run-types.js';
import type { RunLink } from '../store/types.js';
import type { RerunResult } from './rerun.js';
import type { AnyWorkflow } from '../define/workflow.js';
import type { WorkflowEvent } from '../domain/workflow-events.js';
import { EngineStoppedError, InvalidArgumentError } from '../errors.js';
import { stepOfCall } from './interpreter/child-run.js';
import type { RetentionStats } from './retention.js';
import { Scheduler } from '../worker/cron.js';
import { newOwnerId } from '../worker/owner.js';
import { assemble, dispatchStoreEvent, type EngineParts } from './assemble.js';
import { checkCheckOptions, checkRunId, type RunListQuery } from './checks.js';
import { checkRuns, countByFingerprint, type CheckOptions, type CheckReport } from './check-runs.js';
import { fingerprintOf, versionOfFingerprint } from './fingerprint.js';
import type { RunListPage } from './run-queries.js';
import type { SendEventOptions, SendEventOutcome } from './event-commands.js';
import { resolveOptions, type ResolvedOptions, type WeftOptions } from './options.js';
import type { ScheduleInfo } from './schedules.js';
import { startBulk, type BulkHandle, type BulkOptions } from './bulk.js';
import { withStoreRetry } from './store-retry.js';
import { parseStreamId, readRunStream, type RunStreamEvent, type RunStreamPage } from './stream-reader.js';
import { followRunStream, type FollowOptions } from './stream-follow.js';

export type { WeftOptions, SendEventOptions, SendEventOutcome };

/**
 * The engine: a registry of workflows bound to a store, with a worker that executes runs. One Weft per
 * process is typical; several can share a store (they coordinate through leases). This class is the
 * public face of the parts `assemble` builds (see docs/architecture.md) and owns their lifecycle.
 */
export class Weft {
  readonly ownerId = newOwnerId();
  readonly #o: ResolvedOptions;
  readonly #p: EngineParts;
  #startPromise: Promise<void> | null = null;
  #unsubscribe: (() => Promise<void>) | null = null;
  #scheduler: Scheduler | null = null;
  #stopped = false;

  constructor(opts: WeftOptions = {}) {
    this.#o = resolveOptions(opts);
    this.#p = assemble(this.#o, {
      ownerId: this.ownerId,
      start: () => this.start(),
      isStopped: () => this.#stopped,
      isNotified: () => this.#unsubscribe !== null,
    });
    try {
      for (const [key, wf] of Object.entries(this.#o.workflows)) this.#p.registry.register(key, wf);
    } catch (err) {
      // This engine will never run: release what it took, or those workflows stay bound to it.
      this.#p.registry.unbindAll();
      throw err;
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Opens the store (migrating it), recovers unfinished runs and starts timers. Idempotent. */
  start(): Promise<void> {
    if (this.#stopped) return Promise.reject(new EngineStoppedError());
    this.#startPromise ??= this.#open();
    return this.#startPromise;
  }

  async #open(): Promise<void> {
    const { store, worker, registry, commands, retry } = this.#p;
    await withStoreRetry(() => store.open(), retry);
    if (store.subscribe) {
      try {
        this.#unsubscribe = await store.subscribe((e) => dispatchStoreEvent(this.#p, e));
      } catch (err) {
        // Notifications only make things faster; polling still finds everything.
        this.#o.onError(err);
      }
    }
    await worker?.start();
    this.#p.retention?.start();
    if (worker && registry.scheduled().length > 0) {
      this.#scheduler = new Scheduler(
        {
          store,
          scheduled: () => registry.scheduled().map((wf) => ({ workflowId: wf.id, schedule: wf.schedule! })),
          fire: async (id, runId, inputData) => (await commands.create(registry.get(id), runId, undefined, { inputData })).created,
          onError: this.#o.onError,
          now: this.#o.seams.now,
        },
        worker.opts.keepAlive,
      );
      await this.#scheduler.start();
    }
  }

  /**
   * Stops claiming (a claim already sent is waited for: the runs it hands over are stopped with the
   * others), waits up to `timeoutMs` for in-flight steps, aborts the rest, releases their
   * leases so other workers take over at once, and closes the store.
   */
  async stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#scheduler?.stop();
    this.#p.retention?.stop();
    this.#p.worker?.stop();
    await this.#p.worker?.idle();
    await this.#p.executions.stop(opts.timeoutMs ?? 10_000);
    await this.#p.committer.drain();
    await this.#p.retention?.idle();
    this.#stopped = true;
    await this.#unsubscribe?.().catch((err: unknown) => this.#o.onError(err));
    this.#unsubscribe = null;
    this.#p.registry.unbindAll();
    if (this.#startPromise) await this.#p.store.close();
  }

  // ---- registry ----------------------------------------------------------------------------------

  register(key: string, wf: AnyWorkflow): void {
    this.#p.registry.register(key, wf);
  }

  getWorkflow(key: string): AnyWorkflow {
    return this.#p.registry.get(key);
  }

  listWorkflows(): Record<string, AnyWorkflow> {
    return this.#p.registry.entries();
  }

  /** The workflow a stored run belongs to, if this process has it. */
  workflowById(id: string): AnyWorkflow | undefined {
    return this.#p.registry.byWorkflowId(id);
  }

  // ---- runs across workflows (CLI, HTTP API, dashboard) --------------------------------------------

  /** Lists runs of every workflow (or one, by `workflowId`), newest first, paginated in the store. */
  async listRuns(opts: RunListQuery = {}): Promise<RunListPage> {
    await this.start();
    return this.#p.queries.list(opts);
  }

  /** One run's full view, whatever its workflow; null when it does not exist. */
  async getRun(runId: string): Promise<RunView | null> {
    await this.start();
    return this.#p.queries.anyView(runId);
  }

  /**
   * The run's earlier journals, oldest first: each time travel keeps the journal it replaced, so a run's
   * earlier course stays readable. Empty for a run that was never rewound.
   */
  async getRunHistory(runId: string): Promise<RunGeneration[]> {
    await this.start();
    return this.#p.queries.history(runId);
  }

  /**
   * The run's `.dowhile`/`.dountil` loops: for each, the iterations run so far and the outputs of the
   * last `loopHistory` iterations (older ones are compacted; the view says how many). RUN_NOT_FOUND when
   * the run does not exist.
   */
  async getRunLoops(runId: string): Promise<LoopView[]> {
    await this.start();
    return this.#p.queries.loops(runId);
  }

  /** A stored run's summary; RUN_NOT_FOUND when it does not exist, or is not a run of `workflowId`. */
  async getRunSummary(runId: string, workflowId?: string): Promise<RunSummary> {
    await this.start();
    return this.#p.queries.summary(runId, workflowId);
  }

  /**
   * Retries a failed run from its failed step: steps that succeeded are replayed from the journal,
   * the failed step (and everything after it) runs again. Returns at once; the run continues here
   * when this process has room, otherwise on any worker.
   */
  async retryRun(workflowId: string, runId: string): Promise<{ runId: string }> {
    checkRunId(runId);
    const wf = this.#p.registry.get(workflowId);
    await this.start();
    await this.#p.commands.retry(wf, runId);
    return { runId };
  }

  /**
   * Reruns a settled run from a step: a new run of its workflow gets the run's journal up to `step`
   * and executes from there with the code registered now (`inputData` replaces that step's input).
   * The run itself is not changed; the two are linked (getRunLinks). Returns at once, like retryRun.
   */
  async rerun(runId: string, opts: RerunOptions): Promise<RerunResult> {
    checkRunId(runId);
    await this.start();
    const summary = await this.#p.queries.summary(runId);
    const wf = this.#p.registry.get(summary.workflowName);
    return this.#p.reruns.rerun(wf, runId, opts);
  }

  /**
   * Where a run was rerun from (null when it is no rerun) and its reruns, newest first; the run that
   * started it as a child (ctx.startWorkflow) and the child runs it started, oldest first.
   */
  async getRunLinks(runId: string): Promise<RunLinksView> {
    checkRunId(runId);
    await this.start();
    await this.#p.queries.summary(runId);
    const links = await this.#p.reruns.links(runId);
    const view = (l: RunLink) => ({ runId: l.runId, step: l.step, createdAt: new Date(l.createdAt) });
    const child = (l: RunLink) => ({ runId: l.runId, step: stepOfCall(l.step), path: l.step, createdAt: new Date(l.createdAt) });
    return {
      rerunOf: links.rerunOf ? view(links.rerunOf) : null,
      reruns: links.reruns.map(view),
      parent: links.parent ? child(links.parent) : null,
      children: links.children.map(child),
    };
  }

  /**
   * Applies the registered workflows' retention policies now (workers also do it every
   * `worker.pruneEveryMs`), and deletes the stored events nothing can take any more; returns how many
   * runs and events were deleted. Throws on a pure client (no worker).
   */
  async applyRetention(): Promise<{ deleted: number; eventsDeleted: number }> {
    await this.start();
    const retention = this.#p.retention;
    if (!retention) throw new InvalidArgumentError('retention is applied by workers; this engine has worker: false');
    const { runs, events } = await retention.pass();
    return { deleted: runs, eventsDeleted: events };
  }

  /** What retention pruned in this process: passes, batches, runs deleted per workflow and outcome. */
  retentionStats(): RetentionStats {
    const s = this.#p.retention?.stats;
    if (!s) return { passes: 0, batches: 0, deleted: {}, eventsDeleted: 0, lastPassAt: null, lastPassMs: null, lastError: null };
    return { ...s, deleted: Object.fromEntries(Object.entries(s.deleted).map(([k, v]) => [k, { ...v }])) };
  }

  /** Cancels a run by id, whatever its workflow; returns its summary after the change. */
  async cancelRun(runId: string): Promise<RunSummary> {
    checkRunId(runId);
    await this.start();
    await this.#p.commands.cancel(runId);
    return this.#p.queries.summary(runId);
  }

  /**
   * Cancels, resumes, retries or deletes every run a filter matches, in batches that leave the store to
   * the workers in between. Returns at once with a handle: its progress, a stop, and `done`. An
   * interrupted bulk continues from `progress().cursor` (pass it as `cursor`). See docs/operations.md.
   */
  bulk(opts: BulkOptions): BulkHandle {
    const p = this.#p;
    const call = async <T>(fn: () => Promise<T>): Promise<T> => {
      await this.start();
      return withStoreRetry(fn, p.retry);
    };
    return startBulk(
      {
        listRuns: (filter) => call(() => p.store.listRuns(filter)),
        loadRun: (runId) => call(() => p.store.loadRun(runId)),
        workflowById: (id) => p.registry.byWorkflowId(id),
        cancel: (runId) => p.commands.cancel(runId),
        retry: (wf, runId) => p.commands.retry(wf, runId),
        resume: async (wf, runId, resumeData) => (await wf.createRun({ runId })).resumeAsync(resumeData === undefined ? {} : { resumeData }),
        delete: (wf, runId) => (wf ? p.commands.delete(wf, runId) : call(() => p.store.deleteRun(runId))),
        now: () => this.#o.seams.now(),
      },
      opts,
    );
  }

  /** Follows a run's live events in this process (what `run.stream()` and the Mastra routes read). */
  subscribe(runId: string, listener: (e: WorkflowEvent) => void): () => void {
    return this.#p.events.subscribe(runId, listener);
  }

  /**
   * One read of a run's durable stream (docs/durability.md, "Run streams"): its step events and output
   * chunks after the event id `after` (absent: from the start), oldest first, each with its id. Works
   * for runs executed by any process, and after they finished until they are pruned. `settled` says
   * the run's latest state is settled and nothing more follows; `more` that another read has more now.
   */
  async readRunStream(runId: string, opts: { after?: string | null } = {}): Promise<RunStreamPage> {
    checkRunId(runId);
    parseStreamId(opts.after);
    await this.start();
    return readRunStream(this.#p.store, runId, opts.after);
  }

  /**
   * Follows a run's durable stream from `after` (absent: the start): yields each event once, in
   * order, and ends after the run settles (ended or suspended), when it is deleted, or on `signal`.
   * Continue a stream that ended or broke off by passing the last id you got as `after`.
   */
  followRunStream(runId: string, opts: FollowOptions = {}): AsyncGenerator<RunStreamEvent> {
    checkRunId(runId);
    parseStreamId(opts.after);
    const p = this.#p;
    const start = () => this.start();
    return (async function* () {
      await start();
      yield* followRunStream({ store: p.store, onCommit: (id, wake) => p.events.onCommit(id, wake) }, runId, opts);
    })();
  }

  // ---- safe deploys --------------------------------------------------------------------------------

  /**
   * Compares every unfinished run in the store with the workflows registered here, without executing
   * anything: which would continue, and for each that would not, the first journal path that no
   * longer fits and why (see docs/operations.md, upgrading). `ok` is false when any would break.
   */
  async check(opts?: CheckOptions): Promise<CheckReport> {
    const o = checkCheckOptions(opts);
    await this.start();
    const { store, registry } = this.#p;
    return checkRuns({ store, workflowFor: (id, fp) => registry.forRun(id, fp), versionsOf: (id) => registry.versionsOf(id) }, o);
  }

  /**
   * The versions of a workflow with their unfinished runs (the registered ones first, oldest first, then
   * fingerprints no registered version has): an old version can be removed once its count is zero.
   */
  async workflowVersions(keyOrId: string): Promise<{ version: string | null; fingerprint: string | null; registered: boolean; unfinishedRuns: number }[]> {
    const wf = this.#p.registry.get(keyOrId);
    await this.start();
    const counts = await countByFingerprint(this.#p.store, wf.id);
    const out: { version: string | null; fingerprint: string | null; registered: boolean; unfinishedRuns: number }[] = this.#p.registry.versionsOf(wf.id).map((v) => {
      const fingerprint = fingerprintOf(v);
      const n = counts.get(fingerprint) ?? 0;
      counts.delete(fingerprint);
      return { version: v.version ?? null, fingerprint, registered: true, unfinishedRuns: n };
    });
    for (const [fingerprint, n] of counts) out.push({ version: versionOfFingerprint(fingerprint), fingerprint, registered: false, unfinishedRuns: n });
    return out;
  }

  // ---- events ------------------------------------------------------------------------------------

  /**
   * Sends an event: stored first, then delivered to every run waiting for it (`.waitForEvent` with this
   * name, and this key when the wait has `match`), kept for runs that reach such a wait later (within
   * `events.windowMs`), and starting a run of every workflow it triggers. An `id` makes it idempotent.
   */
  async sendEvent(name: string, opts: SendEventOptions = {}): Promise<SendEventOutcome> {
    await this.start();
    return this.#p.signals.send(name, opts);
  }

  /**
   * Completes a token made by `ctx.createToken()` (what POST /api/weft/tokens/:token does): the run's
   * `.waitForToken` gets `data`. TOKEN_NOT_FOUND, TOKEN_EXPIRED or TOKEN_USED change nothing.
   */
  async completeToken(token: string, data?: unknown): Promise<{ runId: string; delivered: boolean }> {
    await this.start();
    return this.#p.signals.completeToken(token, data);
  }

  // ---- schedules ---------------------------------------------------------------------------------

  /** The cron schedules of the registered workflows, with their shared pause state. */
  listSchedules(): Promise<ScheduleInfo[]> {
    return this.#p.schedules.list();
  }

  /** Pauses a schedule for every process on the store; fires while paused are skipped, not caught up. */
  pauseSchedule(workflowId: string): Promise<ScheduleInfo> {
    return this.#p.schedules.setPaused(workflowId, true);
  }

  resumeSchedule(workflowId: string): Promise<ScheduleInfo> {
    return this.#p.schedules.setPaused(workflowId, false);
  }

  /** Starts one run of the schedule now (with its inputData), paused or not. */
  triggerSchedule(workflowId: string): Promise<{ runId: string }> {
    return this.#p.schedules.trigger(workflowId);
  }
}
