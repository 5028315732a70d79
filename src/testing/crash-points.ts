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

type Hooks = {
  crash: ((name: CrashPointName) => void) | null;
  committed: ((ops: readonly WriteOp[]) => void) | null;
};

export const testHooks: Hooks = { crash: null, committed: null };

export function crashPoint(name: CrashPointName): void {
  if (testHooks.crash !== null) testHooks.crash(name);
}
