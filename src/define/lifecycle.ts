import { WorkflowDefinitionError } from '../errors.js';
import type { RunStatus } from '../domain/run-status.js';
import type { SerializedError } from '../errors.js';
import type { RequestContext } from './request-context.js';
import type { StepResult } from './run-types.js';

/**
 * Workflow lifecycle callbacks (`createWorkflow({ options: { onStart, onFinish, onError } })`), with the
 * arguments Mastra passes. Pure types and a definition check: the engine decides when they run and
 * records that they ran (docs/durability.md, "Lifecycle callbacks").
 */

/** The minimal structured logger a callback receives (Mastra's IMastraLogger subset). */
export interface WorkflowLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

interface CallbackContext {
  runId: string;
  workflowId: string;
  resourceId?: string;
  /** The run's (validated) input. */
  getInitData: () => any;
  /** The Mastra instance the workflow was registered with (`new Mastra({ workflows })`), or undefined. */
  mastra?: any;
  requestContext: RequestContext;
  logger: WorkflowLogger;
  state: Record<string, any>;
}

/** What `onStart` receives: called before a run is first stored; throwing rejects the start. */
export type WorkflowStartInfo = CallbackContext;

/** What `onFinish` receives, once per outcome: success, failed, suspended or canceled. */
export interface WorkflowFinishInfo extends CallbackContext {
  status: RunStatus;
  /** The workflow's result (success only). */
  result?: any;
  /** The run's error (failed only). */
  error?: SerializedError;
  steps: Record<string, StepResult>;
}

/** What `onError` receives, once per failed outcome. */
export interface WorkflowErrorInfo extends CallbackContext {
  status: 'failed';
  error?: SerializedError;
  steps: Record<string, StepResult>;
}

/** Mastra's `shouldPersistSnapshot`: which status transitions a listing shows as the run's `snapshot`. */
export type ShouldPersistSnapshot = (params: { stepResults: Record<string, StepResult>; workflowStatus: RunStatus }) => boolean;

export interface LifecycleOptions {
  /**
   * Called and awaited before a run is first stored (not on resume or retry). Throwing rejects the
   * start and nothing is stored: a pre-flight gate (quota, entitlement).
   */
  onStart?: (info: WorkflowStartInfo) => void | Promise<void>;
  /**
   * Called once per outcome (success, failed, suspended, canceled), after the outcome is durable, at
   * least once even across crashes; errors it throws are reported, never change the run.
   */
  onFinish?: (info: WorkflowFinishInfo) => void | Promise<void>;
  /** Called once per failed outcome, after onFinish, with the same guarantee. */
  onError?: (info: WorkflowErrorInfo) => void | Promise<void>;
  /** See ShouldPersistSnapshot; weft records every step and status regardless (durability). */
  shouldPersistSnapshot?: ShouldPersistSnapshot;
}

const KEYS = ['onStart', 'onFinish', 'onError', 'shouldPersistSnapshot'] as const;

/** The lifecycle options of a workflow config, checked (each must be a function when given). */
export function lifecycleOf(where: string, options: LifecycleOptions | undefined): Readonly<LifecycleOptions> {
  const out: LifecycleOptions = {};
  if (!options) return out;
  for (const key of KEYS) {
    const fn = options[key];
    if (fn === undefined) continue;
    if (typeof fn !== 'function') throw new WorkflowDefinitionError(`${where}: options.${key} must be a function`);
    (out as Record<string, unknown>)[key] = fn;
  }
  return Object.freeze(out);
}

/** Whether an outcome with this status has callbacks to deliver (onFinish: every outcome; onError: failures). */
export function callbacksDue(lifecycle: Readonly<LifecycleOptions>, status: RunStatus): boolean {
  if (status === 'failed') return lifecycle.onFinish !== undefined || lifecycle.onError !== undefined;
  const settled = status === 'success' || status === 'suspended' || status === 'canceled';
  return settled && lifecycle.onFinish !== undefined;
}

/** Whether the workflow has any callback delivered after an outcome (workers look for pending ones). */
export function hasOutcomeCallbacks(lifecycle: Readonly<LifecycleOptions>): boolean {
  return lifecycle.onFinish !== undefined || lifecycle.onError !== undefined;
}
