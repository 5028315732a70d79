import { describe, expect, it } from 'vitest';
import type { RunRecord, RunStatus, Store } from '../../src/store/types.js';
import { LEASE_MS, T0, WF, entry, newRun, runIn, suspendedRun } from './contract-helpers.js';

/**
 * Settled runs held by their owner for lifecycle callbacks: written without `release`, found again by
 * claimUnreleased once the owner's lease expired, recorded by a release. (engine/lifecycle.ts)
 */
export function heldContract(f: { store: Store }): void {
  /** A run settled in `status` by owner w1 (lease until T0 + LEASE_MS) without releasing it. */
  async function held(status: RunStatus, workflowId = WF): Promise<RunRecord> {
    const { run } = await f.store.createRun(newRun({ workflowId, status: 'running', owner: 'w1', leaseExpiresAt: T0 + LEASE_MS }));
    const out = await f.store.write([
      { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'step') },
      { type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { status, result: status === 'success' ? '{"ok":1}' : null }, now: T0 + 5 },
    ]);
    expect(out.fenced).toEqual([]);
    return (await f.store.loadRun(run.runId))!;
  }

  const claim = (now: number, extra: { runId?: string; workflowIds?: string[]; limit?: number } = {}) =>
    f.store.claimUnreleased!({ owner: 'w2', leaseMs: LEASE_MS, now, limit: extra.limit ?? 10, workflowIds: extra.workflowIds ?? [WF], ...(extra.runId ? { runId: extra.runId } : {}) });

  describe('held settled runs (lifecycle callbacks)', () => {
    it('a settled run written without release keeps its owner and lease; renewLeases extends it', async () => {
      const run = await held('success');
      expect(run).toMatchObject({ status: 'success', owner: 'w1', leaseExpiresAt: T0 + LEASE_MS, result: '{"ok":1}' });
      const { lost } = await f.store.renewLeases('w1', [run.runId], LEASE_MS, T0 + 1_000);
      expect(lost).toEqual([]);
      expect((await f.store.loadRun(run.runId))?.leaseExpiresAt).toBe(T0 + 1_000 + LEASE_MS);
      // Only running runs count as live owners (a dead owner's held runs wait for their lease).
      expect(await f.store.listOwners(T0 + 1)).toEqual([]);
    });

    it('claimUnreleased takes settled runs whose lease expired: status kept, owner and lease taken, epoch bumped', async () => {
      const runs = await Promise.all((['success', 'failed', 'canceled', 'suspended'] as const).map((s) => held(s)));
      expect(await claim(T0 + LEASE_MS - 1)).toEqual([]);
      const claimed = await claim(T0 + LEASE_MS);
      expect(claimed.map((c) => c.run.runId).sort()).toEqual(runs.map((r) => r.runId).sort());
      for (const c of claimed) {
        const before = runs.find((r) => r.runId === c.run.runId)!;
        expect(c.run).toMatchObject({ status: before.status, owner: 'w2', leaseEpoch: before.leaseEpoch + 1, leaseExpiresAt: T0 + 2 * LEASE_MS });
        expect(c.journal.map((e) => e.path)).toEqual(['step']);
      }
      // Taken: not claimed again while the new lease lives; the old owner is fenced out.
      expect(await claim(T0 + LEASE_MS + 1)).toEqual([]);
      const old = runs[0]!;
      const out = await f.store.write([{ type: 'run', runId: old.runId, epoch: old.leaseEpoch, patch: { release: true }, now: T0 + LEASE_MS + 2 }]);
      expect(out.fenced).toEqual([old.runId]);
    });

    it('a release records the work: the run is no longer held or claimable', async () => {
      const run = await held('failed');
      await f.store.write([{ type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { release: true }, now: T0 + 6 }]);
      expect(await f.store.loadRun(run.runId)).toMatchObject({ status: 'failed', owner: null, leaseExpiresAt: null });
      expect(await claim(T0 + 10 * LEASE_MS)).toEqual([]);
      expect(await f.store.claimRun(run.runId, { owner: 'w2', leaseMs: LEASE_MS, now: T0 + 10 * LEASE_MS })).toBeNull();
    });

    it('never takes running, released, other workflows\' or other runs; honours runId and limit', async () => {
      await runIn(f.store, 'running', { owner: 'w1', leaseExpiresAt: T0 + 100 * LEASE_MS });
      await runIn(f.store, 'success');
      await runIn(f.store, 'suspended');
      const other = await held('success', 'wf-other');
      const a = await held('success');
      const b = await held('suspended');
      expect((await claim(T0 + LEASE_MS, { runId: b.runId })).map((c) => c.run.runId)).toEqual([b.runId]);
      expect(await claim(T0 + LEASE_MS, { runId: 'ghost' })).toEqual([]);
      expect((await claim(T0 + LEASE_MS, { limit: 1 })).map((c) => c.run.runId)).toEqual([a.runId]);
      expect(await claim(T0 + LEASE_MS)).toEqual([]);
      expect((await claim(T0 + LEASE_MS, { workflowIds: ['wf-other'] })).map((c) => c.run.runId)).toEqual([other.runId]);
      // A held run is not runnable: claimRuns never executes it again.
      const c = await held('success');
      expect(await f.store.claimRuns({ owner: 'w3', leaseMs: LEASE_MS, now: T0 + 5 * LEASE_MS, limit: 10, workflowIds: [WF] })).toEqual([]);
      expect((await f.store.loadRun(c.runId))?.owner).toBe('w1');
    });

    it('cancelRun with hold keeps the canceled run for the canceler; without, releases it', async () => {
      const kept = await runIn(f.store, 'running', { owner: 'w1' });
      const canceled = await f.store.cancelRun(kept.runId, T0 + 10, { owner: 'me', leaseExpiresAt: T0 + 10 + LEASE_MS });
      expect(canceled).toMatchObject({ status: 'canceled', owner: 'me', leaseExpiresAt: T0 + 10 + LEASE_MS, leaseEpoch: kept.leaseEpoch + 1 });
      expect(await claim(T0 + 10 + LEASE_MS)).toHaveLength(1);
      const suspended = await suspendedRun(f.store);
      expect(await f.store.cancelRun(suspended.runId, T0 + 10)).toMatchObject({ status: 'canceled', owner: null, leaseExpiresAt: null });
      // Already terminal: unchanged, whatever the hold.
      const done = await runIn(f.store, 'success');
      expect(await f.store.cancelRun(done.runId, T0 + 10, { owner: 'me', leaseExpiresAt: T0 + 99 })).toMatchObject({ status: 'success', owner: null });
    });

    it('resume, retry and delete move a held run on (the engine delivers its callbacks first)', async () => {
      const failed = await held('failed');
      const retried = await f.store.retryRun({ runId: failed.runId, now: T0 + 7, owner: null, leaseExpiresAt: null });
      expect(retried).toMatchObject({ status: 'pending', owner: null, leaseEpoch: failed.leaseEpoch + 1 });
      const gone = await held('success');
      expect(await f.store.deleteRun(gone.runId)).toBe(true);
      expect(await claim(T0 + 10 * LEASE_MS)).toEqual([]);
    });
  });
}
