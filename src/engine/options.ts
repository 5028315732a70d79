import type { WorkflowRuntime } from '../define/runtime.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { InvalidArgumentError } from '../errors.js';
import type { Store } from '../store/types.js';
import { NO_SEAMS, SEAMS_KEY, type Seams } from '../worker/seams.js';
import { checkNonNegative, checkPositive, checkWorkerOptions, type WorkerSettings } from './checks.js';
import { openDefaultStore } from './default-store.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './payload.js';

export interface WeftOptions {
  /** Registry: key -> committed workflow. */
  workflows?: Record<string, AnyWorkflow>;
  /** Defaults to sqliteStore({ path: '.weft/weft.db' }). */
  store?: Store;
  /** How this process executes runs; `false` makes it a pure client that never executes. */
  worker?:
    | false
    | {
        concurrency?: number;
        /** How long a claimed run stays this process's without a renewal (default 15 000). */
        leaseMs?: number;
        /** Fallback polling interval (default 1000); notifications and timers wake the worker sooner. */
        pollMs?: number;
        /** Lease renewal interval (default leaseMs / 3, at most 1000 without store notifications). */
        renewMs?: number;
        /** How often workflows' retention policies are applied (default 60 000; docs/operations.md "Retention"). */
        pruneEveryMs?: number;
        /** Runs deleted per retention batch, one short transaction each (default 100). */
        pruneBatch?: number;
      };
  /** Largest JSON payload (input, output, state) accepted, in bytes. Default 16 MiB. */
  maxPayloadBytes?: number;
  /** Sleeps and retry delays up to this many ms wait in process; longer ones park the run. Default 5000. */
  inProcessSleepMs?: number;
  /**
   * How step inputs and outputs are stored (docs/durability.md, "Storage model"). Values whose JSON
   * reaches `inlineBytes` (default 1024) are stored by content: their large parts (objects, arrays and
   * strings of at least `inlineBytes`) become blobs of the run written once, and long arrays are cut into
   * parts of `arrayChunk` elements (default 64), so a value that grows each step costs what it gained.
   * Smaller values are plain JSON in the row, as always.
   */
  values?: { inlineBytes?: number; arrayChunk?: number };
  /**
   * Per-run budget for the bytes of blob data a run stores. A step whose output would exceed it fails
   * with RUN_BUDGET_EXCEEDED (not retried). Default 1 GiB; `null` for no budget.
   */
  maxRunBytes?: number | null;
  /**
   * How many iterations of a `dowhile`/`dountil` keep their recorded outputs for inspection (default
   * 20). Older iterations' inputs and outputs are compacted away as the loop goes on: recovery needs only
   * the latest iteration and the recorded loop decisions. `Infinity` keeps them all.
   */
  loopHistory?: number;
  /** How long store calls are retried through connection loss before a run gives up. Default 5 min. */
  storeRetryMs?: number;
  /**
   * Events: an event sent while no run waits for it is kept for runs that reach a matching wait up to
   * `windowMs` after it was sent (default 1 hour; 0: only runs already waiting get it). Workers' retention
   * deletes stored events once nothing can take them: after `max(windowMs, keepMs)`, or `keepMs` after
   * the run an event was sent to took it (default 1 hour). Within `keepMs` a resend with the same `id`
   * does nothing (docs/operations.md, "Retention").
   */
  events?: { windowMs?: number; keepMs?: number };
  /** Called with background errors (a failed poll, a lost connection). Default: console.error. */
  onError?: (err: unknown) => void;
}

/** WeftOptions with every default filled in and every value checked. */
export interface ResolvedOptions {
  workflows: Record<string, AnyWorkflow>;
  store: Store;
  worker: WorkerSettings | null;
  maxPayloadBytes: number;
  inProcessSleepMs: number;
  values: { inlineBytes: number; arrayChunk: number };
  maxRunBytes: number | null;
  loopHistory: number;
  storeRetryMs: number;
  eventWindowMs: number;
  /** How long a stored event is kept at least (events.keepMs). */
  eventKeepMs: number;
  onError: (err: unknown) => void;
  seams: Seams;
  /** Set only for the process-wide default engine: it receives the engine's runtime and binds nothing. */
  asDefaultEngine: ((runtime: WorkflowRuntime) => void) | null;
}

/**
 * The key under which default-engine.ts marks the one default engine's options. A symbol, so it is not
 * part of WeftOptions' public type.
 */
export const DEFAULT_ENGINE_KEY: unique symbol = Symbol('weft.defaultEngine');

export const DEFAULT_INLINE_BYTES = 1024;
export const DEFAULT_ARRAY_CHUNK = 64;
export const DEFAULT_MAX_RUN_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_LOOP_HISTORY = 20;

function checkLoopHistory(v: unknown): number {
  if (v === Infinity || (typeof v === 'number' && Number.isInteger(v) && v >= 1)) return v;
  throw new InvalidArgumentError('loopHistory must be a positive integer or Infinity');
}

function checkValues(v: WeftOptions['values']): ResolvedOptions['values'] {
  if (v !== undefined && (v === null || typeof v !== 'object')) throw new InvalidArgumentError('values must be an object');
  const inlineBytes = checkPositive(v?.inlineBytes ?? DEFAULT_INLINE_BYTES, 'values.inlineBytes');
  const arrayChunk = checkPositive(v?.arrayChunk ?? DEFAULT_ARRAY_CHUNK, 'values.arrayChunk');
  if (!Number.isInteger(arrayChunk) || arrayChunk < 2) throw new InvalidArgumentError('values.arrayChunk must be an integer of at least 2');
  return { inlineBytes, arrayChunk };
}

export function resolveOptions(opts: WeftOptions): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('Weft options must be an object');
  if (opts.workflows !== undefined && (opts.workflows === null || typeof opts.workflows !== 'object')) {
    throw new InvalidArgumentError('workflows must be an object of key -> workflow');
  }
  if (opts.onError !== undefined && typeof opts.onError !== 'function') throw new InvalidArgumentError('onError must be a function');
  const seams = (opts as { [SEAMS_KEY]?: Seams })[SEAMS_KEY] ?? NO_SEAMS;
  const asDefaultEngine = (opts as { [DEFAULT_ENGINE_KEY]?: (runtime: WorkflowRuntime) => void })[DEFAULT_ENGINE_KEY] ?? null;
  return {
    workflows: opts.workflows ?? {},
    worker: opts.worker === false ? null : checkWorkerOptions(opts.worker),
    maxPayloadBytes: checkPositive(opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES, 'maxPayloadBytes'),
    inProcessSleepMs: checkNonNegative(opts.inProcessSleepMs ?? 5000, 'inProcessSleepMs'),
    values: checkValues(opts.values),
    maxRunBytes: opts.maxRunBytes === null ? null : checkPositive(opts.maxRunBytes ?? DEFAULT_MAX_RUN_BYTES, 'maxRunBytes'),
    loopHistory: checkLoopHistory(opts.loopHistory ?? DEFAULT_LOOP_HISTORY),
    storeRetryMs: checkNonNegative(opts.storeRetryMs ?? 300_000, 'storeRetryMs'),
    eventWindowMs: checkNonNegative(eventsOption(opts.events).windowMs ?? 3_600_000, 'events.windowMs'),
    eventKeepMs: checkNonNegative(eventsOption(opts.events).keepMs ?? 3_600_000, 'events.keepMs'),
    onError: opts.onError ?? ((err) => console.error('[weft]', err)),
    seams,
    asDefaultEngine,
    // Last: opening the default store creates a file, which must not happen for options that fail.
    store: opts.store ?? openDefaultStore(),
  };
}

function eventsOption(v: unknown): { windowMs?: number; keepMs?: number } {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError('events must be an object ({ windowMs?, keepMs? })');
  return v as { windowMs?: number; keepMs?: number };
}
