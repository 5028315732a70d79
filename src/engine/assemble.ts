import { InvalidArgumentError } from '../errors.js';
import { newRunId } from '../domain/ids.js';
import type { StoreEvent, Store } from '../store/types.js';
import type { Seams } from '../worker/seams.js';
import { Worker } from '../worker/worker.js';
import { EventHub } from './events.js';
import { EventCommands } from './event-commands.js';
import { createToken } from './tokens.js';
import { ChildRuns } from './child-runs.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { LocalExecutions, type RunReader } from './executions.js';
import { GroupCommitter } from './group-commit.js';
import { Lifecycle } from './lifecycle.js';
import { snapshotRow } from './run-shapes.js';
import type { ResolvedOptions } from './options.js';
import { WorkflowRegistry } from './registry.js';
import { RunCommands } from './run-commands.js';
import { CourseCommands } from './course-commands.js';
import { Reruns } from './rerun.js';
import { Retention } from './retention.js';
import { LocalClaims } from './local-claim.js';
import { PendingHandles, RunQueries } from './run-queries.js';
import { SchedulesApi } from './schedules.js';
import { withStoreRetry, type RetryPolicy } from './store-retry.js';
import { engineRuntime } from './workflow-runtime.js';

/** How often a run handle's durable stream reads the store while nothing in this process wakes it. */
const HANDLE_STREAM_POLL_MS = 250;

/** The parts of one engine, each with one job (see docs/architecture.md). */
export interface EngineParts {
  store: Store;
  events: EventHub;
  registry: WorkflowRegistry;
  committer: GroupCommitter;
  /** Null for a pure client (`worker: false`). */
  worker: Worker | null;
  executions: LocalExecutions;
  /** Lifecycle callbacks of held outcomes (onFinish/onError). */
  lifecycle: Lifecycle;
  commands: RunCommands;
  course: CourseCommands;
  reruns: Reruns;
  /** Retention pruning; null for a pure client. */
  retention: Retention | null;
  queries: RunQueries;
  schedules: SchedulesApi;
  /** Sending events (weft.sendEvent, run.sendEvent). */
  signals: EventCommands;
  retry: RetryPolicy;
}

/** What the parts need from the engine that owns them. */
export interface EngineEnv {
  ownerId: string;
  /** Starts the engine (a handle or query used before `weft.start()` starts it). */
  start(): Promise<void>;
  isStopped(): boolean;
  /** Whether store notifications reach this process. */
  isNotified(): boolean;
}

/**
 * The composition root: builds and wires an engine's parts. Parts reach each other through narrow
 * dependency objects, never through the Weft class, so the facade stays a facade.
 */
export function assemble(o: ResolvedOptions, env: EngineEnv): EngineParts {
  const store = o.store;
  const seams = onStoreClock(o.seams, store);
  const retry: RetryPolicy = { maxMs: o.storeRetryMs, baseMs: 50, isStopped: env.isStopped };
  const storeCall = <T>(fn: () => Promise<T>): Promise<T> => withStoreRetry(fn, retry);
  const reader: RunReader = { loadRun: (id) => storeCall(() => store.loadRun(id)), loadJournal: (id) => storeCall(() => store.loadJournal(id)) };
  const events = new EventHub();
  const pending = new PendingHandles();
  const committer = new GroupCommitter(store, retry, seams);
  committer.setCommitListener(events);
  // Parts created below are referenced lazily by the ones created before them.
  const p = { store, events, committer, retry } as EngineParts;

  const runtime = engineRuntime({
    ready: env.start,
    register: (wf) => p.registry.register(wf.id, wf),
    isRegistered: (id) => p.registry.has(id),
    isExecuting: (runId) => p.executions.has(runId),
    pending,
    now: seams.now,
    newRunId: (workflowId) => (store.newRunId ? store.newRunId(workflowId, seams.now()) : newRunId(seams.now())),
    queries: () => p.queries,
    commands: () => p.commands,
    course: () => p.course,
    handleHost: {
      ready: env.start,
      create: (wf, runId, resourceId, opts) => p.commands.create(wf, runId, resourceId, opts),
      resume: (wf, runId, opts) => p.commands.resume(wf, runId, opts),
      timeTravel: (wf, runId, resourceId, opts) => p.course.timeTravel(wf, runId, resourceId, opts),
      restart: (wf, runId) => p.course.restart(wf, runId),
      cancel: async (runId) => void (await p.commands.cancel(runId)),
      waitForResult: (runId, includeState) => p.executions.waitForResult(runId, includeState),
      sendEvent: (wf, runId, name, data) => p.signals.sendToRun(wf, runId, name, data),
      events,
      isExecuting: (runId) => p.executions.has(runId),
      // Runs executed elsewhere are seen within this interval; this process's commits wake readers at once.
      durable: { store, onCommit: (runId, wake) => events.onCommit(runId, wake), pollMs: HANDLE_STREAM_POLL_MS },
    },
  });
  // The default engine does not claim the workflows it runs: they fall back to it while no engine has them.
  p.registry = new WorkflowRegistry(runtime, o.asDefaultEngine === null);
  o.asDefaultEngine?.(runtime);
  const workflowById = (id: string) => p.registry.byWorkflowId(id);

  p.worker = o.worker
    ? new Worker(
        {
          store,
          ownerId: env.ownerId,
          workflowIds: () => p.registry.ids(),
          heldWorkflowIds: () => p.registry.withOutcomeCallbacks(),
          limits: () => p.registry.limits(),
          throttles: () => p.registry.throttles(),
          launch: (c) => p.executions.launch(c),
          onLeaseLost: (id, kind) => {
            if (!p.executions.loseLease(id, kind) && !env.isStopped()) seams.leaseLost?.(id, kind);
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
    : null;
  const worker = p.worker;

  p.lifecycle = new Lifecycle({
    store,
    committer,
    reader,
    worker,
    ownerId: env.ownerId,
    now: seams.now,
    crashPoint: (name) => seams.crash?.(name),
    onError: o.onError,
    startFailureRun: async (workflowId, runId, inputData) => {
      const wf = p.registry.get(workflowId);
      await p.commands.create(wf, runId, inputData.resourceId, { inputData });
    },
  });
  const lifecycle = p.lifecycle;
  p.executions = new LocalExecutions({
    interpreter: {
      committer,
      events,
      maxPayloadBytes: o.maxPayloadBytes,
      inProcessSleepMs: o.inProcessSleepMs,
      eventWindowMs: o.eventWindowMs,
      registerWait: (req) =>
        storeCall(() => {
          if (!store.registerWait) throw new InvalidArgumentError(`the ${store.kind} store does not support waiting for events`);
          return store.registerWait(req);
        }),
      createToken: (runId, opts) => storeCall(() => createToken(store, runId, opts, seams.now(), o.eventKeepMs)),
      childRuns: new ChildRuns({
        store,
        workflowById,
        // The default engine learns workflows on first use (as workflow.createRun() does there).
        ...(o.asDefaultEngine ? { learn: (wf: AnyWorkflow) => void (p.registry.has(wf.id) || p.registry.register(wf.id, wf)) } : {}),
        create: (wf, runId, resourceId, opts, parent) => p.commands.create(wf, runId, resourceId, opts, parent),
        storeCall,
      }),
      values: o.values,
      maxRunBytes: o.maxRunBytes,
      loopHistory: o.loopHistory,
      runBlobBytes: (runId: string) => store.blobBytes(runId),
      seams,
      ...(worker?.opts.leaseGuard ? { leaseHeld: (runId: string) => worker.leaseHeld(runId) } : {}),
      faultBackoffMs: (runId) => p.executions.faultBackoffMs(runId),
      holdAfter: (wf, status) => lifecycle.holds(wf, status),
      outcomeRow: (wf, exec, patch) => snapshotRow(wf, exec, patch),
      cancelIfOrphaned: (run) => p.commands.cascade.cancelIfOrphaned(run),
    },
    committer,
    reader,
    worker,
    workflowFor: (run) => p.registry.forRun(run.workflowId, run.fingerprint),
    lifecycle,
    onError: o.onError,
    notified: env.isNotified,
    cancelChildren: (runId) => p.commands.cascade.cancelChildren(runId),
  });
  const claims = new LocalClaims({ worker, ownerId: env.ownerId, executions: p.executions, reader, now: seams.now });
  const started = (runId: string) => pending.delete(runId);
  p.course = new CourseCommands({ store, reader, claims, executions: p.executions, seams, maxPayloadBytes: o.maxPayloadBytes, storeCall, started, lifecycle });
  p.retention = o.worker
    ? new Retention(
        { store, workflows: () => p.registry.withRetention(), now: seams.now, storeCall, onError: o.onError, eventKeepMs: o.eventKeepMs },
        o.worker.pruneEveryMs,
        o.worker.pruneBatch,
      )
    : null;
  p.reruns = new Reruns({ store, reader, claims, seams, maxPayloadBytes: o.maxPayloadBytes, storeCall });
  p.commands = new RunCommands({
    claims,
    store,
    committer,
    executions: p.executions,
    worker,
    ownerId: env.ownerId,
    reader,
    events,
    seams,
    maxPayloadBytes: o.maxPayloadBytes,
    storeCall,
    started,
    lifecycle,
    workflowById,
    workflowFor: (run) => p.registry.forRun(run.workflowId, run.fingerprint),
  });
  p.signals = new EventCommands({
    store,
    seams,
    worker,
    maxPayloadBytes: o.maxPayloadBytes,
    storeCall,
    workflows: () => Object.values(p.registry.entries()),
    lifetimes: { windowMs: o.eventWindowMs, keepMs: o.eventKeepMs },
  });
  p.queries = new RunQueries({ store, reader, pending, storeCall, workflowById, loopHistory: o.loopHistory });
  p.schedules = new SchedulesApi({
    store,
    start: env.start,
    storeCall,
    scheduledWorkflows: () => p.registry.scheduled(),
    startRun: async (wf, runId, inputData) => (await p.commands.create(wf, runId, undefined, { inputData })).created,
    now: seams.now,
  });
  return p;
}

/**
 * On a store that keeps time by its own clock (PostgreSQL: the database's, measured as an offset when
 * it opens and every minute after), the times this process writes (wake times, run and step times)
 * follow that clock too, so workers whose clocks disagree still agree on when a timer is due.
 */
function onStoreClock(seams: Seams, store: Store): Seams {
  store.setClock?.(seams.now);
  if (store.clockOffsetMs === undefined) return seams;
  const clock = seams.now;
  return { ...seams, now: () => clock() + (store.clockOffsetMs ?? 0) };
}

/** Events from other processes (PostgreSQL NOTIFY). Each only speeds up what polling would find. */
export function dispatchStoreEvent(p: EngineParts, e: StoreEvent): void {
  const limited = (id: string) => p.registry.byWorkflowId(id)?.concurrency !== undefined;
  switch (e.type) {
    case 'runnable':
      p.worker?.wake(e.workflowId);
      return;
    case 'canceled':
      p.executions.abort(e.runId, new Error('the run was canceled'));
      p.executions.notify(e.runId);
      if (limited(e.workflowId)) p.worker?.wake(e.workflowId);
      return;
    case 'settled':
      p.executions.notify(e.runId);
      if (limited(e.workflowId)) p.worker?.wake(e.workflowId);
      return;
    case 'reconnected':
      p.worker?.recheck();
      p.executions.notifyAll();
      return;
  }
}
