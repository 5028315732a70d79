import type { AnyWorkflow } from '../define/workflow.js';
import { checkId, checkRunId } from '../domain/ids.js';
import { RUN_STATUSES, isRunStatus, isTerminal, type RunStatus } from '../domain/run-status.js';
import { InvalidArgumentError, WorkflowNotFoundError } from '../errors.js';
import type { ListRunsFilter, RunRecord } from '../store/types.js';
import { decodeCursor, encodeCursor } from './checks.js';
import { BULK_ACTIONS, type BulkAction, type BulkFilter, type BulkItemError, type BulkOptions, type BulkProgress } from '../domain/bulk.js';

export { BULK_ACTIONS };
export type { BulkAction, BulkFilter, BulkItemError, BulkOptions, BulkProgress };

/** A bulk in progress. */
export interface BulkHandle {
  /** A snapshot of the progress so far. */
  progress(): BulkProgress;
  /** Called after each batch (and once at the end); returns an unsubscribe function. */
  onProgress(listener: (p: BulkProgress) => void): () => void;
  /** Stops after the current batch; `done` then resolves with `stopped: true` and a cursor. */
  stop(): void;
  /** Resolves with the final progress; rejects only when the store fails for good. */
  readonly done: Promise<BulkProgress>;
}

/** What a bulk needs from the engine. */
export interface BulkDeps {
  listRuns(filter: ListRunsFilter): Promise<{ runs: RunRecord[]; total: number }>;
  loadRun(runId: string): Promise<RunRecord | null>;
  workflowById(id: string): AnyWorkflow | undefined;
  cancel(runId: string): Promise<unknown>;
  retry(wf: AnyWorkflow, runId: string): Promise<unknown>;
  resume(wf: AnyWorkflow, runId: string, resumeData: unknown): Promise<unknown>;
  delete(wf: AnyWorkflow | undefined, runId: string): Promise<boolean>;
  now(): number;
}

/** The statuses an action applies to: a run in any other status is skipped. */
const APPLIES_TO: Record<BulkAction, readonly RunStatus[]> = {
  cancel: RUN_STATUSES.filter((s) => !isTerminal(s)),
  resume: ['suspended', 'paused'],
  retry: ['failed'],
  delete: RUN_STATUSES,
};

const MAX_BATCH = 1000;
const MAX_RUN_IDS = 10_000;
/** Actions in flight at once within a batch: enough to overlap store round trips, few enough to leave the store to the workers. */
const PARALLEL = 8;
const MAX_ERRORS = 20;

function timeOf(v: number | Date | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const t = v instanceof Date ? v.getTime() : v;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new InvalidArgumentError(`${name} must be a date or epoch milliseconds`);
  return t;
}

interface CheckedBulk {
  action: BulkAction;
  base: ListRunsFilter;
  statuses: readonly RunStatus[];
  metadata?: [string, string | number | boolean][];
  runIds?: string[];
  batchSize: number;
  dryRun: boolean;
  resumeData: unknown;
  start?: { createdAt: number; runId: string };
}

/** Validates bulk options (every public entry point validates its input). */
export function checkBulkOptions(opts: unknown): CheckedBulk {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new InvalidArgumentError('bulk options must be an object');
  const o = opts as BulkOptions;
  const allowed = ['action', 'filter', 'resumeData', 'batchSize', 'dryRun', 'cursor'];
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new InvalidArgumentError(`unknown bulk option ${unknown.map((k) => `"${k}"`).join(', ')} (allowed: ${allowed.join(', ')})`);
  if (!BULK_ACTIONS.includes(o.action)) throw new InvalidArgumentError(`action must be one of ${BULK_ACTIONS.join(', ')}`);
  const f = (o.filter ?? {}) as BulkFilter;
  if (f === null || typeof f !== 'object' || Array.isArray(f)) throw new InvalidArgumentError('filter must be an object');
  const fields = ['workflowId', 'status', 'resourceId', 'fromDate', 'toDate', 'runIdPrefix', 'metadata', 'runIds'];
  const unknownF = Object.keys(f).filter((k) => !fields.includes(k));
  if (unknownF.length) throw new InvalidArgumentError(`unknown filter field ${unknownF.map((k) => `"${k}"`).join(', ')} (allowed: ${fields.join(', ')})`);
  const base: ListRunsFilter = {};
  if (f.workflowId !== undefined) {
    checkId(f.workflowId, 'workflowId');
    base.workflowId = f.workflowId;
  }
  if (f.resourceId !== undefined) {
    checkId(f.resourceId, 'resourceId');
    base.resourceId = f.resourceId;
  }
  if (f.runIdPrefix !== undefined) {
    checkId(f.runIdPrefix, 'runIdPrefix');
    base.runIdPrefix = f.runIdPrefix;
  }
  const from = timeOf(f.fromDate, 'fromDate');
  if (from !== undefined) base.fromDate = from;
  const to = timeOf(f.toDate, 'toDate');
  if (to !== undefined) base.toDate = to;
  const asked = f.status === undefined ? undefined : Array.isArray(f.status) ? f.status : [f.status];
  for (const s of asked ?? []) if (!isRunStatus(s)) throw new InvalidArgumentError(`status must be one of ${RUN_STATUSES.join(', ')} (got "${String(s)}")`);
  // Only statuses the action applies to are listed at all: `cancel` never walks finished runs.
  const statuses = (asked ?? APPLIES_TO[o.action]).filter((s) => APPLIES_TO[o.action].includes(s));
  if (statuses.length < RUN_STATUSES.length) base.status = [...statuses];
  let metadata: [string, string | number | boolean][] | undefined;
  if (f.metadata !== undefined) {
    if (f.metadata === null || typeof f.metadata !== 'object' || Array.isArray(f.metadata)) throw new InvalidArgumentError('metadata must be an object of values');
    metadata = Object.entries(f.metadata);
    for (const [k, v] of metadata) {
      if (!['string', 'number', 'boolean'].includes(typeof v)) throw new InvalidArgumentError(`metadata.${k} must be a string, number or boolean`);
    }
  }
  let runIds: string[] | undefined;
  if (f.runIds !== undefined) {
    if (!Array.isArray(f.runIds) || f.runIds.length > MAX_RUN_IDS) throw new InvalidArgumentError(`runIds must be an array of at most ${MAX_RUN_IDS} run ids`);
    for (const id of f.runIds) checkRunId(id);
    runIds = [...new Set(f.runIds)];
  }
  // Deleting is the one action that cannot be undone: an empty filter would delete every run.
  if (o.action === 'delete' && asked === undefined && Object.keys(base).length === 0 && !metadata && !runIds) {
    throw new InvalidArgumentError('a bulk delete needs a filter (a workflow, a status, a time range, a resource, metadata or run ids)');
  }
  const batchSize = o.batchSize ?? 100;
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= MAX_BATCH)) throw new InvalidArgumentError(`batchSize must be an integer from 1 to ${MAX_BATCH}`);
  if (o.dryRun !== undefined && typeof o.dryRun !== 'boolean') throw new InvalidArgumentError('dryRun must be a boolean');
  if (o.action !== 'resume' && o.resumeData !== undefined) throw new InvalidArgumentError('resumeData is for the resume action only');
  const out: CheckedBulk = { action: o.action, base, statuses, batchSize, dryRun: o.dryRun === true, resumeData: o.resumeData };
  if (metadata) out.metadata = metadata;
  if (runIds) out.runIds = runIds;
  if (o.cursor !== undefined) out.start = decodeCursor(o.cursor);
  return out;
}

function metadataMatches(run: RunRecord, wanted: [string, string | number | boolean][] | undefined): boolean {
  if (!wanted) return true;
  let meta: Record<string, unknown> | undefined;
  try {
    meta = run.tracing ? (JSON.parse(run.tracing) as { metadata?: Record<string, unknown> }).metadata : undefined;
  } catch {
    return false;
  }
  return wanted.every(([k, v]) => meta?.[k] === v);
}

function errorOf(runId: string, err: unknown): BulkItemError {
  const e = err as { code?: unknown; message?: unknown };
  return { runId, code: typeof e?.code === 'string' ? e.code : 'ERROR', message: typeof e?.message === 'string' ? e.message : String(err) };
}

/**
 * Runs a bulk action: lists the matching runs a batch at a time, newest first, with a keyset cursor
 * (so runs leaving the filter as they are acted on do not shift the pages), and acts on each through
 * the engine's ordinary commands. The walk is bounded by the time it began, so runs the action itself
 * creates or moves (a retried run) are never met twice. Between batches it yields to the event loop,
 * and within one at most PARALLEL actions are in flight: workers keep claiming and executing meanwhile.
 */
export function startBulk(deps: BulkDeps, opts: BulkOptions): BulkHandle {
  const c = checkBulkOptions(opts);
  const listeners = new Set<(p: BulkProgress) => void>();
  const progress: BulkProgress = { action: c.action, matched: 0, processed: 0, succeeded: 0, failed: 0, skipped: 0, done: false, stopped: false, dryRun: c.dryRun, errors: [] };
  let stopping = false;
  const snapshot = (): BulkProgress => ({ ...progress, errors: [...progress.errors] });
  const emit = () => {
    const p = snapshot();
    for (const l of listeners) l(p);
  };

  const act = async (run: RunRecord): Promise<void> => {
    if (!c.statuses.includes(run.status)) {
      progress.skipped++;
      return;
    }
    const wf = deps.workflowById(run.workflowId);
    try {
      if (c.action === 'cancel') await deps.cancel(run.runId);
      else if (c.action === 'delete') {
        if (!(await deps.delete(wf, run.runId))) {
          progress.skipped++;
          return;
        }
      } else {
        if (!wf) throw new WorkflowNotFoundError(run.workflowId);
        if (c.action === 'retry') await deps.retry(wf, run.runId);
        else await deps.resume(wf, run.runId, c.resumeData);
      }
      progress.succeeded++;
    } catch (err) {
      progress.failed++;
      if (progress.errors.length < MAX_ERRORS) progress.errors.push(errorOf(run.runId, err));
    }
  };

  const actOnBatch = async (runs: RunRecord[]): Promise<void> => {
    const wanted = runs.filter((r) => metadataMatches(r, c.metadata));
    progress.skipped += runs.length - wanted.length;
    if (c.dryRun) {
      // A dry run counts what the action would apply to.
      for (const r of wanted) {
        if (c.statuses.includes(r.status)) progress.succeeded++;
        else progress.skipped++;
      }
    } else {
      let next = 0;
      const lane = async () => {
        while (next < wanted.length) await act(wanted[next++]!);
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, wanted.length) }, lane));
    }
    progress.processed += runs.length;
  };

  const walkFilter = async (): Promise<void> => {
    // Bounded by the moment the bulk began: what it creates or re-dates is never met again.
    const bound = Math.min(c.base.toDate ?? Infinity, deps.now());
    const filter: ListRunsFilter = { ...c.base, toDate: bound, perPage: c.batchSize, ...(c.start ? { before: c.start } : {}) };
    for (let first = true; ; first = false) {
      const page = await deps.listRuns(filter);
      if (first) progress.matched = page.total;
      if (page.runs.length === 0) return;
      await actOnBatch(page.runs);
      const last = page.runs[page.runs.length - 1]!;
      filter.before = { createdAt: last.createdAt, runId: last.runId };
      progress.cursor = encodeCursor(last.createdAt, last.runId);
      emit();
      if (page.runs.length < c.batchSize) return;
      if (stopping) {
        progress.stopped = true;
        return;
      }
      await new Promise((r) => setImmediate(r));
    }
  };

  const walkIds = async (ids: string[]): Promise<void> => {
    progress.matched = ids.length;
    for (let i = 0; i < ids.length; i += c.batchSize) {
      const runs: RunRecord[] = [];
      const batch = ids.slice(i, i + c.batchSize);
      for (const id of batch) {
        const r = await deps.loadRun(id);
        const f = c.base;
        const keep =
          r !== null &&
          (f.workflowId === undefined || r.workflowId === f.workflowId) &&
          (f.resourceId === undefined || r.resourceId === f.resourceId) &&
          (f.runIdPrefix === undefined || r.runId.startsWith(f.runIdPrefix)) &&
          (f.fromDate === undefined || r.createdAt >= f.fromDate) &&
          (f.toDate === undefined || r.createdAt <= f.toDate);
        if (keep) runs.push(r);
        else progress.skipped++;
      }
      await actOnBatch(runs);
      progress.processed += batch.length - runs.length;
      emit();
      if (stopping && i + c.batchSize < ids.length) {
        progress.stopped = true;
        return;
      }
      await new Promise((r) => setImmediate(r));
    }
  };

  const done = (async () => {
    await (c.runIds ? walkIds(c.runIds) : walkFilter());
    progress.done = true;
    emit();
    return snapshot();
  })();
  // A caller that only polls progress() must not see an unhandled rejection.
  done.catch(() => {});

  return {
    progress: snapshot,
    onProgress(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopping = true;
    },
    done,
  };
}
