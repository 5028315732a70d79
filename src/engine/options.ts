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
  /** How long store calls are retried through connection loss before a run gives up. Default 5 min. */
  storeRetryMs?: number;
  /**
   * Events: an event sent while no run waits for it is kept for runs that reach a matching wait up to
   * `windowMs` after it was sent (default 1 hour; 0: only runs already waiting get it).
   */
  events?: { windowMs?: number };
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
  storeRetryMs: number;
  eventWindowMs: number;
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
    storeRetryMs: checkNonNegative(opts.storeRetryMs ?? 300_000, 'storeRetryMs'),
    eventWindowMs: checkNonNegative(eventsOption(opts.events).windowMs ?? 3_600_000, 'events.windowMs'),
    onError: opts.onError ?? ((err) => console.error('[weft]', err)),
    seams,
    asDefaultEngine,
    // Last: opening the default store creates a file, which must not happen for options that fail.
    store: opts.store ?? openDefaultStore(),
  };
}

function eventsOption(v: unknown): { windowMs?: number } {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError('events must be an object ({ windowMs? })');
  return v as { windowMs?: number };
}
