import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import type { AdmitOutcome, FlowAdmission, Store } from '../../src/store/types.js';
import { LEASE_MS, T0, WF, newRun, type ContractOptions } from './contract-helpers.js';

function admission(n: number, now: number, flow: Omit<FlowAdmission, 'run'>): FlowAdmission {
  return { run: newRun({ input: JSON.stringify({ n }), now }), ...flow };
}

const claim = (store: Store, now: number, extra: Partial<Parameters<Store['claimRuns']>[0]> = {}) =>
  store.claimRuns({ owner: 'w1', leaseMs: LEASE_MS, now, limit: 50, workflowIds: [WF], ...extra });

const ids = (outs: AdmitOutcome[]) => outs.map((o) => o.run.runId);

/** Start-time flow control (Store.admitRun) and throttled claims (ClaimOptions.throttles). */
export function admitContract(f: { store: Store }, opts: ContractOptions = {}): void {
  describe.skipIf(opts.spread)('admitRun', () => {
    it('an idempotency key returns the same run within its TTL and a new one after it', async () => {
      const idem = { key: 'order-7', ttlMs: 1_000 };
      const first = await f.store.admitRun(admission(1, T0, { idempotency: idem }));
      expect(first.kind).toBe('created');
      const again = await f.store.admitRun(admission(2, T0 + 999, { idempotency: idem }));
      expect(again).toMatchObject({ kind: 'existing', run: { runId: first.run.runId, input: '{"n":1}' } });
      const other = await f.store.admitRun(admission(3, T0 + 999, { idempotency: { key: 'order-8', ttlMs: 1_000 } }));
      expect(other.kind).toBe('created');
      const later = await f.store.admitRun(admission(4, T0 + 1_000, { idempotency: idem }));
      expect(later.kind).toBe('created');
      expect(later.run.runId).not.toBe(first.run.runId);
      // The run id rule still holds beside it.
      const sameId = await f.store.admitRun({ run: newRun({ runId: first.run.runId, now: T0 + 2_000 }) });
      expect(sameId).toMatchObject({ kind: 'existing', run: { runId: first.run.runId } });
    });

    it('a rate limit (skip) records the starts over it as canceled runs with the reason; keys are independent', async () => {
      const rate = (key: string) => ({ rate: { key, limit: 2, periodMs: 1_000, queue: false } });
      const outs = [];
      for (let i = 0; i < 3; i++) outs.push(await f.store.admitRun(admission(i, T0 + i, rate('a'))));
      expect(outs.map((o) => o.kind)).toEqual(['created', 'created', 'skipped']);
      const skipped = await f.store.loadRun(outs[2]!.run.runId);
      expect(skipped).toMatchObject({ status: 'canceled', statusReason: 'skipped: rate limit of 2 per 1000 ms reached for key "a"' });
      expect((await f.store.admitRun(admission(9, T0 + 3, rate('b')))).kind).toBe('created');
      // The window slides: at T0+1000 the first start (T0) is out of it, the second (T0+1) is not.
      expect((await f.store.admitRun(admission(10, T0 + 1_000, rate('a')))).kind).toBe('created');
      expect((await f.store.admitRun(admission(11, T0 + 1_000, rate('a')))).kind).toBe('skipped');
    });

    it('singleton skip: a start while a run of the key is live is skipped; once it ended, a new one runs', async () => {
      const single = { singleton: { key: 'acct-1', mode: 'skip' as const } };
      const first = await f.store.admitRun(admission(1, T0, single));
      const second = await f.store.admitRun(admission(2, T0 + 1, single));
      expect(second).toMatchObject({ kind: 'skipped', reason: `skipped: singleton key "acct-1" is held by run ${first.run.runId}` });
      expect((await f.store.loadRun(second.run.runId))?.status).toBe('canceled');
      expect((await f.store.admitRun(admission(3, T0 + 2, { singleton: { key: 'acct-2', mode: 'skip' } }))).kind).toBe('created');
      await f.store.cancelRun(first.run.runId, T0 + 3);
      expect((await f.store.admitRun(admission(4, T0 + 4, single))).kind).toBe('created');
    });

    it('singleton cancel: a new start cancels the live run (its epoch moves, its owner is fenced) and runs', async () => {
      const single = { singleton: { key: 'k', mode: 'cancel' as const } };
      const first = await f.store.admitRun(admission(1, T0, single));
      const [claimed] = await claim(f.store, T0 + 1);
      expect(claimed?.run.runId).toBe(first.run.runId);
      const second = await f.store.admitRun(admission(2, T0 + 2, single));
      expect(second).toMatchObject({ kind: 'created', canceled: first.run.runId });
      const old = await f.store.loadRun(first.run.runId);
      expect(old).toMatchObject({ status: 'canceled', owner: null, leaseEpoch: claimed!.run.leaseEpoch + 1 });
      expect(old?.statusReason).toContain(`replaced by run ${second.run.runId}`);
      const fenced = await f.store.write([{ type: 'run', runId: first.run.runId, epoch: claimed!.run.leaseEpoch, patch: { status: 'success' }, now: T0 + 3 }]);
      expect(fenced.fenced).toEqual([first.run.runId]);
      const live = (await f.store.listRuns({ workflowId: WF, status: ['pending', 'running', 'waiting'] })).runs;
      expect(live.map((r) => r.runId)).toEqual([second.run.runId]);
    });

    it('debounce: a burst becomes one waiting run with the last input, due after the quiet period or maxWait', async () => {
      const deb = { debounce: { key: 'doc', periodMs: 100, maxWaitMs: 150 } };
      const outs = [];
      for (const [i, at] of [0, 10, 20].entries()) outs.push(await f.store.admitRun(admission(i, T0 + at, deb)));
      expect(outs.map((o) => o.kind)).toEqual(['created', 'merged', 'merged']);
      expect(new Set(ids(outs)).size).toBe(1);
      expect(await f.store.loadRun(outs[0]!.run.runId)).toMatchObject({ status: 'waiting', input: '{"n":2}', wakeAt: T0 + 120 });
      // Not due yet: nothing to claim.
      expect(await claim(f.store, T0 + 119)).toEqual([]);
      // maxWait caps the wake time at the burst's first start + 150.
      await f.store.admitRun(admission(3, T0 + 110, deb));
      expect(await f.store.loadRun(outs[0]!.run.runId)).toMatchObject({ input: '{"n":3}', wakeAt: T0 + 150 });
      const got = await claim(f.store, T0 + 150);
      expect(got.map((c) => [c.run.runId, c.run.input])).toEqual([[outs[0]!.run.runId, '{"n":3}']]);
      // Taken by a worker: the next start opens a new burst.
      const next = await f.store.admitRun(admission(4, T0 + 151, deb));
      expect(next.kind).toBe('created');
      expect(next.run.runId).not.toBe(outs[0]!.run.runId);
    });

    it('batch: starts are collected into one run whose input is the array; a full batch is due at once', async () => {
      const batch = { batch: { key: 'b', maxSize: 3, timeoutMs: 1_000 } };
      const outs = [];
      for (let i = 0; i < 4; i++) outs.push(await f.store.admitRun(admission(i, T0 + i, batch)));
      expect(outs.map((o) => o.kind)).toEqual(['created', 'merged', 'merged', 'created']);
      const full = await f.store.loadRun(outs[0]!.run.runId);
      expect(full).toMatchObject({ status: 'waiting', wakeAt: T0 + 2 });
      expect(JSON.parse(full!.input!)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
      expect(await f.store.loadRun(outs[3]!.run.runId)).toMatchObject({ status: 'waiting', input: '[{"n":3}]', wakeAt: T0 + 1_003 });
      expect((await claim(f.store, T0 + 2)).map((c) => c.run.runId)).toEqual([outs[0]!.run.runId]);
      expect((await claim(f.store, T0 + 1_003)).map((c) => c.run.runId)).toEqual([outs[3]!.run.runId]);
    });

    it('refuses bad flow fields with InvalidArgumentError', async () => {
      await expect(f.store.admitRun(admission(1, T0, { rate: { key: 'a', limit: 0, periodMs: 1, queue: false } }))).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(f.store.admitRun(admission(1, T0, { debounce: { key: 'a', periodMs: -1 } }))).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(f.store.admitRun({ run: newRun({ status: 'running', owner: 'w', leaseExpiresAt: T0 + 1 }) })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(claim(f.store, T0, { throttles: { [WF]: { limit: 0, periodMs: 10 } } })).rejects.toBeInstanceOf(InvalidArgumentError);
    });
  });

  describe.skipIf(opts.spread)('claimRuns with throttles', () => {
    const throttles = { [WF]: { limit: 2, periodMs: 1_000 } };
    const queued = (i: number, key: string) => admission(i, T0 + i, { rate: { key, limit: 2, periodMs: 1_000, queue: true } });

    it('at most `limit` first starts per key within any period; the rest wait in order, none lost', async () => {
      const a = [];
      for (let i = 0; i < 5; i++) a.push((await f.store.admitRun(queued(i, 'a'))).run.runId);
      const b = (await f.store.admitRun(queued(5, 'b'))).run.runId;
      const first = await claim(f.store, T0 + 10, { throttles });
      expect(first.map((c) => c.run.runId).sort()).toEqual([a[0], a[1], b].sort());
      expect(await claim(f.store, T0 + 20, { throttles })).toEqual([]);
      expect(await claim(f.store, T0 + 20, { throttles, owner: 'w2' })).toEqual([]);
      // A started run whose lease lapsed is taken over without counting again.
      const retaken = await claim(f.store, T0 + 10 + LEASE_MS, { throttles: { [WF]: { limit: 2, periodMs: LEASE_MS * 2 } } });
      expect(retaken.map((c) => c.run.runId).sort()).toEqual([a[0], a[1], b].sort());
      // At T0+1010 the starts of T0+10 left the window: the next two, in order.
      const f2 = await f.store.claimRuns({ owner: 'w3', leaseMs: LEASE_MS * 10, now: T0 + 1_010, limit: 50, workflowIds: [WF], throttles });
      expect(f2.map((c) => c.run.runId)).toEqual([a[2], a[3]]);
    });

    it('a started run taken over after its start left the window (and was pruned) does not count again', async () => {
      const t = { [WF]: { limit: 1, periodMs: 1_000 } };
      const opts = (now: number) => ({ owner: `w${now}`, leaseMs: 100, now, limit: 50, workflowIds: [WF], throttles: t });
      const a0 = (await f.store.admitRun(queued(0, 'a'))).run.runId;
      const a1 = (await f.store.admitRun(queued(1, 'a'))).run.runId;
      const b = (await f.store.admitRun(admission(2, T0 + 2, { rate: { key: '', limit: 1, periodMs: 1_000, queue: true } }))).run.runId;
      expect((await f.store.claimRuns(opts(T0 + 10))).map((c) => c.run.runId).sort()).toEqual([a0, b].sort());
      // a0 and b lapsed; a1 begins and a0's start (out of the window) is forgotten.
      expect((await f.store.claimRuns(opts(T0 + 1_010))).map((c) => c.run.runId).sort()).toEqual([a0, a1, b].sort());
      // All lapse again: taken over, none counted anew (else a0 would fill key "" or a1 key "a").
      expect((await f.store.claimRuns(opts(T0 + 1_200))).map((c) => c.run.runId).sort()).toEqual([a0, a1, b].sort());
    });

    it('composes with the concurrency limit: both must have room', async () => {
      for (let i = 0; i < 3; i++) await f.store.admitRun(queued(i, 'a'));
      const got = await claim(f.store, T0 + 10, { throttles: { [WF]: { limit: 5, periodMs: 1_000 } }, limits: { [WF]: 1 } });
      expect(got).toHaveLength(1);
      expect(await claim(f.store, T0 + 11, { throttles: { [WF]: { limit: 5, periodMs: 1_000 } }, limits: { [WF]: 1 } })).toEqual([]);
    });
  });
}
