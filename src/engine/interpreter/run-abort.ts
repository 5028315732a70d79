import { ABORTED } from './outcome.js';

const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')?.get;

/**
 * One execution's stop switch: the engine's own `aborted` flag, the steps' `abortSignal`, and the
 * in-flight waits that end when the run is stopped (cancel, lease lost, shutdown). Every look at it
 * first asks `leaseCheck`, so a process paused past its lease sees the run stopped at once, before the
 * worker's timers have had a chance to run.
 */
export class RunAbort {
  /**
   * Created on first use: most steps never look at their abortSignal, and an AbortController with a
   * listener per run was a measurable share of a short run's cost. `aborted` is the engine's own flag.
   */
  private controller: AbortController | null = null;
  private isAborted = false;
  private abortReason: unknown;
  /** Steps in flight that must stop waiting when the run is aborted (see untilAborted). */
  private readonly waiters = new Set<() => void>();

  /** `leaseCheck`: stops the run when this process no longer holds its lease (absent: no lease guard). */
  constructor(private readonly leaseCheck: (() => void) | null) {}

  /** The flag without a lease check (the execution's own bookkeeping). */
  get raised(): boolean {
    return this.isAborted;
  }

  get aborted(): boolean {
    if (!this.isAborted) this.leaseCheck?.();
    return this.isAborted;
  }

  get reason(): unknown {
    return this.abortReason;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.isAborted) this.controller.abort(this.abortReason);
      this.guardSignal(this.controller.signal);
    }
    return this.controller.signal;
  }

  /** Stops the run; in-flight steps see abortSignal fire and their waits end. Only the first reason counts. */
  abort(reason: unknown): void {
    if (this.isAborted) return;
    this.isAborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** `value` itself, or, for a promise, one that settles with it or with ABORTED when the run is stopped first. */
  untilAborted(value: unknown): unknown {
    if (!(value instanceof Promise)) {
      if (value === null || typeof value !== 'object' || typeof (value as PromiseLike<unknown>).then !== 'function') return value;
      value = Promise.resolve(value);
    }
    if (this.isAborted) return ABORTED;
    const pending = value as Promise<unknown>;
    return new Promise((resolve, reject) => {
      const onAbort = () => resolve(ABORTED);
      this.waiters.add(onAbort);
      pending.then(
        (v) => {
          this.waiters.delete(onAbort);
          resolve(v);
        },
        (e: unknown) => {
          this.waiters.delete(onAbort);
          reject(e);
        },
      );
    });
  }

  /**
   * Makes `abortSignal.aborted` (and throwIfAborted) look at the lease first: a step that checks its
   * signal after this process was paused past its lease sees it aborted at once, so it never goes on
   * side by side with the worker that took over.
   */
  private guardSignal(signal: AbortSignal): void {
    const get = abortedGetter;
    const leaseCheck = this.leaseCheck;
    if (!leaseCheck || !get) return;
    const check = (): boolean => {
      if (!get.call(signal)) leaseCheck();
      return get.call(signal) as boolean;
    };
    Object.defineProperty(signal, 'aborted', { configurable: true, get: check });
    Object.defineProperty(signal, 'throwIfAborted', {
      configurable: true,
      value: () => {
        if (check()) throw signal.reason;
      },
    });
  }
}
