import { isTerminal } from '../../domain/run-status.js';
import type { AdmitOutcome, FlowAdmission, NewRun, RunRecord } from '../types.js';

export type { AdmitOutcome, FlowAdmission };

/**
 * Start-time flow control, written once for every store. The decision is a generator that yields the
 * reads and writes it needs (FlowOps) and receives their results: memory and SQLite drive it
 * synchronously inside their write transaction, PostgreSQL asynchronously inside a transaction that
 * holds the admission locks of the keys involved. So the rules are the same everywhere and only the
 * primitives differ.
 *
 * Order of application (docs/operations.md "Flow control"):
 *   1. idempotency window: a key seen within its TTL returns that start's run, nothing else happens;
 *   2. run id: an id that exists returns that run (as createRun does);
 *   3. rate limit (skip mode): over the limit, the run is recorded canceled with the reason;
 *   4. singleton: a live run of the key skips this start (recorded canceled) or is canceled by it;
 *   5. debounce / batch: the start joins the open run of its key, or opens one (a waiting run);
 *   6. otherwise a pending run. Throttle (and rate limit with queue) are recorded here and applied when
 *      a worker claims the run, before the concurrency limit and in priority order.
 */
export type FlowKind = 'idem' | 'single' | 'debounce' | 'batch';

/** One row of flow_keys: which run holds a key of a kind, since when, until when, how many starts. */
export interface FlowKeyRow {
  workflowId: string;
  kind: FlowKind;
  key: string;
  runId: string;
  openedAt: number;
  expiresAt: number | null;
  size: number;
}

/** How the run is inserted: the NewRun plus the fields a plain create does not set. */
export interface InsertShape {
  status: 'pending' | 'waiting' | 'canceled';
  wakeAt: number | null;
  statusReason: string | null;
}

/** The primitives a store provides, all inside one transaction. */
export interface FlowOps {
  run(runId: string): RunRecord | null;
  key(workflowId: string, kind: FlowKind, key: string): FlowKeyRow | null;
  putKey(row: FlowKeyRow): void;
  dropKey(workflowId: string, kind: FlowKind, key: string): void;
  /** Inserts the run (its id is known not to exist); returns the stored record. */
  insertRun(run: NewRun, shape: InsertShape): RunRecord;
  /**
   * Only when the run is still waiting and unclaimed: replaces its input (debounce) or appends to its
   * array input (batch), and moves its wake time (null: keeps it). Null when a worker took it already.
   */
  mergeInput(runId: string, mode: 'replace' | 'append', item: string, wakeAt: number | null, now: number): RunRecord | null;
  /** Cancels a live run (epoch bumped, owner released so it is fenced); false if it was terminal. */
  cancel(runId: string, reason: string, now: number): boolean;
  /** Rate windows: runs of (workflow, key) started after `since`. */
  countStarts(workflowId: string, key: string, since: number): number;
  /** Records a run under its rate key: started now (skip mode) or to be started at claim (null). */
  addFlowRun(runId: string, workflowId: string, key: string, startedAt: number | null): void;
  /** Forgets the starts of (workflow, key) at or before `before`: outside every window from now on. */
  pruneStarts(workflowId: string, key: string, before: number): void;
}

type Op = { [K in keyof FlowOps]: { name: K; args: Parameters<FlowOps[K]> } }[keyof FlowOps];
type Steps<T> = Generator<Op, T, unknown>;

function* call<K extends keyof FlowOps>(name: K, ...args: Parameters<FlowOps[K]>): Steps<ReturnType<FlowOps[K]>> {
  return (yield { name, args } as Op) as ReturnType<FlowOps[K]>;
}

/** The admission's input as an item of a batch (JSON text; an absent input is null). */
function itemOf(run: NewRun): string {
  return run.input ?? 'null';
}

/** The decision, as a sequence of store operations (see the module comment for the order). */
export function* admitSteps(req: FlowAdmission, now: number): Steps<AdmitOutcome> {
  const run = req.run;
  const wf = run.workflowId;
  const idem = req.idempotency;
  if (idem) {
    const row = yield* call('key', wf, 'idem', idem.key);
    if (row && (row.expiresAt ?? Infinity) > now) {
      const held = yield* call('run', row.runId);
      if (held) return { kind: 'existing', run: held };
    }
  }
  const same = yield* call('run', run.runId);
  if (same) return { kind: 'existing', run: same };

  // Every start that makes or joins a run records it under its idempotency key.
  function* remember(runId: string): Steps<void> {
    if (idem) yield* call('putKey', { workflowId: wf, kind: 'idem', key: idem.key, runId, openedAt: now, expiresAt: now + idem.ttlMs, size: 1 });
  }
  function* skip(reason: string): Steps<AdmitOutcome> {
    const rec = yield* call('insertRun', run, { status: 'canceled', wakeAt: null, statusReason: reason });
    yield* remember(rec.runId);
    return { kind: 'skipped', run: rec, reason };
  }

  const rate = req.rate;
  if (rate && !rate.queue) {
    yield* call('pruneStarts', wf, rate.key, now - rate.periodMs);
    const n = yield* call('countStarts', wf, rate.key, now - rate.periodMs);
    if (n >= rate.limit) return yield* skip(`skipped: rate limit of ${rate.limit} per ${rate.periodMs} ms reached for key "${rate.key}"`);
  }

  let canceled: string | undefined;
  const single = req.singleton;
  if (single) {
    const row = yield* call('key', wf, 'single', single.key);
    const live = row ? yield* call('run', row.runId) : null;
    if (live && !isTerminal(live.status)) {
      if (single.mode === 'skip') return yield* skip(`skipped: singleton key "${single.key}" is held by run ${live.runId}`);
      const reason = `canceled: replaced by run ${run.runId} (singleton key "${single.key}")`;
      if (yield* call('cancel', live.runId, reason, now)) canceled = live.runId;
    }
  }

  // A rate-limited run counts when it is created (skip mode) or when first claimed (queue mode).
  function* created(rec: RunRecord): Steps<AdmitOutcome> {
    if (rate) yield* call('addFlowRun', rec.runId, wf, rate.key, rate.queue ? null : now);
    if (single) yield* call('putKey', { workflowId: wf, kind: 'single', key: single.key, runId: rec.runId, openedAt: now, expiresAt: null, size: 1 });
    yield* remember(rec.runId);
    return canceled ? { kind: 'created', run: rec, canceled } : { kind: 'created', run: rec };
  }

  const deb = req.debounce;
  if (deb) {
    const row = yield* call('key', wf, 'debounce', deb.key);
    const cap = (openedAt: number) => (deb.maxWaitMs === undefined ? Infinity : openedAt + deb.maxWaitMs);
    if (row) {
      const merged = yield* call('mergeInput', row.runId, 'replace', itemOf(run), Math.min(now + deb.periodMs, cap(row.openedAt)), now);
      if (merged) {
        yield* remember(merged.runId);
        return { kind: 'merged', run: merged };
      }
    }
    const rec = yield* call('insertRun', run, { status: 'waiting', wakeAt: Math.min(now + deb.periodMs, cap(now)), statusReason: null });
    yield* call('putKey', { workflowId: wf, kind: 'debounce', key: deb.key, runId: rec.runId, openedAt: now, expiresAt: null, size: 1 });
    return yield* created(rec);
  }

  const batch = req.batch;
  if (batch) {
    const row = yield* call('key', wf, 'batch', batch.key);
    if (row && row.size < batch.maxSize) {
      const full = row.size + 1 >= batch.maxSize;
      const merged = yield* call('mergeInput', row.runId, 'append', itemOf(run), full ? now : null, now);
      if (merged) {
        if (full) yield* call('dropKey', wf, 'batch', batch.key);
        else yield* call('putKey', { ...row, size: row.size + 1 });
        yield* remember(merged.runId);
        return { kind: 'merged', run: merged };
      }
    }
    const full = batch.maxSize <= 1;
    const rec = yield* call('insertRun', { ...run, input: `[${itemOf(run)}]` }, {
      status: 'waiting',
      wakeAt: full ? now : now + batch.timeoutMs,
      statusReason: null,
    });
    if (full) yield* call('dropKey', wf, 'batch', batch.key);
    else yield* call('putKey', { workflowId: wf, kind: 'batch', key: batch.key, runId: rec.runId, openedAt: now, expiresAt: null, size: 1 });
    return yield* created(rec);
  }

  return yield* created(yield* call('insertRun', run, { status: 'pending', wakeAt: null, statusReason: null }));
}

/** A batch run's input (a JSON array as text) with one more item at its end. */
export function appendItem(input: string | null, item: string): string {
  const arr = input ?? '[]';
  return arr === '[]' ? `[${item}]` : `${arr.slice(0, -1)},${item}]`;
}

/** Drives the decision with synchronous primitives (memory, SQLite inside its transaction). */
export function admitSync(ops: FlowOps, req: FlowAdmission, now: number): AdmitOutcome {
  const steps = admitSteps(req, now);
  let next = steps.next();
  while (!next.done) {
    const op = next.value;
    next = steps.next((ops[op.name] as (...a: unknown[]) => unknown)(...op.args));
  }
  return next.value;
}

export type AsyncFlowOps = { [K in keyof FlowOps]: (...args: Parameters<FlowOps[K]>) => Promise<ReturnType<FlowOps[K]>> };

/** Drives the decision with asynchronous primitives (PostgreSQL, inside its transaction). */
export async function admitAsync(ops: AsyncFlowOps, req: FlowAdmission, now: number): Promise<AdmitOutcome> {
  const steps = admitSteps(req, now);
  let next = steps.next();
  while (!next.done) {
    const op = next.value;
    next = steps.next(await (ops[op.name] as (...a: unknown[]) => Promise<unknown>)(...op.args));
  }
  return next.value;
}

/** The lock names an admission takes (PostgreSQL), sorted so two admissions never wait on each other in a cycle. */
export function admissionLocks(req: FlowAdmission): string[] {
  const out = new Set<string>();
  if (req.idempotency) out.add(`idem:${req.idempotency.key}`);
  if (req.rate && !req.rate.queue) out.add(`rate:${req.rate.key}`);
  if (req.singleton) out.add(`single:${req.singleton.key}`);
  if (req.debounce) out.add(`debounce:${req.debounce.key}`);
  if (req.batch) out.add(`batch:${req.batch.key}`);
  return [...out].sort();
}

/** Checks an admission's flow fields (the run itself is checked like any NewRun). */
export function flowErrors(req: FlowAdmission): string | null {
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const posMs = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const keyOk = (k: unknown) => typeof k === 'string' && !k.includes('\u0000');
  if (req.idempotency && !(keyOk(req.idempotency.key) && posMs(req.idempotency.ttlMs))) return 'idempotency needs { key, ttlMs > 0 }';
  if (req.rate && !(keyOk(req.rate.key) && posInt(req.rate.limit) && posMs(req.rate.periodMs))) return 'rate needs { key, limit, periodMs }';
  if (req.singleton && !(keyOk(req.singleton.key) && (req.singleton.mode === 'skip' || req.singleton.mode === 'cancel'))) return 'singleton needs { key, mode }';
  const d = req.debounce;
  if (d && !(keyOk(d.key) && posMs(d.periodMs) && (d.maxWaitMs === undefined || posMs(d.maxWaitMs)))) return 'debounce needs { key, periodMs, maxWaitMs? }';
  const b = req.batch;
  if (b && !(keyOk(b.key) && posInt(b.maxSize) && posMs(b.timeoutMs))) return 'batch needs { key, maxSize, timeoutMs }';
  if (d && b) return 'debounce and batch cannot be combined';
  return null;
}
