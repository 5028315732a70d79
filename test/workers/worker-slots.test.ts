import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/index.js';
import type { ClaimedRun, NewRun } from '../../src/store/types.js';
import { Worker, type WorkerHost } from '../../src/worker/worker.js';
import { waitUntil } from '../support/wait.js';

/** The worker's slot accounting and lease bookkeeping on their own (no engine around it). */

function host(overrides: Partial<WorkerHost> = {}): WorkerHost & { launched: ClaimedRun[]; lost: [string, string][] } {
  const launched: ClaimedRun[] = [];
  const lost: [string, string][] = [];
  return {
    store: memoryStore(),
    ownerId: 'me',
    workflowIds: () => ['wf'],
    limits: () => ({}),
    launch: (c) => void launched.push(c),
    onLeaseLost: (id, kind) => void lost.push([id, kind]),
    onError: (e) => {
      throw e;
    },
    now: () => 1000,
    crashPoint: () => {},
    ...overrides,
    launched,
    lost,
  };
}

function pending(runId: string): NewRun {
  return { runId, workflowId: 'wf', status: 'pending', resourceId: null, input: null, state: null, requestContext: null, tracing: null, priority: 0, concurrencyKey: null, owner: null, leaseExpiresAt: null, now: 1 };
}

const OPTS = { concurrency: 2, leaseMs: 1000, pollMs: 60_000, keepAlive: false, leaseGuard: true };

describe('Worker slots', () => {
  it('reserve() takes a slot only while the worker runs and has room; unreserve gives it back', async () => {
    const h = host();
    const w = new Worker(h, OPTS);
    expect(w.reserve()).toBe(false); // not started
    await w.start();
    expect(w.reserve()).toBe(true);
    expect(w.reserve()).toBe(true);
    expect(w.reserve()).toBe(false); // both slots taken
    w.unreserve(false);
    expect(w.hasCapacity()).toBe(true);
    w.stop();
  });

  it('a reserved slot that was launched becomes a tracked run: it still counts until untracked', async () => {
    const h = host();
    const w = new Worker(h, OPTS);
    await w.start();
    expect(w.reserve()).toBe(true);
    w.track('r1');
    w.unreserve(true);
    expect(w.reserve()).toBe(true);
    expect(w.reserve()).toBe(false);
    w.untrack('r1');
    expect(w.reserve()).toBe(true);
    w.stop();
  });

  it('claims only as many runs as it has free slots, counting reservations', async () => {
    const h = host();
    const w = new Worker(h, { ...OPTS, concurrency: 3 });
    await w.start();
    // A slot promised to a run being created here already claimed is not free for the store's claim.
    expect(w.reserve()).toBe(true);
    await h.store.createRuns([pending('a'), pending('b'), pending('c')]);
    w.nudge();
    await waitUntil(() => h.launched.length === 2, { message: 'two runs to be claimed' });
    expect(w.hasCapacity()).toBe(false);
    expect((await h.store.loadRun('c'))?.status).toBe('pending');
    w.unreserve(false);
    await waitUntil(() => h.launched.length === 3, { message: 'the freed slot to claim the third run' });
    w.stop();
  });

  it('leaseHeld counts the lease from when it was taken, by the host clock; the guard reports an expired lease', async () => {
    let now = 1000;
    const h = host({ now: () => now });
    const w = new Worker(h, { ...OPTS, leaseMs: 200 });
    w.track('r1', 900); // claimed at 900 with a 200 ms lease: held until 1100
    expect(w.leaseHeld('r1')).toBe(true);
    now = 1100;
    expect(w.leaseHeld('r1')).toBe(false);
    expect(w.leaseHeld('unknown')).toBe(true);
    const unguarded = new Worker(h, { ...OPTS, leaseGuard: false });
    unguarded.track('r2', 0);
    expect(unguarded.leaseHeld('r2')).toBe(true);
    await w.start();
    await waitUntil(() => h.lost.some(([id, kind]) => id === 'r1' && kind === 'expired'), { message: 'the guard to report r1' });
    w.stop();
  });

  it('renewal extends held leases and reports the runs the store says are gone', async () => {
    const h = host();
    const [created] = await h.store.createRuns([{ ...pending('mine'), status: 'running', owner: 'me', leaseExpiresAt: 1500 }]);
    const w = new Worker(h, { ...OPTS, leaseMs: 300, renewMs: 50 });
    w.track(created!.run.runId);
    w.track('gone');
    await w.start();
    await waitUntil(() => h.lost.some(([id, kind]) => id === 'gone' && kind === 'renew'), { message: 'the renewal to report the missing run' });
    expect(h.lost.filter(([id]) => id === 'mine')).toEqual([]);
    expect((await h.store.loadRun('mine'))?.leaseExpiresAt).toBe(1000 + 300);
    w.stop();
  });
});
