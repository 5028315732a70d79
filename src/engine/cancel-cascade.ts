import type { AnyWorkflow } from '../define/workflow.js';
import { isTerminal } from '../domain/run-status.js';
import { finishPayload } from '../domain/workflow-events.js';
import { LeaseLostError, RunNotFoundError } from '../errors.js';
import type { RunRecord, Store } from '../store/types.js';
import type { Seams } from '../worker/seams.js';
import type { Worker } from '../worker/worker.js';
import type { EventHub } from './events.js';
import type { LocalExecutions, RunReader } from './executions.js';
import type { GroupCommitter } from './group-commit.js';
import type { Lifecycle } from './lifecycle.js';

/** A guard on the walk up a child run's parents (parent links never form a cycle; this bounds a bad store). */
const MAX_ANCESTORS = 10_000;

export interface CancelDeps {
  store: Store;
  committer: GroupCommitter;
  executions: LocalExecutions;
  worker: Worker | null;
  ownerId: string;
  reader: RunReader;
  events: EventHub;
  seams: Seams;
  lifecycle: Lifecycle;
  storeCall<T>(fn: () => Promise<T>): Promise<T>;
  workflowById(id: string): AnyWorkflow | undefined;
}

/**
 * Canceling a run and the tree of child runs under it, durably (docs/durability.md, "Canceling a
 * tree of runs").
 *
 * A cancel writes the run canceled and *held* by this process (not released), in the write that
 * cancels it; then it cancels the run's children (each the same way, so each holds its own subtree),
 * then releases the run. The release is the record that the run's children were reached. A canceler
 * that dies before it leaves a canceled run with an owner whose lease runs out: a worker takes it
 * over (Store.claimUnreleased, as for lifecycle callbacks) and carries the cascade on
 * (`cancelChildren`). Independently, a child run about to execute first looks up its parents
 * (`canceledAncestor`): under a canceled run, it is canceled instead of executed, so a child
 * started after the cascade read the links, or claimed before the cascade reaches it, never runs on.
 */
export class CancelCascade {
  constructor(private readonly d: CancelDeps) {}

  /**
   * Marks the run canceled; its in-flight steps see `abortSignal` fire and later steps never start.
   * Then its unfinished children (and theirs) are canceled. A workflow with onFinish gets its canceled
   * outcome delivered after that, on the same hold: the run stays this process's until the callback is
   * recorded (or another worker's after a crash).
   */
  async cancel(runId: string): Promise<RunRecord> {
    const d = this.d;
    const before = await d.reader.loadRun(runId);
    const wf = before ? d.workflowById(before.workflowId) : undefined;
    const lifecycle = d.lifecycle;
    const live = before !== null && !isTerminal(before.status);
    const due = wf !== undefined && live && lifecycle.due(wf, 'canceled');
    // An earlier outcome's callbacks go first: the cancel bumps the epoch, which would fence their record.
    if (due && lifecycle.holds(wf, 'canceled')) await lifecycle.settle(wf, runId);
    // A store that cannot hand a held run over (no claimUnreleased) gets a plain cancel: its cascade
    // then lasts only as long as this process.
    const hold = live && d.store.claimUnreleased ? { owner: d.ownerId, leaseExpiresAt: lifecycle.leaseExpiresAt() } : undefined;
    const run = await d.storeCall(() => d.store.cancelRun(runId, d.seams.now(), hold));
    if (!run) throw new RunNotFoundError(runId);
    d.seams.crash?.('cancel:committed');
    d.executions.abort(runId, new Error('the run was canceled'));
    if (d.events.has(runId)) {
      d.events.emit(runId, 'workflow-canceled', {});
      d.events.emit(runId, 'workflow-finish', finishPayload('canceled'));
    }
    // Only when this call made the cancel (a run already terminal comes back unchanged, held by nobody
    // here; a concurrent cancel that won carries its own cascade).
    const made = run.status === 'canceled' && run.leaseEpoch === before!.leaseEpoch + 1 && (!hold || run.owner === hold.owner);
    if (made) {
      // The parent is canceled first, so a child's cancel does not wake it.
      await this.cancelChildren(runId);
      if (due) await lifecycle.deliver(wf!, { run, rows: await d.reader.loadJournal(runId) }, hold ? run.leaseEpoch : null);
      else if (hold) await this.release(runId, run.leaseEpoch);
    }
    // A canceled child has woken its parent in the store: let a worker here claim it now.
    if (run.parentRunId) d.worker?.nudge();
    return run;
  }

  /** Cancels every unfinished child of the run (each with its own subtree). Idempotent. */
  async cancelChildren(runId: string): Promise<void> {
    const load = this.d.store.loadLinks;
    if (!load) return;
    const { children } = await this.d.storeCall(() => load.call(this.d.store, runId));
    for (const c of children) {
      try {
        await this.cancel(c.runId);
      } catch (err) {
        // Deleted meanwhile: nothing to cancel.
        if (!(err instanceof RunNotFoundError)) throw err;
      }
    }
  }

  /**
   * The nearest canceled run among a child run's parents (its parent, the parent's parent ...), or
   * null. Only child runs pay for it: one read per level, before they execute.
   */
  async canceledAncestor(run: RunRecord): Promise<string | null> {
    let id = run.parentRunId ?? null;
    for (let n = 0; id !== null && n < MAX_ANCESTORS; n++) {
      const parent = await this.d.reader.loadRun(id);
      if (!parent) return null;
      if (parent.status === 'canceled') return parent.runId;
      id = parent.parentRunId ?? null;
    }
    return null;
  }

  /**
   * A child run claimed to execute: when a run above it is canceled (its cascade has not reached this
   * run yet, or never will: the child was started after it read the links), it is canceled now, with
   * its own children, instead of executed. Returns whether it was.
   */
  async cancelIfOrphaned(run: RunRecord): Promise<boolean> {
    if (run.parentRunId == null || (await this.canceledAncestor(run)) === null) return false;
    try {
      await this.cancel(run.runId);
    } catch (err) {
      if (!(err instanceof RunNotFoundError)) throw err;
    }
    return true;
  }

  private async release(runId: string, epoch: number): Promise<void> {
    try {
      await this.d.committer.write({ type: 'run', runId, epoch, patch: { release: true }, now: this.d.seams.now() });
    } catch (err) {
      // Fenced: the run moved on (deleted, or taken over after this process paused past its lease).
      if (!(err instanceof LeaseLostError)) throw err;
    }
  }
}
