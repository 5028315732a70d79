import { InvalidArgumentError } from '../../errors.js';
import { isSettled } from '../../domain/run-status.js';
import type { ListRunsFilter, NewRun, RunPatch, RunRecord } from '../types.js';

/**
 * Rules every store applies the same way. The SQL stores express them in their queries; the memory
 * store calls these directly. The contract suite checks both agree.
 */

/** A run can be claimed when nobody live owns it and it has something to do now. */
export function isClaimable(r: RunRecord, now: number): boolean {
  if (r.status === 'pending') return true;
  if (r.status === 'running') return r.owner === null || (r.leaseExpiresAt ?? 0) <= now;
  if (r.status === 'waiting') return r.wakeAt !== null && r.wakeAt <= now;
  return false;
}

/**
 * A settled run its owner has not released yet, with that owner's lease expired: the owner died before
 * recording the work it does after an outcome (lifecycle callbacks), so another worker may take it.
 */
export function isUnreleased(r: RunRecord, now: number): boolean {
  return r.owner !== null && isSettled(r.status) && (r.leaseExpiresAt ?? 0) <= now;
}

export function applyRunPatch(r: RunRecord, patch: RunPatch, now: number): void {
  if (patch.status !== undefined) r.status = patch.status;
  if (patch.state !== undefined) r.state = patch.state;
  if (patch.result !== undefined) r.result = patch.result;
  if (patch.error !== undefined) r.error = patch.error;
  if (patch.wakeAt !== undefined) r.wakeAt = patch.wakeAt;
  if (patch.statusReason !== undefined) r.statusReason = patch.statusReason;
  if (patch.requestContext !== undefined) r.requestContext = patch.requestContext;
  if (patch.release) {
    r.owner = null;
    r.leaseExpiresAt = null;
  }
  r.updatedAt = now;
}

export function matchesFilter(r: RunRecord, f: ListRunsFilter): boolean {
  if (f.workflowId !== undefined && r.workflowId !== f.workflowId) return false;
  if (f.status !== undefined) {
    if (Array.isArray(f.status) ? !f.status.includes(r.status) : r.status !== f.status) return false;
  }
  if (f.resourceId !== undefined && r.resourceId !== f.resourceId) return false;
  if (f.fromDate !== undefined && r.createdAt < f.fromDate) return false;
  if (f.toDate !== undefined && r.createdAt > f.toDate) return false;
  if (f.runIdPrefix !== undefined && !r.runId.startsWith(f.runIdPrefix)) return false;
  return true;
}

/** Whether `r` lists after the cursor (createdAt, then runId, both descending). */
export function isAfterCursor(r: RunRecord, c: { createdAt: number; runId: string } | undefined): boolean {
  return c === undefined || r.createdAt < c.createdAt || (r.createdAt === c.createdAt && r.runId < c.runId);
}

/** Whether a listing's total can come from per-(workflow, status) counts rather than counting rows. */
export function isCountable(f: ListRunsFilter): boolean {
  return f.resourceId === undefined && f.fromDate === undefined && f.toDate === undefined && f.runIdPrefix === undefined && !f.labels?.length;
}

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 1000;

/** perPage null means "no paging" (only the memory store allows it, for tests). */
export function normalisePage(f: ListRunsFilter): { offset: number; perPage: number } {
  const perPage = Math.min(Math.max(1, Math.floor(f.perPage ?? DEFAULT_PER_PAGE)), MAX_PER_PAGE);
  const page = Math.max(0, Math.floor(f.page ?? 0));
  const offset = page * perPage;
  // Beyond this the offset is no longer an exact integer (and soon out of BIGINT): a caller's mistake.
  if (!Number.isSafeInteger(offset)) throw new InvalidArgumentError('page is out of range');
  return { offset, perPage };
}

/**
 * The row a store writes for a new run, as every store returns it: stores build it from the input
 * instead of reading the row back (a RETURNING of every column, input payload included).
 */
export function insertedRecord(run: NewRun): RunRecord {
  return {
    runId: run.runId,
    workflowId: run.workflowId,
    status: run.status,
    resourceId: run.resourceId ?? null,
    input: run.input ?? null,
    state: run.state ?? null,
    result: null,
    error: null,
    requestContext: run.requestContext ?? null,
    tracing: run.tracing ?? null,
    statusReason: null,
    owner: run.owner ?? null,
    leaseEpoch: 1,
    leaseExpiresAt: run.owner ? (run.leaseExpiresAt ?? null) : null,
    wakeAt: null,
    priority: run.priority ?? 0,
    concurrencyKey: run.concurrencyKey ?? null,
    options: run.options ?? null,
    fingerprint: run.fingerprint ?? null,
    parentRunId: run.parent?.runId ?? null,
    createdAt: run.now,
    updatedAt: run.now,
  };
}

/**
 * A new run's column values in insert order (id, workflow_id, status, resource_id, input, state,
 * request_context, tracing, owner, lease_expires_at, priority, concurrency_key, created_at, options,
 * fingerprint, labels, rerun_of, rerun_step, parent_run_id, parent_path),
 * shared by the SQL stores so both write the same row for the same NewRun.
 */
export function newRunValues(run: NewRun): unknown[] {
  return [
    run.runId,
    run.workflowId,
    run.status,
    run.resourceId ?? null,
    run.input ?? null,
    run.state ?? null,
    run.requestContext ?? null,
    run.tracing ?? null,
    run.owner ?? null,
    run.owner ? (run.leaseExpiresAt ?? null) : null,
    run.priority ?? 0,
    run.concurrencyKey ?? null,
    run.now,
    run.options ?? null,
    run.fingerprint ?? null,
    run.labels ?? null,
    run.rerunOf?.runId ?? null,
    run.rerunOf?.step ?? null,
    run.parent?.runId ?? null,
    run.parent?.path ?? null,
  ];
}
