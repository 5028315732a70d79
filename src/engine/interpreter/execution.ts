import { RequestContext, contextChanges } from '../../define/request-context.js';
import type { AnyWorkflow } from '../../define/workflow.js';
import { decodeMeta, deliveredMeta, type RowMeta } from '../../domain/journal-meta.js';
import { decodeRunOptions } from '../../domain/run-options.js';
import type { RunStatus } from '../../domain/run-status.js';
import type { CustomEventType, WorkflowEventType } from '../../domain/workflow-events.js';
import { CorruptRunError, InvalidArgumentError, LeaseLostError, serializeError } from '../../errors.js';
import type { ChildWaitResult, ClaimedRun, JournalEntry, RunPatch, RunRecord, StoredEvent, WaitResult, WriteOp } from '../../store/types.js';
import type { StartChildRequest } from '../child-runs.js';
import { startWorkflow } from './child-run.js';
import { applyRunPatch } from '../../store/shared/run-rules.js';
import type { CrashPointName, LeaseLossKind } from '../../worker/seams.js';
import { ChunkJournal, type ChunkCall } from './chunk-journal.js';
import { RunValues } from './run-values.js';
import { decode } from '../payload.js';
import { newTraceId, RunTracer, type StoredTracing } from '../tracing.js';
import type { ChildCalls, Exec } from './exec.js';
import { EngineFault, type Outcome, type Value } from './outcome.js';
import type { Scope } from './scope.js';
import { walkSequence } from './walker.js';
import { finishEvents, outcomePatch } from './outcome-patch.js';
import { RunAbort } from './run-abort.js';
import type { DecodedRow, ExecutionEnd, ExecutionHost } from './execution-host.js';

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
  /** The stop switch: abort flag, the steps' abortSignal, waits that end on abort. */
  private readonly stop: RunAbort;
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
    const leaseHeld = host.leaseHeld;
    this.stop = new RunAbort(leaseHeld ? () => void (leaseHeld(this.runId) || this.loseLease('expired')) : null);
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

  get signal(): AbortSignal {
    return this.stop.signal;
  }

  get aborted(): boolean {
    return this.stop.aborted;
  }

  get reason(): unknown {
    return this.stop.reason;
  }

  untilAborted(value: unknown): unknown {
    return this.stop.untilAborted(value);
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
    this.stop.abort(reason);
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
    if (entry.path === this.finalPath && entry.status === 'success' && this.finalOps === null && !this.stop.raised) {
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
    return outcomePatch(outcome, {
      state: this.values.safeEncode(this.state, 'state'),
      hadStatusReason: Boolean(this.runRow.statusReason),
      requestContext: this.pendingContext(),
      encodeRunField: (value, what) => this.values.encodeRunField(value, what),
    });
  }

  private emitFinish(status: RunStatus, outcome: Outcome): void {
    if (!this.hasListeners) return;
    for (const [type, payload] of finishEvents(status, outcome)) this.emit(type, payload);
  }
}
