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

/**
 * Data failed a schema. The message is Mastra's (`Invalid input data: \n- user.email: ...`, `Step input
 * validation failed: \n- ...`): a title, then one `- path: message` line per issue. `cause` carries the
 * schema library's issues (`cause.issues`), as Mastra keeps them.
 */
export class WorkflowValidationError extends WeftError {
  readonly issues: ValidationIssue[];
  constructor(title: string, issues: ValidationIssue[], options?: { cause?: unknown }) {
    const lines = issues.map((i) => (i.path ? `- ${i.path}: ${i.message}` : `- ${i.message}`)).join('\n');
    super('VALIDATION_FAILED', `${title}: \n${lines}`, options);
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

/** An event name no registered workflow waits for or is triggered by (HTTP 404). */
export class UnknownEventError extends WeftError {
  constructor(name: string) {
    super('UNKNOWN_EVENT', `no registered workflow waits for or is started by the event "${name}"`);
  }
}

/** A `.waitForEvent` with `onTimeout: 'fail'` reached its timeout without an event. */
export class EventTimeoutError extends WeftError {
  constructor(events: string[], timeoutMs: number) {
    super('EVENT_TIMEOUT', `no ${events.map((e) => `"${e}"`).join(' or ')} event arrived within ${timeoutMs} ms`);
  }
}

/** A completion token that does not exist (or is malformed). */
export class TokenNotFoundError extends WeftError {
  constructor() {
    super('TOKEN_NOT_FOUND', 'no such token');
  }
}

/** A completion token past its timeout. */
export class TokenExpiredError extends WeftError {
  constructor() {
    super('TOKEN_EXPIRED', 'the token has expired');
  }
}

/** A completion token that was used already (tokens work once). */
export class TokenUsedError extends WeftError {
  constructor() {
    super('TOKEN_USED', 'the token was used already');
  }
}

export class RunNotSuspendedError extends WeftError {
  readonly status: string;
  constructor(runId: string, status: string, detail?: { code: string; message: string }) {
    super(detail?.code ?? 'RUN_NOT_SUSPENDED', detail?.message ?? `run "${runId}" cannot be resumed: its status is "${status}", not "suspended"`);
    this.status = status;
  }
}

/**
 * The run's journal does not fit the workflow definition this process has (a step it recorded was
 * removed, renamed or moved): continuing it would re-run finished steps, so it is refused (a resume) or
 * parked (a worker). `path` is the first journal path that no longer fits; `weft check` lists them all.
 */
export class RunDivergedError extends WeftError {
  readonly path: string;
  readonly reason: string;
  constructor(runId: string, path: string, reason: string, message: string) {
    super('RUN_DIVERGED', `run "${runId}" cannot continue on this definition: ${message}`);
    this.path = path;
    this.reason = reason;
  }
}

/**
 * `replayRuns` (weft/testing) found runs whose journals the current code would not continue: each with
 * the first journal path that no longer fits and why. A test suite fails with it before review.
 */
export class ReplayDivergedError extends WeftError {
  readonly problems: { runId: string; workflowId: string; path?: string; reason?: string; message?: string }[];
  constructor(problems: { runId: string; workflowId: string; path?: string; reason?: string; message?: string }[]) {
    const lines = problems.slice(0, 20).map((p) => `- ${p.runId} (${p.workflowId}): ${p.message ?? 'no definition of this workflow was given'}`);
    if (problems.length > 20) lines.push(`- … and ${problems.length - 20} more`);
    super('REPLAY_DIVERGED', `${problems.length} run${problems.length === 1 ? '' : 's'} would not continue on this code:\n${lines.join('\n')}`);
    this.problems = problems;
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
  constructor(code: 'PAYLOAD_NOT_SERIALIZABLE' | 'PAYLOAD_TOO_LARGE' | 'PAYLOAD_TOO_DEEP' | 'RUN_BUDGET_EXCEEDED' | 'STREAM_CHUNK_TOO_LARGE', message: string) {
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
 * `createStep` (or `.agent()`, `.tool()`, `.classifier()`) got something it cannot make a step of:
 * neither a step config, an agent, a tool nor a classifier, or one of those missing what a step needs.
 * A WorkflowDefinitionError with a code of its own, so callers can tell it from other bad definitions.
 */
export class InvalidStepSourceError extends WorkflowDefinitionError {
  override readonly code = 'INVALID_STEP_SOURCE';
}

/**
 * A tool used as a step rejected its input, output, suspend or resume data (Mastra tools return their
 * validation failures as a value instead of throwing). A validation failure: not retried.
 */
export class ToolValidationError extends WorkflowValidationError {
  readonly toolId: string;
  /** @param what which data failed: `input`, `output`, `suspend payload`, ... */
  constructor(toolId: string, what: string, message: string, issues: ValidationIssue[]) {
    super(`${what} of tool "${toolId}" is invalid`, issues.length ? issues : [{ path: '', message }]);
    this.toolId = toolId;
  }
}

/** An agent step asked for structured output and the agent finished without producing an object. */
export class AgentOutputError extends WeftError {
  constructor(stepId: string, detail: string) {
    super('AGENT_NO_STRUCTURED_OUTPUT', `agent step "${stepId}" declared structuredOutput but the agent finished without an object (${detail})`);
  }
}

/**
 * A processor of the agent aborted the call (Mastra's tripwire). The step fails without retries: the
 * same input meets the same processor. `retry` is the processor's hint that a changed request may pass.
 */
export class AgentTripwireError extends NonRetryableError {
  override readonly code = 'AGENT_TRIPWIRE';
  readonly reason: string;
  readonly retry: boolean | undefined;
  readonly metadata: unknown;
  readonly processorId: string | undefined;
  constructor(stepId: string, tripwire: { reason?: string; retry?: boolean; metadata?: unknown; processorId?: string }) {
    const reason = tripwire.reason || 'agent tripwire triggered';
    super(`agent step "${stepId}" was stopped by a tripwire${tripwire.processorId ? ` (processor "${tripwire.processorId}")` : ''}: ${reason}`);
    this.reason = reason;
    this.retry = tripwire.retry;
    this.metadata = tripwire.metadata;
    this.processorId = tripwire.processorId;
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

/**
 * The plain, JSON-safe shape errors take in the store (journal rows, the run row), in run views and on
 * the wire. Results and events give them back as Error instances (`deserializeError`).
 */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  cause?: SerializedError | unknown;
  stack?: string;
  [key: string]: unknown;
}

/**
 * An error as results and events give it: an Error instance rebuilt from its stored shape, with the
 * custom properties the step's error carried (`code`, `statusCode`, ...) as own properties.
 */
export type ResultError = Error & { code?: string; [key: string]: unknown };

/** Own properties serializeError handles itself; every other own enumerable property is copied. */
const RESERVED = new Set(['name', 'message', 'stack', 'cause', 'toJSON']);
/** A custom property larger than this (as JSON) is left out: an error row must stay small. */
const MAX_PROPERTY_JSON = 16 * 1024;
const MAX_CAUSE_DEPTH = 5;

/** The value as JSON gives it back, or undefined when JSON cannot carry it or it is too large to keep. */
function jsonable(v: unknown): unknown {
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  try {
    const text = JSON.stringify(v);
    if (text === undefined || text.length > MAX_PROPERTY_JSON) return undefined;
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Copies the own enumerable properties a step's error carried (statusCode, code, details, ...). */
function copyProperties(from: object, to: SerializedError, depth: number): void {
  for (const key of Object.keys(from)) {
    if (RESERVED.has(key)) continue;
    const v = (from as Record<string, unknown>)[key];
    const out = v instanceof Error ? serializeError(v, depth + 1) : jsonable(v);
    if (out !== undefined) to[key] = out;
  }
}

/**
 * The stored form of anything a step threw: name, message, stack, the cause chain (up to five levels)
 * and every own enumerable property JSON can carry, as Mastra keeps them (its errors keep custom
 * properties such as `statusCode` through storage).
 */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (err instanceof Error) {
    const out: SerializedError = { name: err.name, message: err.message };
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    copyProperties(err, out, depth);
    if (typeof err.stack === 'string') out.stack = err.stack;
    if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
      const cause = err.cause instanceof Error || isErrorLike(err.cause) ? serializeError(err.cause, depth + 1) : jsonable(err.cause);
      if (cause !== undefined) out.cause = cause;
    }
    const issues = (err as { issues?: unknown }).issues;
    if (Array.isArray(issues)) out.issues = err instanceof WorkflowValidationError ? err.issues : issues.map(plainIssue);
    return out;
  }
  if (isErrorLike(err)) {
    const o = err as Record<string, unknown>;
    const out: SerializedError = { name: typeof o.name === 'string' ? o.name : 'Error', message: String(o.message) };
    copyProperties(o, out, depth);
    if (typeof o.stack === 'string') out.stack = o.stack;
    if (o.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
      const cause = o.cause instanceof Error || isErrorLike(o.cause) ? serializeError(o.cause, depth + 1) : jsonable(o.cause);
      if (cause !== undefined) out.cause = cause;
    }
    return out;
  }
  return { name: 'Error', message: typeof err === 'string' ? err : safeString(err) };
}

/** A schema issue as JSON can carry it: its path as keys and its message. */
function plainIssue(issue: unknown): { path: (string | number)[]; message: string } {
  const i = (issue ?? {}) as { path?: unknown; message?: unknown };
  const path = Array.isArray(i.path) ? i.path.map((k) => (typeof k === 'number' ? k : String(k !== null && typeof k === 'object' && 'key' in k ? k.key : k))) : [];
  return { path, message: String(i.message ?? '') };
}

/** An object that is not an Error but has a message: thrown objects, and errors in their stored shape. */
function isErrorLike(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !(v instanceof Error) && typeof (v as { message?: unknown }).message === 'string';
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Built-in error classes rebuilt by name, so `instanceof TypeError` holds after a round trip. */
const BUILT_IN: Record<string, ErrorConstructor> = {
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * Turns a stored error back into an Error instance: message, name, the cause chain (as Errors), the
 * stored stack, and every other stored property as an own enumerable property. Results and events are
 * built this way whether the run crashed or not, so a caller sees the same value either way.
 *
 * Like Mastra's step errors, the instance serialises (toJSON: HTTP, logs, JSON.stringify) to its plain
 * shape without the stack: the stack stays readable on the instance, and in run views.
 */
export function deserializeError(s: SerializedError, depth = 0): ResultError {
  const Ctor = BUILT_IN[s.name] ?? Error;
  const err = new Ctor(typeof s.message === 'string' ? s.message : String(s.message));
  if (err.name !== s.name) Object.defineProperty(err, 'name', { value: s.name, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(err, 'stack', { value: typeof s.stack === 'string' ? s.stack : undefined, writable: true, configurable: true, enumerable: false });
  if (s.cause !== undefined) {
    const cause = isErrorLike(s.cause) && depth < MAX_CAUSE_DEPTH ? deserializeError(s.cause as SerializedError, depth + 1) : s.cause;
    Object.defineProperty(err, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  }
  for (const key of Object.keys(s)) {
    if (!RESERVED.has(key)) (err as unknown as Record<string, unknown>)[key] = s[key];
  }
  Object.defineProperty(err, 'toJSON', { value: errorToJSON, writable: true, configurable: true, enumerable: false });
  return err as ResultError;
}

function errorToJSON(this: Error): SerializedError {
  const out: SerializedError = { message: this.message, name: this.name };
  if (this.cause !== undefined) {
    const c = this.cause as { toJSON?: () => unknown };
    out.cause = this.cause instanceof Error && typeof c.toJSON === 'function' ? c.toJSON() : this.cause;
  }
  for (const key of Object.keys(this)) if (!(key in out)) out[key] = (this as unknown as Record<string, unknown>)[key];
  return out;
}

/**
 * A stored error in the plain shape Mastra gives a run's `result.error`: its JSON (as `toJSON` gives it),
 * so without stacks, cause chain included.
 */
export function plainError(s: SerializedError): SerializedError {
  return errorToJSON.call(deserializeError(s));
}

/** An error as results show it: stored errors (plain objects) become Error instances; anything else is kept. */
export function errorForResult(v: unknown): unknown {
  return isErrorLike(v) ? deserializeError(v as SerializedError) : v;
}
