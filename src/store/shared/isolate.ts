import { StoreError, WeftError } from '../../errors.js';
import { runIdOf, type NewRun, type RunRecord, type SettledCreate, type WriteOp, type WriteOutcome } from '../types.js';
import { checkNewRun, checkWriteOp } from './validate.js';

/**
 * Failure isolation for group-committed batches (Store.createRunsSettled and Store.writeSettled).
 *
 * A batch is one transaction, so one operation the database refuses (bad data, a constraint) used to
 * fail every other caller in it. The settled variants first check each operation (validate.ts: those
 * never reach the database), then apply the rest as one batch; if that fails for a reason that is not
 * retryable, they split the batch in halves and apply each, down to single units, so the bad unit fails
 * alone and everything else is committed. Each sub-batch is its own atomic transaction, so a split never
 * leaves half a unit behind. The unit for writes is a run (all of its ops in the batch, in order): a
 * run's journal rows and its status change are committed together or not at all.
 */

/** Errors that say nothing about the batch's data: splitting the batch would fail every half the same way. */
const ENVIRONMENT_CODES = new Set(['STORE_CLOSED', 'STORE_UNAVAILABLE', 'STORE_CONFIG', 'STORE_VERSION', 'STORE_MIGRATION', 'STORE_CORRUPT']);

function isRetryable(err: unknown): boolean {
  return err instanceof StoreError && err.retryable;
}

function isEnvironmental(err: unknown): boolean {
  return err instanceof WeftError && ENVIRONMENT_CODES.has(err.code);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new StoreError('the store failed', { cause: err });
}

/**
 * Applies `units` through `apply`, splitting on failure. Returns the results of the sub-batches that
 * committed; `failed` is called once per unit that could not be. A retryable error before anything was
 * committed is thrown (the caller retries the whole batch); after a split has committed some units, it is
 * reported per remaining unit instead, since retrying the whole batch would apply those units twice.
 */
export async function applyIsolated<U, R>(
  units: U[],
  apply: (units: U[]) => Promise<R>,
  failed: (unit: U, err: Error) => void,
): Promise<R[]> {
  const out: R[] = [];
  let committed = false;
  const step = async (part: U[]): Promise<void> => {
    try {
      out.push(await apply(part));
      committed = true;
    } catch (err) {
      const global = isRetryable(err) || isEnvironmental(err);
      // Nothing committed yet: the caller can retry (or fail) the whole batch without doubling anything.
      if (global && !committed) throw err;
      if (global || part.length === 1) {
        for (const u of part) failed(u, asError(err));
        return;
      }
      const mid = Math.ceil(part.length / 2);
      await step(part.slice(0, mid));
      await step(part.slice(mid));
    }
  };
  if (units.length > 0) await step(units);
  return out;
}

/** createRunsSettled on top of a store's atomic createRuns. */
export async function createRunsSettled(
  runs: NewRun[],
  createRuns: (runs: NewRun[]) => Promise<{ created: boolean; run: RunRecord }[]>,
): Promise<SettledCreate[]> {
  const out: SettledCreate[] = new Array(runs.length);
  const valid: number[] = [];
  runs.forEach((r, i) => {
    try {
      checkNewRun(r);
      valid.push(i);
    } catch (err) {
      out[i] = { error: asError(err) };
    }
  });
  await applyIsolated(
    valid,
    async (idx) => {
      const res = await createRuns(idx.map((i) => runs[i]!));
      idx.forEach((i, k) => (out[i] = res[k]!));
    },
    (i, error) => (out[i] = { error }),
  );
  return out;
}

/** A batch's ops grouped by run, each run's ops in their original order; invalid runs are set apart. */
export function groupByRun(ops: WriteOp[]): { groups: WriteOp[][]; invalid: { runId: string; error: Error }[] } {
  const byRun = new Map<string, WriteOp[]>();
  const bad = new Map<string, Error>();
  for (const op of ops) {
    const runId = runIdOf(op);
    if (bad.has(runId)) continue;
    try {
      checkWriteOp(op);
    } catch (err) {
      bad.set(runId, asError(err));
      byRun.delete(runId);
      continue;
    }
    const list = byRun.get(runId);
    if (list) list.push(op);
    else byRun.set(runId, [op]);
  }
  return { groups: [...byRun.values()], invalid: [...bad].map(([runId, error]) => ({ runId, error })) };
}

/** One outcome for a settled write: the committed sub-batches' outcomes plus the runs that failed alone. */
export function mergeOutcomes(parts: WriteOutcome[], failed: { runId: string; error: Error }[]): WriteOutcome {
  const fenced = parts.flatMap((p) => p.fenced);
  const deferred = parts.flatMap((p) => p.deferred ?? []);
  return { fenced, ...(failed.length ? { failed } : {}), ...(deferred.length ? { deferred } : {}) };
}

/**
 * writeSettled for a store: invalid runs fail alone, the rest goes through `apply` (the store's atomic
 * batch write) with splitting on failure.
 */
export async function writeSettled(ops: WriteOp[], apply: (ops: WriteOp[]) => Promise<WriteOutcome>): Promise<WriteOutcome> {
  const { groups, invalid } = groupByRun(ops);
  const failed = [...invalid];
  const parts = await applyIsolated(groups, (gs) => apply(gs.flat()), (g, error) => failed.push({ runId: runIdOf(g[0]!), error }));
  return mergeOutcomes(parts, failed);
}
