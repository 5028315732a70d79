import { RequestContext } from '../define/request-context.js';
import { validate } from '../define/schema.js';
import type { ResumeOptions } from '../define/run-types.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { isTerminal } from '../domain/run-status.js';
import { finishPayload } from '../domain/workflow-events.js';
import { ResumeConflictError, RunNotFoundError, RunNotSuspendedError, StepNotSuspendedError } from '../errors.js';
import type { JournalEntry, RunRecord, Store } from '../store/types.js';
import type { Seams } from '../worker/seams.js';
import type { Worker } from '../worker/worker.js';
import { checkResumeOptions, checkStartOptions } from './checks.js';
import type { EventHub } from './events.js';
import type { LocalExecutions, RunReader } from './executions.js';
import { findStepByPath } from './graph-lookup.js';
import type { GroupCommitter } from './group-commit.js';
import { startInfo, type Lifecycle } from './lifecycle.js';
import { encode } from './payload.js';
import { resolveResumeTarget } from './resume-target.js';
import { newTraceId } from './tracing.js';

/** Lease settings of a run created, resumed or retried already claimed by this process. */
export interface LocalClaim {
  owner: string;
  leaseExpiresAt: number;
}

export interface CommandsDeps {
  store: Store;
  committer: GroupCommitter;
  executions: LocalExecutions;
  worker: Worker | null;
  ownerId: string;
  reader: RunReader;
  events: EventHub;
  seams: Seams;
  maxPayloadBytes: number;
  storeCall<T>(fn: () => Promise<T>): Promise<T>;
  /** Handles created but not started are reported as `pending` in this process; starting ends that. */
  started(runId: string): void;
  lifecycle: Lifecycle;
  workflowById(id: string): AnyWorkflow | undefined;
}

/**
 * Everything that changes a run's lifecycle: create (start), resume, retry, cancel, delete. Creating,
 * resuming and retrying share one claim path: when this process has a free slot the run is written
 * already claimed by it and executes here at once; otherwise it is queued for any worker.
 */
export class RunCommands {
  constructor(private readonly d: CommandsDeps) {}

  private now(): number {
    return this.d.seams.now();
  }

  /**
   * Runs `use` with the lease settings for a run this process takes on already claimed, or with null
   * when it has no free slot or the workflow is limited (only the store's claim can count a limited
   * run across every worker). The slot is reserved until `use` ends; the run is launched here when
   * `use` returns a record to launch (a new run has no journal yet; a resumed or retried one has), and
   * otherwise the slot is given back and a worker is nudged.
   */
  private async withLocalClaim(
    wf: AnyWorkflow,
    journal: 'new' | 'stored',
    use: (claim: LocalClaim | null) => Promise<RunRecord | null>,
  ): Promise<void> {
    const worker = this.d.worker;
    const claim = !wf.concurrency && worker?.reserve() ? { owner: this.d.ownerId, leaseExpiresAt: this.now() + worker.opts.leaseMs } : null;
    let launched = false;
    try {
      const run = await use(claim);
      if (run === null) return;
      if (claim) {
        const rows: JournalEntry[] = journal === 'new' ? [] : await this.d.reader.loadJournal(run.runId);
        this.d.executions.launch({ run, journal: rows }, wf);
        launched = true;
      } else worker?.nudge();
    } finally {
      if (claim) worker!.unreserve(launched);
    }
  }

  /**
   * Validates the start options against the workflow, then stores the run durably (claimed by this
   * process when it has room). Returns whether this call created it (an existing id creates nothing).
   */
  async create(wf: AnyWorkflow, runId: string, resourceId: string | undefined, opts: unknown): Promise<{ includeState: boolean; created: boolean }> {
    let prepared;
    try {
      prepared = await this.prepare(wf, runId, opts);
    } catch (err) {
      // Rejected input leaves no run behind, not even the in-process `pending` view of this handle.
      this.d.started(runId);
      throw err;
    }
    const onStart = wf.lifecycle.onStart;
    if (onStart) {
      // A gate before anything is stored (Mastra: "errors are propagated"): a throw rejects the start,
      // and the handle stays `pending` in this process, like Mastra's unstarted run record.
      const rc = new RequestContext(prepared.requestContextValue ?? {});
      await onStart(startInfo(wf, runId, resourceId, prepared.inputValue, prepared.stateValue, rc));
    }
    let created = false;
    await this.withLocalClaim(wf, 'new', async (claim) => {
      const res = await this.d.committer.create({
        runId,
        workflowId: wf.id,
        status: claim ? 'running' : 'pending',
        resourceId: resourceId ?? null,
        input: prepared.input,
        state: prepared.state,
        requestContext: prepared.requestContext,
        tracing: prepared.tracing,
        priority: wf.priority,
        concurrencyKey: prepared.concurrencyKey,
        owner: claim?.owner ?? null,
        leaseExpiresAt: claim?.leaseExpiresAt ?? null,
        now: this.now(),
      });
      this.d.started(runId);
      this.d.seams.crash?.('run:created');
      created = res.created;
      return res.created ? res.run : null;
    });
    return { includeState: prepared.includeState, created };
  }

  private async prepare(wf: AnyWorkflow, runId: string, opts: unknown) {
    const o = checkStartOptions(opts);
    const max = this.d.maxPayloadBytes;
    const input = await validate(wf.inputSchema, o.inputData, `input of workflow "${wf.id}"`);
    let state: unknown = o.initialState;
    if (wf.stateSchema && state !== undefined) state = await validate(wf.stateSchema, state, `initialState of workflow "${wf.id}"`);
    // The trace id is fixed at creation so every execution of the run (resumes, recoveries) joins one trace.
    const tracing = { ...o.tracing, traceId: o.tracing.traceId ?? newTraceId(runId) };
    const key = wf.concurrency?.key;
    return {
      inputValue: input,
      stateValue: state ?? {},
      requestContextValue: o.requestContext,
      input: encode(input, `input of workflow "${wf.id}"`, max),
      state: encode(state ?? {}, 'initialState', max),
      requestContext: o.requestContext === undefined ? null : encode(o.requestContext, 'requestContext', max),
      tracing: encode(tracing, 'tracingOptions', max),
      concurrencyKey: key ? String(key(input)) : null,
      includeState: o.includeState,
    };
  }

  /** Resumes a suspended run at the step the options name (checked and validated before anything is written). */
  async resume(wf: AnyWorkflow, runId: string, opts: ResumeOptions | undefined): Promise<void> {
    const o = checkResumeOptions(opts);
    // A resume right after the run's step-suspended event (a stream reader reacting to it) must not see
    // the run still running here: its suspension is being recorded. Wait for this process's execution.
    await this.d.executions.suspending(runId);
    const run = await this.d.reader.loadRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    if (run.status !== 'suspended') throw new RunNotSuspendedError(runId, run.status);
    const path = resolveResumeTarget(runId, await this.d.reader.loadJournal(runId), o);
    const step = findStepByPath(wf, path);
    const max = this.d.maxPayloadBytes;
    const data = step?.resumeSchema ? await validate(step.resumeSchema, o.resumeData, `resumeData of step "${step.id}"`) : o.resumeData;
    const resumeData = encode(data, 'resumeData', max);
    const requestContext = o.requestContextObject === undefined ? null : encode(o.requestContextObject, 'requestContext', max);
    // The suspension's own callbacks first: the resume bumps the epoch, which would fence their record.
    await this.d.lifecycle.settle(wf, runId);
    await this.withLocalClaim(wf, 'stored', async (claim) => {
      try {
        return await this.d.storeCall(() =>
          this.d.store.resumeRun({ runId, path, resumeData, requestContext, now: this.now(), owner: claim?.owner ?? null, leaseExpiresAt: claim?.leaseExpiresAt ?? null }),
        );
      } catch (err) {
        // The step was suspended a moment ago (the target was picked from the journal): another resume
        // of it got there first.
        if (err instanceof StepNotSuspendedError) throw new ResumeConflictError(runId);
        throw err;
      }
    });
  }

  /**
   * Retries a failed run from its failed step: steps that succeeded are replayed from the journal, the
   * failed step (and everything after it) runs again.
   */
  async retry(wf: AnyWorkflow, runId: string): Promise<void> {
    const run = await this.d.reader.loadRun(runId);
    if (!run || run.workflowId !== wf.id) throw new RunNotFoundError(runId);
    await this.d.lifecycle.settle(wf, runId);
    await this.withLocalClaim(wf, 'stored', (claim) =>
      this.d.storeCall(() => this.d.store.retryRun({ runId, now: this.now(), owner: claim?.owner ?? null, leaseExpiresAt: claim?.leaseExpiresAt ?? null })),
    );
  }

  /**
   * Marks the run canceled; its in-flight steps see `abortSignal` fire and later steps never start.
   * A workflow with onFinish gets its canceled outcome delivered here, held like any other outcome: the
   * run stays this process's until the callback is recorded (or another worker's after a crash).
   */
  async cancel(runId: string): Promise<RunRecord> {
    const before = await this.d.reader.loadRun(runId);
    const wf = before ? this.d.workflowById(before.workflowId) : undefined;
    const lifecycle = this.d.lifecycle;
    const due = wf !== undefined && before !== null && !isTerminal(before.status) && lifecycle.due(wf, 'canceled');
    const holds = due && lifecycle.holds(wf, 'canceled');
    if (holds) await lifecycle.settle(wf, runId);
    const hold = holds ? { owner: this.d.ownerId, leaseExpiresAt: lifecycle.leaseExpiresAt() } : undefined;
    const run = await this.d.storeCall(() => this.d.store.cancelRun(runId, this.now(), hold));
    if (!run) throw new RunNotFoundError(runId);
    this.d.executions.abort(runId, new Error('the run was canceled'));
    if (this.d.events.has(runId)) {
      this.d.events.emit(runId, 'workflow-canceled', {});
      this.d.events.emit(runId, 'workflow-finish', finishPayload('canceled'));
    }
    // Only when this call made the cancel (a run already terminal comes back unchanged, held by nobody here).
    const made = run.status === 'canceled' && run.leaseEpoch === before!.leaseEpoch + 1 && (!hold || run.owner === hold.owner);
    if (due && made) {
      await lifecycle.deliver(wf!, { run, rows: await this.d.reader.loadJournal(runId) }, hold ? run.leaseEpoch : null);
    }
    return run;
  }

  /** Removes a run of `wf` and its journal, stopping it here if it executes here. */
  async delete(wf: AnyWorkflow, runId: string): Promise<boolean> {
    const run = await this.d.reader.loadRun(runId);
    if (!run || run.workflowId !== wf.id) return false;
    this.d.executions.abort(runId, new Error('the run was deleted'));
    return this.d.storeCall(() => this.d.store.deleteRun(runId));
  }
}
