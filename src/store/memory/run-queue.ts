import type { RunRecord } from '../types.js';

/** Claim order: highest priority first, then oldest, then by run id (as the SQL stores order claims). */
export function claimsBefore(a: RunRecord, b: RunRecord): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt;
  return a.runId < b.runId;
}

/**
 * A binary heap of runs in claim order. Entries are not removed when a run stops being pending (claimed,
 * canceled, deleted): the reader drops them as it meets them, so status changes stay O(1).
 */
export class RunQueue<R extends { record: RunRecord }> {
  private readonly heap: R[] = [];

  push(r: R): void {
    const h = this.heap;
    h.push(r);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (!claimsBefore(h[i]!.record, h[parent]!.record)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  pop(): R | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && claimsBefore(h[l]!.record, h[best]!.record)) best = l;
        if (r < h.length && claimsBefore(h[r]!.record, h[best]!.record)) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best]!, h[i]!];
        i = best;
      }
    }
    return top;
  }
}
