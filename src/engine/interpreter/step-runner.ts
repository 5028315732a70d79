import { validate } from '../../define/schema.js';
import type { StepNode } from '../../define/graph.js';
import type { AnyWorkflow } from '../../define/workflow.js';
import type { AttemptMeta, DeliveredEvent, RowMeta } from '../../domain/journal-meta.js';
import type { AnySchema } from '../../define/schema.js';
import { NonRetryableError, PayloadError, StepTimeoutError, WorkflowValidationError, deserializeError, serializeError } from '../../errors.js';
import type { JournalEntry } from '../../store/types.js';
import type { StepSpan } from '../tracing.js';
import { createContext, type ContextArgs, type StepControl } from './context.js';
import type { Exec } from './exec.js';
import { journalRow, recordFailure, recordSuccess, replayRecorded, stepEvents, type Recording } from './journal-row.js';
import { reviveDates } from '../payload.js';
import { ABORTED, EngineFault, type Outcome, type Value } from './outcome.js';
import type { Scope } from './scope.js';

type StepDef = StepNode['step'];

/**
 * What a `.waitForEvent` hands the step after it: the event that ended the wait (its data becomes the
 * step's resumeData, checked against `schema` or the step's resumeSchema), or that it timed out.
 */
export interface Delivery {
  event?: DeliveredEvent;
  timedOut?: boolean;
  schema?: AnySchema;
}

/** Runs a step at `path`, reusing its journal row when it already finished. */
export async function runStep(exec: Exec, unit: StepNode, input: Value, scope: Scope, path: string, delivery?: Delivery): Promise<Outcome> {
  const step = unit.step;
  const entry = exec.row(path);
  const done = replayRecorded(exec, entry, scope, step.id);
  if (done) return done;
  // Synchronously, before any await: in a parallel group only the first step to start gets the budget.
  if (!exec.takeStep()) return { t: 'paused' };

  let attempt = 0;
  let resumeData: unknown;
  let suspendData: unknown;
  let failedAttempts: AttemptMeta[] | undefined;
  const prior = entry ? exec.metaOf(entry) : {};
  // Time travel may give the step an input of its own instead of the previous node's output.
  if (entry?.status === 'resumed' && 'inputOverride' in prior) input = { v: prior.inputOverride };
  if (entry?.status === 'waiting' && prior.retryAt !== undefined) {
    if (exec.now() < prior.retryAt) return { t: 'waiting', wakeAt: prior.retryAt };
    attempt = entry.attempt;
    // A retry that was parked in the store goes on with the attempts it recorded there.
    failedAttempts = prior.attempts;
  } else if (delivery && !entry) {
    if (delivery.event) {
      resumeData = reviveDates(delivery.event.data);
      const schema = delivery.schema ?? step.resumeSchema;
      if (schema && exec.rootWorkflow.options.validateInputs) {
        try {
          resumeData = await validate(schema, resumeData, 'Event data validation failed');
        } catch (err) {
          return recordFailure({ exec, scope, path, id: step.id, input, startedAt: exec.now(), attempts: 1, prior }, err);
        }
      }
    }
  } else if (entry?.status === 'resumed') {
    // The resume data as stored, validated (and coerced) here, after decoding: a resume and its replay
    // after a crash give the step the same value.
    resumeData = reviveDates(prior.resumePayload);
    suspendData = prior.suspendPayload;
    if (step.resumeSchema && exec.rootWorkflow.options.validateInputs) {
      try {
        resumeData = await validate(step.resumeSchema, resumeData, 'Step resume data validation failed');
      } catch (err) {
        return recordFailure({ exec, scope, path, id: step.id, input, startedAt: exec.now(), attempts: 1, prior }, err);
      }
    }
  }

  const span = exec.tracer.startStep(scope.idPrefix + step.id, attempt);
  const event = delivery && !entry ? { event: delivery.event, timedOut: delivery.timedOut === true } : undefined;
  const outcome = await attemptLoop({ exec, step, input, scope, path, prior, firstAttempt: attempt, failedAttempts, resumeData, suspendData, span, event });
  span.end(outcome.t === 'ok' || outcome.t === 'bail' ? 'success' : outcome.t, outcome.t === 'failed' ? outcome.error : undefined);
  return outcome;
}

interface Attempts {
  exec: Exec;
  step: StepDef;
  input: Value;
  scope: Scope;
  path: string;
  prior: RowMeta;
  firstAttempt: number;
  /** Failed attempts before `firstAttempt` (recorded in a parked retry's row). */
  failedAttempts: AttemptMeta[] | undefined;
  resumeData: unknown;
  suspendData: unknown;
  /** Set for the step after a `.waitForEvent`: what ended the wait. */
  event?: { event?: DeliveredEvent; timedOut: boolean };
  span: StepSpan;
}

/** What one call of the step's execute produced. `threw` is separate: a step may reject with undefined. */
type CallResult = { threw: false; output: unknown } | { threw: true; error: unknown };

async function attemptLoop(a: Attempts): Promise<Outcome> {
  const { exec, step, input, scope, path, prior } = a;
  const maxRetries = step.retries ?? scope.workflow.retryConfig.attempts;
  const eventId = scope.idPrefix + step.id;
  // Kept in memory while the retries stay in process; written with the row that ends the step (or parks it).
  let retried: AttemptMeta[] | undefined = a.failedAttempts ? [...a.failedAttempts] : undefined;
  for (let attempt = a.firstAttempt; ; attempt++) {
    if (exec.aborted) return { t: 'canceled' };
    exec.crashPoint('step:before');
    const startedAt = exec.now();
    if (stepEvents(exec, scope)) {
      const start: Record<string, unknown> = { id: eventId, payload: input.v, startedAt, status: 'running' };
      if (a.resumeData !== undefined) start.resumePayload = a.resumeData;
      exec.emit('workflow-step-start', start);
    }
    const control: StepControl = {};
    const rec: Recording = { exec, scope, path, id: step.id, input, startedAt, attempts: attempt + 1, control, prior, failedAttempts: retried };
    let result = callOnce(a, control, attempt, startedAt);
    if (result instanceof Promise) result = await result;
    if (control.aborted || (exec.aborted && result.threw)) return { t: 'canceled' };
    if (!result.threw) result = contextChecked(exec, result);
    if (!result.threw) {
      if (control.suspended) return suspend(rec, step, control);
      if (control.bailed) {
        const value: Value = { v: control.bailed.value };
        const out = await recordSuccess(rec, value);
        return out.t === 'ok' ? { t: 'bail', value: out.value } : out;
      }
      if (scope.workflow.options.validateOutputs) result = await checkedOutput(step, result.output);
      if (!result.threw) return recordSuccess(rec, { v: result.output });
      if (exec.aborted) return { t: 'canceled' };
    }
    const error = stepError(step.id, result.error);
    if (!isRetryable(error) || attempt >= maxRetries) return recordFailure(rec, error);
    const delay = retryDelay(scope.workflow, attempt);
    const stored = serializeError(error);
    (retried ??= []).push({ attempt: attempt + 1, startedAt, endedAt: exec.now(), error: stored, retryDelayMs: delay });
    a.span.retry(attempt + 1, stored, delay);
    if (exec.hasListeners) exec.emit('workflow-step-retry', { id: eventId, attempt: attempt + 1, error: deserializeError(stored), delayMs: delay });
    // The next attempt's output replaces this one's: readers never get both (docs/durability.md).
    exec.supersedeChunks(path, eventId, attempt + 2);
    if (delay > exec.inProcessSleepMs) {
      const retryAt = exec.now() + delay;
      const inputJson = input.json !== undefined ? input.json : exec.encodeRow(input.v, 'step input');
      const row = journalRow(exec.runId, {
        path,
        kind: scope.rowKind,
        status: 'waiting',
        attempt: attempt + 1,
        input: inputJson,
        error: JSON.stringify(stored),
        meta: { ...prior, retryAt, attempts: retried },
        startedAt,
        endedAt: null,
      });
      await exec.record(row);
      return { t: 'waiting', wakeAt: retryAt };
    }
    if (delay > 0 && (await sleepUnlessAborted(exec, delay))) return { t: 'canceled' };
  }
}

/**
 * Validates the input, calls execute once. Any rejection is a failure, whatever the rejected value.
 * Not an async function, and no closures per call: a synchronous schema and step return without a trip
 * through the microtask queue, and an asynchronous step costs only the await of its own promise (this
 * runs once per step, on the hot path).
 */
function callOnce(a: Attempts, control: StepControl, attempt: number, startedAt: number): CallResult | Promise<CallResult> {
  try {
    // `validateInputs` of the run's root workflow decides, for nested workflows too (as in Mastra).
    const inputData = a.exec.rootWorkflow.options.validateInputs ? validate(a.step.inputSchema, a.input.v, 'Step input validation failed') : a.input.v;
    if (inputData instanceof Promise) return inputData.then((v) => callExecute(a, control, attempt, startedAt, v), failed);
    return callExecute(a, control, attempt, startedAt, inputData);
  } catch (error) {
    return failed(error);
  }
}

/** A step that put a value JSON cannot hold into the request context fails: the context could not be kept. */
function contextChecked(exec: Exec, result: CallResult): CallResult {
  try {
    exec.encodeContext();
    return result;
  } catch (error) {
    return { threw: true, error };
  }
}

function callExecute(a: Attempts, control: StepControl, attempt: number, startedAt: number, inputData: unknown): CallResult | Promise<CallResult> {
  try {
    const step = a.step;
    const args: ContextArgs = { exec: a.exec, scope: a.scope, stepId: step.id, control, inputData, resumeData: a.resumeData, suspendData: a.suspendData, retryCount: attempt, span: a.span, path: a.path, startedAt, ...(a.event ? { received: a.event } : {}) };
    const output = a.span.active ? a.span.run(() => callStep(step, args)) : callStep(step, args);
    if (output instanceof Promise) return output.then((v) => settled(a.exec, v), failed);
    return settled(a.exec, output);
  } catch (error) {
    return failed(error);
  }
}

function settled(exec: Exec, output: unknown): CallResult {
  return output === ABORTED ? { threw: true, error: exec.reason } : { threw: false, output };
}

function failed(error: unknown): CallResult {
  if (error instanceof EngineFault) throw error;
  return { threw: true, error };
}

/** Output validation, when the workflow asks for it (Mastra does not validate outputs by default). */
async function checkedOutput(step: StepDef, output: unknown): Promise<CallResult> {
  try {
    return { threw: false, output: await validate(step.outputSchema, output, 'Step output validation failed') };
  } catch (error) {
    return { threw: true, error };
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof NonRetryableError || error instanceof WorkflowValidationError || error instanceof PayloadError) return false;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return !(typeof code === 'string' && code.startsWith('PAYLOAD_'));
}

/**
 * What a step failed with, as an error worth reading. A step may reject with anything; `undefined`,
 * `null` and other values without a message become an Error that says what was thrown (the value
 * itself is kept as the cause).
 */
function stepError(stepId: string, thrown: unknown): unknown {
  if (thrown instanceof Error || typeof thrown === 'string') return thrown;
  if (thrown !== null && typeof thrown === 'object' && typeof (thrown as { message?: unknown }).message === 'string') return thrown;
  let shown: string;
  try {
    shown = thrown === undefined ? 'undefined' : (JSON.stringify(thrown) ?? String(thrown));
  } catch {
    shown = String(thrown);
  }
  return new Error(`step "${stepId}" threw ${shown.length > 200 ? `${shown.slice(0, 200)}...` : shown}`, thrown === undefined ? undefined : { cause: thrown });
}

export function retryDelay(wf: AnyWorkflow, attemptIndex: number): number {
  const rc = wf.retryConfig;
  if (rc.backoff !== 'exponential') return rc.delay;
  const d = rc.delay * 2 ** attemptIndex;
  return rc.maxDelay !== undefined ? Math.min(d, rc.maxDelay) : d;
}

/** Resolves true when the run was aborted during the wait. */
export function sleepUnlessAborted(exec: Exec, ms: number): Promise<boolean> {
  if (exec.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      exec.signal.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    exec.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Calls the step's execute; resolves with its value, or ABORTED when the run is aborted first. */
function callStep(step: StepDef, args: ContextArgs): unknown {
  if (step.timeoutMs === undefined) return args.exec.untilAborted(step.execute(createContext(args)));
  return callWithTimeout(step, args, step.timeoutMs);
}

/** A step with timeoutMs gets a signal of its own that fires at the timeout or when the run aborts. */
async function callWithTimeout(step: StepDef, args: ContextArgs, timeoutMs: number): Promise<unknown> {
  const timeout = new AbortController();
  const signal = AbortSignal.any([args.exec.signal, timeout.signal]);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new StepTimeoutError(step.id, timeoutMs);
      timeout.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    const ctx = createContext({ ...args, signal });
    return await Promise.race([args.exec.untilAborted(Promise.resolve(step.execute(ctx))), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Records a suspension: the payload (validated against suspendSchema) and resume labels in the row. */
async function suspend(rec: Recording, step: StepDef, control: StepControl): Promise<Outcome> {
  const { exec, scope } = rec;
  let payload = control.suspended?.payload;
  let row: JournalEntry;
  let suspendedAt: number | undefined;
  try {
    if (step.suspendSchema && payload !== undefined && exec.rootWorkflow.options.validateInputs) {
      payload = await validate(step.suspendSchema, payload, 'Step suspend data validation failed');
    }
    const meta: RowMeta = { suspendPayload: payload, suspendedAt: exec.now() };
    suspendedAt = meta.suspendedAt;
    if (control.suspended?.labels.length) meta.resumeLabels = control.suspended.labels;
    if (rec.prior?.resumePayload !== undefined) meta.resumePayload = rec.prior.resumePayload;
    if (control.statePatch) meta.statePatch = control.statePatch;
    if (rec.failedAttempts?.length) meta.attempts = rec.failedAttempts;
    exec.encode(meta, `suspend payload of step "${step.id}"`);
    const input = rec.input.json !== undefined ? rec.input.json : exec.encodeRow(rec.input.v, 'step input');
    row = journalRow(exec.runId, { path: rec.path, kind: scope.rowKind, status: 'suspended', attempt: rec.attempts, input, meta, startedAt: rec.startedAt, endedAt: null });
  } catch (err) {
    if (exec.aborted) return { t: 'canceled' };
    return recordFailure(rec, err);
  }
  await exec.record(row);
  if (exec.hasListeners) exec.emit('workflow-step-suspended', { id: scope.idPrefix + step.id, suspendPayload: payload, payload: rec.input.v, startedAt: rec.startedAt, suspendedAt, status: 'suspended' });
  return { t: 'suspended' };
}
