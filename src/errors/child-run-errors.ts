import { WeftError } from './weft-error.js';

/**
 * What a step's `ctx.startWorkflow` throws when the child run did not succeed. Not retried: a retry of
 * the step would attach to the same child (its id is derived from the call, not the attempt) and get the
 * same outcome. A step may catch it and start another child under a runId of its own.
 */
export class ChildRunError extends WeftError {
  readonly childRunId: string;
  readonly workflowId: string;
  constructor(code: string, message: string, childRunId: string, workflowId: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.childRunId = childRunId;
    this.workflowId = workflowId;
  }
}

/** The child run failed; `cause` is the child's error (as results give it). */
export class ChildRunFailedError extends ChildRunError {
  constructor(childRunId: string, workflowId: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String((cause as { message?: unknown } | null)?.message ?? cause);
    super('CHILD_RUN_FAILED', `child run "${childRunId}" of workflow "${workflowId}" failed: ${why}`, childRunId, workflowId, { cause });
  }
}

/** The child run was canceled (by someone else: canceling the parent cancels its children). */
export class ChildRunCanceledError extends ChildRunError {
  constructor(childRunId: string, workflowId: string) {
    super('CHILD_RUN_CANCELED', `child run "${childRunId}" of workflow "${workflowId}" was canceled`, childRunId, workflowId);
  }
}

/** The child run was deleted while its parent waited for it. */
export class ChildRunNotFoundError extends ChildRunError {
  constructor(childRunId: string, workflowId: string) {
    super('CHILD_RUN_NOT_FOUND', `child run "${childRunId}" of workflow "${workflowId}" no longer exists`, childRunId, workflowId);
  }
}

/**
 * ctx.startWorkflow was given a runId that an unrelated run already has (a run of another workflow, or
 * not started by this call): nothing is started or awaited.
 */
export class ChildRunConflictError extends ChildRunError {
  constructor(childRunId: string, workflowId: string, why: string) {
    super('CHILD_RUN_CONFLICT', `cannot start child run "${childRunId}" of workflow "${workflowId}": ${why}`, childRunId, workflowId);
  }
}
