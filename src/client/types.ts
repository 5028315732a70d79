import type { ResumeOptions, RunStatus, StartOptions, WorkflowResult } from '../define/run-types.js';
import type { BulkJobJson, BulkRequestJson, LoopViewJson, RunSummaryJson, RunViewJson, WorkflowInfo } from '../wire/types.js';
import type { AnyWorkflow, Workflow } from '../define/workflow.js';
import type { StreamEvent, WatchOptions } from './sse.js';

/** Type-level helpers: the client is typed from the workflow registry, but imports no engine code. */
export type WorkflowRegistry = Record<string, AnyWorkflow>;
export type InputOf<W> = W extends Workflow<string, infer I, any, any, any> ? I : unknown;
export type OutputOf<W> = W extends Workflow<string, any, infer O, any, any> ? O : unknown;
export type StateOf<W> = W extends Workflow<string, any, any, infer S, any> ? S : unknown;

export type { WorkflowInfo, RunViewJson, BulkJobJson, BulkRequestJson, LoopViewJson, RunLoopsJson } from '../wire/types.js';
/** A run in a listing (dates are ISO strings). */
export type RunSummary = RunSummaryJson;

export interface RunListFilter {
  status?: RunStatus | RunStatus[];
  resourceId?: string;
  fromDate?: Date | number | string;
  toDate?: Date | number | string;
  /** Runs whose id starts with this. */
  runIdPrefix?: string;
  /** A listing's `nextCursor`: the page after it (instead of `page`). */
  cursor?: string;
  /** Only runs carrying every one of these tags. */
  tags?: string[];
  /** Only runs with these values of searchable metadata keys. */
  metadata?: Record<string, string | number | boolean>;
  /** 0-based. */
  page?: number;
  perPage?: number;
}

export interface RerunRequest {
  step: string | string[];
  inputData?: unknown;
  runId?: string;
  initialState?: Record<string, unknown>;
}

export interface RerunResponse {
  runId: string;
  rerunOf: string;
  fromPath: string;
}

export interface RunLinkJson {
  runId: string;
  step: string;
  createdAt: string;
}

/** A parent's link to a child run (ctx.startWorkflow), or a child's to its parent. */
export interface ChildLinkJson {
  runId: string;
  /** The parent's step that started the child. */
  step: string;
  /** The call's row in the parent's journal (`<step>@child<n>`). */
  path: string;
  createdAt: string;
}

export interface RunLinksJson {
  rerunOf: RunLinkJson | null;
  reruns: RunLinkJson[];
  /** The run that started this one as a child; null when none did. */
  parent: ChildLinkJson | null;
  /** The child runs this one started, oldest first. */
  children: ChildLinkJson[];
}

export interface RunList {
  runs: RunSummary[];
  total: number;
}

export interface RemoteStream<TInput, TOutput> {
  runId: string;
  /** The run's events until `workflow-finish`; reconnects with Last-Event-ID when the connection drops. */
  fullStream: AsyncIterable<StreamEvent>;
  /** The result once the run settles (success, failed, canceled or suspended). */
  result: Promise<WorkflowResult<TInput, TOutput>>;
}

/** A run over HTTP: the same calls as the engine's Run. */
export interface RemoteRun<TInput = any, TOutput = any, TState = any> {
  readonly runId: string;
  readonly workflowId: string;
  readonly resourceId: string | undefined;
  /** Starts and waits for the run to settle. */
  start(opts?: StartOptions<TInput, TState>): Promise<WorkflowResult<TInput, TOutput>>;
  /** Starts durably; resolves with the run id as soon as the run is stored. */
  startAsync(opts?: StartOptions<TInput, TState>): Promise<{ runId: string }>;
  /** Starts durably and follows the run's events. */
  stream(opts?: StartOptions<TInput, TState>): RemoteStream<TInput, TOutput>;
  /** Follows the events of this (already started) run. */
  watch(opts?: WatchOptions): AsyncIterable<StreamEvent>;
  resume(opts?: ResumeOptions): Promise<WorkflowResult<TInput, TOutput>>;
  resumeAsync(opts?: ResumeOptions): Promise<{ runId: string }>;
  /** Cancels the run; resolves with its status afterwards (unchanged when it had already finished). */
  cancel(): Promise<{ runId: string; status: RunStatus }>;
  /** Retries a failed run from its failed step; resolves once the retry is queued (RUN_CONFLICT when the run is not failed). */
  retry(): Promise<{ runId: string }>;
  /** Sends an event to this run only (its `.waitForEvent` for the name takes it). */
  sendEvent(event: string, data?: unknown): Promise<SentEvent>;
  /** A new run from this run's journal up to `step` (this run is unchanged); resolves once it is stored. */
  rerun(opts: RerunRequest): Promise<RerunResponse>;
  getWorkflowRunExecutionResult(): Promise<WorkflowResult<TInput, TOutput> | null>;
}

/** One run of a remote `startMany` (JSON values only: it travels as JSON). */
export interface RemoteStartItem<TInput = any, TState = any> {
  inputData?: TInput;
  runId?: string;
  resourceId?: string;
  metadata?: Record<string, unknown>;
  initialState?: TState;
  requestContext?: Record<string, unknown>;
  tracingOptions?: { traceId?: string; parentSpanId?: string; metadata?: Record<string, unknown>; tags?: string[] };
}

export type RemoteStartResult =
  | { ok: true; runId: string }
  | { ok: false; runId?: string; error: { code: string; message: string; issues?: { path: string; message: string }[] } };

/** What a send did (POST /events/:name). */
export interface SentEvent {
  id: string;
  /** False when an event with this id was sent before (nothing happened this time). */
  created: boolean;
  /** Runs the event was delivered to at once. */
  delivered: string[];
  /** Runs the event started (workflow triggers). */
  started: string[];
}

export interface RemoteWorkflow<TInput = any, TOutput = any, TState = any> {
  readonly key: string;
  /** Creates a handle (no request is made until the run starts). */
  createRun(opts?: { runId?: string; resourceId?: string }): Promise<RemoteRun<TInput, TOutput, TState>>;
  /**
   * Starts many runs in one request (POST /workflows/:id/runs/batch, at most 10,000 items): one result
   * per item, in order; a refused item carries its own error (`code`, `message`) and the others start.
   */
  startMany(items: RemoteStartItem<TInput, TState>[], opts?: { concurrency?: number }): Promise<RemoteStartResult[]>;
  getWorkflowRunExecutionResult(runId: string): Promise<WorkflowResult<TInput, TOutput> | null>;
  getWorkflowRunById(runId: string): Promise<RunViewJson | null>;
  listWorkflowRuns(filter?: RunListFilter): Promise<RunList>;
  deleteWorkflowRunById(runId: string): Promise<boolean>;
  describe(): Promise<WorkflowInfo>;
}

export interface WeftClient<W extends WorkflowRegistry = WorkflowRegistry> {
  getWorkflow<K extends keyof W & string>(key: K): RemoteWorkflow<InputOf<W[K]>, OutputOf<W[K]>, StateOf<W[K]>>;
  listWorkflows(): Promise<WorkflowInfo[]>;
  /** Runs of every workflow, newest first. */
  listRuns(filter?: RunListFilter & { workflowId?: string }): Promise<RunList>;
  /** Looks a run up by id alone (any workflow); null when it does not exist. */
  getRun(runId: string): Promise<RunSummary | null>;
  /** Starts a bulk action on the server (a dry run answers with the count: its progress, done). */
  bulk(request: BulkRequestJson): Promise<BulkJobJson | { progress: BulkJobJson['progress'] }>;
  /** A bulk action's progress. */
  getBulk(id: string): Promise<BulkJobJson>;
  /** Stops a bulk action after its current batch. */
  stopBulk(id: string): Promise<BulkJobJson>;
  /**
   * Sends an event to every run waiting for it (and starts the workflows it triggers). `key` correlates
   * with waits that `match` a key; `id` makes the send idempotent.
   */
  sendEvent(name: string, opts?: { key?: string; data?: unknown; id?: string }): Promise<SentEvent>;
  /**
   * A run's links: its source (when it is a rerun) and its reruns, its parent (when a step of another
   * run started it) and its child runs; null when the run does not exist.
   */
  getRunLinks(runId: string): Promise<RunLinksJson | null>;
  /**
   * A run's loops: for each `.dowhile`/`.dountil`, the iterations run and the outputs of the last
   * `window` (the server's `loopHistory`) iterations; null when the run does not exist.
   */
  getRunLoops(runId: string): Promise<LoopViewJson[] | null>;
}
