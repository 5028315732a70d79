/**
 * Every error weft throws on purpose is a WeftError with a stable string `code`, so callers (and the
 * HTTP API) can branch on the code rather than on message text.
 */
export class WeftError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export interface ValidationIssue {
  /** Dotted path of the failing field; empty for the value as a whole. */
  path: string;
  message: string;
}

export class WorkflowValidationError extends WeftError {
  readonly issues: ValidationIssue[];
  constructor(what: string, issues: ValidationIssue[]) {
    const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('VALIDATION_FAILED', `${what} is invalid: ${detail}`);
    this.issues = issues;
  }
}

export class InvalidArgumentError extends WeftError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

export class WorkflowDefinitionError extends WeftError {
  constructor(message: string) {
    super('INVALID_DEFINITION', message);
  }
}

export class WorkflowNotFoundError extends WeftError {
  constructor(workflowId: string) {
    super('WORKFLOW_NOT_FOUND', `no workflow is registered under "${workflowId}"`);
  }
}

export class RunNotFoundError extends WeftError {
  constructor(runId: string) {
    super('RUN_NOT_FOUND', `run "${runId}" does not exist`);
  }
}

export class RunNotSuspendedError extends WeftError {
  readonly status: string;
  constructor(runId: string, status: string, detail?: { code: string; message: string }) {
    super(detail?.code ?? 'RUN_NOT_SUSPENDED', detail?.message ?? `run "${runId}" cannot be resumed: its status is "${status}", not "suspended"`);
    this.status = status;
  }
}

/** The run is suspended, but not at the step a resume names (a kind of RunNotSuspendedError). */
export class StepNotSuspendedError extends RunNotSuspendedError {
  readonly step: string;
  constructor(runId: string, step: string, suspended: string[]) {
    const list = suspended.length ? suspended.join(', ') : 'none';
    super(runId, 'suspended', { code: 'STEP_NOT_SUSPENDED', message: `step "${step}" of run "${runId}" is not suspended (suspended steps: ${list})` });
    this.step = step;
  }
}

export class ResumeConflictError extends WeftError {
  constructor(runId: string) {
    super('RESUME_CONFLICT', `run "${runId}" was resumed by another caller at the same time`);
  }
}

export class RunConflictError extends WeftError {
  constructor(runId: string, message: string) {
    super('RUN_CONFLICT', `run "${runId}": ${message}`);
  }
}

export class StepTimeoutError extends WeftError {
  constructor(stepId: string, timeoutMs: number) {
    super('STEP_TIMEOUT', `step "${stepId}" timed out after ${timeoutMs} ms`);
  }
}

export class PayloadError extends WeftError {
  constructor(code: 'PAYLOAD_NOT_SERIALIZABLE' | 'PAYLOAD_TOO_LARGE' | 'PAYLOAD_TOO_DEEP', message: string) {
    super(code, message);
  }
}

/** Stored data of a run that cannot be read back (a corrupt or hand-edited row). Fails that run alone. */
export class CorruptRunError extends WeftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RUN_CORRUPT', message, options);
  }
}

/** A node got input it cannot work with at run time (foreach on a non-array, a negative sleep). */
export class InvalidStepInputError extends WeftError {
  constructor(message: string) {
    super('INVALID_STEP_INPUT', message);
  }
}

/**
 * A workflow object belongs to one engine at a time: `workflow.createRun()` must know where the run
 * goes. Registering it with a second engine while the first still runs would silently move its runs
 * (the last registration used to win), so it is refused instead.
 */
export class WorkflowAlreadyRegisteredError extends WeftError {
  constructor(workflowId: string) {
    super(
      'WORKFLOW_ALREADY_REGISTERED',
      `workflow "${workflowId}" is already registered with another Weft engine that has not been stopped; a workflow object runs on one engine at a time. Stop the other engine first (weft.stop()), or give each engine its own definition (build the workflow in a function and call it once per engine)`,
    );
  }
}

/** A worker lost ownership of a run (lease expired, run canceled or taken over); it must stop writing. */
export class LeaseLostError extends WeftError {
  constructor(runId: string) {
    super('LEASE_LOST', `this worker no longer owns run "${runId}"`);
  }
}

export class StoreError extends WeftError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean; code?: string }) {
    super(options?.code ?? 'STORE_ERROR', message, options);
    this.retryable = options?.retryable ?? false;
  }
}

/** Reported (once, through the store's onError) when this process's clock is far from the database's. */
export class ClockSkewError extends StoreError {
  /** The database's clock minus this process's, in ms: positive when this process is behind. */
  readonly offsetMs: number;
  constructor(offsetMs: number, thresholdMs: number) {
    const dir = offsetMs > 0 ? 'behind' : 'ahead of';
    super(
      `this process's clock is ${Math.abs(offsetMs)} ms ${dir} the database's (threshold ${thresholdMs} ms). ` +
        `Leases follow the database's clock and run timestamps are corrected by the offset, but fix the host's time sync (NTP).`,
      { code: 'CLOCK_SKEW' },
    );
    this.offsetMs = offsetMs;
  }
}

export class EngineStoppedError extends WeftError {
  constructor() {
    super('ENGINE_STOPPED', 'the weft engine is stopped');
  }
}

/** Thrown by a step to fail its attempt without any further retry. */
export class NonRetryableError extends WeftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NON_RETRYABLE', message, options);
  }
}

/**
 * A workflow's onFinish or onError callback threw. Reported through the engine's onError hook; the run's
 * outcome stands and the callback counts as delivered (it is not called again for that outcome).
 */
export class LifecycleCallbackError extends WeftError {
  readonly callback: 'onFinish' | 'onError';
  readonly runId: string;
  constructor(callback: 'onFinish' | 'onError', runId: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('CALLBACK_FAILED', `the ${callback} callback of run "${runId}" threw: ${why}`, { cause });
    this.callback = callback;
    this.runId = runId;
  }
}

/** The plain, JSON-safe shape errors take in the store and in results. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  cause?: SerializedError | unknown;
  stack?: string;
  [key: string]: unknown;
}

export function serializeError(err: unknown, depth = 0): SerializedError {
  if (err instanceof Error) {
    const out: SerializedError = { name: err.name, message: err.message };
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    if (err.stack) out.stack = err.stack;
    if (err.cause !== undefined && depth < 4) out.cause = serializeError(err.cause, depth + 1);
    if (err instanceof WorkflowValidationError) out.issues = err.issues;
    return out;
  }
  if (err && typeof err === 'object' && 'message' in err) {
    const o = err as Record<string, unknown>;
    return { name: String(o.name ?? 'Error'), message: String(o.message), ...(o.code ? { code: String(o.code) } : {}) };
  }
  return { name: 'Error', message: typeof err === 'string' ? err : safeString(err) };
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Turns a stored error back into an Error instance, keeping name and code. */
export function deserializeError(s: SerializedError): Error {
  const err = new Error(s.message, s.cause !== undefined ? { cause: s.cause } : undefined);
  err.name = s.name;
  if (s.code) (err as Error & { code?: string }).code = s.code;
  if (s.stack) err.stack = s.stack;
  return err;
}
