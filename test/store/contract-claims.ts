import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { LEASE_MS, T0, WF, entry, runIn, type ContractOptions } from './contract-helpers.js';

/** claimRun / claimRuns / leases / owners / timers. */
export function claimContract(f: { store: Store }, opts: ContractOptions = {}): void {
  describe('claimRun', () => {
    it('claims a pending run: running, owner, lease, epoch bumped, wakeAt cleared, journal returned', async () => {
      const run = await runIn(f.store, 'pending');
      const claimed = await f.store.claimRun(run.runId, { owner: 'w1', leaseMs: LEASE_MS, now: T0 + 50 });
      expect(claimed?.run).toEqual({
        ...run,
        status: 'running',
        owner: 'w1',
        leaseEpoch: run.leaseEpoch + 1,
        leaseExpiresAt: T0 + 50 + LEASE_MS,
        wakeAt: null,
        updatedAt: T0 + 50,
      });
      expect(claimed?.journal).toEqual([]);
      expect(await f.store.loadRun(run.runId)).toEqual(claimed?.run);
    });

    it('returns the journal of a run taken over after its lease expired', async () => {
      const run = await runIn(f.store, 'running', { owner: 'w1', leaseExpiresAt: T0 + 100 });
      await f.store.write([
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'a') },
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'b') },
      ]);
      expect(await f.store.claimRun(run.runId, { owner: 'w2', leaseMs: LEASE_MS, now: T0 + 99 })).toBeNull();
      // The boundary: a lease expiring exactly now is expired.
      const claimed = await f.store.claimRun(run.runId, { owner: 'w2', leaseMs: LEASE_MS, now: T0 + 100 });
      expect(claimed?.run.owner).toBe('w2');
      expect(claimed?.journal.map((e) => e.path)).toEqual(['a', 'b']);
    });

    it('claims a running run without an owner, and a waiting run whose wakeAt is due', async () => {
      const orphan = await runIn(f.store, 'running');
      await f.store.write([{ type: 'run', runId: orphan.runId, epoch: orphan.leaseEpoch, patch: { release: true }, now: T0 }]);
      expect((await f.store.claimRun(orphan.runId, { owner: 'w2', leaseMs: LEASE_MS, now: T0 }))?.run.owner).toBe('w2');

      const sleeper = await runIn(f.store, 'waiting', { wakeAt: T0 + 500 });
      expect(await f.store.claimRun(sleeper.runId, { owner: 'w2', leaseMs: LEASE_MS, now: T0 + 499 })).toBeNull();
      const woke = await f.store.claimRun(sleeper.runId, { owner: 'w2', leaseMs: LEASE_MS, now: T0 + 500 });
      expect(woke?.run).toMatchObject({ status: 'running', wakeAt: null, owner: 'w2' });
    });

    it('does not claim live, suspended, terminal, timerless waiting or unknown runs', async () => {
      const opts = { owner: 'w9', leaseMs: LEASE_MS, now: T0 + 1 };
      const runs = [
        await runIn(f.store, 'running'),
        await runIn(f.store, 'suspended'),
        await runIn(f.store, 'success'),
        await runIn(f.store, 'failed'),
        await runIn(f.store, 'canceled'),
        await runIn(f.store, 'waiting', { wakeAt: null }),
        await runIn(f.store, 'waiting', { wakeAt: T0 + 10_000 }),
      ];
      for (const r of runs) {
        expect(await f.store.claimRun(r.runId, opts)).toBeNull();
        expect(await f.store.loadRun(r.runId)).toEqual(r);
      }
      expect(await f.store.claimRun('unknown', opts)).toBeNull();
    });
  });

  describe('claimRuns', () => {
    it.skipIf(opts.spread)('claims runnable runs of the given workflows: priority desc, then oldest first, up to limit', async () => {
      const low = await runIn(f.store, 'pending', { priority: 0, now: T0 + 1 });
      const high = await runIn(f.store, 'pending', { priority: 5, now: T0 + 9 });
      const expired = await runIn(f.store, 'running', { now: T0 + 2, leaseExpiresAt: T0 + 3 });
      const due = await runIn(f.store, 'waiting', { now: T0 + 3, wakeAt: T0 + 4 });
      const highOld = await runIn(f.store, 'pending', { priority: 5, now: T0 + 5 });
      await runIn(f.store, 'pending', { workflowId: 'not-mine', priority: 100, now: T0 });
      await runIn(f.store, 'running', { now: T0, leaseExpiresAt: T0 + 10_000 });
      await runIn(f.store, 'waiting', { now: T0, wakeAt: T0 + 10_000 });
      await runIn(f.store, 'suspended', { now: T0 });
      await runIn(f.store, 'success', { now: T0 });

      const now = T0 + 100;
      const first = await f.store.claimRuns({ owner: 'w1', leaseMs: LEASE_MS, now, limit: 3, workflowIds: [WF, 'wf-other'] });
      expect(first.map((c) => c.run.runId)).toEqual([highOld.runId, high.runId, low.runId]);
      const rest = await f.store.claimRuns({ owner: 'w1', leaseMs: LEASE_MS, now, limit: 10, workflowIds: [WF] });
      expect(rest.map((c) => c.run.runId)).toEqual([expired.runId, due.runId]);
      for (const c of [...first, ...rest]) {
        expect(c.run).toMatchObject({ status: 'running', owner: 'w1', leaseExpiresAt: now + LEASE_MS, wakeAt: null, updatedAt: now });
      }
      expect(rest[0]?.run.leaseEpoch).toBe(expired.leaseEpoch + 1);
      expect(rest[1]?.run.leaseEpoch).toBe(due.leaseEpoch + 1);
      expect(await f.store.claimRuns({ owner: 'w1', leaseMs: LEASE_MS, now, limit: 10, workflowIds: [WF] })).toEqual([]);
    });

    it.skipIf(opts.spread)('drains a backlog in claim order, each run once; runs passed over, re-queued or deleted are handled', async () => {
      const mine = [];
      for (let i = 0; i < 30; i++) mine.push(await runIn(f.store, 'pending', { priority: i % 3, now: T0 + 100 - i }));
      const others = [];
      for (let i = 0; i < 5; i++) others.push(await runIn(f.store, 'pending', { workflowId: 'wf-other', priority: 9, now: T0 + i }));
      const deleted = mine[7]!;
      expect(await f.store.deleteRun(deleted.runId)).toBe(true);
      const order = (a: { priority: number; createdAt: number; runId: string }, b: typeof a): number =>
        b.priority - a.priority || a.createdAt - b.createdAt || (a.runId < b.runId ? -1 : 1);
      const expected = mine.filter((r) => r !== deleted).sort(order).map((r) => r.runId);
      const got: string[] = [];
      for (let round = 0; round < 10; round++) {
        const batch = await f.store.claimRuns({ owner: 'w1', leaseMs: LEASE_MS, now: T0 + 1000, limit: 7, workflowIds: [WF] });
        got.push(...batch.map((c) => c.run.runId));
        if (round === 0) {
          // A claimed run that is failed and retried queues again, behind nothing it was ahead of.
          const first = batch[0]!.run;
          await f.store.write([{ type: 'run', runId: first.runId, epoch: first.leaseEpoch, patch: { status: 'failed', release: true }, now: T0 + 1001 }]);
          await f.store.retryRun({ runId: first.runId, now: T0 + 1002, owner: null, leaseExpiresAt: null });
        }
      }
      expect(got).toEqual([...expected.slice(0, 7), expected[0], ...expected.slice(7)]);
      const rest = await f.store.claimRuns({ owner: 'w1', leaseMs: LEASE_MS, now: T0 + 1000, limit: 10, workflowIds: ['wf-other'] });
      expect(rest.map((c) => c.run.runId)).toEqual(others.map((r) => r.runId));
    });

    it('returns each claimed run with its journal', async () => {
      const run = await runIn(f.store, 'running', { leaseExpiresAt: T0 + 1 });
      await f.store.write([
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'one') },
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'two') },
      ]);
      const empty = await runIn(f.store, 'pending', { now: T0 + 1 });
      const claimed = await f.store.claimRuns({ owner: 'w2', leaseMs: LEASE_MS, now: T0 + 5, limit: 10, workflowIds: [WF] });
      expect(claimed.map((c) => [c.run.runId, c.journal.map((e) => e.path)])).toEqual([
        [run.runId, ['one', 'two']],
        [empty.runId, []],
      ]);
    });

    it('returns nothing for limit 0 or no workflows', async () => {
      await runIn(f.store, 'pending');
      expect(await f.store.claimRuns({ owner: 'w', leaseMs: LEASE_MS, now: T0, limit: 0, workflowIds: [WF] })).toEqual([]);
      expect(await f.store.claimRuns({ owner: 'w', leaseMs: LEASE_MS, now: T0, limit: 5, workflowIds: [] })).toEqual([]);
    });

    it('never gives one run to two concurrent claimers', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 40; i++) ids.add((await runIn(f.store, 'pending', { now: T0 + i })).runId);
      const claimers = ['a', 'b', 'c', 'd', 'e'];
      const seen = new Map<string, string>();
      for (let round = 0; round < 10 && seen.size < ids.size; round++) {
        const results = await Promise.all(
          claimers.map((owner) =>
            f.store.claimRuns({ owner, leaseMs: LEASE_MS, now: T0 + 1_000, limit: 7, workflowIds: [WF] }),
          ),
        );
        results.forEach((claims, i) => {
          for (const c of claims) {
            expect(seen.has(c.run.runId), `run ${c.run.runId} claimed twice`).toBe(false);
            seen.set(c.run.runId, claimers[i] ?? '?');
          }
        });
      }
      expect(new Set(seen.keys())).toEqual(ids);
      for (const [runId, owner] of seen) {
        expect(await f.store.loadRun(runId)).toMatchObject({ owner, leaseEpoch: 2, status: 'running' });
      }
    });
  });

  describe('leases', () => {
    it('renewLeases extends owned running leases and reports the others as lost', async () => {
      const mine = await runIn(f.store, 'running', { owner: 'w1' });
      const theirs = await runIn(f.store, 'running', { owner: 'w2' });
      const parked = await runIn(f.store, 'running', { owner: 'w1' });
      await f.store.write([
        { type: 'run', runId: parked.runId, epoch: parked.leaseEpoch, patch: { status: 'waiting', wakeAt: T0 + 5 }, now: T0 },
      ]);
      const canceled = await runIn(f.store, 'running', { owner: 'w1' });
      await f.store.cancelRun(canceled.runId, T0);
      const { lost } = await f.store.renewLeases(
        'w1',
        [mine.runId, theirs.runId, parked.runId, canceled.runId, 'ghost'],
        LEASE_MS,
        T0 + 1_000,
      );
      expect([...lost].sort()).toEqual([theirs.runId, parked.runId, canceled.runId, 'ghost'].sort());
      expect((await f.store.loadRun(mine.runId))?.leaseExpiresAt).toBe(T0 + 1_000 + LEASE_MS);
      expect((await f.store.loadRun(theirs.runId))?.leaseExpiresAt).toBe(theirs.leaseExpiresAt);
      expect(await f.store.renewLeases('w1', [], LEASE_MS, T0)).toEqual({ lost: [] });
    });

    it('listOwners lists owners with live leases only', async () => {
      await runIn(f.store, 'running', { owner: 'w1', leaseExpiresAt: T0 + 100 });
      await runIn(f.store, 'running', { owner: 'w1', leaseExpiresAt: T0 + 200 });
      await runIn(f.store, 'running', { owner: 'w2', leaseExpiresAt: T0 + 100 });
      await runIn(f.store, 'running', { owner: 'w3', leaseExpiresAt: T0 + 10 });
      await runIn(f.store, 'success', { owner: 'w4' });
      expect([...(await f.store.listOwners(T0 + 50))].sort()).toEqual(['w1', 'w2']);
      expect(await f.store.listOwners(T0 + 150)).toEqual(['w1']);
      expect(await f.store.listOwners(T0 + 200)).toEqual([]);
    });

    it('expireOwner expires every lease of one owner at once, making its runs claimable', async () => {
      const a = await runIn(f.store, 'running', { owner: 'dead' });
      const b = await runIn(f.store, 'running', { owner: 'dead' });
      const other = await runIn(f.store, 'running', { owner: 'alive' });
      await runIn(f.store, 'waiting', { owner: 'dead' });
      expect(await f.store.expireOwner('dead')).toBe(2);
      expect(await f.store.listOwners(T0 + 1)).toEqual(['alive']);
      const claimed = await f.store.claimRuns({ owner: 'new', leaseMs: LEASE_MS, now: T0 + 1, limit: 10, workflowIds: [WF] });
      expect(claimed.map((c) => c.run.runId).sort()).toEqual([a.runId, b.runId].sort());
      expect((await f.store.loadRun(other.runId))?.owner).toBe('alive');
      expect(await f.store.expireOwner('nobody')).toBe(0);
    });
  });

  describe('nextWakeAt', () => {
    it('is the earliest wakeAt among waiting runs of the given workflows', async () => {
      expect(await f.store.nextWakeAt([WF])).toBeNull();
      await runIn(f.store, 'waiting', { wakeAt: T0 + 300 });
      await runIn(f.store, 'waiting', { wakeAt: T0 + 200 });
      await runIn(f.store, 'waiting', { wakeAt: T0 + 100, workflowId: 'wf-b' });
      await runIn(f.store, 'waiting', { wakeAt: null });
      const notWaiting = await runIn(f.store, 'running');
      await f.store.write([
        { type: 'run', runId: notWaiting.runId, epoch: notWaiting.leaseEpoch, patch: { wakeAt: T0 + 1 }, now: T0 },
      ]);
      expect(await f.store.nextWakeAt([WF])).toBe(T0 + 200);
      expect(await f.store.nextWakeAt([WF, 'wf-b'])).toBe(T0 + 100);
      expect(await f.store.nextWakeAt(['wf-none'])).toBeNull();
      expect(await f.store.nextWakeAt([])).toBeNull();
    });
  });

}
