/**
 * How a run executes, stored with it (runs.options) so that whichever worker carries it on honours it.
 * The stored form is JSON text, or null for the defaults (most runs).
 */
export interface RunOptions {
  /** Execute one step, then pause the run (status `paused`) until it is resumed. */
  perStep?: boolean;
}

export function encodeRunOptions(o: RunOptions): string | null {
  return o.perStep ? JSON.stringify({ perStep: true }) : null;
}

/** Parses the stored options; unreadable text counts as the defaults (options never fail a run). */
export function decodeRunOptions(text: string | null | undefined): RunOptions {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && (v as RunOptions).perStep === true ? { perStep: true } : {};
  } catch {
    return {};
  }
}
