export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(samples) {
  const s = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), mean: sum / s.length, max: s[s.length - 1] };
}

export const round = (v, digits = 3) =>
  typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(digits)) : v;

export const now = () => performance.now();

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function memoryMB() {
  const m = process.memoryUsage();
  return { rssMB: m.rss / 2 ** 20, heapUsedMB: m.heapUsed / 2 ** 20 };
}
