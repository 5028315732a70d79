import type { WriteOp } from '../store/types.js';

/**
 * Test seams: what tests need to observe or steer inside one engine (its clock, crash points, commit
 * and lease-loss observers). They belong to one Weft instance and travel down through the host
 * interfaces (worker, group committer, interpreter), so two engines in one process never share them.
 * Production engines get NO_SEAMS: every hook is a null check. `weft/testing` builds them.
 */
export type CrashPointName =
  | 'commit:before'
  | 'commit:after'
  | 'run:created'
  | 'step:before'
  | 'claim:after'
  /** An outcome with lifecycle callbacks is committed; its callbacks are about to be called. */
  | 'callback:before'
  /** The callbacks returned; their record (the run's release) is not written yet. */
  | 'callback:after'
  /** A failed outcome's onFailure run was created; the outcome's record is not written yet. */
  | 'failure-run:started'
  /** A cancel's write (the run canceled and held) committed; its children are not canceled yet. */
  | 'cancel:committed';

/**
 * How a process learned that it no longer owns a run: 'fenced' (the store rejected a write: the epoch
 * moved on), 'expired' (its lease ran out by the local clock, e.g. after a pause), 'renew' (a lease
 * renewal reported the run gone: taken over or canceled).
 */
export type LeaseLossKind = 'fenced' | 'expired' | 'renew';

export interface Seams {
  /** The clock the engine reads for timestamps, leases and timers. */
  readonly now: () => number;
  /** Called at each named crash point (a chaos test kills the process there). */
  readonly crash: ((name: CrashPointName) => void) | null;
  /** Observes every committed write batch, without the ops that were fenced off. */
  readonly committed: ((ops: readonly WriteOp[]) => void) | null;
  /** Observes every time this engine finds it lost a run's lease. */
  readonly leaseLost: ((runId: string, kind: LeaseLossKind) => void) | null;
  /** False disarms the local lease guard (tests of the store's fencing itself). */
  readonly leaseGuard: boolean;
}

export const NO_SEAMS: Seams = Object.freeze({ now: Date.now, crash: null, committed: null, leaseLost: null, leaseGuard: true });

/**
 * The key under which `weft/testing` attaches seams to WeftOptions. A symbol, so it never shows in
 * the options a user writes or in their types, and production code cannot set it by accident.
 */
export const SEAMS_KEY: unique symbol = Symbol.for('weft.testSeams');
