import type { SerializedError } from '../errors.js';
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
  requestContext?: RequestContext | Record<string, unknown>;
  tracingOptions?: TracingOptions;
  metadata?: Record<string, unknown>;
  traceId?: string;
  outputOptions?: { includeState?: boolean };
}

export interface ResumeOptions<TResume = any> {
  step?: string | string[] | { id: string };
  resumeData?: TResume;
  label?: string;
  requestContext?: RequestContext | Record<string, unknown>;
}

export interface CreateRunOptions {
  runId?: string;
  resourceId?: string;
}

export interface StepResult {
  status: 'running' | 'success' | 'failed' | 'suspended' | 'waiting';
  payload: unknown;
  output?: unknown;
  error?: SerializedError;
  suspendPayload?: unknown;
  resumePayload?: unknown;
  startedAt: number;
  endedAt?: number;
  suspendedAt?: number;
  resumedAt?: number;
  attempts: number;
}

interface ResultBase<TInput> {
  runId: string;
  input: TInput;
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
  cancel(): Promise<void>;
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
  createdAt: Date;
  updatedAt: Date;
  payload: unknown;
  result?: unknown;
  error?: SerializedError;
  steps: Record<string, StepResult>;
  state: Record<string, unknown>;
  requestContext: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  traceId?: string;
  serializedStepGraph: SerializedNode[];
}

export interface ListRunsOptions {
  status?: RunStatus | RunStatus[];
  resourceId?: string;
  fromDate?: Date | number;
  toDate?: Date | number;
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
  createdAt: Date;
  updatedAt: Date;
}
