export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeout?: number;
  /** What was awaited, for the failure message. */
  message?: string;
  /** Poll interval (default 10 ms). */
  interval?: number;
}

/**
 * Resolves with the first truthy value `probe` returns. Throws when `timeout` passes first; the error
 * names what was awaited and the last value seen (or the last error the probe threw).
 */
export function waitUntil<T>(probe: () => T | Promise<T>, opts?: WaitOptions): Promise<NonNullable<T>>;
