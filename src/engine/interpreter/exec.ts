import type { RequestContext } from '../../define/request-context.js';
import type { AnyWorkflow } from '../../define/workflow.js';
import type { RowMeta } from '../../domain/journal-meta.js';
import type { CustomEventType, WorkflowEventType } from '../../domain/workflow-events.js';
import type { JournalEntry, StoredEvent } from '../../store/types.js';
import type { CrashPointName } from '../../worker/seams.js';
import type { RunTracer } from '../tracing.js';
import type { Value } from './outcome.js';
import type { ChunkCall } from './chunk-journal.js';

/**
 * What the node interpreters need from the run they execute (implemented by RunExecution). Nodes see
 * this interface only, so they do not depend on how an execution is driven, fenced or finished.
 */
export interface Exec {
  readonly runId: string;
  readonly resourceId: string | undefined;
  readonly rootWorkflow: AnyWorkflow;
  readonly requestContext: RequestContext;
  readonly tracer: RunTracer;
  /** The run's state; steps replace it through setState. */
  state: Record<string, unknown>;
  /** Whether the run was aborted (cancel, lease lost, shutdown); consults the lease too. */
  readonly aborted: boolean;
  readonly reason: unknown;
  /** The run's abort signal, created on first use. */
  readonly signal: AbortSignal;
  /** Whether anyone listens to this run's events (emitting is skipped otherwise). */
  readonly hasListeners: boolean;
  /** Sleeps and retry delays up to this long wait in process; longer ones park the run. */
  readonly inProcessSleepMs: number;
  now(): number;
  crashPoint(name: CrashPointName): void;
  /**
   * Takes one step of this execution's budget: false when the run executes one step at a time
   * (`perStep`) and has used its step, so the step must not start and the run pauses.
   */
  takeStep(): boolean;

  /** The row recorded at `path` (by this execution or loaded with the run). */
  row(path: string): JournalEntry | undefined;
  /** Rows recorded so far, in order. */
  rows(): Iterable<JournalEntry>;
  /** The row's meta, decoded once. Throws CorruptRunError when it is not JSON. */
  metaOf(entry: JournalEntry): RowMeta;
  /** Records a row; resolves once committed. Rejects with EngineFault when it could not be recorded. */
  record(entry: JournalEntry, decoded?: { input: unknown; output: unknown }): Promise<void>;
  /** How long before a wait began an event sent without a waiting run still counts for it. */
  readonly eventWindowMs: number;
  /**
   * Writes a wait's row and registers the wait, atomically and under the lease: resolves with the event
   * sent earlier that ends it at once (the row is then recorded 'resumed' with it), or null (the row is
   * recorded as given and the wait is registered). Rejects with EngineFault when fenced or not recorded.
   */
  registerWait(entry: JournalEntry, names: string[], key: string | null): Promise<StoredEvent | null>;
  /** Issues a completion token for this run (engine/tokens.ts). */
  createToken(opts: unknown): Promise<{ token: string; url: string; expiresAt: Date }>;
  /**
   * Encodes a value for the journal, once (sets `value.json`). When JSON cannot carry the value as it
   * is (a Date, NaN, a class instance), `value.v` becomes what a replay would decode, so the run sees
   * the same value whether or not it crashed. Throws PayloadError for values JSON cannot hold.
   */
  encodeValue(value: Value, what: string): string | null;
  /** Encodes a value that is not passed on (state, payloads) as plain JSON; throws PayloadError like encodeValue. */
  encode(value: unknown, what: string): string | null;
  /**
   * Encodes a journal row's input or output: large values are stored by content (their blobs go with
   * the next recorded row). Throws PayloadError like encodeValue.
   */
  encodeRow(value: unknown, what: string): string | null;
  /** Loop iterations whose rows keep their values (WeftOptions.loopHistory). */
  readonly loopHistory: number;
  /**
   * Drops the input and output of the settled rows under these prefixes (loop iterations older than
   * the history window), in one write: recovery replays them from the loop's recorded decisions.
   * Resolves once committed.
   */
  compact(prefixes: string[]): Promise<void>;
  /**
   * The request context's JSON when a step changed it since it was last written (undefined otherwise).
   * Throws PayloadError when a step put a value JSON cannot hold into it.
   */
  encodeContext(): string | undefined;
  /** Re-applies the state patch of a row recorded by an earlier execution, once. */
  replayState(entry: JournalEntry): void;

  emit(type: WorkflowEventType | CustomEventType, payload: Record<string, unknown>): void;
  /**
   * Stores an output chunk of a step call in the run's stream (with the next group commit, before the
   * call's row) and emits it. Throws PayloadError (STREAM_CHUNK_TOO_LARGE, RUN_BUDGET_EXCEEDED, ...).
   */
  writeChunk(call: ChunkCall, type: string, payload: Record<string, unknown>): void;
  /** The call at `path` is retried as `nextAttempt`: the chunks of its earlier attempts are voided. */
  supersedeChunks(path: string, step: string, nextAttempt: number): void;
  /** Resolves with the step's value, or ABORTED as soon as the run is aborted. */
  untilAborted(value: unknown): unknown;
  abortFromStep(): void;
}
