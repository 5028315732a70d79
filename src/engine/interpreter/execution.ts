import { RequestContext, contextChanges } from '../../define/request-context.js';
import type { AnyWorkflow } from '../../define/workflow.js';
import { decodeMeta, deliveredMeta, type RowMeta } from '../../domain/journal-meta.js';
import { decodeRunOptions } from '../../domain/run-options.js';
import type { RunStatus } from '../../domain/run-status.js';
import { finishPayload, type CustomEventType, type WorkflowEventType } from '../../domain/workflow-events.js';
import { CorruptRunError, InvalidArgumentError, LeaseLostError, plainError, serializeError, type SerializedError } from '../../errors.js';
import type { ChildWaitRequest, ChildWaitResult, ClaimedRun, JournalEntry, RunPatch, RunRecord, StoredEvent, WaitRequest, WaitResult, WriteOp } from '../../store/types.js';
import type { StartChildRequest } from '../child-runs.js';
import { startWorkflow } from './child-run.js';
import { applyRunPatch } from '../../store/shared/run-rules.js';
import type { CrashPointName, LeaseLossKind, Seams } from '../../worker/seams.js';
import type { EventHub } from '../events.js';
import type { GroupCommitter } from '../group-commit.js';
import { isEnvelope } from '../../domain/value-codec.js';
import { ChunkJournal, type ChunkCall } from './chunk-journal.js';
import { RunValues } from './run-values.js';
import { decode } from '../payload.js';
import { newTraceId, RunTracer, type StoredTracing } from '../tracing.js';
import type { ChildCalls, Exec } from './exec.js';
import { ABORTED, EngineFault, type Outcome, type Value } from './outcome.js';
import type { Scope } from './scope.js';
import { walkSequence } from './walker.js';

const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')?.get;

export interface DecodedRow {
  input: unknown;
  output: unknown;
}

/** What an execution needs from the engine that runs it. */
export interface ExecutionHost {
  committer: GroupCommitter;
  events: EventHub;
  maxPayloadBytes: number;
  /** Sleeps and retry delays up to this long wait in process; longer ones park the run in the store. */
  inProcessSleepMs: number;
  /** How large values are stored (WeftOptions.values); absent: every value is plain JSON. */
  values?: { inlineBytes: number; arrayChunk: number };
  /** Budget for the run's blob bytes (null or absent: none). */
  maxRunBytes?: number | null;
  /** Loop iterations whose values are kept (WeftOptions.loopHistory; absent: all). */
  loopHistory?: number;
  /** The blob bytes the store holds for a run (read when a recovered run may already have some). */
  runBlobBytes?(runId: string): Promise<number>;
  seams: Seams;
  /** See Exec.eventWindowMs. */
  eventWindowMs: number;
  /** The store's registerWait, with the engine's retries (see Store.registerWait). */
  registerWait(req: WaitRequest): Promise<WaitResult>;
  /** Child runs (engine/child-runs.ts): absent in engines that cannot start them. */
  childRuns?: {
    start(req: StartChildRequest): Promise<{ workflowId: string; runId: string }>;
    registerChildWait(req: ChildWaitRequest): Promise<ChildWaitResult>;
  };
  /** Issues a completion token for a run (engine/tokens.ts). */
  createToken(runId: string, opts: unknown): Promise<{ token: string; url: string; expiresAt: Date }>;
  /** Whether this process still holds the run's lease by its own clock (absent: always). */
  leaseHeld?(runId: string): boolean;
  /** How long to park a run after the store failed `faults` times in a row to record it. */
  faultBackoffMs(runId: string): number;
  /**
   * Whether an outcome with this status is written without releasing the run, so its owner can call
   * the workflow's lifecycle callbacks and record them (engine/lifecycle.ts). Absent: never.
   */
  holdAfter?(wf: AnyWorkflow, status: RunStatus): boolean;
  /**
   * A row to write with the outcome, in the same batch (the shouldPersistSnapshot record, run-shapes.ts),
   * or null. Absent: never.
   */
  outcomeRow?(wf: AnyWorkflow, exec: RunExecution, patch: RunPatch): JournalEntry | null;
  /**
   * A child run whose parent (or a run above it) is canceled is canceled instead of executed; returns
   * whether it was (engine/cancel-cascade.ts). Called only for runs that have a parent. Absent: never.
   */
  cancelIfOrphaned?(run: RunRecord): Promise<boolean>;
}

/**
 * How an execution ended, as far as this process knows. 'lost' means another party took the run;
 * 'faulted' means the store could not record it (the run was parked to be retried, or left to its lease).
 */
export type ExecutionEnd = {
  status: RunStatus | 'lost' | 'faulted';
  outcome: Outcome;
  /** The outcome was written held (not released): its lifecycle callbacks are to be delivered. */
  held?: boolean;
};

/**
 * One process's attempt at carrying a run forward, from a claim until the run settles or is parked.
 * It owns the run's in-memory view (journal map, state) and fences every write with its lease epoch.
 */
export class RunExecution implements Exec {
  readonly runId: string;
  readonly resourceId: string | undefined;
  readonly epoch: number;
  private readonly journal = new Map<string, JournalEntry>();
  private readonly metas = new WeakMap<JournalEntry, RowMeta>();
  /** Rows loaded from the store whose state patch has not been re-applied by the walk yet. */
  private readonly unreplayedState = new Set<string>();
  state: Record<string, unknown>;
  readonly requestContext: RequestContext;
  /** The context's change count as last written to the run row (see pendingContext). */
  private storedContext = 0;
  private encodedContext: { changes: number; text: string | undefined } | null = null;
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
  readonly inProcessSleepMs: number;
  readonly eventWindowMs: number;
  /** Steps this execution may still start: 1 for a perStep run, unlimited otherwise. */
  private stepsLeft: number;
  /**
   * The path of the root workflow's last node when it is a step. Its success row is not committed on
   * its own: nothing runs after it but the run's outcome, so it is written with the outcome in one
   * commit (a run of n steps costs n + 1 commits with its creation, not n + 2). Until then the events
   * it emits are held, so listeners never see a result that is not committed.
   */
  private finalPath: string | null = null;
  private finalOps: WriteOp[] | null = null;
  private heldEvents: [WorkflowEventType | CustomEventType, Record<string, unknown>][] | null = null;
  /** How this run's values are encoded, and its size budget. */
  private readonly values: RunValues;
  readonly loopHistory: number;
  private chunks: ChunkJournal | null = null;

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
    this.inProcessSleepMs = host.inProcessSleepMs;
    this.eventWindowMs = host.eventWindowMs;
    this.stepsLeft = decodeRunOptions(run.options).perStep ? 1 : Infinity;
    this.loopHistory = host.loopHistory ?? Infinity;
    this.values = new RunValues(host);
    for (const e of claimed.journal) {
      this.journal.set(e.path, e);
      if (e.meta !== null && this.metaOf(e).statePatch) this.unreplayedState.add(e.path);
    }
    this.state = (decode(run.state) as Record<string, unknown> | undefined) ?? {};
    this.requestContext = new RequestContext((decode(run.requestContext) as Record<string, unknown> | undefined) ?? {});
    this.input = { v: decode(run.input), json: run.input };
    const tracing = (decode(run.tracing) as StoredTracing | undefined) ?? { traceId: newTraceId(run.runId) };
    this.tracer = new RunTracer(tracing, run.runId, rootWorkflow.id, claimed.journal.length > 0);
  }

  now(): number {
    return this.host.seams.now();
  }

  crashPoint(name: CrashPointName): void {
    this.host.seams.crash?.(name);
  }

  takeStep(): boolean {
    if (this.stepsLeft <= 0) return false;
    this.stepsLeft--;
    return true;
  }

  row(path: string): JournalEntry | undefined {
    return this.journal.get(path);
  }

  rows(): Iterable<JournalEntry> {
    return this.journal.values();
  }

  metaOf(entry: JournalEntry): RowMeta {
    let meta = this.metas.get(entry);
    if (meta === undefined) {
      try {
        meta = decodeMeta(entry.meta);
      } catch (err) {
        throw new CorruptRunError(`the journal row "${entry.path}" (meta) of run "${entry.runId}" is not valid JSON; the run cannot be replayed`, { cause: err });
      }
      this.metas.set(entry, meta);
    }
    return meta;
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

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.isAborted) this.controller.abort(this.abortReason);
      this.guardSignal(this.controller.signal);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    if (!this.isAborted && this.host.leaseHeld && !this.host.leaseHeld(this.runId)) this.loseLease('expired');
    return this.isAborted;
  }

  get reason(): unknown {
    return this.abortReason;
  }

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
        (e: unknown) => {
          this.abortWaiters.delete(onAbort);
          reject(e);
        },
      );
    });
  }

  emit(type: WorkflowEventType | CustomEventType, payload: Record<string, unknown>): void {
    if (this.heldEvents) this.heldEvents.push([type, payload]);
    else this.host.events.emit(this.runId, type, payload);
  }

  /** The final row committed (or dropped): its held events are sent, or dropped with it. */
  private releaseEvents(committed: boolean): void {
    const held = this.heldEvents;
    this.heldEvents = null;
    if (committed && held) for (const [type, payload] of held) this.host.events.emit(this.runId, type, payload);
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

  replayState(entry: JournalEntry): void {
    if (!this.unreplayedState.delete(entry.path)) return;
    const patch = this.metaOf(entry).statePatch;
    if (patch) this.state = { ...this.state, ...patch };
  }

  encodeContext(): string | undefined {
    const changes = contextChanges(this.requestContext);
    if (changes === this.storedContext) return undefined;
    if (this.encodedContext?.changes !== changes) {
      this.encodedContext = { changes, text: this.values.encodeRunField(this.requestContext.toJSON(), 'requestContext') ?? undefined };
    }
    return this.encodedContext.text;
  }

  /**
   * The context's JSON when a step changed it since it was last written to the run row, marked as
   * written. A context JSON cannot hold was reported to its step already (encodeContext); it is not
   * written, and the run row keeps the last one that could be.
   */
  private pendingContext(): string | undefined {
    const changes = contextChanges(this.requestContext);
    if (changes === this.storedContext) return undefined;
    try {
      return this.encodeContext();
    } catch {
      return undefined;
    } finally {
      this.storedContext = changes;
    }
  }

  async record(entry: JournalEntry, decoded?: DecodedRow): Promise<void> {
    // Blobs encoded since the last write go with this row: it is written no later than any row that
    // references them (the committer keeps a run's order, and a batch is one transaction).
    const blobs = this.values.takeBlobs();
    // Chunks the step wrote are queued before its row; a row that keeps them closes them (same batch).
    const streamOps: WriteOp[] | null = this.chunks ? [] : null;
    if (this.chunks) entry = this.chunks.withRow(entry, streamOps!);
    this.journal.set(entry.path, entry);
    if (decoded) this.decoded.set(entry.path, decoded);
    // A step's changes to the request context are written with its row, in the same transaction, so a
    // recovered or resumed run starts from the context its recorded steps left (steps are not re-run).
    const ops: WriteOp[] = [{ type: 'journal', epoch: this.epoch, entry: blobs ? { ...entry, blobs } : entry }];
    if (streamOps) ops.push(...streamOps);
    const context = this.pendingContext();
    if (context !== undefined) ops.push({ type: 'run', runId: this.runId, epoch: this.epoch, patch: { requestContext: context }, now: this.now() });
    if (entry.path === this.finalPath && entry.status === 'success' && this.finalOps === null && !this.isAborted) {
      // Committed by finish(), with the run's outcome (see finalPath).
      this.finalOps = ops;
      this.heldEvents = [];
      return;
    }
    try {
      await this.host.committer.writeAll(ops);
    } catch (err) {
      if (err instanceof LeaseLostError) this.loseLease('fenced');
      throw new EngineFault(err);
    }
  }

  async registerWait(entry: JournalEntry, names: string[], key: string | null): Promise<StoredEvent | null> {
    const now = this.now();
    let res: WaitResult;
    try {
      res = await this.host.registerWait({ runId: this.runId, epoch: this.epoch, entry, names, key, since: entry.startedAt - this.eventWindowMs, now });
    } catch (err) {
      throw new EngineFault(err);
    }
    if (res.fenced) {
      this.loseLease('fenced');
      throw new EngineFault(new LeaseLostError(this.runId));
    }
    const event = res.event;
    this.journal.set(entry.path, event ? { ...entry, status: 'resumed', meta: deliveredMeta(entry.meta, event, now) } : entry);
    return event;
  }

  createToken(opts: unknown): Promise<{ token: string; url: string; expiresAt: Date }> {
    return this.host.createToken(this.runId, opts);
  }

  startWorkflow(control: ChildCalls, path: string | undefined, workflow: unknown, input: unknown, opts: unknown): Promise<unknown> {
    return startWorkflow(this, control, path, workflow, input, opts);
  }

  startChild(req: Omit<StartChildRequest, 'parentRunId'>): Promise<{ workflowId: string; runId: string }> {
    const host = this.host.childRuns;
    if (!host) return Promise.reject(new InvalidArgumentError('this engine cannot start child runs'));
    return host.start({ ...req, parentRunId: this.runId });
  }

  async waitForChild(entry: JournalEntry, childRunId: string): Promise<{ waiting: boolean; child: RunRecord | null }> {
    let res: ChildWaitResult;
    try {
      res = await this.host.childRuns!.registerChildWait({ runId: this.runId, epoch: this.epoch, entry, childRunId });
    } catch (err) {
      throw new EngineFault(err);
    }
    if (res.fenced) {
      this.loseLease('fenced');
      throw new EngineFault(new LeaseLostError(this.runId));
    }
    if (res.waiting) this.journal.set(entry.path, entry);
    return { waiting: res.waiting, child: res.child };
  }

  encodeValue(value: Value, what: string): string | null {
    return this.values.encodeValue(value, what);
  }

  encode(value: unknown, what: string): string | null {
    return this.values.encode(value, what);
  }

  encodeRow(value: unknown, what: string): string | null {
    return this.values.encodeRow(value, what);
  }

  /** The run's stream writer, created by the first chunk (runs that write none never have one). */
  private chunkJournal(): ChunkJournal {
    return (this.chunks ??= new ChunkJournal({
      runId: this.runId,
      epoch: this.epoch,
      committer: this.host.committer,
      now: () => this.now(),
      maxPayloadBytes: this.host.maxPayloadBytes,
      charge: (bytes, what) => this.values.chargeBudget(bytes, what),
    }));
  }

  writeChunk(call: ChunkCall, type: string, payload: Record<string, unknown>): void {
    this.chunkJournal().write(call, type, payload);
    this.emit(type as WorkflowEventType, payload);
  }

  supersedeChunks(path: string, step: string, nextAttempt: number): void {
    if (this.chunks?.supersede(path, nextAttempt)) this.emit('workflow-step-output-reset', { id: step, path, attempt: nextAttempt - 1 });
  }

  async compact(prefixes: string[]): Promise<void> {
    this.chunks?.flush();
    if (prefixes.length === 0) return;
    const ops: WriteOp[] = [];
    for (const [path, e] of this.journal) {
      if (e.kind === 'decision' || e.status !== 'success' || (e.input === null && e.output === null)) continue;
      if (!prefixes.some((p) => path.startsWith(p))) continue;
      const row = { ...e, input: null, output: null };
      this.journal.set(path, row);
      this.decoded.delete(path);
      ops.push({ type: 'journal', epoch: this.epoch, entry: row });
    }
    if (ops.length === 0) return;
    try {
      await this.host.committer.writeAll(ops);
    } catch (err) {
      if (err instanceof LeaseLostError) this.loseLease('fenced');
      throw new EngineFault(err);
    }
  }

  /** This process no longer owns the run: abort its steps and write nothing more for it. */
  loseLease(kind: LeaseLossKind): void {
    // Every write the store fences is reported (tests count them); other notices once per execution.
    if (this.lost && kind !== 'fenced') return;
    this.host.seams.leaseLost?.(this.runId, kind);
    if (this.lost) return;
    this.lost = true;
    this.abort(new LeaseLostError(this.runId));
  }

  async run(): Promise<ExecutionEnd> {
    if (this.runRow.parentRunId != null && this.host.cancelIfOrphaned) {
      try {
        if (await this.host.cancelIfOrphaned(this.runRow)) {
          this.tracer.end('lost');
          return { status: 'lost', outcome: { t: 'canceled' } };
        }
      } catch (err) {
        return this.park(err);
      }
    }
    this.emit('workflow-start', { runId: this.runId, workflowId: this.rootWorkflow.id });
    // Not the run's first owner: chunks of calls that were in flight when an earlier owner stopped are
    // voided before this one writes any (those calls run again). A run created claimed (epoch 1) skips it.
    if (this.epoch > 1) this.chunkJournal().takeOver();
    const scope: Scope = {
      prefix: '',
      idPrefix: '',
      workflow: this.rootWorkflow,
      initData: this.input.v,
      outputs: new Map(),
      rowKind: 'step',
    };
    let outcome: Outcome;
    const nodes = this.rootWorkflow.graph();
    const last = nodes[nodes.length - 1];
    this.finalPath = last?.type === 'step' ? last.segment : null;
    // Only a run loaded with a journal may hold blobs already: a fresh run does not wait for this.
    if (this.journal.size > 0) {
      try {
        await this.values.loadBudget(this.runId, this.journal.size > 0);
      } catch (err) {
        return this.park(err);
      }
    }
    try {
      outcome = await walkSequence(this, this.rootWorkflow.graph(), this.input, scope);
    } catch (err) {
      if (err instanceof EngineFault) return this.park(err.cause);
      outcome = this.lost || this.aborted ? { t: 'canceled' } : { t: 'failed', error: serializeError(err) };
    }
    return this.finish(outcome);
  }

  /**
   * The store could not record the run. Not the run's fault: it is parked (waiting, with the reason) to
   * be carried on after a back-off, from its last recorded step; its steps' retries are not used up.
   * When even parking fails, the lease runs out and a worker claims the run again.
   */
  private async park(cause: unknown): Promise<ExecutionEnd> {
    const outcome: Outcome = { t: 'canceled' };
    // A final row not committed yet is not written: the run continues from its last recorded step.
    this.finalOps = null;
    this.releaseEvents(false);
    this.abort(cause);
    if (this.lost) {
      this.tracer.end('lost');
      return { status: 'lost', outcome };
    }
    const wakeAt = this.now() + this.host.faultBackoffMs(this.runId);
    const message = (cause as Error)?.message ?? String(cause);
    const statusReason = `the store could not record this run (${message}); it continues from its last recorded step at ${new Date(wakeAt).toISOString()}`;
    try {
      this.chunks?.flush();
      await this.host.committer.write({ type: 'run', runId: this.runId, epoch: this.epoch, patch: { status: 'waiting', wakeAt, statusReason, release: true }, now: this.now() });
    } catch {
      // Nothing more to do here: the lease expires and the run is claimed again.
    }
    this.tracer.end('faulted', serializeError(cause));
    return { status: 'faulted', outcome };
  }

  private async finish(outcome: Outcome): Promise<ExecutionEnd> {
    const final = this.finalOps ?? [];
    this.finalOps = null;
    if (this.lost || (outcome.t === 'canceled' && !this.abortedByStep)) {
      // Someone else (a cancel, or a worker that took over) owns the run's status now. A final row is
      // still written when the run is ours to write (as it would have been before the cancel).
      if (final.length > 0 && !this.lost) {
        const committed = await this.host.committer.writeAll(final).then(
          () => true,
          (err: unknown) => {
            if (err instanceof LeaseLostError) this.loseLease('fenced');
            return false;
          },
        );
        this.releaseEvents(committed);
      } else this.releaseEvents(false);
      this.tracer.end('lost');
      return { status: 'lost', outcome };
    }
    const patch = this.patchFor(outcome);
    // Held outcomes keep the lease (and the run) until their callbacks are recorded; the same single
    // write, so runs of workflows without callbacks pay nothing.
    const held = patch.status !== 'waiting' && this.host.holdAfter?.(this.rootWorkflow, patch.status!) === true;
    if (held) patch.release = false;
    const extra = this.host.outcomeRow?.(this.rootWorkflow, this, patch) ?? null;
    this.chunks?.flush();
    // One batch (all of a run's ops in a batch commit together or not at all): the final step's row, a
    // lifecycle row, then the outcome.
    const ops: WriteOp[] = final;
    if (extra) {
      this.journal.set(extra.path, extra);
      ops.push({ type: 'journal', epoch: this.epoch, entry: extra });
    }
    ops.push({ type: 'run', runId: this.runId, epoch: this.epoch, patch, now: this.now() });
    try {
      await this.host.committer.writeAll(ops);
      this.releaseEvents(true);
    } catch (err) {
      this.releaseEvents(false);
      if (err instanceof LeaseLostError) {
        this.tracer.end('lost');
        this.loseLease('fenced');
        return { status: 'lost', outcome };
      }
      return this.park(err);
    }
    this.tracer.end(patch.status as string, outcome.t === 'failed' ? outcome.error : undefined);
    applyRunPatch(this.runRow, patch, this.now());
    const status = patch.status as RunStatus;
    this.emitFinish(status, outcome);
    return held ? { status, outcome, held } : { status, outcome };
  }

  finalRecord(): RunRecord {
    return this.runRow;
  }

  private patchFor(outcome: Outcome): RunPatch {
    const patch: RunPatch = { status: 'canceled', state: this.values.safeEncode(this.state, 'state'), release: true, wakeAt: null };
    // A run that was parked by a store fault carries the reason until it moves on.
    if (this.runRow.statusReason) patch.statusReason = null;
    const context = this.pendingContext();
    if (context !== undefined) patch.requestContext = context;
    switch (outcome.t) {
      case 'ok':
      case 'bail':
        try {
          // The run row holds plain JSON (it is read without the run's blobs): a value stored by content
          // in the journal is written out whole here, once.
          const json = outcome.value.json;
          patch.result = json !== undefined && (json === null || !isEnvelope(json)) ? json : this.values.encodeRunField(outcome.value.v, 'workflow result');
          patch.status = 'success';
        } catch (err) {
          patch.status = 'failed';
          patch.error = JSON.stringify(serializeError(err));
        }
        return patch;
      case 'failed':
        patch.status = 'failed';
        patch.error = JSON.stringify(outcome.error);
        return patch;
      case 'suspended':
        patch.status = 'suspended';
        return patch;
      case 'paused':
        patch.status = 'paused';
        return patch;
      case 'waiting':
        patch.status = 'waiting';
        patch.wakeAt = outcome.wakeAt;
        return patch;
      case 'canceled':
        return patch;
    }
  }

  private emitFinish(status: RunStatus, outcome: Outcome): void {
    // A parked run is not finished: it continues when its timer fires, and its stream stays open.
    // A paused or suspended one ends this stream: it goes on only when someone resumes it.
    if (!this.hasListeners || status === 'waiting') return;
    if (status === 'canceled') this.emit('workflow-canceled', {});
    const error: SerializedError | undefined = outcome.t === 'failed' ? plainError(outcome.error) : undefined;
    const ok = outcome.t === 'ok' || outcome.t === 'bail';
    this.emit('workflow-finish', finishPayload(status, { error, hasResult: ok, result: ok ? outcome.value.v : undefined }));
  }
}
