import type { WorkflowResult } from '../define/run-types.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { isSettled, isTerminal, type RunStatus } from '../domain/run-status.js';
import { CorruptRunError, LeaseLostError, RunNotFoundError, serializeError } from '../errors.js';
import type { ClaimedRun, JournalEntry, RunRecord } from '../store/types.js';
import type { Worker } from '../worker/worker.js';
import type { GroupCommitter } from './group-commit.js';
import { Lifecycle } from './lifecycle.js';
import { RunExecution } from './interpreter/execution.js';
import type { ExecutionEnd, ExecutionHost } from './interpreter/execution-host.js';
import { buildResult } from './results.js';
import { fingerprintOf } from './fingerprint.js';
import { fitStructure, divergenceReason, type Divergence } from './journal-fit.js';

/** Whether a claimed run's journal fits `wf`; only compared when it started on another definition. */
function divergenceOf(wf: AnyWorkflow, claimed: ClaimedRun): Divergence | null {
  if (claimed.journal.length === 0 || claimed.run.fingerprint === fingerprintOf(wf)) return null;
  return fitStructure(wf, claimed.journal).divergence;
}

/** Reads the store with the engine's retry policy. */
export interface RunReader {
  loadRun(runId: string): Promise<RunRecord | null>;
  loadJournal(runId: string): Promise<JournalEntry[]>;
}

export interface ExecutionsDeps {
  interpreter: ExecutionHost;
  committer: GroupCommitter;
  reader: RunReader;
  worker: Worker | null;
  /** The registered definition a stored run continues on (registry.ts `forRun`). */
  workflowFor(run: RunRecord): AnyWorkflow | undefined;
  /** Delivers lifecycle callbacks of held outcomes (lifecycle.ts). */
  lifecycle: Lifecycle;
  onError(err: unknown): void;
  /** Whether store notifications reach this process (waiters then poll rarely). */
  notified(): boolean;
  /** Cancels the unfinished children of a canceled run (cancel-cascade.ts): a taken-over cascade goes on. */
  cancelChildren(runId: string): Promise<void>;
}

/** A store fault parks a run for 5 s, doubling per fault in a row, up to 5 minutes. */
const FAULT_BASE_MS = 5000;
const FAULT_MAX_MS = 300_000;

/**
 * The runs executing in this process, and the callers waiting for runs to settle. A claimed run is
 * launched here (by the worker's claim, or by a command that created, resumed or retried it already
 * claimed); when it ends, its slot is freed and its waiters are told.
 */
export class LocalExecutions {
  /** `ran`: the execution itself; `done`: also its lifecycle callbacks, when its outcome was held. */
  private readonly running = new Map<string, { exec: RunExecution; ran: Promise<ExecutionEnd>; done: Promise<ExecutionEnd> }>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Store faults in a row per run (for the parking back-off); cleared when the run moves on. */
  private readonly faults = new Map<string, number>();
  private stopped = false;

  constructor(private readonly d: ExecutionsDeps) {}

  has(runId: string): boolean {
    return this.running.has(runId);
  }

  /** How long to park a run the store failed to record, counting this fault. */
  faultBackoffMs(runId: string): number {
    const n = (this.faults.get(runId) ?? 0) + 1;
    this.faults.set(runId, n);
    return Math.min(FAULT_MAX_MS, FAULT_BASE_MS * 2 ** (n - 1));
  }

  /** Executes a claimed run in this process. `own` is the graph a handle created it from. */
  launch(claimed: ClaimedRun, own?: AnyWorkflow): void {
    const runId = claimed.run.runId;
    // A handle passes its own workflow: on the default engine two workflow objects may share an id,
    // and each run must execute the graph it was created from.
    const wf = own ?? this.d.workflowFor(claimed.run);
    const worker = this.d.worker;
    // A settled run comes from claimUnreleased: its outcome is final, its callbacks were not recorded.
    const held = isSettled(claimed.run.status as RunStatus);
    if (!wf || this.stopped) {
      // Releasing a held run would record callbacks that never ran: its lease runs out instead.
      if (held) worker?.untrack(runId);
      else void this.release(claimed);
      return;
    }
    // A run claimed by the worker's poll is tracked already (from when the claim was sent); one a
    // command created, resumed or retried here is tracked from now.
    if (worker && !worker.tracks(runId)) worker.track(runId);
    if (held) {
      void this.takeOver(wf, claimed).finally(() => {
        // Unless a callback resumed the run and it executes here now (its lease is tracked for it).
        if (!this.running.has(runId)) worker?.untrack(runId);
      });
      return;
    }
    // A run started on another definition continues only if its journal fits this graph: otherwise it
    // would re-run finished steps or leave rows no node reads (a step that shows running forever).
    const divergence = wf && !held ? divergenceOf(wf, claimed) : null;
    if (divergence) {
      worker?.untrack(runId);
      void this.park(claimed, wf, divergence);
      return;
    }
    let exec: RunExecution;
    try {
      exec = new RunExecution(this.d.interpreter, wf, claimed);
    } catch (err) {
      // Unreadable run data fails this run alone, with the reason, instead of looping on it forever.
      worker?.untrack(runId);
      void this.failCorrupt(claimed, err);
      return;
    }
    const ran = exec.run().catch((err): ExecutionEnd => {
      this.d.onError(err);
      return { status: 'lost', outcome: { t: 'canceled' } };
    });
    const settle = (end: ExecutionEnd): ExecutionEnd => {
      // A callback may have resumed its own run: the newer execution owns the entry and the lease now.
      if (this.running.get(runId)?.exec === exec) {
        this.running.delete(runId);
        worker?.untrack(runId);
      }
      if (end.status !== 'faulted') this.faults.delete(runId);
      // A parked run, or a finished run of a limited workflow (a slot is free), may let more runs go.
      // A settled child run has woken its parent in the store (the parent may be claimable now).
      const wokeParent = claimed.run.parentRunId != null && isTerminal(end.status as RunStatus);
      if (end.status === 'waiting' || end.status === 'faulted' || wf.concurrency || wokeParent) worker?.nudge();
      this.notify(runId);
      return end;
    };
    const done = ran.then((end) => {
      // Lifecycle callbacks go before the slot is freed and waiters are told: the lease stays renewed
      // while they run, and start() resolves after them, as in Mastra. Runs without any pay no extra tick.
      if (!end.held && !(isSettled(end.status as RunStatus) && this.d.lifecycle.due(wf, end.status as RunStatus))) return settle(end);
      const view = { run: exec.finalRecord(), rows: exec.rows(), decoded: exec.decoded, requestContext: exec.requestContext };
      return this.d.lifecycle.deliver(wf, view, end.held ? exec.epoch : null).then(() => settle(end));
    });
    this.running.set(runId, { exec, ran, done });
  }

  /**
   * Resolves once the run's execution in this process has ended, when it has a suspended step (it is
   * settling as suspended, or will once its other branches end). A run executing without one is left
   * alone: a resume of it is refused as before.
   */
  async suspending(runId: string): Promise<void> {
    if (Lifecycle.insideCallbackOf(runId)) return;
    for (let e = this.running.get(runId); e; e = this.running.get(runId)) {
      let suspended = false;
      for (const row of e.exec.rows()) if (row.status === 'suspended') suspended = true;
      if (!suspended) return;
      await e.done;
    }
  }

  /** Aborts a local execution (cancel, delete). */
  abort(runId: string, reason: unknown): void {
    this.running.get(runId)?.exec.abort(reason);
  }

  /** The lease of a run executing here was lost: it must stop writing. */
  loseLease(runId: string, kind: Parameters<RunExecution['loseLease']>[0]): boolean {
    const e = this.running.get(runId);
    if (!e) return false;
    e.exec.loseLease(kind);
    return true;
  }

  /**
   * The work after a held outcome whose owner died: a canceled run's cascade to its children first,
   * then the lifecycle callbacks; the release that ends either is the record. A cascade the store fails
   * leaves the run held: its lease runs out and it is taken over again.
   */
  private async takeOver(wf: AnyWorkflow, claimed: ClaimedRun): Promise<void> {
    if (claimed.run.status === 'canceled') {
      try {
        await this.d.cancelChildren(claimed.run.runId);
      } catch (err) {
        this.d.onError(err);
        return;
      }
    }
    if (Lifecycle.watches(wf)) await this.d.lifecycle.deliverClaimed(wf, claimed);
    else await this.release(claimed);
  }

  private async failCorrupt(claimed: ClaimedRun, err: unknown): Promise<void> {
    const cause = new CorruptRunError(`the stored run could not be read: ${String((err as Error)?.message ?? err)}`, { cause: err });
    const { stack: _stack, ...error } = serializeError(cause);
    try {
      await this.d.committer.write({ type: 'run', runId: claimed.run.runId, epoch: claimed.run.leaseEpoch, patch: { status: 'failed', error: JSON.stringify(error), release: true }, now: this.d.interpreter.seams.now() });
    } catch (e) {
      this.d.onError(e);
    }
    this.notify(claimed.run.runId);
  }

  /**
   * Parks a run whose journal does not fit the graph: paused (no worker takes it), released, with the
   * reason as its status reason; its journal is left as it is. Time travel and cancel are the ways out.
   */
  private async park(claimed: ClaimedRun, wf: AnyWorkflow, d: Divergence): Promise<void> {
    const statusReason = divergenceReason(wf, d);
    try {
      await this.d.committer.write({ type: 'run', runId: claimed.run.runId, epoch: claimed.run.leaseEpoch, patch: { status: 'paused', statusReason, release: true }, now: this.d.interpreter.seams.now() });
    } catch (err) {
      if (!(err instanceof LeaseLostError)) this.d.onError(err);
    }
    this.notify(claimed.run.runId);
  }

  private async release(claimed: ClaimedRun): Promise<void> {
    try {
      await this.d.committer.write({ type: 'run', runId: claimed.run.runId, epoch: claimed.run.leaseEpoch, patch: { release: true }, now: this.d.interpreter.seams.now() });
    } catch (err) {
      // Fenced: someone else holds the run now, which is all a release wanted.
      if (!(err instanceof LeaseLostError)) this.d.onError(err);
    }
  }

  /** Wakes the callers waiting for this run (it settled here, or the store said it did elsewhere). */
  notify(runId: string): void {
    const set = this.waiters.get(runId);
    if (!set) return;
    this.waiters.delete(runId);
    for (const fn of set) fn();
  }

  /** Notifications may have been missed: every waiter looks again. */
  notifyAll(): void {
    for (const id of [...this.waiters.keys()]) this.notify(id);
  }

  /**
   * Waits until the run settles (success, failed, canceled or suspended) and returns its result.
   * Local executions resolve directly. A run executing elsewhere is reloaded when the store notifies
   * that it settled (PostgreSQL); polling with back-off stays as the fallback, slow when notifications
   * are on and quick without them.
   */
  async waitForResult(runId: string, includeState: boolean): Promise<WorkflowResult> {
    const notified = this.d.notified();
    let pollMs = notified ? 1000 : 20;
    const maxPollMs = notified ? 5000 : 500;
    for (;;) {
      const local = this.running.get(runId);
      if (local) {
        const end = await local.done;
        if (end.status !== 'lost' && end.status !== 'faulted' && isSettled(end.status)) {
          return buildResult(local.exec.finalRecord(), local.exec.rows(), includeState, local.exec.decoded);
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
        const run = await this.d.reader.loadRun(runId);
        if (!run) throw new RunNotFoundError(runId);
        if (isSettled(run.status as RunStatus)) {
          return buildResult(run, await this.d.reader.loadJournal(runId), includeState);
        }
        if (this.running.has(runId)) continue;
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

  /**
   * Shutdown: waits up to `timeoutMs` for in-flight runs, aborts the rest and releases their leases so
   * other workers take over at once. Launches after this release the run instead of executing it.
   */
  async stop(timeoutMs: number): Promise<void> {
    const inflight = [...this.running.values()].map((e) => e.done);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(inflight), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.stopped = true;
    const left = [...this.running.values()];
    for (const e of left) e.exec.abort(new Error('the engine is stopping'));
    await Promise.allSettled(left.map((e) => e.ran));
    // A run whose callbacks are still being delivered is not released (that would record them as
    // delivered): its lease runs out and another worker delivers them again.
    const releasable = left.filter((e) => !this.d.lifecycle.delivering(e.exec.runId));
    await Promise.allSettled(
      releasable.map((e) =>
        this.d.committer.write({ type: 'run', runId: e.exec.runId, epoch: e.exec.epoch, patch: { release: true }, now: this.d.interpreter.seams.now() }),
      ),
    );
  }
}
