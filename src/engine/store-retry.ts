import { StoreError } from '../errors.js';

export interface RetryPolicy {
  /** Give up after this long without a successful call. */
  maxMs: number;
  /** First back-off delay; doubles up to 2 s. */
  baseMs: number;
  /** Stops retrying early when the engine shuts down. */
  isStopped?: () => boolean;
}

/**
 * Retries store calls that failed for a passing reason (connection lost, server restarting). Anything
 * else is rethrown at once: retrying a constraint violation would only hide a bug.
 */
export async function withStoreRetry<T>(fn: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const started = Date.now();
  let delay = policy.baseMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const retryable = err instanceof StoreError && err.retryable;
      if (!retryable || Date.now() - started > policy.maxMs || policy.isStopped?.()) throw err;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
}
