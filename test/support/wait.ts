/**
 * The one way tests wait: poll a condition until it holds, or fail with a message that says what did
 * not happen. Never a fixed sleep before a positive assertion.
 */
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
export async function waitUntil<T>(probe: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeout = opts.timeout ?? 10_000;
  const interval = opts.interval ?? 10;
  const deadline = Date.now() + timeout;
  let last: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (last) return last as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = lastError !== undefined ? `last error: ${String((lastError as Error)?.message ?? lastError)}` : `last value: ${describe(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${opts.message ?? 'a condition'} (${seen})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

function describe(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
