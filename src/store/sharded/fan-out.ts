import { MAX_PER_PAGE, normalisePage } from '../shared/run-rules.js';
import { checkListFilter } from '../shared/validate.js';
import type { ListRunsFilter, ListRunsResult, RunHead, RunLinks, RunRecord, ScanRunsOptions, Store } from '../types.js';

/**
 * Reads that span every shard: each shard answers for its runs, the answers are merged in the order a
 * single store would give (ids compared byte-wise, as SQLite's BINARY and PostgreSQL's "C" collation do).
 */

export function byteCompare(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Listing order: newest first, then id descending. */
export function listingOrder(a: RunRecord, b: RunRecord): number {
  return b.createdAt - a.createdAt || byteCompare(b.runId, a.runId);
}

/**
 * The first `want` runs of one shard for the filter (its own cursor and paging removed), read a page of
 * at most MAX_PER_PAGE at a time with a keyset cursor, so a deep page costs rows, not offsets.
 */
async function headOf(store: Store, filter: ListRunsFilter, want: number): Promise<{ runs: RunRecord[]; total: number }> {
  const { page: _p, perPage: _pp, ...base } = filter;
  const runs: RunRecord[] = [];
  let total = 0;
  let before = base.before;
  for (let first = true; runs.length < want; first = false) {
    const perPage = Math.min(MAX_PER_PAGE, want - runs.length);
    const res = await store.listRuns({ ...base, ...(before ? { before } : {}), page: 0, perPage });
    if (first) total = res.total;
    runs.push(...res.runs);
    if (res.runs.length < perPage) break;
    const last = res.runs[res.runs.length - 1]!;
    before = { createdAt: last.createdAt, runId: last.runId };
  }
  return { runs, total };
}

/** listRuns over every shard: totals add up, pages and cursors cut the merged order. */
export async function listAcross(shards: readonly Store[], filter: ListRunsFilter): Promise<ListRunsResult> {
  checkListFilter(filter);
  const { offset, perPage } = normalisePage(filter);
  const heads = await Promise.all(shards.map((s) => headOf(s, filter, offset + perPage)));
  const merged = heads.flatMap((h) => h.runs).sort(listingOrder);
  return { runs: merged.slice(offset, offset + perPage), total: heads.reduce((n, h) => n + h.total, 0) };
}

/** scanRuns over every shard: the first `limit` ids after the cursor, byte-wise, across all of them. */
export async function scanAcross(shards: readonly Store[], opts: ScanRunsOptions): Promise<RunHead[]> {
  const pages = await Promise.all(shards.map((s) => s.scanRuns(opts)));
  return pages
    .flat()
    .sort((a, b) => byteCompare(a.runId, b.runId))
    .slice(0, opts.limit);
}

/**
 * A run's links: where it came from is kept with the run (its shard); its reruns may live on any
 * shard (each names its source), so every shard is asked and the lists merged, newest first. Parent
 * and children share the run's shard.
 */
export async function linksAcross(shards: readonly Store[], home: number, runId: string): Promise<RunLinks> {
  const all = await Promise.all(shards.map((s) => (s.loadLinks ? s.loadLinks(runId) : Promise.resolve<RunLinks>({ rerunOf: null, reruns: [], parent: null, children: [] }))));
  const reruns = all.flatMap((l) => l.reruns).sort((a, b) => b.createdAt - a.createdAt || byteCompare(b.runId, a.runId));
  // Child runs live on their parent's shard (ShardedStore.colocatedRunId), so the home shard has both.
  const mine = all[home];
  return { rerunOf: mine?.rerunOf ?? null, reruns, parent: mine?.parent ?? null, children: mine?.children ?? [] };
}

/**
 * Asks the shards one after another, starting at `start` and wrapping around, each for what the
 * others left of `limit`. Used by claims: asking all at once could take `limit` from each (more runs
 * than the worker has slots for), and a claim cannot be handed back without fencing its run.
 */
export async function fillFrom<T>(count: number, start: number, limit: number, take: (shard: number, limit: number) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count && out.length < limit; i++) {
    out.push(...(await take((start + i) % count, limit - out.length)));
  }
  return out;
}
