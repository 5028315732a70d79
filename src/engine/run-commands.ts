import { CancelCascade, type CancelDeps } from './cancel-cascade.js';
import { fingerprintOf } from './fingerprint.js';
import { divergenceReason, fitStructure } from './journal-fit.js';
import { RequestContext } from '../define/request-context.js';
import { validate } from '../define/schema.js';
import type { ResumeOptions } from '../define/run-types.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { finishPayload } from '../domain/workflow-events.js';
import { ResumeConflictError, RunDivergedError, RunNotFoundError, RunNotSuspendedError, StepNotSuspendedError } from '../errors.js';
import type { NewRun, ReviseRequest, RunRecord } from '../store/types.js';
import { admissionOf, admits } from './admission.js';
import { checkResumeOptions, checkStartOptions } from './checks.js';
import { findStepByPath } from './graph-lookup.js';
import { startInfo } from './lifecycle.js';
import { decode, encode, encodeResumeData } from './payload.js';
import type { LocalClaims } from './local-claim.js';
import { encodeRunOptions } from '../domain/run-options.js';
import { resolveResumeTarget } from './resume-target.js';
import { newTraceId } from './tracing.js';
import { runLabels } from '../domain/search-labels.js';

/** A start's options, checked, validated and encoded (RunCommands.prepare). */
interface Prepared {
  inputValue: unknown;
  stateValue: unknown;
  requestContextValue: Record<string, unknown> | undefined;
  input: string | null;
  state: string | null;
  requestContext: string | null;
  tracing: string | null;
  concurrencyKey: string | null;
  includeState: boolean;
  options: string | null;
  /** Search labels (tags and searchable metadata values) as JSON text, or null. */
  labels: string | null;
  idempotencyKey: string | undefined;
}

/** The run's stored request context as an object (one that cannot be read counts as empty, as at claim time it fails the run). */
function storedContext(run: RunRecord): Record<string, unknown> {
  let v: unknown;
  try {
    v = decode(run.requestContext);
  } catch {
    return {};
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The cascade's dependencies (cancel-cascade.ts), and what the other commands need besides. */
export interface CommandsDeps extends CancelDeps {
  maxPayloadBytes: number;
  /** Handles created but not started are reported as `pending` in this process; starting ends that. */
  started(runId: string): void;
  claims: LocalClaims;
  /** The registered definition a stored run continues on (registry.ts `forRun`). */
  workflowFor(run: RunRecord): AnyWorkflow | undefined;
}

/**
 * Everything that changes a run's lifecycle: create (start), resume, retry, cancel, delete. Creating,
 * resuming and retrying share one claim path: when this process has a free slot the run is written
 * already claimed by it and executes here at once; otherwise it is queued for any worker.
 */
export class RunCommands {
  private readonly claims: LocalClaims;
  /** Cancels trees of runs durably; the executions use it too (orphaned children, taken-over cascades). */
  readonly cascade: CancelCascade;

  constructor(private readonly d: CommandsDeps) {
    this.claims = d.claims;
    this.cascade = new CancelCascade(d);
  }

  private now(): number {
    return this.d.seams.now();
  }

  /**
   * Validates the start options against the workflow, then stores the run durably (claimed by this
   * process when it has room). Returns whether this call created it (an existing id creates nothing).
   */
  async create(
    wf: AnyWorkflow,
    runId: string,
    resourceId: string | undefined,
    opts: unknown,
    parent?: { runId: string; path: string },
  ): Promise<{ includeState: boolean; created: boolean; runId: string }> {
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
    if (admits(wf, prepared.idempotencyKey)) return this.admit(wf, runId, resourceId, prepared);
    let created = false;
    await this.claims.run(wf, async (claim) => {
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
        options: prepared.options,
        fingerprint: fingerprintOf(wf),
        labels: prepared.labels,
        ...(parent ? { parent } : {}),
      });
      this.d.started(runId);
      this.d.seams.crash?.('run:created');
      created = res.created;
      return res.created ? { run: res.run, journal: [] } : null;
    });
    return { includeState: prepared.includeState, created, runId };
  }

  /**
   * A start under flow control: the store decides, atomically across workers, whether it creates a
   * run, joins an open one (debounce, batch), follows an earlier start (idempotency) or is skipped
   * (recorded canceled with the reason). The caller follows the run that carries its start.
   */
  private async admit(wf: AnyWorkflow, runId: string, resourceId: string | undefined, prepared: Prepared) {
    const run: NewRun = {
      runId,
      workflowId: wf.id,
      status: 'pending',
      resourceId: resourceId ?? null,
      input: prepared.input,
      state: prepared.state,
      requestContext: prepared.requestContext,
      tracing: prepared.tracing,
      priority: wf.priority,
      concurrencyKey: prepared.concurrencyKey,
      owner: null,
      leaseExpiresAt: null,
      now: this.now(),
      options: prepared.options,
      fingerprint: fingerprintOf(wf),
      labels: prepared.labels,
    };
    const req = admissionOf(wf, run, prepared.inputValue, prepared.idempotencyKey);
    const out = await this.d.storeCall(() => this.d.store.admitRun(req));
    this.d.started(runId);
    this.d.seams.crash?.('run:created');
    if (out.kind === 'created' && out.canceled) {
      // The store canceled the singleton's live run with this start; stop it here if it runs here.
      this.d.executions.abort(out.canceled, new Error('the run was canceled (replaced by a singleton start)'));
      if (this.d.events.has(out.canceled)) {
        this.d.events.emit(out.canceled, 'workflow-canceled', {});
        this.d.events.emit(out.canceled, 'workflow-finish', finishPayload('canceled'));
      }
      // Its unfinished children go with it (a child that this misses is canceled when it is claimed).
      await this.cascade.cancelChildren(out.canceled);
    }
    // Queued or waiting runs: a worker claims them (and sets its timer for a waiting one's wake time).
    if (out.kind === 'created' || out.kind === 'merged') this.d.worker?.nudge();
    return { includeState: prepared.includeState, created: out.kind === 'created' || out.kind === 'skipped', runId: out.run.runId };
  }

  private async prepare(wf: AnyWorkflow, runId: string, opts: unknown): Promise<Prepared> {
    const o = checkStartOptions(opts);
    const max = this.d.maxPayloadBytes;
    const check = wf.options.validateInputs;
    const input = check ? await validate(wf.inputSchema, o.inputData, 'Invalid input data') : o.inputData;
    let state: unknown = o.initialState;
    if (check && wf.stateSchema && state !== undefined) state = await validate(wf.stateSchema, state, 'Invalid initial data');
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
      options: encodeRunOptions({ perStep: o.perStep }),
      labels: runLabels(tracing.tags ?? [], tracing.metadata, wf.operations.searchable),
      idempotencyKey: o.idempotencyKey,
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
    wf = this.versionFor(wf, run);
    if (run.status === 'paused') return this.continue(wf, runId, o);
    if (run.status !== 'suspended') throw new RunNotSuspendedError(runId, run.status);
    const journal = await this.d.reader.loadJournal(runId);
    // A run started on another definition is resumed only if its journal fits this one: refused
    // before anything is written, so the run keeps its suspended step and its history.
    if (run.fingerprint !== fingerprintOf(wf)) {
      const d = fitStructure(wf, journal).divergence;
      if (d) throw new RunDivergedError(runId, d.path, d.reason, divergenceReason(wf, d));
    }
    const paths = resolveResumeTarget(runId, journal, o);
    const step = findStepByPath(wf, paths[0]!);
    const max = this.d.maxPayloadBytes;
    // Checked now so a bad resume is refused before anything is written; the data is stored as given
    // and the step applies its schema after reading it back (see step-runner), once.
    if (step?.resumeSchema && wf.options.validateInputs) await validate(step.resumeSchema, o.resumeData, 'Invalid resume data');
    const resumeData = encodeResumeData(o.resumeData, 'resumeData', max);
    // As in Mastra, the resume's own context wins and the run's (as its steps left it) fills in the rest.
    const requestContext =
      o.requestContextObject === undefined ? null : encode({ ...storedContext(run), ...o.requestContextObject }, 'requestContext', max);
    // The suspension's own callbacks first: the resume bumps the epoch, which would fence their record.
    await this.d.lifecycle.settle(wf, runId);
    await this.claims.run(wf, async (claim) => {
      try {
        const run = await this.d.storeCall(() =>
          this.d.store.resumeRun({
            runId,
            path: paths[0]!,
            ...(paths.length > 1 ? { paths } : {}),
            resumeData,
            requestContext,
            now: this.now(),
            owner: claim?.owner ?? null,
            leaseExpiresAt: claim?.leaseExpiresAt ?? null,
          }),
        );
        return { run, journal: 'load' };
      } catch (err) {
        // The step was suspended a moment ago (the target was picked from the journal): another resume
        // of it got there first.
        if (err instanceof StepNotSuspendedError) throw new ResumeConflictError(runId);
        throw err;
      }
    });
  }

  /**
   * The version of `wf` a stored run started on, when this process has it registered (two versions of
   * one workflow side by side): a command on the run goes on with that one.
   */
  private versionFor(wf: AnyWorkflow, run: RunRecord): AnyWorkflow {
    if (run.fingerprint === null || run.fingerprint === fingerprintOf(wf)) return wf;
    const own = this.d.workflowFor(run);
    return own && own.id === wf.id && fingerprintOf(own) === run.fingerprint ? own : wf;
  }

  /** A paused run (perStep) goes on: one more step with `perStep`, to its end without. */
  private async continue(wf: AnyWorkflow, runId: string, o: ReturnType<typeof checkResumeOptions>): Promise<void> {
    const max = this.d.maxPayloadBytes;
    const patch: ReviseRequest['patch'] = { options: encodeRunOptions({ perStep: o.perStep }) };
    if (o.requestContextObject !== undefined) patch.requestContext = encode(o.requestContextObject, 'requestContext', max);
    await this.claims.run(wf, (claim) =>
      this.d.storeCall(() =>
        this.d.store.reviseRun({ runId, from: ['paused'], patch, owner: claim?.owner ?? null, leaseExpiresAt: claim?.leaseExpiresAt ?? null, now: this.now() }),
      ),
    );
  }

  /**
   * Retries a failed run from its failed step: steps that succeeded are replayed from the journal, the
   * failed step (and everything after it) runs again.
   */
  async retry(wf: AnyWorkflow, runId: string): Promise<void> {
    const run = await this.d.reader.loadRun(runId);
    if (!run || run.workflowId !== wf.id) throw new RunNotFoundError(runId);
    wf = this.versionFor(wf, run);
    await this.d.lifecycle.settle(wf, runId);
    await this.claims.run(wf, async (claim) => ({
      run: await this.d.storeCall(() => this.d.store.retryRun({ runId, now: this.now(), owner: claim?.owner ?? null, leaseExpiresAt: claim?.leaseExpiresAt ?? null })),
      journal: 'load',
    }));
  }

  /** Cancels the run and the unfinished child runs under it (cancel-cascade.ts). */
  cancel(runId: string): Promise<RunRecord> {
    return this.cascade.cancel(runId);
  }

  /** Removes a run of `wf` and its journal, stopping it here if it executes here. */
  async delete(wf: AnyWorkflow, runId: string): Promise<boolean> {
    const run = await this.d.reader.loadRun(runId);
    if (!run || run.workflowId !== wf.id) return false;
    this.d.executions.abort(runId, new Error('the run was deleted'));
    const deleted = await this.d.storeCall(() => this.d.store.deleteRun(runId));
    // An unfinished child deleted has woken its parent in the store (which then finds it gone).
    if (deleted && run.parentRunId) this.d.worker?.nudge();
    return deleted;
  }
}
