import type { ListRunsFilter, RunRecord } from '../types.js';
import { isTerminal } from '../types.js';
import { isAfterCursor, isCountable, matchesFilter } from '../shared/run-rules.js';
import { RunQueue } from './run-queue.js';

export interface IndexedRun {
  record: RunRecord;
  /** The (workflow, status) count this run is in, so a status change moves it to the right one. */
  counted?: string;
  /** Whether the run has an entry in the pending queue (live or not yet dropped). */
  queued?: boolean;
  /** Deleted: entries left behind in the queue and the lists (until compaction) are skipped. */
  gone?: boolean;
  /** The run's search labels (NewRun.labels). */
  labels?: ReadonlySet<string>;
}

function hasLabels(r: IndexedRun, labels: readonly string[] | undefined): boolean {
  if (!labels?.length) return true;
  return r.labels !== undefined && labels.every((l) => r.labels!.has(l));
}

const countKey = (r: RunRecord): string => `${r.workflowId}\u0000${r.status}`;

/** Listing order: newest first, ties broken by run id (descending), as in the SQL stores. */
function before(a: RunRecord, b: RunRecord): boolean {
  return a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.runId < b.runId);
}

/**
 * The memory store's indexes, so it stays usable with a million runs: pending runs in a queue in claim
 * order (a claim takes the first few instead of sorting the backlog), the other unfinished runs apart
 * (expired leases, timers and owners are found among them), runs kept in listing order (a page is read
 * from the newest end instead of sorting every run), runs by resource, and counts per (workflow,
 * status) for listing totals.
 */
export class RunIndex<R extends IndexedRun> {
  /** Unfinished runs that are not pending: running, waiting, suspended. */
  private readonly started = new Set<R>();
  private readonly pending = new RunQueue<R>();
  /** Ascending (createdAt, runId); deleted runs stay until the next compaction. */
  private ordered: R[] = [];
  private byResource = new Map<string, R[]>();
  /** Deleted runs still in `ordered` and `byResource`. */
  private deleted = 0;
  private readonly counts = new Map<string, number>();

  add(r: R): void {
    insertSorted(this.ordered, r);
    const res = r.record.resourceId;
    if (res !== null) {
      let list = this.byResource.get(res);
      if (!list) this.byResource.set(res, (list = []));
      insertSorted(list, r);
    }
    this.refresh(r);
  }

  remove(r: R): void {
    this.started.delete(r);
    r.gone = true;
    if (r.counted !== undefined) this.bump(r.counted, -1);
    r.counted = undefined;
    this.deleted++;
    if (this.deleted > 1000 && this.deleted * 2 > this.ordered.length) this.compact();
  }

  /** Call after anything that may have changed the run's status. */
  refresh(r: R): void {
    const key = countKey(r.record);
    if (r.counted !== key) {
      if (r.counted !== undefined) this.bump(r.counted, -1);
      this.bump(key, 1);
      r.counted = key;
    }
    const status = r.record.status;
    if (status === 'pending') {
      this.started.delete(r);
      if (!r.queued) {
        r.queued = true;
        this.pending.push(r);
      }
    } else if (isTerminal(status)) this.started.delete(r);
    else this.started.add(r);
  }

  /** Unfinished runs other than pending ones (running, waiting, suspended). */
  startedRuns(): Iterable<R> {
    return this.started;
  }

  /**
   * Removes and returns the first pending run in claim order that `wanted` accepts, or undefined. Runs
   * it passes over stay queued: give them back with `requeue` once the claim is done.
   */
  nextPending(wanted: (r: R) => boolean, passed: R[]): R | undefined {
    for (;;) {
      const r = this.pending.pop();
      if (!r) return undefined;
      r.queued = false;
      if (r.gone || r.record.status !== 'pending') continue;
      if (wanted(r)) return r;
      passed.push(r);
    }
  }

  /** Puts back pending runs taken out by nextPending but not claimed. */
  requeue(runs: Iterable<R>): void {
    for (const r of runs) {
      if (r.gone || r.queued || r.record.status !== 'pending') continue;
      r.queued = true;
      this.pending.push(r);
    }
  }

  list(filter: ListRunsFilter, offset: number, perPage: number): { runs: RunRecord[]; total: number } {
    const source = filter.resourceId !== undefined ? (this.byResource.get(filter.resourceId) ?? []) : this.ordered;
    const countable = isCountable(filter);
    const runs: RunRecord[] = [];
    let matched = 0;
    let skipped = 0;
    for (let i = source.length - 1; i >= 0; i--) {
      const r = source[i]!;
      if (r.gone || !matchesFilter(r.record, filter) || !hasLabels(r, filter.labels)) continue;
      matched++;
      if (!isAfterCursor(r.record, filter.before)) continue;
      if (skipped >= offset && runs.length < perPage) runs.push({ ...r.record });
      skipped++;
      if (countable && runs.length >= perPage) break;
    }
    return { runs, total: countable ? this.count(filter) : matched };
  }

  private count(filter: ListRunsFilter): number {
    let n = 0;
    for (const [key, c] of this.counts) {
      const [workflowId, status] = key.split('\u0000') as [string, RunRecord['status']];
      if (filter.workflowId !== undefined && workflowId !== filter.workflowId) continue;
      if (filter.status !== undefined && !(Array.isArray(filter.status) ? filter.status.includes(status) : filter.status === status)) continue;
      n += c;
    }
    return n;
  }

  private bump(key: string, by: number): void {
    const n = (this.counts.get(key) ?? 0) + by;
    if (n === 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }

  private compact(): void {
    const keep = (r: R): boolean => !r.gone;
    this.ordered = this.ordered.filter(keep);
    const byResource = new Map<string, R[]>();
    for (const [res, list] of this.byResource) {
      const kept = list.filter(keep);
      if (kept.length) byResource.set(res, kept);
    }
    this.byResource = byResource;
    this.deleted = 0;
  }
}

/** Runs are created in time order almost always, so this is nearly always a push. */
function insertSorted<R extends IndexedRun>(list: R[], r: R): void {
  const last = list[list.length - 1];
  if (!last || !before(r.record, last.record)) {
    list.push(r);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(r.record, list[mid]!.record)) hi = mid;
    else lo = mid + 1;
  }
  list.splice(lo, 0, r);
}
