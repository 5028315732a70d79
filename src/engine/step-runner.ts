import { validate } from '../define/schema.js';
import type { NestedNode, StepNode, UnitNode } from '../define/graph.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { NonRetryableError, StepTimeoutError, WorkflowValidationError, deserializeError, serializeError, type SerializedError } from '../errors.js';
import type { JournalEntry } from '../store/types.js';
import { createContext, type StepControl } from './context.js';
import { ABORTED, type RunExecution } from './execution.js';
import type { Outcome, Value } from './outcome.js';
import { decodeRow } from './payload.js';
import type { Scope } from './scope.js';
import { walkSequence } from './walker.js';
import { crashPoint } from '../testing/crash-points.js';
import type { StepSpan } from './tracing.js';

interface RowMeta {
  suspendPayload?: unknown;
  resumePayload?: unknown;
  resumeLabels?: string[];
  statePatch?: Record<string, unknown>;
  retryAt?: number;
  wakeAt?: number;
  suspendedAt?: number;
  resumedAt?: number;
}

function metaOf(entry: JournalEntry | undefined): RowMeta {
  return entry?.meta ? ((decodeRow(entry.meta, entry.runId, entry.path, 'meta') as RowMeta | undefined) ?? {}) : {};
}

function inputJson(exec: RunExecution, input: Value, what: string): string | null {
  if (input.json === undefined) input.json = exec.encode(input.v, what);
  return input.json;
}

/** Runs a step or a nested workflow at `path`, reusing its journal row when it already finished. */
export function runUnit(exec: RunExecution, unit: UnitNode, input: Value, scope: Scope, path: string): Promise<Outcome> {
  return unit.type === 'step' ? runStep(exec, unit, input, scope, path) : runNested(exec, unit, input, scope, path);
}

/** Replays a finished row, or says the unit must (still) execute. */
function replay(exec: RunExecution, entry: JournalEntry | undefined, scope: Scope, id: string): Outcome | null {
  if (!entry) return null;
  switch (entry.status) {
    case 'success': {
      exec.replayState(entry);
      const value: Value = { v: decodeRow(entry.output, entry.runId, entry.path, 'output'), json: entry.output };
      scope.outputs.set(id, value.v);
      return { t: 'ok', value };
    }
    case 'suspended':
      return { t: 'suspended' };
    case 'failed':
      return { t: 'failed', error: decodeRow(entry.error, entry.runId, entry.path, 'error') as SerializedError };
    default:
      return null;
  }
}

async function runNested(exec: RunExecution, unit: NestedNode, input: Value, scope: Scope, path: string): Promise<Outcome> {
  const wf = unit.workflow as AnyWorkflow;
  const id = wf.id;
  const done = replay(exec, exec.journal.get(path), scope, id);
  if (done) return done;
  const startedAt = exec.host.now();
  let validated: unknown;
  try {
    validated = await validate(wf.inputSchema, input.v, `input of nested workflow "${id}"`);
  } catch (err) {
    return fail(exec, scope, path, id, input, startedAt, 1, err);
  }
  const inner: Scope = {
    prefix: `${path}/`,
    idPrefix: `${scope.idPrefix}${id}.`,
    workflow: wf,
    initData: validated,
    outputs: new Map(),
    rowKind: scope.rowKind,
  };
  if (stepEvents(exec, scope)) exec.emit('workflow-step-start', { id: scope.idPrefix + id, payload: input.v, startedAt, status: 'running' });
  const outcome = await walkSequence(exec, wf.graph(), { v: validated }, inner);
  // As in Mastra, the nested workflow itself shows as failed (a row of its own) or suspended (an event;
  // no row, so a resume walks into it again).
  if (outcome.t === 'failed') return fail(exec, scope, path, id, input, startedAt, 1, deserializeError(outcome.error));
  if (outcome.t === 'suspended' && stepEvents(exec, scope)) {
    let suspendPayload: unknown;
    for (const e of exec.journal.values()) {
      if (e.status === 'suspended' && e.path.startsWith(inner.prefix)) {
        suspendPayload = metaOf(e).suspendPayload;
        break;
      }
    }
    exec.emit('workflow-step-suspended', { id: scope.idPrefix + id, suspendPayload, payload: input.v, startedAt, status: 'suspended' });
  }
  if (outcome.t !== 'ok') return outcome;
  return succeed(exec, scope, path, id, input, outcome.value, startedAt, 1, null);
}

async function runStep(exec: RunExecution, unit: StepNode, input: Value, scope: Scope, path: string): Promise<Outcome> {
  const step = unit.step;
  const entry = exec.journal.get(path);
  const done = replay(exec, entry, scope, step.id);
  if (done) return done;

  let attempt = 0;
  let resumeData: unknown;
  const prior = metaOf(entry);
  if (entry?.status === 'waiting' && prior.retryAt !== undefined) {
    if (exec.host.now() < prior.retryAt) return { t: 'waiting', wakeAt: prior.retryAt };
    attempt = entry.attempt;
  } else if (entry?.status === 'resumed') {
    resumeData = prior.resumePayload;
    if (step.resumeSchema) {
      try {
        resumeData = await validate(step.resumeSchema, resumeData, `resumeData of step "${step.id}"`);
      } catch (err) {
        return fail(exec, scope, path, step.id, input, exec.host.now(), 1, err, prior);
      }
    }
  }

  const eventId = scope.idPrefix + step.id;
  const span = exec.tracer.startStep(eventId, attempt);
  const outcome = await attemptLoop(exec, unit, input, scope, path, entry, prior, attempt, resumeData, span);
  span.end(outcome.t === 'ok' || outcome.t === 'bail' ? 'success' : outcome.t, outcome.t === 'failed' ? outcome.error : undefined);
  return outcome;
}

async function attemptLoop(
  exec: RunExecution,
  unit: StepNode,
  input: Value,
  scope: Scope,
  path: string,
  entry: JournalEntry | undefined,
  prior: RowMeta,
  firstAttempt: number,
  resumeData: unknown,
  span: StepSpan,
): Promise<Outcome> {
  const step = unit.step;
  const maxRetries = step.retries ?? scope.workflow.retryConfig.attempts;
  const eventId = scope.idPrefix + step.id;
  let attempt = firstAttempt;
  for (;;) {
    if (exec.aborted) return { t: 'canceled' };
    crashPoint('step:before');
    const startedAt = exec.host.now();
    if (stepEvents(exec, scope)) exec.emit('workflow-step-start', { id: eventId, payload: input.v, startedAt, status: 'running' });
    const control: StepControl = {};
    let output: unknown;
    let error: unknown;
    try {
      // Synchronous schemas and steps are not awaited: every await is a trip through the microtask queue.
      let inputData = validate(step.inputSchema, input.v, `input of step "${step.id}"`);
      if (inputData instanceof Promise) inputData = await inputData;
      const args: StepCall = { exec, scope, step, control, inputData, resumeData, attempt };
      output = span.active ? span.run(() => callStep(args)) : callStep(args);
      if (output instanceof Promise) output = await output;
      if (output === ABORTED) throw exec.reason;
    } catch (err) {
      error = err;
    }
    if (control.aborted || (exec.aborted && error !== undefined)) return { t: 'canceled' };
    if (error === undefined && control.suspended) return suspend(exec, scope, path, step, input, startedAt, attempt, control, prior);
    if (error === undefined && control.bailed) {
      const value: Value = { v: control.bailed.value };
      const out = await succeed(exec, scope, path, step.id, input, value, startedAt, attempt + 1, control, prior);
      return out.t === 'ok' ? { t: 'bail', value } : out;
    }
    if (error === undefined) {
      try {
        if (scope.workflow.options.validateOutputs) output = await validate(step.outputSchema, output, `output of step "${step.id}"`);
        return await succeed(exec, scope, path, step.id, input, { v: output }, startedAt, attempt + 1, control, prior);
      } catch (err) {
        if (exec.aborted) return { t: 'canceled' };
        error = err;
      }
    }
    const retryable = !(error instanceof NonRetryableError) && !(error instanceof WorkflowValidationError) && !isPayloadError(error);
    if (!retryable || attempt >= maxRetries) {
      return fail(exec, scope, path, step.id, input, startedAt, attempt + 1, error, prior, control);
    }
    const delay = retryDelay(scope.workflow, attempt);
    attempt++;
    span.retry(attempt, serializeError(error), delay);
    if (exec.hasListeners) exec.emit('workflow-step-retry', { id: eventId, attempt, error: serializeError(error), delayMs: delay });
    if (delay > exec.host.inProcessSleepMs) {
      const retryAt = exec.host.now() + delay;
      await exec.record(row(exec, scope, path, 'waiting', attempt, inputJson(exec, input, 'step input'), null, JSON.stringify(serializeError(error)), { ...prior, retryAt }, startedAt, null));
      return { t: 'waiting', wakeAt: retryAt };
    }
    if (delay > 0 && (await sleepUnlessAborted(exec, delay))) return { t: 'canceled' };
  }
}

/**
 * Whether step start/result events are emitted here. Foreach iterations are not (as in Mastra): the
 * foreach emits one start, a `workflow-step-progress` per item and one result for the whole array.
 */
function stepEvents(exec: RunExecution, scope: Scope): boolean {
  return exec.hasListeners && scope.rowKind !== 'item';
}

function isPayloadError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'PAYLOAD_NOT_SERIALIZABLE' || code === 'PAYLOAD_TOO_LARGE';
}

export function retryDelay(wf: AnyWorkflow, attemptIndex: number): number {
  const rc = wf.retryConfig;
  if (rc.backoff !== 'exponential') return rc.delay;
  const d = rc.delay * 2 ** attemptIndex;
  return rc.maxDelay !== undefined ? Math.min(d, rc.maxDelay) : d;
}

/** Resolves true when the run was aborted during the wait. */
export function sleepUnlessAborted(exec: RunExecution, ms: number): Promise<boolean> {
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

interface StepCall {
  exec: RunExecution;
  scope: Scope;
  step: StepNode['step'];
  control: StepControl;
  inputData: unknown;
  resumeData: unknown;
  attempt: number;
}

/** Calls the step's execute; resolves with its value, or ABORTED when the run is aborted first. */
function callStep(c: StepCall): unknown {
  if (c.step.timeoutMs === undefined) {
    return c.exec.untilAborted(c.step.execute(createContext(c.exec, c.scope, c.step.id, c.control, c.inputData, c.resumeData, c.attempt)));
  }
  return callWithTimeout(c, c.step.timeoutMs);
}

/** A step with timeoutMs gets a signal of its own that fires at the timeout or when the run aborts. */
async function callWithTimeout(c: StepCall, timeoutMs: number): Promise<unknown> {
  const timeout = new AbortController();
  const signal = AbortSignal.any([c.exec.signal, timeout.signal]);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new StepTimeoutError(c.step.id, timeoutMs);
      timeout.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    const ctx = createContext(c.exec, c.scope, c.step.id, c.control, c.inputData, c.resumeData, c.attempt, signal);
    return await Promise.race([c.exec.untilAborted(Promise.resolve(c.step.execute(ctx))), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function row(
  exec: RunExecution,
  scope: Scope,
  path: string,
  status: JournalEntry['status'],
  attempt: number,
  input: string | null,
  output: string | null,
  error: string | null,
  meta: RowMeta | null,
  startedAt: number,
  endedAt: number | null,
): JournalEntry {
  const metaText = meta && Object.keys(meta).length > 0 ? JSON.stringify(meta) : null;
  return { runId: exec.runId, path, kind: scope.rowKind, status, attempt, input, output, error, meta: metaText, startedAt, endedAt };
}

function withState(prior: RowMeta | undefined, control: StepControl | null, now: number): RowMeta | null {
  const patch = control?.statePatch;
  if (!patch && (!prior || (prior.suspendPayload === undefined && prior.resumePayload === undefined))) return null;
  const meta: RowMeta = {};
  if (prior?.suspendPayload !== undefined) meta.suspendPayload = prior.suspendPayload;
  if (prior?.resumePayload !== undefined) meta.resumePayload = prior.resumePayload;
  if (prior?.suspendedAt !== undefined) meta.suspendedAt = prior.suspendedAt;
  if (prior?.resumePayload !== undefined) meta.resumedAt = now;
  if (patch) meta.statePatch = patch;
  return meta;
}

/** Records success. The output is encoded here, once; an unencodable output fails the step alone. */
export async function succeed(
  exec: RunExecution,
  scope: Scope,
  path: string,
  id: string,
  input: Value,
  value: Value,
  startedAt: number,
  attempts: number,
  control: StepControl | null,
  prior?: RowMeta,
): Promise<Outcome> {
  let inText: string | null;
  try {
    if (value.json === undefined) value.json = exec.encode(value.v, `output of step "${id}"`);
    inText = inputJson(exec, input, `input of step "${id}"`);
  } catch (err) {
    return fail(exec, scope, path, id, input, startedAt, attempts, err, prior, control);
  }
  const endedAt = exec.host.now();
  const entry = row(exec, scope, path, 'success', attempts, inText, value.json, null, withState(prior, control, endedAt), startedAt, endedAt);
  exec.decoded.set(path, { input: input.v, output: value.v });
  await exec.record(entry);
  scope.outputs.set(id, value.v);
  if (stepEvents(exec, scope)) {
    exec.emit('workflow-step-result', { id: scope.idPrefix + id, status: 'success', output: value.v, payload: input.v, startedAt, endedAt });
  }
  return { t: 'ok', value };
}

async function fail(
  exec: RunExecution,
  scope: Scope,
  path: string,
  id: string,
  input: Value,
  startedAt: number,
  attempts: number,
  err: unknown,
  prior?: RowMeta,
  control?: StepControl | null,
): Promise<Outcome> {
  const error = serializeError(err);
  let inText: string | null = null;
  try {
    inText = inputJson(exec, input, 'step input');
  } catch {
    inText = null;
  }
  const endedAt = exec.host.now();
  await exec.record(row(exec, scope, path, 'failed', attempts, inText, null, JSON.stringify(error), withState(prior, control ?? null, endedAt), startedAt, endedAt));
  if (stepEvents(exec, scope)) exec.emit('workflow-step-result', { id: scope.idPrefix + id, status: 'failed', error, payload: input.v, startedAt, endedAt });
  return { t: 'failed', error };
}

async function suspend(
  exec: RunExecution,
  scope: Scope,
  path: string,
  step: StepNode['step'],
  input: Value,
  startedAt: number,
  attempt: number,
  control: StepControl,
  prior: RowMeta,
): Promise<Outcome> {
  let payload = control.suspended?.payload;
  try {
    if (step.suspendSchema && payload !== undefined) payload = await validate(step.suspendSchema, payload, `suspend payload of step "${step.id}"`);
    const meta: RowMeta = { suspendPayload: payload, suspendedAt: exec.host.now() };
    if (control.suspended?.labels.length) meta.resumeLabels = control.suspended.labels;
    if (prior.resumePayload !== undefined) meta.resumePayload = prior.resumePayload;
    if (control.statePatch) meta.statePatch = control.statePatch;
    const metaText = exec.encode(meta, `suspend payload of step "${step.id}"`);
    const entry: JournalEntry = {
      runId: exec.runId,
      path,
      kind: scope.rowKind,
      status: 'suspended',
      attempt: attempt + 1,
      input: inputJson(exec, input, 'step input'),
      output: null,
      error: null,
      meta: metaText,
      startedAt,
      endedAt: null,
    };
    await exec.record(entry);
  } catch (err) {
    if (exec.aborted) return { t: 'canceled' };
    return fail(exec, scope, path, step.id, input, startedAt, attempt + 1, err, prior, control);
  }
  if (exec.hasListeners) exec.emit('workflow-step-suspended', { id: scope.idPrefix + step.id, suspendPayload: payload, payload: input.v, startedAt, status: 'suspended' });
  return { t: 'suspended' };
}
