/**
 * Every argument check of the engine's public entry points, in one place and free of I/O, so each rule
 * is written once and tested as a table (test/engine/checks.test.ts). Schema validation of user data
 * (inputs against a workflow's schemas) is async and lives with the commands; these are the shapes.
 */
import type { ListRunsOptions, ResultQueryOptions, ResumeOptions, StartOptions, TracingOptions } from '../define/run-types.js';
import { RUN_VIEW_FIELDS } from '../define/run-snapshot.js';
import { RequestContext } from '../define/request-context.js';
import { checkId, checkRunId } from '../domain/ids.js';
import { RUN_STATUSES, isRunStatus } from '../domain/run-status.js';
import { InvalidArgumentError } from '../errors.js';
import { checkTags, filterLabels, MAX_TAGS } from '../domain/search-labels.js';
import type { ListRunsFilter } from '../store/types.js';

export { checkRunId };

const TRACE_ID = /^[0-9a-f]{1,32}$/i;

/** Largest page a listing returns. */
export const MAX_PER_PAGE = 1000;
/** Timestamps accepted in filters: the epoch to the end of year 9999, in ms. */
const MAX_TIME_MS = 253_402_300_799_999;

export function checkObject(v: unknown, what: string): void {
  if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) throw new InvalidArgumentError(`${what} must be an object`);
}

/** `weft.check({ workflowIds?, all?, pageSize? })`. */
export function checkCheckOptions(opts: unknown): { workflowIds?: string[]; all?: boolean; pageSize?: number } {
  if (opts === undefined) return {};
  checkObject(opts, 'check options');
  const o = opts as { workflowIds?: unknown; all?: unknown; pageSize?: unknown };
  const out: { workflowIds?: string[]; all?: boolean; pageSize?: number } = {};
  if (o.workflowIds !== undefined) {
    if (!Array.isArray(o.workflowIds) || o.workflowIds.length === 0) throw new InvalidArgumentError('workflowIds must be a non-empty list of workflow ids');
    for (const id of o.workflowIds) checkId(id, 'workflowId');
    out.workflowIds = o.workflowIds as string[];
  }
  if (o.all !== undefined) {
    if (typeof o.all !== 'boolean') throw new InvalidArgumentError('all must be a boolean');
    out.all = o.all;
  }
  if (o.pageSize !== undefined) {
    if (!Number.isInteger(o.pageSize) || (o.pageSize as number) < 1 || (o.pageSize as number) > 10_000) throw new InvalidArgumentError('pageSize must be an integer from 1 to 10000');
    out.pageSize = o.pageSize as number;
  }
  return out;
}

/** `createRun({ runId?, resourceId? })`. */
export function checkCreateRunOptions(opts: unknown): { runId?: string; resourceId?: string } {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new InvalidArgumentError('createRun options must be an object');
  const o = opts as { runId?: unknown; resourceId?: unknown };
  if (o.runId !== undefined) checkRunId(o.runId);
  if (o.resourceId !== undefined) checkId(o.resourceId, 'resourceId');
  return { runId: o.runId as string | undefined, resourceId: o.resourceId as string | undefined };
}

/** The plain object a request context is stored as (a RequestContext, a Map or an object). */
export function requestContextObject(ctx: unknown, what = 'requestContext'): Record<string, unknown> | undefined {
  if (ctx === undefined) return undefined;
  if (ctx instanceof RequestContext) return ctx.toJSON();
  if (ctx instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of ctx) {
      if (typeof k !== 'string') throw new InvalidArgumentError(`${what} keys must be strings`);
      out[k] = v;
    }
    return out;
  }
  checkObject(ctx, what);
  return ctx as Record<string, unknown>;
}

/** start/startAsync/stream options, checked for shape; the input itself is validated by the workflow's schema. */
export interface CheckedStart {
  inputData: unknown;
  initialState: Record<string, unknown> | undefined;
  requestContext: Record<string, unknown> | undefined;
  tracing: TracingOptions & { traceId?: string };
  includeState: boolean;
  /** Execute one step, then pause (Mastra's `perStep`). */
  perStep: boolean;
  idempotencyKey: string | undefined;
}

export function checkStartOptions(opts: unknown): CheckedStart {
  checkObject(opts, 'start options');
  const o = (opts ?? {}) as StartOptions;
  checkObject(o.initialState, 'initialState');
  checkObject(o.metadata, 'metadata');
  checkObject(o.tracingOptions, 'tracingOptions');
  checkObject(o.outputOptions, 'outputOptions');
  checkPerStep(o.perStep);
  const traceId = o.tracingOptions?.traceId ?? o.traceId;
  if (traceId !== undefined && (typeof traceId !== 'string' || !TRACE_ID.test(traceId))) {
    throw new InvalidArgumentError('traceId must be 1-32 hexadecimal characters');
  }
  const tracing: TracingOptions = { ...o.tracingOptions };
  if (traceId !== undefined) tracing.traceId = traceId.toLowerCase().padStart(32, '0');
  if (o.metadata) tracing.metadata = { ...o.tracingOptions?.metadata, ...o.metadata };
  const tags = [...checkTags(o.tracingOptions?.tags, 'tracingOptions.tags'), ...checkTags(o.tags)];
  if (tags.length > 0) tracing.tags = [...new Set(tags)];
  if (tracing.tags && tracing.tags.length > MAX_TAGS) throw new InvalidArgumentError(`a run takes at most ${MAX_TAGS} tags`);
  return {
    inputData: o.inputData,
    initialState: o.initialState,
    requestContext: requestContextObject(o.requestContext),
    tracing,
    includeState: o.outputOptions?.includeState === true,
    perStep: o.perStep === true,
    idempotencyKey: checkIdempotencyKey(o.idempotencyKey),
  };
}

function checkIdempotencyKey(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 512 || v.includes('\u0000')) {
    throw new InvalidArgumentError('idempotencyKey must be a non-empty string of at most 512 characters (no NUL)');
  }
  return v;
}

function checkPerStep(v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw new InvalidArgumentError('perStep must be a boolean');
}

/** getWorkflowRunById / getWorkflowRunExecutionResult options: `fields` known names, flags booleans. */
export function checkViewOptions(opts: unknown): ResultQueryOptions {
  checkObject(opts, 'run query options');
  const o = (opts ?? {}) as ResultQueryOptions;
  for (const flag of ['includeState', 'withNestedWorkflows'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') throw new InvalidArgumentError(`${flag} must be a boolean`);
  }
  if (o.fields !== undefined) {
    if (!Array.isArray(o.fields)) throw new InvalidArgumentError('fields must be an array of field names');
    for (const f of o.fields) {
      if (!(RUN_VIEW_FIELDS as readonly unknown[]).includes(f)) {
        throw new InvalidArgumentError(`unknown field "${String(f)}"; expected some of ${RUN_VIEW_FIELDS.join(', ')}`);
      }
    }
  }
  return o;
}

export function checkResumeOptions(opts: unknown): ResumeOptions & { requestContextObject?: Record<string, unknown>; perStep: boolean } {
  checkObject(opts, 'resume options');
  const o = (opts ?? {}) as ResumeOptions;
  if (o.label !== undefined && typeof o.label !== 'string') throw new InvalidArgumentError('resume label must be a string');
  if (o.forEachIndex !== undefined && !(Number.isSafeInteger(o.forEachIndex) && o.forEachIndex >= 0)) {
    throw new InvalidArgumentError('forEachIndex must be a non-negative integer');
  }
  checkPerStep(o.perStep);
  return { ...o, requestContextObject: requestContextObject(o.requestContext), perStep: o.perStep === true };
}

function timeMs(d: unknown, name: string): number | undefined {
  if (d === undefined) return undefined;
  const t = d instanceof Date ? d.getTime() : d;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > MAX_TIME_MS) {
    throw new InvalidArgumentError(`${name} must be a Date or epoch ms between 1970 and 9999`);
  }
  return t;
}

/** Checks a listing's options (paging, statuses, dates, ids) and turns them into the store's filter. */
/** weft's listing options beyond Mastra's: every workflow or one, an id prefix, a keyset cursor. */
export interface RunListQuery extends ListRunsOptions {
  workflowId?: string;
  /** Runs whose id starts with this text. */
  runIdPrefix?: string;
  /** The `nextCursor` of a previous page: continue after its last run (instead of `page`). */
  cursor?: string;
}

/** A listing cursor: the last run of a page (creation time and id), opaque to callers. */
export function encodeCursor(createdAt: number, runId: string): string {
  return Buffer.from(`${createdAt}:${runId}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: unknown): { createdAt: number; runId: string } {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 1000) throw new InvalidArgumentError('cursor must be the nextCursor of a listing');
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const at = text.indexOf(':');
  const createdAt = Number(text.slice(0, at));
  const runId = text.slice(at + 1);
  if (at < 1 || !Number.isSafeInteger(createdAt) || createdAt < 0 || runId.length === 0) throw new InvalidArgumentError('cursor must be the nextCursor of a listing');
  checkRunId(runId);
  return { createdAt, runId };
}

export function listFilterOf(opts: RunListQuery): ListRunsFilter {
  checkObject(opts, 'listing options');
  const perPage = opts.perPage;
  if (perPage !== undefined && !(Number.isInteger(perPage) && perPage > 0 && perPage <= MAX_PER_PAGE)) {
    throw new InvalidArgumentError(`perPage must be an integer from 1 to ${MAX_PER_PAGE}`);
  }
  if (opts.page !== undefined && !(Number.isSafeInteger(opts.page) && opts.page >= 0 && opts.page <= 1_000_000)) {
    throw new InvalidArgumentError('page must be an integer from 0 to 1000000');
  }
  const statuses = opts.status === undefined ? [] : Array.isArray(opts.status) ? opts.status : [opts.status];
  for (const st of statuses) {
    if (!isRunStatus(st)) throw new InvalidArgumentError(`unknown status "${String(st)}"; expected one of ${RUN_STATUSES.join(', ')}`);
  }
  if (opts.resourceId !== undefined) checkId(opts.resourceId, 'resourceId');
  if (opts.workflowId !== undefined) checkId(opts.workflowId, 'workflowId');
  if (opts.runIdPrefix !== undefined) checkId(opts.runIdPrefix, 'runIdPrefix');
  if (opts.cursor !== undefined && opts.page !== undefined && opts.page !== 0) throw new InvalidArgumentError('give a cursor or a page, not both');
  return {
    ...(opts.runIdPrefix !== undefined ? { runIdPrefix: opts.runIdPrefix } : {}),
    ...(opts.cursor !== undefined ? { before: decodeCursor(opts.cursor) } : {}),
    workflowId: opts.workflowId,
    status: opts.status,
    resourceId: opts.resourceId,
    fromDate: timeMs(opts.fromDate, 'fromDate'),
    toDate: timeMs(opts.toDate, 'toDate'),
    labels: filterLabels(opts.tags, opts.metadata),
    page: opts.page,
    perPage,
  };
}

/** Worker settings of `new Weft({ worker })`, with their defaults. */
export interface WorkerSettings {
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  renewMs?: number;
  pruneEveryMs: number;
  pruneBatch: number;
}

export function checkWorkerOptions(w: unknown): WorkerSettings {
  checkObject(w, 'worker options');
  const o = (w ?? {}) as Partial<WorkerSettings>;
  const concurrency = o.concurrency ?? 100;
  const leaseMs = o.leaseMs ?? 15_000;
  const pollMs = o.pollMs ?? 1000;
  if (!(Number.isInteger(concurrency) && concurrency > 0)) throw new InvalidArgumentError('worker.concurrency must be a positive integer');
  if (!(typeof leaseMs === 'number' && leaseMs >= 100)) throw new InvalidArgumentError('worker.leaseMs must be at least 100');
  if (!(typeof pollMs === 'number' && pollMs >= 1)) throw new InvalidArgumentError('worker.pollMs must be at least 1');
  if (o.renewMs !== undefined && !(typeof o.renewMs === 'number' && o.renewMs >= 10 && o.renewMs < leaseMs)) {
    throw new InvalidArgumentError('worker.renewMs must be at least 10 and less than leaseMs');
  }
  const pruneEveryMs = o.pruneEveryMs ?? 60_000;
  const pruneBatch = o.pruneBatch ?? 100;
  if (!(typeof pruneEveryMs === 'number' && pruneEveryMs >= 10 && pruneEveryMs <= 86_400_000)) throw new InvalidArgumentError('worker.pruneEveryMs must be from 10 to 86400000');
  if (!(Number.isInteger(pruneBatch) && pruneBatch >= 1 && pruneBatch <= 10_000)) throw new InvalidArgumentError('worker.pruneBatch must be an integer from 1 to 10000');
  return { concurrency, leaseMs, pollMs, renewMs: o.renewMs, pruneEveryMs, pruneBatch };
}

export function checkPositive(v: unknown, name: string): number {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new InvalidArgumentError(`${name} must be a positive number`);
  return v;
}

export function checkNonNegative(v: unknown, name: string): number {
  if (!(typeof v === 'number' && v >= 0)) throw new InvalidArgumentError(`${name} must be a non-negative number`);
  return v;
}

/** time travel options (Mastra's run.timeTravel), checked for shape. */
export interface CheckedTimeTravel {
  /** The target as step ids from the top ('nested.inner' and ['nested', 'inner'] are the same). */
  target: string[];
  context: Record<string, { status: string; payload?: unknown; output?: unknown; suspendPayload?: unknown; startedAt?: number; endedAt?: number }>;
  nestedStepsContext: Record<string, CheckedTimeTravel['context']>;
  inputData?: { value: unknown };
  resumeData?: { value: unknown };
  initialState?: Record<string, unknown>;
  requestContext?: Record<string, unknown>;
  perStep: boolean;
  includeState: boolean;
}

function stepIds(step: unknown): string[] {
  const idOf = (s: unknown): string => {
    const id = typeof s === 'string' ? s : (s as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError('time travel `step` must be a step, a step id, a dotted path or an array of them');
    return id;
  };
  if (Array.isArray(step)) {
    if (step.length === 0) throw new InvalidArgumentError('time travel `step` must not be an empty array');
    return step.map(idOf);
  }
  return typeof step === 'string' ? step.split('.') : [idOf(step)];
}

function contextOf(v: unknown, what: string): CheckedTimeTravel['context'] {
  checkObject(v, what);
  const out: CheckedTimeTravel['context'] = {};
  for (const [id, e] of Object.entries((v ?? {}) as Record<string, unknown>)) {
    checkObject(e, `${what}.${id}`);
    if (e === undefined) continue;
    const entry = e as CheckedTimeTravel['context'][string];
    if (typeof entry.status !== 'string') throw new InvalidArgumentError(`${what}.${id}.status must be a step status such as "success"`);
    out[id] = entry;
  }
  return out;
}

export function checkTimeTravelOptions(opts: unknown): CheckedTimeTravel {
  checkObject(opts, 'time travel options');
  const o = (opts ?? {}) as Record<string, unknown>;
  if (o.step === undefined) throw new InvalidArgumentError('time travel needs `step`: the step to execute again');
  checkObject(o.nestedStepsContext, 'nestedStepsContext');
  const nested: CheckedTimeTravel['nestedStepsContext'] = {};
  for (const [id, c] of Object.entries((o.nestedStepsContext ?? {}) as Record<string, unknown>)) nested[id] = contextOf(c, `nestedStepsContext.${id}`);
  checkObject(o.initialState, 'initialState');
  checkObject(o.outputOptions, 'outputOptions');
  checkPerStep(o.perStep);
  return {
    target: stepIds(o.step),
    context: contextOf(o.context, 'context'),
    nestedStepsContext: nested,
    ...('inputData' in o && o.inputData !== undefined ? { inputData: { value: o.inputData } } : {}),
    ...('resumeData' in o && o.resumeData !== undefined ? { resumeData: { value: o.resumeData } } : {}),
    ...(o.initialState !== undefined ? { initialState: o.initialState as Record<string, unknown> } : {}),
    ...(o.requestContext !== undefined ? { requestContext: requestContextObject(o.requestContext) } : {}),
    perStep: o.perStep === true,
    includeState: (o.outputOptions as { includeState?: unknown } | undefined)?.includeState === true,
  };
}

/** `weft.rerun(runId, { step, inputData?, runId?, initialState? })`. */
export interface CheckedRerun {
  target: string[];
  inputData?: { value: unknown };
  runId?: string;
  initialState?: Record<string, unknown>;
}

export function checkRerunOptions(opts: unknown): CheckedRerun {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new InvalidArgumentError('rerun options must be an object');
  const o = opts as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['step', 'inputData', 'runId', 'initialState'].includes(k)) throw new InvalidArgumentError(`unknown rerun option "${k}"; expected step, inputData, runId, initialState`);
  }
  if (o.step === undefined) throw new InvalidArgumentError('rerun needs `step`: the step to execute from');
  if (o.runId !== undefined) checkRunId(o.runId);
  checkObject(o.initialState, 'initialState');
  return {
    target: stepIds(o.step),
    ...(o.inputData !== undefined ? { inputData: { value: o.inputData } } : {}),
    ...(o.runId !== undefined ? { runId: o.runId as string } : {}),
    ...(o.initialState !== undefined ? { initialState: o.initialState as Record<string, unknown> } : {}),
  };
}
