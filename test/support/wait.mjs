// The one way tests wait: poll a condition until it holds, or fail with a message that says what did
// not happen. Never a fixed sleep before a positive assertion. Plain JavaScript so that the child
// processes of the crash and multi-process tests (plain Node, no vitest) use the same helper as the
// tests themselves (wait.ts gives it to TypeScript; types in wait.d.mts).

/**
 * Resolves with the first truthy value `probe` returns. Throws when `timeout` passes first; the error
 * names what was awaited and the last value seen (or the last error the probe threw).
 * @param {() => unknown} probe
 * @param {{ timeout?: number, message?: string, interval?: number }} [opts]
 */
export async function waitUntil(probe, opts = {}) {
  const timeout = opts.timeout ?? 10_000;
  const interval = opts.interval ?? 10;
  const deadline = Date.now() + timeout;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (last) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = lastError !== undefined ? `last error: ${String(lastError?.message ?? lastError)}` : `last value: ${describe(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${opts.message ?? 'a condition'} (${seen})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

function describe(v) {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
