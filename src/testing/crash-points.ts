import type { WriteOp } from '../store/types.js';

/**
 * Test seams that ship as code rather than as production options. In production nothing is armed:
 * each hook is one null check. Chaos tests arm them from `weft/testing` in a child process.
 */
export type CrashPointName =
  | 'commit:before'
  | 'commit:after'
  | 'run:created'
  | 'step:before'
  | 'claim:after';

/**
 * How a process learned that it no longer owns a run: 'fenced' (the store rejected a write: the epoch
 * moved on), 'expired' (its lease ran out by the local clock, e.g. after a pause), 'renew' (a lease
 * renewal reported the run gone: taken over or canceled).
 */
export type LeaseLossKind = 'fenced' | 'expired' | 'renew';

type Hooks = {
  crash: ((name: CrashPointName) => void) | null;
  committed: ((ops: readonly WriteOp[]) => void) | null;
  leaseLost: ((runId: string, kind: LeaseLossKind) => void) | null;
  /** False disarms the local lease guard (tests that need a zombie to reach the store's fencing). */
  leaseGuard: boolean;
  /** The clock a Weft reads when it is constructed (null: Date.now). Read once, so production pays nothing. */
  now: (() => number) | null;
};

export const testHooks: Hooks = { crash: null, committed: null, leaseLost: null, leaseGuard: true, now: null };

export function crashPoint(name: CrashPointName): void {
  if (testHooks.crash !== null) testHooks.crash(name);
}
