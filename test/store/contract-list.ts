import { describe, expect, it } from 'vitest';
import type { RunRecord, Store } from '../../src/store/types.js';
import { T0, runIn } from './contract-helpers.js';

/** listRuns filters, order and paging. */
export function listContract(f: { store: Store }): void {
  describe('listRuns', () => {
    async function seed(): Promise<RunRecord[]> {
      const runs: RunRecord[] = [];
      runs.push(await runIn(f.store, 'pending', { workflowId: 'wf-a', resourceId: 'u1', now: T0 + 10 }));
      runs.push(await runIn(f.store, 'success', { workflowId: 'wf-a', resourceId: 'u2', now: T0 + 20 }));
      runs.push(await runIn(f.store, 'failed', { workflowId: 'wf-b', resourceId: 'u1', now: T0 + 30 }));
      runs.push(await runIn(f.store, 'running', { workflowId: 'wf-b', resourceId: null, now: T0 + 40 }));
      runs.push(await runIn(f.store, 'suspended', { workflowId: 'wf-a', resourceId: 'u1', now: T0 + 50 }));
      return runs;
    }
    const ids = (rs: RunRecord[]): string[] => rs.map((r) => r.runId);

    it('lists newest first with the total', async () => {
      const runs = await seed();
      const { runs: got, total } = await f.store.listRuns({});
      expect(total).toBe(5);
      expect(ids(got)).toEqual(ids([...runs].reverse()));
      expect(got[0]).toEqual(await f.store.loadRun(runs[4]?.runId ?? ''));
    });

    it('filters by workflowId, status (one or many), resourceId and date range', async () => {
      const [p, s, fl, r, su] = await seed();
      const list = async (filter: Parameters<Store['listRuns']>[0]) => ids((await f.store.listRuns(filter)).runs);
      expect(await list({ workflowId: 'wf-a' })).toEqual(ids([su, s, p] as RunRecord[]));
      expect(await list({ status: 'failed' })).toEqual(ids([fl] as RunRecord[]));
      expect(await list({ status: ['pending', 'running'] })).toEqual(ids([r, p] as RunRecord[]));
      expect(await list({ status: [] })).toEqual([]);
      expect(await list({ resourceId: 'u1' })).toEqual(ids([su, fl, p] as RunRecord[]));
      expect(await list({ fromDate: T0 + 20, toDate: T0 + 40 })).toEqual(ids([r, fl, s] as RunRecord[]));
      expect(await list({ fromDate: T0 + 41 })).toEqual(ids([su] as RunRecord[]));
      expect(await list({ toDate: T0 + 10 })).toEqual(ids([p] as RunRecord[]));
      expect(await list({ workflowId: 'wf-a', resourceId: 'u1', status: ['suspended', 'success'] })).toEqual(
        ids([su] as RunRecord[]),
      );
      const filtered = await f.store.listRuns({ workflowId: 'wf-b', perPage: 1 });
      expect(filtered.total).toBe(2);
      expect(ids(filtered.runs)).toEqual(ids([r] as RunRecord[]));
      expect((await f.store.listRuns({ workflowId: 'nope' })).total).toBe(0);
    });

    it('pages with page/perPage and keeps the total', async () => {
      const runs = await seed();
      const newest = ids([...runs].reverse());
      const page0 = await f.store.listRuns({ perPage: 2 });
      const page1 = await f.store.listRuns({ perPage: 2, page: 1 });
      const page2 = await f.store.listRuns({ perPage: 2, page: 2 });
      const page3 = await f.store.listRuns({ perPage: 2, page: 3 });
      expect([page0, page1, page2, page3].map((p) => p.total)).toEqual([5, 5, 5, 5]);
      expect([...ids(page0.runs), ...ids(page1.runs), ...ids(page2.runs)]).toEqual(newest);
      expect(page2.runs).toHaveLength(1);
      expect(page3.runs).toEqual([]);
    });

    it('breaks createdAt ties by runId, descending', async () => {
      const made: string[] = [];
      for (const id of ['tie-b', 'tie-a', 'tie-c']) {
        made.push((await runIn(f.store, 'pending', { runId: id, now: T0 + 7 })).runId);
      }
      const got = await f.store.listRuns({ fromDate: T0 + 7, toDate: T0 + 7 });
      expect(ids(got.runs)).toEqual(['tie-c', 'tie-b', 'tie-a']);
    });

    it('filters by run id prefix, exactly (not as a pattern)', async () => {
      for (const id of ['pre-1', 'pre-2', 'pref-3', 'other-4', 'pre_5', 'prx%6']) await runIn(f.store, 'pending', { runId: id, now: T0 + 1 });
      const list = async (runIdPrefix: string) => (await f.store.listRuns({ runIdPrefix })).runs.map((r) => r.runId).sort();
      expect(await list('pre-')).toEqual(['pre-1', 'pre-2']);
      expect(await list('pre')).toEqual(['pre-1', 'pre-2', 'pre_5', 'pref-3']);
      // `_` and `%` are characters here, not wildcards.
      expect(await list('pre_')).toEqual(['pre_5']);
      expect(await list('pr%')).toEqual([]);
      expect((await f.store.listRuns({ runIdPrefix: 'pre', perPage: 1 })).total).toBe(4);
    });

    it('pages with a keyset cursor (ties broken by id) and keeps the whole total', async () => {
      for (const [id, at] of [['k-a', 5], ['k-b', 5], ['k-c', 5], ['k-d', 6], ['k-e', 4]] as const) await runIn(f.store, 'pending', { runId: id, now: T0 + at });
      const seen: string[] = [];
      let before: { createdAt: number; runId: string } | undefined;
      for (;;) {
        const page = await f.store.listRuns({ runIdPrefix: 'k-', perPage: 2, ...(before ? { before } : {}) });
        expect(page.total).toBe(5);
        seen.push(...page.runs.map((r) => r.runId));
        const last = page.runs[page.runs.length - 1];
        if (!last) break;
        before = { createdAt: last.createdAt, runId: last.runId };
      }
      expect(seen).toEqual(['k-d', 'k-c', 'k-b', 'k-a', 'k-e']);
    });
  });
}
