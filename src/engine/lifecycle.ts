import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { callbacksDue, hasOutcomeCallbacks, type WorkflowFinishInfo, type WorkflowLogger, type WorkflowStartInfo } from '../define/lifecycle.js';
import { RequestContext } from '../define/request-context.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { isSettled, type RunStatus } from '../domain/run-status.js';
import { LeaseLostError, LifecycleCallbackError } from '../errors.js';
import type { ClaimedRun, JournalEntry, RunRecord, Store } from '../store/types.js';
import type { CrashPointName } from '../worker/seams.js';
import type { Worker } from '../worker/worker.js';
import type { GroupCommitter } from './group-commit.js';
import { decodeForView } from './payload.js';
import { mastraOf } from '../define/mastra-link.js';
import { buildResult } from './results.js';

/** Lease of a held run when this engine has no worker (a pure client canceling a run, say). */
const CLIENT_LEASE_MS = 15_000;

/** The run whose onFinish/onError is running in this async context (a callback may move its own run on). */
const inCallback = new AsyncLocalStorage<string>();

export interface LifecycleDeps {
  store: Store;
  committer: GroupCommitter;
  /** Reads a run with the engine's store retry policy. */
  reader: { loadRun(runId: string): Promise<RunRecord | null> };
  worker: Worker | null;
  ownerId: string;
  now(): number;
  crashPoint(name: CrashPointName): void;
  onError(err: unknown): void;
  /**
   * Starts a run of the workflow named by `onFailure` under `runId` (an existing id starts nothing).
   * Rejects when it cannot: the failed run then stays held and the start is tried again.
   */
  startFailureRun(workflowId: string, runId: string, input: FailureRunInput): Promise<void>;
}

/** The input of a run started by a workflow's `onFailure`. */
export interface FailureRunInput {
  runId: string;
  workflowId: string;
  resourceId?: string;
  error?: WorkflowFinishInfo['error'];
  input: unknown;
}

/** Whether an outcome of `wf` with this status has work after it: callbacks, or an onFailure run. */
export function outcomeWorkDue(wf: AnyWorkflow, status: RunStatus): boolean {
  return callbacksDue(wf.lifecycle, status) || (status === 'failed' && wf.operations.onFailure !== undefined);
}

/** Whether the workflow has any work after an outcome (workers then look for held runs of it). */
export function watchesOutcomes(wf: AnyWorkflow): boolean {
  return hasOutcomeCallbacks(wf.lifecycle) || wf.operations.onFailure !== undefined;
}

/**
 * The id of the onFailure run of one failed outcome: the same for every delivery of that outcome (a
 * takeover after a crash creates nothing new), another after a retry fails again (its failed rows are
 * rewritten, so their end times differ).
 */
export function failureRunId(run: RunRecord, rows: Iterable<JournalEntry>): string {
  let ended = 0;
  for (const r of rows) if (r.endedAt !== null && r.endedAt > ended) ended = r.endedAt;
  const digest = createHash('sha256').update(`${run.runId}\n${run.error ?? ''}\n${ended}`).digest('hex');
  return `onfailure-${digest.slice(0, 32)}`;
}

/** An outcome as the callbacks see it: the settled run row and its journal (decoded rows when local). */
export interface OutcomeView {
  run: RunRecord;
  rows: Iterable<JournalEntry>;
  decoded?: ReadonlyMap<string, { input: unknown; output: unknown }>;
  /** The execution's own RequestContext (steps may have changed it); otherwise the stored one. */
  requestContext?: RequestContext;
}

/**
 * Delivers workflow lifecycle callbacks durably (docs/durability.md, "Lifecycle callbacks").
 *
 * An outcome with callbacks is written without releasing the run: its owner keeps the lease, calls
 * onFinish/onError, then releases the run, and that release is the durable record that they ran. A
 * process that dies in between leaves a settled run with an expired lease; a worker's claimUnreleased
 * takes it over and calls them again. So callbacks run at least once per outcome and are recorded
 * exactly once (the release is fenced by the lease epoch like every write).
 */
export class Lifecycle {
  /** Deliveries in flight in this process, by run. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly d: LifecycleDeps) {}

  /** Whether an outcome of `wf` with this status has callbacks to deliver. */
  due(wf: AnyWorkflow, status: RunStatus): boolean {
    return outcomeWorkDue(wf, status);
  }

  /**
   * Whether such an outcome is held for its callbacks. A store without claimUnreleased cannot hand a
   * held run to another worker, so there the callbacks are called without holding (not redelivered).
   */
  holds(wf: AnyWorkflow, status: RunStatus): boolean {
    return this.d.store.claimUnreleased !== undefined && outcomeWorkDue(wf, status);
  }

  /** Whether this workflow has callbacks after an outcome (workers then look for held runs of it). */
  static watches(wf: AnyWorkflow): boolean {
    return watchesOutcomes(wf);
  }

  /** A lease for a run this process holds for its callbacks. */
  leaseExpiresAt(): number {
    return this.d.now() + (this.d.worker?.opts.leaseMs ?? CLIENT_LEASE_MS);
  }

  /** Whether a delivery for this run is in flight here. */
  delivering(runId: string): boolean {
    return this.inFlight.has(runId);
  }

  /**
   * Whether the caller runs inside a callback of this run. A callback that resumes, retries or cancels
   * its own run must not wait for its own delivery (it would wait for itself); its record is then
   * fenced by the move, which is right: the run has a new outcome to come.
   */
  static insideCallbackOf(runId: string): boolean {
    return inCallback.getStore() === runId;
  }

  /**
   * Calls the callbacks of an outcome, then, when it was held, releases the run under `epoch` (the
   * record; null: not held, nothing to record). Never rejects: whatever goes wrong is reported through
   * onError. Errors a
   * callback throws are reported through onError and count as delivered, as in Mastra: they never
   * change the run, and calling a failing callback again would not make it succeed.
   */
  deliver(wf: AnyWorkflow, view: OutcomeView, epoch: number | null): Promise<void> {
    const runId = view.run.runId;
    const p = this.call(wf, view)
      .then(() => (epoch === null ? undefined : this.record(runId, epoch)))
      // Unreadable run data (buildResult): reported; the run stays held and is tried again after its lease.
      .catch((err) => this.d.onError(err))
      .finally(() => {
        if (this.inFlight.get(runId) === p) this.inFlight.delete(runId);
      });
    this.inFlight.set(runId, p);
    return p;
  }

  /** Delivers the callbacks of a held run this process claimed (its first owner died before recording them). */
  deliverClaimed(wf: AnyWorkflow, claimed: ClaimedRun): Promise<void> {
    return this.deliver(wf, { run: claimed.run, rows: claimed.journal }, claimed.run.leaseEpoch);
  }

  /**
   * Waits until the callbacks of the run's current outcome were delivered, before a resume, retry or
   * cancel moves the run on (which would fence their record). A delivery here is awaited; one held by
   * a process that died is taken over once its lease expired; a live one elsewhere is polled for.
   */
  async settle(wf: AnyWorkflow, runId: string): Promise<void> {
    const claim = this.d.store.claimUnreleased;
    if (!claim || !Lifecycle.watches(wf) || Lifecycle.insideCallbackOf(runId)) return;
    for (let pollMs = 10; ; pollMs = Math.min(pollMs * 2, 500)) {
      const local = this.inFlight.get(runId);
      if (local) {
        await local.catch(() => {});
        continue;
      }
      const run = await this.d.reader.loadRun(runId);
      if (!run || run.owner === null || !isSettled(run.status)) return;
      const now = this.d.now();
      const leaseMs = this.leaseExpiresAt() - now;
      const [claimed] = await claim.call(this.d.store, { owner: this.d.ownerId, leaseMs, now, limit: 1, workflowIds: [wf.id], runId });
      if (claimed) {
        await this.deliverClaimed(wf, claimed);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  private async call(wf: AnyWorkflow, outcome: OutcomeView): Promise<void> {
    this.d.crashPoint('callback:before');
    // The rows may be a one-pass iterator (a local execution's journal); the failure run id reads them too.
    const view = { ...outcome, rows: Array.from(outcome.rows) };
    const { onFinish, onError } = wf.lifecycle;
    const info = finishInfo(wf, view);
    const runId = view.run.runId;
    if (onFinish) await this.guarded('onFinish', runId, () => inCallback.run(runId, () => onFinish(info)));
    if (onError && info.status === 'failed') {
      const { result: _result, ...rest } = info;
      await this.guarded('onError', runId, () => inCallback.run(runId, () => onError({ ...rest, status: 'failed' })));
    }
    const target = wf.operations.onFailure;
    if (target !== undefined && info.status === 'failed') {
      // Not guarded: a start that fails leaves the outcome unrecorded, so it is tried again (the
      // deterministic id makes every try after a success a no-op).
      const input: FailureRunInput = { runId, workflowId: wf.id, input: info.getInitData() };
      if (info.resourceId !== undefined) input.resourceId = info.resourceId;
      if (info.error !== undefined) input.error = info.error;
      await this.d.startFailureRun(target, failureRunId(view.run, view.rows), input);
      this.d.crashPoint('failure-run:started');
    }
    this.d.crashPoint('callback:after');
  }

  private async guarded(name: 'onFinish' | 'onError', runId: string, fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.d.onError(new LifecycleCallbackError(name, runId, err));
    }
  }

  /** The record: the run released under the epoch the outcome (or the takeover) was written with. */
  private async record(runId: string, epoch: number): Promise<void> {
    try {
      await this.d.committer.write({ type: 'run', runId, epoch, patch: { release: true }, now: this.d.now() });
    } catch (err) {
      // Fenced: the run moved on (resumed, retried, deleted, or taken over after this process paused
      // past its lease); the callbacks ran, and whoever holds the run now records its own outcome.
      if (!(err instanceof LeaseLostError)) this.d.onError(err);
    }
  }
}

/** onStart's argument: before the run is stored, from the validated start options. */
export function startInfo(wf: AnyWorkflow, runId: string, resourceId: string | undefined, input: unknown, state: unknown, requestContext: RequestContext): WorkflowStartInfo {
  return {
    runId,
    workflowId: wf.id,
    resourceId,
    getInitData: () => input,
    mastra: mastraOf(wf),
    requestContext,
    logger: runLogger(wf.id, runId),
    state: (state as Record<string, unknown> | undefined) ?? {},
  };
}

function finishInfo(wf: AnyWorkflow, view: OutcomeView): WorkflowFinishInfo {
  const r = buildResult(view.run, view.rows, true, view.decoded) as unknown as Record<string, unknown>;
  const stored = decodeForView(view.run.requestContext) as Record<string, unknown> | undefined;
  const info: WorkflowFinishInfo = {
    status: view.run.status,
    steps: r.steps as WorkflowFinishInfo['steps'],
    runId: view.run.runId,
    workflowId: wf.id,
    resourceId: view.run.resourceId ?? undefined,
    getInitData: () => r.input,
    mastra: mastraOf(wf),
    requestContext: view.requestContext ?? new RequestContext(stored ?? {}),
    logger: runLogger(wf.id, view.run.runId),
    state: (r.state as Record<string, unknown> | undefined) ?? {},
  };
  if (r.result !== undefined) info.result = r.result;
  if (r.error !== undefined) info.error = r.error as WorkflowFinishInfo['error'];
  return info;
}

/** A console logger whose lines name the workflow and run (weft has no logging framework of its own). */
export function runLogger(workflowId: string, runId: string): WorkflowLogger {
  const prefix = `[weft] ${workflowId} ${runId}:`;
  const line = (fn: (...a: unknown[]) => void) => (message: string, meta?: Record<string, unknown>) =>
    meta === undefined ? fn(prefix, message) : fn(prefix, message, meta);
  return { debug: line(console.debug), info: line(console.info), warn: line(console.warn), error: line(console.error) };
}
