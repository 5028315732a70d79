import { RequestContext } from '../define/request-context.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { LeaseLostError, serializeError, type SerializedError } from '../errors.js';
import type { ClaimedRun, JournalEntry, RunPatch, RunRecord, RunStatus } from '../store/types.js';
import { applyRunPatch } from '../store/shared/run-rules.js';
import type { EventHub } from './events.js';
import type { GroupCommitter } from './group-commit.js';
import type { Outcome, Value } from './outcome.js';
import { decode, decodeRow, encode } from './payload.js';
import type { Scope } from './scope.js';
import { walkSequence } from './walker.js';
import { newTraceId, RunTracer, type StoredTracing } from './tracing.js';
import { testHooks, type LeaseLossKind } from '../testing/crash-points.js';

const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')?.get;

/** What untilAborted resolves with when the run was aborted before the step settled. */
export const ABORTED: unique symbol = Symbol('weft.aborted');

export interface DecodedRow {
  input: unknown;
  output: unknown;
}

export interface ExecutionHost {
  committer: GroupCommitter;
  events: EventHub;
  maxPayloadBytes: number;
  /** Sleeps and retry delays up to this long wait in process; longer ones park the run in the store. */
  inProcessSleepMs: number;
  now(): number;
  /** Whether this process still holds the run's lease by its own clock (absent: always). */
  leaseHeld?(runId: string): boolean;
}

/** How an execution ended, as far as this process knows. 'lost' means another party took the run. */
export type ExecutionEnd = { status: RunStatus | 'lost'; outcome: Outcome };

/**
 * One process's attempt at carrying a run forward, from a claim until the run settles or is parked.
 * It owns the run's in-memory view (journal map, state) and fences every write with its lease epoch.
 */
export class RunExecution {
  readonly runId: string;
  readonly resourceId: string | undefined;
  readonly epoch: number;
  readonly journal: Map<string, JournalEntry>;
  /** Rows loaded from the store whose state patch has not been re-applied by the walk yet. */
  private readonly unreplayedState = new Set<string>();
  state: Record<string, unknown>;
  readonly requestContext: RequestContext;
  readonly input: Value;
  /**
   * Created on first use: most steps never look at their abortSignal, and an AbortController with a
   * listener per run was a measurable share of a short run's cost. `aborted` is the engine's own flag.
   */
  private controller: AbortController | null = null;
  private isAborted = false;
  private abortReason: unknown;
  /** Steps in flight that must stop waiting when the run is aborted (see untilAborted). */
  private readonly abortWaiters = new Set<() => void>();
  private abortedByStep = false;
  /** The run row as this execution last wrote it (so callers need not reload it). */
  private runRow: RunRecord;
  private lost = false;
  readonly tracer: RunTracer;
  /** Decoded input/output of rows written here, so the run's result does not parse them back. */
  readonly decoded = new Map<string, DecodedRow>();

  constructor(
    readonly host: ExecutionHost,
    readonly rootWorkflow: AnyWorkflow,
    claimed: ClaimedRun,
  ) {
    const run = claimed.run;
    this.runRow = { ...run };
    this.runId = run.runId;
    this.resourceId = run.resourceId ?? undefined;
    this.epoch = run.leaseEpoch;
    this.journal = new Map();
    for (const e of claimed.journal) {
      this.journal.set(e.path, e);
      if (e.meta && e.meta.includes('"statePatch"')) this.unreplayedState.add(e.path);
    }
    this.state = (decode(run.state) as Record<string, unknown> | undefined) ?? {};
    this.requestContext = new RequestContext((decode(run.requestContext) as Record<string, unknown> | undefined) ?? {});
    this.input = { v: decode(run.input), json: run.input };
    const tracing = (decode(run.tracing) as StoredTracing | undefined) ?? { traceId: newTraceId(run.runId) };
    this.tracer = new RunTracer(tracing, run.runId, rootWorkflow.id, claimed.journal.length > 0);
  }

  /**
   * Makes `abortSignal.aborted` (and throwIfAborted) look at the lease first: a step that checks its
   * signal after this process was paused past its lease sees it aborted at once, before the worker's
   * timers have had a chance to run, so it never goes on side by side with the worker that took over.
   */
  private guardSignal(signal: AbortSignal): void {
    const host = this.host;
    const get = abortedGetter;
    if (!host.leaseHeld || !get) return;
    const check = (): boolean => {
      if (!get.call(signal) && !host.leaseHeld!(this.runId)) this.loseLease('expired');
      return get.call(signal) as boolean;
    };
    Object.defineProperty(signal, 'aborted', { configurable: true, get: check });
    Object.defineProperty(signal, 'throwIfAborted', {
      configurable: true,
      value: () => {
        if (check()) throw signal.reason;
      },
    });
  }

  /** The run's abort signal (what steps see as abortSignal), created on first use. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.isAborted) this.controller.abort(this.abortReason);
      this.guardSignal(this.controller.signal);
    }
    return this.controller.signal;
  }

  /** Whether the run was aborted; consults the lease too (a paused process must not start more work). */
  get aborted(): boolean {
    if (!this.isAborted && this.host.leaseHeld && !this.host.leaseHeld(this.runId)) this.loseLease('expired');
    return this.isAborted;
  }

  get reason(): unknown {
    return this.abortReason;
  }

  /**
   * Resolves with the step's value, or with ABORTED as soon as the run is aborted, so a step that
   * ignores its signal cannot hold the run. A value that is not a promise is returned as it is.
   */
  untilAborted(value: unknown): unknown {
    if (!(value instanceof Promise)) {
      if (value === null || typeof value !== 'object' || typeof (value as PromiseLike<unknown>).then !== 'function') return value;
      value = Promise.resolve(value);
    }
    if (this.isAborted) return ABORTED;
    const pending = value as Promise<unknown>;
    return new Promise((resolve, reject) => {
      const onAbort = () => resolve(ABORTED);
      this.abortWaiters.add(onAbort);
      pending.then(
        (v) => {
          this.abortWaiters.delete(onAbort);
          resolve(v);
        },
        (e) => {
          this.abortWaiters.delete(onAbort);
          reject(e);
        },
      );
    });
  }

  emit(type: string, payload: Record<string, unknown>): void {
    this.host.events.emit(this.runId, type, payload);
  }

  get hasListeners(): boolean {
    return this.host.events.has(this.runId);
  }

  /** Stops the run from outside: cancel, lease lost or shutdown. In-flight steps see abortSignal fire. */
  abort(reason: unknown): void {
    if (this.isAborted) return;
    this.isAborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
    for (const wake of this.abortWaiters) wake();
    this.abortWaiters.clear();
  }

  abortFromStep(): void {
    this.abortedByStep = true;
    this.abort(new Error('the step called abort()'));
  }

  /** Re-applies the state patch of a row recorded by an earlier execution, once, as the walk passes it. */
  replayState(entry: JournalEntry): void {
    if (!this.unreplayedState.delete(entry.path)) return;
    const meta = decodeRow(entry.meta, entry.runId, entry.path, 'meta') as { statePatch?: Record<string, unknown> } | undefined;
    if (meta?.statePatch) this.state = { ...this.state, ...meta.statePatch };
  }

  /** Records a journal row; resolves once it is committed. Rejects with LeaseLostError when fenced. */
  async record(entry: JournalEntry): Promise<void> {
    this.journal.set(entry.path, entry);
    try {
      await this.host.committer.write({ type: 'journal', epoch: this.epoch, entry });
    } catch (err) {
      if (err instanceof LeaseLostError) this.loseLease('fenced');
      throw err;
    }
  }

  encode(value: unknown, what: string): string | null {
    return encode(value, what, this.host.maxPayloadBytes);
  }

  /** This process no longer owns the run: abort its steps and write nothing more for it. */
  loseLease(kind: LeaseLossKind): void {
    // Every write the store fences is reported (tests count them); other notices once per execution.
    if (this.lost && kind !== 'fenced') return;
    testHooks.leaseLost?.(this.runId, kind);
    if (this.lost) return;
    this.lost = true;
    this.abort(new LeaseLostError(this.runId));
  }

  async run(): Promise<ExecutionEnd> {
    this.emit('workflow-start', { runId: this.runId, workflowId: this.rootWorkflow.id });
    const scope: Scope = {
      prefix: '',
      idPrefix: '',
      workflow: this.rootWorkflow,
      initData: this.input.v,
      outputs: new Map(),
      rowKind: 'step',
    };
    let outcome: Outcome;
    try {
      outcome = await walkSequence(this, this.rootWorkflow.graph(), this.input, scope);
    } catch (err) {
      outcome = this.lost || this.aborted ? { t: 'canceled' } : { t: 'failed', error: serializeError(err) };
    }
    return this.finish(outcome);
  }

  private async finish(outcome: Outcome): Promise<ExecutionEnd> {
    if (this.lost || (outcome.t === 'canceled' && !this.abortedByStep)) {
      // Someone else (a cancel, or a worker that took over) owns the run's status now.
      this.tracer.end('lost');
      return { status: 'lost', outcome };
    }
    const patch = this.patchFor(outcome);
    try {
      await this.host.committer.write({ type: 'run', runId: this.runId, epoch: this.epoch, patch, now: this.host.now() });
    } catch (err) {
      this.tracer.end('lost');
      if (err instanceof LeaseLostError) {
        this.loseLease('fenced');
        return { status: 'lost', outcome };
      }
      throw err;
    }
    this.tracer.end(patch.status as string, outcome.t === 'failed' ? outcome.error : undefined);
    applyRunPatch(this.runRow, patch, this.host.now());
    const status = patch.status as RunStatus;
    this.emitFinish(status, outcome);
    return { status, outcome };
  }

  finalRecord(): RunRecord {
    return this.runRow;
  }

  private patchFor(outcome: Outcome): RunPatch {
    const state = this.safeEncode(this.state, 'state');
    switch (outcome.t) {
      case 'ok':
      case 'bail': {
        let result: string | null;
        try {
          result = outcome.value.json !== undefined ? outcome.value.json : this.encode(outcome.value.v, 'workflow result');
        } catch (err) {
          return { status: 'failed', error: JSON.stringify(serializeError(err)), state, release: true };
        }
        return { status: 'success', result, state, release: true, wakeAt: null };
      }
      case 'failed':
        return { status: 'failed', error: JSON.stringify(outcome.error), state, release: true, wakeAt: null };
      case 'suspended':
        return { status: 'suspended', state, release: true, wakeAt: null };
      case 'waiting':
        return { status: 'waiting', state, release: true, wakeAt: outcome.wakeAt };
      case 'canceled':
        return { status: 'canceled', state, release: true, wakeAt: null };
    }
  }

  private safeEncode(value: unknown, what: string): string | null {
    try {
      return this.encode(value, what);
    } catch {
      return null;
    }
  }

  private emitFinish(status: RunStatus, outcome: Outcome): void {
    // A parked run is not finished: it continues when its timer fires, and its stream stays open.
    if (!this.hasListeners || status === 'waiting') return;
    if (status === 'canceled') this.emit('workflow-canceled', {});
    const error: SerializedError | undefined = outcome.t === 'failed' ? outcome.error : undefined;
    this.emit('workflow-finish', {
      workflowStatus: status,
      output: { usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } },
      metadata: {},
      ...(error ? { error } : {}),
      ...(outcome.t === 'ok' || outcome.t === 'bail' ? { finalWorkflowResult: outcome.value.v } : {}),
    });
  }
}
