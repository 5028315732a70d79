import { InvalidArgumentError } from '../../errors.js';
import { isRunStatus } from '../../domain/run-status.js';
import type { ClaimOptions, JournalEntry, ListRunsFilter, NewChunk, NewRun, PruneRequest, ReviseRequest, RunPatch, ScanRunsOptions, WriteOp } from '../types.js';
import { flowErrors, type FlowAdmission } from './flow-rules.js';

/**
 * What every store refuses to store, checked the same way on memory, SQLite and PostgreSQL so a value
 * is accepted or rejected whatever the store:
 *
 * - text with a NUL character (U+0000): PostgreSQL text cannot hold it (the whole statement fails, and
 *   with it every other run in a group-committed batch); SQLite keeps it but its SQL functions stop at it;
 * - text with a lone UTF-16 surrogate (not valid Unicode): both drivers encode it as U+FFFD, so the
 *   stored id or key would silently differ from the one the caller holds;
 * - numbers the columns cannot hold: epoch-ms timestamps outside the range of a JavaScript Date (or not
 *   finite), priorities and attempts outside a 32-bit integer.
 *
 * Failures are InvalidArgumentError (INVALID_ARGUMENT, never retried). Messages name the field, never the
 * value: it may be large, or be the very text a log or an HTTP body should not carry.
 *
 * JSON payload columns (input, output, state, error, meta, result, request context, tracing) are not
 * scanned on the write path: the engine produces them with JSON.stringify, which escapes NUL and lone
 * surrogates (`\u0000`, `\ud800`), so their text is always storable, and scanning every payload on every
 * step cost about 7% of a short step's time. Ids, keys, paths and owners come from callers and are checked.
 */

/** The largest epoch-ms a Date can hold (±100,000,000 days); BIGINT holds far more. */
export const MAX_EPOCH_MS = 8.64e15;
const INT32_MAX = 2 ** 31 - 1;

type WellFormed = string & { isWellFormed(): boolean };

/** Why a string cannot be stored as it is, or null when it can. */
export function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000)';
  // One-byte strings (most ids and JSON) answer at once: only two-byte strings can hold surrogates.
  if (!(s as WellFormed).isWellFormed()) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return null;
}

export function checkText(value: unknown, field: string): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'string') throw new InvalidArgumentError(`${field} must be a string`);
  const problem = textProblem(value);
  if (problem) throw new InvalidArgumentError(`${field} ${problem}, which the store cannot hold`);
}

/** An id or key the store could have stored: lookups with any other value find nothing. */
export function isStorableText(value: string): boolean {
  return typeof value === 'string' && textProblem(value) === null;
}

export function checkMs(value: unknown, field: string): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_EPOCH_MS) {
    throw new InvalidArgumentError(`${field} must be a finite epoch-ms time within ±${MAX_EPOCH_MS}`);
  }
}

export function checkInt(value: unknown, field: string, min: number, max: number): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${field} must be an integer from ${min} to ${max}`);
  }
}

/** A duration in ms (a lease): positive, and small enough that now + it is still a time. */
export function checkDuration(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_EPOCH_MS) {
    throw new InvalidArgumentError(`${field} must be a non-negative number of milliseconds`);
  }
}

export function checkNewRun(run: NewRun): void {
  checkText(run.runId, 'runId');
  if (typeof run.runId !== 'string' || run.runId.length === 0) throw new InvalidArgumentError('runId must be a non-empty string');
  checkText(run.workflowId, 'workflowId');
  checkText(run.resourceId, 'resourceId');
  checkText(run.concurrencyKey, 'concurrencyKey');
  checkText(run.owner, 'owner');
  checkText(run.fingerprint, 'fingerprint');
  checkInt(run.priority, 'priority', -INT32_MAX, INT32_MAX);
  checkMs(run.now, 'now');
  checkMs(run.leaseExpiresAt, 'leaseExpiresAt');
  if (run.labels !== undefined && run.labels !== null) checkLabels(run.labels);
  if (run.rerunOf) {
    checkText(run.rerunOf.runId, 'rerunOf.runId');
    checkText(run.rerunOf.step, 'rerunOf.step');
  }
}

/** Most labels a run or a filter may carry (each is one index row per run). */
export const MAX_LABELS = 64;

function checkLabels(text: unknown): void {
  let labels: unknown;
  try {
    labels = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    labels = undefined;
  }
  if (!Array.isArray(labels) || labels.length > MAX_LABELS) throw new InvalidArgumentError(`labels must be JSON text of an array of at most ${MAX_LABELS} strings`);
  for (const l of labels) {
    if (typeof l !== 'string') throw new InvalidArgumentError('labels must be strings');
    checkText(l, 'label');
  }
}

function checkEntry(e: JournalEntry): void {
  checkText(e.runId, 'runId');
  checkText(e.path, 'journal path');
  checkText(e.kind, 'journal kind');
  checkText(e.status, 'journal status');
  checkInt(e.attempt, 'attempt', 0, INT32_MAX);
  checkMs(e.startedAt, 'startedAt');
  checkMs(e.endedAt, 'endedAt');
  if (e.blobs !== undefined) {
    if (!Array.isArray(e.blobs)) throw new InvalidArgumentError('journal blobs must be an array');
    for (const b of e.blobs) {
      if (typeof b?.hash !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(b.hash)) throw new InvalidArgumentError('a blob hash must be 43 base64url characters (sha256)');
      // JSON text from the codec: never a lone surrogate or raw NUL (JSON.stringify escapes them).
      if (typeof b.data !== 'string') throw new InvalidArgumentError('blob data must be text');
    }
  }
}

function checkPatch(p: RunPatch): void {
  checkText(p.status, 'status');
  checkText(p.statusReason, 'statusReason');
  checkText(p.requestContext, 'requestContext');
  checkMs(p.wakeAt, 'wakeAt');
}

export function checkWriteOp(op: WriteOp): void {
  checkInt(op.epoch, 'epoch', 0, Number.MAX_SAFE_INTEGER);
  if (op.type === 'journal') {
    checkEntry(op.entry);
    return;
  }
  checkText(op.runId, 'runId');
  switch (op.type) {
    case 'run':
      checkMs(op.now, 'now');
      checkPatch(op.patch);
      return;
    case 'chunks':
      checkMs(op.now, 'now');
      if (!Array.isArray(op.chunks)) throw new InvalidArgumentError('chunks must be an array');
      for (const c of op.chunks) checkChunk(c);
      return;
    case 'stream-close':
      checkText(op.path, 'stream path');
      checkInt(op.attempt, 'attempt', 0, INT32_MAX);
      return;
    case 'stream-void':
      checkMs(op.now, 'now');
      checkText(op.path, 'stream path');
      checkInt(op.beforeAttempt, 'beforeAttempt', 0, INT32_MAX);
      if ((op.path === undefined) !== (op.beforeAttempt === undefined)) throw new InvalidArgumentError('a stream void names both path and beforeAttempt, or neither');
      return;
    default:
      throw new InvalidArgumentError(`unknown write op type ${JSON.stringify((op as { type?: unknown }).type)}`);
  }
}

function checkChunk(c: NewChunk): void {
  if (c === null || typeof c !== 'object') throw new InvalidArgumentError('a chunk must be an object');
  for (const [v, field] of [[c.path, 'chunk path'], [c.step, 'chunk step'], [c.type, 'chunk type'], [c.payload, 'chunk payload']] as const) {
    if (typeof v !== 'string') throw new InvalidArgumentError(`${field} must be a string`);
    checkText(v, field);
  }
  checkInt(c.attempt, 'attempt', 0, INT32_MAX);
}

/** Listing filters: a bad value is the caller's mistake, so it fails instead of matching nothing. */
export function checkListFilter(f: ListRunsFilter): void {
  checkText(f.workflowId, 'workflowId');
  checkText(f.resourceId, 'resourceId');
  for (const s of Array.isArray(f.status) ? f.status : f.status === undefined ? [] : [f.status]) checkText(s, 'status');
  checkMs(f.fromDate, 'fromDate');
  checkMs(f.toDate, 'toDate');
  checkText(f.runIdPrefix, 'runIdPrefix');
  if (f.before !== undefined) {
    if (f.before === null || typeof f.before !== 'object') throw new InvalidArgumentError('before must be { createdAt, runId }');
    checkMs(f.before.createdAt, 'before.createdAt');
    if (typeof f.before.runId !== 'string') throw new InvalidArgumentError('before.runId must be a string');
    checkText(f.before.runId, 'before.runId');
  }
  if (f.labels !== undefined) {
    if (!Array.isArray(f.labels) || f.labels.length > MAX_LABELS) throw new InvalidArgumentError(`labels must be an array of at most ${MAX_LABELS} strings`);
    for (const l of f.labels) {
      if (typeof l !== 'string') throw new InvalidArgumentError('labels must be strings');
      checkText(l, 'label');
    }
  }
  // Label listings page through the label index in its own order, which a (createdAt, runId) cursor
  // does not follow: they page by number.
  if (f.before !== undefined && f.labels?.length) {
    throw new InvalidArgumentError('a listing filtered by tags or metadata pages with page, not with a cursor');
  }
  if (f.page !== undefined && !(typeof f.page === 'number' && Number.isFinite(f.page) && f.page >= 0)) {
    throw new InvalidArgumentError('page must be a non-negative number');
  }
  if (f.perPage !== undefined && f.perPage !== null && !(typeof f.perPage === 'number' && Number.isFinite(f.perPage))) {
    throw new InvalidArgumentError('perPage must be a number');
  }
}

/** Store.scanRuns options: known statuses, a positive page size, storable ids. */
export function checkScan(o: ScanRunsOptions): void {
  if (!o || typeof o !== 'object') throw new InvalidArgumentError('scanRuns options must be an object');
  if (!Array.isArray(o.statuses) || o.statuses.length === 0 || !o.statuses.every(isRunStatus)) {
    throw new InvalidArgumentError('scanRuns statuses must be a non-empty list of run statuses');
  }
  if (o.after !== null && typeof o.after !== 'string') throw new InvalidArgumentError('after must be a run id or null');
  checkText(o.after, 'after');
  if (o.limit === undefined) throw new InvalidArgumentError('limit is required');
  checkInt(o.limit, 'limit', 1, 100_000);
  if (o.workflowIds !== undefined) {
    if (!Array.isArray(o.workflowIds)) throw new InvalidArgumentError('workflowIds must be a list');
    for (const id of o.workflowIds) checkText(id, 'workflowId');
  }
}

/** Store.pruneRuns requests (retention): a finished status, a time, a bounded batch. */
export function checkPrune(req: PruneRequest): void {
  checkText(req.workflowId, 'workflowId');
  if (req.status !== 'success' && req.status !== 'failed' && req.status !== 'canceled') throw new InvalidArgumentError('prune status must be success, failed or canceled');
  checkMs(req.before, 'before');
  checkInt(req.limit, 'limit', 1, 10_000);
}

export function checkClaim(opts: Pick<ClaimOptions, 'owner' | 'leaseMs' | 'now'>): void {
  checkText(opts.owner, 'owner');
  checkDuration(opts.leaseMs, 'leaseMs');
  checkMs(opts.now, 'now');
  if ('throttles' in opts) checkThrottles((opts as ClaimOptions).throttles);
}

/** An admission: its run as any NewRun (queued, unowned) and its flow fields (shared/flow-rules.ts). */
export function checkAdmission(req: FlowAdmission): void {
  if (!req || typeof req !== 'object') throw new InvalidArgumentError('admitRun needs a request object');
  checkNewRun(req.run);
  if (req.run.status !== 'pending' || req.run.owner !== null) throw new InvalidArgumentError('admitRun: the run must be pending and unowned');
  const problem = flowErrors(req);
  if (problem) throw new InvalidArgumentError(`admitRun: ${problem}`);
  for (const k of [req.idempotency?.key, req.rate?.key, req.singleton?.key, req.debounce?.key, req.batch?.key]) checkText(k, 'flow key');
}

/** Throttles of a claim: positive integer limits and periods. */
export function checkThrottles(t: ClaimOptions['throttles']): void {
  for (const [id, v] of Object.entries(t ?? {})) {
    if (!v || !(Number.isInteger(v.limit) && v.limit > 0) || !(Number.isFinite(v.periodMs) && v.periodMs > 0)) {
      throw new InvalidArgumentError(`throttle of workflow "${id}" must be { limit: positive integer, periodMs > 0 }`);
    }
  }
}

export function checkRevise(req: ReviseRequest): void {
  checkText(req.runId, 'runId');
  checkText(req.owner, 'owner');
  checkMs(req.now, 'now');
  checkMs(req.leaseExpiresAt, 'leaseExpiresAt');
  if (req.create) {
    checkNewRun(req.create);
    if (req.create.runId !== req.runId) throw new InvalidArgumentError('reviseRun: create.runId must be the run being revised');
  }
  if (req.journal) {
    checkText(req.journal.reason, 'reason');
    for (const e of req.journal.rows) {
      checkEntry(e);
      if (e.runId !== req.runId) throw new InvalidArgumentError('reviseRun: every journal row must belong to the run being revised');
    }
  }
}
