import type { Span } from '@opentelemetry/api';
import type { RequestContext } from './request-context.js';
import type { AnySchema, InferOut } from './schema.js';

/** Options of `suspend(payload, options)`. */
export interface SuspendOptions {
  resumeLabel?: string | string[];
}

/** Mastra's tracing context, bound to OpenTelemetry (weft's spans are OpenTelemetry spans). */
export interface TracingContext {
  /** The step's span (the run's for conditions, `.map`, and while no SDK records spans). */
  currentSpan?: Span;
}

export interface StepWriter {
  /** Emits a `workflow-step-output` event carrying `chunk`. */
  write(chunk: unknown): Promise<void>;
  /** Passes a custom event (its `type` must start with `data-`) through to stream readers. */
  custom(event: { type: `data-${string}`; [key: string]: unknown }): Promise<void>;
}

/** Everything a step's `execute` (and a `.map` function, and conditions) receives. */
export interface StepContext<TInput = any, TState = any, TResume = any, TSuspend = any> {
  inputData: TInput;
  state: TState;
  setState(partial: Partial<TState>): Promise<void>;
  getStepResult(step: { id: string } | string): any;
  getInitData<T = any>(): T;
  suspend(payload?: TSuspend, options?: SuspendOptions): Promise<never>;
  resumeData: TResume | undefined;
  /** On resume, what the step passed to suspend() before (Mastra's `suspendData`); undefined otherwise. */
  suspendData: TSuspend | undefined;
  /** Ends the run with status `success` and this result. */
  bail(result: unknown): never;
  /** Ends the run as `canceled`. */
  abort(): void;
  abortSignal: AbortSignal;
  requestContext: RequestContext;
  writer: StepWriter;
  /** 0-based index of the current attempt. */
  retryCount: number;
  runId: string;
  workflowId: string;
  resourceId: string | undefined;
  /**
   * The Mastra instance the run's workflow was registered with (`new Mastra({ workflows })`), as in
   * Mastra; undefined for a workflow used without Mastra. Typed loosely: weft does not depend on Mastra.
   */
  mastra: any;
  /** The current OpenTelemetry span (Mastra's tracingContext); `tracing` is the same. */
  tracingContext: TracingContext;
  tracing: TracingContext;
  /**
   * Creates a one-use completion token for this run: POSTing a JSON body to its `url` (on the weft
   * server) completes the run's `.waitForToken` with it. Unguessable; expires after `timeout` (default 7 days).
   */
  createToken(opts?: { timeout?: number | string }): Promise<{ token: string; url: string; expiresAt: Date }>;
  /**
   * Starts a run of another registered workflow as this run's child and resolves with its result. The
   * parent does not wait in process: the run parks (`waiting`) until the child settles, then this step
   * runs again and the call returns the child's result at once (code before it runs again too). Throws
   * CHILD_RUN_FAILED (cause: the child's error) or CHILD_RUN_CANCELED, not retried. The child's id is
   * derived from this run, the step and the call's position unless `runId` is given.
   */
  startWorkflow<TIn = any, TOut = any>(
    workflow: { id: string; __in?: TIn; __out?: TOut } | string,
    input: TIn,
    opts?: { runId?: string; resourceId?: string },
  ): Promise<TOut>;
  /** In the step after a `.waitForEvent`: the event that ended the wait (undefined when it timed out). */
  event?: ReceivedEvent;
  /** In the step after a `.waitForEvent` with a timeout: true when the wait ended without an event. */
  timedOut?: boolean;
}

/** An event as the step after `.waitForEvent` receives it (`data` is also its `resumeData`). */
export interface ReceivedEvent<TData = any> {
  name: string;
  key: string | undefined;
  id: string;
  data: TData;
  receivedAt: Date;
}

export interface RetryConfig {
  /** Extra attempts after the first one fails (0 = no retry). */
  attempts?: number;
  /** Delay before a retry, in ms. */
  delay?: number;
  /** 'fixed' (default) waits `delay` every time; 'exponential' doubles it per attempt. */
  backoff?: 'fixed' | 'exponential';
  /** Upper bound for exponential backoff, in ms. */
  maxDelay?: number;
}

export interface StepConfig<
  TId extends string,
  TInSchema extends AnySchema,
  TOutSchema extends AnySchema,
  TResumeSchema extends AnySchema | undefined = undefined,
  TSuspendSchema extends AnySchema | undefined = undefined,
  TStateSchema extends AnySchema | undefined = undefined,
> {
  id: TId;
  description?: string;
  inputSchema: TInSchema;
  outputSchema: TOutSchema;
  resumeSchema?: TResumeSchema;
  suspendSchema?: TSuspendSchema;
  stateSchema?: TStateSchema;
  /** Retries of this step; overrides the workflow's `retryConfig.attempts`. */
  retries?: number;
  /** Per-attempt timeout: fires `abortSignal` and fails the attempt. */
  timeoutMs?: number;
  metadata?: Record<string, unknown>;
  execute: (
    ctx: StepContext<
      InferOut<TInSchema>,
      TStateSchema extends AnySchema ? InferOut<TStateSchema> : any,
      TResumeSchema extends AnySchema ? InferOut<TResumeSchema> : any,
      TSuspendSchema extends AnySchema ? InferOut<TSuspendSchema> : any
    >,
  ) => Promise<InferOut<TOutSchema>> | InferOut<TOutSchema>;
}

/**
 * What a step was made from: a step config, or (Mastra's names) an agent, a tool or a classifier
 * wrapped by `createStep`. Every kind runs, retries and is journaled the same way.
 */
export type StepComponent = 'STEP' | 'AGENT' | 'TOOL' | 'CLASSIFIER';

/** A step definition. TIn is what it accepts, TOut what it returns. */
export interface Step<TId extends string = string, TIn = any, TOut = any> {
  readonly component: StepComponent;
  readonly id: TId;
  readonly description?: string;
  readonly inputSchema: AnySchema;
  readonly outputSchema: AnySchema;
  readonly resumeSchema?: AnySchema;
  readonly suspendSchema?: AnySchema;
  readonly stateSchema?: AnySchema;
  readonly retries?: number;
  readonly timeoutMs?: number;
  readonly metadata?: Record<string, unknown>;
  readonly execute: (ctx: StepContext<any, any, any, any>) => unknown;
  /** Phantom fields carrying types only. */
  readonly __in?: TIn;
  readonly __out?: TOut;
}
