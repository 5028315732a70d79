import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7: 48 bits of millisecond time, then random bits. Run ids made this way sort by
 * creation time, so a store's index on run ids grows at its end instead of at random places (fewer
 * pages written per commit), and they are still unique across processes without coordination.
 */
export function newRunId(now: number = Date.now()): string {
  const rnd = randomUUID(); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx, y in 8..b
  const ts = now.toString(16).padStart(12, '0').slice(-12);
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${rnd.slice(15, 18)}-${rnd.slice(19)}`;
}
