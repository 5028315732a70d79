import type { WeftOptions } from '../engine/options.js';
import { Weft } from '../engine/weft.js';
import type { WriteOp } from '../store/types.js';
import { NO_SEAMS, SEAMS_KEY, type CrashPointName, type LeaseLossKind, type Seams } from '../worker/seams.js';

export type { CrashPointName, LeaseLossKind };

/**
 * What a test can steer or observe inside one engine. Seams belong to the engine they are given to:
 * two engines in one process never share them, and nothing is left armed for later tests.
 */
export interface TestSeams {
  /** The clock the engine reads for run timestamps, lease expiry and durable timer wake times. */
  clock?: FakeClock | (() => number);
  /**
   * Named crash points: when the engine passes point `name`, the process kills itself with SIGKILL with
   * the given probability (chaos tests die inside a commit window this way).
   */
  crashPoints?: Partial<Record<CrashPointName, number>>;
  /** Random source for crashPoints (default Math.random). */
  random?: () => number;
  /** Observes every committed write batch (after the store transaction returned), without the ops fenced off. */
  onCommitted?: (ops: readonly WriteOp[]) => void;
  /** Observes every time the engine finds it lost a run's lease (fenced write, local expiry, renewal). */
  onLeaseLost?: (runId: string, kind: LeaseLossKind) => void;
  /**
   * False disarms the local lease guard: a worker paused past its lease then goes on until the store
   * fences its writes. Only for tests of fencing itself.
   */
  leaseGuard?: boolean;
}

function crashFn(points: Partial<Record<CrashPointName, number>>, random: () => number): (name: CrashPointName) => void {
  return (name) => {
    const p = points[name];
    if (p !== undefined && random() < p) process.kill(process.pid, 'SIGKILL');
  };
}

/** Turns test seams into the engine's seam set. */
export function toSeams(t: TestSeams): Seams {
  const clock = t.clock;
  return {
    now: clock === undefined ? NO_SEAMS.now : typeof clock === 'function' ? clock : clock.now,
    crash: t.crashPoints ? crashFn(t.crashPoints, t.random ?? Math.random) : null,
    committed: t.onCommitted ?? null,
    leaseLost: t.onLeaseLost ?? null,
    leaseGuard: t.leaseGuard ?? true,
  };
}

/** WeftOptions with test seams attached (pass the result to `new Weft(...)`). */
export function withTestSeams<T extends WeftOptions>(opts: T, seams: TestSeams): T {
  return { ...opts, [SEAMS_KEY]: toSeams(seams) };
}

/** A Weft with test seams: `createTestWeft({ workflows, store }, { clock })`. */
export function createTestWeft(opts: WeftOptions, seams: TestSeams): Weft {
  return new Weft(withTestSeams(opts, seams));
}

/**
 * A clock tests can move by hand. Give it to an engine (`createTestWeft(opts, { clock })`) and an
 * hour-long durable sleep comes due when the test advances the clock, without waiting for it.
 */
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

export { replayRuns } from '../engine/replay-runs.js';
export type { ReplayHistory, ReplayOptions } from '../engine/replay-runs.js';
