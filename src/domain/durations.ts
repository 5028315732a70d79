/**
 * Durations in workflow options: a number of milliseconds, or a string such as '500ms', '30s', '5m',
 * '2h', '1d'. Parsed once, at definition time.
 */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds of a positive duration, or null when `v` is not one. */
export function durationMs(v: unknown): number | null {
  let ms: number;
  if (typeof v === 'number') ms = v;
  else if (typeof v === 'string') {
    const m = PATTERN.exec(v.trim());
    if (!m) return null;
    ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  } else return null;
  return Number.isFinite(ms) && ms > 0 && ms <= Number.MAX_SAFE_INTEGER ? Math.round(ms) || null : null;
}
