/**
 * Durations written as text in definitions and commands: a number of milliseconds, or a number and a
 * unit, e.g. `500ms`, `30s`, `5m`, `12h`, `30d`, `2w`.
 */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w'}`;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** The duration in ms, or null when `value` is neither such text nor a non-negative finite number of ms. */
export function durationMs(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const m = PATTERN.exec(value.trim());
  if (!m?.[1] || !m[2]) return null;
  return Number(m[1]) * (UNITS[m[2]] ?? 1);
}

/** Whole milliseconds of a positive duration (workflow flow-control options), or null when `v` is not one. */
export function positiveDurationMs(v: unknown): number | null {
  const ms = durationMs(v);
  return ms !== null && ms > 0 && ms <= Number.MAX_SAFE_INTEGER ? Math.round(ms) || null : null;
}
