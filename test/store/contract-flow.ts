import { describe, expect, it } from 'vitest';
import type { ClaimOptions, RunRecord, StoreEvent, Store } from '../../src/store/types.js';
import { LEASE_MS, T0, WF, newRun, runIn, type ContractOptions } from './contract-helpers.js';
import { waitUntil } from '../support/wait.js';

const NOW = T0 + 100;

function claimOpts(overrides: Partial<ClaimOptions> = {}): ClaimOptions {
  return { owner: 'w1', leaseMs: LEASE_MS, now: NOW, limit: 50, workflowIds: [WF], limits: { [WF]: 2 }, ...overrides };
}

/** Runs of `ids` holding a live lease at `now`, counted per "workflow/key" ("-" for a null key). */
async function liveByGroup(store: Store, ids: string[], now: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of ids) {
    const r = await store.loadRun(id);
    if (!r || r.status !== 'running' || r.owner === null || (r.leaseExpiresAt ?? 0) <= now) continue;
    const g = `${r.workflowId}/${r.concurrencyKey ?? '-'}`;
    out[g] = (out[g] ?? 0) + 1;
  }
  return out;
}

async function pendingRuns(store: Store, n: number, opts: { key: string | null; workflowId?: string; from?: number }): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await runIn(store, 'pending', { concurrencyKey: opts.key, workflowId: opts.workflowId ?? WF, now: (opts.from ?? T0) + i }),
    );
  }
  return out;
}

async function waitFor(what: string, pred: () => boolean, ms = 5_000): Promise<void> {
  await waitUntil(pred, { timeout: ms, message: what });
}

/** Flow control: claimRuns under concurrency limits, cron schedule rows, and store events (subscribe). */
export function flowContract(f: { store: Store }, opts: ContractOptions = {}): void {
  describe.skipIf(opts.spread)('claimRuns with limits', () => {
    it('live leases of the same key count against the limit', async () => {
      const holder = await runIn(f.store, 'running', { concurrencyKey: 'k', owner: 'other', leaseExpiresAt: NOW + 1 });
      const pending = await pendingRuns(f.store, 3, { key: 'k', from: T0 + 10 });
      const claimed = await f.store.claimRuns(claimOpts());
      expect(claimed.map((c) => c.run.runId)).toEqual([pending[0]?.runId]);
      expect(claimed[0]?.run).toMatchObject({ status: 'running', owner: 'w1', leaseExpiresAt: NOW + LEASE_MS });
      const ids = [holder.runId, ...pending.map((r) => r.runId)];
      expect(await liveByGroup(f.store, ids, NOW)).toEqual({ [`${WF}/k`]: 2 });
      // Full: nothing more, from this owner or another.
      expect(await f.store.claimRuns(claimOpts())).toEqual([]);
      expect(await f.store.claimRuns(claimOpts({ owner: 'w2' }))).toEqual([]);
      for (const r of pending.slice(1)) expect((await f.store.loadRun(r.runId))?.status).toBe('pending');
      // Once the holder's lease lapses its slot is free again (exactly one more).
      const later = await f.store.claimRuns(claimOpts({ now: NOW + 1 }));
      expect(later.map((c) => c.run.runId)).toEqual([holder.runId]);
    });

    it('never runs more than the limit per key; keys (and the null key) are independent', async () => {
      const byKey = {
        a: await pendingRuns(f.store, 4, { key: 'a', from: T0 }),
        b: await pendingRuns(f.store, 4, { key: 'b', from: T0 + 10 }),
        none: await pendingRuns(f.store, 4, { key: null, from: T0 + 20 }),
      };
      // Same key string, other workflow: does not count against WF's key 'a'.
      const foreign = await runIn(f.store, 'running', { workflowId: 'wf-other', concurrencyKey: 'a', owner: 'x', leaseExpiresAt: NOW + LEASE_MS });
      const claimed = await f.store.claimRuns(claimOpts());
      expect(claimed.map((c) => c.run.runId).sort()).toEqual(
        [byKey.a, byKey.b, byKey.none].flatMap((rs) => rs.slice(0, 2).map((r) => r.runId)).sort(),
      );
      const ids = [foreign.runId, ...Object.values(byKey).flat().map((r) => r.runId)];
      expect(await liveByGroup(f.store, ids, NOW)).toEqual({ [`${WF}/a`]: 2, [`${WF}/b`]: 2, [`${WF}/-`]: 2, 'wf-other/a': 1 });
      expect(await f.store.claimRuns(claimOpts())).toEqual([]);
      // The overall `limit` still caps the batch.
      const one = await f.store.claimRuns(claimOpts({ limits: { [WF]: 3 }, limit: 1 }));
      expect(one.map((c) => c.run.runId)).toEqual([byKey.a[2]?.runId]);
    });

    it('a run whose lease expired (or was released) does not count; waiting and suspended runs do not count', async () => {
      // Expires exactly at NOW: expired (the same boundary as claimRun).
      const expired = await runIn(f.store, 'running', { concurrencyKey: 'k', owner: 'dead', leaseExpiresAt: NOW, now: T0 + 1 });
      const released = await runIn(f.store, 'running', { concurrencyKey: 'k', now: T0 + 2 });
      await f.store.write([{ type: 'run', runId: released.runId, epoch: released.leaseEpoch, patch: { release: true }, now: T0 + 2 }]);
      await runIn(f.store, 'waiting', { concurrencyKey: 'k', wakeAt: NOW + 10_000 });
      await runIn(f.store, 'suspended', { concurrencyKey: 'k' });
      const pending = await pendingRuns(f.store, 2, { key: 'k', from: T0 + 3 });
      const claimed = await f.store.claimRuns(claimOpts({ limits: { [WF]: 3 } }));
      expect(claimed.map((c) => c.run.runId)).toEqual([expired.runId, released.runId, pending[0]?.runId]);
      expect(claimed[0]?.run.leaseEpoch).toBe(expired.leaseEpoch + 1);
      expect(await f.store.claimRuns(claimOpts({ limits: { [WF]: 3 } }))).toEqual([]);
      expect((await f.store.loadRun(pending[1]?.runId ?? ''))?.status).toBe('pending');
    });

    it('a full key does not hold back other keys queued behind its backlog', async () => {
      const backlog = await pendingRuns(f.store, 30, { key: 'busy', from: T0 });
      const late = await runIn(f.store, 'pending', { concurrencyKey: 'quiet', now: T0 + 50 });
      const first = await f.store.claimRuns(claimOpts({ limit: 1, limits: { [WF]: 1 } }));
      expect(first.map((c) => c.run.runId)).toEqual([backlog[0]?.runId]);
      const second = await f.store.claimRuns(claimOpts({ limit: 1, limits: { [WF]: 1 } }));
      expect(second.map((c) => c.run.runId)).toEqual([late.runId]);
      expect(await f.store.claimRuns(claimOpts({ limit: 1, limits: { [WF]: 1 } }))).toEqual([]);
    });

    it('many full keys do not hold back a free key queued behind them', async () => {
      // Six keys at their limit, each with a queued run that sorts first (higher priority, older).
      const queued: string[] = [];
      for (let i = 0; i < 6; i++) {
        const key = `full-${i}`;
        await runIn(f.store, 'running', { concurrencyKey: key, owner: 'other', leaseExpiresAt: NOW + LEASE_MS });
        queued.push((await runIn(f.store, 'pending', { concurrencyKey: key, priority: 5, now: T0 + i })).runId);
      }
      const late = await runIn(f.store, 'pending', { concurrencyKey: 'free', now: T0 + 50 });
      const claimed = await f.store.claimRuns(claimOpts({ limit: 1, limits: { [WF]: 1 } }));
      expect(claimed.map((c) => c.run.runId)).toEqual([late.runId]);
      for (const id of queued) expect((await f.store.loadRun(id))?.status).toBe('pending');
    });

    it('unlimited workflows in the same claim are unaffected; limits never widen workflowIds', async () => {
      await runIn(f.store, 'running', { concurrencyKey: 'k', owner: 'other', leaseExpiresAt: NOW + LEASE_MS });
      const limitedPending = await pendingRuns(f.store, 2, { key: 'k', from: T0 + 1 });
      const free = await pendingRuns(f.store, 3, { key: 'k', workflowId: 'wf-free', from: T0 + 5 });
      const zero = await pendingRuns(f.store, 2, { key: null, workflowId: 'wf-zero', from: T0 + 8 });
      // Limited, but not among the workflows this claimer runs.
      const notMine = await pendingRuns(f.store, 2, { key: 'k', workflowId: 'wf-not-mine', from: T0 });
      const claimed = await f.store.claimRuns(
        claimOpts({ workflowIds: [WF, 'wf-free', 'wf-zero'], limits: { [WF]: 1, 'wf-zero': 0, 'wf-not-mine': 5 } }),
      );
      expect(claimed.map((c) => c.run.runId).sort()).toEqual(free.map((r) => r.runId).sort());
      for (const r of [...limitedPending, ...zero, ...notMine]) expect((await f.store.loadRun(r.runId))?.status).toBe('pending');
      // Without limits the same workflow is claimed freely.
      const unlimited = await f.store.claimRuns(claimOpts({ limits: {} }));
      expect(unlimited.map((c) => c.run.runId)).toEqual(limitedPending.map((r) => r.runId));
    });

    it('concurrent claimers together never exceed the limit', async () => {
      const keys = ['k0', 'k1', 'k2', 'k3'];
      const ids: string[] = [];
      for (const [i, key] of keys.entries()) {
        for (const r of await pendingRuns(f.store, 10, { key, from: T0 + i * 10 })) ids.push(r.runId);
      }
      // k0 starts with one live lease held elsewhere: one slot left.
      const holder = await runIn(f.store, 'running', { concurrencyKey: 'k0', owner: 'elsewhere', leaseExpiresAt: T0 + 10_000_000 });
      ids.push(holder.runId);
      const seen = new Set<string>();
      for (let round = 0; round < 4; round++) {
        const now = NOW + round;
        const results = await Promise.all(
          ['a', 'b', 'c'].map((owner) => f.store.claimRuns(claimOpts({ owner, now, limit: 5 }))),
        );
        for (const c of results.flat()) {
          expect(seen.has(c.run.runId), `run ${c.run.runId} claimed twice`).toBe(false);
          seen.add(c.run.runId);
        }
        const live = await liveByGroup(f.store, ids, now);
        for (const key of keys) expect(live[`${WF}/${key}`] ?? 0, `round ${round}, ${key}`).toBeLessThanOrEqual(2);
        // Finish what this round claimed, freeing the slots for the next.
        for (const c of results.flat()) {
          const out = await f.store.write([
            { type: 'run', runId: c.run.runId, epoch: c.run.leaseEpoch, patch: { status: 'success', release: true }, now },
          ]);
          expect(out.fenced).toEqual([]);
        }
      }
      // Claimers that skipped a busy key may leave slots free, but one more claim fills every key exactly.
      const last = await f.store.claimRuns(claimOpts({ owner: 'z', now: NOW + 10, limit: 50 }));
      const live = await liveByGroup(f.store, ids, NOW + 10);
      expect(live).toEqual({ [`${WF}/k0`]: 2, [`${WF}/k1`]: 2, [`${WF}/k2`]: 2, [`${WF}/k3`]: 2 });
      expect(last).toHaveLength(7);
      expect(await f.store.claimRuns(claimOpts({ owner: 'y', now: NOW + 10 }))).toEqual([]);
    });
  });

  describe('schedules', () => {
    it('ensureSchedule inserts once (since = now) and is idempotent; listSchedules returns every row', async () => {
      expect(await f.store.listSchedules()).toEqual([]);
      const first = await f.store.ensureSchedule('wf-b', T0);
      expect(first).toEqual({ workflowId: 'wf-b', paused: false, since: T0, lastFireAt: null, updatedAt: T0 });
      expect(await f.store.ensureSchedule('wf-b', T0 + 500)).toEqual(first);
      const other = await f.store.ensureSchedule('wf-a', T0 + 7);
      expect(other).toEqual({ workflowId: 'wf-a', paused: false, since: T0 + 7, lastFireAt: null, updatedAt: T0 + 7 });
      expect(await f.store.listSchedules()).toEqual([other, first]);
      // Concurrent first sightings (several workers starting at once) make one row.
      const racers = await Promise.all([1, 2, 3, 4].map((i) => f.store.ensureSchedule('wf-c', T0 + i)));
      expect(new Set(racers.map((r) => JSON.stringify(r))).size).toBe(1);
      expect((await f.store.listSchedules()).map((s) => s.workflowId)).toEqual(['wf-a', 'wf-b', 'wf-c']);
    });

    it('setSchedulePaused toggles; resuming moves since to now; ensureSchedule keeps pause and since', async () => {
      await f.store.ensureSchedule(WF, T0);
      expect(await f.store.setSchedulePaused(WF, true, T0 + 10)).toEqual({
        workflowId: WF,
        paused: true,
        since: T0,
        lastFireAt: null,
        updatedAt: T0 + 10,
      });
      expect(await f.store.ensureSchedule(WF, T0 + 20)).toMatchObject({ paused: true, since: T0, updatedAt: T0 + 10 });
      // Pausing again changes nothing but updatedAt.
      expect(await f.store.setSchedulePaused(WF, true, T0 + 30)).toMatchObject({ paused: true, since: T0, updatedAt: T0 + 30 });
      const resumed = await f.store.setSchedulePaused(WF, false, T0 + 40);
      expect(resumed).toEqual({ workflowId: WF, paused: false, since: T0 + 40, lastFireAt: null, updatedAt: T0 + 40 });
      expect(await f.store.ensureSchedule(WF, T0 + 50)).toEqual(resumed);
      // Resuming a running schedule keeps since (no fires are skipped).
      expect(await f.store.setSchedulePaused(WF, false, T0 + 60)).toMatchObject({ paused: false, since: T0 + 40 });
      expect(await f.store.setSchedulePaused('wf-unknown', true, T0)).toBeNull();
      expect((await f.store.listSchedules()).map((s) => s.workflowId)).toEqual([WF]);
    });

    it('markScheduleFired records the latest fire time and leaves pause state alone', async () => {
      await f.store.ensureSchedule(WF, T0);
      await f.store.setSchedulePaused(WF, true, T0 + 1);
      await f.store.markScheduleFired(WF, T0 + 1_000, T0 + 1_005);
      expect(await f.store.ensureSchedule(WF, T0 + 2_000)).toEqual({
        workflowId: WF,
        paused: true,
        since: T0,
        lastFireAt: T0 + 1_000,
        updatedAt: T0 + 1_005,
      });
      // Not a compare-and-set: an older fire never moves lastFireAt back, a newer one moves it on.
      await f.store.markScheduleFired(WF, T0 + 500, T0 + 2_010);
      expect((await f.store.listSchedules())[0]?.lastFireAt).toBe(T0 + 1_000);
      await f.store.markScheduleFired(WF, T0 + 3_000, T0 + 3_001);
      expect((await f.store.listSchedules())[0]).toMatchObject({ lastFireAt: T0 + 3_000, updatedAt: T0 + 3_001 });
      // An unknown schedule is a no-op, not an insert.
      await f.store.markScheduleFired('wf-unknown', T0, T0);
      expect((await f.store.listSchedules()).map((s) => s.workflowId)).toEqual([WF]);
    });

    it('concurrent markScheduleFired calls all succeed and keep the greatest fire time', async () => {
      await f.store.ensureSchedule(WF, T0);
      const fires = [T0 + 4_000, T0 + 9_000, T0 + 9_000, T0 + 1_000, T0 + 6_000];
      await Promise.all(fires.map((at, i) => f.store.markScheduleFired(WF, at, T0 + 10_000 + i)));
      expect((await f.store.listSchedules())[0]?.lastFireAt).toBe(T0 + 9_000);
    });

    it('schedule state survives close and reopen', async () => {
      await f.store.ensureSchedule('wf-a', T0);
      await f.store.ensureSchedule('wf-b', T0 + 1);
      await f.store.setSchedulePaused('wf-a', true, T0 + 2);
      await f.store.markScheduleFired('wf-b', T0 + 60_000, T0 + 60_001);
      const before = await f.store.listSchedules();
      expect(before).toEqual([
        { workflowId: 'wf-a', paused: true, since: T0, lastFireAt: null, updatedAt: T0 + 2 },
        { workflowId: 'wf-b', paused: false, since: T0 + 1, lastFireAt: T0 + 60_000, updatedAt: T0 + 60_001 },
      ]);
      await f.store.close();
      await f.store.open();
      expect(await f.store.listSchedules()).toEqual(before);
      expect(await f.store.setSchedulePaused('wf-a', false, T0 + 70_000)).toMatchObject({ paused: false, since: T0 + 70_000 });
      await f.store.close();
      await f.store.open();
      expect((await f.store.listSchedules())[0]).toMatchObject({ workflowId: 'wf-a', paused: false, since: T0 + 70_000 });
    });
  });

  describe('subscribe (PostgreSQL LISTEN/NOTIFY only; skipped on stores without subscribe, which poll)', () => {
    it('delivers runnable on a pending create and canceled on cancel; unsubscribe stops delivery', async (ctx) => {
      const subscribe = f.store.subscribe?.bind(f.store);
      // A capability difference, not a failure: memory and SQLite have no cross-process events.
      if (!subscribe) return ctx.skip();
      const a: StoreEvent[] = [];
      const b: StoreEvent[] = [];
      const stopA = await subscribe((e) => a.push(e));
      const stopB = await subscribe((e) => b.push(e));
      // Created already running: nobody else needs to know, so no event.
      await runIn(f.store, 'running', { workflowId: 'wf-quiet' });
      const run = await runIn(f.store, 'pending');
      await waitFor('runnable', () => a.length >= 1);
      await f.store.cancelRun(run.runId, T0 + 1);
      await waitFor('canceled', () => a.length >= 2 && b.length >= 2);
      // Events arrive in commit order, so nothing else can still be in flight before the cancel.
      const expected: StoreEvent[] = [
        { type: 'runnable', workflowId: WF },
        { type: 'canceled', workflowId: WF, runId: run.runId },
      ];
      expect(a).toEqual(expected);
      expect(b).toEqual(expected);

      await stopA();
      await runIn(f.store, 'pending', { workflowId: 'wf-after' });
      await waitFor('runnable after unsubscribe', () => b.length >= 3);
      expect(b[2]).toEqual({ type: 'runnable', workflowId: 'wf-after' });
      expect(a).toHaveLength(2);
      await stopB();
    });

    it('a batch of creations wakes listeners once per workflow with pending runs (none for running ones)', async (ctx) => {
      const subscribe = f.store.subscribe?.bind(f.store);
      if (!subscribe) return ctx.skip();
      const seen: StoreEvent[] = [];
      const stop = await subscribe((e) => seen.push(e));
      const batch = [
        ...Array.from({ length: 30 }, (_, i) => newRun({ runId: `bulk-a-${i}`, workflowId: 'wf-bulk-a' })),
        ...Array.from({ length: 20 }, (_, i) => newRun({ runId: `bulk-b-${i}`, workflowId: 'wf-bulk-b' })),
        ...Array.from({ length: 5 }, (_, i) => newRun({ runId: `bulk-c-${i}`, workflowId: 'wf-bulk-c', status: 'running', owner: 'w1', leaseExpiresAt: T0 + 60_000 })),
      ];
      const created = await f.store.createRuns(batch);
      expect(created.every((c) => c.created)).toBe(true);
      // A marker created after the batch: events arrive in commit order, so once it is here the batch's are too.
      // Several stores (shards) order their own events only: one marker on each.
      const shards = opts.shards ?? { count: 1, of: () => 0 };
      const markers = new Map<number, string>();
      for (let i = 0; markers.size < shards.count; i++) {
        const id = `marker-${i}-${Math.random().toString(36).slice(2)}`;
        if (!markers.has(shards.of(id))) markers.set(shards.of(id), id);
      }
      for (const runId of markers.values()) await runIn(f.store, 'pending', { runId, workflowId: 'wf-bulk-marker' });
      const runnable = () => seen.flatMap((e) => (e.type === 'runnable' ? [e.workflowId] : []));
      await waitFor('the markers', () => runnable().filter((w) => w === 'wf-bulk-marker').length === shards.count);
      const woken = runnable().filter((w) => w !== 'wf-bulk-marker');
      expect([...new Set(woken)].sort()).toEqual(['wf-bulk-a', 'wf-bulk-b']);
      // Once per workflow (per shard the batch put its runs on).
      expect(woken.length).toBeLessThanOrEqual(2 * shards.count);
      await stop();
    });
  });
}
