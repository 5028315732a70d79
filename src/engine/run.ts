import { RequestContext } from '../define/request-context.js';
import type { ResumeOptions, RunHandle, StartOptions, StreamHandle, WorkflowResult } from '../define/run-types.js';
import { validate } from '../define/schema.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { InvalidArgumentError, RunNotFoundError, RunNotSuspendedError, ResumeConflictError } from '../errors.js';
import type { RunRecord, RunStatus } from '../store/types.js';
import { eventStream } from './events.js';
import { findStepByPath } from './graph-lookup.js';
import { encode } from './payload.js';
import { resolveResumeTarget } from './resume-target.js';
import type { Weft } from './weft.js';
import { crashPoint } from '../testing/crash-points.js';
import { newTraceId } from './tracing.js';

const TRACE_ID = /^[0-9a-f]{1,32}$/i;

interface Prepared {
  input: string | null;
  state: string | null;
  requestContext: string | null;
  tracing: string | null;
  concurrencyKey: string | null;
  includeState: boolean;
}

function checkObject(v: unknown, what: string): void {
  if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) throw new InvalidArgumentError(`${what} must be an object`);
}

function contextJson(ctx: StartOptions['requestContext'], limit: number): string | null {
  if (ctx === undefined) return null;
  checkObject(ctx, 'requestContext');
  const plain = ctx instanceof RequestContext ? ctx.toJSON() : (ctx as Record<string, unknown>);
  return encode(plain, 'requestContext', limit);
}

/** A handle on one run of a workflow. Creating it stores nothing; starting it does. */
export class Run implements RunHandle {
  private lastStatus: RunStatus = 'pending';

  constructor(
    private readonly weft: Weft,
    private readonly wf: AnyWorkflow,
    readonly runId: string,
    readonly resourceId: string | undefined,
  ) {}

  get workflowId(): string {
    return this.wf.id;
  }

  private async prepare(opts: StartOptions | undefined): Promise<Prepared> {
    checkObject(opts, 'start options');
    const o = opts ?? {};
    const input = await validate(this.wf.inputSchema, o.inputData, `input of workflow "${this.wf.id}"`);
    let state: unknown = o.initialState;
    if (state !== undefined) checkObject(state, 'initialState');
    if (this.wf.stateSchema && state !== undefined) state = await validate(this.wf.stateSchema, state, `initialState of workflow "${this.wf.id}"`);
    checkObject(o.metadata, 'metadata');
    checkObject(o.tracingOptions, 'tracingOptions');
    const traceId = o.tracingOptions?.traceId ?? o.traceId;
    if (traceId !== undefined && (typeof traceId !== 'string' || !TRACE_ID.test(traceId))) {
      throw new InvalidArgumentError('traceId must be 1-32 hexadecimal characters');
    }
    checkObject(o.outputOptions, 'outputOptions');
    // The trace id is fixed at creation so every execution of the run (resumes, recoveries) joins one trace.
    const tracing = {
      ...o.tracingOptions,
      traceId: traceId ? traceId.toLowerCase().padStart(32, '0') : newTraceId(this.runId),
      ...(o.metadata ? { metadata: { ...o.tracingOptions?.metadata, ...o.metadata } } : {}),
    };
    const key = this.wf.concurrency?.key;
    const max = this.weftMaxPayload();
    return {
      input: encode(input, `input of workflow "${this.wf.id}"`, max),
      state: encode(state ?? {}, 'initialState', max),
      requestContext: contextJson(o.requestContext, max),
      tracing: encode(tracing, 'tracingOptions', max),
      concurrencyKey: key ? String(key(input)) : null,
      includeState: o.outputOptions?.includeState === true,
    };
  }

  private weftMaxPayload(): number {
    return this.weft.maxPayloadBytes;
  }

  /** Stores the run durably and, when this process has room, claims it in the same write. */
  private async create(opts: StartOptions | undefined): Promise<{ includeState: boolean; created: boolean; run: RunRecord }> {
    await this.weft.start();
    let p: Prepared;
    try {
      p = await this.prepare(opts);
    } catch (err) {
      // Rejected input leaves no run behind, not even the in-process `pending` view of this handle.
      this.weft.markStarted(this.runId);
      throw err;
    }
    return this.weft.withLocalClaim(this.wf, async (claim, launched) => {
      const { created, run } = await this.weft.createStoredRun({
        runId: this.runId,
        workflowId: this.wf.id,
        status: claim ? 'running' : 'pending',
        resourceId: this.resourceId ?? null,
        input: p.input,
        state: p.state,
        requestContext: p.requestContext,
        tracing: p.tracing,
        priority: this.wf.priority,
        concurrencyKey: p.concurrencyKey,
        owner: claim?.owner ?? null,
        leaseExpiresAt: claim?.leaseExpiresAt ?? null,
        now: this.weft.now(),
      });
      this.weft.markStarted(this.runId);
      crashPoint('run:created');
      if (created) {
        if (claim) {
          this.weft.launch({ run, journal: [] }, this.wf);
          launched();
        } else this.weft.queued();
      }
      return { includeState: p.includeState, created, run };
    });
  }

  async start(opts?: StartOptions): Promise<WorkflowResult> {
    const { includeState } = await this.create(opts);
    const result = await this.weft.waitForResult(this.runId, includeState);
    this.lastStatus = result.status;
    return result;
  }

  async startAsync(opts?: StartOptions): Promise<{ runId: string }> {
    await this.create(opts);
    return { runId: this.runId };
  }

  /** @internal startAsync for the cron scheduler: whether this call created the run. */
  async startScheduled(opts?: StartOptions): Promise<boolean> {
    return (await this.create(opts)).created;
  }

  stream(opts?: StartOptions): StreamHandle {
    const { stream, close } = eventStream(this.weft.events, this.runId);
    const result = this.start(opts).finally(() => setImmediate(close));
    result.catch(() => {});
    const currentStatus = () => this.lastStatus;
    return {
      runId: this.runId,
      fullStream: stream,
      result,
      get status() {
        return currentStatus();
      },
    };
  }

  private async requestResume(opts: ResumeOptions | undefined): Promise<void> {
    checkObject(opts, 'resume options');
    const o = opts ?? {};
    await this.weft.start();
    const run = await this.weft.loadRun(this.runId);
    if (!run) throw new RunNotFoundError(this.runId);
    if (run.status !== 'suspended') throw new RunNotSuspendedError(this.runId, run.status);
    const journal = await this.weft.storeCall(() => this.weft.store.loadJournal(this.runId));
    const path = resolveResumeTarget(this.runId, journal, o);
    const step = findStepByPath(this.wf, path);
    const max = this.weftMaxPayload();
    const data = step?.resumeSchema ? await validate(step.resumeSchema, o.resumeData, `resumeData of step "${step.id}"`) : o.resumeData;
    const resumeData = encode(data, 'resumeData', max);
    const requestContext = contextJson(o.requestContext, max);
    await this.weft.withLocalClaim(this.wf, async (claim, launched) => {
      let resumed: RunRecord;
      try {
        resumed = await this.weft.storeCall(() =>
          this.weft.store.resumeRun({
            runId: this.runId,
            path,
            resumeData,
            requestContext,
            now: this.weft.now(),
            owner: claim?.owner ?? null,
            leaseExpiresAt: claim?.leaseExpiresAt ?? null,
          }),
        );
      } catch (err) {
        if (err instanceof RunNotSuspendedError && err.status.startsWith('step')) throw new ResumeConflictError(this.runId);
        throw err;
      }
      if (claim) {
        const fresh = await this.weft.storeCall(() => this.weft.store.loadJournal(this.runId));
        this.weft.launch({ run: resumed, journal: fresh }, this.wf);
        launched();
      } else this.weft.queued();
    });
  }

  async resume(opts?: ResumeOptions): Promise<WorkflowResult> {
    await this.requestResume(opts);
    const result = await this.weft.waitForResult(this.runId, false);
    this.lastStatus = result.status;
    return result;
  }

  async resumeAsync(opts?: ResumeOptions): Promise<{ runId: string }> {
    await this.requestResume(opts);
    return { runId: this.runId };
  }

  /** Marks the run canceled; its in-flight steps see `abortSignal` fire and later steps never start. */
  async cancel(): Promise<void> {
    await this.weft.start();
    const run = await this.weft.storeCall(() => this.weft.store.cancelRun(this.runId, this.weft.now()));
    if (!run) throw new RunNotFoundError(this.runId);
    this.weft.abortLocal(this.runId, new Error('the run was canceled'));
    if (this.weft.events.has(this.runId)) {
      this.weft.events.emit(this.runId, 'workflow-canceled', {});
      this.weft.events.emit(this.runId, 'workflow-finish', { workflowStatus: 'canceled', output: { usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } }, metadata: {} });
    }
  }
}
