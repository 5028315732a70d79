import type { ResultError, SerializedError } from '../errors.js';
import type { RunStatus } from '../domain/run-status.js';
import type { WorkflowEvent } from '../domain/workflow-events.js';
import type { RequestContext } from './request-context.js';
import type { SerializedNode } from './graph.js';
import type { RunViewField } from './run-snapshot.js';
import type { LegacyStreamChunk, WorkflowStreamChunk } from './stream-types.js';

/**
 * Public shapes of runs and results. They live with the definitions (pure types) so a workflow can be
 * typed without importing the engine; the engine implements them.
 */

export type { RunStatus, WorkflowEvent };

export interface TracingOptions {
  /** 1-32 hex characters. */
  traceId?: string;
  parentSpanId?: string;
  metadata?: Record<string, unknown>;
  tags?: string[];
}

export interface StartOptions<TInput = any, TState = any> {
  inputData?: TInput;
  initialState?: TState;
  requestContext?: RequestContext | Map<string, unknown> | Record<string, unknown>;
  tracingOptions?: TracingOptions;
  /** The run's metadata; the keys its workflow declares `searchable` can filter listings. */
  metadata?: Record<string, unknown>;
  /** The run's tags (added to tracingOptions.tags); listings can filter on them. */
  tags?: string[];
  traceId?: string;
  outputOptions?: { includeState?: boolean };
  /** Execute one step, then pause the run (status `paused`) until it is resumed. */
  perStep?: boolean;
  /**
   * A start with a key already used by a start of this workflow within the workflow's idempotency TTL
   * (default 24h) creates nothing and follows that start's run (docs/operations.md "Flow control").
   */
  idempotencyKey?: string;
}

export interface ResumeOptions<TResume = any> {
  step?: string | string[] | { id: string };
  resumeData?: TResume;
  label?: string;
  /** Resumes one item of a suspended foreach (its index); without it every suspended item resumes. */
  forEachIndex?: number;
  requestContext?: RequestContext | Map<string, unknown> | Record<string, unknown>;
  /** Resuming a paused run: one more step (true), or on to its end (default). */
  perStep?: boolean;
}

/** A step's recorded result, as time travel takes it (Mastra's TimeTravelContext entries). */
export interface TimeTravelStepContext {
  status: string;
  payload?: unknown;
  output?: unknown;
  suspendPayload?: unknown;
  resumePayload?: unknown;
  startedAt?: number;
  endedAt?: number;
}

export interface TimeTravelOptions<TInput = any> {
  /** The step to execute again: a step, its id, a dotted path into nested workflows, or an array of them. */
  step: string | string[] | { id: string } | { id: string }[];
  /** Results of steps before the target, by step id (others keep their recorded result, or are skipped). */
  context?: Record<string, TimeTravelStepContext>;
  /** The same for steps inside nested workflows, by nested workflow id. */
  nestedStepsContext?: Record<string, Record<string, TimeTravelStepContext>>;
  /** The target's input (default: the previous step's output). */
  inputData?: TInput;
  /** Given to the target as `resumeData`. */
  resumeData?: unknown;
  initialState?: Record<string, unknown>;
  requestContext?: RequestContext | Map<string, unknown> | Record<string, unknown>;
  /** Execute the target, then pause the run. */
  perStep?: boolean;
  outputOptions?: { includeState?: boolean };
}

/** One run of `workflow.startMany()`: its start options plus the createRun options. */
export interface StartManyItem<TInput = any, TState = any> {
  inputData?: TInput;
  runId?: string;
  resourceId?: string;
  metadata?: Record<string, unknown>;
  initialState?: TState;
  requestContext?: RequestContext | Map<string, unknown> | Record<string, unknown>;
  tracingOptions?: TracingOptions;
}

export interface StartManyOptions {
  /** Starts in flight at once (1 to 10,000; default 1,000). The store commits them in batches. */
  concurrency?: number;
}

/**
 * What became of one item of `startMany`, in the items' order. A started run is durable (as after
 * `startAsync`); a refused item carries its own error and leaves no run behind. Starting an id that
 * already exists is not an error (`startAsync` does not start it twice either).
 */
export type StartManyResult =
  | { ok: true; runId: string }
  | { ok: false; runId?: string; error: Error & { code?: string } };

export interface CreateRunOptions {
  runId?: string;
  resourceId?: string;
}

export interface StepResult<E = ResultError> {
  /** `skipped`: a step before a time travel's target that had no result (it was not executed). */
  status: 'running' | 'success' | 'failed' | 'suspended' | 'waiting' | 'skipped';
  payload: unknown;
  output?: unknown;
  /** In results an Error instance (rebuilt from the journal, custom properties included); in run views its stored shape. */
  error?: E;
  suspendPayload?: unknown;
  resumePayload?: unknown;
  startedAt: number;
  endedAt?: number;
  suspendedAt?: number;
  resumedAt?: number;
  /** Attempts made (1 unless the step was retried). */
  attempts: number;
  /** Present when the step was retried: every attempt, oldest first (weft's; Mastra has no equivalent). */
  attemptHistory?: AttemptInfo<E>[];
}

/** One attempt of a retried step. */
export interface AttemptInfo<E = ResultError> {
  /** 1-based. */
  attempt: number;
  startedAt: number;
  /** Absent while the attempt runs. */
  endedAt?: number;
  /** What the attempt failed with; absent for the attempt that succeeded (or suspended). */
  error?: E;
  /** How long weft waited before the next attempt; absent for the latest attempt. */
  retryDelayMs?: number;
}

/** A step as a run view shows it (Mastra's WorkflowState): errors in their stored, plain shape. */
export type StepView = StepResult<SerializedError>;

interface ResultBase<TInput> {
  runId: string;
  input: TInput;
  /**
   * Steps by id (nested ones as `child.step`). As in Mastra, `steps.input` is the workflow's input
   * itself, not a StepResult (unless a step is called `input`); `stepEntries` lists the steps alone.
   */
  steps: Record<string, StepResult>;
  state?: Record<string, unknown>;
  traceId?: string;
}

export type WorkflowResult<TInput = any, TOutput = any> =
  | (ResultBase<TInput> & { status: 'success'; result: TOutput })
  | (ResultBase<TInput> & { status: 'failed'; error: SerializedError })
  | (ResultBase<TInput> & { status: 'suspended'; suspended: string[][]; suspendPayload: Record<string, unknown> })
  | (ResultBase<TInput> & { status: 'pending' | 'running' | 'waiting' | 'canceled'; statusReason?: string });

/** `stream()` options: Mastra's `closeOnSuspend` (default true: the stream ends when the run suspends). */
export interface StreamOptions<TInput = any, TState = any> extends StartOptions<TInput, TState> {
  closeOnSuspend?: boolean;
}

/** What `stream()` and `resumeStream()` return (Mastra's WorkflowRunOutput, the parts weft has). */
export interface StreamHandle<TInput = any, TOutput = any> {
  runId: string;
  workflowId: string;
  /** Mastra 1.71's chunks (define/stream-types.ts). */
  fullStream: ReadableStream<WorkflowStreamChunk> & AsyncIterable<WorkflowStreamChunk>;
  result: Promise<WorkflowResult<TInput, TOutput>>;
  /** Current status of the run (updated as events flow). */
  readonly status: RunStatus;
  /** Token usage: weft's own steps use no model, so zero, as Mastra reports for workflows. */
  usage: Promise<{ inputTokens: number; outputTokens: number; totalTokens: number }>;
  /** Reads the stream to its end (for callers that only want `result`). */
  consumeStream(): Promise<void>;
}

/** What `streamLegacy()` returns. `getWorkflowState` resolves with the run's result once the stream ended. */
export interface LegacyStreamHandle<TInput = any, TOutput = any> {
  stream: ReadableStream<LegacyStreamChunk> & AsyncIterable<LegacyStreamChunk>;
  getWorkflowState(): Promise<WorkflowResult<TInput, TOutput>>;
}

export interface RunHandle<TInput = any, TOutput = any, TState = any> {
  readonly runId: string;
  readonly workflowId: string;
  readonly resourceId: string | undefined;
  start(opts?: StartOptions<TInput, TState>): Promise<WorkflowResult<TInput, TOutput>>;
  startAsync(opts?: StartOptions<TInput, TState>): Promise<{ runId: string }>;
  stream(opts?: StreamOptions<TInput, TState>): StreamHandle<TInput, TOutput>;
  /** Resumes the run and streams the resumed execution, like stream() does a start. */
  resumeStream(opts?: ResumeOptions): StreamHandle<TInput, TOutput>;
  /** Starts the run and streams Mastra's legacy chunks; the stream stays open across suspensions. */
  streamLegacy(opts?: StartOptions<TInput, TState> & { onChunk?: (chunk: LegacyStreamChunk) => unknown }): LegacyStreamHandle<TInput, TOutput>;
  /** Follows the run's events in this process from now until its next outcome, without starting anything. */
  observeStream(): ReadableStream<WorkflowStreamChunk> & AsyncIterable<WorkflowStreamChunk>;
  /** observeStream in legacy chunks, until the run ends (open across suspensions, as streamLegacy). */
  observeStreamLegacy(): { stream: ReadableStream<LegacyStreamChunk> & AsyncIterable<LegacyStreamChunk> };
  /** Calls `cb` with each chunk of the run's events in this process until the returned function is called. */
  watch(cb: (chunk: WorkflowStreamChunk) => void | Promise<void>): () => void;
  watchAsync(cb: (chunk: WorkflowStreamChunk) => void | Promise<void>): Promise<() => void>;
  resume(opts?: ResumeOptions): Promise<WorkflowResult<TInput, TOutput>>;
  resumeAsync(opts?: ResumeOptions): Promise<{ runId: string }>;
  timeTravel(opts: TimeTravelOptions): Promise<WorkflowResult<TInput, TOutput>>;
  timeTravelAsync(opts: TimeTravelOptions): Promise<{ runId: string }>;
  timeTravelStream(opts: TimeTravelOptions): StreamHandle<TInput, TOutput>;
  restart(): Promise<WorkflowResult<TInput, TOutput>>;
  cancel(): Promise<void>;
  /** Sends an event to this run only (see Weft.sendEvent for events sent to every waiting run). */
  sendEvent(event: string, data?: unknown): Promise<{ id: string; created: boolean; delivered: string[]; started: string[] }>;
}

export interface ResultQueryOptions {
  includeState?: boolean;
  /** false: steps of nested workflows are left out (their workflow's own entry stays). Default true. */
  withNestedWorkflows?: boolean;
  /** getWorkflowRunById only: the fields to return (define/run-snapshot.ts); default all. */
  fields?: RunViewField[];
}

export interface RunView {
  runId: string;
  workflowName: string;
  resourceId: string | undefined;
  status: RunStatus;
  statusReason?: string;
  fingerprint?: string;
  version?: string;
  createdAt: Date;
  updatedAt: Date;
  payload: unknown;
  result?: unknown;
  error?: SerializedError;
  steps: Record<string, StepView>;
  state: Record<string, unknown>;
  requestContext: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  traceId?: string;
  serializedStepGraph: SerializedNode[];
  /** What the run waits for (its `.waitForEvent` waits not yet ended); absent when none. */
  waitingFor?: WaitInfo[];
  /** The child runs it waits for (ctx.startWorkflow calls whose child has not settled); absent when none. */
  waitingForChildren?: ChildWaitInfo[];
}

/** One child run a run waits for, as views show it. */
export interface ChildWaitInfo {
  /** The call's journal path (`<step>@child<n>`). */
  path: string;
  runId: string;
  workflowId: string;
  since: Date;
}

/** One wait for events of a run, as views show it. */
export interface WaitInfo {
  /** The wait's journal path (e.g. `waitForEvent_approve`). */
  path: string;
  events: string[];
  key: string | null;
  /** When the wait times out; null: it waits until an event arrives. */
  deadline: Date | null;
  onTimeout: 'continue' | 'fail';
  since: Date;
}

/** One earlier journal of a run: what a time travel replaced, shown as the steps it held. */
export interface RunGeneration {
  generation: number;
  /** Why it was replaced, e.g. "time travel to step2". */
  reason: string;
  replacedAt: Date;
  steps: Record<string, StepView>;
}

/** `weft.rerun(runId, opts)`: a new run from the run's journal up to `step`. */
export interface RerunOptions<TInput = any> {
  /** The step to execute from: a step, its id, or a dotted path into nested workflows. */
  step: string | string[] | { id: string };
  /** Replaces that step's input (checked against its input schema). */
  inputData?: TInput;
  /** The new run's id (default: a new one). An existing id is refused. */
  runId?: string;
  /** The new run's state (default: the source run's stored state). */
  initialState?: Record<string, unknown>;
}

/** One end of a rerun link. */
export interface RunLinkView {
  runId: string;
  /** The journal path of the step the rerun executes from. */
  step: string;
  /** When the rerun was created. */
  createdAt: Date;
}

/** A parent's link to a child run it started (ctx.startWorkflow), or a child's link to its parent. */
export interface ChildLinkView {
  runId: string;
  /** The journal path of the parent's step that started the child. */
  step: string;
  /** The journal path of the call's own row in the parent (`<step>@child<n>`). */
  path: string;
  /** When the child run was created. */
  createdAt: Date;
}

/**
 * A run's links: its source (when it is a rerun) and its reruns, newest first; the run that started it
 * as a child (null for a run started otherwise) and the child runs it started, oldest first.
 */
export interface RunLinksView {
  rerunOf: RunLinkView | null;
  reruns: RunLinkView[];
  parent: ChildLinkView | null;
  children: ChildLinkView[];
}

export interface ListRunsOptions {
  status?: RunStatus | RunStatus[];
  resourceId?: string;
  fromDate?: Date | number;
  toDate?: Date | number;
  /** Only runs carrying every one of these tags. */
  tags?: string[];
  /** Only runs whose metadata has these values, for keys the workflow declares `searchable`. */
  metadata?: Record<string, string | number | boolean>;
  /** 0-based page number. */
  page?: number;
  perPage?: number;
}

export interface RunSummary {
  runId: string;
  workflowName: string;
  resourceId: string | undefined;
  status: RunStatus;
  statusReason?: string;
  /** The graph fingerprint of the definition the run started on (absent for runs from before fingerprints). */
  fingerprint?: string;
  /** The declared version of that definition, when it had one. */
  version?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** One iteration of a `.dowhile`/`.dountil` whose values are kept (see LoopView). */
export interface LoopIterationView {
  /** 1-based. */
  iteration: number;
  /** The body's status in this iteration ('running' while it runs). */
  status: StepResult<unknown>['status'];
  /** The body's output (absent until it has one). */
  output?: unknown;
  startedAt: number;
  endedAt?: number;
}

/**
 * One loop of a run, as a long loop needs to be inspected: how many iterations it has run, and the
 * outputs of the latest ones. Only the last `loopHistory` iterations keep their values (older ones are
 * compacted: their conditions stay, their inputs and outputs are cleared), so `shown` holds at most
 * `window` iterations and `hidden`/`compacted` say what is left out.
 */
export interface LoopView {
  /** The loop's journal path (`loop#2`, `child/loop#0`, `loop#1[3]/loop#0` for a loop inside a loop's third iteration). */
  path: string;
  /** The loop body's id as it shows in the run's `steps` (a nested workflow's id for a workflow body). */
  step: string;
  /** Iterations begun, counting one that is running or suspended. */
  iterations: number;
  /** Iterations whose condition was evaluated (the body finished). */
  completed: number;
  /** How many iterations are shown: the engine's `loopHistory`; null when every iteration is kept. */
  window: number | null;
  /** The last `window` iterations, oldest first. */
  shown: LoopIterationView[];
  /** Earlier iterations not shown (`iterations - shown.length`). */
  hidden: number;
  /** Of the hidden ones, those whose values the engine has cleared (the rest are cleared at the next compaction). */
  compacted: number;
}
