import type { WriteOp } from '../store/types.js';
import { testHooks, type CrashPointName, type LeaseLossKind } from './crash-points.js';

export type { CrashPointName, LeaseLossKind };

/**
 * Arms named crash points: when the engine passes point `name`, the process kills itself with SIGKILL
 * with the given probability. Used by the chaos tests to die inside a commit window.
 */
export function armCrashPoints(probabilities: Partial<Record<CrashPointName, number>>, random: () => number = Math.random): void {
  testHooks.crash = (name) => {
    const p = probabilities[name];
    if (p !== undefined && random() < p) process.kill(process.pid, 'SIGKILL');
  };
}

export function disarmCrashPoints(): void {
  testHooks.crash = null;
}

/** Observes every committed write batch (after the store transaction returned), without the ops fenced off. */
export function onCommitted(fn: ((ops: readonly WriteOp[]) => void) | null): void {
  testHooks.committed = fn;
}

/** Observes every time this process finds it lost a run's lease (fenced write, local expiry, renewal). */
export function onLeaseLost(fn: ((runId: string, kind: LeaseLossKind) => void) | null): void {
  testHooks.leaseLost = fn;
}

/**
 * Disarms the local lease guard of Weft instances created afterwards: a worker paused past its lease
 * then goes on until the store fences its writes. Only for tests of fencing itself.
 */
export function disarmLeaseGuard(): void {
  testHooks.leaseGuard = false;
}

/**
 * A clock tests can move by hand. `useClock(clock)` makes every Weft constructed afterwards read it for
 * run timestamps, lease expiry and durable timer wake times, so a test can let an hour-long sleep come
 * due without waiting for it. `useClock(null)` restores the wall clock for later Wefts.
 */
export function useClock(clock: FakeClock | null): void {
  testHooks.now = clock ? clock.now : null;
}

export class FakeClock {
  constructor(private t = Date.now()) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
  set(t: number): void {
    this.t = t;
  }
}
